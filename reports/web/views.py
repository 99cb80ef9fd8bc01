"""The stakeholder's pages: landing, entity, members and invitations, the report workspace,
preview, submission.

Thin views: forms clean the input, services write, selectors read. Every report, entity and
submission is fetched through a selector *with the user*, so another entity's ids answer 404.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from action_lines.models import ActionLine
from wsis_portal import limits

from .. import annex, audit, deadlines, reviewing, selectors, services, text
from ..document import snapshot
from ..document.rendering import document_context
from ..errors import EditConflict, MembershipError, NotEditable, ReportError, SubmissionRefused
from ..models import Membership, Report, ReportingCycle, SecurityEvent
from . import forms, invitations, stash

logger = logging.getLogger(__name__)

SESSION_ENTITY = "reports.entity_id"
AJAX_HEADER = "XMLHttpRequest"


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a ``login_required`` view: its ``user`` is signed in (django-stubs' pattern)."""

    user: User


# --- Helpers ------------------------------------------------------------------------------


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == AJAX_HEADER


def _report_or_404(request: HttpRequest, report_id: int) -> Report:
    report = selectors.report_for_member(user=request.user, report_id=report_id)
    if report is None:
        # Another entity's report (or none): recorded, and answered as if it did not exist.
        audit.record(request, SecurityEvent.Kind.ACCESS_DENIED, object_type="report", object_id=report_id)
        raise Http404(_("No such report."))
    return report


def _section_or_404(key: str) -> tuple[annex.Section, ActionLine | None]:
    if key.startswith("line-"):
        line = selectors.workspace_line(key=key)
        if line is None:
            raise Http404(_("No such Action Line."))
        return annex.section("action-lines"), line
    spec = annex.SECTIONS_BY_KEY.get(key)
    if spec is None:
        raise Http404(_("No such section."))
    return spec, None


def _remember_entity(request: HttpRequest, entity_id: int) -> None:
    if request.session.get(SESSION_ENTITY) != entity_id:
        request.session[SESSION_ENTITY] = entity_id


def _clock(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "H:i")


def _section_url(report_id: int, key: str) -> str:
    return reverse("reports:section", kwargs={"report_id": report_id, "key": key})


def _login_url(next_url: str) -> str:
    return f"{reverse('account_login')}?{urlencode({'next': next_url})}"


def _pdf_url(submission_id: int) -> str | None:
    """The PDF download, once the PDF part of the portal provides it."""
    try:
        return reverse("reports:submission_pdf", kwargs={"pk": submission_id})
    except NoReverseMatch:
        return None


def _workspace_context(request: HttpRequest, report: Report, *, current_key: str = "") -> dict[str, Any]:
    outline = selectors.report_outline(report=report)
    entities = list(selectors.entities_for_user(user=request.user))
    # The sections the Secretariat flagged in an open changes request, marked in the navigation.
    flags = reviewing.review_flags(report=report)
    by_key = {flag.key: flag for flag in flags}
    for item in selectors.outline_states(outline).values():
        if item.key in by_key:
            item.flag = "handled" if by_key[item.key].handled else "open"
    return {
        "review_flags": flags,
        "current_flag": by_key.get(current_key),
        "report": report,
        "entity": report.entity,
        "cycle": report.cycle,
        "footer_cycle": report.cycle,
        "outline": outline,
        "progress": selectors.outline_progress(outline),
        "entities": entities,
        "current_key": current_key,
        "editable": report.is_editable_by_stakeholders,
        # The entity's deadline in the cycle's time zone, and whether it can still submit.
        "deadline": deadlines.deadline_state(report=report),
    }


# --- Landing page and blank template ------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Landing page: what the report is for, who files it, the open cycle's deadline, how to start."""
    cycle = selectors.cycle_current()
    return render(
        request,
        "reports/home.html",
        {
            "cycle": cycle,
            "footer_cycle": cycle,
            "sections": annex.SECTIONS,
            "days_left": (cycle.deadline - timezone.now()).days if cycle else None,
            "lines": ActionLine.objects.in_template_order().select_related("parent"),
        },
    )


def _blank_document(cycle: ReportingCycle | None) -> dict[str, Any]:
    """A report document with writing lines in every answer, so that the one document template
    prints every heading and question of Annex 1 with room to draft."""
    short, lines = "_" * 24, "\n".join(["_" * 56] * 4)
    return {
        "entity": {
            "name": _("Name of the entity"),
            "acronym": "",
            "stakeholder_type_label": short,
            "country_name": short,
            "region_name": short,
        },
        "cycle": {"name": cycle.name} if cycle else {},
        "narrative": dict.fromkeys(annex.NARRATIVE_FIELDS, lines),
        "action_lines": [
            {
                "code": line.code,
                "not_applicable": False,
                "success_stories": [{"title": short, "description": lines, "url": "", "year": None}],
                **{question.name: lines for question in annex.ACTION_LINE_QUESTIONS},
            }
            for line in ActionLine.objects.in_template_order()
        ],
        "indicators": [
            dict.fromkeys((name for name, _label in annex.INDICATOR_COLUMNS), "") for _row in range(5)
        ],
        "contact": dict.fromkeys((name for name, _label in annex.CONTACT_FIELDS), short),
    }


@require_GET
def blank_template(request: HttpRequest) -> HttpResponse:
    """The Annex 1 template with nothing filled in, to print and draft offline."""
    cycle = selectors.cycle_current()
    return render(
        request,
        "reports/blank_template.html",
        {"cycle": cycle, "footer_cycle": cycle, **document_context(_blank_document(cycle))},
    )


# --- After login: where does this person work? -------------------------------------------------


@login_required
def start(request: HttpRequest) -> HttpResponse:
    """Where login sends people: their entity's report, or "create your entity" first."""
    entity = selectors.entity_current(user=request.user, entity_id=request.session.get(SESSION_ENTITY))
    if entity is None and request.user.is_staff:
        return redirect("admin:index")  # the secretariat works in admin
    if entity is None:
        messages.info(request, _("Welcome! First, tell us which entity you report for."))
        return redirect("reports:entity_create")
    cycle = selectors.cycle_current()
    if cycle is None:
        return render(request, "reports/no_cycle.html", {"entity": entity})
    # A new report is written in the language the person works in, until the entity chooses another.
    report = services.report_get_or_create(entity=entity, cycle=cycle, language=translation.get_language())
    _remember_entity(request, entity.pk)
    return redirect("reports:workspace", report_id=report.pk)


# --- Entities ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def entity_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = forms.EntityForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if limits.limit_reached(request, "entity_create"):
            form.add_error(None, limits.limit_message("entity_create"))  # the form keeps what was typed
            status = 429
        else:
            entity = services.entity_create(user=request.user, **form.cleaned_data)
            audit.record(request, SecurityEvent.Kind.ENTITY, obj=entity, action="created")
            _remember_entity(request, entity.pk)
            messages.success(
                request, _("%(entity)s is registered and you are its owner.") % {"entity": entity.name}
            )
            return redirect("reports:start")
    return render(
        request,
        "reports/entity_form.html",
        {"form": form, "creating": True, "entities": list(selectors.entities_for_user(user=request.user))},
        status=status,
    )


def _membership_or_404(request: HttpRequest, entity_id: int) -> Membership:
    membership = selectors.membership_for(user=request.user, entity_id=entity_id)
    if membership is None:
        audit.record(request, SecurityEvent.Kind.ACCESS_DENIED, object_type="entity", object_id=entity_id)
        raise Http404(_("No such entity."))
    return membership


@login_required
@require_http_methods(["GET", "POST"])
def entity_edit(request: AuthenticatedHttpRequest, entity_id: int) -> HttpResponse:
    membership = _membership_or_404(request, entity_id)
    entity = membership.entity
    form = forms.EntityForm(
        request.POST if request.method == "POST" else None,
        instance=selectors.entity_by_id(entity_id=entity.pk),
    )
    if request.method == "POST" and form.is_valid():
        services.entity_update(entity=entity, actor=request.user, **form.cleaned_data)
        messages.success(request, _("The entity's profile is saved."))
        return redirect("reports:entity_edit", entity_id=entity.pk)
    return render(
        request,
        "reports/entity_form.html",
        {
            "form": form,
            "entity": entity,
            "membership": membership,
            "creating": False,
            "submitted": services.entity_has_submissions(entity=entity),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def entity_members(request: AuthenticatedHttpRequest, entity_id: int) -> HttpResponse:
    membership = _membership_or_404(request, entity_id)
    entity = membership.entity
    is_owner = membership.role == membership.Role.OWNER
    form = forms.InvitationForm(request.POST if request.method == "POST" else None)
    members = list(selectors.entity_memberships(entity=entity))
    status = 200
    if request.method == "POST":
        if not is_owner:
            raise Http404(_("Only the entity's owners invite colleagues."))
        if form.is_valid():
            email = form.cleaned_data["email"]
            if any(m.user.email.lower() == email for m in members):
                form.add_error("email", _("%(email)s is already a member.") % {"email": email})
            elif limits.limit_reached(request, "invitation", key=f"entity:{entity.pk}"):
                form.add_error("email", limits.limit_message("invitation"))  # the address stays typed
                status = 429
            else:
                row = invitations.invitation_send(entity=entity, email=email, inviter=request.user)
                audit.record(request, SecurityEvent.Kind.INVITATION, obj=row, action="sent", invited=email)
                messages.success(
                    request,
                    _("Invitation sent to %(email)s. The link is valid for 14 days.") % {"email": email},
                )
                return redirect("reports:entity_members", entity_id=entity.pk)
    pending = invitations.invitations_pending(entity=entity) if is_owner else []
    return render(
        request,
        "reports/entity_members.html",
        {
            "entity": entity,
            "membership": membership,
            "is_owner": is_owner,
            "members": members,
            "form": form,
            "pending": pending,
        },
        status=status,
    )


@login_required
@require_POST
def invitation_withdraw(
    request: AuthenticatedHttpRequest, entity_id: int, invitation_id: int
) -> HttpResponse:
    membership = _membership_or_404(request, entity_id)
    if membership.role != membership.Role.OWNER:
        audit.record(
            request, SecurityEvent.Kind.ACCESS_DENIED, object_type="invitation", object_id=invitation_id
        )
        raise Http404(_("Only the entity's owners withdraw invitations."))
    try:
        row = invitations.invitation_withdraw(
            entity=membership.entity, invitation_id=invitation_id, actor=request.user
        )
    except invitations.InvitationError as error:
        messages.error(request, str(error))
    else:
        audit.record(request, SecurityEvent.Kind.INVITATION, obj=row, action="withdrawn", invited=row.email)
        withdrawn = _("The invitation to %(email)s is withdrawn: its link no longer works.")
        messages.success(request, withdrawn % {"email": row.email})
    return redirect("reports:entity_members", entity_id=entity_id)


@login_required
@require_POST
def member_remove(request: AuthenticatedHttpRequest, entity_id: int, user_id: int) -> HttpResponse:
    membership = _membership_or_404(request, entity_id)
    target = next(
        (m for m in selectors.entity_memberships(entity=membership.entity) if m.user_id == user_id), None
    )
    if target is None:
        audit.record(request, SecurityEvent.Kind.ACCESS_DENIED, object_type="user", object_id=user_id)
        raise Http404(_("No such member."))
    try:
        services.membership_remove(entity=membership.entity, user=target.user, actor=request.user)
    except MembershipError as error:
        messages.error(request, str(error))
        return redirect("reports:entity_members", entity_id=entity_id)
    audit.record(
        request,
        SecurityEvent.Kind.MEMBER,
        obj=membership.entity,
        action="left" if target.user_id == request.user.pk else "removed",
        member=target.user.email,
        role=target.role,
    )
    if target.user_id == request.user.pk:
        request.session.pop(SESSION_ENTITY, None)
        messages.success(request, _("You left %(entity)s.") % {"entity": membership.entity.name})
        return redirect("reports:start")
    messages.success(
        request,
        _("%(email)s no longer has access to %(entity)s.")
        % {"email": target.user.email, "entity": membership.entity.name},
    )
    return redirect("reports:entity_members", entity_id=entity_id)


@login_required
@require_POST
def entity_switch(request: HttpRequest, entity_id: int) -> HttpResponse:
    membership = _membership_or_404(request, entity_id)
    _remember_entity(request, membership.entity_id)
    messages.info(request, _("You are now working for %(entity)s.") % {"entity": membership.entity.name})
    return redirect("reports:start")


# --- Invitations --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invite = invitations.invitation_read(token)
    except invitations.InvitationError as error:
        return render(request, "reports/invitation.html", {"error": str(error)}, status=410)
    entity = selectors.entity_by_id(entity_id=invite.entity_id)
    if entity is None:
        return render(
            request,
            "reports/invitation.html",
            {"error": _("The entity you were invited to no longer exists.")},
            status=410,
        )
    context: dict[str, Any] = {"invite": invite, "entity": entity, "token": token}
    if not request.user.is_authenticated:
        here = request.get_full_path()
        context["login_url"] = _login_url(here)
        context["signup_url"] = f"{reverse('account_signup')}?{urlencode({'next': here})}"
        return render(request, "reports/invitation.html", context)
    if selectors.membership_for(user=request.user, entity_id=entity.pk):
        _remember_entity(request, entity.pk)
        messages.info(request, _("You are already a member of %(entity)s.") % {"entity": entity.name})
        return redirect("reports:start")
    if invite.used:
        return render(request, "reports/invitation.html", {"error": invitations.used_message()}, status=410)
    if not invitations.user_has_email(request.user, invite.email):
        context["error"] = invitations.wrong_person_message(invite, request.user)
        return render(request, "reports/invitation.html", context, status=403)
    if request.method == "POST":
        try:
            membership = invitations.invitation_accept(invitation=invite, user=request.user)
        except invitations.InvitationError as error:
            return render(request, "reports/invitation.html", {"error": str(error)}, status=410)
        audit.record(
            request,
            SecurityEvent.Kind.INVITATION,
            obj=membership,
            action="accepted",
            invitation=invite.row_id,
        )
        _remember_entity(request, entity.pk)
        messages.success(request, _("Welcome to %(entity)s's report.") % {"entity": entity.name})
        return redirect("reports:start")
    return render(request, "reports/invitation.html", context)


# --- The workspace ------------------------------------------------------------------------------


@login_required
@require_GET
def workspace(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report_or_404(request, report_id)
    _remember_entity(request, report.entity_id)
    context = _workspace_context(request, report)
    context["missing"] = reviewing.report_checklist(report=report)
    context["submissions"] = list(selectors.report_submissions(report=report)[:1])
    context["next_open"] = selectors.outline_next_open(context["outline"])
    context["start_offer"] = selectors.report_start_offer(report=report) if context["editable"] else None
    context["report_languages"] = forms.language_choices()
    return render(request, "reports/workspace.html", context)


def _section_anonymous(request: HttpRequest, report_id: int, key: str) -> HttpResponse:
    """No valid session: a GET goes to the login page; a POST keeps the text first when the
    session belonged to someone (see ``reports/web/stash.py``) and then goes to the login page,
    which brings the person back."""
    login_url = _login_url(_section_url(report_id, key))
    if request.method != "POST":
        return redirect(login_url)
    kept = stash.stash_put(request, report_id=report_id, key=key)
    if kept:
        message = _(
            "Your session had expired, so your text is not saved yet, but it is kept: log in and it "
            "will be back in the form, ready to save."
        )
    else:
        message = _(
            "You are not logged in, so this text could not be saved or kept. Log in, then type it "
            "again and save."
        )
    if _wants_json(request):
        return JsonResponse(
            {"ok": False, "expired": True, "kept": kept, "message": message, "login_url": login_url},
            status=401,
        )
    messages.warning(request, message)
    return redirect(login_url)


def _saved_payload(report: Report, key: str, *, incomplete: int = 0) -> dict[str, Any]:
    outline = selectors.report_outline(report=report)
    info = selectors.section_saved_info(report=report, key=key)
    now = _clock(timezone.now())
    message = _("Saved at %(time)s") % {"time": now}
    if incomplete:
        message = _("Saved at %(time)s. The row you are filling in is saved once it is complete.") % {
            "time": now
        }
    return {
        "ok": True,
        "version": info.version,
        "saved_at": now,
        "incomplete": incomplete,
        "message": message,
        "progress": selectors.outline_progress(outline),
        "states": {
            k: {"state": item.state, "label": str(item.state_label)}
            for k, item in selectors.outline_states(outline).items()
        },
    }


def _render_section(
    request: HttpRequest,
    report: Report,
    key: str,
    spec: annex.Section,
    line: ActionLine | None,
    editor: forms.SectionEditor,
    stored: dict[str, Any],
    *,
    conflict: EditConflict | None = None,
    restored: bool = False,
    status: int = 200,
) -> HttpResponse:
    context = _workspace_context(request, report, current_key=key)
    keys = selectors.outline_keys(context["outline"])
    position = keys.index(key) if key in keys else 0
    saved = selectors.section_saved_info(report=report, key=key)
    conflict_info = None
    if conflict is not None:
        conflict_info = {"by": conflict.saved_by, "at": saved.at, "theirs": conflict.theirs}
    sub_lines_answered = line is not None and selectors.sub_lines_addressed(report=report, line=line)
    # Unchanged / updated / new against the previous cycle's submitted report, by each field.
    previous = selectors.report_previous_submitted(report=report)
    changes = selectors.report_section_changes(previous=previous, key=key, values=stored)
    rows = editor.rows(conflict.theirs if conflict else None)
    for row in rows:
        row.change = changes.get(row.field.name, "")  # type: ignore[attr-defined]
    context.update(
        {
            "spec": spec,
            "line": line,
            "key": key,
            "editor": editor,
            "rows": rows,
            "previous": previous,
            "changes": changes,
            "change_labels": selectors.CHANGE_LABELS,
            "conflict": conflict_info,
            "restored": restored,
            "saved": saved,
            "state": selectors.outline_states(context["outline"]).get(key),
            "previous_key": keys[position - 1] if position > 0 else None,
            "next_key": keys[position + 1] if position + 1 < len(keys) else None,
            "indicator_examples": annex.INDICATOR_EXAMPLES,
            "not_applicable": text.is_not_applicable(
                not_applicable=bool(stored.get("not_applicable")), sub_lines=[sub_lines_answered]
            ),
            "sub_lines_answered": sub_lines_answered,
            "not_applicable_label": annex.NOT_APPLICABLE_LABEL,
            "stories_title": annex.SUCCESS_STORIES_TITLE,
            "stories_guidance": annex.SUCCESS_STORIES_GUIDANCE,
            "indicators_title": _("Key indicators, one per row"),
            "indicators_guidance": _(
                "Start typing an indicator's name to see the template's examples. Rows left empty "
                "are ignored; tick “Remove when saving” to delete a row."
            ),
            "autosave_seconds": settings.REPORT_AUTOSAVE_SECONDS,
        }
    )
    return render(request, "reports/section.html", context, status=status)


@require_http_methods(["GET", "POST"])
def section(request: HttpRequest, report_id: int, key: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _section_anonymous(request, report_id, key)
    report = _report_or_404(request, report_id)
    spec, line = _section_or_404(key)
    if spec.kind is annex.Kind.ACTION_LINES and line is None:
        if request.method == "POST":
            return redirect(_section_url(report.pk, key))
        context = _workspace_context(request, report, current_key=key)
        context.update({"spec": spec, "lines": selectors.outline_states(context["outline"])[key]})
        return render(request, "reports/section_lines.html", context)
    _remember_entity(request, report.entity_id)
    editable = report.is_editable_by_stakeholders
    version = services.report_section_version(report=report, key=key)
    values = services.report_section_values(report=report, key=key)

    if request.method == "GET":
        kept = stash.stash_get(request, report_id=report.pk, key=key) if editable else None
        editor = forms.SectionEditor(
            key=key, values=values, version=version, data=kept, spec=spec, line=line, disabled=not editable
        )
        if kept is not None:
            editor.is_valid()  # show any message on the kept text right away
        return _render_section(request, report, key, spec, line, editor, values, restored=kept is not None)

    if not editable:
        message = _("This report has been submitted and can no longer be changed.")
        if _wants_json(request):
            return JsonResponse({"ok": False, "message": message}, status=409)
        messages.info(request, message)
        return redirect("reports:submitted", report_id=report.pk)

    editor = forms.SectionEditor(
        key=key,
        values=values,
        version=version,
        data=request.POST,
        spec=spec,
        line=line,
        partial=_wants_json(request),
    )
    if not editor.is_valid():
        if _wants_json(request):
            errors = editor.errors()
            first = next(iter(errors.items()), ("", [""]))
            return JsonResponse(
                {
                    "ok": False,
                    "errors": errors,
                    "message": _("Not saved: %(field)s — %(error)s")
                    % {"field": first[0], "error": first[1][0]},
                },
                status=400,
            )
        messages.error(
            request, _("Not saved yet: please correct the fields marked below. Your text is kept.")
        )
        return _render_section(request, report, key, spec, line, editor, values, status=400)

    try:
        saved = services.report_save_section(
            report=report, key=key, data=editor.cleaned(), base_version=editor.base_version, user=request.user
        )
    except EditConflict as conflict:
        if _wants_json(request):
            return JsonResponse(
                {
                    "ok": False,
                    "conflict": True,
                    "message": _(
                        "Not saved: a colleague saved this section while you were editing it. Nothing "
                        "was overwritten. Compare the two versions, then save again."
                    ),
                    "saved_by": conflict.saved_by,
                },
                status=409,
            )
        report.refresh_from_db(fields=["section_versions", "version", "status"])
        data = request.POST.copy()
        data["base_version"] = str(conflict.current_version)
        editor = forms.SectionEditor(key=key, values=values, version=version, data=data, spec=spec, line=line)
        editor.is_valid()
        return _render_section(
            request, report, key, spec, line, editor, values, conflict=conflict, status=409
        )
    except NotEditable as error:
        if _wants_json(request):
            return JsonResponse({"ok": False, "message": str(error)}, status=409)
        messages.info(request, str(error))
        return redirect("reports:submitted", report_id=report.pk)

    if _wants_json(request):
        response: HttpResponse = JsonResponse(_saved_payload(saved, key, incomplete=editor.incomplete_rows))
    else:
        messages.success(request, _("Saved at %(time)s.") % {"time": _clock(timezone.now())})
        target = key
        if request.POST.get("after") == "next":
            keys = selectors.outline_keys(selectors.report_outline(report=saved))
            position = keys.index(key)
            target = keys[position + 1] if position + 1 < len(keys) else key
        response = redirect(_section_url(report.pk, target))
    stash.stash_clear(request, report_id=report.pk, key=key)
    return response


@login_required
@require_POST
def line_not_applicable(request: AuthenticatedHttpRequest, report_id: int, key: str) -> HttpResponse:
    report = _report_or_404(request, report_id)
    _spec, line = _section_or_404(key)
    if line is None:
        raise Http404(_("No such Action Line."))
    form = forms.NotApplicableForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That did not work: reload the page and try again."))
        return redirect(_section_url(report.pk, key))
    marking = form.cleaned_data["not_applicable"]
    try:
        services.report_mark_line_not_applicable(
            report=report,
            key=key,
            not_applicable=marking,
            base_version=form.cleaned_data["base_version"],
            user=request.user,
        )
    except EditConflict:
        messages.error(
            request,
            _("A colleague saved this Action Line meanwhile. Check what they wrote, then try again."),
        )
        return redirect(_section_url(report.pk, key))
    except NotEditable as error:
        messages.info(request, str(error))
        return redirect("reports:submitted", report_id=report.pk)
    except ReportError as error:
        messages.error(request, str(error))
        return redirect(_section_url(report.pk, key))
    if marking:
        messages.success(request, _("%(line)s is marked not applicable.") % {"line": line.label})
    else:
        messages.success(request, _("%(line)s applies to your entity again.") % {"line": line.label})
    return redirect(_section_url(report.pk, key))


# --- Preview, submission ------------------------------------------------------------------------


@login_required
@require_GET
def preview(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report_or_404(request, report_id)
    context = _workspace_context(request, report)
    context.update(document_context(snapshot.document_for_report(report)))
    context["missing"] = reviewing.report_checklist(report=report)
    return render(request, "reports/preview.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def submit(request: AuthenticatedHttpRequest, report_id: int) -> HttpResponse:
    report = _report_or_404(request, report_id)
    if not report.is_editable_by_stakeholders:
        messages.info(request, _("This report has already been submitted; here it is."))
        return redirect("reports:submitted", report_id=report.pk)
    form = forms.SubmitForm(request.POST if request.method == "POST" else None)
    refused_now = False
    if request.method == "POST" and form.is_valid():
        try:
            submission = services.report_submit(report=report, user=request.user)
        except NotEditable:
            messages.info(
                request,
                _(
                    "This report had already been submitted (by a second click or another tab). "
                    "It was submitted once."
                ),
            )
            return redirect("reports:submitted", report_id=report.pk)
        except SubmissionRefused as error:
            refused_now = True
            if not deadlines.deadline_state(report=report).refused:  # the deadline's message is shown once
                form.add_error(None, str(error))
        else:
            text = _("Your report is submitted: submission no. %(number)d, %(date)s.") % {
                "number": submission.number,
                "date": date_format(timezone.localtime(submission.submitted_at), "DATETIME_FORMAT"),
            }
            if submission.is_late:
                text += " " + _("It arrived after the deadline and is marked late.")
            messages.success(request, text)
            return redirect("reports:submission", pk=submission.pk)
    context = _workspace_context(request, report, current_key="submit")
    context.update(
        {
            "form": form,
            "missing": reviewing.report_checklist(report=report),
        }
    )
    status = 400 if form.errors or refused_now else 200
    return render(request, "reports/submit.html", context, status=status)


@login_required
@require_GET
def submitted(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report_or_404(request, report_id)
    latest = selectors.report_submissions(report=report).first()
    if latest is None:
        return redirect("reports:workspace", report_id=report.pk)
    return redirect("reports:submission", pk=latest.pk)


@login_required
@require_GET
def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    submission = selectors.submission_for_member(user=request.user, submission_id=pk)
    if submission is None:
        audit.record(request, SecurityEvent.Kind.ACCESS_DENIED, object_type="submission", object_id=pk)
        raise Http404(_("No such submission."))
    report = submission.report
    context = {
        "submission": submission,
        "report": report,
        "entity": report.entity,
        "footer_cycle": report.cycle,
        "submissions": list(selectors.report_submissions(report=report)),
        "pdf_url": _pdf_url(submission.pk),
        # The latest submission, not yet under review: the entity may take it back (``recall``).
        "can_recall": (
            report.status == Report.Status.SUBMITTED and submission.number == report.submission_count
        ),
        **document_context(submission.content),
    }
    return render(request, "reports/submission.html", context)


RECALL_CONFIRM = "confirm"


@login_required
@require_POST
def report_language(request: AuthenticatedHttpRequest, report_id: int) -> HttpResponse:
    """The entity chooses the language of its report (the control on the workspace's overview)."""
    report = _report_or_404(request, report_id)
    form = forms.ReportLanguageForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors.get("language", [])))
        return redirect("reports:workspace", report_id=report.pk)
    try:
        report = services.report_set_language(report=report, language=form.cleaned_data["language"])
    except ReportError as error:
        messages.error(request, str(error))
        return redirect("reports:workspace", report_id=report.pk)
    name = dict(forms.language_choices())[report.language]
    messages.success(
        request,
        _(
            "The report's language is now %(language)s: its PDF is laid out in it, and receipts, "
            "reminders and requests for changes are written in it."
        )
        % {"language": name},
    )
    return redirect("reports:workspace", report_id=report.pk)


@login_required
@require_POST
def recall(request: AuthenticatedHttpRequest, report_id: int) -> HttpResponse:
    """Take a submitted report back before the secretariat starts reviewing it (the box on the
    submission's page confirms it). The submission and its PDF are kept."""
    report = _report_or_404(request, report_id)
    if request.POST.get(RECALL_CONFIRM) != "yes":
        messages.error(request, _("Tick the box to confirm that you want to recall the submission."))
        return redirect("reports:submitted", report_id=report.pk)
    from_status = report.status
    try:
        recalled = services.report_recall(report=report, user=request.user)
    except ReportError as error:
        messages.error(request, str(error))
        return redirect("reports:submitted", report_id=report.pk)
    audit.record(
        request,
        SecurityEvent.Kind.REVIEW,
        obj=recalled,
        from_status=from_status,
        to_status=recalled.status,
        recalled=True,
    )
    messages.success(
        request,
        _(
            "Your submission is recalled: the report is open for editing again. "
            "Submit it again when it is ready; the recalled submission is kept."
        ),
    )
    return redirect("reports:workspace", report_id=recalled.pk)


@login_required
@require_POST
def start_from_previous(request: AuthenticatedHttpRequest, report_id: int) -> HttpResponse:
    """Fill an untouched draft with the entity's report for the previous cycle (the workspace offers
    it while nothing is saved yet)."""
    report = _report_or_404(request, report_id)
    try:
        started = services.report_start_from_previous(report=report, user=request.user)
    except ReportError as error:
        messages.error(request, str(error))
        return redirect("reports:workspace", report_id=report.pk)
    previous = started.started_from
    messages.success(
        request,
        _(
            "Your report now holds the answers of your report for %(cycle)s. Each field shows "
            "whether you have changed it since: update what has moved on, then submit."
        )
        % {"cycle": previous.cycle.name if previous else ""},
    )
    return redirect("reports:workspace", report_id=started.pk)
