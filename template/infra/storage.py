"""The bucket of flow results: private, encrypted, old results expire, deleted with the stack."""

import pulumi_aws as aws

from infra.tags import tags

# The flow writes under this prefix only; the task role can touch nothing else in the bucket.
RESULTS_PREFIX = "results/"


def create_results_bucket(prefix: str, expiry_days: int) -> aws.s3.Bucket:
    bucket = aws.s3.Bucket(
        f"{prefix}-results",
        # `pulumi destroy` empties the bucket instead of failing on it.
        force_destroy=True,
        tags=tags(f"{prefix}-results"),
    )
    aws.s3.BucketPublicAccessBlock(
        f"{prefix}-results",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
    # ACLs off: access is decided by IAM policies alone.
    aws.s3.BucketOwnershipControls(
        f"{prefix}-results",
        bucket=bucket.id,
        rule={"object_ownership": "BucketOwnerEnforced"},
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{prefix}-results",
        bucket=bucket.id,
        rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
    )
    aws.s3.BucketLifecycleConfiguration(
        f"{prefix}-results",
        bucket=bucket.id,
        rules=[
            {
                "id": "expire-old-results",
                "status": "Enabled",
                "filter": {"prefix": ""},
                "expiration": {"days": expiry_days},
                "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
            }
        ],
    )
    return bucket
