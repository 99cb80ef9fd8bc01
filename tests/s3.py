"""An S3-compatible server for the test run: moto's server mode (``moto_server``, from PyPI) on a
free loopback port, started once per session when a test asks for it.

MinIO's server is not available from the package registries this project installs from, so the
tests use moto's server: a real HTTP server speaking the S3 API, which boto3 and django-storages
talk to exactly as they talk to MinIO or AWS (docs/decisions/0011-object-storage-and-queues.md).

- ``s3_server``: the running server (``endpoint``, ``bucket(name)`` to create a bucket).
- ``s3_storage``: this process's default storage switched to a fresh bucket on that server, as
  ``AWS_STORAGE_BUCKET_NAME`` does in production; ``s3_storage.env`` is the same configuration
  for other processes (workers).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest

from tests.services import free_port, missing_service, wait_for_port

ROOT = Path(__file__).resolve().parents[1]
ACCESS_KEY = "wsis-test-access"
SECRET_KEY = "wsis-test-secret-key"
REGION = "us-east-1"


def moto_server_binary() -> str | None:
    local = ROOT / ".venv" / "bin" / "moto_server"
    return str(local) if local.exists() else shutil.which("moto_server")


class S3Server:
    def __init__(self) -> None:
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.error = ""
        self.log_path = Path(tempfile.mkstemp(prefix="wsis-s3-", suffix=".log")[1])

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> bool:
        binary = moto_server_binary()
        if not binary:
            self.error = "moto_server is not installed"
            return False
        self.port = free_port()
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [binary, "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if not wait_for_port(self.port, timeout=30):
            self.error = "moto_server did not start listening:\n" + self.log_path.read_text(errors="replace")
            self.stop()
            return False
        return True

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )

    def bucket(self, name: str | None = None) -> str:
        name = name or f"wsis-test-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listed.get("Contents", []))


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    server = S3Server()
    if not server.start():
        missing_service(f"needs an S3-compatible server: {server.error}")
    yield server
    server.stop()


@dataclass
class S3Storage:
    server: S3Server
    bucket: str
    env: dict[str, str] = field(default_factory=dict)

    def stored(self) -> list[str]:
        """The names of every object in the bucket."""
        return self.server.keys(self.bucket)


def s3_env(server: S3Server, bucket: str) -> dict[str, str]:
    """The environment that points a process's storage at ``bucket`` (as .env.example documents)."""
    return {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": server.endpoint,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_S3_REGION_NAME": REGION,
    }


@pytest.fixture
def s3_storage(s3_server: S3Server, settings) -> S3Storage:
    """Django's default storage in this process is a fresh bucket on the test S3 server."""
    bucket = s3_server.bucket()
    settings.AWS_STORAGE_BUCKET_NAME = bucket
    settings.AWS_S3_ENDPOINT_URL = s3_server.endpoint
    settings.AWS_ACCESS_KEY_ID = ACCESS_KEY
    settings.AWS_SECRET_ACCESS_KEY = SECRET_KEY
    settings.AWS_S3_REGION_NAME = REGION
    settings.AWS_S3_ADDRESSING_STYLE = "path"
    # Last: changing STORAGES makes Django build the default storage again, from the values above.
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage"}}
    return S3Storage(server=s3_server, bucket=bucket, env=s3_env(s3_server, bucket))
