"""Debian's Chromium for the browser and deployed tiers: never a downloaded browser."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from tests.services import missing_service

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@contextlib.contextmanager
def chromium(*, orm_between_steps: bool = True) -> Iterator:
    """A headless Chromium through Playwright's sync API, closed afterwards.

    Playwright's event loop runs in this thread. Tests against the live server call the ORM
    between browser steps, synchronously: ``orm_between_steps`` sets DJANGO_ALLOW_ASYNC_UNSAFE
    for as long as the browser runs (and not after: later tests run ``manage.py check --deploy``,
    which rejects the variable). The deployed tier talks to its servers over HTTP only."""
    if not Path(CHROMIUM).exists():
        missing_service(f"needs Chromium at {CHROMIUM} (Debian package chromium)")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    if orm_between_steps:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def watch(page: Any) -> list[str]:
    """The script errors and Content-Security-Policy violations of ``page``, collected as they
    happen; a browser test asserts the list is empty when it is done."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    return problems
