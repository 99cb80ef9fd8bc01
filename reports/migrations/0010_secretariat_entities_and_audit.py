"""The "Secretariat" group may now correct, verify and merge entities, and read the security audit
log (security events and django-auditlog's model history). The permission table is frozen here as
it was when this migration was written."""

from django.db import migrations

SECRETARIAT_PERMISSIONS = {
    "reports": {
        "report": ("view", "change", "review_report"),
        "entity": ("view", "change"),
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
        "securityevent": ("view",),
    },
    "auditlog": {"logentry": ("view",)},
    "action_lines": {
        "actionline": ("view",),
        "agency": ("view",),
        "facilitator": ("view",),
    },
}


def secretariat_group_update(apps, schema_editor):
    from reports.permissions import secretariat_group_ensure

    secretariat_group_ensure(apps=apps, using=schema_editor.connection.alias, table=SECRETARIAT_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("auditlog", "0017_add_actor_email"),
        ("reports", "0009_entity_verification_security_events"),
    ]

    operations = [migrations.RunPython(secretariat_group_update, migrations.RunPython.noop)]
