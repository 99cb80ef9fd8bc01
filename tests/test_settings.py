"""Settings come from the environment; production values pass `check --deploy`."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k3y-for-the-deploy-check-0123456789-abcdefghijklmnopqrstuvwxyz-XYZ",
    "ALLOWED_HOSTS": "wsis-reports.example.org",
    "DATABASE_URL": "postgres://wsis:secret@db.example.org:5432/wsis",
    "CELERY_BROKER_URL": "redis://redis.example.org:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
}


def run_python(code: str, env: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "CELERY_TASK_ALWAYS_EAGER",
            "EMAIL_URL",
            "DEBUG",
            "SECRET_KEY",
        }
    }
    clean.update({"VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "wsis_portal.settings", **env})
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def settings_values(env: dict[str, str], tmp_path, *names: str) -> list[str]:
    code = "import django; django.setup(); from django.conf import settings as s; " + "; ".join(
        f"print(repr({expr}))" for expr in names
    )
    done = run_python(code, env, tmp_path)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_embedded_defaults_need_nothing_running(tmp_path):
    db, eager, broker, folder, email = settings_values(
        {},
        tmp_path,
        "s.DATABASES['default']['ENGINE']",
        "s.CELERY_TASK_ALWAYS_EAGER",
        "s.CELERY_BROKER_URL",
        "s.CELERY_BROKER_TRANSPORT_OPTIONS['data_folder_in']",
        "s.EMAIL_BACKEND",
    )
    assert db == "'django.db.backends.sqlite3'"
    # Background work goes to a worker even here, through files instead of a broker server.
    assert (eager, broker) == ("False", "'filesystem://localhost/'")
    assert folder == repr(str(tmp_path / "broker" / "messages"))
    assert email == "'django.core.mail.backends.console.EmailBackend'"


def test_placeholder_secret_keys_are_refused_when_debug_is_off(tmp_path):
    for key in (
        "change-me-in-the-env-file-to-a-long-random-string-0123456789",
        "dev-only-insecure-key-do-not-use-in-production",
        "django-insecure-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH",
        "short-but-random-7Hq",
    ):
        done = run_python("import django; django.setup()", {**PRODUCTION, "SECRET_KEY": key}, tmp_path)
        assert done.returncode != 0, key
        assert "SECRET_KEY is a placeholder or too short" in done.stderr, key


def test_a_redis_cache_answers_as_empty_when_redis_is_down(tmp_path):
    backend, ignore = settings_values(
        {**PRODUCTION, "CACHE_URL": "redis://127.0.0.1:9/1"},
        tmp_path,
        "s.CACHES['default']['BACKEND']",
        "s.CACHES['default']['OPTIONS']['IGNORE_EXCEPTIONS']",
    )
    assert (backend, ignore) == ("'wsis_portal.cache.FailOpenRedisCache'", "True")


def test_urls_in_the_environment_configure_postgres_redis_and_smtp(tmp_path):
    engine, host, eager, broker, backend, port, tls = settings_values(
        PRODUCTION,
        tmp_path,
        "s.DATABASES['default']['ENGINE']",
        "s.DATABASES['default']['HOST']",
        "s.CELERY_TASK_ALWAYS_EAGER",
        "s.CELERY_BROKER_URL",
        "s.EMAIL_BACKEND",
        "s.EMAIL_PORT",
        "s.EMAIL_USE_TLS",
    )
    assert engine == "'django.db.backends.postgresql'"
    assert host == "'db.example.org'"
    assert eager == "False"
    assert broker == "'redis://redis.example.org:6379/0'"
    assert backend == "'django.core.mail.backends.smtp.EmailBackend'"
    assert (port, tls) == ("587", "True")


def test_secret_key_is_required_when_debug_is_off(tmp_path):
    done = run_python("import django; django.setup()", {"DEBUG": "false"}, tmp_path)
    assert done.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in done.stderr


def test_check_deploy_reports_nothing_with_production_values(tmp_path):
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            **PRODUCTION,
            "VAR_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_env_example_documents_every_variable_the_settings_read():
    settings_src = (ROOT / "wsis_portal" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', settings_src))
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", example, flags=re.MULTILINE))
    assert read, "no variables found in settings.py"
    assert read - documented == set(), "undocumented in .env.example"
    # Also documented: what only docker-compose.yml reads from .env (e.g. REDIS_PASSWORD, in its URLs).
    compose_only = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "docker-compose.yml").read_text())) - read
    assert documented - read - compose_only == set(), "documented but never read"
