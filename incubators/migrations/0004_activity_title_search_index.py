"""A trigram index for the activity list's search of titles (PostgreSQL), ORed with the
carriers' ids: without it each search read all 20,000 activities. SQLite does nothing."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS activity_title_trgm ON incubators_activity "
        "USING gin (UPPER(title::text) gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS activity_title_trgm")


class Migration(migrations.Migration):
    dependencies = [("incubators", "0003_incubator_opened_on")]

    operations = [migrations.RunPython(create, drop)]
