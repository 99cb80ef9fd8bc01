"""The review permission on reports, and the "Secretariat" group with exactly the permissions
the secretariat's everyday work needs (see ``reports/permissions.py``).

The permission table is frozen here as it was when this migration was written; a later change
to the group's permissions is a new migration calling ``secretariat_group_ensure`` again.
"""

from django.db import migrations

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
    },
    "action_lines": {
        "actionline": ("view",),
        "agency": ("view",),
        "facilitator": ("view",),
    },
}


def create_group(apps, schema_editor):
    from reports.permissions import secretariat_group_ensure

    secretariat_group_ensure(
        apps=apps, using=schema_editor.connection.alias, table=SECRETARIAT_PERMISSIONS
    )


def remove_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name="Secretariat").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("action_lines", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="report",
            options={
                "ordering": ["-submitted_at", "-updated_at"],
                "permissions": [
                    ("review_report", "Can review reports (start review, accept, request changes, publish)")
                ],
                "verbose_name": "report",
                "verbose_name_plural": "reports",
            },
        ),
        migrations.RunPython(create_group, remove_group),
    ]
