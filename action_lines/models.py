"""WSIS Action Lines C1–C11 (C7 with its eight sub-lines) and their UN facilitators.

Reference data: loaded from ``fixtures/action_lines.json``. A new line is a new row,
never new code: every part of the report that covers Action Lines iterates these rows.
"""

from django.db import models
from django.utils.translation import get_language_bidi, gettext
from django.utils.translation import gettext_lazy as _

from wsis_portal.db import TimeStampedModel


class Agency(models.Model):
    """A UN agency or other body that facilitates Action Lines (ITU, UNESCO, UN DESA …)."""

    acronym = models.CharField(_("acronym"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["acronym"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self) -> str:
        return self.acronym


class ActionLineQuerySet(models.QuerySet):
    def top_level(self) -> "ActionLineQuerySet":
        return self.filter(parent__isnull=True)

    def in_template_order(self) -> "ActionLineQuerySet":
        return self.order_by("order")


class ActionLine(TimeStampedModel):
    """One WSIS Action Line (``C1`` … ``C11``) or one of C7's sub-lines (``C7.GOV`` …)."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    number = models.PositiveSmallIntegerField(_("number"), help_text=_("1–11; a sub-line has its parent's."))
    title = models.CharField(_("official title"), max_length=300)
    short_title = models.CharField(_("short title"), max_length=80)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sub_lines",
    )
    order = models.PositiveSmallIntegerField(
        _("order"), unique=True, help_text=_("Position in the template.")
    )
    agencies: "models.ManyToManyField[Agency, Facilitator]" = models.ManyToManyField(
        Agency, through="Facilitator", related_name="action_lines"
    )

    objects = ActionLineQuerySet.as_manager()

    class Meta:
        ordering = ["order"]
        verbose_name = _("Action Line")
        verbose_name_plural = _("Action Lines")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(number__gte=1) & models.Q(number__lte=99), name="action_line_number_range"
            ),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")), name="action_line_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_sub_line(self) -> bool:
        return self.parent_id is not None

    @property
    def display_title(self) -> str:
        """The official title in the active language (the database keeps it in English; the
        translations are in the catalogues, collected from ``action_lines/names.py``)."""
        return gettext(self.title)

    @property
    def display_short_title(self) -> str:
        return gettext(self.short_title)

    @property
    def label(self) -> str:
        """How the template names the line, in the active language: ``C2: Information and
        communication infrastructure`` or, for a sub-line, ``C7. E-Government``.

        In a right-to-left language the code is a left-to-right island (Unicode isolates LRI … PDI):
        the colon or full stop after it then stays on the code's side, and a paragraph whose
        direction is taken from its text (``dir="auto"``) reads the title, not the code."""
        code = f"C{self.number}" if self.is_sub_line else self.code
        if get_language_bidi():
            code = f"\u2066{code}\u2069"
        if self.is_sub_line:
            return f"{code}. {self.display_short_title}"
        return f"{code}: {self.display_title}"

    @property
    def slug(self) -> str:
        return self.code.lower().replace(".", "-")


class Facilitator(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", _("Lead facilitator")
        CO = "co", _("Co-facilitator")

    action_line = models.ForeignKey(ActionLine, on_delete=models.CASCADE, related_name="facilitators")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="facilitations")
    role = models.CharField(_("role"), max_length=8, choices=Role.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["action_line__order", "order"]  # leads come first in the fixture
        verbose_name = _("facilitator")
        verbose_name_plural = _("facilitators")
        constraints = [
            models.UniqueConstraint(fields=["action_line", "agency"], name="facilitator_unique_per_line"),
        ]

    def __str__(self) -> str:
        return f"{self.agency} ({self.get_role_display()}) — {self.action_line.code}"
