"""The entities in the secretariat's admin: verify or reject them, correct them, merge duplicates.

Anyone can register an entity; the Secretariat vouches for it. The list shows each entity's
verification and filters on it; the actions "mark verified" and "mark rejected" record who
decided and when; the change page corrects the name, acronym, type, country and website (the
name must be free in the country, as on the stakeholders' form); "merge" moves a duplicate's
members, invitations and reports to the entity kept (``services.entity_merge``, one transaction,
refused when both have a report in the same cycle). Every decision is a security event
(``SecurityEvent.Kind.ENTITY``); the field history is django-auditlog's.

A report's submissions keep the entity as it was submitted (``Submission.content["entity"]``):
``identity_changed_since_submission`` is the condition the report list flags, and
``entity_changes_since_submission`` what the report page says.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.db.models.fields.json import KT
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .. import audit, services
from ..errors import ReportError
from ..models import Entity, Membership, Report, SecurityEvent, Submission
from .staff import staff_user

V = Entity.Verification
# The entity as a report was submitted: snapshot key → (Entity attribute, label).
IDENTITY = {
    "name": ("name", gettext_lazy("name")),
    "stakeholder_type": ("stakeholder_type", gettext_lazy("stakeholder type")),
    "country": ("country_id", gettext_lazy("country")),
}
MERGE_MAX = 10  # entities chosen for one merge page


# --- Changed since submission ------------------------------------------------------------------


def identity_changed_since_submission() -> Exists:
    """For a report query: whether its entity's name, stakeholder type or country differ from
    what its latest submission recorded. One subquery in the rows' query (no query per row)."""
    submitted = (
        Submission.objects.filter(report=OuterRef("pk"), number=OuterRef("submission_count"))
        .alias(
            submitted_name=KT("content__entity__name"),
            submitted_type=KT("content__entity__stakeholder_type"),
            submitted_country=KT("content__entity__country"),
        )
        .exclude(
            submitted_name=OuterRef("entity__name"),
            submitted_type=OuterRef("entity__stakeholder_type"),
            submitted_country=OuterRef("entity__country_id"),
        )
    )
    return Exists(submitted)


def entity_changes_since_submission(report: Report, content: dict[str, Any] | None) -> list[dict[str, Any]]:
    """What differs between the entity now and ``content`` (the report's latest submission):
    ``[{"label", "submitted", "now"}]``, empty when nothing does or there is no submission."""
    if not content:
        return []
    submitted = content.get("entity") or {}
    entity = report.entity
    changes = []
    for key, (attribute, label) in IDENTITY.items():
        now = getattr(entity, attribute)
        if key in submitted and submitted[key] != now:
            if key == "stakeholder_type":
                shown = (
                    submitted.get("stakeholder_type_label") or submitted[key],
                    entity.get_stakeholder_type_display(),
                )
            elif key == "country":
                shown = (submitted.get("country_name") or submitted[key], entity.country.name)
            else:
                shown = (submitted[key], now)
            changes.append({"label": label, "submitted": shown[0], "now": shown[1]})
    return changes


# --- Forms ------------------------------------------------------------------------------------


class EntityAdminForm(forms.ModelForm):
    website = forms.URLField(
        label=gettext_lazy("website"), required=False, max_length=200, assume_scheme="https"
    )

    class Meta:
        model = Entity
        fields = ["name", "acronym", "stakeholder_type", "country", "website", "verification_note"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        name, country = (data.get("name") or "").strip(), data.get("country")
        if name and country:
            clash = Entity.objects.filter(name__iexact=name, country=country).exclude(pk=self.instance.pk)
            if clash.exists():
                # The stakeholders' form says the same (reports/web/forms.py): one name per country.
                self.add_error(
                    "name",
                    _("An entity with this name already exists in %(country)s: merge the two instead.")
                    % {"country": country.name},
                )
        return data


class MergeForm(forms.Form):
    keep = forms.ModelChoiceField(
        label=gettext_lazy("Entity to keep"),
        queryset=Entity.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        help_text=gettext_lazy(
            "The other entities' members, invitations and reports move to it; the others are then deleted."
        ),
    )

    def __init__(self, *args: Any, entities: QuerySet[Entity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keep = self.fields["keep"]
        assert isinstance(keep, forms.ModelChoiceField)
        keep.queryset = entities


# --- The admin ------------------------------------------------------------------------------


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("user", "role", "created_at")
    readonly_fields = ("user", "role", "created_at")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Entity | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Entity | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("user")


class VerificationFilter(admin.SimpleListFilter):
    title = gettext_lazy("verification")
    parameter_name = "verification"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return list(V.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Entity]) -> QuerySet[Entity]:
        if self.value() in V.values:
            return queryset.filter(verification=self.value())
        return queryset


# The admin's badge colours (static/css/admin.css): green, red, grey.
BADGE: dict[str, str] = {V.VERIFIED: "wsis-status-accepted", V.REJECTED: "wsis-status-changes_requested"}


def verification_badge(entity: Entity) -> str:
    return format_html(
        '<span class="wsis-status {}">{}</span>',
        BADGE.get(entity.verification, "wsis-status-draft"),
        entity.get_verification_display(),
    )


@admin.register(Entity)
class EntityAdmin(admin.ModelAdmin):
    form = EntityAdminForm
    list_display = [
        "name",
        "verification_display",
        "stakeholder_type",
        "country",
        "country__region",
        "acronym",
    ]
    list_filter = [VerificationFilter, "stakeholder_type", "country__region"]
    list_select_related = ["country__region"]
    search_fields = ["name", "acronym"]
    inlines = [MembershipInline]
    show_full_result_count = False
    actions = ["mark_verified", "mark_rejected", "merge_selected"]
    readonly_fields = ["verification_display", "verified_at", "verified_by", "created_at"]
    fieldsets = [
        (None, {"fields": ["name", "acronym", "stakeholder_type", "country", "website"]}),
        (
            gettext_lazy("Verification by the Secretariat"),
            {
                "fields": ["verification_display", "verified_at", "verified_by", "verification_note"],
                "description": gettext_lazy(
                    "Use the actions of the entity list to mark an entity verified or rejected. The note "
                    "is for the Secretariat only."
                ),
            },
        ),
        (None, {"fields": ["created_at"]}),
    ]

    # Entities are registered by stakeholders; a duplicate goes by merging it, which keeps its reports.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Entity | None = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("verification"), ordering="verification")
    def verification_display(self, entity: Entity) -> str:
        return verification_badge(entity)

    # --- Corrections ---

    def save_model(self, request: HttpRequest, obj: Entity, form: forms.ModelForm, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
        changes = services.entity_correct(entity=obj, actor=staff_user(request), **fields)
        if changes:
            audit.record(
                request,
                SecurityEvent.Kind.ENTITY,
                obj=obj,
                action="corrected",
                changes={name: value for name, value in changes.items() if name != "verification_note"},
                after_submission=services.entity_has_submissions(entity=obj),
            )

    # --- Verification ---

    def _decide(self, request: HttpRequest, queryset: QuerySet[Entity], verification: str) -> None:
        actor = staff_user(request)
        decided = 0
        for entity in queryset.order_by("pk"):
            entity = services.entity_verify(entity=entity, actor=actor, verification=verification)
            audit.record(request, SecurityEvent.Kind.ENTITY, obj=entity, action=verification)
            decided += 1
        self.message_user(
            request,
            ngettext("%(n)d entity marked “%(state)s”.", "%(n)d entities marked “%(state)s”.", decided)
            % {"n": decided, "state": V(verification).label},
            messages.SUCCESS,
        )

    @admin.action(description=gettext_lazy("Mark the selected entities verified"), permissions=["change"])
    def mark_verified(self, request: HttpRequest, queryset: QuerySet[Entity]) -> None:
        self._decide(request, queryset, V.VERIFIED)

    @admin.action(description=gettext_lazy("Mark the selected entities rejected"), permissions=["change"])
    def mark_rejected(self, request: HttpRequest, queryset: QuerySet[Entity]) -> None:
        self._decide(request, queryset, V.REJECTED)

    # --- Merging duplicates ---

    @admin.action(description=gettext_lazy("Merge the selected entities…"), permissions=["change"])
    def merge_selected(self, request: HttpRequest, queryset: QuerySet[Entity]) -> HttpResponse | None:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[: MERGE_MAX + 1])
        if not 2 <= len(ids) <= MERGE_MAX:
            self.message_user(
                request,
                _("Choose between 2 and %(max)d entities to merge.") % {"max": MERGE_MAX},
                messages.WARNING,
            )
            return None
        return redirect(f"{reverse('admin:reports_entity_merge')}?ids={','.join(map(str, ids))}")

    def get_urls(self) -> list[URLPattern]:
        return [
            path("merge/", self.admin_site.admin_view(self.merge_view), name="reports_entity_merge"),
            *super().get_urls(),
        ]

    def merge_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        raw = request.POST.get("ids") or request.GET.get("ids", "")
        ids = sorted({int(part) for part in raw.split(",") if part.strip().isdigit()})[:MERGE_MAX]
        entities = Entity.objects.filter(pk__in=ids).select_related("country").order_by("name", "pk")
        changelist = reverse("admin:reports_entity_changelist")
        if entities.count() < 2:
            self.message_user(request, _("Choose at least two entities to merge."), messages.WARNING)
            return HttpResponseRedirect(changelist)
        form = MergeForm(request.POST if request.method == "POST" else None, entities=entities)
        if request.method == "POST" and form.is_valid():
            keep = form.cleaned_data["keep"]
            duplicates = [e for e in entities if e.pk != keep.pk]
            try:
                with transaction.atomic():
                    for duplicate in duplicates:
                        moved = services.entity_merge(
                            keep=keep, duplicate=duplicate, actor=staff_user(request)
                        )
                        audit.record(
                            request,
                            SecurityEvent.Kind.ENTITY,
                            obj=keep,
                            action="merged",
                            merged_id=duplicate.pk,
                            merged_name=duplicate.name,
                            moved=moved,
                        )
            except ReportError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    ngettext(
                        "%(n)d entity merged into “%(keep)s”: its members, invitations and reports are now "
                        "this entity's.",
                        "%(n)d entities merged into “%(keep)s”: their members, invitations and reports are "
                        "now this entity's.",
                        len(duplicates),
                    )
                    % {"n": len(duplicates), "keep": keep.name},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:reports_entity_change", args=[keep.pk]))
        rows = entities.annotate(
            member_count=Count("memberships", distinct=True), report_count=Count("reports", distinct=True)
        ).prefetch_related("reports__cycle")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Merge duplicate entities"),
            "form": form,
            "entities": rows,
            "ids": ",".join(str(e.pk) for e in entities),
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/reports/entity/merge.html", context)


def entity_flag(report: Report) -> str:
    """The report list's mark next to an entity whose name, type or country changed since the
    report's latest submission (``identity_changed_since_submission`` annotated as ``entity_changed``)."""
    if not getattr(report, "entity_changed", False):
        return ""
    return format_html(
        ' <span class="wsis-flag wsis-flag-late" title="{}">{}</span>',
        _("The entity's name, type or country is not what the latest submission says."),
        _("Changed since submission"),
    )


__all__ = [
    "EntityAdmin",
    "MembershipInline",
    "entity_changes_since_submission",
    "entity_flag",
    "identity_changed_since_submission",
    "verification_badge",
]
