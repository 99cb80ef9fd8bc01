import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reports.document import snapshot
from reports.document.pdf import report_pdf
from reports.models import Report


class Command(BaseCommand):
    help = (
        "Render a report to PDF, as the secretariat receives it: the latest submission's snapshot "
        "(or --submission N), or the live report when it was never submitted."
    )

    def add_arguments(self, parser):
        parser.add_argument("report_id", type=int, help="The report's id (see admin).")
        parser.add_argument("--output", "-o", required=True, help="Where to write the PDF.")
        parser.add_argument(
            "--submission", type=int, default=None, help="Render submission number N instead of the latest."
        )

    def handle(self, *args, report_id: int, output: str, submission: int | None, **options):
        report = Report.objects.select_related("entity", "cycle").filter(pk=report_id).first()
        if report is None:
            raise CommandError(f"No report with id {report_id}.")
        submissions = report.submissions.order_by("-number")
        chosen = submissions.filter(number=submission).first() if submission else submissions.first()
        if submission and chosen is None:
            numbers = ", ".join(str(n) for n in submissions.values_list("number", flat=True)) or "none"
            raise CommandError(f"Report {report_id} has no submission {submission} (it has: {numbers}).")

        started = time.perf_counter()
        if chosen is not None:
            rendered = report_pdf(
                chosen.content, number=chosen.number, submitted_at=chosen.submitted_at, is_late=chosen.is_late
            )
            what = f"submission {chosen.number}"
        else:
            rendered = report_pdf(snapshot.document_for_report(report))
            what = "the live report (never submitted)"
        elapsed = time.perf_counter() - started

        path = Path(output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rendered.content)
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.entity.name}: {what}, {rendered.pages} pages, "
                f"{len(rendered.content) // 1024} KiB in {elapsed:.1f} s → {path}"
            )
        )
