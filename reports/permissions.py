"""Who may do what in the secretariat's admin.

The "Secretariat" group carries exactly the permissions the everyday work needs: read every
report and what hangs off it, move reports through the review workflow (``review_report``),
export, look at the dashboard, retry deliveries, and keep the reporting cycles up to date.
No superuser is needed for any of it. Staff users outside the group see no reports.

``secretariat_group_ensure`` is what the data migration ``0002_secretariat_group`` runs (with
the historical ``apps``) and what tests call after a transactional test flushed the tables.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions

SECRETARIAT_GROUP = "Secretariat"

# The review workflow, exports, dashboard and delivery retries (``Report.Meta.permissions``).
REVIEW_PERMISSION = "reports.review_report"

# app label → model name → actions (``view``, ``add``, ``change``, or a custom codename).
SECRETARIAT_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "reports": {
        "report": ("view", "change", "review_report"),
        "entity": ("view", "change"),  # correct, verify and merge entities
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
        "compilation": ("view", "add"),  # compiled PDF reports: request, follow, download, retry
        "securityevent": ("view",),  # the security audit log
    },
    "auditlog": {"logentry": ("view",)},  # model history of entities, members and invitations
    "action_lines": {
        "actionline": ("view",),
        "agency": ("view",),
        "facilitator": ("view",),
    },
}


def codenames(table: dict[str, dict[str, tuple[str, ...]]] = SECRETARIAT_PERMISSIONS) -> set[tuple[str, str]]:
    """``{(app_label, codename)}`` for a permission table (``view`` on ``report`` → ``view_report``)."""
    result = set()
    for app_label, models in table.items():
        for model, actions in models.items():
            for action in actions:
                result.add((app_label, action if "_" in action else f"{action}_{model}"))
    return result


def permissions_create(*, apps=global_apps, using: str = "default") -> None:
    """Create the content types and permissions of every installed app now, rather than
    after ``migrate`` finishes (Django only does it in its ``post_migrate`` signal)."""
    for app_config in apps.get_app_configs():
        # Historical app configs have no models module; create_permissions skips those.
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        try:
            create_permissions(app_config, apps=apps, verbosity=0, using=using)
        finally:
            app_config.models_module = original


def secretariat_group_ensure(
    *,
    apps=global_apps,
    using: str = "default",
    table: dict[str, dict[str, tuple[str, ...]]] = SECRETARIAT_PERMISSIONS,
):
    """Create the "Secretariat" group (if missing) and give it exactly the permissions of
    ``table``: permissions it had beyond those are removed."""
    permissions_create(apps=apps, using=using)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    wanted = codenames(table)
    found = [
        p
        for p in Permission.objects.using(using)
        .select_related("content_type")
        .filter(codename__in={codename for _app, codename in wanted})
        if (p.content_type.app_label, p.codename) in wanted
    ]
    missing = wanted - {(p.content_type.app_label, p.codename) for p in found}
    if missing:
        raise LookupError(f"permissions not found: {sorted(missing)}")
    group, _created = Group.objects.using(using).get_or_create(name=SECRETARIAT_GROUP)
    group.permissions.set(found)
    return group
