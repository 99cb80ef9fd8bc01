"""The stakeholders, the reporting cycles and the Annex 1 report.

Only the services in ``reports/services.py`` change a report's state; models hold data,
constraints and small derived properties, never workflow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from action_lines.models import ActionLine
from reports import text
from wsis_portal.db import TimeStampedModel

if TYPE_CHECKING:
    from datetime import datetime

    from django.contrib.auth.models import User

# --- Reference data -------------------------------------------------------------------


class Region(models.Model):
    """A regional grouping of countries (ITU-D's six regions; see ``fixtures/REGIONS.md``)."""

    code = models.SlugField(_("code"), max_length=32, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name


class Country(models.Model):
    """A country or territory by its ISO 3166-1 alpha-2 code, with its region."""

    code = models.CharField(_("ISO code"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="countries")

    class Meta:
        ordering = ["name"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[A-Z]{2}$"), name="country_code_iso_alpha2"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StakeholderType(models.TextChoices):
    GOVERNMENT = "government", _("Government")
    PRIVATE_SECTOR = "private_sector", _("Private Sector")
    CIVIL_SOCIETY = "civil_society", _("Civil Society")
    ACADEMIA = "academia", _("Academia")
    TECHNICAL_COMMUNITY = "technical_community", _("Technical Community")
    INTERNATIONAL_ORGANIZATION = "international_organization", _("International Organization")


# --- Stakeholders ---------------------------------------------------------------------


class Entity(TimeStampedModel):
    """The organisation a report speaks for."""

    class Verification(models.TextChoices):
        UNVERIFIED = "unverified", _("Not yet verified")
        VERIFIED = "verified", _("Verified by the Secretariat")
        REJECTED = "rejected", _("Rejected by the Secretariat")

    name = models.CharField(_("name"), max_length=255)
    acronym = models.CharField(_("acronym"), max_length=40, blank=True)
    stakeholder_type = models.CharField(_("stakeholder type"), max_length=32, choices=StakeholderType.choices)
    country = models.ForeignKey(
        Country,
        verbose_name=_("country"),
        on_delete=models.PROTECT,
        related_name="entities",
        help_text=_("Where the entity is based; international organizations give their headquarters."),
    )
    website = models.URLField(_("website"), blank=True)
    members: models.ManyToManyField[User, Membership] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="entities"
    )
    # Set by the Secretariat only: whether the entity is who its name says.
    verification = models.CharField(
        _("verification"), max_length=12, choices=Verification.choices, default=Verification.UNVERIFIED
    )
    verification_note = models.TextField(_("verification note"), blank=True)
    verified_at = models.DateTimeField(_("verification decided at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verification decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("entity")
        verbose_name_plural = _("entities")
        constraints = [
            models.UniqueConstraint(Lower("name"), "country", name="entity_unique_name_per_country"),
        ]
        indexes = [models.Index(fields=["stakeholder_type"]), models.Index(fields=["verification"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name

    @property
    def region(self) -> Region:
        return self.country.region


class Membership(TimeStampedModel):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        EDITOR = "editor", _("Editor")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.EDITOR)

    class Meta:
        ordering = ["entity__name", "user__email"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "entity"], name="membership_unique_user_entity")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.entity} ({self.get_role_display()})"


class Invitation(TimeStampedModel):
    """An invitation to join an entity, sent by one of its owners. The e-mailed link is signed
    and names this row: the owners see the pending ones and can withdraw them, and a link works
    once (a colleague removed later cannot come back through it)."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} → {self.entity}"

    def is_pending(self, at: datetime | None = None) -> bool:
        return not self.accepted_at and not self.revoked_at and (at or timezone.now()) < self.expires_at


# --- Reporting cycles -----------------------------------------------------------------


def default_cycle_time_zone() -> str:
    return settings.TIME_ZONE


def default_reminder_offsets() -> list[int]:
    return [14, 7, 1, -1]


def default_required_sections() -> list[str]:
    """Every section of the template: I, II (every Action Line addressed or not applicable), III,
    IV's narrative, V, VI and the follow-up contact."""
    return [
        "executive-summary",
        "action-lines",
        "strategies",
        "indicators",
        "challenges",
        "vision",
        "contact",
    ]


class ReportingCycle(TimeStampedModel):
    """One round of reporting, e.g. "WSIS+20 review 2025". Re-running (WSIS+25) is a new row."""

    class LatePolicy(models.TextChoices):
        ACCEPT = "accept", _("Accept late submissions and flag them")
        REFUSE = "refuse", _("Refuse submissions after the deadline")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    opens_at = models.DateTimeField(_("opens at"))
    deadline = models.DateTimeField(_("deadline"))
    late_policy = models.CharField(
        _("late submissions"), max_length=8, choices=LatePolicy.choices, default=LatePolicy.ACCEPT
    )
    secretariat_email = models.EmailField(_("secretariat e-mail"))
    secretariat_address = models.TextField(_("secretariat postal address"), blank=True)
    # The deadline as the Secretariat announces it (e.g. "31 July 2025, 23:59 Geneva time"); readers
    # also see it in their own local time.
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=default_cycle_time_zone,
        help_text=_("The time zone the deadline is announced in, e.g. Europe/Zurich."),
    )
    # Reminders to entities whose report is not submitted: days before the deadline (positive) or
    # after it (negative: only to reports started and not submitted).
    reminder_offsets = models.JSONField(
        _("reminder days"),
        default=default_reminder_offsets,
        blank=True,
        help_text=_("Days before the deadline to send reminders; a negative number is days after it."),
    )
    # The sections a report needs before it can be submitted (keys of reports/annex.py's sections).
    required_sections = models.JSONField(
        _("required sections"), default=default_required_sections, blank=True
    )

    class Meta:
        ordering = ["-opens_at"]
        verbose_name = _("reporting cycle")
        verbose_name_plural = _("reporting cycles")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(deadline__gt=models.F("opens_at")), name="cycle_deadline_after_opening"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_open(self, at: datetime | None = None) -> bool:
        return self.opens_at <= (at or timezone.now())

    def is_past_deadline(self, at: datetime | None = None) -> bool:
        return (at or timezone.now()) > self.deadline


# --- The report -----------------------------------------------------------------------


class Report(TimeStampedModel):
    """One entity's Annex 1 report for one cycle. The narrative sections are columns;
    Action Lines, success stories, indicators and the contact are child rows."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        UNDER_REVIEW = "under_review", _("Under review")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        ACCEPTED = "accepted", _("Accepted")
        PUBLISHED = "published", _("Published")

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="reports")
    cycle = models.ForeignKey(ReportingCycle, on_delete=models.PROTECT, related_name="reports")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    version = models.PositiveIntegerField(
        _("version"),
        default=1,
        help_text=_("Incremented on every save; a save based on an older one is refused."),
    )
    # Per workspace section (``executive-summary``, ``line-C2``, ``contact`` …): its version, who
    # saved it last and when. A save based on an older version of *that section* is refused, so
    # colleagues working on different sections never block each other.
    section_versions = models.JSONField(_("section versions"), default=dict, blank=True)

    # Annex 1 narrative sections (headings and guidance in reports/annex.py).
    executive_summary = models.TextField(_("I. Executive Summary"), blank=True)
    digital_strategy = models.TextField(_("III.1 Digital Strategy/Policy"), blank=True)
    strategic_documents = models.TextField(_("III.2 Strategic Documents/Plans"), blank=True)
    wsis_mandates = models.TextField(_("III.3 Implementation of WSIS Mandates"), blank=True)
    indicators_narrative = models.TextField(_("IV. Key Indicators of Progress"), blank=True)
    challenges_gaps = models.TextField(_("V. Challenges and Gaps"), blank=True)
    future_vision = models.TextField(_("VI. Future Directions and Vision Beyond 2025"), blank=True)

    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_late = models.BooleanField(_("late"), default=False)
    submission_count = models.PositiveIntegerField(_("submissions"), default=0)
    changes_requested_message = models.TextField(_("changes requested"), blank=True)
    # Set with a request for changes: the entity may resubmit until then, whatever the late rule.
    changes_due_at = models.DateTimeField(_("changes due by"), null=True, blank=True)
    # An extension of the cycle's deadline for this entity, granted by the Secretariat.
    deadline_extended_to = models.DateTimeField(_("deadline extended to"), null=True, blank=True)
    extension_note = models.CharField(_("reason for the extension"), max_length=300, blank=True)
    # The Secretariat member reviewing this report ("my reviews" in the admin).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_reports",
        verbose_name=_("reviewer"),
    )
    lines_covered = models.PositiveSmallIntegerField(
        _("Action Lines covered"), default=0, help_text=_("Lines with content, kept by the services.")
    )
    # The entity's report of an earlier cycle this one was started from (its latest submission's
    # answers copied by ``services.report_start_from_previous``).
    started_from = models.ForeignKey(
        "self",
        verbose_name=_("started from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-submitted_at", "-updated_at"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        permissions = [
            ("review_report", _("Can review reports (start review, accept, request changes, publish)")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["entity", "cycle"], name="report_one_per_entity_and_cycle"),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(submitted_at__isnull=False),
                name="report_submitted_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["cycle", "status"]),
            models.Index(fields=["submitted_at"]),
            # On PostgreSQL, migration 0004 adds two indexes for the secretariat's admin:
            # ``report_submitted_desc`` (its list order) and ``report_cycle_status_cover`` (the
            # columns the dashboard reads, so that the wide rows are not).
        ]

    def __str__(self) -> str:
        return f"{self.entity.name} — {self.cycle.name}"

    @property
    def is_editable_by_stakeholders(self) -> bool:
        return self.status in {self.Status.DRAFT, self.Status.CHANGES_REQUESTED}


# A line is addressed when it is not marked not applicable and holds some answer (what
# ``Report.lines_covered`` counts; ``reports.text.is_addressed`` is the same rule in Python, for rows
# and snapshots, with answers stored normalised). The database keeps the answer in the generated column
# ``ActionLineProgress.addressed``: queries filter on that flag (``LINE_ADDRESSED``) through a
# partial index. (Filtering on the condition itself made PostgreSQL prove the index's OR'd
# predicate while planning: 2.5 ms of planning per query on the admin's filtered list.)
ADDRESSED_CONDITION = models.Q(not_applicable=False) & (
    models.Q(achievements__gt="") | models.Q(challenges__gt="") | models.Q(future_priorities__gt="")
)
LINE_ADDRESSED = models.Q(addressed=True)


def line_addressed(
    *, report: Report | int | models.OuterRef, line: ActionLine | int | models.OuterRef
) -> models.Exists:
    """Whether ``report`` addresses ``line`` (ids or ``OuterRef``s), its sub-lines counting for it:
    a parent line (C7) is addressed when its own row or any of its sub-lines' rows is
    (``reports.text.is_addressed_with_sub_lines`` is the same rule in Python). For a line without
    sub-lines this is just its row's ``addressed`` flag."""
    return models.Exists(
        ActionLineProgress.objects.filter(LINE_ADDRESSED, models.Q(report=report)).filter(
            models.Q(action_line=line) | models.Q(action_line__parent=line)
        )
    )


class ActionLineProgress(TimeStampedModel):
    """Section II for one Action Line: achievements, challenges, future priorities."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="progress")
    action_line = models.ForeignKey(ActionLine, on_delete=models.PROTECT, related_name="progress")
    achievements = models.TextField(_("Achievements"), blank=True)
    challenges = models.TextField(_("Challenges"), blank=True)
    future_priorities = models.TextField(_("Future priorities"), blank=True)
    not_applicable = models.BooleanField(_("Not applicable to our entity"), default=False)
    # Computed by the database on every write (ADDRESSED_CONDITION); read it after a refresh.
    addressed = models.GeneratedField(
        # Django takes a Q here (a boolean condition); the stubs only know Expression.
        expression=ADDRESSED_CONDITION,  # type: ignore[arg-type]
        output_field=models.BooleanField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["report", "action_line__order"]
        verbose_name = _("Action Line progress")
        verbose_name_plural = _("Action Line progress")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "action_line"], name="progress_one_per_report_and_line"
            ),
        ]
        indexes = [
            models.Index(
                fields=["action_line", "report"], condition=LINE_ADDRESSED, name="progress_addressed"
            ),
            models.Index(
                fields=["action_line", "report"],
                condition=models.Q(not_applicable=True),
                name="progress_not_applicable",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} / {self.action_line_id}"

    @property
    def answers(self) -> tuple[str, str, str]:
        return (self.achievements, self.challenges, self.future_priorities)

    @property
    def is_addressed(self) -> bool:
        """``addressed`` without a trip to the database (a row not yet saved or refreshed)."""
        return text.is_addressed(not_applicable=self.not_applicable, answers=self.answers)


class SuccessStory(TimeStampedModel):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="success_stories")
    action_line = models.ForeignKey(ActionLine, on_delete=models.PROTECT, related_name="success_stories")
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"))
    url = models.URLField(_("link"), blank=True, max_length=500)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["report", "action_line__order", "order", "pk"]
        verbose_name = _("success story")
        verbose_name_plural = _("success stories")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year__isnull=True) | models.Q(year__gte=1990, year__lte=2100),
                name="success_story_year_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class KeyIndicator(TimeStampedModel):
    """Section IV: one structured indicator row."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="indicators")
    indicator = models.CharField(_("indicator"), max_length=300)
    value = models.CharField(_("value"), max_length=100)
    unit = models.CharField(_("unit"), max_length=60, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=500, blank=True)
    note = models.TextField(_("note"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["report", "order", "pk"]
        verbose_name = _("key indicator")
        verbose_name_plural = _("key indicators")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year__isnull=True) | models.Q(year__gte=1990, year__lte=2100),
                name="indicator_year_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.value} {self.unit}".strip()


class FollowUpContact(TimeStampedModel):
    """The person responsible for WSIS follow-up (end of Annex 1)."""

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="contact")
    name = models.CharField(pgettext_lazy("person", "name"), max_length=200, blank=True)
    position = models.CharField(_("position"), max_length=200, blank=True)
    unit = models.CharField(_("entity unit"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    address = models.TextField(_("address"), blank=True)

    class Meta:
        verbose_name = _("follow-up contact")
        verbose_name_plural = _("follow-up contacts")

    def __str__(self) -> str:
        return self.name or str(_("(no name)"))


class Submission(models.Model):
    """An immutable, numbered snapshot of a report as it was submitted."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="submissions")
    number = models.PositiveIntegerField(_("number"))
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_late = models.BooleanField(_("late"), default=False)
    content = models.JSONField(_("content"), help_text=_("The whole report as submitted."))
    pdf = models.FileField(_("PDF"), upload_to="submissions/%Y/%m/", blank=True)
    pdf_pages = models.PositiveIntegerField(_("PDF pages"), null=True, blank=True)
    pdf_page_map = models.JSONField(
        _("PDF page map"),
        default=dict,
        blank=True,
        help_text=_("First and last page (0-based) of each section and Action Line in the PDF."),
    )

    class Meta:
        ordering = ["report", "number"]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="submission_unique_number_per_report"),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} #{self.number}"


class StatusChange(models.Model):
    """Audit trail: who moved a report from which status to which, when, and why."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=Report.Status.choices)
    to_status = models.CharField(max_length=20, choices=Report.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["report", "created_at", "pk"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self) -> str:
        return f"{self.report_id}: {self.from_status} → {self.to_status}"


class Reminder(models.Model):
    """A deadline reminder sent for one report at one step of its cycle's schedule (e.g. 7 days
    before the deadline): at most one per report and step, however often the schedule runs."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="reminders")
    step = models.SmallIntegerField(_("days before the deadline"))
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    # Sent by the Secretariat from the report list ("chase"), rather than by the schedule.
    chased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["report", "created_at"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "step"],
                condition=models.Q(chased_by__isnull=True),
                name="reminder_once_per_report_and_step",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report_id}: {self.step:+d} days"


class SectionReview(models.Model):
    """The Secretariat's verdict on one section of one submission ("needs changes" or "fine"),
    with its comment; the entity's answer to it; whether the entity has handled it. A section key
    is a workspace section: ``executive-summary``, ``line-C2``, ``line-C7.a``, ``contact`` …"""

    class Verdict(models.TextChoices):
        NEEDS_CHANGES = "needs_changes", _("Needs changes")
        FINE = "fine", _("Fine")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="section_reviews")
    # The submission under review (``Report.submission_count`` at the time).
    submission_number = models.PositiveIntegerField(_("submission"))
    section = models.CharField(_("section"), max_length=32)
    verdict = models.CharField(_("verdict"), max_length=16, choices=Verdict.choices)
    comment = models.TextField(_("comment"), blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    # Set when "Request changes" sends the flagged sections to the entity.
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # The entity's side: its answer, and when it said the comment is handled.
    response = models.TextField(_("answer"), blank=True)
    addressed_at = models.DateTimeField(_("marked addressed at"), null=True, blank=True)
    addressed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["report", "submission_number", "section"]
        verbose_name = _("section review")
        verbose_name_plural = _("section reviews")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "submission_number", "section"], name="section_review_once_per_round"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} #{self.submission_number} {self.section}: {self.verdict}"


class InternalNote(models.Model):
    """A note on a report seen only by the Secretariat."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="internal_notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["report", "created_at", "pk"]
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")

    def __str__(self) -> str:
        return f"{self.report_id}: {self.text[:40]}"


# --- Security events ---------------------------------------------------------------------


class SecurityEvent(models.Model):
    """One authentication or access event, for the Secretariat's security audit log.

    Model history (who changed which field of an entity, membership or invitation) is django-auditlog's
    ``LogEntry``; this table holds what is not a change to a row: logins, failures, lockouts, MFA,
    denied access, exports and downloads. It never holds passwords, tokens or report text.
    """

    class Kind(models.TextChoices):
        LOGIN = "login", _("Logged in")
        LOGIN_FAILED = "login_failed", _("Login failed")
        LOCKED_OUT = "locked_out", _("Too many attempts")
        LOGOUT = "logout", _("Logged out")
        MFA_ADDED = "mfa_added", _("Second factor added")
        MFA_REMOVED = "mfa_removed", _("Second factor removed")
        MFA_FAILED = "mfa_failed", _("Second factor code refused")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET = "password_reset", _("Password reset")
        ACCESS_DENIED = "access_denied", _("Access denied")
        RATE_LIMITED = "rate_limited", _("Limit reached")
        EXPORT = "export", _("Data exported")
        DOWNLOAD = "download", _("PDF downloaded")
        COMPILATION_REQUESTED = "compilation_requested", _("Compilation requested")
        INVITATION = "invitation", _("Invitation sent, accepted or withdrawn")
        MEMBER = "member", _("Member added or removed")
        ENTITY = "entity", _("Entity created, corrected, verified or merged")
        REVIEW = "review", _("Review decision")
        ACCOUNT = "account", _("Account data downloaded or account deleted")

    created_at = models.DateTimeField(_("time (UTC)"), default=timezone.now, db_index=True)
    kind = models.CharField(_("event"), max_length=24, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The address typed or the account's address at the time: kept when the account is deleted.
    actor_email = models.CharField(_("actor's e-mail"), max_length=254, blank=True)
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    object_type = models.CharField(_("object type"), max_length=40, blank=True)
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    path = models.CharField(_("address"), max_length=300, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        indexes = [
            models.Index(fields=["kind", "-created_at"]),
            models.Index(fields=["actor", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.kind} {self.actor_email}"


# --- Background jobs ---------------------------------------------------------------------


class JobStatus(models.TextChoices):
    # Translators: the state of a background job (a report PDF, an e-mail or a compilation); use a
    # form that fits all three, e.g. not agreeing with one noun's gender.
    QUEUED = "queued", pgettext_lazy("job status", "Queued")
    RUNNING = "running", pgettext_lazy("job status", "Running")
    DONE = "done", pgettext_lazy("job status", "Done")
    FAILED = "failed", pgettext_lazy("job status", "Failed")


_Job = TypeVar("_Job", bound="BackgroundJob")


class BackgroundJobQuerySet(models.QuerySet[_Job]):
    def stale(self, *, before: datetime) -> BackgroundJobQuerySet[_Job]:
        """Rows claimed (``started_at``) before ``before`` and still running: when ``before`` is
        the task's hard time limit plus a margin ago, their worker died."""
        return self.filter(status=JobStatus.RUNNING, started_at__lt=before)

    def without_stale(self, *, before: datetime) -> BackgroundJobQuerySet[_Job]:
        return self.exclude(status=JobStatus.RUNNING, started_at__lt=before)

    def overdue(self, *, before: datetime) -> BackgroundJobQuerySet[_Job]:
        """Queued rows that were due before ``before`` (or never handed to the broker)."""
        return self.filter(
            models.Q(enqueued_at__isnull=True) | models.Q(enqueued_at__lt=before), status=JobStatus.QUEUED
        )


class BackgroundJob(TimeStampedModel):
    """Work a worker does, one row each (a delivery, a compilation), kept in the database so that
    what is pending is visible, can be retried, and survives a broker or worker outage.

    ``started_at`` is when the current attempt claimed the row, ``enqueued_at`` when it was last
    handed to the broker (or, for a retry, when the retry is due). The rules — claim, retry with
    backoff, the sweeper, staff retry — are in ``reports/delivery/jobs.py``."""

    Status = JobStatus

    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    enqueued_at = models.DateTimeField(_("last enqueued at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = BackgroundJobQuerySet.as_manager()

    class Meta:
        abstract = True


# Delivery rows about a submitted report; the others have their own target (see the constraint).
REPORT_DELIVERY_KINDS = ("render_pdf", "secretariat_email", "receipt_email", "notice_email", "reminder_email")


class Delivery(BackgroundJob):
    """One piece of delivery work: render a submission's PDF, or send one e-mail. Each row has
    exactly one cause: a report (its PDF, the e-mails about a submission), a compilation (the
    e-mail saying it is ready) or an invitation (its e-mail)."""

    class Kind(models.TextChoices):
        RENDER_PDF = "render_pdf", _("Render PDF")
        SECRETARIAT_EMAIL = "secretariat_email", _("E-mail to the secretariat")
        RECEIPT_EMAIL = "receipt_email", _("Receipt to the entity")
        NOTICE_EMAIL = "notice_email", _("Notice to the entity")
        COMPILATION_EMAIL = "compilation_email", _("Compiled report ready")
        INVITATION_EMAIL = "invitation_email", _("Invitation")
        REMINDER_EMAIL = "reminder_email", _("Deadline reminder")

    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    compilation = models.ForeignKey(
        "Compilation", null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    context = models.JSONField(
        _("context"), default=dict, blank=True, help_text=_("E.g. the secretariat's message.")
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [models.Index(fields=["status", "enqueued_at"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        kind__in=REPORT_DELIVERY_KINDS,
                        report__isnull=False,
                        compilation__isnull=True,
                        invitation__isnull=True,
                    )
                    | models.Q(
                        kind="compilation_email",
                        compilation__isnull=False,
                        report__isnull=True,
                        submission__isnull=True,
                        invitation__isnull=True,
                    )
                    | models.Q(
                        kind="invitation_email",
                        invitation__isnull=False,
                        report__isnull=True,
                        submission__isnull=True,
                        compilation__isnull=True,
                    )
                ),
                name="delivery_one_cause_of_its_kind",
            ),
            # Exactly one e-mail per compilation and per invitation, however often a task runs.
            models.UniqueConstraint(
                fields=["compilation", "kind"],
                condition=models.Q(compilation__isnull=False),
                name="delivery_once_per_compilation",
            ),
            models.UniqueConstraint(
                fields=["invitation", "kind"],
                condition=models.Q(invitation__isnull=False),
                name="delivery_once_per_invitation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.get_status_display()}"


class Compilation(BackgroundJob):
    """A compiled PDF of many submitted reports, built by a worker; the same selection over
    unchanged submissions (same ``fingerprint``) reuses the stored file."""

    # Not a field: set by ``compilation_request``, True when it returns an existing compilation.
    reused: bool

    class Layout(models.TextChoices):
        ACTION_LINE = "action-line", _("By Action Line")
        FULL = "full", _("Full reports")

    class Grouping(models.TextChoices):
        STAKEHOLDER_TYPE = "stakeholder_type", _("By stakeholder type")
        REGION = "region", _("By region")

    title = models.CharField(_("title"), max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cycle = models.ForeignKey(ReportingCycle, on_delete=models.PROTECT, related_name="compilations")
    layout = models.CharField(_("layout"), max_length=16, choices=Layout.choices, default=Layout.ACTION_LINE)
    grouping = models.CharField(
        _("grouping"),
        max_length=20,
        choices=Grouping.choices,
        default=Grouping.STAKEHOLDER_TYPE,
        help_text=_("How full reports are grouped."),
    )
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    fingerprint = models.CharField(_("fingerprint"), max_length=64, blank=True, db_index=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    progress_message = models.CharField(_("progress"), max_length=200, blank=True)
    report_count = models.PositiveIntegerField(_("reports"), default=0)
    page_count = models.PositiveIntegerField(_("pages"), default=0)
    file = models.FileField(_("file"), upload_to="compilations/%Y/%m/", blank=True)
    file_size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("compiled report")
        verbose_name_plural = _("compiled reports")
        indexes = [models.Index(fields=["status", "enqueued_at"])]

    def __str__(self) -> str:
        return self.title or f"{self.get_layout_display()} — {self.cycle}"


# --- Publication ------------------------------------------------------------------------------


class PublishedVersion(models.Model):
    """One published version of a report: what the public pages, search and PDF show.

    Recorded by the publish service (``services.published_version_record``) from the latest
    submission, with the follow-up contact left out (personal data is never published). A report
    published again after a new submission gets the next number; the earlier versions stay, for
    the public diff. ``is_current`` marks the newest one; ``withdrawn_at`` is set while the
    Secretariat has taken the report back (it is then on no public page). ``search_text`` and
    ``search_title`` feed the search: on PostgreSQL ``search_vector`` holds them as a ``tsvector``
    in the report language's text-search configuration (``search_config``), set by the service."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="published_versions")
    number = models.PositiveIntegerField(_("version"))
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.SET_NULL, related_name="published_versions"
    )
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    is_current = models.BooleanField(_("current"), default=True)
    content = models.JSONField(_("content"), help_text=_("The report as published, without the contact."))
    search_title = models.TextField(_("search title"), blank=True)
    search_text = models.TextField(_("search text"), blank=True)
    search_config = models.CharField(_("text-search configuration"), max_length=16, default="simple")
    search_vector = SearchVectorField(null=True, blank=True, editable=False)
    pdf = models.FileField(_("public PDF"), upload_to="published/%Y/%m/", blank=True)

    class Meta:
        ordering = ["report", "number"]
        verbose_name = _("published version")
        verbose_name_plural = _("published versions")
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="published_version_unique_number"),
            models.UniqueConstraint(
                fields=["report"], condition=models.Q(is_current=True), name="published_version_one_current"
            ),
        ]
        indexes = [models.Index(fields=["-published_at"], name="published_version_newest")]
        # On PostgreSQL, migration 0013 adds a GIN index on ``search_vector``.

    def __str__(self) -> str:
        return f"{self.report_id} v{self.number}"
