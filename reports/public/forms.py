"""The published list's filters and search box (a GET form: every value is in the address)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from action_lines.models import ActionLine

from ..models import Country, Region, ReportingCycle, StakeholderType
from ..published import PublicFilters

MAX_QUERY = 200


class PublicFilterForm(forms.Form):
    """Search words and one value per filter. A value that is not one of the choices (an edited
    address, a line renamed since a bookmark) is shown as an error next to its filter, and only
    that filter is left out: the search and the other filters still apply."""

    q = forms.CharField(
        label=_("Search the reports"),
        required=False,
        max_length=MAX_QUERY,
        error_messages={
            "max_length": _("Search with at most %(limit_value)d characters (you typed %(show_value)d).")
        },
    )
    cycle = forms.ChoiceField(label=_("Reporting cycle"), required=False)
    action_line = forms.ChoiceField(label=_("Action Line addressed"), required=False)
    stakeholder_type = forms.ChoiceField(label=_("Stakeholder type"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    language = forms.ChoiceField(label=_("Language of the report"), required=False)

    def __init__(self, *args: Any, facets: dict[str, dict[str, int]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        any_value = ("", _("Any"))
        self.fields["cycle"].choices = [any_value, *ReportingCycle.objects.values_list("slug", "name")]  # type: ignore[attr-defined]
        self.fields["action_line"].choices = [  # type: ignore[attr-defined]
            any_value,
            *((line.code, line.label) for line in ActionLine.objects.in_template_order()),
        ]
        self.fields["stakeholder_type"].choices = [any_value, *StakeholderType.choices]  # type: ignore[attr-defined]
        # Region and country names in the reader's language (the database keeps the UN English).
        regions = [(code, gettext(name)) for code, name in Region.objects.values_list("code", "name")]
        self.fields["region"].choices = [any_value, *regions]  # type: ignore[attr-defined]
        names = [
            (code, str(countries.name(code)) or name)
            for code, name in Country.objects.values_list("code", "name")
        ]
        self.fields["country"].choices = [any_value, *sorted(names, key=lambda c: c[1])]  # type: ignore[attr-defined]
        self.fields["language"].choices = [any_value, *settings.LANGUAGES]  # type: ignore[attr-defined]

    def filters(self) -> PublicFilters:
        """The valid part of what was asked (an invalid filter is left out, its error shown)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        values = {name: str(data.get(name) or "") for name in PublicFilters.__dataclass_fields__}
        if "q" in self.errors:  # too long: search with the words that fit, keep the whole text in the box
            values["q"] = str(self.data.get("q", ""))[:MAX_QUERY]
        return PublicFilters(**values)


def choices_with_counts(form: PublicFilterForm, name: str, counts: dict[str, int]) -> list[dict[str, Any]]:
    """The options of one filter for the template: value, label, how many reports, selected."""
    selected = str(form.data.get(name, ""))
    options = []
    for value, label in form.fields[name].choices:  # type: ignore[attr-defined]
        count = counts.get(str(value), 0)
        if value and not count and value != selected:
            continue  # only values some report has (the counts are for the other filters as chosen)
        options.append(
            {"value": value, "label": label, "count": count if value else None, "selected": value == selected}
        )
    return options
