"""The reporting cycles in the secretariat's admin: opening a cycle (WSIS+20, WSIS+25 …) is filling in
this form, with no code change. Dates and the deadline's time zone, the late rule, the sections a
report needs before it can be submitted (ticked over ``reports/annex.py``'s sections) and the reminder
days; a new cycle starts from the latest one's settings, and the form says in words what is wrong."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.http import HttpRequest
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .. import deadlines
from ..annex import SECTIONS
from ..models import ReportingCycle

# What a new cycle copies from the latest one (the dates and names are the new cycle's own).
CARRIED_OVER = (
    "time_zone",
    "late_policy",
    "secretariat_email",
    "secretariat_address",
    "required_sections",
    "reminder_offsets",
)


class TimeZoneField(forms.ChoiceField):
    """An IANA time zone, chosen from the list and checked with zoneinfo."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=lambda: [(name, name) for name in deadlines.time_zone_names()], **kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if deadlines.zone_get(value) is None:
            raise forms.ValidationError(
                _("“%(value)s” is not a time zone (e.g. Europe/Zurich).") % {"value": value}
            )


class ReminderDaysField(forms.CharField):
    """The cycle's reminder days, typed as whole numbers separated by commas: days before the
    deadline, or after it when negative."""

    MAX_DAYS = 366

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "help_text",
            gettext_lazy(
                "Whole numbers of days, separated by commas, e.g. 14, 7, 1, -1: reminders that many days "
                "before the deadline; a negative number is days after it (sent only to reports started "
                "and not submitted). Empty: no reminders."
            ),
        )
        super().__init__(required=False, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(str(day) for day in value)
        return value

    def to_python(self, value: Any) -> list[int]:  # type: ignore[override]
        if isinstance(value, list):
            return value
        days: set[int] = set()
        for part in str(value or "").replace(";", ",").split(","):
            part = part.strip().replace("\u2212", "-")
            if not part:
                continue
            try:
                day = int(part)
            except ValueError:
                raise forms.ValidationError(
                    _(
                        "“%(value)s” is not a whole number of days. Type numbers separated by commas, "
                        "e.g. 14, 7, 1, -1."
                    )
                    % {"value": part}
                ) from None
            if abs(day) > self.MAX_DAYS:
                raise forms.ValidationError(
                    ngettext(
                        # Translators: %(value)d is always more than 365 here; %(max)d is 365.
                        "%(value)d day is more than a year; reminders can be up to %(max)d days before "
                        "or after the deadline.",
                        "%(value)d days is more than a year; reminders can be up to %(max)d days before "
                        "or after the deadline.",
                        abs(day),
                    )
                    % {"value": day, "max": self.MAX_DAYS}
                )
            days.add(day)
        return sorted(days, reverse=True)


def _section_choices() -> list[tuple[str, str]]:
    return [(spec.key, spec.heading) for spec in SECTIONS]


class ReportingCycleForm(forms.ModelForm):
    """The cycle's admin form (the admin adds the model's fields). The sections a report needs
    before it can be submitted are ticked by their titles (``selectors.report_missing_items``)."""

    required_sections = forms.MultipleChoiceField(
        label=gettext_lazy("Required sections"),
        choices=_section_choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy(
            "A report can be submitted once these are filled in. “Progress on WSIS Action Lines” "
            "means every Action Line answered or marked not applicable; “Key Indicators of "
            "Progress” its narrative; “Strategies and Policy Contributions” its three questions."
        ),
    )

    def clean_required_sections(self) -> list[str]:
        chosen = set(self.cleaned_data.get("required_sections") or ())
        return [spec.key for spec in SECTIONS if spec.key in chosen]  # template order

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        opens_at, deadline = cleaned.get("opens_at"), cleaned.get("deadline")
        if opens_at and deadline:
            if deadline <= opens_at:
                self.add_error(
                    "deadline",
                    _("The deadline must come after the opening date; it is now on or before it."),
                )
            else:
                self._check_overlap(opens_at, deadline)
        return cleaned

    def _check_overlap(self, opens_at: Any, deadline: Any) -> None:
        """Stakeholders report in the cycle that opened last (``selectors.cycle_current``): a cycle
        that opens before another one's deadline would take that one away from entities still
        writing, and one that opens inside an earlier window would never be current."""
        others = ReportingCycle.objects.exclude(pk=self.instance.pk).filter(
            opens_at__lt=deadline, deadline__gt=opens_at
        )
        other = others.order_by("opens_at").first()
        if other is not None:
            self.add_error(
                "opens_at",
                _(
                    "“%(other)s” runs until %(deadline)s, and stakeholders report in one cycle at a "
                    "time: open this cycle after that deadline (or move that cycle's dates first)."
                )
                % {"other": other.name, "deadline": deadlines.moment(other, other.deadline).text},
            )


@admin.register(ReportingCycle)
class ReportingCycleAdmin(admin.ModelAdmin):
    form = ReportingCycleForm
    list_display = ["name", "slug", "opens_at", "deadline_display", "late_policy", "report_count"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug"]}),
        (gettext_lazy("Dates"), {"fields": ["opens_at", "deadline", "time_zone", "late_policy"]}),
        (gettext_lazy("What a report needs"), {"fields": ["required_sections"]}),
        (gettext_lazy("Reminders"), {"fields": ["reminder_offsets"]}),
        (gettext_lazy("The Secretariat"), {"fields": ["secretariat_email", "secretariat_address"]}),
    ]

    @admin.display(description=gettext_lazy("deadline"), ordering="deadline")
    def deadline_display(self, cycle: ReportingCycle) -> str:
        return deadlines.moment(cycle, cycle.deadline).text

    @admin.display(description=gettext_lazy("reports"))
    def report_count(self, cycle: ReportingCycle) -> int:
        return getattr(cycle, "report_total", 0)

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).annotate(report_total=Count("reports"))

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """A new cycle starts from the latest cycle's settings (time zone, late rule, required
        sections, reminder days, the Secretariat's address): only the name and dates are new."""
        initial = super().get_changeform_initial_data(request)
        latest = ReportingCycle.objects.order_by("-opens_at").first()
        if latest is not None:
            for name in CARRIED_OVER:
                initial.setdefault(name, getattr(latest, name))
        return initial

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> forms.Field | None:
        # The deadline's time zone from the IANA list; the reminder days typed as "14, 7, 1, -1".
        if db_field.name == "time_zone":
            return TimeZoneField(label=capfirst(db_field.verbose_name), help_text=db_field.help_text)
        if db_field.name == "reminder_offsets":
            return ReminderDaysField(label=capfirst(db_field.verbose_name))
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in {"opens_at", "deadline"} and field is not None:
            # The admin's date and time boxes have one label between them: name each for screen readers.
            date_box, time_box = field.widget.widgets
            date_box.attrs["aria-label"] = _("%(field)s: date") % {"field": db_field.verbose_name}
            time_box.attrs["aria-label"] = _("%(field)s: time") % {"field": db_field.verbose_name}
        return field
