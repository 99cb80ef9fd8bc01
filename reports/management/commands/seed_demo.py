import time

from django.core.management.base import BaseCommand

from reports import demo
from reports.models import Report


class Command(BaseCommand):
    help = (
        "Load the reference data if missing, then create demo entities and reports in every status "
        "(deterministic for a given --seed) and the two demo logins, which it prints."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reports", type=int, default=60, help="How many entities/reports to create (60)."
        )
        parser.add_argument(
            "--seed", type=int, default=2025, help="Random seed; the same seed, the same data."
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Create nothing if the database already holds reports."
        )

    def handle(self, *args, reports: int, seed: int, if_empty: bool, **options):
        started = time.perf_counter()
        if if_empty and Report.objects.exists():
            demo.reference_data_load()
            self.stdout.write("Demo data already present; nothing created.")
        else:
            result = demo.demo_seed(reports=reports, seed=seed)
            elapsed = time.perf_counter() - started
            self.stdout.write(
                f"Created {result.entities} entities, {result.reports} reports and "
                f"{result.submissions} submissions in {elapsed:.1f} s."
            )
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for both: {demo.DEMO_PASSWORD})"))
        self.stdout.write(f"  stakeholder: {demo.STAKEHOLDER_EMAIL}")
        self.stdout.write(f"  secretariat: {demo.SECRETARIAT_EMAIL}  (admin at /admin/)")
