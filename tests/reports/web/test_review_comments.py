"""The entity's side of the review by section: each comment on its section and in the navigation,
the list of what is left, answering or marking addressed, and no resubmission before that."""

import pytest
from django.urls import reverse

from reports import reviewing, services
from reports.models import Report, SectionReview
from reports.permissions import secretariat_group_ensure
from tests import factories
from tests.reports.test_services import complete

pytestmark = pytest.mark.django_db
S = Report.Status


@pytest.fixture
def sent_back(report, owner):
    """Submitted, then sent back with comments on C2 and V."""
    complete(report, owner)
    services.report_submit(report=report, user=owner)
    reviewer = factories.UserFactory.create(email="reviewer@wsis.example.org", is_staff=True)
    reviewer.groups.add(secretariat_group_ensure())
    for section, comment in (
        ("line-C2", "Give the number of schools connected."),
        ("challenges", "Add the gaps you met."),
    ):
        reviewing.section_review_set(
            report=report,
            section=section,
            verdict=SectionReview.Verdict.NEEDS_CHANGES,
            comment=comment,
            reviewer=reviewer,
        )
    services.report_request_changes(report=report, actor=reviewer, message="")
    report.refresh_from_db()
    return report


def html(response):
    assert response.status_code == 200
    return response.content.decode()


def test_the_workspace_lists_the_commented_sections_and_marks_them_in_the_navigation(member, sent_back):
    page = html(member.get(reverse("reports:workspace", args=[sent_back.pk])))
    callout = page.split('class="alert alert-warning changes-requested"')[1].split("</section>")[0]
    assert "C2. Information and communication infrastructure" in callout
    assert "V. Challenges and Gaps" in callout
    assert callout.count("to do") == 2
    assert 'data-outline-key="line-C2"' in page
    c2_item = page.split('data-outline-key="line-C2"')[1].split("</li>")[0]
    assert "outline-flag-open" in c2_item
    assert "outline-flag" not in page.split('data-outline-key="line-C3"')[1].split("</li>")[0]
    # The checklist no longer says everything is there.
    assert "the Secretariat&#x27;s comment is not handled yet" in page


def test_the_section_shows_its_comment_and_an_answer_form(member, sent_back):
    page = html(member.get(reverse("reports:section", args=[sent_back.pk, "challenges"])))
    comment = page.split('id="secretariat-comment"')[1].split("</section>")[0]
    assert "Add the gaps you met." in comment
    assert "To do: edit this section, or answer the comment below" in comment
    assert reverse("reports:section_comment", args=[sent_back.pk, "challenges"]) in comment
    assert 'id="secretariat-comment"' not in html(
        member.get(reverse("reports:section", args=[sent_back.pk, "vision"]))
    )


def test_answering_handles_the_comment_and_keeps_the_answer(member, sent_back):
    url = reverse("reports:section_comment", args=[sent_back.pk, "challenges"])
    response = member.post(url, {"response": "The gaps are listed in III.3."}, follow=True)
    page = html(response)
    assert "Your answer on “V. Challenges and Gaps” is saved." in page
    assert "The gaps are listed in III.3.</textarea>" in page
    assert "Handled: you answered the comment or marked it addressed." in page
    flags = {f.key: f.handled for f in reviewing.review_flags(report=sent_back)}
    assert flags == {"line-C2": False, "challenges": True}


def test_submitting_again_is_refused_until_every_comment_is_handled(member, sent_back):
    submit = reverse("reports:submit", args=[sent_back.pk])
    page = html(member.get(submit))
    assert "C2. Information and communication infrastructure: the Secretariat&#x27;s comment" in page
    response = member.post(submit, {"confirm": "on"})
    assert response.status_code == 400
    sent_back.refresh_from_db()
    assert sent_back.status == S.CHANGES_REQUESTED
    for key in ("line-C2", "challenges"):
        member.post(reverse("reports:section_comment", args=[sent_back.pk, key]), {"addressed": "1"})
    response = member.post(submit, {"confirm": "on"})
    assert response.status_code == 302
    sent_back.refresh_from_db()
    assert sent_back.status == S.SUBMITTED
    assert sent_back.submission_count == 2


def test_someone_of_another_entity_cannot_answer(client, sent_back, reference_data):
    stranger = factories.MembershipFactory.create(user__email="stranger@example.org").user
    client.force_login(stranger)
    url = reverse("reports:section_comment", args=[sent_back.pk, "challenges"])
    assert client.post(url, {"response": "Not mine."}).status_code == 404
    assert not SectionReview.objects.exclude(response="").exists()
