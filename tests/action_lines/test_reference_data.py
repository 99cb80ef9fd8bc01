"""The reference data matches the source documents (seeds 004 and 001)."""

import pytest
from django.utils import translation

from action_lines.models import ActionLine, Facilitator
from action_lines.names import TITLES

pytestmark = pytest.mark.django_db

C7_SUB_LINES = [
    "E-Government",
    "E-Business",
    "E-Learning",
    "E-Health",
    "E-Employment",
    "E-Environment",
    "E-Agriculture",
    "E-Science",
]


def facilitators(code: str, role: str) -> list[str]:
    return list(
        Facilitator.objects.filter(action_line__code=code, role=role)
        .order_by("order")
        .values_list("agency__acronym", flat=True)
    )


def test_there_are_eleven_lines_and_eight_c7_sub_lines_in_template_order():
    lines = list(ActionLine.objects.in_template_order())
    assert len(lines) == 19
    top = [line.code for line in lines if not line.is_sub_line]
    assert top == [f"C{n}" for n in range(1, 12)]
    c7 = ActionLine.objects.get(code="C7")
    assert [s.short_title for s in c7.sub_lines.order_by("order")] == C7_SUB_LINES
    # Sub-lines sit right after C7 and before C8, as in the Annex 1 template.
    codes = [line.code for line in lines]
    assert codes.index("C7") + 9 == codes.index("C8")


def test_titles_are_the_templates_own_words():
    assert ActionLine.objects.get(code="C1").label == (
        "C1: The role of governments and all stakeholders in the promotion of ICTs for development"
    )
    assert ActionLine.objects.get(code="C8").title == (
        "Cultural diversity and identity, linguistic diversity, and local content"
    )
    assert ActionLine.objects.get(code="C7.HEALTH").label == "C7. E-Health"


def test_facilitators_are_those_of_the_action_lines_table():
    assert facilitators("C1", "lead") == ["UN DESA"]
    assert facilitators("C1", "co") == ["ITU", "UNESCO", "UNDP"]
    assert facilitators("C6", "co") == [
        "APC",
        "UNCTAD",
        "UN DESA",
        "UNDP",
        "UNESCO",
        "UN Regional Commissions",
        "UNIDO",
    ]
    assert facilitators("C7.BUS", "lead") == ["ITC", "UNCTAD", "UPU"]
    assert facilitators("C7.BUS", "co") == ["WTO"]
    assert facilitators("C7.ENV", "lead") == ["ITU", "UNEP", "WMO"]
    assert facilitators("C7.ENV", "co") == ["ICAO", "UN-Habitat", "WHO"]
    assert facilitators("C10", "co") == ["ECOSOC", "ECPAT Int'l", "WHO"]
    assert facilitators("C9", "co") == []
    # Every line but C7 itself (which the table splits into sub-lines) has a lead facilitator.
    without_lead = ActionLine.objects.exclude(facilitators__role="lead").values_list("code", flat=True)
    assert list(without_lead) == ["C7"]


def test_every_title_is_listed_for_translation_and_shown_in_the_readers_language(reference_data):

    for line in ActionLine.objects.all():
        assert line.title in TITLES, line.code
        assert line.short_title in TITLES, line.code
    c2 = ActionLine.objects.get(code="C2")
    e_health = ActionLine.objects.get(code="C7.HEALTH")
    assert c2.label == "C2: Information and communication infrastructure"
    with translation.override("fr"):
        assert c2.label.startswith("C2: Infrastructure")
        assert "information" in c2.label
        assert e_health.label.startswith("C7. ")
        assert e_health.label != "C7. E-Health"
    assert e_health.label == "C7. E-Health"
