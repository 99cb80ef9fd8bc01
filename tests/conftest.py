"""Fixtures shared by the whole suite. Servers (PostgreSQL, Redis) come from tests/services.py."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from reports.demo import REFERENCE_FIXTURES
from tests import factories
from tests.services import REDIS, missing_service


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database starts with the reference data: regions, countries, Action Lines, 2025 cycle."""
    with django_db_blocker.unblock():
        call_command("loaddata", *REFERENCE_FIXTURES, verbosity=0)


@pytest.fixture
def reference_data(db):
    """Reference data present even after a transactional test flushed the tables."""
    from action_lines.models import ActionLine

    if not ActionLine.objects.exists():
        call_command("loaddata", *REFERENCE_FIXTURES, verbosity=0)


@pytest.fixture
def redis_url():
    if not REDIS.running:
        missing_service(f"needs Redis: {REDIS.error or 'not running'}")
    return REDIS.url(0)


@pytest.fixture
def cycle(reference_data):
    return factories.CycleFactory()


@pytest.fixture
def entity(reference_data):
    return factories.EntityFactory()


@pytest.fixture
def report(entity, cycle):
    return factories.ReportFactory(entity=entity, cycle=cycle)


# --- A real SMTP server on loopback ------------------------------------------------------


@pytest.fixture(scope="session")
def smtp_server():
    """An aiosmtpd server on a free loopback port for the whole session (see tests/smtp.py)."""
    from tests.smtp import SMTPServer

    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(smtp_server, settings):
    """Django's e-mail goes to the loopback SMTP server; the received messages are listed here."""
    smtp_server.reset()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    return smtp_server
