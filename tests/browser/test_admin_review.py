"""The secretariat's review in a real browser: filter the report list by an Action Line, open a
report, request changes with a message; the stakeholder then sees the message on their
workspace."""

import pytest
from django.urls import reverse

from reports.models import Report
from reports.permissions import secretariat_group_ensure
from tests import factories
from tests.browser.conftest import log_in_staff
from tests.reports.admin.conftest import fill, submit_directly

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGE = "Please add the sources of your indicators and expand C5 on cybersecurity."


@pytest.fixture
def people(reference_data):
    reviewer = factories.UserFactory.create(
        email="reviewer@wsis.example.org", first_name="Rita", last_name="Reviewer"
    )
    reviewer.is_staff = True
    reviewer.save()
    reviewer.groups.add(secretariat_group_ensure())  # flushed by earlier transactional tests
    owner = factories.UserFactory.create(email="focal.point@ministry.example.org")
    return reviewer, owner


@pytest.fixture
def reports(people, cycle):
    _reviewer, owner = people
    on_security = factories.ReportFactory.create(
        cycle=cycle, entity=factories.EntityFactory.create(name="Ministry of ICT of Kenya", acronym="MICT")
    )
    factories.MembershipFactory.create(entity=on_security.entity, user=owner)
    fill(on_security, codes=("C1", "C5"))
    submit_directly(on_security, user=owner)
    elsewhere = factories.ReportFactory.create(
        cycle=cycle,
        entity=factories.EntityFactory.create(name="Andes Networks Ltd", stakeholder_type="private_sector"),
    )
    fill(elsewhere, codes=("C2",))
    submit_directly(elsewhere)
    return on_security, elsewhere


def test_the_secretariat_requests_changes_and_the_stakeholder_sees_the_message(
    page, live_server, people, reports, browser
):
    reviewer, owner = people
    on_security, _elsewhere = reports

    page.goto(live_server.url + reverse("admin:reports_report_changelist"))
    page.wait_for_url("**/accounts/login/?next=**")
    log_in_staff(page, reviewer)
    page.wait_for_url("**/admin/reports/report/")
    assert page.get_by_role("link", name="Andes Networks Ltd").is_visible()

    # Filter by Action Line C5: the folded filter opens, the list keeps the report on security only.
    page.locator("summary", has_text="By Action Line covered").click()
    page.get_by_role("link", name="C5 Confidence and security").click()
    page.wait_for_url("**line=C5**")
    assert page.get_by_role("link", name="Ministry of ICT of Kenya (MICT)").is_visible()
    assert page.get_by_role("link", name="Andes Networks Ltd").count() == 0

    # Open it: the report is shown read-only, with the review buttons.
    page.get_by_role("link", name="Ministry of ICT of Kenya (MICT)").click()
    page.wait_for_url(f"**/admin/reports/report/{on_security.pk}/change/**")
    assert page.get_by_role("heading", name="I. Executive Summary").is_visible()
    assert page.get_by_role("button", name="Start review").is_visible()

    # Requesting changes without a message is refused next to the field.
    page.get_by_role("button", name="Request changes").click()
    assert page.get_by_role("alert").filter(has_text="Say what should be changed").is_visible()

    page.get_by_label("What should the entity change?").fill(MESSAGE)
    page.get_by_role("button", name="Request changes").click()
    page.wait_for_load_state()
    assert "Changes requested from" in page.locator(".messagelist").inner_text()
    assert MESSAGE in page.locator("#history").inner_text()
    on_security.refresh_from_db()
    assert on_security.status == Report.Status.CHANGES_REQUESTED

    # The stakeholder logs in and finds the message on the report's workspace.
    stakeholder = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    try:
        their_page = stakeholder.new_page()
        their_page.goto(live_server.url + reverse("account_login"))
        their_page.fill("#id_login", owner.email)
        their_page.fill("#id_password", factories.PASSWORD)
        their_page.get_by_role("button", name="Log in").click()
        their_page.wait_for_load_state()
        their_page.goto(live_server.url + reverse("reports:workspace", args=[on_security.pk]))
        notice = their_page.locator(".changes-requested")
        assert notice.is_visible()
        assert MESSAGE in notice.inner_text()
    finally:
        stakeholder.close()
