"""Review by section: the Secretariat marks sections, "Request changes" sends the flagged ones,
the entity edits or answers each, submitting again waits for all of them, and the next review
sees what changed where it asked. Internal notes and the reviewer."""

import pytest
from django.core import mail
from django.utils import translation

from reports import errors, reviewing, services
from reports.delivery.messages import delivery_message
from reports.models import Delivery, Report, SectionReview
from reports.permissions import secretariat_group_ensure
from reports.selectors import review_section_labels
from tests import factories

from .test_services import complete

pytestmark = pytest.mark.django_db
S = Report.Status
V = SectionReview.Verdict


@pytest.fixture
def owner(entity):
    return factories.MembershipFactory.create(entity=entity, user__email="focal.point@example.org").user


@pytest.fixture
def reviewer(reference_data):
    user = factories.UserFactory.create(email="reviewer@wsis.example.org", is_staff=True)
    user.groups.add(secretariat_group_ensure())
    return user


@pytest.fixture
def submitted(report, owner):
    complete(report, owner)
    services.report_submit(report=report, user=owner)
    report.refresh_from_db()
    return report


def flag(report, reviewer, section, comment="Please say more.", verdict=V.NEEDS_CHANGES):
    return reviewing.section_review_set(
        report=report, section=section, verdict=verdict, comment=comment, reviewer=reviewer
    )


def edit(report, key, data, user):
    """Save a section as the workspace does, on its current version."""
    version = services.report_section_version(report=report, key=key)
    services.report_save_section(report=report, key=key, data=data, base_version=version, user=user)
    report.refresh_from_db()


def request_changes(report, reviewer, message=""):
    services.report_request_changes(report=report, actor=reviewer, message=message)
    report.refresh_from_db()
    return report


def test_a_section_is_marked_needs_changes_only_with_a_comment(submitted, reviewer):
    with pytest.raises(errors.ReportError, match="Say what should change in this section"):
        flag(submitted, reviewer, "challenges", comment="   ")
    assert not SectionReview.objects.exists()
    fine = flag(submitted, reviewer, "executive-summary", comment="", verdict=V.FINE)
    assert fine is not None
    assert fine.verdict == V.FINE
    assert fine.submission_number == 1
    changed = flag(submitted, reviewer, "executive-summary", comment="Name the years.")
    assert changed is not None
    assert changed.pk == fine.pk
    assert changed.verdict == V.NEEDS_CHANGES
    assert flag(submitted, reviewer, "executive-summary", verdict="") is None  # taken back
    assert not SectionReview.objects.exists()


def test_sections_are_marked_only_while_submitted_or_under_review(report, reviewer):
    with pytest.raises(errors.ReportError, match="while the report is submitted or under review"):
        flag(report, reviewer, "challenges")


def test_an_unknown_section_is_refused(submitted, reviewer):
    with pytest.raises(errors.ReportError, match="no such section"):
        flag(submitted, reviewer, "line-C99")
    with pytest.raises(errors.ReportError, match="no such section"):
        flag(submitted, reviewer, "action-lines")


def test_request_changes_needs_a_message_or_a_flagged_section(submitted, reviewer):
    flag(submitted, reviewer, "executive-summary", comment="", verdict=V.FINE)
    with pytest.raises(errors.ReportError, match="mark at least one section"):
        services.report_request_changes(report=submitted, actor=reviewer, message="  ")
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED


def test_request_changes_sends_the_flagged_sections_with_their_comments_in_the_reports_language(
    submitted, reviewer
):
    flag(submitted, reviewer, "challenges", comment="Section V is one sentence: add the gaps you met.")
    flag(submitted, reviewer, "line-C2", comment="Give the number of schools connected.")
    flag(submitted, reviewer, "executive-summary", comment="", verdict=V.FINE)
    submitted.language = "fr"
    submitted.save(update_fields=["language"])
    request_changes(submitted, reviewer)

    assert submitted.status == S.CHANGES_REQUESTED
    sent = SectionReview.objects.filter(sent_at__isnull=False)
    assert sorted(sent.values_list("section", flat=True)) == ["challenges", "line-C2"]
    notice = Delivery.objects.get(kind=Delivery.Kind.NOTICE_EMAIL)
    assert notice.context["sections"] == [
        {"key": "line-C2", "comment": "Give the number of schools connected."},
        {"key": "challenges", "comment": "Section V is one sentence: add the gaps you met."},
    ]
    message = delivery_message(notice)
    body = message.body
    with translation.override("fr"):
        labels = review_section_labels(["line-C2", "challenges"])
    assert labels["challenges"] in body
    assert labels["line-C2"] in body
    assert "Give the number of schools connected." in body
    assert "Section V is one sentence: add the gaps you met." in body
    assert body.index(labels["line-C2"]) < body.index(labels["challenges"])  # template order
    html = str(message.alternatives[0][0])
    assert "Give the number of schools connected." in html


def test_resubmitting_waits_until_every_flagged_section_is_edited_or_answered(submitted, reviewer, owner):
    flag(submitted, reviewer, "challenges", comment="Add the gaps you met.")
    flag(submitted, reviewer, "line-C2", comment="Give the number of schools connected.")
    request_changes(submitted, reviewer)

    flags = reviewing.review_flags(report=submitted)
    assert [(f.key, f.handled) for f in flags] == [("line-C2", False), ("challenges", False)]
    with pytest.raises(errors.SubmissionRefused) as refused:
        services.report_submit(report=submitted, user=owner)
    assert "C2." in str(refused.value)
    assert "the Secretariat's comment is not handled yet" in str(refused.value)

    # The entity edits C2.
    edit(submitted, "line-C2", {"achievements": "1,240 schools connected since 2015."}, owner)
    submitted.refresh_from_db()
    flags = reviewing.review_flags(report=submitted)
    assert [(f.key, f.edited, f.handled) for f in flags] == [
        ("line-C2", True, True),
        ("challenges", False, False),
    ]
    with pytest.raises(errors.SubmissionRefused, match=r"V\. Challenges and Gaps"):
        services.report_submit(report=submitted, user=owner)

    # An empty answer is not an answer; a real one is.
    reviewing.section_review_answer(
        report=submitted, section="challenges", user=owner, response="  ", addressed=False
    )
    with pytest.raises(errors.SubmissionRefused):
        services.report_submit(report=submitted, user=owner)
    reviewing.section_review_answer(
        report=submitted,
        section="challenges",
        user=owner,
        response="The gaps are in section III.3; we kept V short on purpose.",
        addressed=False,
    )
    submission = services.report_submit(report=submitted, user=owner)
    assert submission.number == 2


def test_marking_addressed_counts_and_can_be_taken_back(submitted, reviewer, owner):
    flag(submitted, reviewer, "vision", comment="Say who you will work with.")
    request_changes(submitted, reviewer)
    review = reviewing.section_review_answer(
        report=submitted, section="vision", user=owner, response="", addressed=True
    )
    assert review.addressed_by == owner
    assert reviewing.review_outstanding(report=submitted) == []
    reviewing.section_review_answer(
        report=submitted, section="vision", user=owner, response="", addressed=False
    )
    assert [m.key for m in reviewing.review_outstanding(report=submitted)] == ["vision"]


def test_only_flagged_sections_of_the_open_request_can_be_answered(submitted, reviewer, owner):
    flag(submitted, reviewer, "vision", comment="Say who you will work with.")
    with pytest.raises(errors.ReportError, match="while changes are requested"):
        reviewing.section_review_answer(
            report=submitted, section="vision", user=owner, response="x", addressed=True
        )
    request_changes(submitted, reviewer)
    with pytest.raises(errors.ReportError, match="asked for no change in this section"):
        reviewing.section_review_answer(
            report=submitted, section="challenges", user=owner, response="x", addressed=True
        )


def test_the_next_review_shows_what_changed_in_each_flagged_section(submitted, reviewer, owner):
    flag(submitted, reviewer, "line-C2", comment="Give the number of schools connected.")
    flag(submitted, reviewer, "vision", comment="Say who you will work with.")
    request_changes(submitted, reviewer)
    edit(submitted, "line-C2", {"achievements": "1,240 schools connected since 2015."}, owner)
    reviewing.section_review_answer(
        report=submitted, section="vision", user=owner, response="Nothing to add.", addressed=True
    )
    submitted.refresh_from_db()
    services.report_submit(report=submitted, user=owner)
    submitted.refresh_from_db()

    number, changes = reviewing.review_round_changes(report=submitted)
    assert number == 1
    assert [c.review.section for c in changes] == ["line-C2", "vision"]
    c2, vision = changes
    assert c2.changed
    inserted = [line.text for d in c2.diffs for line in d.lines if line.kind == "insert"]
    assert inserted == ["1,240 schools connected since 2015."]
    assert not vision.changed
    assert vision.review.response == "Nothing to add."
    # The new round starts clean: nothing is flagged on submission #2 yet.
    assert reviewing.reviews_of_round(report=submitted) == {}


def test_internal_notes_and_the_reviewer(submitted, reviewer, owner):
    with pytest.raises(errors.ReportError, match="Write the note first"):
        reviewing.internal_note_add(report=submitted, author=reviewer, note="  ")
    reviewing.internal_note_add(report=submitted, author=reviewer, note="Check the figures with ITU-D.")
    assert [n.text for n in reviewing.internal_notes(report=submitted)] == ["Check the figures with ITU-D."]

    assert reviewing.report_assign(report=submitted, assignee=reviewer).assignee == reviewer
    with pytest.raises(errors.ReportError, match="Only an active member of the Secretariat"):
        reviewing.report_assign(report=submitted, assignee=owner)
    assert reviewing.report_assign(report=submitted, assignee=None).assignee is None
    assert list(mail.outbox) == []  # notes and assignments tell the entity nothing
