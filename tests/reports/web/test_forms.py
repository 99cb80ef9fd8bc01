"""Section forms hand the services exactly the data shapes they store."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.http import QueryDict
from django.urls import reverse

from action_lines.models import ActionLine
from reports import annex, services
from reports.models import Country, Entity
from reports.web import forms
from tests import factories

pytestmark = pytest.mark.django_db


def post(**fields) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in fields.items():
        data[name.replace("__", "-")] = value
    return data


def test_an_action_line_form_gives_the_service_its_answers_and_stories(reference_data):
    line = ActionLine.objects.get(code="C7.HEALTH")
    editor = forms.SectionEditor(
        key="line-C7.HEALTH",
        values={},
        version=0,
        spec=annex.section("action-lines"),
        line=line,
        data=post(
            base_version="3",
            achievements="  Telemedicine  ",
            challenges="",
            future_priorities="Records",
            stories__TOTAL_FORMS="3",
            stories__INITIAL_FORMS="0",
            stories__0__title="Clinics online",
            stories__0__description="Forty clinics",
            stories__0__year="2021",
            stories__1__title="",  # an empty row is ignored
            stories__2__title="Dropped",
            stories__2__description="Removed by the person",
            stories__2__DELETE="on",
        ),
    )
    assert editor.is_valid(), editor.errors()
    assert editor.base_version == 3
    assert editor.cleaned() == {
        "not_applicable": False,
        "achievements": "Telemedicine",
        "challenges": "",
        "future_priorities": "Records",
        "success_stories": [
            {"title": "Clinics online", "description": "Forty clinics", "url": "", "year": 2021}
        ],
    }


def test_forms_start_from_the_stored_values(report, reference_data):
    values = services.report_section_values(report=report, key="executive-summary")
    editor = forms.SectionEditor(
        key="executive-summary", values=values, version=4, spec=annex.section("executive-summary")
    )
    assert editor.form["executive_summary"].value() == report.executive_summary
    assert editor.form["base_version"].value() == 4
    # Labels and guidance come from the template definition.
    assert (
        editor.form.fields["executive_summary"].label == annex.section("executive-summary").questions[0].label
    )


def test_every_section_form_has_only_its_answers_and_the_base_version(reference_data):
    for spec in annex.SECTIONS:
        if spec.kind is annex.Kind.ACTION_LINES:
            continue
        editor = forms.SectionEditor(key=spec.key, values={}, version=0, spec=spec)
        names = set(editor.form.fields) - {"base_version"}
        expected = {
            annex.Kind.NARRATIVE: set(spec.field_names),
            annex.Kind.INDICATORS: set(spec.field_names),
            annex.Kind.CONTACT: {name for name, _label in annex.CONTACT_FIELDS},
        }[spec.kind]
        assert names == expected, spec.key


def test_the_largest_form_stays_well_below_djangos_field_limit():
    assert forms.SectionEditor.max_field_count() <= settings.DATA_UPLOAD_MAX_NUMBER_FIELDS // 2


RLO, LRI, PDI = "\u202e", "\u2066", "\u2069"


def test_an_entity_name_is_stored_without_bidirectional_controls(client, reference_data):
    person = factories.UserFactory.create()
    client.force_login(person)
    country = Country.objects.get(code="KE")
    response = client.post(
        reverse("reports:entity_create"),
        {
            "name": f"Ministry of {RLO}cod.exe{PDI}",
            "acronym": f"{LRI}MoE{PDI}",
            "stakeholder_type": "government",
            "country": country.pk,
        },
    )
    assert response.status_code == 302
    entity = Entity.objects.get(memberships__user=person)
    assert (entity.name, entity.acronym) == ("Ministry of cod.exe", "MoE")


def test_a_name_made_only_of_controls_is_refused_as_empty():
    form = forms.EntityForm({"name": f" {RLO}{PDI} ", "stakeholder_type": "government"})
    assert not form.is_valid()
    assert form.errors["name"] == ["This field is required."]


def test_the_follow_up_contacts_name_loses_its_controls():
    form = forms.ContactForm(post(base_version="0", name=f"{RLO}Amina Diallo", unit=f"ICT{LRI}"))
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["name"], form.cleaned_data["unit"]) == ("Amina Diallo", "ICT")
