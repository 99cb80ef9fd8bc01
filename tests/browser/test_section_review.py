"""Review by section in Debian's Chromium, as the two sides do it: the Secretariat flags two
sections with comments and requests changes; the focal point sees each comment where the text is,
edits one section at a person's pace (autosave waited for, Save, reload), cannot submit again
while the other comment is not handled, answers it, submits; the reviewer then sees what changed
in each flagged section."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from reports import services
from reports.models import Report, SectionReview
from reports.permissions import secretariat_group_ensure
from tests import factories
from tests.browser.conftest import log_in_staff
from tests.browser.test_person_pace import WAIT, autosaved, press_save, type_in
from tests.reports.test_services import complete

pytestmark = pytest.mark.django_db(transaction=True)

C2_COMMENT = "Please give the number of schools connected and the year."
V_COMMENT = "Section V is one sentence: add the gaps you met in rural areas."
C2_ADDITION = " By 2024, 1,240 rural schools were connected to broadband."
V_ANSWER = "The rural gaps are described in section III.3; we keep V short on purpose."


@pytest.fixture
def people(reference_data, settings):
    settings.REPORT_AUTOSAVE_SECONDS = 2
    reviewer = factories.UserFactory.create(
        email="reviewer@wsis.example.org", first_name="Rita", last_name="Reviewer"
    )
    reviewer.is_staff = True
    reviewer.save()
    reviewer.groups.add(secretariat_group_ensure())  # flushed by earlier transactional tests
    report = factories.ReportFactory.create(
        cycle=factories.CycleFactory.create(),
        entity=factories.EntityFactory.create(name="Ministry of ICT of Kenya", acronym="MICT"),
    )
    owner = factories.MembershipFactory.create(
        entity=report.entity, user__email="focal.point@example.org"
    ).user
    complete(report, owner)
    services.report_submit(report=report, user=owner)
    return reviewer, owner, report


def flag_section(page, label: str, comment: str) -> None:
    row = page.locator(".wsis-section-reviews > li", has=page.locator("summary", has_text=label))
    row.locator("summary").click()
    row.get_by_label("Needs changes").check()
    row.get_by_label("Comment for the entity").press_sequentially(comment, delay=10)
    row.get_by_role("button", name="Save").click()
    expect(page.locator(".messagelist")).to_contain_text(f"“{label}”: Needs changes.")


def test_flagged_sections_travel_to_the_entity_and_back(page, live_server, browser, people):
    reviewer, owner, report = people
    admin_url = live_server.url + reverse("admin:reports_report_change", args=[report.pk])

    # The Secretariat flags C2 and V, then requests changes with no general message.
    page.goto(admin_url)
    log_in_staff(page, reviewer)
    page.wait_for_url(admin_url)
    flag_section(page, "C2. Information and communication infrastructure", C2_COMMENT)
    flag_section(page, "V. Challenges and Gaps", V_COMMENT)
    expect(page.locator("#flagged-help")).to_contain_text("2 sections marked “Needs changes” are sent")
    page.get_by_role("button", name="Request changes").click()
    expect(page.locator(".messagelist")).to_contain_text("Changes requested from")
    assert SectionReview.objects.filter(sent_at__isnull=False).count() == 2

    focal = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    try:
        them = focal.new_page()
        workspace = live_server.url + reverse("reports:workspace", args=[report.pk])
        them.goto(f"{live_server.url}/accounts/login/?next={reverse('reports:workspace', args=[report.pk])}")
        them.fill("#id_login", owner.email)
        them.fill("#id_password", factories.PASSWORD)
        them.get_by_role("button", name="Log in").click()
        them.wait_for_url(workspace)

        # Both comments are listed on the workspace and marked in the navigation.
        notice = them.locator(".changes-requested")
        expect(notice.locator(".flag-list li")).to_have_count(2)
        expect(notice).to_contain_text("C2. Information and communication infrastructure")
        expect(notice).to_contain_text("V. Challenges and Gaps")
        expect(them.locator('[data-outline-key="line-C2"] .outline-flag-open').first).to_be_visible()
        expect(them.locator('[data-outline-key="challenges"] .outline-flag-open')).to_be_visible()

        # C2: the comment is on the section; the focal point adds a sentence at a person's pace.
        notice.get_by_role("link", name="C2. Information and communication infrastructure").click()
        them.wait_for_url("**/sections/line-C2/**")
        expect(them.locator("#secretariat-comment")).to_contain_text(C2_COMMENT)
        before = them.input_value("#id_achievements")
        type_in(them, "#id_achievements", C2_ADDITION)
        autosaved(them)
        press_save(them)
        them.reload()
        assert them.input_value("#id_achievements") == before + C2_ADDITION
        expect(them.locator("#secretariat-comment .flag-status")).to_contain_text(
            "You have edited this section"
        )
        expect(them.locator('[data-outline-key="line-C2"] .outline-flag-handled').first).to_be_visible()

        # Submitting again is not possible while V's comment is not handled.
        them.goto(live_server.url + reverse("reports:submit", args=[report.pk]))
        missing = them.locator(".missing-list")
        expect(missing).to_contain_text(
            "V. Challenges and Gaps: the Secretariat's comment is not handled yet"
        )
        expect(missing).not_to_contain_text("C2.")
        expect(them.get_by_role("button", name="Submit the report")).to_have_count(0)

        # V: the focal point answers the comment instead of editing.
        missing.get_by_role("link", name="V. Challenges and Gaps").click()
        them.wait_for_url("**/sections/challenges/**")
        expect(them.locator("#secretariat-comment")).to_contain_text(V_COMMENT)
        them.get_by_label("Your answer to the Secretariat").press_sequentially(V_ANSWER[:20], delay=40)
        them.keyboard.insert_text(V_ANSWER[20:])
        them.get_by_role("button", name="Save the answer").click()
        expect(them.locator(".messages")).to_contain_text("Your answer on “V. Challenges and Gaps” is saved.")
        assert them.input_value("#flag-response") == V_ANSWER

        them.goto(live_server.url + reverse("reports:submit", args=[report.pk]))
        them.get_by_label("I confirm that this report is complete").check()
        them.get_by_role("button", name="Submit the report").click()
        expect(them.locator(".messages")).to_contain_text("submission no. 2", timeout=WAIT)
    finally:
        focal.close()

    # The reviewer sees, per flagged section, what changed and the answer.
    report.refresh_from_db()
    assert report.status == Report.Status.SUBMITTED
    page.goto(admin_url)
    changes = page.locator("#flagged-changes")
    expect(changes).to_contain_text("What changed in the sections flagged on submission #1")
    c2 = changes.locator("#flagged-line-C2")
    expect(c2.locator(".wsis-diff-state")).to_have_text("changed")
    expect(c2.locator("ins").first).to_be_visible()
    assert "1,240" in c2.locator(".wsis-diff-insert").inner_text()
    vision = changes.locator("#flagged-challenges")
    expect(vision.locator(".wsis-diff-state")).to_have_text("not changed")
    expect(vision).to_contain_text(V_ANSWER)
