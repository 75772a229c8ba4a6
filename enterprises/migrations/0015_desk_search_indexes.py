"""Trigram indexes for the service desk's searches of free text (PostgreSQL).

The visit list searches `visitors` and the request list `description` beside the firm (ORed
with the firm's ids): without an index each search read all 60,000 visits or 30,000 requests
(25 ms on the summary bench's data). As 0012 for the firm's name; SQLite does nothing.
"""

from django.db import migrations

INDEXES = {
    "servicevisit_visitors_trgm": (
        "enterprises_servicevisit USING gin (UPPER(visitors::text) gin_trgm_ops)"
    ),
    "servicerequest_description_trgm": (
        "enterprises_servicerequest USING gin (UPPER(description::text) gin_trgm_ops)"
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, target in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0014_number_search_indexes")]

    operations = [migrations.RunPython(create, drop)]
