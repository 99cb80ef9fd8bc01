"""The whole stakeholder journey in Debian's Chromium: sign up, confirm the address from the
e-mail, register the entity, fill in every section (all C7 sub-lines, three indicator rows),
autosave, a colleague's concurrent edit and the conflict it causes, preview, submit."""

from __future__ import annotations

import re
import time

import pytest

from action_lines.models import ActionLine
from reports.models import Report, Submission
from tests import factories
from tests.accounts import session_idles_out

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-Long-passphrase-2025"


def wait_for_mail(mailbox, address: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = mailbox.to(address)
        if found:
            return found[-1]
        time.sleep(0.1)
    raise AssertionError(f"no e-mail to {address}")


def test_stakeholder_journey_from_sign_up_to_submission(browser, live_server, reference_data, mailbox):
    factories.CycleFactory.create(name="WSIS+20 review 2025")
    base = live_server.url
    first = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    first.set_default_timeout(15_000)
    page = first.new_page()

    # Sign up and confirm the address from the e-mail.
    page.goto(base + "/")
    page.get_by_role("link", name="Start your report").click()
    page.fill("#id_email", "focal.point@example.org")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.get_by_role("button", name="Create the account").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    message = wait_for_mail(mailbox, "focal.point@example.org")
    found = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.text)
    assert found, message.text
    link = found.group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()

    # Logged in, without an entity yet: register it.
    page.get_by_role("heading", name="Register your entity").wait_for()
    page.fill("#id_name", "Ministry of ICT of Kenya")
    page.fill("#id_acronym", "MoICT")
    page.select_option("#id_stakeholder_type", "government")
    page.select_option("#id_country", "KE")
    page.get_by_role("button", name="Register and start the report").click()
    page.get_by_role("heading", name="Your 20-year WSIS report").wait_for()
    report = Report.objects.get(entity__name="Ministry of ICT of Kenya")
    workspace = page.url

    def open_section(key: str) -> None:
        page.goto(f"{base}/reports/{report.pk}/sections/{key}/")

    def save() -> None:
        page.get_by_role("button", name="Save", exact=True).click()
        page.locator(".messages").get_by_text("Saved at").wait_for()

    # I. Executive summary and III. Strategies.
    open_section("executive-summary")
    page.fill("#id_executive_summary", "Twenty years of connecting schools, clinics and farmers.")
    save()
    open_section("strategies")
    page.fill("#id_digital_strategy", "Digital Kenya Master Plan 2022–2032.")
    page.fill("#id_strategic_documents", "National Broadband Strategy.")
    page.fill("#id_wsis_mandates", "WSIS Action Lines mapped to the SDGs.")
    save()

    # II. Every Action Line, C7's eight sub-lines included, one after the other.
    open_section("line-C1")
    lines = list(ActionLine.objects.in_template_order())
    for line in lines:
        page.wait_for_url(re.compile(rf"/sections/line-{re.escape(line.code)}/$"))
        assert page.get_by_role("heading", level=1).inner_text() == line.label
        page.fill("#id_achievements", f"Achievements on {line.code}.")
        page.fill("#id_challenges", f"Challenges on {line.code}.")
        page.fill("#id_future_priorities", f"Priorities on {line.code}.")
        if line.code == "C7.HEALTH":
            page.fill("#id_stories-0-title", "Telemedicine in county hospitals")
            page.fill("#id_stories-0-description", "Forty hospitals linked to specialists.")
            page.fill("#id_stories-0-year", "2021")
        page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url(re.compile(r"/sections/strategies/$"))
    nav = page.locator("nav.outline")
    assert nav.locator('[data-outline-key="line-C7.SCI"] .state').inner_text() == "Complete"
    assert nav.locator('[data-outline-key="line-C7"] [data-outline-key="line-C7.GOV"]').count() == 1

    # IV. Indicators: the narrative and three rows (two added with "Add an indicator").
    open_section("indicators")
    page.fill("#id_indicators_narrative", "Internet use more than doubled.")
    add = page.get_by_role("button", name="Add an indicator")
    add.click()
    add.click()
    rows = [
        ("Percentage of the population with Internet access", "48.2", "%", "2024", "ITU"),
        ("Mobile penetration", "121", "per 100", "2024", "Communications Authority"),
        ("Digital skills training", "1.2 million", "people trained", "2023", "Ministry of ICT"),
    ]
    for i, (indicator, value, unit, year, source) in enumerate(rows):
        page.fill(f"#id_indicators-{i}-indicator", indicator)
        page.fill(f"#id_indicators-{i}-value", value)
        page.fill(f"#id_indicators-{i}-unit", unit)
        page.fill(f"#id_indicators-{i}-year", year)
        page.fill(f"#id_indicators-{i}-source", source)
    save()
    assert report.indicators.count() == 3

    # V, VI and the contact.
    open_section("challenges")
    page.fill("#id_challenges_gaps", "Affordability in rural areas.")
    save()
    open_section("vision")
    page.fill("#id_future_vision", "Meaningful connectivity for all by 2030.")
    save()
    open_section("contact")
    page.fill("#id_name", "Amina Diallo")
    page.fill("#id_position", "WSIS Focal Point")
    page.fill("#id_email", "focal.point@example.org")
    save()

    # Autosave: type, leave the field, and the status says it is saved; a reload shows the text.
    open_section("vision")
    page.fill("#id_future_vision", "Meaningful connectivity for all by 2030, saved by itself.")
    page.keyboard.press("Tab")
    status = page.locator("#save-status")
    page.locator("#save-status[data-kind='saved']").wait_for(state="attached")
    assert status.inner_text().startswith("Saved at ")
    page.reload()
    assert (
        page.input_value("#id_future_vision") == "Meaningful connectivity for all by 2030, saved by itself."
    )

    # A colleague edits the same section in another browser.
    colleague = factories.UserFactory.create(email="colleague@example.org", password=PASSWORD)
    factories.MembershipFactory.create(entity=report.entity, user=colleague, role="editor")
    second = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    second.set_default_timeout(15_000)
    other = second.new_page()
    other.goto(base + "/accounts/login/")
    other.fill("#id_login", "colleague@example.org")
    other.fill("#id_password", PASSWORD)
    other.get_by_role("button", name="Log in").click()
    other.get_by_role("heading", name="Your 20-year WSIS report").wait_for()
    other.goto(f"{base}/reports/{report.pk}/sections/vision/")
    other.fill("#id_future_vision", "The colleague's vision, saved first.")
    other.get_by_role("button", name="Save", exact=True).click()
    other.locator(".messages").get_by_text("Saved at").wait_for()
    second.close()

    # The first browser, still on the older version, autosaves: the conflict is shown.
    page.fill("#id_future_vision", "My vision, typed on the stale page.")
    page.keyboard.press("Tab")
    page.locator("#save-status[data-kind='error']").wait_for(state="attached")
    assert "colleague saved this section" in status.inner_text()
    page.get_by_role("button", name="Compare the two versions").click()
    conflict = page.locator("#conflict")
    conflict.wait_for()
    assert "colleague@example.org" in conflict.inner_text()
    assert page.input_value("#id_future_vision") == "My vision, typed on the stale page."
    assert "The colleague's vision, saved first." in page.locator(".theirs-text").inner_text()
    page.fill("#id_future_vision", "Our vision, merged.")
    save()
    report.refresh_from_db()
    assert report.future_vision == "Our vision, merged."

    # Preview, then submit.
    page.goto(workspace)
    page.get_by_role("link", name="Preview the whole report").click()
    document = page.locator("article.report-document")
    assert "Ministry of ICT of Kenya" in document.inner_text()
    assert "Telemedicine in county hospitals" in document.inner_text()
    assert "Mobile penetration" in document.inner_text()
    page.get_by_role("link", name="Check and submit").click()
    page.get_by_text("Nothing: every section this reporting cycle requires is there.").wait_for()
    page.get_by_label("I confirm that this report is complete").check()
    page.get_by_role("button", name="Submit the report").click()
    page.get_by_role("heading", name="Submission no. 1").wait_for()
    assert "Your report is submitted" in page.locator(".messages").inner_text()
    assert "Our vision, merged." in page.locator("article.report-document").inner_text()
    assert Submission.objects.filter(report=report).count() == 1

    # The pipeline (inline here: no broker) e-mails the PDF to the secretariat, a receipt to the
    # submitter, and the PDF is downloadable from the submission page.
    to_secretariat = wait_for_mail(mailbox, "wsis-info@itu.int")
    assert "Ministry of ICT of Kenya" in to_secretariat.subject
    [(filename, mimetype, pdf)] = to_secretariat.attachments
    assert filename.endswith("-1.pdf")
    assert mimetype == "application/pdf"
    assert pdf.startswith(b"%PDF")
    receipt = wait_for_mail(mailbox, "focal.point@example.org")
    assert receipt.attachments
    assert receipt.attachments[0][2] == pdf
    page.reload()
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("PDF")).first.click()
    assert download.value.suggested_filename.endswith(".pdf")

    # Read-only afterwards.
    open_section("executive-summary")
    assert page.locator("#id_executive_summary").is_disabled()
    assert page.get_by_role("button", name="Save", exact=True).count() == 0
    assert "is read-only" in page.content()
    first.close()


def test_text_typed_when_the_session_expired_comes_back_after_logging_in(
    browser, live_server, reference_data
):
    """On a phone-sized screen: the session ends while the person types; autosave says so and
    offers to log in; after logging in the text is back in the form, and saving stores it."""
    cycle = factories.CycleFactory.create()
    report = factories.ReportFactory.create(cycle=cycle)
    user = factories.UserFactory.create(email="focal.point@example.org", password=PASSWORD)
    factories.MembershipFactory.create(entity=report.entity, user=user)
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    section = f"{live_server.url}/reports/{report.pk}/sections/challenges/"
    page.goto(f"{live_server.url}/accounts/login/?next=/reports/{report.pk}/sections/challenges/")
    page.fill("#id_login", user.email)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(section)
    # Usable at 360 px: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # The word count follows the typing.
    page.fill("#id_challenges_gaps", "Affordability and skills remain the main barriers.")
    assert page.locator("#id_challenges_gaps_count").inner_text().startswith("Words: 7 ·")

    # The person leaves the page open past the idle limit: the session ends at the next request.
    session_idles_out(session_key=next(c["value"] for c in context.cookies() if c["name"] == "sessionid"))
    page.fill("#id_challenges_gaps", "Affordability and skills remain the main barriers, in every region.")
    page.keyboard.press("Tab")
    page.locator("#save-status[data-kind='error']").wait_for(state="attached")
    assert "session had expired" in page.locator("#save-status").inner_text()
    page.get_by_role("button", name="Log in and keep my text").click()

    page.get_by_role("heading", name="Log in").wait_for()
    assert "it is kept" in page.locator(".messages").inner_text()
    page.fill("#id_login", user.email)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(section)
    assert "when your session expired" in page.content()
    assert page.input_value("#id_challenges_gaps") == (
        "Affordability and skills remain the main barriers, in every region."
    )
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator(".messages").get_by_text("Saved at").wait_for()
    report.refresh_from_db()
    assert report.challenges_gaps == "Affordability and skills remain the main barriers, in every region."
    context.close()
