"""Who is at work in the admin."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


def staff_user(request: HttpRequest) -> User:
    """The signed-in staff member of an admin request (the admin site lets no one else in)."""
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user
