"""Trigram indexes for the secretariat's search (entity name, acronym, contact e-mail).

The admin searches with ``icontains``: ``UPPER(col) LIKE UPPER('%term%')``, which no B-tree can
serve; at 10,000 reports each search scanned the entity and contact tables twice per page.
PostgreSQL's pg_trgm GIN indexes on the same ``UPPER(col::text)`` expressions answer such
patterns. pg_trgm ships with PostgreSQL (contrib) and is a trusted extension (13+), so the
database owner may create it; where it cannot be created, search stays correct, only slower.
SQLite (the embedded default) does without."""

from django.db import migrations

TRIGRAM_INDEXES = {
    "entity_name_trgm": "ON reports_entity USING gin (UPPER((name)::text) gin_trgm_ops)",
    "entity_acronym_trgm": "ON reports_entity USING gin (UPPER((acronym)::text) gin_trgm_ops)",
    "contact_email_trgm": "ON reports_followupcontact USING gin (UPPER((email)::text) gin_trgm_ops)",
}


def trigram_indexes_create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            cursor.execute("SAVEPOINT trigram")
            try:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except Exception:  # no privilege or no contrib: search works without the indexes
                cursor.execute("ROLLBACK TO SAVEPOINT trigram")
                return
            cursor.execute("RELEASE SAVEPOINT trigram")
    for name, definition in TRIGRAM_INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} {definition}")


def trigram_indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in TRIGRAM_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("reports", "0004_admin_indexes_and_group")]

    operations = [migrations.RunPython(trigram_indexes_create, trigram_indexes_drop)]
