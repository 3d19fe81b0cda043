"""The ARN patterns of this project's resources, from the logical names the other modules use.

Names come from Pulumi's autonaming (`<logical name>-<7 random characters>`), so a pattern is the
logical name and a `*`. The deploy role's grants and the permissions boundary both use these, so
that what the deploy role may manage and what the boundary lets anyone reach stay the same set.
"""

from dataclasses import dataclass

# The one name that is not autonamed: the boundary's own policy, so its ARN can appear in itself.
# One per stack, so that two stacks of the project can live in one account.
BOUNDARY_SUFFIX = "-permissions-boundary"
IAM_NAME_LIMIT = 128
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
# The network resources the program creates; EC2 offers no names, only tags, to scope them.
NETWORK_TYPES = ("internet-gateway", "route-table", "security-group", "subnet", "vpc")


@dataclass(frozen=True)
class ProjectArns:
    prefix: str
    stack: str
    region: str
    account_id: str

    def _regional(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"

    def _iam(self, resource: str) -> str:
        return f"arn:aws:iam::{self.account_id}:{resource}"

    @property
    def boundary(self) -> str:
        return self._iam("policy/" + self.boundary_name)

    @property
    def boundary_name(self) -> str:
        stack = f"{self.prefix}-{self.stack}"[: IAM_NAME_LIMIT - len(BOUNDARY_SUFFIX)]
        return stack + BOUNDARY_SUFFIX

    @property
    def repository(self) -> str:
        return self._regional("ecr", f"repository/{self.prefix}-flow-*")

    @property
    def cluster(self) -> str:
        return self._regional("ecs", f"cluster/{self.prefix}-cluster-*")

    @property
    def tasks(self) -> str:
        return self._regional("ecs", f"task/{self.prefix}-cluster-*/*")

    def task_definitions(self, family: str) -> str:
        return self._regional("ecs", f"task-definition/{family}:*")

    @property
    def log_group(self) -> str:
        """The flow-run log group; `*` also covers its streams (`...:log-stream:<name>`)."""
        return self._regional("logs", f"log-group:{self.prefix}-flow-runs-*")

    def _bucket(self, name: str) -> list[str]:
        """A bucket of the project and its objects."""
        bucket = f"arn:aws:s3:::{self.prefix}-{name}-*"
        return [bucket, f"{bucket}/*"]

    @property
    def results_bucket(self) -> list[str]:
        return self._bucket("results")

    @property
    def inbox_bucket(self) -> list[str]:
        """The receiver's bucket: every push body, and the markers beside them."""
        return self._bucket("inbox")

    @property
    def history_database(self) -> str:
        """The history's Glue database, named (not autonamed) so that Athena users can type it:
        the project's name, as Glue and Athena names hold only lowercase letters, digits and `_`.
        One per project and region of an account."""
        return self.prefix.replace("-", "_")

    @property
    def history_catalog(self) -> list[str]:
        """The account's Data Catalog, the history's database, its tables and its functions: a
        call on a table is authorised on the table, its database and the catalog, and deleting
        the database on its tables and functions as well (AWS Glue Developer Guide)."""
        database = self.history_database
        return [
            self._regional("glue", "catalog"),
            self._regional("glue", f"database/{database}"),
            self._regional("glue", f"table/{database}/*"),
            self._regional("glue", f"userDefinedFunction/{database}/*"),
        ]

    @property
    def receiver_log_group(self) -> str:
        return self._regional("logs", f"log-group:{self.prefix}-receiver-*")

    @property
    def receiver_function(self) -> str:
        """The receiver's Lambda function; `*` also covers its versions and aliases."""
        return self._regional("lambda", f"function:{self.prefix}-receiver-*")

    @property
    def receiver_alarms(self) -> str:
        """The receiver's CloudWatch alarms (alerts.py)."""
        return self._regional("cloudwatch", f"alarm:{self.prefix}-receiver-*")

    @property
    def receiver_resources(self) -> str:
        """Every regional resource named `<prefix>-receiver-...` after a `:`: its function, log
        group and alarms in one pattern (the boundary's size limit); never an ECR, ECS or SSM
        name, which follow a `/`."""
        return f"arn:aws:*:{self.region}:{self.account_id}:*:{self.prefix}-receiver-*"

    @property
    def replay_rule(self) -> str:
        """The EventBridge rule that runs the receiver's scheduled replay."""
        return self._regional("events", f"rule/{self.prefix}-replay-*")

    @property
    def alert_topic(self) -> str:
        """The alerts' SNS topic; `*` also covers its subscriptions (`<topic ARN>:<id>`)."""
        return self._regional("sns", f"{self.prefix}-alerts-*")

    @property
    def forward_url_parameter(self) -> str:
        # An SSM parameter's ARN is `parameter/<name>` for a name without a leading `/`.
        return self._regional("ssm", f"parameter/{self.prefix}-forward-url-*")

    @property
    def prefect_api_key(self) -> str:
        # Secrets Manager appends `-` and 6 random characters to the name in the ARN.
        return self._regional("secretsmanager", f"secret:{self.prefix}-prefect-api-key-*")

    @property
    def network(self) -> list[str]:
        return [self._regional("ec2", f"{kind}/*") for kind in NETWORK_TYPES]

    @property
    def ec2(self) -> str:
        """Every EC2 resource of the region and account: only ever with the project tag."""
        return self._regional("ec2", "*/*")

    @property
    def task_roles(self) -> list[str]:
        return [
            self._iam(f"role/{self.prefix}-execution-*"),
            self._iam(f"role/{self.prefix}-task-*"),
        ]

    @property
    def receiver_role(self) -> str:
        return self._iam(f"role/{self.prefix}-receiver-*")

    @property
    def deploy_role(self) -> str:
        return self._iam(f"role/{self.prefix}-github-deploy-*")

    @property
    def push_pool_user(self) -> str:
        return self._iam(f"user/{self.prefix}-push-pool-*")

    @property
    def push_pool_policy(self) -> str:
        return self._iam(f"policy/{self.prefix}-push-pool-*")

    @property
    def deploy_policies(self) -> str:
        return self._iam(f"policy/{self.prefix}-deploy-*")

    @property
    def github_oidc_provider(self) -> str:
        return self._iam(f"oidc-provider/{GITHUB_OIDC_HOST}")
