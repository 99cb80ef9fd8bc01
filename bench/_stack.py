"""The servers a bench needs on loopback, as the test run starts them (tests/services.py):
PostgreSQL (unless ``DATABASE_URL`` names one) and Redis for the cache."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def postgres_start(script: str):
    """A throwaway PostgreSQL cluster with an empty ``wsis`` database (stop it afterwards)."""
    from tests.services import PostgresServer

    server = PostgresServer()
    if not server.start():
        sys.exit(f"{script} needs PostgreSQL: {server.error}")
    import psycopg

    with psycopg.connect(
        f"host=127.0.0.1 port={server.port} user=postgres dbname=postgres", autocommit=True
    ) as c:
        c.execute("CREATE DATABASE wsis")
    return server


def servers(script: str) -> tuple[str, str | None, list[object]]:
    """The PostgreSQL URL, a Redis cache URL (or ``None``), and the servers to stop afterwards."""
    from tests.services import RedisServer

    started: list[object] = []
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        server = postgres_start(script)
        url = server.url
        started.append(server)
    redis = RedisServer()
    cache_url = None
    if redis.start():
        cache_url = redis.url(1)
        started.append(redis)
    return url, cache_url, started
