"""A bigram index for two-character searches of firm names (PostgreSQL).

pg_trgm's index (0012) serves terms of three characters or more; a two-character Chinese word
(丰收, 渝北) yields no trigram, so a search for one read all 100,000 names (53 ms for a word no
firm holds, on the summary bench's data). `portal_bigrams` lists the distinct two-character
pieces of a text; a stored generated column `name_bigrams` holds those of UPPER(name) and a
GIN index over it finds the names holding a given pair (0.02 ms for a rare pair; 2 MB against
the trigram index's 6.5 MB), and the LIKE then checks them. A column rather than an index on
the expression: a pair most firms hold (科技, 重庆) is answered by reading the list in order,
where the expression would be computed again for every row read (20 ms for 1,000 rows). The
model does not declare the column (the database fills it; Django never names it).
common.admin.RelatedSearchMixin adds the condition for two-character terms. SQLite
(`make run`) has neither the need nor the functions: the operations do nothing there.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION portal_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(t, i, 2)), '{}')
  FROM generate_series(1, char_length(t) - 1) AS i
$$
"""
COLUMN = (
    "ALTER TABLE enterprises_enterprise ADD COLUMN IF NOT EXISTS name_bigrams text[] "
    "GENERATED ALWAYS AS (portal_bigrams(UPPER(name::text))) STORED"
)
INDEX = (
    "CREATE INDEX IF NOT EXISTS enterprise_name_bigram ON enterprises_enterprise "
    "USING gin (name_bigrams)"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    schema_editor.execute(COLUMN)
    schema_editor.execute(INDEX)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS enterprise_name_bigram")
    schema_editor.execute("ALTER TABLE enterprises_enterprise DROP COLUMN IF EXISTS name_bigrams")
    schema_editor.execute("DROP FUNCTION IF EXISTS portal_bigrams(text)")


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0012_name_search_indexes")]

    operations = [migrations.RunPython(create, drop)]
