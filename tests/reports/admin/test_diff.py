"""The diff between two submissions shows which sections changed, and how, escaped."""

import pytest
from django.urls import reverse

from action_lines.models import ActionLine
from reports import services
from reports.document import diff, snapshot
from reports.models import ActionLineProgress

from .conftest import submit_directly

pytestmark = pytest.mark.django_db


def test_a_changed_answer_is_shown_in_its_section_with_the_words_that_changed(
    secretariat_client, secretariat_user, submitted_report, owner
):
    services.report_request_changes(
        report=submitted_report, actor=secretariat_user, message="Say more on C5."
    )
    submitted_report.refresh_from_db()
    row = ActionLineProgress.objects.get(report=submitted_report, action_line__code="C5")
    row.achievements = "Schools connected.\nA national CERT <script>alert(1)</script> since 2019."
    row.save()
    submitted_report.executive_summary = "Over twenty years we connected schools and clinics."
    submitted_report.save()
    submit_directly(submitted_report, user=owner)

    response = secretariat_client.get(
        reverse("admin:reports_report_diff", args=[submitted_report.pk]) + "?a=1&b=2"
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "2 sections of" in page
    assert "II. C5: Building confidence and security in the use of ICTs — Achievements" in page
    assert "I. Executive Summary" in page
    assert "<del>hospitals</del>" in page
    assert "<ins>clinics</ins>" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page
    # The other lines are listed as unchanged.
    assert "unchanged sections" in page


def test_sections_unchanged_between_identical_documents(submitted_report):
    doc = snapshot.document_for_report(submitted_report)
    sections = diff.document_diff(doc, doc)
    assert sections
    assert not any(s.changed for s in sections)


def test_a_line_marked_not_applicable_replaces_its_answers(submitted_report):
    lines = list(ActionLine.objects.in_template_order())
    before = snapshot.document_for_report(submitted_report)
    row = ActionLineProgress.objects.get(report=submitted_report, action_line__code="C2")
    row.not_applicable = True
    row.save()
    after = snapshot.document_for_report(submitted_report)
    sections = {s.key: s for s in diff.document_diff(before, after, action_lines=lines)}
    assert sections["line-C2"].state == "added"
    assert sections["line-C2-achievements"].state == "removed"
    keys = [s.key for s in diff.document_diff(before, after, action_lines=lines)]
    assert keys.index("line-C2") < keys.index("line-C3-achievements")  # kept in template order


def test_long_unchanged_stretches_are_left_out():
    old = [f"line {n}" for n in range(10)]
    new = [*old[:5], "line five, rewritten", *old[6:]]
    result = diff.lines_diff(old, new)
    kinds = [line.kind for line in result]
    assert kinds == ["skip", "equal", "delete", "insert", "equal", "skip"]
    assert [s.text for s in result[3].segments if s.changed] == ["five, rewritten"]


def test_the_diff_page_compares_the_working_copy(secretariat_client, submitted_report):
    submitted_report.executive_summary = "A new summary being written."
    submitted_report.save()
    page = secretariat_client.get(
        reverse("admin:reports_report_diff", args=[submitted_report.pk]) + "?a=1&b=live"
    ).content.decode()
    assert "A new summary being written." in page
