"""Trigram indexes for the admin's searches of firms by name or credit code (PostgreSQL).

Every changelist that finds firms searches `UPPER(name) LIKE UPPER('%…%')` (Django's
icontains), joined from loans, claims, tenancies and the registry: without an index each
search reads all 100,000 names. pg_trgm's GIN index on the same expression serves any term
of three characters or more (a firm's name, a code); shorter terms match so many firms that
page 1 is found by walking the list's own sort. SQLite (`make run`) has neither the
extension nor the need: the operations do nothing there.
"""

from django.db import migrations

INDEXES = {
    "enterprise_name_trgm": "enterprises_enterprise USING gin (UPPER(name::text) gin_trgm_ops)",
    "enterprise_uscc_trgm": "enterprises_enterprise USING gin (UPPER(uscc::text) gin_trgm_ops)",
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
    dependencies = [("enterprises", "0011_importjob_heartbeat_at")]

    operations = [migrations.RunPython(create, drop)]
