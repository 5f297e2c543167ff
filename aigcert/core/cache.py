"""Django's Redis cache, keeping one client per connection pool.

Django builds a new ``redis.Redis`` for every cache call, and each one fills its table of response callbacks (about
170 entries) again. Every request reads its session from this cache, so on the exam's hot path that was a
measurable part of an autosave (bench/exam_day_profile.py). Django keeps a cache object per thread, so the client
kept here is one per thread and pool (a ``redis.Redis`` would be safe to share anyway: it takes a connection from its
pool for each command).
"""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._shared: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._shared.get(id(pool))
        if client is None:
            client = self._shared[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
