"""E-mails: one helper builds a message from ``templates/emails/<name>_subject.txt``,
``<name>_body.txt`` and ``<name>_body.html``; each kind of e-mail is one short function
(in ``reports/delivery/messages.py``: every e-mail is a delivery row, sent by a task).

Templates render with autoescape on (HTML) and off (text); user text stays text either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def message_build(
    name: str,
    *,
    to: Sequence[str],
    context: dict[str, Any],
    attachments: Iterable[tuple[str, bytes, str]] = (),
    reply_to: Sequence[str] = (),
    language: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    """A multipart (text + HTML) message from the ``emails/<name>_*`` templates, in ``language`` or
    else the active one (a worker's is the portal's)."""
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        ctx = {"site_url": settings.SITE_URL, **context}
        subject = " ".join(render_to_string(f"emails/{name}_subject.txt", ctx).split())
        text = render_to_string(f"emails/{name}_body.txt", ctx)
        html = render_to_string(f"emails/{name}_body.html", ctx)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        reply_to=list(reply_to),
        headers=headers or {},
    )
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    return message
