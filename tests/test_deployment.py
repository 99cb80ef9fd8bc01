"""docker-compose.yml and the Dockerfile describe a stack that can run this code.

Docker cannot run on the build machines, so the file is checked statically: every
service built from our image runs a command that exists, and sets only variables that
the settings read."""

import importlib
import re
import shutil
import sys
from pathlib import Path

import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SETTINGS_VARS = set(
    re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', (ROOT / "wsis_portal" / "settings.py").read_text())
)
OUR_SERVICES = {name: s for name, s in COMPOSE["services"].items() if "build" in s}


def test_the_stack_has_web_worker_beat_database_broker_and_mail():
    assert set(COMPOSE["services"]) >= {"web", "worker", "beat", "postgres", "redis", "mail"}
    assert {"web", "worker", "beat"} <= set(OUR_SERVICES)


def test_every_long_running_service_has_a_healthcheck():
    for name, service in COMPOSE["services"].items():
        if name != "migrate":
            assert "healthcheck" in service, name


def test_every_command_of_our_image_exists():
    bin_dir = Path(sys.executable).parent
    for name, service in OUR_SERVICES.items():
        program, *args = service["command"]
        assert (bin_dir / program).exists() or shutil.which(program), f"{name}: {program} not installed"
        if program == "gunicorn":
            module, _, attr = args[0].partition(":")
            assert hasattr(importlib.import_module(module), attr), name
        elif program == "celery":
            assert args[:2] == ["-A", "wsis_portal"] and args[2] in {"worker", "beat"}, name
        elif program == "python":
            assert args[0] == "manage.py" and args[1] in get_commands(), name
        else:
            raise AssertionError(f"{name}: unexpected program {program}")


def test_every_variable_set_for_our_image_is_read_by_the_settings():
    for name, service in OUR_SERVICES.items():
        unknown = set(service["environment"]) - SETTINGS_VARS
        assert unknown == set(), f"{name} sets variables the settings never read: {unknown}"


def test_the_image_installs_the_pinned_dependencies_and_the_pdf_fonts():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "-c constraints.txt" in dockerfile
    assert "fonts-noto-core" in dockerfile and "fonts-noto-cjk" in dockerfile
    assert "libpango-1.0-0" in dockerfile
