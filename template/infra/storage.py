"""The project's buckets: private, encrypted, old objects expire, deleted with the stack.

- results: flow results, under `results/`, which expire; and the history store (contract 9),
  under `history/`, which is kept (docs/infrastructure.md says how to expire it too);
- inbox (with the AWS receiver): every push body as the receiver got it, `inbox/<receipt>.xml`,
  and the markers beside them, `quarantine/` or `ignored/<receipt>.reason.txt`, and
  `deferred/<receipt>.json` while a push waits for the scheduled replay.
"""

import pulumi_aws as aws

from infra.tags import tags

# The flow writes under these two prefixes only; the task role can touch nothing else in the
# bucket. Results expire after `resultsExpiryDays`; the history does not.
RESULTS_PREFIX = "results/"
HISTORY_PREFIX = "history/"
# As the Lambda host writes them (src/<package>/cloud/lambda_host.py; a test holds them together).
INBOX_PREFIX = "inbox/"
# The one marker the receiver also lists and deletes: the scheduled replay's (cloud/deferred.py).
DEFERRED_PREFIX = "deferred/"
MARKER_PREFIXES = ("quarantine/", "ignored/", DEFERRED_PREFIX)


def create_private_bucket(
    name: str, expiry_days: int, rule_id: str, expiring: str = ""
) -> aws.s3.Bucket:
    """A bucket only IAM policies open, whose objects under `expiring` ("": all of them) expire
    after `expiry_days`."""
    bucket = aws.s3.Bucket(
        name,
        # `pulumi destroy` empties the bucket instead of failing on it.
        force_destroy=True,
        tags=tags(name),
    )
    aws.s3.BucketPublicAccessBlock(
        name,
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
    # ACLs off: access is decided by IAM policies alone.
    aws.s3.BucketOwnershipControls(
        name,
        bucket=bucket.id,
        rule={"object_ownership": "BucketOwnerEnforced"},
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        name,
        bucket=bucket.id,
        rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
    )
    aws.s3.BucketLifecycleConfiguration(
        name,
        bucket=bucket.id,
        rules=[
            {
                "id": rule_id,
                "status": "Enabled",
                "filter": {"prefix": expiring},
                "expiration": {"days": expiry_days},
            },
            # Uploads left half done, anywhere in the bucket.
            {
                "id": "abort-incomplete-uploads",
                "status": "Enabled",
                "filter": {"prefix": ""},
                "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
            },
        ],
    )
    return bucket


def create_results_bucket(prefix: str, expiry_days: int) -> aws.s3.Bucket:
    """Results expire; the history beside them is kept."""
    return create_private_bucket(
        f"{prefix}-results", expiry_days, rule_id="expire-old-results", expiring=RESULTS_PREFIX
    )


def create_inbox_bucket(prefix: str, expiry_days: int) -> aws.s3.Bucket:
    """Pushes are kept `inboxExpiryDays` for replay, then go with their markers."""
    return create_private_bucket(f"{prefix}-inbox", expiry_days, rule_id="expire-old-pushes")
