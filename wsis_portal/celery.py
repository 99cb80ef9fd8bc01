"""The Celery application.

Configuration lives in Django settings under the ``CELERY_`` namespace. Without a
broker (the embedded default) ``CELERY_TASK_ALWAYS_EAGER`` is on and tasks run inline.

Work is routed by kind to four queues, so that a slow mail server or a compilation of thousands
of reports does not hold up anyone's receipt, and each kind can get its own workers:

- ``render``: a submission's PDF, then its compilation edition (WeasyPrint: CPU and memory);
- ``mail``: every e-mail (waits on the SMTP server);
- ``compile``: compiled PDF reports (long, large files);
- ``default``: everything else — the sweepers, reminders, housekeeping, health pings.

A worker started without ``-Q`` consumes all four (the embedded default and the tests); in
production each kind runs as its own worker: ``celery -A wsis_portal worker -Q render`` (see
docker-compose.yml and the README). The ``default`` worker also drains ``celery``, Celery's own
default queue: messages published there before queues by kind existed (a retry waiting over an
upgrade) or by a client without this routing are not stranded.
"""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wsis_portal.settings")

QUEUES = ("render", "mail", "compile", "default")
LEGACY_QUEUE = "celery"  # Celery's default queue name: consumed with ``default``
TASK_ROUTES = {
    "reports.render_pdf": {"queue": "render"},
    "reports.render_edition": {"queue": "render"},
    "reports.send_email": {"queue": "mail"},
    "reports.compile_reports": {"queue": "compile"},
}

app = Celery("wsis_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_queues=[Queue(name, routing_key=name) for name in (*QUEUES, LEGACY_QUEUE)],
    task_default_queue="default",
    task_default_routing_key="default",
    task_routes=TASK_ROUTES,
)
app.autodiscover_tasks()


@app.task(name="wsis_portal.ping")
def ping(value: str = "pong") -> str:
    """Round trip used by health checks and the broker integration test."""
    return value
