"""Trigram indexes for searching postmortems on PostgreSQL.

Search is a case-insensitive substring match (UPPER(col) LIKE UPPER('%…%')), which no
B-tree index serves; pg_trgm's GIN indexes do. Other databases are left as they are, and a
PostgreSQL role that may not create the extension gets a warning instead of a failure.
"""

import logging

from django.db import migrations, transaction

logger = logging.getLogger(__name__)
COLUMNS = ["title", "summary", "impact"]


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as error:  # a missing privilege must not stop the upgrade
        logger.warning("pg_trgm is not available (%s); search works, without its indexes.", error)
        return
    with connection.cursor() as cursor:
        for column in COLUMNS:
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS postmortem_{column}_trgm "
                f"ON postmortems_postmortem USING gin (UPPER({column}::text) gin_trgm_ops)"
            )


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for column in COLUMNS:
            cursor.execute(f"DROP INDEX IF EXISTS postmortem_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("postmortems", "0006_draft_base_version")]
    operations = [migrations.RunPython(create, remove)]
