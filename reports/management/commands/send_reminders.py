"""``manage.py send_reminders [--dry-run] [--cycle SLUG]``: the deadline reminders due now, as Celery
beat sends them every hour (``reports/deadlines.py``); each report and step is reminded once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from reports import deadlines
from reports.models import ReportingCycle


class Command(BaseCommand):
    help = (
        "Send the deadline reminders due now (at each cycle's reminder days) to the owners and editors "
        "of reports not submitted yet; each report and step once. --dry-run lists who would get what."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List the reminders; send nothing.")
        parser.add_argument("--cycle", metavar="SLUG", help="Only this reporting cycle (its slug).")

    def handle(self, *args: Any, dry_run: bool, cycle: str | None, **options: Any) -> None:
        if cycle and not ReportingCycle.objects.filter(slug=cycle).exists():
            slugs = ", ".join(ReportingCycle.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No reporting cycle {cycle!r} (there are: {slugs}).")
        now = timezone.now()
        if dry_run:
            planned = deadlines.reminders_due(now=now, cycle_slug=cycle)
        else:
            planned = deadlines.reminders_send(now=now, cycle_slug=cycle)
        for plan in planned:
            report = plan.report
            when = deadlines.moment(report.cycle, plan.due).text
            step = (
                f"{plan.step} day(s) before" if plan.step >= 0 else f"{-plan.step} day(s) after"
            ) + f" the deadline {when}"
            self.stdout.write(
                f"{report.cycle.slug}  report {report.pk}  {report.entity.name}  [{report.status}]  "
                f"{step}  → {', '.join(plan.recipients)} ({report.language})"
            )
        verb = "would be sent" if dry_run else "sent"
        summary = f"{len(planned)} reminder(s) {verb}."
        self.stdout.write(self.style.SUCCESS(summary) if planned else summary)
