"""The report list's count and its date drill-down from one query.

Django's admin counts the filtered reports for the paginator, then asks the same filtered
query twice more for the date drill-down (first and last date, then the distinct months or
days). With filters on Action Lines, regions or a search, each of those repeats the whole
filter. ``DayCountPaginator`` counts the reports per local day of ``submitted_at`` instead
(one GROUP BY): the sum is the paginator's count, and the days are all the drill-down needs.
``date_hierarchy_context`` then builds what Django's ``date_hierarchy`` tag would, for the
same template (``admin/date_hierarchy.html``), with the same links.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext as _


class DayCountPaginator(Paginator):
    """A paginator whose count comes with the number of objects per local day of
    ``date_field`` (``days``: day or ``None`` → count)."""

    date_field = "submitted_at"

    @cached_property
    def days(self) -> dict[datetime.date | None, int]:
        day = TruncDate(self.date_field, tzinfo=timezone.get_current_timezone())
        rows = self.object_list.order_by().values_list(day).annotate(n=Count("*"))
        return dict(rows)

    @cached_property
    def count(self) -> int:
        return sum(self.days.values())


def date_hierarchy_context(cl: Any, days: dict[datetime.date | None, int]) -> dict[str, Any]:
    """The context of ``admin/date_hierarchy.html`` for the change list ``cl``, as Django's
    ``date_hierarchy`` tag makes it, from the days that hold objects."""
    field_name = cl.date_hierarchy
    year_field = f"{field_name}__year"
    month_field = f"{field_name}__month"
    day_field = f"{field_name}__day"
    year_lookup = cl.params.get(year_field)
    month_lookup = cl.params.get(month_field)
    day_lookup = cl.params.get(day_field)
    dated = sorted(day for day in days if day is not None)

    def link(filters: dict[str, Any]) -> str:
        return cl.get_query_string(filters, [f"{field_name}__"])

    if not (year_lookup or month_lookup or day_lookup) and dated:
        first, last = dated[0], dated[-1]
        if first.year == last.year:
            year_lookup = first.year
            if first.month == last.month:
                month_lookup = first.month

    if year_lookup and month_lookup and day_lookup:
        day = datetime.date(int(year_lookup), int(month_lookup), int(day_lookup))
        return {
            "show": True,
            "back": {
                "link": link({year_field: year_lookup, month_field: month_lookup}),
                "title": capfirst(formats.date_format(day, "YEAR_MONTH_FORMAT")),
            },
            "choices": [{"title": capfirst(formats.date_format(day, "MONTH_DAY_FORMAT"))}],
        }
    if year_lookup and month_lookup:
        return {
            "show": True,
            "back": {"link": link({year_field: year_lookup}), "title": str(year_lookup)},
            "choices": [
                {
                    "link": link({year_field: year_lookup, month_field: month_lookup, day_field: day.day}),
                    "title": capfirst(formats.date_format(day, "MONTH_DAY_FORMAT")),
                }
                for day in dated
            ],
        }
    if year_lookup:
        months = sorted({day.replace(day=1) for day in dated})
        return {
            "show": True,
            "back": {"link": link({}), "title": _("All dates")},
            "choices": [
                {
                    "link": link({year_field: year_lookup, month_field: month.month}),
                    "title": capfirst(formats.date_format(month, "YEAR_MONTH_FORMAT")),
                }
                for month in months
            ],
        }
    years = sorted({day.year for day in dated})
    return {
        "show": True,
        "back": None,
        "choices": [{"link": link({year_field: str(year)}), "title": str(year)} for year in years],
    }
