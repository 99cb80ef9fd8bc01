from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Stakeholder reports")

    def ready(self) -> None:
        # The security audit log's receivers: logins, failures, logouts, passwords, second factors.
        # Model history (django-auditlog) is registered from settings (AUDITLOG_INCLUDE_TRACKING_MODELS).
        from . import signals  # noqa: PLC0415 (the app registry is ready only now)

        signals.connect()
