import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reports import selectors
from reports.compilation import build as compilation
from reports.delivery.runner import submission_pdf_ensure
from reports.models import Compilation, Region, Report, StakeholderType, Submission


class Command(BaseCommand):
    help = "Compile submitted reports into one PDF (cover, key figures, contents, parts), as the admin does."

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, help="Where to write the PDF.")
        parser.add_argument(
            "--layout", choices=Compilation.Layout.values, default=Compilation.Layout.ACTION_LINE
        )
        parser.add_argument(
            "--group-by",
            dest="grouping",
            choices=Compilation.Grouping.values,
            default=Compilation.Grouping.STAKEHOLDER_TYPE,
            help="Grouping of the full layout.",
        )
        parser.add_argument("--cycle", help="Cycle slug (default: the current cycle).")
        parser.add_argument("--status", nargs="*", default=[], choices=Report.Status.values)
        parser.add_argument("--stakeholder-type", nargs="*", default=[], choices=StakeholderType.values)
        parser.add_argument("--region", nargs="*", default=[], help="Region codes, e.g. africa arab-states.")
        parser.add_argument(
            "--action-line", nargs="*", default=[], help="Action Line codes, e.g. C2 C7.HEALTH."
        )
        parser.add_argument("--title", default="")

    def handle(
        self,
        *args,
        output,
        layout,
        grouping,
        cycle,
        status,
        stakeholder_type,
        region,
        action_line,
        title,
        **options,
    ):
        if cycle is None:
            current = selectors.cycle_current()
            if current is None:
                raise CommandError("No reporting cycle is open; name one with --cycle.")
            cycle = current.slug
        unknown = set(region) - set(Region.objects.values_list("code", flat=True))
        if unknown:
            raise CommandError(f"Unknown region(s): {', '.join(sorted(unknown))}")
        selection = compilation.Selection(
            cycle=cycle,
            layout=layout,
            grouping=grouping,
            statuses=tuple(status),
            stakeholder_types=tuple(stakeholder_type),
            regions=tuple(region),
            action_lines=tuple(action_line),
        )
        started = time.perf_counter()
        try:
            built = compilation.compilation_build(
                selection,
                Path(output),
                title=title,
                ensure_pdf=_ensure_pdf,
                progress=lambda pct, msg: self.stderr.write(f"{pct:3d}% {msg}"),
            )
        except compilation.EmptySelection as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Wrote {output}: {built.reports} reports, {built.pages} pages, {built.size / 1e6:.1f} MB "
            f"in {time.perf_counter() - started:.1f} s."
        )


def _ensure_pdf(submission: Submission) -> None:
    """Render a submission's PDF here and now when the worker has not made it yet."""
    submission_pdf_ensure(submission=submission)
