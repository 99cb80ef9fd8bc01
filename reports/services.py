"""Writes: every change to entities, memberships and reports goes through these functions.

Keyword-only, type-hinted, named ``<noun>_<verb>``. Views, forms, admin actions, tasks and
commands call them; they raise ``ReportError`` subclasses with a message a person can read,
which views turn into a message where the user is looking. The errors live in ``errors.py``;
they are imported here too, so ``services.EditConflict`` is ``errors.EditConflict``.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime
from typing import Any

from celery import current_app
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from action_lines.models import ActionLine

from . import audit, deadlines, published, reviewing, selectors, text
from .annex import CONTACT_FIELDS, INDICATOR_COLUMNS, NARRATIVE_FIELDS, SECTIONS, Kind, section
from .delivery import rows as delivery_rows
from .delivery import runner as delivery
from .delivery import tasks as delivery_tasks
from .document import snapshot
from .errors import (
    EditConflict,
    IllegalTransition,
    MembershipError,
    NotEditable,
    ReportError,
    SubmissionRefused,
)
from .models import (
    LINE_ADDRESSED,
    ActionLineProgress,
    Country,
    Entity,
    FollowUpContact,
    Invitation,
    KeyIndicator,
    Membership,
    PublishedVersion,
    Report,
    ReportingCycle,
    SecurityEvent,
    StatusChange,
    Submission,
    SuccessStory,
)

S = Report.Status


# --- Entities and memberships -----------------------------------------------------------


@transaction.atomic
def entity_create(
    *,
    user: User,
    name: str,
    stakeholder_type: str,
    country: Country,
    acronym: str = "",
    website: str = "",
) -> Entity:
    """Create an entity; its creator becomes its owner."""
    entity = Entity.objects.create(
        name=name.strip(),
        acronym=acronym.strip(),
        stakeholder_type=stakeholder_type,
        country=country,
        website=website,
    )
    Membership.objects.create(user=user, entity=entity, role=Membership.Role.OWNER)
    return entity


# What a report is submitted as: changing one of these after a submission is recorded, and a
# member changing one of them takes the Secretariat's verification back (it vouched for them).
ENTITY_IDENTITY_FIELDS = ("name", "stakeholder_type", "country")


def _entity_changes(entity: Entity, fields: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for the fields whose value ``fields`` changes (JSON-ready)."""

    def plain(value: Any) -> Any:
        return value.pk if isinstance(value, Country) else value

    changes = {}
    for name, value in fields.items():
        before = getattr(entity, name)
        if isinstance(value, str) and isinstance(before, str) and value.strip() == before:
            continue
        if plain(before) != plain(value):
            changes[name] = [plain(before), plain(value)]
    return changes


def entity_has_submissions(*, entity: Entity) -> bool:
    return Report.objects.filter(entity=entity, submission_count__gt=0).exists()


@transaction.atomic
def entity_update(*, entity: Entity, actor: User, **fields: Any) -> Entity:
    """A member edits the entity's profile. Before a submission this is just an edit; after one,
    the change is recorded (``SecurityEvent.Kind.ENTITY``; the submissions keep what they were
    submitted with). A verified entity whose name, stakeholder type or country changes is
    unverified again: the Secretariat vouched for the old ones."""
    allowed = {"name", "acronym", "stakeholder_type", "country", "website"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    membership_require(entity=entity, user=actor)
    changes = _entity_changes(entity, fields)
    for name, value in fields.items():
        setattr(entity, name, value.strip() if isinstance(value, str) else value)
    update = [*fields, "updated_at"]
    reset = entity.verification == Entity.Verification.VERIFIED and any(
        name in changes for name in ENTITY_IDENTITY_FIELDS
    )
    if reset:
        entity.verification = Entity.Verification.UNVERIFIED
        entity.verified_at = None
        entity.verified_by = None
        update += ["verification", "verified_at", "verified_by"]
    entity.save(update_fields=update)
    if changes and (reset or entity_has_submissions(entity=entity)):
        audit.record(
            None,
            SecurityEvent.Kind.ENTITY,
            obj=entity,
            actor=actor,
            action="edited after submission" if entity_has_submissions(entity=entity) else "edited",
            changes=changes,
            verification_reset=reset,
        )
    return entity


def membership_require(*, entity: Entity, user: User, owner: bool = False) -> Membership:
    membership = Membership.objects.filter(entity=entity, user=user).first()
    if membership is None or (owner and membership.role != Membership.Role.OWNER):
        raise MembershipError(_("Only the entity's owners can do this."))
    return membership


@transaction.atomic
def membership_add(*, entity: Entity, user: User, role: str = Membership.Role.EDITOR) -> Membership:
    """Add a person to an entity (accepting an invitation); an existing membership is kept."""
    membership, _created = Membership.objects.get_or_create(entity=entity, user=user, defaults={"role": role})
    return membership


@transaction.atomic
def membership_remove(*, entity: Entity, user: User, actor: User) -> None:
    """An owner removes a colleague (or a person leaves). The last owner cannot go."""
    if actor.pk != user.pk:
        membership_require(entity=entity, user=actor, owner=True)
    memberships = list(Membership.objects.select_for_update().filter(entity=entity))
    target = next((m for m in memberships if m.user_id == user.pk), None)
    if target is None:
        return
    owners = [m for m in memberships if m.role == Membership.Role.OWNER]
    if target.role == Membership.Role.OWNER and len(owners) == 1:
        raise MembershipError(_("An entity needs at least one owner: make someone else owner first."))
    target.delete()


# --- The report -------------------------------------------------------------------------


def report_get_or_create(*, entity: Entity, cycle: ReportingCycle, language: str | None = None) -> Report:
    """The entity's report for ``cycle``; a new one is written in ``language`` (the interface
    language of whoever opens it first) until the entity chooses another (``report_set_language``)."""
    defaults: dict[str, Any] = {}
    if language:
        with contextlib.suppress(LookupError):  # not one of the portal's: the model's default
            defaults["language"] = translation.get_supported_language_variant(language)
    report, _created = Report.objects.get_or_create(entity=entity, cycle=cycle, defaults=defaults)
    return report


def section_key_for_line(line: ActionLine) -> str:
    return f"line-{line.code}"


def _lock(report: Report) -> Report:
    return Report.objects.select_for_update().select_related("cycle", "entity").get(pk=report.pk)


def _section_state(report: Report, key: str) -> dict[str, Any]:
    return report.section_versions.get(key, {"v": 0})


def report_section_version(*, report: Report, key: str) -> int:
    return int(_section_state(report, key).get("v", 0))


def _narrative_values(report: Report, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(report, name) for name in names}


def _line_values(report: Report, line: ActionLine) -> dict[str, Any]:
    row = ActionLineProgress.objects.filter(report=report, action_line=line).first()
    stories = SuccessStory.objects.filter(report=report, action_line=line).order_by("order", "pk")
    return {
        "achievements": row.achievements if row else "",
        "challenges": row.challenges if row else "",
        "future_priorities": row.future_priorities if row else "",
        "not_applicable": bool(row and row.not_applicable),
        "success_stories": [
            {"title": s.title, "description": s.description, "url": s.url, "year": s.year} for s in stories
        ],
    }


def _indicator_values(report: Report) -> dict[str, Any]:
    return {
        "indicators_narrative": report.indicators_narrative,
        "indicators": [
            {name: getattr(i, name) for name, _label in INDICATOR_COLUMNS}
            for i in KeyIndicator.objects.filter(report=report).order_by("order", "pk")
        ],
    }


def _contact_values(report: Report) -> dict[str, Any]:
    contact = FollowUpContact.objects.filter(report=report).first()
    return {name: getattr(contact, name) if contact else "" for name, _label in CONTACT_FIELDS}


def report_section_values(*, report: Report, key: str) -> dict[str, Any]:
    """The current stored values of one workspace section (what a form starts from)."""
    if key.startswith("line-"):
        return _line_values(report, ActionLine.objects.get(code=key.removeprefix("line-")))
    spec = section(key)
    if spec.kind is Kind.INDICATORS:
        return _indicator_values(report)
    if spec.kind is Kind.CONTACT:
        return _contact_values(report)
    return _narrative_values(report, spec.field_names)


def _write_line(report: Report, line: ActionLine, data: dict[str, Any]) -> None:
    ActionLineProgress.objects.update_or_create(
        report=report,
        action_line=line,
        defaults={
            "achievements": data.get("achievements", ""),
            "challenges": data.get("challenges", ""),
            "future_priorities": data.get("future_priorities", ""),
            "not_applicable": bool(data.get("not_applicable")),
        },
    )
    SuccessStory.objects.filter(report=report, action_line=line).delete()
    SuccessStory.objects.bulk_create(
        [
            SuccessStory(
                report=report,
                action_line=line,
                title=story["title"],
                description=story.get("description", ""),
                url=story.get("url", ""),
                year=story.get("year"),
                order=order,
            )
            for order, story in enumerate(data.get("success_stories", []))
        ]
    )


def _write_indicators(report: Report, data: dict[str, Any]) -> None:
    report.indicators_narrative = data.get("indicators_narrative", "")
    KeyIndicator.objects.filter(report=report).delete()
    KeyIndicator.objects.bulk_create(
        [
            KeyIndicator(
                report=report,
                order=order,
                **{
                    name: row.get(name) or ("" if name != "year" else None)
                    for name, _label in INDICATOR_COLUMNS
                },
            )
            for order, row in enumerate(data.get("indicators", []))
        ]
    )


def _write_contact(report: Report, data: dict[str, Any]) -> None:
    FollowUpContact.objects.update_or_create(
        report=report, defaults={name: data.get(name, "") for name, _label in CONTACT_FIELDS}
    )


def _lines_covered(report: Report) -> int:
    """How many Action Lines and C7 sub-lines the report addresses (at most 19): each addressed
    row, plus C7 once when only its sub-lines are (``text.is_addressed_with_sub_lines``)."""
    rows = ActionLineProgress.objects.filter(LINE_ADDRESSED, report=report)
    covered = set()
    for line_id, parent_id in rows.values_list("action_line_id", "action_line__parent_id"):
        covered.add(line_id)
        if parent_id is not None:
            covered.add(parent_id)
    return len(covered)


@transaction.atomic
def report_save_section(
    *,
    report: Report,
    key: str,
    data: dict[str, Any],
    base_version: int,
    user: User,
    at: datetime | None = None,
) -> Report:
    """Save one workspace section (``executive-summary``, ``strategies``, ``line-C2``, ``indicators``,
    ``contact`` …) from cleaned form data.

    ``base_version`` is the section version the form was loaded with. If a colleague has saved
    the section since, nothing is written and ``EditConflict`` carries both versions.
    Saving unchanged data does not bump the version (autosave of an untouched page is a no-op).
    """
    locked = _lock(report)
    if not locked.is_editable_by_stakeholders:
        raise NotEditable(_("This report has been submitted and can no longer be changed."))

    current = report_section_values(report=locked, key=key)
    state = _section_state(locked, key)
    if int(base_version) != int(state.get("v", 0)):
        if _same(current, data):
            return locked  # the colleague saved exactly this: nothing to do, no conflict
        raise EditConflict(
            section_key=key,
            theirs=current,
            yours=data,
            current_version=int(state.get("v", 0)),
            saved_by=state.get("by", ""),
            saved_at=state.get("at", ""),
        )
    if _same(current, data):
        return locked

    if key.startswith("line-"):
        _write_line(locked, ActionLine.objects.get(code=key.removeprefix("line-")), data)
        locked.lines_covered = _lines_covered(locked)
    else:
        spec = section(key)
        if spec.kind is Kind.INDICATORS:
            _write_indicators(locked, data)
        elif spec.kind is Kind.CONTACT:
            _write_contact(locked, data)
        else:
            for name in spec.field_names:
                setattr(locked, name, data.get(name, ""))

    now = at or timezone.now()
    locked.section_versions = {
        **locked.section_versions,
        key: {"v": int(state.get("v", 0)) + 1, "by": getattr(user, "email", ""), "at": now.isoformat()},
    }
    locked.version += 1
    locked.save()
    return locked


def _same(current: dict[str, Any], data: dict[str, Any]) -> bool:
    def norm(value: Any) -> Any:
        if isinstance(value, str):
            return text.normalize(value)
        if isinstance(value, list):
            return [norm(v) for v in value]
        if isinstance(value, dict):
            return {k: norm(v) for k, v in value.items() if v not in ("", None, [], False)}
        return value

    return norm({k: current.get(k) for k in data}) == norm(data)


@transaction.atomic
def report_set_language(*, report: Report, language: str) -> Report:
    """The language the entity writes its report in (any of the portal's six): its PDFs are laid out
    in it and its receipts, reminders and changes-requested e-mails are written in it. Submissions
    already made keep the language they were made in (their snapshot and stored PDF)."""
    if language not in dict(settings.LANGUAGES):
        raise ReportError(_("Choose one of the portal's languages."))
    locked = _lock(report)
    if locked.language != language:
        locked.language = language
        locked.save(update_fields=["language", "updated_at"])
    return locked


# --- Submission and review ---------------------------------------------------------------

# Which moves the review workflow allows (stakeholders submit; the secretariat does the rest).
TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.SUBMITTED},
    # To draft: the entity recalls its submission (``report_recall``), never the secretariat.
    S.SUBMITTED: {S.UNDER_REVIEW, S.CHANGES_REQUESTED, S.ACCEPTED, S.DRAFT},
    S.UNDER_REVIEW: {S.ACCEPTED, S.CHANGES_REQUESTED, S.SUBMITTED},
    S.CHANGES_REQUESTED: {S.SUBMITTED},
    S.ACCEPTED: {S.PUBLISHED, S.UNDER_REVIEW},
    S.PUBLISHED: {S.ACCEPTED},
}


def _move(report: Report, to_status: str, *, actor: User | None, message: str = "") -> None:
    if to_status not in TRANSITIONS.get(report.status, set()):
        raise IllegalTransition(
            _("A report that is “%(current)s” cannot be moved to “%(target)s”.")
            % {"current": S(report.status).label, "target": S(to_status).label}
        )
    StatusChange.objects.create(
        report=report, from_status=report.status, to_status=to_status, actor=actor, message=message
    )
    report.status = to_status


@transaction.atomic
def report_submit(*, report: Report, user: User, at: datetime | None = None) -> Submission:
    """Submit (or resubmit) a report: checks what is missing and the deadline, stores a numbered
    immutable snapshot, and makes the report read-only for the entity.

    The row lock makes double clicks and two tabs produce one submission: the second one finds
    the report no longer editable and gets ``NotEditable``."""
    now = at or timezone.now()
    locked = _lock(report)
    if not locked.is_editable_by_stakeholders:
        raise NotEditable(_("This report has already been submitted."))
    # What the cycle requires, and every section the Secretariat flagged edited or answered.
    missing = reviewing.report_checklist(report=locked)
    if missing:
        raise SubmissionRefused(
            _("The report is not complete yet: %(items)s.")
            % {"items": "; ".join(str(m.label) for m in missing)}
        )
    # The entity's deadline (the cycle's or its extension), or an open changes request's answer-by date.
    late = deadlines.submission_is_late(report=locked, at=now)
    if deadlines.submission_refused(report=locked, at=now):
        raise SubmissionRefused(deadlines.refusal_message(locked))
    submission = submission_record(report=locked, user=user, at=now, late=late)
    delivery.submission_deliveries_create(submission=submission)
    return submission


@transaction.atomic
def submission_record(*, report: Report, user: User | None, at: datetime, late: bool = False) -> Submission:
    """The part of submitting that the secretariat's pages read: the report marked submitted and its
    numbered snapshot. No checks and no PDF or e-mail: ``report_submit`` checks before calling this and
    creates the deliveries after (the admin tests call it directly to submit incomplete reports)."""
    locked = _lock(report)
    _move(locked, S.SUBMITTED, actor=user)
    locked.submission_count += 1
    locked.submitted_at = at
    locked.submitted_by = user
    locked.is_late = late
    locked.changes_requested_message = ""
    locked.save()
    return Submission.objects.create(
        report=locked,
        number=locked.submission_count,
        submitted_at=at,
        submitted_by=user,
        is_late=late,
        content=snapshot.document_for_report(locked),
    )


@transaction.atomic
def report_request_changes(
    *, report: Report, actor: User, message: str, due_at: datetime | None = None
) -> Report:
    """The secretariat re-opens a submitted report for the entity, saying what to change and by when
    (``due_at``; by default ``deadlines.CHANGES_DUE_DAYS`` days, end of day in the cycle's zone): the
    entity may resubmit until then, whatever the cycle's late rule."""
    message = (message or "").strip()
    locked = _lock(report)
    if not message and not reviewing.review_flagged_unsent(report=locked):
        raise ReportError(
            _(
                "Say what should be changed: mark at least one section “Needs changes” with a comment, "
                "or write a message. Both are sent to the entity."
            )
        )
    _move(locked, S.CHANGES_REQUESTED, actor=actor, message=message)
    flagged = reviewing.review_send(report=locked, at=timezone.now())
    locked.changes_requested_message = message
    locked.changes_due_at = due_at or deadlines.changes_due_default(locked.cycle)
    locked.save()
    delivery.changes_notice_create(
        report=locked,
        message=message,
        sections=[{"key": r.section, "comment": r.comment} for r in flagged],
    )
    return locked


@transaction.atomic
def report_transition(*, report: Report, to_status: str, actor: User, message: str = "") -> Report:
    """Review moves other than submitting and requesting changes: start review, accept,
    publish, and back. Illegal moves raise ``IllegalTransition``."""
    if to_status == S.SUBMITTED and report.status in {S.DRAFT, S.CHANGES_REQUESTED}:
        raise IllegalTransition(_("Only the entity can submit its report."))
    if to_status == S.DRAFT:
        raise IllegalTransition(_("Only the entity can recall its submission."))
    if to_status == S.CHANGES_REQUESTED:
        return report_request_changes(report=report, actor=actor, message=message)
    locked = _lock(report)
    from_status = locked.status
    _move(locked, to_status, actor=actor, message=message)
    locked.save()
    if S.PUBLISHED in {from_status, to_status}:  # the public pages, search and caches follow
        published_version_record(report=locked, actor=actor)
    if to_status in {S.ACCEPTED, S.PUBLISHED}:
        # The entity's members learn it by e-mail, in the report's language (sent once by the worker).
        delivery_rows.status_notice_create(report=locked, status=to_status)
    if to_status in {S.ACCEPTED, S.PUBLISHED}:  # published, or back from published: the open data
        open_data_refresh_on_commit(cycle_id=locked.cycle_id)
    return locked


@transaction.atomic
def published_version_record(*, report: Report, actor: User | None) -> PublishedVersion | None:
    """Keep the public side in step with a report's publication (called by ``report_transition``).

    Published: its latest submission, without the follow-up contact, becomes the current published
    version: the next number for a new submission, the same version again when the report is
    published again unchanged. Taken back: the current version is marked withdrawn (the report
    leaves every public page). Either way public caches start afresh once the change is committed."""
    transaction.on_commit(published.public_stamp_forget)
    versions = PublishedVersion.objects.select_for_update().filter(report=report)
    current = versions.filter(is_current=True).first()
    now = timezone.now()
    if report.status != S.PUBLISHED:
        if current is not None and current.withdrawn_at is None:
            current.withdrawn_at = now
            current.save(update_fields=["withdrawn_at"])
        return current
    submission = report.submissions.order_by("-number").first()
    if current is not None and submission is not None and current.submission_id == submission.pk:
        current.withdrawn_at = None
        current.save(update_fields=["withdrawn_at"])
        return current
    content = submission.content if submission else snapshot.document_for_report(report)
    doc = published.document_public(content)
    if current is not None:
        current.is_current = False
        current.withdrawn_at = current.withdrawn_at or now
        current.save(update_fields=["is_current", "withdrawn_at"])
    config = published.search_config_for(report.language)
    version = PublishedVersion.objects.create(
        report=report,
        number=(current.number + 1) if current else 1,
        submission=submission,
        published_at=now,
        published_by=actor,
        content=doc,
        search_title=published.document_search_title(doc),
        search_text=published.document_search_text(doc),
        search_config=config,
    )
    if connection.vendor == "postgresql":
        PublishedVersion.objects.filter(pk=version.pk).update(search_vector=published.search_vector(config))
    return version


def published_versions_ensure() -> int:
    """A first published version for every published report that has none (reports published in
    bulk, e.g. by the demo data, not through ``report_transition``): their latest submission,
    without the contact. Returns how many were recorded."""
    missing = Report.objects.filter(status=S.PUBLISHED).exclude(published_versions__is_current=True)
    latest = Submission.objects.filter(
        report__in=missing, number=F("report__submission_count")
    ).select_related("report")
    now = timezone.now()
    rows = []
    for sub in latest.iterator(chunk_size=500):
        doc = published.document_public(sub.content)
        rows.append(
            PublishedVersion(
                report_id=sub.report_id,
                number=1 + PublishedVersion.objects.filter(report_id=sub.report_id).count(),
                submission=sub,
                published_at=sub.report.updated_at or now,
                content=doc,
                search_title=published.document_search_title(doc),
                search_text=published.document_search_text(doc),
                search_config=published.search_config_for(sub.report.language),
            )
        )
    with transaction.atomic():
        created = PublishedVersion.objects.bulk_create(rows, batch_size=500)
        if connection.vendor == "postgresql":
            for config in {row.search_config for row in created}:
                ids = [r.pk for r in created if r.search_config == config]
                PublishedVersion.objects.filter(pk__in=ids).update(
                    search_vector=published.search_vector(config)
                )
        transaction.on_commit(published.public_stamp_forget)
    return len(created)


def published_version_pdf_store(
    *, version: PublishedVersion, content: bytes, filename: str
) -> PublishedVersion:
    """Keep the public PDF of a published version, laid out on its first download: later downloads
    read the stored file. Two first downloads at once both lay it out; the last one stored stays."""
    version.pdf.save(filename, ContentFile(content), save=False)
    PublishedVersion.objects.filter(pk=version.pk).update(pdf=version.pdf.name)
    return version


@transaction.atomic
def report_recall(*, report: Report, user: User) -> Report:
    """An owner or editor takes back a submitted report before the secretariat starts reviewing it.

    The report goes back to where it was before that submission: to "changes requested" (with the
    secretariat's message and answer-by date) when it answered a changes request, else to draft.
    The submission, its snapshot and its PDF are kept; the next submission has the next number.
    Refused (``NotEditable``) once review started or when the report is not submitted."""
    membership_require(entity=report.entity, user=user)
    locked = _lock(report)
    if locked.status != S.SUBMITTED:
        raise NotEditable(
            _("This report can no longer be recalled: the secretariat has already started reviewing it.")
            if not locked.is_editable_by_stakeholders
            else _("This report is not submitted: there is nothing to recall.")
        )
    submitted = StatusChange.objects.filter(report=locked, to_status=S.SUBMITTED)
    answered = submitted.order_by("-created_at", "-pk").first()
    back_to = S.CHANGES_REQUESTED if answered and answered.from_status == S.CHANGES_REQUESTED else S.DRAFT
    with translation.override(settings.LANGUAGE_CODE):  # the secretariat reads it in the history
        note = _("Recalled by the entity before review.")
    _move(locked, back_to, actor=user, message=note)
    if back_to == S.CHANGES_REQUESTED:
        request = (
            StatusChange.objects.filter(report=locked, to_status=S.CHANGES_REQUESTED)
            .exclude(actor=user)
            .order_by("-created_at", "-pk")
            .first()
        )
        locked.changes_requested_message = request.message if request else ""
    locked.save()
    return locked


def report_mark_line_not_applicable(
    *, report: Report, key: str, not_applicable: bool, base_version: int, user: User
) -> Report:
    """Mark an Action Line (``line-<CODE>``) not applicable, or applicable again, in one click.
    The answers already typed are kept; the version check is the same as for any save."""
    if not key.startswith("line-"):
        raise ValueError(f"not an Action Line section: {key}")
    line = ActionLine.objects.get(code=key.removeprefix("line-"))
    if not_applicable and selectors.sub_lines_addressed(report=report, line=line):
        raise ReportError(
            _("%(line)s applies to your entity: one of its sub-lines is answered.") % {"line": line.label}
        )
    data = {**report_section_values(report=report, key=key), "not_applicable": bool(not_applicable)}
    return report_save_section(report=report, key=key, data=data, base_version=base_version, user=user)


@transaction.atomic
def report_lines_set_not_applicable(
    *,
    report: Report,
    marked: set[str] | frozenset[str],
    base_versions: dict[str, int],
    user: User,
    at: datetime | None = None,
) -> list[str]:
    """Mark Action Lines not applicable, and others applicable again, in one save (the page that
    lists every line with a checkbox). ``base_versions`` holds, per line code on the page, the
    version of its section (``line-<CODE>``) the page was loaded with; each of these lines ends up
    marked if its code is in ``marked`` and unmarked otherwise. Returns the codes that changed.

    All or nothing: if a colleague saved one of the lines to change since the page was loaded,
    nothing is written and ``EditConflict`` (``section_key`` "action-lines", ``theirs`` and
    ``yours`` by code) names them. A line with answers cannot be marked here, nor C7 while one of
    its sub-lines is addressed (the mark would contradict them): ``ReportError`` names them.
    Answers are never erased: a line marked and unmarked again gets them back."""
    locked = _lock(report)
    if not locked.is_editable_by_stakeholders:
        raise NotEditable(_("This report has been submitted and can no longer be changed."))
    lines = {line.code: line for line in ActionLine.objects.in_template_order()}
    rows = {row.action_line_id: row for row in ActionLineProgress.objects.filter(report=locked)}
    changes: dict[str, bool] = {}
    stale: dict[str, bool] = {}
    refused: list[str] = []
    for code, base_version in base_versions.items():
        line = lines.get(code)
        if line is None:
            continue
        row = rows.get(line.pk)
        wanted = code in marked
        if wanted == bool(row and row.not_applicable):
            continue
        state = _section_state(locked, section_key_for_line(line))
        if int(base_version) != int(state.get("v", 0)):
            stale[code] = bool(row and row.not_applicable)
            continue
        if wanted:
            answered = row is not None and any(not text.is_blank(a) for a in row.answers)
            subs = [
                rows[sub.pk].is_addressed
                for sub in lines.values()
                if sub.parent_id == line.pk and sub.pk in rows
            ]
            if answered or any(subs):
                refused.append(line.label)
                continue
        changes[code] = wanted
    if stale:
        first = _section_state(locked, section_key_for_line(lines[next(iter(stale))]))
        raise EditConflict(
            section_key="action-lines",
            theirs=stale,
            yours={code: code in marked for code in stale},
            current_version=int(first.get("v", 0)),
            saved_by=first.get("by", ""),
            saved_at=first.get("at", ""),
        )
    if refused:
        raise ReportError(
            _(
                "Nothing was saved. These lines have answers (for C7: answers in its sub-lines), so "
                "they cannot be marked not applicable here: %(lines)s."
            )
            % {"lines": "; ".join(refused)}
        )
    if not changes:
        return []
    now = (at or timezone.now()).isoformat()
    versions = dict(locked.section_versions)
    for code, wanted in changes.items():
        line = lines[code]
        ActionLineProgress.objects.update_or_create(
            report=locked, action_line=line, defaults={"not_applicable": wanted}
        )
        key = section_key_for_line(line)
        previous = int(_section_state(locked, key).get("v", 0))
        versions[key] = {"v": previous + 1, "by": getattr(user, "email", ""), "at": now}
    locked.section_versions = versions
    locked.lines_covered = _lines_covered(locked)
    locked.version += 1
    locked.save()
    return list(changes)


# --- Entities the Secretariat vouches for ---------------------------------------------------


@transaction.atomic
def entity_verify(*, entity: Entity, actor: User, verification: str, note: str | None = None) -> Entity:
    """The Secretariat marks an entity verified (it is who its name says) or rejected, or takes
    the decision back (unverified); who decided and when are kept with it."""
    if verification not in Entity.Verification.values:
        raise ValueError(f"unknown verification: {verification}")
    locked = Entity.objects.select_for_update().get(pk=entity.pk)
    locked.verification = verification
    undecided = verification == Entity.Verification.UNVERIFIED
    locked.verified_at = None if undecided else timezone.now()
    locked.verified_by = None if undecided else actor
    update = ["verification", "verified_at", "verified_by", "updated_at"]
    if note is not None:
        locked.verification_note = note.strip()
        update.append("verification_note")
    locked.save(update_fields=update)
    return locked


@transaction.atomic
def entity_correct(*, entity: Entity, actor: User, **fields: Any) -> dict[str, list[Any]]:
    """The Secretariat corrects an entity's name, acronym, type, country, website or its
    verification note (the form checked the name is free in that country). Returns what changed,
    ``{field: [before, after]}``; the verification is kept (the Secretariat made the change)."""
    allowed = {"name", "acronym", "stakeholder_type", "country", "website", "verification_note"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    locked = Entity.objects.select_for_update().get(pk=entity.pk)
    changes = _entity_changes(locked, fields)
    if not changes:
        return {}
    for name in changes:
        value = fields[name]
        setattr(locked, name, value.strip() if isinstance(value, str) else value)
    locked.save(update_fields=[*changes, "updated_at"])
    return changes


@transaction.atomic
def entity_merge(*, keep: Entity, duplicate: Entity, actor: User) -> dict[str, int]:
    """Merge ``duplicate`` into ``keep``: its memberships, invitations and reports move to
    ``keep`` and it is deleted, all in one transaction. A person in both keeps the higher role.
    Refused (nothing changes) when both have a report in the same cycle: the Secretariat decides
    which report stands first. Returns how many rows moved."""
    if keep.pk == duplicate.pk:
        raise ReportError(_("Choose two different entities: an entity cannot be merged into itself."))
    locked = {e.pk: e for e in Entity.objects.select_for_update().filter(pk__in=[keep.pk, duplicate.pk])}
    if len(locked) != 2:
        raise ReportError(_("One of the entities no longer exists."))
    keep, duplicate = locked[keep.pk], locked[duplicate.pk]
    clashes = list(
        Report.objects.filter(entity=duplicate, cycle__reports__entity=keep)
        .values_list("cycle__name", flat=True)
        .order_by("cycle__name")
    )
    if clashes:
        raise ReportError(
            _(
                "“%(duplicate)s” and “%(keep)s” both have a report for %(cycles)s. Nothing was merged: "
                "a merged entity can have only one report per cycle. Ask the entity which report "
                "stands, then merge again once the other has been dealt with."
            )
            % {"duplicate": duplicate.name, "keep": keep.name, "cycles": ", ".join(clashes)}
        )
    moved = {"memberships": 0, "invitations": 0, "reports": 0}
    existing = {m.user_id: m for m in Membership.objects.select_for_update().filter(entity=keep)}
    for membership in Membership.objects.select_for_update().filter(entity=duplicate):
        there = existing.get(membership.user_id)
        if there is None:
            membership.entity = keep
            membership.save(update_fields=["entity", "updated_at"])
            moved["memberships"] += 1
        elif membership.role == Membership.Role.OWNER and there.role != Membership.Role.OWNER:
            there.role = Membership.Role.OWNER
            there.save(update_fields=["role", "updated_at"])
    moved["invitations"] = Invitation.objects.filter(entity=duplicate).update(entity=keep)
    moved["reports"] = Report.objects.filter(entity=duplicate).update(entity=keep, updated_at=timezone.now())
    duplicate.delete()
    return moved


# --- Personal data ------------------------------------------------------------------------------


def account_handovers(*, user: User) -> list[tuple[Entity, Membership]]:
    """For each entity ``user`` is the only owner of while others are members: the colleague who
    becomes its owner when the account is deleted (the one who joined first), so that the
    entity keeps someone who can invite and remove colleagues."""
    owned = Membership.objects.filter(user=user, role=Membership.Role.OWNER).values("entity")
    handovers = []
    entities = Entity.objects.filter(pk__in=owned).prefetch_related("memberships__user").order_by("name")
    for entity in entities:
        members = sorted(entity.memberships.all(), key=lambda m: (m.created_at, m.pk))
        owners = [m for m in members if m.role == Membership.Role.OWNER]
        others = [m for m in members if m.user_id != user.pk]
        if len(owners) == 1 and others:
            handovers.append((entity, others[0]))
    return handovers


@transaction.atomic
def account_delete(*, user: User) -> list[tuple[Entity, Membership]]:
    """Delete a person's account. The reports they submitted stay with their entities (who
    submitted becomes empty) and their address is taken out of the sections' "saved by" stamps.
    Where they were the only owner, the colleague who joined first becomes owner
    (``account_handovers``, returned); an entity they were the only member of stays, without
    members, with its reports, for the Secretariat. Secretariat (staff) accounts are refused."""
    if user.is_staff or user.is_superuser:
        raise MembershipError(
            _("Secretariat accounts are closed by an administrator of the portal, not from this page.")
        )
    handovers = account_handovers(user=user)
    for _entity, membership in handovers:
        membership.role = Membership.Role.OWNER
        membership.save(update_fields=["role", "updated_at"])
    if user.email:
        reports = Report.objects.filter(entity__memberships__user=user).only("section_versions")
        for report in reports.select_for_update(of=("self",)):
            stamps = report.section_versions
            if any(state.get("by") == user.email for state in stamps.values()):
                report.section_versions = {
                    key: {**state, "by": ""} if state.get("by") == user.email else state
                    for key, state in stamps.items()
                }
                report.save(update_fields=["section_versions"])
    user.delete()
    return handovers


# --- Cycles: starting from the previous cycle's report ----------------------------------------


@transaction.atomic
def report_start_from_previous(*, report: Report, user: User, at: datetime | None = None) -> Report:
    """Fill a new cycle's untouched draft with the entity's report for the previous cycle as it
    was last submitted: the narrative answers, every Action Line (answers and not-applicable marks),
    the success stories, the indicator rows and the follow-up contact. Each copied section counts as
    saved once (a form loaded before the copy is told about it, as for a colleague's save); the
    history records where the report started from.

    Refused (``NotEditable``) once anything has been saved in the report, or when there is no
    submitted report of an earlier cycle to start from."""
    membership_require(entity=report.entity, user=user)
    locked = _lock(report)
    if locked.status != S.DRAFT or locked.started_from_id or not selectors.report_is_blank(report=locked):
        raise NotEditable(
            _(
                "This report already has content of its own, so it cannot start from the previous "
                "report any more: copy what you need section by section."
            )
        )
    previous = selectors.report_previous_submitted(report=locked)
    if previous is None:
        raise ReportError(_("Your entity has no submitted report of an earlier cycle to start from."))
    doc = previous.document
    now = at or timezone.now()
    keys: list[str] = []

    narrative = doc.get("narrative", {})
    for name in NARRATIVE_FIELDS:
        setattr(locked, name, text.normalize(narrative.get(name, "")))
    for spec in SECTIONS:
        if spec.kind is not Kind.ACTION_LINES and any(narrative.get(n) for n in spec.field_names):
            keys.append(spec.key)

    lines = {line.code: line for line in ActionLine.objects.all()}
    progress: list[ActionLineProgress] = []
    stories: list[SuccessStory] = []
    for part in doc.get("action_lines", []):
        line = lines.get(part.get("code", ""))
        if line is None:  # a line retired since: nothing to attach its answers to
            continue
        answers = {
            q: text.normalize(part.get(q, "")) for q in ("achievements", "challenges", "future_priorities")
        }
        not_applicable = bool(part.get("not_applicable"))
        if not not_applicable and not any(answers.values()) and not part.get("success_stories"):
            continue
        progress.append(
            ActionLineProgress(report=locked, action_line=line, not_applicable=not_applicable, **answers)
        )
        stories.extend(
            SuccessStory(
                report=locked,
                action_line=line,
                title=story.get("title", "")[:300],
                description=text.normalize(story.get("description", "")),
                url=story.get("url", "") or "",
                year=story.get("year"),
                order=order,
            )
            for order, story in enumerate(part.get("success_stories", []))
        )
        keys.append(section_key_for_line(line))
    ActionLineProgress.objects.bulk_create(progress)
    SuccessStory.objects.bulk_create(stories)

    indicators = [
        KeyIndicator(
            report=locked,
            order=order,
            **{name: row.get(name) or ("" if name != "year" else None) for name, _label in INDICATOR_COLUMNS},
        )
        for order, row in enumerate(doc.get("indicators", []))
        if row.get("indicator")
    ]
    KeyIndicator.objects.bulk_create(indicators)
    if indicators and "indicators" not in keys:
        keys.append("indicators")

    contact = doc.get("contact", {})
    if any(contact.get(name) for name, _label in CONTACT_FIELDS):
        FollowUpContact.objects.update_or_create(
            report=locked, defaults={name: contact.get(name, "") or "" for name, _label in CONTACT_FIELDS}
        )
        keys.append("contact")

    by = getattr(user, "email", "")
    locked.section_versions = {key: {"v": 1, "by": by, "at": now.isoformat()} for key in keys}
    locked.lines_covered = _lines_covered(locked)
    locked.started_from = previous.report
    locked.version += 1
    locked.save()
    with translation.override(settings.LANGUAGE_CODE):  # the secretariat reads it in the history
        note = _("Started from the entity's report for %(cycle)s (submission no. %(number)d).") % {
            "cycle": previous.cycle.name,
            "number": previous.number,
        }
    StatusChange.objects.create(
        report=locked, from_status=S.DRAFT, to_status=S.DRAFT, actor=user, message=note, created_at=now
    )
    return locked


# --- Open data -----------------------------------------------------------------------------------

OPEN_DATA_BUILD_TASK = "reports.opendata_build"  # reports/opendata.py (a sibling layer: named, not imported)


def open_data_refresh_on_commit(*, cycle_id: int) -> None:
    """Once the transaction commits, the worker rebuilds the cycle's open-data archive if its
    published data changed (``reports/opendata.py``). Never raises: when the broker cannot take it,
    Celery beat's ``reports.opendata_refresh`` rebuilds it a few minutes later."""

    def hand_over() -> None:
        task = current_app.tasks.get(OPEN_DATA_BUILD_TASK)
        if task is not None:
            delivery_tasks.publish(task, cycle_id, model="open-data archive")
        elif not current_app.conf.task_always_eager:  # not imported in this process: by name
            try:
                current_app.send_task(OPEN_DATA_BUILD_TASK, args=(cycle_id,), ignore_result=True)
            except Exception:  # kombu, redis and socket errors alike: beat's refresh catches up
                logging.getLogger(__name__).warning("open-data build of cycle %s not handed over", cycle_id)

    transaction.on_commit(hand_over, robust=True)
