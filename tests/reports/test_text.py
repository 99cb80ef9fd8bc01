"""One form for typed text: line breaks counted once, the "addressed" rule the same in the database
and in Python."""

import pytest
from django.test import override_settings

from action_lines.models import ActionLine
from reports import services, text
from reports.annex import section
from reports.models import LINE_ADDRESSED, ActionLineProgress
from reports.web.forms import LineForm, NarrativeForm
from tests import factories


@override_settings(REPORT_TEXT_MAX_LENGTH=20)
def test_a_text_at_the_limit_with_browser_line_breaks_is_accepted_and_stored_with_one_character_each():
    typed = "line one\r\nline two\r\nxy"  # 20 characters as the page counts them, 22 as sent
    assert len(typed.replace("\r\n", "\n")) == 20
    form = NarrativeForm(
        data={"base_version": 0, "executive_summary": typed}, spec=section("executive-summary")
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["executive_summary"] == "line one\nline two\nxy"


@override_settings(REPORT_TEXT_MAX_LENGTH=20)
def test_one_character_over_the_limit_is_refused_by_the_count_the_page_shows():
    form = NarrativeForm(
        data={"base_version": 0, "executive_summary": "line one\r\nline two\r\nxyz"},
        spec=section("executive-summary"),
    )
    assert not form.is_valid()
    assert "21 characters long; the maximum is 20" in form.errors["executive_summary"][0]


def test_normalize_turns_every_break_into_lf_and_trims_the_whole_text():
    assert text.normalize("  a\r\nb\rc\n ") == "a\nb\nc"
    assert text.normalize(None) == ""
    assert text.is_blank(" \r\n\t")


@pytest.mark.django_db
def test_the_database_flag_and_the_python_rule_agree_on_what_the_form_stores(report):
    """A line whose answers are only blanks and line breaks is not addressed anywhere."""
    owner = factories.MembershipFactory.create(entity=report.entity).user
    lines = list(ActionLine.objects.in_template_order()[:3])
    answers = {
        lines[0].code: {"achievements": " \r\n \r\n", "challenges": "", "future_priorities": "\t"},
        lines[1].code: {
            "achievements": "\r\nConnected 40 schools.\r\n",
            "challenges": "",
            "future_priorities": "",
        },
        lines[2].code: {"achievements": "", "challenges": "", "future_priorities": ""},
    }
    for code, data in answers.items():
        form = LineForm(data={"base_version": 0, **data})
        assert form.is_valid(), form.errors
        cleaned = {k: v for k, v in form.cleaned_data.items() if k != "base_version"}
        report = services.report_save_section(
            report=report, key=f"line-{code}", data=cleaned, base_version=0, user=owner
        )
    rows = {row.action_line.code: row for row in ActionLineProgress.objects.filter(report=report)}
    flagged = set(
        ActionLineProgress.objects.filter(LINE_ADDRESSED, report=report).values_list(
            "action_line__code", flat=True
        )
    )
    assert flagged == {lines[1].code}
    assert {code for code, row in rows.items() if row.is_addressed} == {lines[1].code}
    assert rows[lines[1].code].achievements == "Connected 40 schools."
    report.refresh_from_db()
    assert report.lines_covered == 1


def test_20000_characters_with_200_browser_line_breaks_are_accepted_at_the_real_limit():
    """The issue's case: the page counts 20,000 of 20,000; the browser sends 20,200 (CR LF)."""
    lines = ["x" * 98] * 99 + ["y" * 99] * 102  # 201 lines: 19,800 letters and 200 breaks
    typed = "\r\n".join(lines)
    assert len(typed.replace("\r\n", "\n")) == 20_000
    assert len(typed) == 20_200
    form = NarrativeForm(
        data={"base_version": 0, "executive_summary": typed}, spec=section("executive-summary")
    )
    assert form.is_valid(), form.errors
    stored = form.cleaned_data["executive_summary"]
    assert (len(stored), stored.count("\n"), "\r" in stored) == (20_000, 200, False)

    over = NarrativeForm(
        data={"base_version": 0, "executive_summary": typed + "!"}, spec=section("executive-summary")
    )
    assert not over.is_valid()
    assert "20,001 characters long; the maximum is 20,000" in over.errors["executive_summary"][0]
