"""Review by section on the secretariat's report page: a verdict and comment per section, kept
when refused; "Request changes" with flagged sections only; the next review's per-section changes;
internal notes the entity never sees; the reviewer and "my reviews"."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from reports import reviewing, services
from reports.models import Report, SectionReview
from tests import factories
from tests.accounts import staff_client
from tests.reports.test_section_review import edit
from tests.reports.test_services import complete

pytestmark = pytest.mark.django_db
S = Report.Status


@pytest.fixture
def submitted(report, owner):
    complete(report, owner)
    services.report_submit(report=report, user=owner)
    report.refresh_from_db()
    return report


def page_of(client, report):
    response = client.get(reverse("admin:reports_report_change", args=[report.pk]))
    assert response.status_code == 200
    return response.content.decode()


def review_section(client, report, section, verdict, comment=""):
    url = reverse("admin:reports_report_section_review", args=[report.pk])
    return client.post(url, {"section": section, "verdict": verdict, "comment": comment}, follow=True)


def panel(page, key):
    return page.split(f'id="review-{key}"')[1].split("</li>")[0]


def test_every_section_and_action_line_can_be_marked(secretariat_client, submitted):
    page = page_of(secretariat_client, submitted)
    sections = page.split('id="sections"')[1].split("</section>")[0]
    for key in (
        "executive-summary",
        "line-C1",
        "line-C7",
        "line-C7.GOV",
        "line-C11",
        "strategies",
        "contact",
    ):
        assert f'id="review-{key}"' in sections
    assert "#line-" in panel(page, "line-C2")  # "Show in the report" points at the document's section


def test_a_section_marked_needs_changes_shows_its_verdict_and_comment(secretariat_client, submitted):
    response = review_section(secretariat_client, submitted, "line-C2", "needs_changes", "Give the numbers.")
    page = response.content.decode()
    assert "“C2. Information and communication infrastructure”: Needs changes." in page
    row = panel(page, "line-C2")
    assert "wsis-verdict-needs_changes" in row
    assert "Give the numbers.</textarea>" in row
    assert "1 section marked “Needs changes” is sent with its comment." in page
    review = SectionReview.objects.get()
    assert (review.section, review.submission_number, review.sent_at) == ("line-C2", 1, None)


def test_needs_changes_without_a_comment_is_refused_on_that_section_keeping_the_choice(
    secretariat_client, submitted
):
    response = review_section(secretariat_client, submitted, "challenges", "needs_changes", "  ")
    assert response.status_code == 200
    page = response.content.decode()
    row = panel(page, "challenges")
    assert 'role="alert">Say what should change in this section' in row
    assert "<details open>" in row
    assert 'value="needs_changes" checked' in row
    assert not SectionReview.objects.exists()


def test_request_changes_with_flagged_sections_only(secretariat_client, submitted):
    review_section(secretariat_client, submitted, "line-C2", "needs_changes", "Give the numbers.")
    url = reverse("admin:reports_report_request_changes", args=[submitted.pk])
    response = secretariat_client.post(url, {"message": ""}, follow=True)
    assert "Changes requested from" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == S.CHANGES_REQUESTED
    assert SectionReview.objects.get().sent_at is not None
    page = page_of(secretariat_client, submitted)
    assert "Sent to the entity with the changes request" in page
    assert 'name="verdict"' not in page  # nothing to mark until the entity submits again


def test_the_next_review_shows_the_flagged_sections_changes_and_answers(secretariat_client, submitted, owner):
    review_section(secretariat_client, submitted, "line-C2", "needs_changes", "Give the numbers.")
    review_section(secretariat_client, submitted, "vision", "needs_changes", "Who will you work with?")
    secretariat_client.post(
        reverse("admin:reports_report_request_changes", args=[submitted.pk]), {"message": ""}
    )
    submitted.refresh_from_db()
    edit(submitted, "line-C2", {"achievements": "1,240 schools connected."}, owner)
    reviewing.section_review_answer(
        report=submitted, section="vision", user=owner, response="With our regulator.", addressed=False
    )
    submitted.refresh_from_db()
    services.report_submit(report=submitted, user=owner)

    page = page_of(secretariat_client, submitted)
    flagged = page.split('id="flagged-changes"')[1].split("</section>")[0]
    assert "What changed in the sections flagged on submission #1" in flagged
    c2 = flagged.split('id="flagged-line-C2"')[1].split("</article>")[0]
    assert "Give the numbers." in c2
    assert "<ins>1,240</ins> <ins>schools</ins> <ins>connected</ins>." in c2
    assert "wsis-diff-insert" in c2
    vision = flagged.split('id="flagged-vision"')[1].split("</article>")[0]
    assert "not changed" in vision
    assert "With our regulator." in vision


def test_internal_notes_are_for_the_secretariat_only(secretariat_client, submitted, owner, client):
    url = reverse("admin:reports_report_note", args=[submitted.pk])
    refused = secretariat_client.post(url, {"note": "   "})
    assert refused.status_code == 200
    assert "Write the note first." in refused.content.decode()
    secretariat_client.post(url, {"note": "Figures to check with ITU-D."})
    page = page_of(secretariat_client, submitted)
    assert "Figures to check with ITU-D." in page.split('id="notes"')[1]
    client.force_login(owner)
    for name in ("reports:workspace", "reports:submitted"):
        assert (
            "Figures to check"
            not in client.get(reverse(name, args=[submitted.pk]), follow=True).content.decode()
        )


def test_assign_to_me_and_the_my_reviews_filter(
    client, secretariat_client, secretariat_user, submitted, report
):
    other = factories.ReportFactory.create(entity=factories.EntityFactory.create(name="Other Ministry"))
    services.submission_record(report=other, user=None, at=submitted.submitted_at)
    response = secretariat_client.post(
        reverse("admin:reports_report_assign", args=[submitted.pk]), {"mine": "1"}, follow=True
    )
    assert "Rita Reviewer reviews" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.assignee == secretariat_user
    listing = secretariat_client.get(
        reverse("admin:reports_report_changelist") + "?reviewer=mine"
    ).content.decode()
    assert submitted.entity.name in listing
    assert "Other Ministry" not in listing
    nobody = secretariat_client.get(
        reverse("admin:reports_report_changelist") + "?reviewer=none"
    ).content.decode()
    assert "Other Ministry" in nobody
    assert submitted.entity.name not in nobody


def test_staff_without_the_review_permission_cannot_mark_note_or_assign(client, staff_outsider, submitted):
    staff_outsider.user_permissions.add(Permission.objects.get(codename="view_report"))
    outsider = staff_client(client, staff_outsider)
    for name, data in (
        ("admin:reports_report_section_review", {"section": "vision", "verdict": "fine"}),
        ("admin:reports_report_note", {"note": "x"}),
        ("admin:reports_report_assign", {"mine": "1"}),
    ):
        assert outsider.post(reverse(name, args=[submitted.pk]), data).status_code == 403
    assert not SectionReview.objects.exists()
