"""docker-compose.yml, the Dockerfile and the lock files describe a stack that can run this code.

Docker cannot run on the build machines, so the files are checked statically: every
service built from our image runs a command that exists and sets only variables that
the settings read; the stack needs its secrets from .env and keeps its ports on this
machine; the image and every install take exactly the locked, hashed dependencies."""

import importlib
import re
import sys
import tomllib
from pathlib import Path

import environ
import yaml
from django.core.management import get_commands
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
DOCKERFILE = (ROOT / "Dockerfile").read_text()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SETTINGS_VARS = set(
    re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]*)"', (ROOT / "wsis_portal" / "settings.py").read_text())
)
OUR_SERVICES = {name: s for name, s in COMPOSE["services"].items() if "build" in s}
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}: what compose reads from .env.
INTERPOLATION = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def interpolated(name: str) -> list[tuple[str, str]]:
    """The (operator, text) of every ${name…} in docker-compose.yml: ("", "") when plain."""
    return [(op, text) for var, op, text in INTERPOLATION.findall(COMPOSE_TEXT) if var == name]


WORKERS = {
    name: s
    for name, s in OUR_SERVICES.items()
    if s["command"][:4] == ["celery", "-A", "wsis_portal", "worker"]
}


def test_the_stack_has_web_workers_beat_database_broker_object_storage_and_mail():
    assert set(COMPOSE["services"]) >= {
        "migrate",
        "web",
        "beat",
        "postgres",
        "redis",
        "minio",
        "minio-init",
        "mail",
    }
    assert {"migrate", "web", "beat"} <= set(OUR_SERVICES)
    assert set(WORKERS) == {"worker-render", "worker-mail", "worker-compile", "worker-default"}


def test_every_long_running_service_has_a_healthcheck():
    for name, service in COMPOSE["services"].items():
        if service.get("restart") != "no":  # one-shot jobs (migrate, the bucket) have none
            assert "healthcheck" in service, name


def test_every_command_of_our_image_exists():
    bin_dir = Path(sys.executable).parent
    for name, service in OUR_SERVICES.items():
        program, *args = service["command"]
        assert (bin_dir / program).exists(), f"{name}: {program} not installed in {bin_dir}"
        if program == "gunicorn":
            module, _, attr = args[0].partition(":")
            assert hasattr(importlib.import_module(module), attr), name
        elif program == "celery":
            assert args[:2] == ["-A", "wsis_portal"], name
            assert args[2] in {"worker", "beat"}, name
        elif program == "python":
            assert args[0] == "manage.py", name
            assert args[1] in get_commands(), name
        else:
            raise AssertionError(f"{name}: unexpected program {program}")


def test_every_variable_set_for_our_image_is_read_by_the_settings():
    # Variables compose only interpolates (REDIS_PASSWORD, in the URLs) are not set for the image.
    for name, service in OUR_SERVICES.items():
        unknown = set(service["environment"]) - SETTINGS_VARS
        assert unknown == set(), f"{name} sets variables the settings never read: {unknown}"


def test_every_variable_compose_reads_from_the_env_file_is_documented():
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", example, flags=re.MULTILINE))
    read = {var for var, _, _ in INTERPOLATION.findall(COMPOSE_TEXT)}
    assert read - documented == set(), "compose reads variables .env.example does not document"


def test_compose_refuses_to_start_without_a_secret_key_and_its_passwords():
    for secret in ("SECRET_KEY", "REDIS_PASSWORD", "MINIO_ROOT_PASSWORD", "MINIO_PORTAL_PASSWORD"):
        uses = interpolated(secret)
        assert uses, f"{secret} is not taken from .env"
        # A fallback secret would be public (it is in this repository); "${X:?message}" stops compose.
        assert all(op == ":?" and text.strip() for op, text in uses), f"{secret} has a default: {uses}"
    assert "SECRET_KEY" in OUR_SERVICES["web"]["environment"]


def test_every_image_is_pinned_to_a_release():
    for name, service in COMPOSE["services"].items():
        if name in OUR_SERVICES:
            continue
        image = service["image"]
        repository, _, tag = image.rpartition(":")
        assert repository, f"{name}: {image} has no tag"
        assert "/" not in tag, f"{name}: {image} has no tag"
        if repository in {"minio/minio", "minio/mc"}:  # MinIO names each release by its UTC time
            assert re.fullmatch(r"RELEASE\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ", tag), f"{name}: {image}"
            continue
        version = re.match(r"v?(\d+(?:\.\d+)*)", tag)
        # An exact release: major.minor.patch (PostgreSQL numbers its releases major.minor since 10).
        parts = 2 if repository == "postgres" else 3
        assert version, f"{name}: {image} is not pinned to a release"
        assert version[1].count(".") + 1 >= parts, f"{name}: {image} is not pinned to a release"
    assert re.search(r"^FROM python:3\.11\.\d+-slim-bookworm\s*$", DOCKERFILE, re.MULTILINE), (
        "the base image is not pinned to a Python 3.11 patch release"
    )


def test_published_ports_listen_on_this_machine_only():
    published = {name: s["ports"] for name, s in COMPOSE["services"].items() if "ports" in s}
    assert {"web", "mail"} <= set(published)
    for name, ports in published.items():
        for port in ports:
            assert str(port).startswith("127.0.0.1:"), f"{name}: {port} is open to the network"
    assert "127.0.0.1:8000:8000" in published["web"]
    assert "127.0.0.1:8025:8025" in published["mail"]


def test_redis_requires_the_password_and_its_healthcheck_gives_it():
    redis = COMPOSE["services"]["redis"]
    command = redis["command"]
    assert command[0] == "redis-server"
    assert command[command.index("--requirepass") + 1].startswith("${REDIS_PASSWORD:?")
    # redis-cli answers NOAUTH with exit status 0: the check must give the password and want PONG.
    assert redis["environment"]["REDISCLI_AUTH"].startswith("${REDIS_PASSWORD:?")
    check = " ".join(redis["healthcheck"]["test"])
    assert "redis-cli" in check
    assert "ping" in check
    assert "PONG" in check


def test_broker_and_cache_are_separate_redis_databases_with_the_password():
    env = OUR_SERVICES["web"]["environment"]
    broker, cache = env["CELERY_BROKER_URL"], env["CACHE_URL"]
    url = re.compile(r"^redis://:\$\{REDIS_PASSWORD:\?[^}]+\}@redis:6379/(\d+)$")
    broker_db, cache_db = url.match(broker), url.match(cache)
    assert broker_db, broker
    assert cache_db, cache
    assert (broker_db[1], cache_db[1]) == ("0", "1")
    for service in OUR_SERVICES.values():
        assert service["environment"]["CELERY_BROKER_URL"] == broker
        assert service["environment"]["CACHE_URL"] == cache


def test_the_cache_url_selects_django_redis():
    # django-environ maps redis:// (and rediscache://) to django-redis when it is installed.
    cache = OUR_SERVICES["web"]["environment"]["CACHE_URL"]
    config = environ.Env.cache_url_config(INTERPOLATION.sub("secret", cache))
    assert config["BACKEND"] == "django_redis.cache.RedisCache"
    assert config["LOCATION"] == "redis://:secret@redis:6379/1"


def test_every_worker_has_a_memory_limit_above_its_processes_limits():
    for name, worker in WORKERS.items():
        limit = worker.get("mem_limit") or worker.get("deploy", {}).get("resources", {}).get(
            "limits", {}
        ).get("memory")
        assert limit, f"{name} can take all the machine's memory"
        # Each worker process is recycled well below the container's limit.
        per_child_kib = int(worker["environment"]["CELERY_WORKER_MAX_MEMORY_PER_CHILD"])
        command = worker["command"]
        processes = int(command[command.index("--concurrency") + 1])
        units = {"k": 1, "m": 1024, "g": 1024**2}
        size = re.fullmatch(r"(\d+)([kmg])b?", str(limit).lower())
        assert size, limit
        number, unit = size.groups()
        main_process_kib = 150 * 1024  # the worker's own process, beside its pool
        assert processes * per_child_kib + main_process_kib <= int(number) * units[unit], name


def test_each_queue_has_its_own_workers():
    from wsis_portal.celery import LEGACY_QUEUE, QUEUES  # noqa: PLC0415 (the Celery app, only for this test)

    consumed = {}
    for name, worker in WORKERS.items():
        command = worker["command"]
        assert "-Q" in command, f"{name} would consume every queue"
        consumed[name] = command[command.index("-Q") + 1].split(",")
    assert sorted(q for queues in consumed.values() for q in queues) == sorted([*QUEUES, LEGACY_QUEUE])
    assert consumed["worker-default"] == ["default", LEGACY_QUEUE]  # nothing stranded in Celery's own
    assert {queues[0]: name for name, queues in consumed.items()} == {q: f"worker-{q}" for q in QUEUES}


def test_files_live_in_the_minio_bucket_which_is_created_before_anything_starts():
    for name, service in OUR_SERVICES.items():
        env = service["environment"]
        assert env["AWS_STORAGE_BUCKET_NAME"] == "${MINIO_BUCKET:-wsis-portal}", name
        assert env["AWS_S3_ENDPOINT_URL"] == "http://minio:9000", name
        assert env["AWS_ACCESS_KEY_ID"], name
        assert env["AWS_SECRET_ACCESS_KEY"].startswith("${MINIO_PORTAL_PASSWORD:?"), name
        assert service["depends_on"]["minio-init"] == {"condition": "service_completed_successfully"}, name
        assert "volumes" not in service, f"{name} shares a volume: only the bucket may be shared"
    init = COMPOSE["services"]["minio-init"]
    assert init["depends_on"]["minio"] == {"condition": "service_healthy"}
    script = init["entrypoint"][-1]
    assert 'mc mb --ignore-existing "local/$$BUCKET"' in script
    assert 'mc anonymous set none "local/$$BUCKET"' in script  # private: the portal streams downloads
    assert "mc admin user add local wsis-portal" in script
    assert init["environment"]["BUCKET"] == "${MINIO_BUCKET:-wsis-portal}"
    assert "ports" not in COMPOSE["services"]["minio"]  # the API stays inside the compose network


def test_the_web_healthcheck_renders_a_page():
    test = COMPOSE["services"]["web"]["healthcheck"]["test"]
    script = test[-1]
    assert test[:3] == ["CMD", "python", "-c"]
    assert "/accounts/login/" in script
    assert "!= 200" in script
    compile(script, "web healthcheck", "exec")


def test_the_image_installs_the_locked_dependencies_and_the_pdf_fonts():
    assert re.search(r"pip install --require-hashes -r requirements/base\.txt", DOCKERFILE)
    assert re.search(r"pip install --no-deps --no-build-isolation -e \.", DOCKERFILE)
    assert "constraints.txt" not in DOCKERFILE
    assert "fonts-noto-core" in DOCKERFILE
    assert "fonts-noto-cjk" in DOCKERFILE
    assert "libpango-1.0-0" in DOCKERFILE


def test_the_image_collects_static_files_with_production_settings_and_keeps_no_key():
    run = next(line for line in DOCKERFILE.replace("\\\n", " ").splitlines() if "collectstatic" in line)
    assert run.startswith("RUN ")
    assert "DEBUG=false" in run
    assert "DEBUG=true" not in run
    # A throwaway key, made in the same command: nothing secret stays in the image.
    assert re.search(r"SECRET_KEY=\"\$\(python -c '.*secrets\.token_urlsafe", run)
    assert not re.search(r"^\s*(ENV|ARG)\b.*SECRET_KEY", DOCKERFILE, re.MULTILINE)


# --- the lock files ------------------------------------------------------------------------------

LOCK_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def locked(name: str) -> dict[str, tuple[str, list[str]]]:
    """Each requirement of requirements/<name> as canonical name -> (version, hashes)."""
    text = (ROOT / "requirements" / name).read_text()
    entries: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=\S)", text):
        if block.startswith("#") or not block.strip():
            continue
        match = LOCK_LINE.match(block)
        assert match, f"{name}: not an exact pin: {block.splitlines()[0]}"
        entries[canonicalize_name(match[1])] = (match[2], re.findall(r"--hash=sha256:[0-9a-f]{64}", block))
    return entries


def test_every_locked_requirement_is_pinned_with_hashes():
    for name in ("base.txt", "dev.txt"):
        entries = locked(name)
        assert entries, name
        assert [pkg for pkg, (_, hashes) in entries.items() if not hashes] == [], name
        text = (ROOT / "requirements" / name).read_text()
        assert "make lock" in text.splitlines()[1], f"{name}: the header says how to regenerate it"


def test_the_locks_satisfy_pyproject_and_agree_with_each_other():
    base, dev = locked("base.txt"), locked("dev.txt")
    project = PYPROJECT["project"]
    wanted = [
        ("base.txt", base, project["dependencies"]),
        ("dev.txt", dev, project["dependencies"] + project["optional-dependencies"]["dev"]),
        # pip and the build backend, so that nothing installs unhashed (--no-build-isolation).
        ("base.txt", base, ["pip", *PYPROJECT["build-system"]["requires"]]),
        ("dev.txt", dev, ["pip", *PYPROJECT["build-system"]["requires"]]),
    ]
    for lock_name, lock, requirements in wanted:
        for text in requirements:
            requirement = Requirement(text)
            name = canonicalize_name(requirement.name)
            assert name in lock, f"{requirement.name} missing from {lock_name}: run make lock"
            assert requirement.specifier.contains(lock[name][0], prereleases=True), (
                f"{lock_name} pins {name}=={lock[name][0]}, outside {requirement.specifier}: run make lock"
            )
    different = {name: (v, dev[name][0]) for name, (v, _) in base.items() if dev.get(name, (v,))[0] != v}
    assert different == {}, "base.txt and dev.txt pin different versions"
    assert set(base) <= set(dev)


def test_make_installs_from_the_locks_with_hashes():
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements/dev.txt" in makefile
    assert "--require-hashes -r requirements/base.txt" in makefile
    assert "--no-deps --no-build-isolation -e ." in makefile
    assert re.search(r"^lock:", makefile, re.MULTILINE)
    assert not (ROOT / "constraints.txt").exists()
    assert "constraints.txt" not in makefile
