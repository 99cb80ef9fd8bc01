"""Forms: they clean what a person typed and hand the services plain data.

Every heading, label and guidance text comes from ``reports/annex.py``. A section form carries
only its own answers and the hidden ``base_version`` it was loaded with: status, entity, cycle
or version posted alongside are not fields, so they are ignored.

The largest form (one Action Line with the maximum number of success stories, or the
indicators with the maximum number of rows) stays far below ``DATA_UPLOAD_MAX_NUMBER_FIELDS``;
``SectionEditor.max_field_count`` says how far.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms.formsets import DELETION_FIELD_NAME
from django.utils.formats import number_format
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from action_lines.models import ActionLine

from .. import annex, text
from ..delivery.messages import bidi_strip
from ..models import Country, Entity
from . import places

MAX_STORIES = 20  # success stories per Action Line
MAX_INDICATORS = 30  # indicator rows
SHORT_NOTE_LENGTH = 1000  # an indicator's note
ADDRESS_LENGTH = 1000


def _count(value: int) -> str:
    return number_format(value, force_grouping=True)


class LongTextField(forms.CharField):
    """A long answer: optional, generous maximum (``REPORT_TEXT_MAX_LENGTH``) checked here with a
    message that says by how much, never by cutting the text in the browser (no ``maxlength``)."""

    def __init__(self, *, max_chars: int | None = None, rows: int = 8, **kwargs: Any) -> None:
        self.max_chars = max_chars or settings.REPORT_TEXT_MAX_LENGTH
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget",
            forms.Textarea(attrs={"rows": rows, "data-max-length": self.max_chars, "class": "js-long-text"}),
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        """Line breaks as one character each, as the counter in the page counts them (``reports.text``)."""
        return text.normalize(super().to_python(value))

    def validate(self, value: str) -> None:
        super().validate(value)
        if value and len(value) > self.max_chars:
            raise ValidationError(
                _(
                    "This answer is %(length)s characters long; the maximum is %(limit)s. "
                    "Shorten it by %(over)s characters and save again: nothing you typed was lost."
                ),
                code="max_length",
                params={
                    "length": _count(len(value)),
                    "limit": _count(self.max_chars),
                    "over": _count(len(value) - self.max_chars),
                },
            )


class NameField(forms.CharField):
    """A name (of an entity, of a person): one line, without the bidirectional controls that would
    make it read otherwise than it is written (``bidi_strip``)."""

    def to_python(self, value: Any) -> str:
        return bidi_strip(super().to_python(value) or "").strip()


class YearField(forms.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 1990)
        kwargs.setdefault("max_value", 2100)
        kwargs.setdefault("widget", forms.NumberInput(attrs={"inputmode": "numeric", "class": "input-year"}))
        super().__init__(**kwargs)


class VersionedForm(forms.Form):
    """The section version the page was loaded with; a save based on an older one is refused."""

    base_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def describe_long_fields(self) -> None:
        """Tie the guidance and the word count to each long answer for screen readers."""
        for name, field in self.fields.items():
            if isinstance(field, LongTextField):
                bound = self[name]
                ids = [f"{bound.auto_id}_count"]
                if field.help_text:
                    ids.insert(0, f"{bound.auto_id}_helptext")
                field.widget.attrs["aria-describedby"] = " ".join(ids)


# --- Section forms ------------------------------------------------------------------------


class NarrativeForm(VersionedForm):
    """Sections I, III, V, VI: one long answer per template question."""

    def __init__(self, *args: Any, spec: annex.Section, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for question in spec.questions:
            self.fields[question.name] = LongTextField(
                label=question.heading if len(spec.questions) > 1 else question.label,
                help_text=question.guidance,
                rows=12 if len(spec.questions) == 1 else 8,
            )
        self.describe_long_fields()


class LineForm(VersionedForm):
    """Section II for one Action Line: achievements, challenges, future priorities."""

    # Carried as shown, so that saving the answers keeps the line's "not applicable" mark.
    not_applicable = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for question in annex.ACTION_LINE_QUESTIONS:
            self.fields[question.name] = LongTextField(
                label=question.label, help_text=question.guidance, rows=6
            )
        self.describe_long_fields()


class RowForm(forms.Form):
    """One row of a repeatable group: a row left entirely empty is ignored; a row with anything
    in it needs its ``required_in_row`` fields.

    ``partial`` (autosave): a row still being typed — some of those fields empty — is no error
    but ``incomplete``: it stays on the page and is saved once complete, while the rest of the
    section is saved. The Save button checks every row."""

    required_in_row: tuple[str, ...] = ()
    required_messages: dict[str, Any] = {}

    def __init__(self, *args: Any, partial: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.partial = partial
        self.incomplete = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}  # Django's clean() returns cleaned_data
        if self.is_blank():
            return data
        missing = [
            name
            for name in self.required_in_row
            if name in self.fields and not data.get(name) and name not in self.errors
        ]
        if missing and self.partial:
            self.incomplete = True
            return data
        for name in missing:
            self.add_error(name, ValidationError(self.required_messages[name], code="required"))
        return data

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(name) not in (None, "", False) for name in self.fields if name != "DELETE")

    def row(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.fields if name != "DELETE"}

    @property
    def removable(self) -> bool:
        """Whether the row offers "Remove when saving": a stored row, or a posted row with
        anything in it (shown again after a refused save, a conflict or a login)."""
        return bool(self.initial) or (self.is_bound and self.has_changed())


class StoryForm(RowForm):
    title = forms.CharField(label=_("Title"), max_length=300, required=False)
    description = LongTextField(label=_("Description"), rows=4)
    url = forms.URLField(
        label=_("Link (optional)"),
        max_length=500,
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"inputmode": "url", "placeholder": "https://"}),
    )
    year = YearField(label=_("Year"))

    required_in_row = ("title", "description")
    required_messages = {
        "title": _("Give this success story a title."),
        "description": _("Describe this success story in a few sentences."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["description"].widget.attrs["aria-describedby"] = f"{self['description'].auto_id}_count"

    def row(self) -> dict[str, Any]:
        row = super().row()
        row["url"] = row.get("url") or ""
        return row


class IndicatorForm(RowForm):
    indicator = forms.CharField(
        label=annex.INDICATOR_COLUMNS[0][1],
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"list": "indicator-examples", "autocomplete": "off"}),
    )
    value = forms.CharField(label=annex.INDICATOR_COLUMNS[1][1], max_length=100, required=False)
    unit = forms.CharField(label=annex.INDICATOR_COLUMNS[2][1], max_length=60, required=False)
    year = YearField(label=annex.INDICATOR_COLUMNS[3][1])
    source = forms.CharField(label=annex.INDICATOR_COLUMNS[4][1], max_length=500, required=False)
    note = forms.CharField(
        label=annex.INDICATOR_COLUMNS[5][1],
        max_length=SHORT_NOTE_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 1}),
    )

    required_in_row = ("indicator", "value")
    required_messages = {
        "indicator": _("Name the indicator (or pick one of the template's examples)."),
        "value": _("Give the indicator's value."),
    }


class RowFormSet(forms.BaseFormSet):
    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        "too_many_forms": _("At most %(num)d rows can be saved: remove some before saving."),
    }

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove when saving")

    def rows(self) -> list[dict[str, Any]]:
        return [
            form.row()
            for form in self.forms
            if not form.is_blank() and not form.incomplete and not self._removed(form)
        ]

    def incomplete_count(self) -> int:
        return len([form for form in self.forms if form.incomplete and not self._removed(form)])

    def _removed(self, form: forms.Form) -> bool:
        """Ticked "Remove when saving"."""
        return self.can_delete and bool(form.cleaned_data.get(DELETION_FIELD_NAME, False))


StoryFormSet = cast(
    "type[RowFormSet]",
    forms.formset_factory(  # typed as the base class
        StoryForm,
        formset=RowFormSet,
        extra=1,
        can_delete=True,
        max_num=MAX_STORIES,
        absolute_max=MAX_STORIES,
        validate_max=True,
    ),
)
IndicatorFormSet = cast(
    "type[RowFormSet]",
    forms.formset_factory(
        IndicatorForm,
        formset=RowFormSet,
        extra=1,
        can_delete=True,
        max_num=MAX_INDICATORS,
        absolute_max=MAX_INDICATORS,
        validate_max=True,
    ),
)


class IndicatorsForm(VersionedForm):
    def __init__(self, *args: Any, spec: annex.Section, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        question = spec.questions[0]
        self.fields[question.name] = LongTextField(label=_("Narrative"), help_text=question.guidance, rows=8)
        self.describe_long_fields()


_CONTACT_LABELS = dict(annex.CONTACT_FIELDS)


class ContactForm(VersionedForm):
    name = NameField(label=_CONTACT_LABELS["name"], max_length=200, required=False)
    position = NameField(label=_CONTACT_LABELS["position"], max_length=200, required=False)
    unit = NameField(label=_CONTACT_LABELS["unit"], max_length=200, required=False)
    email = forms.EmailField(
        label=_CONTACT_LABELS["email"],
        required=False,
        error_messages={"invalid": _("Enter an e-mail address such as focal.point@example.org.")},
    )
    phone = forms.CharField(
        label=_CONTACT_LABELS["phone"],
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    address = forms.CharField(
        label=_CONTACT_LABELS["address"],
        max_length=ADDRESS_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["position"].widget.attrs["autocomplete"] = "organization-title"


# --- One editor per workspace section ---------------------------------------------------------


@dataclass
class FieldRow:
    """A field as the section page renders it; during a conflict, with the colleague's text."""

    field: forms.BoundField
    theirs: Any = None
    long: bool = False

    @property
    def differs(self) -> bool:
        return text.normalize(self.theirs) != text.normalize(self.field.value())


class SectionEditor:
    """The form (and repeatable rows) of one workspace section, and the data it gives the
    services: the dict shapes of ``services.report_section_values``."""

    def __init__(
        self,
        *,
        key: str,
        values: dict[str, Any],
        version: int,
        data: Any = None,
        spec: annex.Section | None = None,
        line: ActionLine | None = None,
        disabled: bool = False,
        partial: bool = False,
    ) -> None:
        """``partial``: an autosave, which saves the section without the rows still being typed
        (see ``RowForm``)."""
        self.key = key
        self.spec = spec
        self.line = line
        self.formset: RowFormSet | None = None
        self.form: forms.Form
        initial = {**values, "base_version": version}
        if line is not None:
            self.kind = "line"
            self.form = LineForm(data, initial=initial)
            self.formset = StoryFormSet(
                data,
                initial=self._rows_initial(data, values, "success_stories"),
                prefix="stories",
                form_kwargs={"partial": partial},
            )
        elif spec is None:
            raise TypeError("a section's form needs its spec or its Action Line")
        elif spec.kind is annex.Kind.INDICATORS:
            self.kind = "indicators"
            self.form = IndicatorsForm(data, initial=initial, spec=spec)
            self.formset = IndicatorFormSet(
                data,
                initial=self._rows_initial(data, values, "indicators"),
                prefix="indicators",
                form_kwargs={"partial": partial},
            )
        elif spec.kind is annex.Kind.CONTACT:
            self.kind = "contact"
            self.form = ContactForm(data, initial=initial)
        else:
            self.kind = "narrative"
            self.form = NarrativeForm(data, initial=initial, spec=spec)
        if disabled:
            for form in [self.form, *(self.formset.forms if self.formset else [])]:
                for field in form.fields.values():
                    field.disabled = True

    @staticmethod
    def _rows_initial(data: Any, values: dict[str, Any], name: str) -> list[dict[str, Any]] | None:
        """The stored rows start an unbound page; a posted page brings its own rows.

        A bound formset must not be given the stored rows as ``initial``: Django hands
        ``initial[i]`` to the i-th form even when the management form counts it as an extra
        (new) row, and skips an extra row whose data equals its initial as "unchanged". So a row
        that an autosave has already stored, still posted as new (``INITIAL_FORMS`` is not told
        about autosaves), would be dropped by the next save. Without ``initial``, a posted row
        is kept when it has anything in it and is not ticked "Remove when saving", whatever the
        management form says."""
        if data is not None:
            return None
        return values.get(name) or None

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        if self.formset is not None:
            valid = self.formset.is_valid() and valid
        return valid

    @property
    def incomplete_rows(self) -> int:
        """Rows left out of an autosave because they are still being typed."""
        return self.formset.incomplete_count() if self.formset is not None else 0

    @property
    def base_version(self) -> int:
        return int(self.form.cleaned_data["base_version"])

    def cleaned(self) -> dict[str, Any]:
        data = {k: v for k, v in self.form.cleaned_data.items() if k != "base_version"}
        if self.formset is not None:  # an Action Line's stories, or the indicators
            data["success_stories" if self.kind == "line" else "indicators"] = self.formset.rows()
        return data

    def errors(self) -> dict[str, list[str]]:
        """Every message, keyed by field label, for the autosave answer."""
        found: dict[str, list[str]] = {}
        forms_ = [self.form, *(self.formset.forms if self.formset is not None else [])]
        for form in forms_:
            for name, errors in form.errors.items():
                label = str(form.fields[name].label) if name in form.fields else str(_("Form"))
                found.setdefault(label, []).extend(str(e) for e in errors)
        if self.formset is not None and self.formset.non_form_errors():
            found.setdefault(str(_("Rows")), []).extend(str(e) for e in self.formset.non_form_errors())
        return found

    def rows(self, theirs: dict[str, Any] | None = None) -> list[FieldRow]:
        """The section's own fields (not the repeatable rows), in order, with the colleague's
        saved text beside each one during a conflict."""
        return [
            FieldRow(
                field=self.form[name],
                theirs=(theirs or {}).get(name) if theirs is not None else None,
                long=isinstance(field, LongTextField),
            )
            for name, field in self.form.fields.items()
            if name not in {"base_version", "not_applicable"}
        ]

    @classmethod
    def max_field_count(cls) -> int:
        """How many fields the largest section form posts (plus the CSRF token)."""
        per_story = len(StoryForm.base_fields) + 1  # + DELETE
        per_indicator = len(IndicatorForm.base_fields) + 1
        management = 4
        line = 2 + len(annex.ACTION_LINE_QUESTIONS) + management + MAX_STORIES * per_story
        indicators = 2 + management + MAX_INDICATORS * per_indicator
        return 1 + max(line, indicators)


# --- Entities and members ---------------------------------------------------------------------


class _ChoicesByLabel(forms.models.ModelChoiceIterator):
    """The choices in the alphabetical order of their labels in the reader's language."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from sorted((self.choice(obj) for obj in self.queryset), key=lambda c: places.sort_key(c[1]))


class CountryChoiceField(forms.ModelChoiceField):
    iterator = _ChoicesByLabel

    def label_from_instance(self, obj: Country) -> str:
        return f"{places.country_label(obj)} — {places.region_label(obj.region)}"


class EntityForm(forms.ModelForm):
    country = CountryChoiceField(
        label=_("Country"),
        queryset=Country.objects.select_related("region").order_by("name"),
        empty_label=_("Choose a country"),
        help_text=_(
            "Where the entity is based; international organizations give their headquarters. "
            "The region (shown after the country) is derived from it."
        ),
    )

    website = forms.URLField(
        label=_("Website"),
        required=False,
        max_length=200,
        assume_scheme="https",
        help_text=_("Optional, e.g. https://www.example.org"),
        widget=forms.URLInput(attrs={"placeholder": "https://", "inputmode": "url"}),
    )

    class Meta:
        model = Entity
        fields = ["name", "acronym", "stakeholder_type", "country", "website"]
        field_classes = {"name": NameField, "acronym": NameField}
        labels = {"name": _("Name of the entity"), "acronym": _("Acronym (optional)")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "organization"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}  # Django's clean() returns cleaned_data
        name, country = (data.get("name") or "").strip(), data.get("country")
        if name and country:
            clash = Entity.objects.filter(name__iexact=name, country=country)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error(
                    "name",
                    _(
                        "An entity with this name already exists in %(country)s. If it is yours, ask one "
                        "of its members to invite you."
                    )
                    % {"country": country.name},
                )
        return data


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("Colleague's e-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text=_("They receive a link valid for 14 days."),
    )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class SubmitForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I confirm that this report is complete and that I may submit it on behalf of the entity."),
        error_messages={"required": _("Tick the box to confirm before submitting.")},
    )


class NotApplicableForm(forms.Form):
    """The one-click "not applicable" switch of an Action Line."""

    base_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    not_applicable = forms.BooleanField(required=False, widget=forms.HiddenInput)


def language_choices() -> list[tuple[str, str]]:
    """The six languages, each named in itself (``العربية``, ``Русский``): a person finds their own
    whatever language the page is in."""
    return [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]


class ReportLanguageForm(forms.Form):
    """The language the entity writes its report in (``services.report_set_language``)."""

    language = forms.ChoiceField(
        label=_("Language of the report"),
        choices=language_choices,
        error_messages={"invalid_choice": _("Choose one of the portal's six languages.")},
    )
