"""Indexes for the secretariat's admin at scale: the report list in its default order
(newest submissions first, drafts last); the dashboard's and list's columns of a cycle's
reports (a covering index, so PostgreSQL need not read the wide rows); and the Action Line
filter, coverage counts and exports (partial indexes on the addressed and not-applicable lines).

Also gives the "Secretariat" group the compiled reports (model added by 0003). The permission
table is frozen here as it was when this migration was written."""

from django.db import migrations, models

SECRETARIAT_PERMISSIONS = {
    "reports": {
        "report": ("view", "change", "review_report"),
        "entity": ("view",),
        "membership": ("view",),
        "submission": ("view",),
        "statuschange": ("view",),
        "delivery": ("view",),
        "followupcontact": ("view",),
        "actionlineprogress": ("view",),
        "keyindicator": ("view",),
        "successstory": ("view",),
        "reportingcycle": ("view", "add", "change"),
        "country": ("view",),
        "region": ("view",),
        "compilation": ("view", "add"),
    },
    "action_lines": {
        "actionline": ("view",),
        "agency": ("view",),
        "facilitator": ("view",),
    },
}


def secretariat_group_update(apps, schema_editor):
    from reports.permissions import secretariat_group_ensure

    secretariat_group_ensure(
        apps=apps, using=schema_editor.connection.alias, table=SECRETARIAT_PERMISSIONS
    )


POSTGRESQL_INDEXES = {
    # The admin's list order: newest submissions first, drafts last.
    "report_submitted_desc": "ON reports_report (submitted_at DESC NULLS LAST, id DESC)",
    # What the dashboard and the list read of a cycle's reports, without the wide rows.
    "report_cycle_status_cover": (
        "ON reports_report (cycle_id, status) "
        "INCLUDE (id, is_late, entity_id, submitted_at, updated_at, lines_covered)"
    ),
}


def postgresql_indexes_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, definition in POSTGRESQL_INDEXES.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} {definition}")


def postgresql_indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in POSTGRESQL_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("action_lines", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("reports", "0003_compilation_page_map"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="actionlineprogress",
            index=models.Index(
                condition=models.Q(
                    ("not_applicable", False),
                    models.Q(
                        ("achievements__gt", ""),
                        ("challenges__gt", ""),
                        ("future_priorities__gt", ""),
                        _connector="OR",
                    ),
                ),
                fields=["action_line", "report"],
                name="progress_addressed",
            ),
        ),
        migrations.AddIndex(
            model_name="actionlineprogress",
            index=models.Index(
                condition=models.Q(("not_applicable", True)),
                fields=["action_line", "report"],
                name="progress_not_applicable",
            ),
        ),
        # SQLite has neither NULLS LAST in indexes nor INCLUDE; the embedded default does without.
        migrations.RunPython(postgresql_indexes_create, postgresql_indexes_drop),
        migrations.RunPython(secretariat_group_update, migrations.RunPython.noop),
    ]
