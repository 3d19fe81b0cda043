"""The image registry of the flow: scanned on push, old images expire, deleted with the stack."""

import json

import pulumi_aws as aws

from infra.tags import tags


def create_registry(prefix: str, keep_images: int) -> aws.ecr.Repository:
    repository = aws.ecr.Repository(
        f"{prefix}-flow",
        image_scanning_configuration={"scan_on_push": True},
        # `latest` and the commit tags are both pushed; moving `latest` needs mutable tags.
        image_tag_mutability="MUTABLE",
        # `pulumi destroy` removes the images too instead of failing on a non-empty repository.
        force_delete=True,
        tags=tags(f"{prefix}-flow"),
    )
    aws.ecr.LifecyclePolicy(
        f"{prefix}-flow-keep-last",
        repository=repository.name,
        policy=json.dumps(
            {
                "rules": [
                    {
                        "rulePriority": 1,
                        "description": f"Keep the last {keep_images} images",
                        "selection": {
                            "tagStatus": "any",
                            "countType": "imageCountMoreThan",
                            "countNumber": keep_images,
                        },
                        "action": {"type": "expire"},
                    }
                ]
            }
        ),
    )
    return repository
