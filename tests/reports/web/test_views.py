"""The stakeholder's pages, through Django's test client: what a person sees and what is saved."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from action_lines.models import ActionLine
from reports import annex, selectors, services
from reports.models import Membership, Report, ReportingCycle, Submission
from reports.web import forms
from tests import factories
from tests.accounts import session_idles_out
from tests.conftest import fill_narratives

pytestmark = pytest.mark.django_db


def section_url(report, key):
    return reverse("reports:section", kwargs={"report_id": report.pk, "key": key})


def text_of(response) -> str:
    return response.content.decode()


def textarea(html: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{re.escape(name)}"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, f"no textarea {name}"
    return match.group(1).strip()


def section_form(html: str) -> str:
    """The section's own form (the page also has small forms, e.g. "not applicable")."""
    start = html.index('class="section-form"')
    return html[start : html.index("</form>", start)]


def hidden_value(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{re.escape(name)}" value="([^"]*)"', html)
    assert match, f"no hidden {name}"
    return match.group(1)


def complete(report, user):
    """Everything submission requires: summary, every line (answered or not applicable), contact."""
    for n, line in enumerate(ActionLine.objects.in_template_order()):
        data: dict[str, object] = (
            {"not_applicable": True} if n % 4 == 3 else {"achievements": f"Progress on {line.code}."}
        )
        services.report_save_section(
            report=report, key=f"line-{line.code}", data=data, base_version=0, user=user
        )
    services.report_save_section(
        report=report,
        key="contact",
        data={"name": "Amina Diallo", "email": "focal.point@example.org"},
        base_version=0,
        user=user,
    )
    fill_narratives(report, user)
    report.refresh_from_db()
    return report


# --- Access control -------------------------------------------------------------------------


def test_another_entitys_report_section_preview_submit_and_submission_answer_404(member, report, owner):
    other_report = factories.ReportFactory.create(cycle=report.cycle)
    stranger = factories.MembershipFactory.create(entity=other_report.entity).user
    complete(other_report, stranger)
    submission = services.report_submit(report=other_report, user=stranger)
    rid = other_report.pk
    gets = [
        reverse("reports:workspace", kwargs={"report_id": rid}),
        section_url(other_report, "executive-summary"),
        section_url(other_report, "line-C7.GOV"),
        section_url(other_report, "action-lines"),
        reverse("reports:preview", kwargs={"report_id": rid}),
        reverse("reports:submit", kwargs={"report_id": rid}),
        reverse("reports:submitted", kwargs={"report_id": rid}),
        reverse("reports:submission", kwargs={"pk": submission.pk}),
        reverse("reports:entity_edit", kwargs={"entity_id": other_report.entity_id}),
        reverse("reports:entity_members", kwargs={"entity_id": other_report.entity_id}),
    ]
    for url in gets:
        assert member.get(url).status_code == 404, url
    posts = [
        (section_url(other_report, "executive-summary"), {"base_version": 0, "executive_summary": "Hijack"}),
        (
            reverse("reports:line_not_applicable", kwargs={"report_id": rid, "key": "line-C1"}),
            {"base_version": 1, "not_applicable": "on"},
        ),
        (reverse("reports:submit", kwargs={"report_id": rid}), {"confirm": "on"}),
        (reverse("reports:entity_switch", kwargs={"entity_id": other_report.entity_id}), {}),
        (
            reverse(
                "reports:member_remove", kwargs={"entity_id": other_report.entity_id, "user_id": stranger.pk}
            ),
            {},
        ),
    ]
    for url, data in posts:
        assert member.post(url, data).status_code == 404, url
    other_report.refresh_from_db()
    assert other_report.executive_summary != "Hijack"
    assert Membership.objects.filter(entity=other_report.entity, user=stranger).exists()
    # Their own report is fine.
    assert member.get(reverse("reports:workspace", kwargs={"report_id": report.pk})).status_code == 200


def test_unknown_section_or_action_line_answers_404(member, report):
    assert member.get(section_url(report, "nonsense")).status_code == 404
    assert member.get(section_url(report, "line-C99")).status_code == 404


def test_posting_status_entity_cycle_or_version_changes_nothing_but_the_answer(member, report, owner):
    other_entity = factories.EntityFactory.create()
    other_cycle = factories.CycleFactory.create()
    response = member.post(
        section_url(report, "executive-summary"),
        {
            "base_version": 0,
            "executive_summary": "Our summary.",
            "status": "accepted",
            "entity": other_entity.pk,
            "cycle": other_cycle.pk,
            "version": 999,
            "submitted_at": "2025-01-01T00:00:00Z",
            "changes_requested_message": "x",
        },
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.executive_summary == "Our summary."
    assert report.status == Report.Status.DRAFT
    assert (report.entity_id, report.cycle_id) != (other_entity.pk, other_cycle.pk)
    assert report.version == 2
    assert report.submitted_at is None
    assert report.changes_requested_message == ""


def test_entity_form_ignores_extra_fields(member, entity):
    member.post(
        reverse("reports:entity_edit", kwargs={"entity_id": entity.pk}),
        {
            "name": "Renamed Ministry",
            "stakeholder_type": "government",
            "country": "KE",
            "members": "1",
            "created_at": "2001-01-01",
        },
    )
    entity.refresh_from_db()
    assert entity.name == "Renamed Ministry"
    assert entity.created_at.year != 2001


# --- Saving, validation, limits ------------------------------------------------------------------


def test_save_without_javascript_redirects_back_with_saved_at(member, report):
    response = member.post(
        section_url(report, "strategies"),
        {
            "base_version": 0,
            "digital_strategy": "National Digital Strategy 2030",
            "strategic_documents": "",
            "wsis_mandates": "",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == section_url(report, "strategies")
    page = text_of(response)
    assert "Saved at" in page
    assert textarea(page, "digital_strategy") == "National Digital Strategy 2030"
    assert hidden_value(section_form(page), "base_version") == "1"


def test_save_and_continue_goes_to_the_next_page(member, report):
    response = member.post(
        section_url(report, "line-C7.AGRI"),
        {"base_version": 0, "achievements": "Farmers online", "after": "next", **management("stories")},
    )
    assert response["Location"] == section_url(report, "line-C7.SCI")


def management(prefix, total=0, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


def test_a_field_error_shows_next_to_the_field_and_keeps_everything_typed(member, report):
    data = {
        "base_version": 0,
        "achievements": "Three hundred schools connected.",
        "challenges": "Rural power supply.",
        "future_priorities": "",
        **management("stories", total=2),
        "stories-0-title": "",
        "stories-0-description": "A description without a title.",
        "stories-0-year": "1850",
        "stories-1-title": "Giga",
        "stories-1-description": "Schools online.",
        "stories-1-url": "not a link",
    }
    response = member.post(section_url(report, "line-C2"), data)
    assert response.status_code == 400
    page = text_of(response)
    assert "Give this success story a title." in page
    assert "Ensure this value is greater than or equal to 1990." in page
    assert "Enter a valid URL." in page
    # Each message sits right under its own field.
    title_field = page.index('name="stories-0-title"')
    assert title_field < page.index("Give this success story a title.") < page.index('name="stories-0-year"')
    # Nothing typed is lost, and nothing was saved.
    assert textarea(page, "achievements") == "Three hundred schools connected."
    assert textarea(page, "stories-0-description") == "A description without a title."
    assert 'value="Giga"' in page
    assert report.progress.count() == 0


def test_an_answer_over_the_maximum_gets_a_clear_message_and_is_kept(member, report):
    limit = settings.REPORT_TEXT_MAX_LENGTH
    too_long = "é" * (limit + 345)
    response = member.post(
        section_url(report, "executive-summary"), {"base_version": 0, "executive_summary": too_long}
    )
    assert response.status_code == 400
    page = text_of(response)
    assert f"the maximum is {limit:,}" in page
    assert "Shorten it by 345 characters" in page
    assert textarea(page, "executive_summary") == too_long
    assert "maxlength" not in page.split('name="executive_summary"')[0].rsplit("<textarea", 1)[1]
    report.refresh_from_db()
    assert report.executive_summary != too_long


def test_the_largest_forms_with_every_field_filled_post_within_djangos_limits(member, report):
    """One Action Line with the maximum of success stories and the indicators with the maximum of
    rows, every field filled to its maximum in a three-byte script, post and save."""
    limit = settings.REPORT_TEXT_MAX_LENGTH
    assert forms.SectionEditor.max_field_count() < settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    line = {
        "base_version": 0,
        "achievements": "成" * limit,
        "challenges": "难" * limit,
        "future_priorities": "未" * limit,
        **management("stories", total=forms.MAX_STORIES),
    }
    for i in range(forms.MAX_STORIES):
        line |= {
            f"stories-{i}-title": "题" * 300,
            f"stories-{i}-description": "述" * limit,
            f"stories-{i}-url": "https://example.org/" + "a" * 400,
            f"stories-{i}-year": 2000 + i,
            f"stories-{i}-DELETE": "",
        }
    line["csrfmiddlewaretoken"] = "x"
    assert len(line) <= settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    response = member.post(section_url(report, "line-C3"), line)  # multipart, as the page's form
    assert response.status_code == 302, text_of(response)[:500]
    assert report.success_stories.count() == forms.MAX_STORIES

    indicators = {
        "base_version": 0,
        "indicators_narrative": "指" * limit,
        **management("indicators", total=forms.MAX_INDICATORS),
    }
    for i in range(forms.MAX_INDICATORS):
        indicators |= {
            f"indicators-{i}-indicator": "标" * 300,
            f"indicators-{i}-value": "9" * 100,
            f"indicators-{i}-unit": "单" * 60,
            f"indicators-{i}-year": 2024,
            f"indicators-{i}-source": "源" * 500,
            f"indicators-{i}-note": "注" * forms.SHORT_NOTE_LENGTH,
            f"indicators-{i}-DELETE": "",
        }
    assert len(indicators) <= settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    response = member.post(section_url(report, "indicators"), indicators)
    assert response.status_code == 302
    assert report.indicators.count() == forms.MAX_INDICATORS

    # The pages, once filled to the maximum, render forms within the limit too.
    for key in ("line-C3", "indicators"):
        page = text_of(member.get(section_url(report, key)))
        form = page[
            page.index('class="section-form"') : page.index("</form>", page.index('class="section-form"'))
        ]
        names = set(re.findall(r'name="([^"]+)"', form)) - {"after"}
        assert len(names) <= settings.DATA_UPLOAD_MAX_NUMBER_FIELDS


def test_more_rows_than_allowed_are_refused_with_a_message(member, report):
    data = {"base_version": 0, **management("stories", total=forms.MAX_STORIES + 5)}
    for i in range(forms.MAX_STORIES + 5):
        data |= {f"stories-{i}-title": f"Story {i}", f"stories-{i}-description": "Text"}
    response = member.post(section_url(report, "line-C4"), data)
    assert response.status_code == 400
    assert f"At most {forms.MAX_STORIES} rows can be saved" in text_of(response)


def test_indicator_rows_save_and_empty_or_removed_rows_are_ignored(member, report):
    data = {
        "base_version": 0,
        "indicators_narrative": "Internet use doubled.",
        **management("indicators", total=3),
        "indicators-0-indicator": str(annex.INDICATOR_EXAMPLES[0]),
        "indicators-0-value": "67.4",
        "indicators-0-unit": "%",
        "indicators-0-year": "2024",
        "indicators-0-source": "ITU",
        "indicators-1-indicator": "Mobile penetration",
        "indicators-1-value": "120",
        "indicators-1-DELETE": "on",
    }
    member.post(section_url(report, "indicators"), data)
    rows = list(report.indicators.values_list("indicator", "value", "year"))
    assert rows == [(str(annex.INDICATOR_EXAMPLES[0]), "67.4", 2024)]
    page = text_of(member.get(section_url(report, "indicators")))
    assert '<datalist id="indicator-examples">' in page
    assert all(str(example) in page for example in annex.INDICATOR_EXAMPLES)


def test_not_applicable_in_one_click_keeps_the_answers(member, report):
    member.post(
        section_url(report, "line-C9"),
        {"base_version": 0, "achievements": "Community radio", **management("stories")},
    )
    url = reverse("reports:line_not_applicable", kwargs={"report_id": report.pk, "key": "line-C9"})
    response = member.post(url, {"base_version": 1, "not_applicable": "on"}, follow=True)
    assert "is marked not applicable" in text_of(response)
    states = selectors.outline_states(selectors.report_outline(report=report))
    assert states["line-C9"].state == selectors.NOT_APPLICABLE
    assert report.progress.get(action_line__code="C9").achievements == "Community radio"
    # Saving the answers again from the page keeps the mark.
    page = text_of(member.get(section_url(report, "line-C9")))
    assert "Marked not applicable to your entity." in page
    member.post(
        section_url(report, "line-C9"),
        {
            "base_version": hidden_value(section_form(page), "base_version"),
            "not_applicable": hidden_value(section_form(page), "not_applicable"),
            "achievements": "Community radio!",
            **management("stories"),
        },
    )
    row = report.progress.get(action_line__code="C9")
    assert row.not_applicable
    assert row.achievements == "Community radio!"


# --- Autosave ---------------------------------------------------------------------------------


AJAX = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def test_autosave_answers_json_with_the_new_version_and_time(member, report):
    response = member.post(
        section_url(report, "challenges"), {"base_version": 0, "challenges_gaps": "Affordability."}, **AJAX
    )
    assert response.status_code == 200
    body = response.json()
    assert body["ok"]
    assert body["version"] == 1
    assert body["message"].startswith("Saved at ")
    assert body["states"]["challenges"]["label"] == "Complete"
    second = member.post(
        section_url(report, "challenges"),
        {"base_version": 1, "challenges_gaps": "Affordability, skills."},
        **AJAX,
    ).json()
    assert second["version"] == 2


def test_autosave_of_a_stale_version_answers_409_and_writes_nothing(member, report, colleague):
    services.report_save_section(
        report=report, key="vision", data={"future_vision": "Theirs"}, base_version=0, user=colleague
    )
    response = member.post(
        section_url(report, "vision"), {"base_version": 0, "future_vision": "Mine"}, **AJAX
    )
    assert response.status_code == 409
    assert response.json()["conflict"] is True
    report.refresh_from_db()
    assert report.future_vision == "Theirs"


def test_autosave_with_an_invalid_field_answers_400_with_the_message(member, report):
    response = member.post(
        section_url(report, "contact"),
        {"base_version": 0, "name": "Amina", "email": "not-an-address"},
        **AJAX,
    )
    assert response.status_code == 400
    assert "Enter an e-mail address" in response.json()["message"]


# --- Conflicts --------------------------------------------------------------------------------


def test_a_stale_save_shows_the_colleagues_text_next_to_yours_and_the_next_save_works(
    member, report, colleague
):
    services.report_save_section(
        report=report,
        key="executive-summary",
        data={"executive_summary": "The colleague's summary."},
        base_version=0,
        user=colleague,
        at=datetime(2025, 5, 20, 9, 41, tzinfo=UTC),
    )
    response = member.post(
        section_url(report, "executive-summary"), {"base_version": 0, "executive_summary": "My own summary."}
    )
    assert response.status_code == 409
    page = text_of(response)
    assert "a colleague saved this section while you were editing it" in page
    assert "colleague@example.org saved it on 20 May 2025, 11:41" in page  # Geneva time
    assert textarea(page, "executive_summary") == "My own summary."
    assert "The colleague&#x27;s summary." in page
    assert hidden_value(section_form(page), "base_version") == "1"
    report.refresh_from_db()
    assert report.executive_summary == "The colleague's summary."
    # Saving again from this page (now based on the colleague's version) succeeds.
    member.post(section_url(report, "executive-summary"), {"base_version": 1, "executive_summary": "Merged."})
    report.refresh_from_db()
    assert report.executive_summary == "Merged."


def test_a_conflict_on_success_stories_lists_the_colleagues_stories(member, report, colleague):
    services.report_save_section(
        report=report,
        key="line-C5",
        data={
            "success_stories": [
                {"title": "CERT launched", "description": "National CERT", "url": "", "year": 2019}
            ]
        },
        base_version=0,
        user=colleague,
    )
    data = {"base_version": 0, **management("stories", total=1)}
    data |= {"stories-0-title": "Awareness week", "stories-0-description": "Schools"}
    page = text_of(member.post(section_url(report, "line-C5"), data))
    assert "CERT launched" in page
    assert 'value="Awareness week"' in page
    assert "Marked not applicable" not in page


# --- Expired session ----------------------------------------------------------------------------


def test_a_save_after_the_session_expired_keeps_the_text_through_login(client, owner, report):
    client.force_login(owner)
    url = section_url(report, "executive-summary")
    client.get(url)
    session_idles_out(client)  # the person went away; the page is still open in the browser
    response = client.post(url, {"base_version": 0, "executive_summary": "Two hours of careful writing."})
    login = reverse("account_login")
    assert response.status_code == 302
    assert response["Location"].startswith(login)
    assert "next=" in response["Location"]
    report.refresh_from_db()
    assert report.executive_summary != "Two hours of careful writing."

    # Logging in again (which renews the session) brings the person back to the kept text.
    page = client.post(login, {"login": owner.email, "password": factories.PASSWORD}, follow=False)
    assert page.status_code == 302
    page = text_of(client.get(url))
    assert textarea(page, "executive_summary") == "Two hours of careful writing."
    assert "when your session expired" in page
    # Saving it writes it and forgets the kept copy.
    client.post(url, {"base_version": 0, "executive_summary": "Two hours of careful writing."})
    report.refresh_from_db()
    assert report.executive_summary == "Two hours of careful writing."
    assert "when your session expired" not in text_of(client.get(url))


def test_an_autosave_after_the_session_expired_answers_401_and_keeps_the_text(client, owner, report):
    url = section_url(report, "vision")
    client.force_login(owner)
    client.get(url)
    session_idles_out(client)
    response = client.post(url, {"base_version": 0, "future_vision": "Kept"}, **AJAX)
    assert response.status_code == 401
    assert response.json()["login_url"].startswith(reverse("account_login"))
    assert response.json()["kept"] is True
    client.force_login(owner)
    assert textarea(text_of(client.get(url)), "future_vision") == "Kept"


def test_text_posted_by_a_browser_that_never_logged_in_is_not_kept(client, owner, report):
    url = section_url(report, "vision")
    response = client.post(url, {"base_version": 0, "future_vision": "From nowhere"}, **AJAX)
    assert response.status_code == 401
    assert response.json()["kept"] is False
    client.force_login(owner)
    assert textarea(text_of(client.get(url)), "future_vision") == ""


def test_kept_text_is_only_shown_in_the_browser_that_typed_it(client, owner, report):
    client.post(section_url(report, "vision"), {"base_version": 0, "future_vision": "Private draft"})
    other_browser = Client()
    other_browser.force_login(owner)
    assert "Private draft" not in text_of(other_browser.get(section_url(report, "vision")))


# --- Submission --------------------------------------------------------------------------------


def test_submit_page_lists_what_is_missing_with_links(member, report):
    page = text_of(member.get(reverse("reports:submit", kwargs={"report_id": report.pk})))
    assert "II: 19 Action Lines still to fill in or mark not applicable" in page
    bulk = reverse("reports:lines_not_applicable", kwargs={"report_id": report.pk})
    assert f'href="{bulk}"' in page
    assert f'href="{section_url(report, "strategies")}"' in page
    assert f'href="{section_url(report, "contact")}"' in page
    assert 'name="confirm"' not in page


def test_submit_needs_the_confirmation_then_submits_once(member, report, owner):
    complete(report, owner)
    url = reverse("reports:submit", kwargs={"report_id": report.pk})
    response = member.post(url, {})
    assert response.status_code == 400
    assert "Tick the box to confirm" in text_of(response)
    assert not Submission.objects.filter(report=report).exists()

    response = member.post(url, {"confirm": "on"}, follow=True)
    submission = Submission.objects.get(report=report)
    assert response.redirect_chain[-1][0] == reverse("reports:submission", kwargs={"pk": submission.pk})
    page = text_of(response)
    assert "Submission no. 1" in page
    assert "Your report is submitted" in page
    assert "Progress on C1." in page  # the snapshot, rendered with the document template

    # A second click (or a second tab) submits nothing more and says so.
    again = member.post(url, {"confirm": "on"}, follow=True)
    assert "already been submitted" in text_of(again)
    assert Submission.objects.filter(report=report).count() == 1
    # The report is read-only: a late save is refused, with the text left alone.
    member.post(section_url(report, "executive-summary"), {"base_version": 0, "executive_summary": "Edit"})
    report.refresh_from_db()
    assert report.executive_summary != "Edit"
    page = text_of(member.get(section_url(report, "executive-summary")))
    assert "is read-only" in page
    assert "disabled" in page
    assert "Save and continue" not in page


def test_submit_after_a_refusing_deadline_shows_why(member, entity, owner):
    cycle = factories.CycleFactory.create(
        opens_at=timezone.now() - timedelta(days=30),
        deadline=timezone.now() - timedelta(days=1),
        late_policy=ReportingCycle.LatePolicy.REFUSE,
    )
    report = complete(factories.ReportFactory.create(entity=entity, cycle=cycle), owner)
    response = member.post(reverse("reports:submit", kwargs={"report_id": report.pk}), {"confirm": "on"})
    assert response.status_code == 400
    assert "no longer accepts submissions" in text_of(response)


def test_changes_requested_are_shown_and_the_report_can_be_resubmitted(member, report, owner):
    complete(report, owner)
    services.report_submit(report=report, user=owner)
    staff = factories.UserFactory.create(is_staff=True)
    services.report_request_changes(
        report=report, actor=staff, message="Please add sources to the indicators."
    )
    page = text_of(member.get(reverse("reports:workspace", kwargs={"report_id": report.pk})))
    assert "The WSIS secretariat asks for changes" in page
    assert "Please add sources to the indicators." in page
    assert "Please add sources" in text_of(member.get(section_url(report, "indicators")))
    version = services.report_section_version(report=report, key="executive-summary")
    member.post(
        section_url(report, "executive-summary"), {"base_version": version, "executive_summary": "Revised."}
    )
    member.post(reverse("reports:submit", kwargs={"report_id": report.pk}), {"confirm": "on"})
    assert list(Submission.objects.filter(report=report).values_list("number", flat=True)) == [1, 2]
    latest = Submission.objects.get(report=report, number=2)
    page = text_of(member.get(reverse("reports:submission", kwargs={"pk": latest.pk})))
    assert "Revised." in page
    assert "No. 1" in page
    assert "No. 2" in page


def test_preview_renders_the_whole_report_with_the_document_template(member, report):
    page = text_of(member.get(reverse("reports:preview", kwargs={"report_id": report.pk})))
    assert "css/document.css" in page
    assert 'class="report-document"' in page
    for spec in annex.SECTIONS:
        assert str(spec.heading) in page
    assert "C7. E-Science" in page


# --- Queries ----------------------------------------------------------------------------------


def test_a_section_page_costs_the_same_number_of_queries_however_full_the_report(
    member, report, owner, django_assert_max_num_queries
):
    url = section_url(report, "line-C7.GOV")
    with CaptureQueriesContext(connection) as empty:
        member.get(url)
    for line in ActionLine.objects.all():
        services.report_save_section(
            report=report,
            key=f"line-{line.code}",
            data={
                "achievements": "A",
                "success_stories": [
                    {"title": f"S{i}", "description": "D", "url": "", "year": 2020} for i in range(5)
                ],
            },
            base_version=0,
            user=owner,
        )
    with django_assert_max_num_queries(len(empty.captured_queries)):
        member.get(url)
    with django_assert_max_num_queries(20):
        member.get(url)


# --- Entities, switching, landing ----------------------------------------------------------------


def test_after_login_a_person_without_entity_is_asked_to_create_one_and_becomes_owner(client, cycle):
    user = factories.UserFactory.create(email="new@example.org")
    client.post(reverse("account_login"), {"login": user.email, "password": factories.PASSWORD})
    response = client.get(reverse("reports:start"))
    assert response["Location"] == reverse("reports:entity_create")
    page = text_of(client.get(response["Location"]))
    assert "Kenya — Africa" in page  # the region is shown with each country
    response = client.post(
        reverse("reports:entity_create"),
        {"name": "Kenya ICT Authority", "acronym": "ICTA", "stakeholder_type": "government", "country": "KE"},
        follow=True,
    )
    membership = Membership.objects.get(user=user)
    assert membership.role == Membership.Role.OWNER
    assert membership.entity.name == "Kenya ICT Authority"
    report = Report.objects.get(entity=membership.entity, cycle=cycle)
    assert response.redirect_chain[-1][0] == reverse("reports:workspace", kwargs={"report_id": report.pk})


def test_an_entity_name_already_registered_in_the_country_gets_a_message(member, entity):
    response = member.post(
        reverse("reports:entity_create"),
        {"name": entity.name.upper(), "stakeholder_type": "government", "country": entity.country_id},
    )
    assert "already exists in Kenya" in text_of(response)


def test_a_person_in_two_entities_switches_between_them(member, owner, report, cycle):
    second = factories.MembershipFactory.create(user=owner, entity__name="Second Entity").entity
    response = member.post(reverse("reports:entity_switch", kwargs={"entity_id": second.pk}))
    assert response["Location"] == reverse("reports:start")
    response = member.get(reverse("reports:start"))
    second_report = Report.objects.get(entity=second, cycle=cycle)
    assert response["Location"] == reverse("reports:workspace", kwargs={"report_id": second_report.pk})
    page = text_of(member.get(response["Location"]))
    assert "Switch entity" in page
    assert report.entity.name in page


def test_owner_removes_a_colleague_but_an_editor_cannot(client, entity, owner, colleague):
    client.force_login(colleague)
    url = reverse("reports:member_remove", kwargs={"entity_id": entity.pk, "user_id": owner.pk})
    response = client.post(url, follow=True)
    assert "Only the entity" in text_of(response)
    client.force_login(owner)
    url = reverse("reports:member_remove", kwargs={"entity_id": entity.pk, "user_id": colleague.pk})
    client.post(url)
    assert not Membership.objects.filter(entity=entity, user=colleague).exists()


def test_landing_page_says_who_files_the_deadline_and_links_the_blank_template(client, cycle):
    page = text_of(client.get(reverse("reports:home")))
    assert "Who should report" in page
    assert "How to start" in page
    assert cycle.deadline.strftime("%Y") in page
    assert reverse("reports:blank_template") in page
    blank = text_of(client.get(reverse("reports:blank_template")))
    for spec in annex.SECTIONS:
        assert str(spec.heading) in blank
    assert "C7. E-Agriculture" in blank
