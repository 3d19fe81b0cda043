"""Network of the flow-run tasks: public subnets in distinct zones, nothing that costs when idle.

No NAT gateway (about 35 USD a month each): tasks get a public IP and reach ECR, S3, Prefect
Cloud and the SMTP server through the internet gateway; the security group lets nothing in.
"""

import ipaddress
from dataclasses import dataclass

import pulumi_aws as aws

from infra.tags import tags

VPC_CIDR = "10.0.0.0/16"
SUBNET_COUNT = 2


@dataclass(frozen=True)
class Network:
    vpc: aws.ec2.Vpc
    subnets: list[aws.ec2.Subnet]
    security_group: aws.ec2.SecurityGroup


def create_network(prefix: str) -> Network:
    # Zones of the configured region, never hard-coded; Local and Wavelength Zones need an opt-in.
    zones = aws.get_availability_zones(
        state="available",
        filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
    ).names
    if len(zones) < SUBNET_COUNT:
        raise ValueError(f"The region offers {len(zones)} zones; {SUBNET_COUNT} are needed.")

    vpc = aws.ec2.Vpc(
        f"{prefix}-vpc",
        cidr_block=VPC_CIDR,
        enable_dns_support=True,
        enable_dns_hostnames=True,
        tags=tags(f"{prefix}-vpc"),
    )
    gateway = aws.ec2.InternetGateway(f"{prefix}-igw", vpc_id=vpc.id, tags=tags(f"{prefix}-igw"))
    route_table = aws.ec2.RouteTable(
        f"{prefix}-public", vpc_id=vpc.id, tags=tags(f"{prefix}-public")
    )
    aws.ec2.Route(
        f"{prefix}-internet",
        route_table_id=route_table.id,
        destination_cidr_block="0.0.0.0/0",
        gateway_id=gateway.id,
    )

    cidrs = ipaddress.ip_network(VPC_CIDR).subnets(new_prefix=24)
    subnets = []
    for index, (zone, cidr) in enumerate(zip(zones[:SUBNET_COUNT], cidrs, strict=False)):
        name = f"{prefix}-public-{index}"
        subnet = aws.ec2.Subnet(
            name,
            vpc_id=vpc.id,
            cidr_block=str(cidr),
            availability_zone=zone,
            tags=tags(name),
        )
        aws.ec2.RouteTableAssociation(name, subnet_id=subnet.id, route_table_id=route_table.id)
        subnets.append(subnet)

    # `ingress=[]` is authoritative: Pulumi removes any inbound rule added by hand.
    security_group = aws.ec2.SecurityGroup(
        f"{prefix}-tasks",
        vpc_id=vpc.id,
        description="Flow-run tasks: nothing inbound, everything outbound",
        ingress=[],
        egress=[
            {
                "description": "ECR, S3, CloudWatch, Prefect Cloud, SMTP",
                "protocol": "-1",
                "from_port": 0,
                "to_port": 0,
                "cidr_blocks": ["0.0.0.0/0"],
            }
        ],
        tags=tags(f"{prefix}-tasks"),
    )
    return Network(vpc=vpc, subnets=subnets, security_group=security_group)
