"""Requests the portal refuses before any view reads them."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse


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
