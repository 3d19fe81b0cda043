"""The history store's table in the Glue Data Catalog: Athena queries `history/` of the results
bucket with SQL where the flow writes it (src/<package>/adapters/history.py), moving no data.

The files lie in `history/<type>/<zone EIC>/<YYYY-MM>/<first>_<last>_<content>.parquet`,
folders without `key=` names, so the table *projects* its partitions: Athena computes them from
the parameters below at query time, and no crawler, `MSCK REPAIR TABLE` or partition in the
catalog is needed. A query that names the type, zone and month reads that one folder
(docs/infrastructure.md).
"""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.storage import HISTORY_PREFIX
from infra.tags import tags

TABLE = "history"
# The store's columns, in Glue's (Hive's) types for its Arrow types (adapters/history.py SCHEMA;
# a test compares them). Times are UTC.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("type", "string"),
    ("process", "string"),
    ("zone", "string"),
    ("direction", "string"),
    ("psr_type", "string"),
    ("business_type", "string"),
    ("start", "timestamp"),
    ("end", "timestamp"),
    ("resolution", "string"),
    ("quantity", "double"),
    ("unit", "string"),
    ("mrid", "string"),
    ("revision", "int"),
    ("created", "timestamp"),
    ("received_at", "timestamp"),
    ("content", "string"),
)
# The three folders below history/, by partition name (none may be a column's name).
PARTITIONS = ("doc_type", "area", "month")
# Months from the first the ENTSO-E Transparency Platform publishes to the current one.
MONTHS = "2015-01,NOW"
PARQUET = "org.apache.hadoop.hive.ql.io.parquet"


@dataclass(frozen=True)
class HistoryCatalog:
    database: aws.glue.CatalogDatabase
    table: aws.glue.CatalogTable


def projection(
    bucket: pulumi.Input[str], document_types: Sequence[str], zones: Sequence[str]
) -> dict[str, pulumi.Input[str]]:
    """The table's parameters: Parquet, and the partitions projected from the folder names."""
    doc_type, area, month = (f"${{{name}}}" for name in PARTITIONS)
    folders = f"/{HISTORY_PREFIX}{doc_type}/{area}/{month}/"
    return {
        "EXTERNAL": "TRUE",
        "classification": "parquet",
        "projection.enabled": "true",
        "projection.doc_type.type": "enum",
        "projection.doc_type.values": ",".join(document_types),
        "projection.area.type": "enum",
        "projection.area.values": ",".join(zones),
        "projection.month.type": "date",
        "projection.month.format": "yyyy-MM",
        "projection.month.range": MONTHS,
        "projection.month.interval": "1",
        "projection.month.interval.unit": "MONTHS",
        "storage.location.template": pulumi.Output.concat("s3://", bucket, folders),
    }


def create_history_catalog(
    prefix: str,
    database_name: str,
    bucket: aws.s3.Bucket,
    document_types: Sequence[str],
    zones: Sequence[str],
) -> HistoryCatalog:
    """The database and its one table over the history: the chosen types and zones."""
    database = aws.glue.CatalogDatabase(
        f"{prefix}-history",
        name=database_name,
        description=f"{prefix}: the ENTSO-E documents received, every version",
        tags=tags(f"{prefix}-history"),
    )
    table = aws.glue.CatalogTable(
        f"{prefix}-history",
        name=TABLE,
        database_name=database.name,
        description="One row per interval of each version of a zone's document; times in UTC",
        table_type="EXTERNAL_TABLE",
        parameters=projection(bucket.bucket, document_types, zones),
        partition_keys=[{"name": name, "type": "string"} for name in PARTITIONS],
        storage_descriptor={
            "location": pulumi.Output.concat("s3://", bucket.bucket, f"/{HISTORY_PREFIX}"),
            "input_format": f"{PARQUET}.MapredParquetInputFormat",
            "output_format": f"{PARQUET}.MapredParquetOutputFormat",
            "ser_de_info": {"serialization_library": f"{PARQUET}.serde.ParquetHiveSerDe"},
            "columns": [{"name": name, "type": kind} for name, kind in COLUMNS],
        },
    )
    return HistoryCatalog(database=database, table=table)
