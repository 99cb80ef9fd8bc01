"""No control's words break onto a second line, and no page is wider than the screen, in any of
the six languages, on a desktop (1280 px) and on a phone (360 px): the buttons, link-buttons, the
header's navigation and the tabs of the pages people use (home, workspaces, a section, the submit
page, and the secretariat's report list).

A control's text wraps when its visible text lies on more than one line box: the text nodes'
client rectangles (visually hidden text for screen readers aside) are grouped into lines by their
vertical overlap; an <input> button's inner height is compared with its line height."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reports.permissions import secretariat_group_ensure
from tests import factories
from tests.browser.conftest import log_in_staff
from tests.reports.admin.conftest import submit_directly

pytestmark = pytest.mark.django_db(transaction=True)

LANGUAGES = ["en", "fr", "es", "ar", "zh-hans", "ru"]
WIDTHS = [1280, 360]

# Buttons and link-buttons everywhere; navigation controls in the header and tabs. Long link lists
# (the workspace outline, the Section II list) are navigation whose entries are titles, not controls,
# and so is the portal's name in the header (it may take two lines on a phone).
CONTROLS = ", ".join(
    [
        "button",
        ".btn",
        "input[type=submit]",
        "input[type=button]",
        "a.button",
        ".object-tools a",
        ".navbar a:not(.navbar-brand)",
        ".navbar-text",
        ".nav-tabs .nav-link",
        ".nav-pills .nav-link",
    ]
)

WRAPPED = """(selector) => {
  const hidden = (node) => node.closest(".visually-hidden, .visually-hidden-focusable, .sr-only, [hidden]");
  const found = [];
  for (const el of document.querySelectorAll(selector)) {
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.visibility === "hidden" || box.width === 0 || box.height === 0 || hidden(el)) continue;
    if (el.closest(".collapse:not(.show), [aria-hidden=true]")) continue;
    const closed = el.closest("details:not([open])");
    if (closed && !el.closest("summary")) continue;  // inside a closed <details>: not shown
    let lines = 0;
    let text = "";
    if (el.tagName === "INPUT") {
      // A button <input> never wraps its value: too narrow, it cuts the text off instead.
      text = el.value.trim();
      lines = el.scrollWidth > el.clientWidth + 1 ? 2 : 1;
    } else {
      const boxes = [];
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!node.textContent.trim() || hidden(node.parentElement)) continue;
        text += node.textContent;
        const range = document.createRange();
        range.selectNodeContents(node);
        for (const r of range.getClientRects()) {
          if (r.width >= 1 && r.height >= 1) boxes.push([r.top, r.bottom]);
        }
      }
      const rows = [];
      for (const [top, bottom] of boxes) {
        const row = rows.find((o) => top < o[1] - 1 && bottom > o[0] + 1);
        if (row) { row[0] = Math.min(row[0], top); row[1] = Math.max(row[1], bottom); }
        else rows.push([top, bottom]);
      }
      lines = rows.length;
    }
    if (lines > 1) {
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
        [...el.classList].slice(0, 3).map((c) => "." + c).join("");
      const words = text.replace(/\\s+/g, " ").trim();
      found.push({control: name, text: words, lines: lines, cut: el.tagName === "INPUT"});
    }
  }
  return found;
}"""


@pytest.fixture
def people(reference_data, cycle, fill_report):
    report = factories.ReportFactory.create(cycle=cycle)
    fill_report(report)
    stakeholder = factories.MembershipFactory.create(entity=report.entity).user
    other = factories.ReportFactory.create(cycle=cycle)
    fill_report(other)
    submit_directly(other)
    # A second entity's report with only its summary written: its workspace offers "Continue: C1 …"
    # with the longest Action Line title.
    started = factories.ReportFactory.create(cycle=cycle, executive_summary="Started.")
    factories.MembershipFactory.create(entity=started.entity, user=stakeholder)
    reviewer = factories.UserFactory.create(email="reviewer@wsis.example.org")
    reviewer.is_staff = True
    reviewer.save()
    reviewer.groups.add(secretariat_group_ensure())
    return stakeholder, reviewer, report, started


def logged_in(browser, base: str, log_in) -> dict:
    """The cookies of a session logged in through the login page (stored to be reused per language)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, base)
    state = context.storage_state()
    context.close()
    return state


def test_no_control_wraps_in_any_language_at_1280_or_360_px(browser, live_server, people):
    stakeholder, reviewer, report, started = people
    base = live_server.url

    def stakeholder_log_in(page, base):
        page.goto(base + "/accounts/login/")
        page.fill("#id_login", stakeholder.email)
        page.fill("#id_password", factories.PASSWORD)
        page.locator("form button[type=submit]").last.click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    def staff_log_in(page, base):
        page.goto(base + reverse("admin:login"))
        log_in_staff(page, reviewer)

    sessions = {
        "stakeholder": logged_in(browser, base, stakeholder_log_in),
        "secretariat": logged_in(browser, base, staff_log_in),
    }
    pages = [
        ("stakeholder", "home", "/"),
        ("stakeholder", "workspace", reverse("reports:workspace", kwargs={"report_id": report.pk})),
        ("stakeholder", "started workspace", reverse("reports:workspace", kwargs={"report_id": started.pk})),
        (
            "stakeholder",
            "section C7",
            reverse("reports:section", kwargs={"report_id": report.pk, "key": "line-C7"}),
        ),
        ("stakeholder", "submit page", reverse("reports:submit", kwargs={"report_id": report.pk})),
        ("secretariat", "admin report list", reverse("admin:reports_report_changelist")),
    ]
    wrapped: list[str] = []
    checked = 0
    for language in LANGUAGES:
        for who, state in sessions.items():
            context = browser.new_context(viewport={"width": 1280, "height": 900}, storage_state=state)
            context.set_default_timeout(15_000)
            context.add_cookies([{"name": "django_language", "value": language, "url": base}])
            page = context.new_page()
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                for owner, name, path in pages:
                    if owner != who:
                        continue
                    response = page.goto(base + path)
                    assert response is not None
                    assert response.ok, f"{language} {name}: HTTP {response.status}"
                    assert page.locator("html").get_attribute("lang") == language, f"{language} {name}"
                    page.evaluate("document.fonts.ready")
                    toggler = page.locator(".navbar-toggler")
                    if toggler.count() and toggler.is_visible():  # on a phone: the menu, opened
                        toggler.click()
                        page.locator("#nav-main.show:not(.collapsing)").wait_for()
                    checked += 1
                    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                    if overflow > 0:
                        wrapped.append(
                            f"{language} at {width} px, {name}: the page is {overflow} px wider than the "
                            "screen"
                        )
                    for item in page.evaluate(WRAPPED, CONTROLS):
                        wrapped.append(
                            f"{language} at {width} px, {name}: {item['control']} “{item['text']}” "
                            + ("is cut off" if item["cut"] else f"wraps onto {item['lines']} lines")
                        )
            context.close()
    assert checked == len(LANGUAGES) * len(WIDTHS) * len(pages)
    assert not wrapped, "controls whose text wraps:\n" + "\n".join(wrapped)


def test_the_check_sees_a_wrapped_button(browser, live_server, reference_data):
    """The measure itself: a button squeezed to a few pixels is reported, the same button at its
    natural width is not."""
    context = browser.new_context(viewport={"width": 360, "height": 900})
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.evaluate(
        """() => {
          const b = document.createElement("button");
          b.id = "probe"; b.className = "btn btn-primary"; b.textContent = "Change the report language";
          document.body.prepend(b);
        }"""
    )
    assert page.evaluate(WRAPPED, "#probe") == []
    page.evaluate("document.getElementById('probe').style.width = '60px'")
    found = page.evaluate(WRAPPED, "#probe")
    context.close()
    assert len(found) == 1
    assert found[0]["control"] == "button#probe.btn.btn-primary"
    assert found[0]["text"] == "Change the report language"
    assert found[0]["lines"] >= 2
