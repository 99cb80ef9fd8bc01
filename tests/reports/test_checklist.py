"""A checklist that means complete: the sections a cycle requires, the Action Lines as one entry,
and C7 addressed by its sub-lines everywhere the portal says what a report covers."""

from __future__ import annotations

import html
import io
import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.test import RequestFactory
from pypdf import PdfReader

from action_lines.models import ActionLine
from reports import annex, errors, selectors, services
from reports.admin.cycles import ReportingCycleAdmin
from reports.admin.dashboard import action_line_coverage
from reports.compilation import build as compilation
from reports.delivery.messages import submission_summary
from reports.document import snapshot
from reports.document.pdf import report_pdf
from reports.document.rendering import document_context
from reports.models import ActionLineProgress, Report, ReportingCycle
from tests import factories
from tests.conftest import fill_narratives

pytestmark = pytest.mark.django_db

C7_SUBS = ["C7.GOV", "C7.BUS", "C7.LEARN", "C7.HEALTH", "C7.EMP", "C7.ENV", "C7.AGRI", "C7.SCI"]


@pytest.fixture
def owner(report):
    return factories.MembershipFactory.create(entity=report.entity).user


def save(report, user, key, data):
    report.refresh_from_db()
    version = services.report_section_version(report=report, key=key)
    services.report_save_section(report=report, key=key, data=data, base_version=version, user=user)
    report.refresh_from_db()


def lines_and_contact(report, user, *, answered=("C1", "C2"), c7_subs=("C7.HEALTH",)):
    """Every line answered or marked not applicable, C7's own page left untouched; the contact."""
    for line in ActionLine.objects.in_template_order():
        if line.code == "C7":
            continue
        if line.code in answered or line.code in c7_subs:
            save(report, user, f"line-{line.code}", {"achievements": f"Work on {line.code}."})
        else:
            save(report, user, f"line-{line.code}", {"not_applicable": True})
    save(report, user, "contact", {"name": "Amina Diallo", "email": "focal.point@example.org"})
    report.refresh_from_db()
    return report


def missing_labels(report) -> list[str]:
    report.refresh_from_db()
    return [str(m.label) for m in selectors.report_missing_items(report=report)]


# --- Required sections ----------------------------------------------------------------------


def test_a_report_with_iii_v_and_vi_blank_is_refused_with_those_sections_named(report, owner):
    lines_and_contact(report, owner)
    save(report, owner, "indicators", {"indicators_narrative": "Coverage doubled."})

    with pytest.raises(errors.SubmissionRefused) as refused:
        services.report_submit(report=report, user=owner)

    message = str(refused.value)
    assert "III. Strategies and Policy Contributions: 1. Digital Strategy/Policy is empty" in message
    assert "III. Strategies and Policy Contributions: 2. Strategic Documents/Plans is empty" in message
    assert "III. Strategies and Policy Contributions: 3. Implementation of WSIS Mandates is empty" in message
    assert "V. Challenges and Gaps is empty" in message
    assert "VI. Future Directions and Areas for Collaboration and Vision Beyond 2025 is empty" in message
    assert "IV." not in message
    assert "Action Line" not in message
    assert "contact" not in message
    report.refresh_from_db()
    assert report.status == Report.Status.DRAFT


def test_every_one_of_iiis_three_questions_is_needed(report, owner):
    lines_and_contact(report, owner)
    fill_narratives(report, owner)
    save(
        report,
        owner,
        "strategies",
        {"digital_strategy": "A strategy.", "strategic_documents": "", "wsis_mandates": "Yes."},
    )

    assert missing_labels(report) == [
        "III. Strategies and Policy Contributions: 2. Strategic Documents/Plans is empty"
    ]


def test_iv_needs_its_narrative_not_its_rows(report, owner):
    lines_and_contact(report, owner)
    fill_narratives(report, owner)
    save(report, owner, "indicators", {"indicators_narrative": "  ", "indicators": []})
    assert missing_labels(report) == ["IV. Key Indicators of Progress is empty"]
    save(report, owner, "indicators", {"indicators_narrative": "Coverage doubled.", "indicators": []})
    assert missing_labels(report) == []


def test_the_same_report_is_accepted_when_the_cycle_does_not_require_iii_v_and_vi(report, owner):
    lines_and_contact(report, owner)
    save(report, owner, "indicators", {"indicators_narrative": "Coverage doubled."})
    report.cycle.required_sections = ["executive-summary", "action-lines", "indicators", "contact"]
    report.cycle.save()

    submission = services.report_submit(report=report, user=owner)

    assert submission.number == 1
    assert Report.objects.get(pk=report.pk).status == Report.Status.SUBMITTED


def test_a_cycle_that_requires_nothing_accepts_an_empty_report(report, owner):
    report.cycle.required_sections = []
    report.cycle.save()
    assert selectors.report_missing_items(report=report) == []


def test_the_action_lines_are_one_grouped_entry_with_how_many_are_left(report, owner):
    for code in ["C1", "C2", "C3", "C4", "C5"]:
        save(report, owner, f"line-{code}", {"not_applicable": True})

    missing = selectors.report_missing_items(report=report)

    line_entries = [m for m in missing if "Action Line" in str(m.label)]
    assert [(m.key, str(m.label)) for m in line_entries] == [
        ("action-lines", "II: 14 Action Lines still to fill in or mark not applicable")
    ]
    assert not any(m.key.startswith("line-") for m in missing)


def test_the_workspace_checklist_shows_one_entry_linking_to_the_bulk_page(client, report, owner):
    client.force_login(owner)
    page = client.get(f"/reports/{report.pk}/").content.decode()
    bulk = f"/reports/{report.pk}/lines/not-applicable/"
    assert f'<a href="{bulk}">II: 19 Action Lines still to fill in or mark not applicable</a>' in page
    assert page.count('class="missing-list"') == 1
    assert "C7. E-Health: fill it in" not in page


def test_the_cycle_admin_offers_the_sections_by_title_and_saves_them_in_template_order(reference_data):
    cycle = factories.CycleFactory.create()
    superuser = User.objects.create_superuser("root", "root@example.org", "x")
    request = RequestFactory().get("/")
    request.user = superuser
    model_admin = ReportingCycleAdmin(ReportingCycle, admin.site)
    form_class = model_admin.get_form(request, obj=cycle)

    unbound = form_class(instance=cycle)
    widget = str(unbound["required_sections"])  # the checkboxes as the Secretariat sees them
    offered = re.findall(r'type="checkbox" name="required_sections" value="([^"]+)"', widget)
    assert offered == [s.key for s in annex.SECTIONS]
    positions = [widget.index(html.escape(s.heading)) for s in annex.SECTIONS]
    assert positions == sorted(positions)
    assert widget.count(" checked") == len(annex.SECTIONS)  # the default: every section
    assert unbound["required_sections"].value() == cycle.required_sections

    data = {
        "name": cycle.name,
        "slug": cycle.slug,
        "opens_at_0": cycle.opens_at.strftime("%Y-%m-%d"),
        "opens_at_1": cycle.opens_at.strftime("%H:%M:%S"),
        "deadline_0": cycle.deadline.strftime("%Y-%m-%d"),
        "deadline_1": cycle.deadline.strftime("%H:%M:%S"),
        "late_policy": cycle.late_policy,
        "secretariat_email": cycle.secretariat_email,
        "secretariat_address": "",
        "time_zone": "Europe/Zurich",
        "reminder_offsets": "14, 7",
        "required_sections": ["contact", "executive-summary"],
    }
    form = form_class(data=data, instance=cycle)
    assert form.is_valid(), form.errors
    form.save()
    cycle.refresh_from_db()
    assert cycle.required_sections == ["executive-summary", "contact"]


# --- C7 addressed by its sub-lines ----------------------------------------------------------------


def test_c7_counts_as_addressed_when_only_its_sub_lines_are_answered(report, owner):
    lines_and_contact(report, owner, c7_subs=("C7.GOV", "C7.HEALTH"))
    fill_narratives(report, owner)

    assert missing_labels(report) == []  # C7's own answers are not needed
    assert selectors.lines_open(report=report) == []
    states = selectors.outline_states(selectors.report_outline(report=report))
    assert states["line-C7"].state == selectors.COMPLETE
    # C1, C2, C7.GOV, C7.HEALTH, and C7 once for its sub-lines.
    assert report.lines_covered == 5


def test_c7_with_no_sub_line_answered_is_still_to_do(report, owner):
    lines_and_contact(report, owner, c7_subs=())
    fill_narratives(report, owner)
    assert missing_labels(report) == ["II: 1 Action Line still to fill in or mark not applicable"]
    assert [line.code for line in selectors.lines_open(report=report)] == ["C7"]
    save(report, owner, "line-C7", {"not_applicable": True})
    assert missing_labels(report) == []


def test_the_preview_and_the_pdf_say_c7_is_addressed_in_its_sub_lines(report, owner):
    lines_and_contact(report, owner, c7_subs=("C7.HEALTH",))
    doc = snapshot.document_for_report(report)

    html = render_to_string("reports/document/report.html", document_context(doc))
    c7 = html[html.index('id="line-c7"') : html.index('id="line-c7-gov"')]
    assert "Addressed in its sub-lines below." in c7
    assert "No answer given." not in c7
    assert (
        "is-covered"
        in html[html.rindex("<section", 0, html.index('id="line-c7"')) : html.index('id="line-c7"')]
    )

    rendered = report_pdf(doc, number=1)
    text = " ".join(
        " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(rendered.content)).pages).split()
    )
    after_c7 = text[text.rindex("C7: ICT applications") :]  # the body's heading, after the contents
    assert after_c7.index("Addressed in its sub-lines below.") < after_c7.index("C7. E-Government")
    assert "No answer given" not in after_c7[: after_c7.index("C7. E-Government")]


def test_c7_marked_not_applicable_with_an_answered_sub_line_is_addressed_everywhere(report, owner):
    """The mark is ignored: the sub-line's answer says C7 applies (the bulk page refuses to set it;
    a mark left from before the sub-line was answered stays stored but does not count)."""
    lines_and_contact(report, owner, c7_subs=("C7.HEALTH",))
    fill_narratives(report, owner)
    save(report, owner, "line-C7", {"not_applicable": True})
    report.refresh_from_db()

    assert missing_labels(report) == []
    assert report.lines_covered == 4  # C1, C2, C7.HEALTH and C7
    states = selectors.outline_states(selectors.report_outline(report=report))
    assert states["line-C7"].state == selectors.COMPLETE

    html = render_to_string(
        "reports/document/report.html", document_context(snapshot.document_for_report(report))
    )
    c7 = html[html.index('id="line-c7"') : html.index('id="line-c7-gov"')]
    assert "Not applicable to this entity." not in c7
    assert "Addressed in its sub-lines below." in c7

    submission = services.submission_record(report=report, user=owner, at=report.updated_at)
    summary = submission_summary(submission)
    c7_label = ActionLine.objects.get(code="C7").label
    assert c7_label in summary["lines_covered"]
    assert c7_label not in summary["lines_not_applicable"]
    assert "C7. E-Health" in summary["lines_covered"]
    assert "C7. E-Government" in summary["lines_not_applicable"]


def test_the_secretariats_e_mail_lists_c7_when_only_a_sub_line_is_answered(report, owner):
    lines_and_contact(report, owner, c7_subs=("C7.GOV",))
    fill_narratives(report, owner)
    submission = services.submission_record(report=report, user=owner, at=report.updated_at)

    summary = submission_summary(submission)

    labels = {line.code: line.label for line in ActionLine.objects.all()}
    assert summary["lines_covered"] == [labels["C1"], labels["C2"], labels["C7"], labels["C7.GOV"]]
    assert labels["C7"] not in summary["lines_not_applicable"]


def test_the_dashboard_counts_c7_for_reports_that_answered_only_sub_lines(reference_data):
    cycle = factories.CycleFactory.create()
    for subs, c7_mark in [(("C7.GOV",), False), (("C7.HEALTH", "C7.SCI"), True), ((), True)]:
        report = factories.ReportFactory.create(cycle=cycle)
        owner = factories.MembershipFactory.create(entity=report.entity).user
        lines_and_contact(report, owner, c7_subs=subs)
        if c7_mark:
            save(report, owner, "line-C7", {"not_applicable": True})
        services.submission_record(report=report, user=owner, at=report.updated_at)

    coverage = {c.line.code: c for c in action_line_coverage(cycle=cycle)}

    assert (coverage["C7"].addressed, coverage["C7"].not_applicable) == (2, 1)
    assert (coverage["C7.HEALTH"].addressed, coverage["C7.GOV"].addressed) == (1, 1)
    assert (coverage["C1"].addressed, coverage["C1"].not_applicable) == (3, 0)


def test_the_by_action_line_compilation_lists_c7_with_its_sub_lines_contributions(corpus, tmp_path):
    cycle, _subs = corpus  # two of the three reports answered only C7.HEALTH under C7
    out = tmp_path / "c7.pdf"
    compilation.compilation_build(compilation.Selection(cycle=cycle.slug, action_lines=("C7",)), out)

    reader = PdfReader(out)
    titles: list[str] = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(str(item.title))

    walk(reader.outline)
    c7 = titles.index("C7: ICT applications: E-government, e-business, e-learning, e-health, etc.")
    gov = titles.index("C7. E-Government")
    assert titles[c7 + 1 : gov] == [
        "Zeta Digital Rights Foundation — Civil Society, Kenya",
        "Beta Institute of Technology — Academia, China",
    ]
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    assert "2 contributions" in text


def test_lines_covered_counts_c7_once_however_many_sub_lines(report, owner):
    for code in C7_SUBS:
        save(report, owner, f"line-{code}", {"achievements": f"Work on {code}."})
    report.refresh_from_db()
    assert report.lines_covered == 9
    save(report, owner, "line-C7", {"achievements": "C7 itself."})
    report.refresh_from_db()
    assert report.lines_covered == 9
    assert ActionLineProgress.objects.filter(report=report, addressed=True).count() == 9
