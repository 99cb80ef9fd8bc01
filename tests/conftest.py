"""Fixtures shared by the whole suite. Servers (PostgreSQL, Redis) come from tests/services.py."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.utils import translation
from kombu import pools

from action_lines.models import ActionLine
from reports import annex, services
from reports.delivery import runner as delivery
from reports.demo import REFERENCE_FIXTURES
from reports.models import Country, StakeholderType
from tests import factories
from tests.s3 import s3_server, s3_storage  # noqa: F401 (fixtures: an S3-compatible server, a bucket)
from tests.services import REDIS, missing_service
from tests.smtp import SMTPServer
from wsis_portal.celery import app


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts with an empty cache: the admin keeps filter choices (countries with
    reports, regions, cycles) there for a minute, which would carry one test's data into the next."""
    cache.clear()


@pytest.fixture(autouse=True)
def portal_language():
    """Every test starts in the portal's language: a request in Arabic leaves Arabic active in
    the thread (LocaleMiddleware activates it and nothing deactivates it)."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database starts with the reference data: regions, countries, Action Lines, 2025 cycle."""
    with django_db_blocker.unblock():
        call_command("loaddata", *REFERENCE_FIXTURES, verbosity=0)


@pytest.fixture
def reference_data(db):
    """Reference data present even after a transactional test flushed the tables."""
    if not ActionLine.objects.exists():
        call_command("loaddata", *REFERENCE_FIXTURES, verbosity=0)


@pytest.fixture
def redis_url():
    if not REDIS.running:
        missing_service(f"needs Redis: {REDIS.error or 'not running'}")
    return REDIS.url(0)


@pytest.fixture
def cycle(reference_data):
    return factories.CycleFactory.create()


@pytest.fixture
def entity(reference_data):
    return factories.EntityFactory.create()


@pytest.fixture
def report(entity, cycle):
    return factories.ReportFactory.create(entity=entity, cycle=cycle)


# --- A real SMTP server on loopback ------------------------------------------------------


@pytest.fixture(scope="session")
def smtp_server():
    """An aiosmtpd server on a free loopback port for the whole session (see tests/smtp.py)."""
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


# --- The submission pipeline: reports filled for rendering and delivery -------------------------


@pytest.fixture
def fill_report():
    """``fill_report(report, text=…)`` writes an answer into every field of the report (every
    Action Line, a success story per line, indicators, the contact) and returns the report.

    ``text`` is a string (each field gets it, prefixed with the field's name) or a callable
    ``text(field_name) -> str``. Every section is saved through ``services.report_save_section``,
    as a colleague typing it all into the workspace would."""

    def fill(
        report, *, text="Twenty years of progress", language="en", contact_email="focal.point@example.org"
    ):
        say = text if callable(text) else (lambda name: f"{name}: {text}")
        colleague = User(email="colleague@example.org")  # only named in the sections' version stamps

        def save(key: str, data: dict[str, Any]) -> None:
            version = services.report_section_version(report=report, key=key)
            services.report_save_section(
                report=report, key=key, data=data, base_version=version, user=colleague
            )

        for spec in annex.SECTIONS:
            answers: dict[str, Any] = {name: say(name) for name in spec.field_names}
            if spec.kind is annex.Kind.INDICATORS:
                answers["indicators"] = [
                    {
                        "indicator": say(f"indicator {n}")[:300],
                        "value": say("value")[:100],
                        "unit": say("unit")[:60],
                        "year": 2024,
                        "source": say("source")[:500],
                        "note": say("note"),
                    }
                    for n in range(3)
                ]
            elif spec.kind is annex.Kind.CONTACT:
                answers = {
                    "name": say("contact name")[:200],
                    "position": say("position")[:200],
                    "unit": say("unit")[:200],
                    "email": contact_email,
                    "phone": say("phone")[:50],
                    "address": say("address"),
                }
            if answers:
                save(spec.key, answers)
        for line in ActionLine.objects.in_template_order():
            save(
                services.section_key_for_line(line),
                {
                    "achievements": say(f"{line.code} achievements"),
                    "challenges": say(f"{line.code} challenges"),
                    "future_priorities": say(f"{line.code} priorities"),
                    "success_stories": [
                        {
                            "title": say(f"{line.code} story")[:300],
                            "description": say(f"{line.code} story description"),
                            "url": "https://example.org/story",
                            "year": 2021,
                        }
                    ],
                },
            )
        with transaction.atomic():
            services.report_set_language(report=report, language=language)
        report.refresh_from_db()
        return report

    return fill


def _celery_reset_pools(app) -> None:
    # Celery has no public way to drop its connection pools after the broker URL changed
    # (``app.close()`` also unregisters the app).
    app._pool = None  # noqa: SLF001
    app.amqp._producer_pool = None  # noqa: SLF001
    pools.reset()


@pytest.fixture
def celery_broker():
    """``celery_broker(url)`` makes this process publish tasks to a real broker instead of running
    them inline (what the web process does in production); restored afterwards."""
    saved = {name: app.conf[name] for name in ("broker_url", "task_always_eager")}

    def use(url: str):
        app.conf.update(broker_url=url, task_always_eager=False)
        _celery_reset_pools(app)
        return app

    yield use
    app.conf.update(saved)
    _celery_reset_pools(app)


# --- Submitted reports with their PDFs, for compilations ----------------------------------------


ARABIC = "تحقيق التحول الرقمي الشامل في المنطقة العربية"
CHINESE = "数字基础设施建设取得显著进展"


def fill_narratives(report, user):
    """III's three questions, IV's narrative, V and VI: required by the default cycle."""
    narratives = {
        "strategies": {
            "digital_strategy": "A national digital strategy.",
            "strategic_documents": "The 2030 plan.",
            "wsis_mandates": "Folded into the SDG plan.",
        },
        "indicators": {"indicators_narrative": "Coverage doubled."},
        "challenges": {"challenges_gaps": "Rural connectivity."},
        "vision": {"future_vision": "Universal meaningful connectivity."},
    }
    for key, data in narratives.items():
        version = services.report_section_version(report=report, key=key)
        services.report_save_section(report=report, key=key, data=data, base_version=version, user=user)


def submitted(cycle, *, name, stype, country, lines, summary="Twenty years of WSIS implementation."):
    """A report submitted through the services, with its PDF rendered as the pipeline does."""
    entity = factories.EntityFactory.create(
        name=name, stakeholder_type=stype, country=Country.objects.get(code=country)
    )
    user = factories.MembershipFactory.create(entity=entity).user
    report = services.report_get_or_create(entity=entity, cycle=cycle)
    save = services.report_save_section
    save(
        report=report, key="executive-summary", data={"executive_summary": summary}, base_version=0, user=user
    )
    for line in ActionLine.objects.in_template_order():
        text = lines.get(line.code)
        data = {"achievements": text} if text else {"not_applicable": True}
        save(report=report, key=f"line-{line.code}", data=data, base_version=0, user=user)
    save(
        report=report,
        key="contact",
        data={"name": "Focal Point", "email": "fp@example.org"},
        base_version=0,
        user=user,
    )
    fill_narratives(report, user)
    submission = services.report_submit(report=report, user=user)
    return delivery.submission_pdf_ensure(submission=submission)


@pytest.fixture
def corpus(reference_data):
    """Three submitted reports (Kenya, Egypt with Arabic text, China with Chinese) and their PDFs."""
    cycle = factories.CycleFactory.create(slug="wsis20-test", name="WSIS+20 review (test)")
    subs = [
        submitted(
            cycle,
            name="Zeta Digital Rights Foundation",
            stype=StakeholderType.CIVIL_SOCIETY,
            country="KE",
            lines={"C2": "Community networks in 40 villages.", "C7.HEALTH": "Telemedicine in rural clinics."},
        ),
        submitted(
            cycle,
            name="Alpha Ministry of ICT",
            stype=StakeholderType.GOVERNMENT,
            country="EG",
            lines={"C2": ARABIC, "C5": "National CERT established."},
        ),
        submitted(
            cycle,
            name="Beta Institute of Technology",
            stype=StakeholderType.ACADEMIA,
            country="CN",
            lines={"C3": CHINESE, "C7.HEALTH": "Open health data platform."},
        ),
    ]
    return cycle, subs
