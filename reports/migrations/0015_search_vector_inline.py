"""Keep each published version's search vector in its table row (PostgreSQL).

Ranking a search reads the ``tsvector`` of every report that matches. Kept out of line (TOAST, the
default for values over 2 kB; a report's vector is about 4 kB), that is one more index lookup and
read per report: at 10,000 published reports, about 50 ms for a search matching them all. Kept in
the row (storage MAIN; rows may fill their page before anything is moved out of line), the same
ranking takes about 17 ms (``bench/public.py``). The report's content and search text, read only
for the page's twenty reports, stay out of line. A vector too long for a page is still moved out
of line, as a last resort. Nothing changes on SQLite.
"""

from django.db import migrations

TABLE = "reports_publishedversion"


def vectors_inline(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN search_vector SET STORAGE MAIN")
    schema_editor.execute(f"ALTER TABLE {TABLE} SET (toast_tuple_target = 8160)")
    # Existing rows: a new value is stored by the new rule.
    schema_editor.execute(f"UPDATE {TABLE} SET search_vector = search_vector || ''::tsvector")


def vectors_out_of_line(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN search_vector SET STORAGE EXTENDED")
    schema_editor.execute(f"ALTER TABLE {TABLE} RESET (toast_tuple_target)")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0014_cycles_and_languages"),
    ]

    operations = [
        migrations.RunPython(vectors_inline, vectors_out_of_line, elidable=False),
    ]
