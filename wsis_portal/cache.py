"""The Redis cache, failing open.

django-redis with ``IGNORE_EXCEPTIONS`` reads a Redis outage as an empty cache: ``get`` misses,
``set`` does nothing. One answer needs turning round: ``add`` (store only if absent) then says
``None``, which callers read as "someone else holds this key". Locks are taken with ``add`` —
django-allauth's rate limiter takes one for every login attempt — so while Redis is down every
login would look rate-limited. Here ``add`` says ``True`` instead: the lock is ours, the limit is
not counted, and people can log in. See docs/decisions/0002-cache-fails-open.md.
"""

from __future__ import annotations

from typing import Any

from django_redis.cache import RedisCache


class FailOpenRedisCache(RedisCache):
    def add(self, *args: Any, **kwargs: Any) -> bool:
        stored = super().add(*args, **kwargs)
        return True if stored is None else bool(stored)
