import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from reports import demo, services
from reports.models import Report

REFUSED = (
    "seed_demo writes demo entities, reports and logins, and DEBUG is off: this looks like a "
    "production database. To fill it with demo data all the same, run it again with "
    "--allow-production-data (the demo secretariat account then gets no usable password and no "
    "authenticator app)."
)


class Command(BaseCommand):
    help = (
        "Load the reference data if missing, then create demo entities and reports in every status "
        "(deterministic for a given --seed) and the demo logins, which it prints. With DEBUG off it "
        "refuses unless given --allow-production-data, and the demo secretariat account cannot log in."
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
        parser.add_argument(
            "--allow-production-data",
            action="store_true",
            help="Run even though DEBUG is off (demo data in a real database, on purpose).",
        )

    def handle(self, *args, reports: int, seed: int, if_empty: bool, allow_production_data: bool, **options):
        embedded = settings.DEBUG
        if not embedded and not allow_production_data:
            raise CommandError(REFUSED)
        started = time.perf_counter()
        if if_empty and Report.objects.exists():
            demo.reference_data_load()
            self.stdout.write("Demo data already present; nothing created.")
        else:
            result = demo.demo_seed(reports=reports, seed=seed, staff_credentials=embedded)
            services.published_versions_ensure()  # the published ones on the public pages
            elapsed = time.perf_counter() - started
            self.stdout.write(
                f"Created {result.entities} entities, {result.reports} reports and "
                f"{result.submissions} submissions in {elapsed:.1f} s."
            )
        if not embedded:
            self.stdout.write(self.style.SUCCESS(f"Demo login (password: {demo.DEMO_PASSWORD})"))
            self.stdout.write(f"  stakeholder: {demo.STAKEHOLDER_EMAIL}")
            self.stdout.write(
                f"  secretariat: {demo.SECRETARIAT_EMAIL} has no usable password (DEBUG is off): "
                f"set one with `manage.py changepassword {demo.SECRETARIAT_EMAIL}`; the admin then "
                "asks to set up an authenticator app."
            )
            return
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for both: {demo.DEMO_PASSWORD})"))
        self.stdout.write(f"  stakeholder: {demo.STAKEHOLDER_EMAIL}")
        self.stdout.write(f"  secretariat: {demo.SECRETARIAT_EMAIL}  (admin at /admin/)")
        totp_uri = demo.demo_staff_app_ensure()
        if totp_uri:
            self.stdout.write(
                f"    second factor (demo only): authenticator app key {demo.DEMO_TOTP_SECRET}\n"
                f"    (type it into an app, or give the app this address: {totp_uri})"
            )
