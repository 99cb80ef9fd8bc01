"""The API's pages and its limit (named in settings.REST_FRAMEWORK; a module of their own, which
Django REST framework imports while it loads its views)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from wsis_portal.limits import AccountAdapter


class Pagination(PageNumberPagination):
    """``?page=`` and ``?page_size=`` (up to API_MAX_PAGE_SIZE); the answer says ``count``,
    ``next`` and ``previous``."""

    page_size_query_param = "page_size"

    def get_page_size(self, request: Request) -> int | None:
        self.page_size = settings.API_PAGE_SIZE
        self.max_page_size = settings.API_MAX_PAGE_SIZE
        return super().get_page_size(request)


class ClientAddressThrottle(SimpleRateThrottle):
    """At most ``API_RATE_LIMIT`` requests per client address, counted in the cache every process
    shares; the address is the portal's (behind the proxy, the one it appended to X-Forwarded-For,
    as the login limits read it)."""

    scope = "api"

    def get_rate(self) -> str | None:
        framework: dict[str, Any] = settings.REST_FRAMEWORK  # read at each request: tests change it
        return framework["DEFAULT_THROTTLE_RATES"][self.scope]

    def get_cache_key(self, request: Request, view: Any) -> str:
        address = AccountAdapter(request).get_client_ip(request)
        return self.cache_format % {"scope": self.scope, "ident": address}
