"""The Celery application.

Configuration lives in Django settings under the ``CELERY_`` namespace. Without a
broker (the embedded default) ``CELERY_TASK_ALWAYS_EAGER`` is on and tasks run inline.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wsis_portal.settings")

app = Celery("wsis_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="wsis_portal.ping")
def ping(value: str = "pong") -> str:
    """Round trip used by health checks and the broker integration test."""
    return value
