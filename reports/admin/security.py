"""The security audit log in admin: the Secretariat reads it, nobody writes it.

``SecurityEventAdmin`` lists the events ``reports.audit.record`` wrote (logins, failures, lockouts,
second factors, denied access, exports, downloads, member, invitation, entity and review events),
with their time in UTC. django-auditlog's own ``LogEntry`` admin (model history of entities,
memberships and invitations) is kept, with its time in UTC too, searchable by the actor's e-mail and
filterable by actor as well as by model. Both are view-only: the Secretariat group holds their
``view`` permissions (``reports/permissions.py``) and no one can add, change or delete a row here
(the housekeeping task deletes rows past their retention).
"""

from __future__ import annotations

from datetime import UTC, datetime

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..models import SecurityEvent


def utc(moment: datetime | None) -> str:
    """``2026-12-03 11:20:05 +00:00``: the same moment for every reader, whatever their time zone."""
    if moment is None:
        return ""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} +00:00"


class ViewOnly:
    """No add, change or delete, for anyone (superusers included): an audit log is not edited."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


EVENT_FIELDS = (
    "time",
    "kind",
    "actor_email",
    "actor",
    "client_ip",
    "object_type",
    "object_id",
    "object_repr",
    "path",
    "detail",
)


@admin.register(SecurityEvent)
class SecurityEventAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["time", "kind", "actor_email", "client_ip", "object_display", "path"]
    list_display_links = ["time"]
    list_filter = ["kind", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["actor_email", "client_ip", "=object_id", "object_repr"]
    search_help_text = _("An e-mail address, a client address, an object's id or name.")
    list_per_page = 100
    # Counting a long log on every page is what makes audit lists slow; the filtered count stays.
    show_full_result_count = False
    fields = EVENT_FIELDS
    readonly_fields = EVENT_FIELDS

    @admin.display(description=_("time (UTC)"), ordering="created_at")
    def time(self, event: SecurityEvent) -> str:
        return utc(event.created_at)

    @admin.display(description=_("object"), ordering="object_type")
    def object_display(self, event: SecurityEvent) -> str:
        if not event.object_type:
            return ""
        name = f" {event.object_repr}" if event.object_repr else ""
        return f"{event.object_type} #{event.object_id}{name}"


class ModelHistoryAdmin(LogEntryAdmin):
    """django-auditlog's ``LogEntry`` admin (already without add, change or delete), with times in
    UTC, a filter by actor and the actor's e-mail among the searched fields (accounts log in with
    their e-mail, not a user name)."""

    list_filter = [*LogEntryAdmin.list_filter, ("actor", admin.RelatedOnlyFieldListFilter)]
    search_fields = [*LogEntryAdmin.search_fields, "actor__email"]
    show_full_result_count = False

    @admin.display(description=_("time (UTC)"), ordering="timestamp")
    def created(self, obj: LogEntry) -> str:
        return utc(obj.timestamp)


admin.site.unregister(LogEntry)
admin.site.register(LogEntry, ModelHistoryAdmin)
