"""``/sitemap.xml``: the public list pages, every published report and every Action Line page.
Only published reports are listed (``published.current_versions``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from action_lines.models import ActionLine

from .. import published
from ..models import PublishedVersion


class ListPages(Sitemap):
    changefreq = "daily"
    priority = 0.8

    def items(self) -> list[str]:
        return ["public:reports", "public:action_lines"]

    def location(self, item: str) -> str:
        return reverse(item)


class PublishedReports(Sitemap):
    changefreq = "monthly"
    priority = 0.6

    def items(self) -> Any:
        versions = published.current_versions().select_related(None)
        return versions.only("pk", "report_id", "published_at").order_by("report_id")

    def location(self, item: PublishedVersion) -> str:
        return reverse("public:report", args=[item.report_id])

    def lastmod(self, item: PublishedVersion) -> datetime:
        return item.published_at


class ActionLinePages(Sitemap):
    changefreq = "weekly"
    priority = 0.5

    def items(self) -> Any:
        return ActionLine.objects.in_template_order().only("code")

    def location(self, item: ActionLine) -> str:
        return reverse("public:action_line", args=[item.code])


SITEMAPS: dict[str, type[Sitemap[Any]] | Sitemap[Any]] = {
    "pages": ListPages,
    "reports": PublishedReports,
    "action-lines": ActionLinePages,
}
