"""The cloud edge: Prefect Cloud and AWS, set up by `deploy` from the Pulumi stack outputs.

deploy (the command) -> plan (its steps) -> work_pool, blocks, deployment (and its automation),
webhooks (Prefect Cloud's API), image (docker and ECR); job_variables for the ECS tasks.
"""
