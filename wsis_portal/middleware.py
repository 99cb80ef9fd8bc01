"""Requests the portal refuses before any view reads them, and headers every answer carries."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class RefuseNulBytesMiddleware:
    """A NUL byte in the address or its query answers 400 Bad Request.

    No text the portal stores or looks up may contain one (PostgreSQL refuses it, so an admin
    filter or search given ``%00`` would otherwise fail as a server error). Forms already refuse
    NUL in posted fields (Django's ``ProhibitNullCharactersValidator``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            raise BadRequest("NUL byte in the address")
        return self.get_response(request)


# Browser features no page of the portal uses, denied to the portal and anything it could embed.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-create",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)


class PrivatePagesMiddleware:
    """Every answer to a logged-in person is ``Cache-Control: no-store`` (report data, admin
    pages, PDFs: nothing kept on a shared computer's disk or by a proxy), and every answer denies
    the browser features the portal does not use (``Permissions-Policy``). Static files never get
    here: WhiteNoise answers them earlier, with their year-long caching."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        logged_in = request.user.is_authenticated
        response = self.get_response(request)
        if logged_in or request.user.is_authenticated:
            add_never_cache_headers(response)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
