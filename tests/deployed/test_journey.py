"""The whole path in Chromium, on the portal as production runs it (see conftest.py): a focal
point signs up with the link from the e-mail, registers the entity, types the report at a
person's pace while autosave runs, invites a colleague and submits; the worker renders the PDF and
e-mails it; the secretariat opens the report from its e-mail, logs in with password and
authenticator code, reviews it, lists, looks at the dashboard and compiles; a password is reset.
Every link of every kind of e-mail is followed, and every answer from the portal must be below 400
with no console or CSP error (``open_page``); report pages are no-store, cookies __Host-."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from tests.deployed.conftest import SECRETARIAT, STAKEHOLDER

FOCAL_POINT = "focal.point@rw-ict.example.org"
COLLEAGUE = "colleague@rw-ict.example.org"
PASSWORD = "a-Long-passphrase-2025"
ENTITY = "Ministry of ICT and Innovation of Rwanda"
SUMMARY = "Rwanda connected every district hospital and most schools to broadband since 2005."
STORY = ("Irembo e-services", "Over one hundred public services online, used by millions of citizens.")
MESSAGE = "Please name the sources of your indicators."


def links(deployment, text: str) -> list[str]:
    """The portal's addresses in an e-mail: every one must start with SITE_URL."""
    found = re.findall(r"https?://[^\s<>\"]+", text)
    portal = [url.rstrip(".,)") for url in found if "/accounts/" in url or "127.0.0.1" in url]
    assert portal, text
    for url in portal:
        assert url.startswith(deployment.url + "/"), f"{url} does not start with SITE_URL {deployment.url}"
    return portal


def pdf_text(data: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "file.pdf"
        path.write_bytes(data)
        done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def type_slowly(page, selector: str, text: str) -> None:
    """Types as a person does, about ten keys a second (the delay Playwright waits between keys)."""
    page.locator(selector).press_sequentially(text, delay=25)


def test_a_report_from_sign_up_to_compilation_over_https(deployment, open_page):
    base = deployment.url
    focal = open_page()
    page = focal.page

    # Sign up; the confirmation link comes by e-mail, through the proxy's public address.
    page.goto(base + "/")
    page.get_by_role("link", name="Start your report").click()
    page.fill("#id_email", FOCAL_POINT)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.get_by_role("button", name="Create the account").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    [confirm] = links(deployment, deployment.wait_for_mail(FOCAL_POINT).text)
    page.goto(confirm)
    page.get_by_role("button", name="Confirm").click()

    # The entity.
    page.get_by_role("heading", name="Register your entity").wait_for()
    page.fill("#id_name", ENTITY)
    page.select_option("#id_stakeholder_type", "government")
    page.select_option("#id_country", "RW")
    page.get_by_role("button", name="Register and start the report").click()
    page.get_by_role("heading", name="Your 20-year WSIS report").wait_for()
    workspace = page.url
    found = re.search(r"/reports/(\d+)/$", workspace)
    assert found, workspace
    report_id = found.group(1)

    def section(key: str) -> None:
        page.goto(f"{base}/reports/{report_id}/sections/{key}/")

    def autosaved() -> None:
        page.keyboard.press("Tab")
        page.locator("#save-status[data-kind='saved']").wait_for(state="attached")

    def save() -> None:
        page.get_by_role("button", name="Save", exact=True).click()
        page.locator(".messages").get_by_text("Saved at").wait_for()

    # Typed at a person's pace; autosave stores each field as it is left; then Save.
    section("executive-summary")
    type_slowly(page, "#id_executive_summary", SUMMARY)
    autosaved()
    save()
    section("line-C2")
    type_slowly(page, "#id_achievements", "Fibre backbone reaching all 30 districts.")
    autosaved()
    type_slowly(page, "#id_stories-0-title", STORY[0])
    autosaved()
    type_slowly(page, "#id_stories-0-description", STORY[1])
    autosaved()
    save()
    page.reload()
    assert page.input_value("#id_achievements") == "Fibre backbone reaching all 30 districts."
    assert (page.input_value("#id_stories-0-title"), page.input_value("#id_stories-0-description")) == STORY
    # Every other Action Line is marked not applicable, one click each.
    page.goto(workspace)
    keys = page.locator("nav.outline [data-outline-key^='line-']").evaluate_all(
        "items => items.map(item => item.dataset.outlineKey)"
    )
    assert len(keys) == 19
    for key in keys:
        if key != "line-C2":
            section(key)
            page.get_by_role("button", name="Not applicable to our entity").click()
            page.locator(".messages").get_by_text("is marked not applicable").wait_for()
    section("contact")
    page.fill("#id_name", "Jean Uwase")
    page.fill("#id_email", FOCAL_POINT)
    save()
    # III's three questions, IV's narrative, V and VI: the cycle requires them.
    for key, fields in {
        "strategies": {
            "#id_digital_strategy": "Vision 2050 and the ICT sector strategic plan.",
            "#id_strategic_documents": "National Broadband Policy.",
            "#id_wsis_mandates": "WSIS Action Lines mapped to the national targets.",
        },
        "indicators": {"#id_indicators_narrative": "Internet use more than doubled since 2015."},
        "challenges": {"#id_challenges_gaps": "Affordability of devices in rural areas."},
        "vision": {"#id_future_vision": "Meaningful connectivity for every household by 2030."},
    }.items():
        section(key)
        for selector, text in fields.items():
            page.fill(selector, text)
        save()

    # A colleague is invited; the link in the e-mail opens the invitation.
    page.goto(workspace)
    page.get_by_role("link", name="Colleagues").first.click()
    page.fill("#id_email", COLLEAGUE)
    page.get_by_role("button", name="Send the invitation").click()
    page.locator(".messages").get_by_text("Invitation sent").wait_for()
    [invitation] = links(deployment, deployment.wait_for_mail(COLLEAGUE).text)
    colleague = open_page().page
    colleague.goto(invitation)
    colleague.get_by_text(ENTITY).first.wait_for()

    # Submit. The worker renders the PDF and e-mails the secretariat and the submitter.
    page.goto(workspace)
    page.get_by_role("link", name="Check and submit").first.click()
    page.get_by_label("I confirm that this report is complete").check()
    page.get_by_role("button", name="Submit the report").click()
    page.get_by_role("heading", name="Submission no. 1").wait_for()
    to_secretariat = deployment.wait_for_mail("wsis-info@itu.int", subject=ENTITY)
    [(_name, mimetype, pdf)] = to_secretariat.attachments
    assert mimetype == "application/pdf"
    printed = pdf_text(pdf)
    assert ENTITY in printed
    assert STORY[0] in printed
    assert SUMMARY in " ".join(printed.split())
    receipt = deployment.wait_for_mail(FOCAL_POINT, subject="received")
    assert receipt.attachments[0][2] == pdf
    for url in links(deployment, receipt.text):
        answer = page.request.get(url)
        assert answer.status == 200, url
    [admin_link] = [url for url in links(deployment, to_secretariat.text) if "/admin/" in url]
    assert admin_link == f"{base}/admin/reports/report/{report_id}/change/"

    # Pages with report data are not stored by the browser; unused browser features are denied.
    answer = page.request.get(workspace)
    assert "no-store" in answer.headers["cache-control"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in answer.headers["permissions-policy"]
    # The session's and the CSRF cookies are bound to this host over HTTPS (the __Host- prefix).
    cookies = {c["name"]: c for c in page.context.cookies()}
    for name in ("__Host-sessionid", "__Host-csrftoken"):
        assert cookies[name]["secure"], name
        assert cookies[name]["path"] == "/", name
    assert not {"sessionid", "csrftoken"} & set(cookies)

    # The secretariat follows the e-mail's link, logs in with the password and the app's code,
    # and reviews.
    staff = open_page().page
    staff.goto(admin_link)
    staff.wait_for_url("**/accounts/login/?next=**")
    staff.fill("#id_login", SECRETARIAT)
    staff.fill("#id_password", deployment.staff_password)
    staff.get_by_role("button", name="Log in").click()
    staff.get_by_role("heading", name="Two-factor authentication").wait_for()
    staff.fill("#id_code", deployment.staff_code())
    staff.get_by_role("button", name="Log in").click()
    staff.wait_for_url(admin_link)
    report_page = staff.request.get(admin_link)
    assert "no-store" in report_page.headers["cache-control"]
    staff.get_by_role("heading", name="I. Executive Summary").wait_for()
    staff.get_by_role("button", name="Start review").click()
    staff.get_by_label("What should the entity change?").fill(MESSAGE)
    staff.get_by_role("button", name="Request changes").click()
    staff.locator(".messagelist").get_by_text("Changes requested from").wait_for()
    changes = deployment.wait_for_mail(FOCAL_POINT, subject="Changes requested")
    assert MESSAGE in changes.text
    for url in links(deployment, changes.text):
        page.goto(url)
        assert MESSAGE in page.locator(".changes-requested").inner_text()

    # The list, the dashboard, and a compilation of this report, announced by e-mail.
    staff.goto(base + "/admin/reports/report/")
    staff.get_by_role("link", name=ENTITY).wait_for()
    staff.goto(base + "/admin/reports/report/dashboard/")
    staff.get_by_role("heading", level=1).wait_for()
    staff.goto(base + "/admin/reports/report/")
    staff.check(f"input[name=_selected_action][value='{report_id}']")
    staff.select_option("select[name=action]", "compile_selected")
    staff.locator("button[name=index]").click()
    staff.get_by_text("Only the 1 report selected in the list.").wait_for()
    staff.get_by_label("Full reports").check()
    staff.get_by_role("button", name="Compile").click()
    ready = deployment.wait_for_mail(SECRETARIAT, subject="ready", timeout=120)
    [download] = links(deployment, ready.text)
    answer = staff.request.get(download)
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert ENTITY in pdf_text(answer.body())

    # A forgotten password: the link in the e-mail leads to the form.
    visitor = open_page().page
    visitor.goto(base + "/accounts/password/reset/")
    visitor.fill("#id_email", STAKEHOLDER)
    visitor.get_by_role("button", name="Send the link").click()
    [reset] = links(deployment, deployment.wait_for_mail(STAKEHOLDER, subject="assword").text)
    visitor.goto(reset)
    visitor.get_by_role("heading", name="Choose a new password").wait_for()
