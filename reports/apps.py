from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Stakeholder reports")

    def ready(self) -> None:
        from django.db import models

        from .lookups import AnyOf

        for field in (models.IntegerField, models.ForeignKey):  # the auto fields are IntegerFields
            field.register_lookup(AnyOf)
