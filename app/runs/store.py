"""The runs' shared state, behind one small interface with two backends.

DiskStore: a diskcache (SQLite) directory that every process of one machine opens: the web
workers, the pool supervisor and the run processes. RedisStore: the same keys in Redis, for
several machines (and the Celery workers). Values are JSON (runs, queues, snapshots: all plain
data); compound updates take the store's one lock, which expires, so a process killed while
holding it cannot wedge the others.
"""
from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager

LOCK_EXPIRE_S = 10.0  # a holder that dies releases the lock after this long


def _dump(value) -> str:
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


class DiskStore:
    """A diskcache.Cache shared by the processes of one machine."""

    def __init__(self, path: str):
        import diskcache
        os.makedirs(path, exist_ok=True)
        # size_limit bounds the disk a flood of distinct runs could fill (1 GiB: thousands of
        # finished runs; the oldest are culled first)
        self._cache = diskcache.Cache(path, size_limit=1 << 30, timeout=30)
        self.where = f"disk {path}"

    def get(self, key: str):
        raw = self._cache.get(key)
        if raw is None or isinstance(raw, int):  # incr() keeps a plain int
            return raw
        return json.loads(raw)

    def set(self, key: str, value, expire: float | None = None) -> None:
        self._cache.set(key, _dump(value), expire=expire)

    def add(self, key: str, value, expire: float | None = None) -> bool:
        """Set `key` only if it is absent; True if this call set it."""
        return self._cache.add(key, _dump(value), expire=expire)

    def set_text(self, key: str, text: str, expire: float | None = None) -> None:
        """Text stored as it is (already JSON), served as it is: see get_text."""
        self._cache.set(key, text, expire=expire)

    def get_text(self, key: str) -> str | None:
        return self._cache.get(key)

    def delete(self, key: str) -> None:
        self._cache.delete(key)

    def incr(self, key: str) -> int:
        return self._cache.incr(key, default=0)

    @contextmanager
    def lock(self):
        import diskcache
        with diskcache.Lock(self._cache, "lock", expire=LOCK_EXPIRE_S):
            yield

    def clear(self) -> None:
        self._cache.clear()


class RedisStore:
    """The same interface on Redis, every key under `prefix`."""

    def __init__(self, url: str, prefix: str = "gradlab:runs:"):
        import redis
        # fail in seconds, not minutes: a page that cannot reach the store says so
        self._redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._prefix = prefix
        self.where = f"redis {url}"

    def get(self, key: str):
        raw = self._redis.get(self._prefix + key)
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value, expire: float | None = None) -> None:
        self._redis.set(self._prefix + key, _dump(value),
                        px=None if expire is None else int(expire * 1000))

    def add(self, key: str, value, expire: float | None = None) -> bool:
        return bool(self._redis.set(self._prefix + key, _dump(value), nx=True,
                                    px=None if expire is None else int(expire * 1000)))

    def set_text(self, key: str, text: str, expire: float | None = None) -> None:
        self._redis.set(self._prefix + key, text.encode(),
                        px=None if expire is None else int(expire * 1000))

    def get_text(self, key: str) -> str | None:
        raw = self._redis.get(self._prefix + key)
        return None if raw is None else raw.decode()

    def delete(self, key: str) -> None:
        self._redis.delete(self._prefix + key)

    def incr(self, key: str) -> int:
        return int(self._redis.incr(self._prefix + key))

    @contextmanager
    def lock(self):
        with self._redis.lock(self._prefix + "lock", timeout=LOCK_EXPIRE_S, blocking_timeout=30,
                              sleep=0.002):
            yield

    def clear(self) -> None:
        for key in self._redis.scan_iter(self._prefix + "*"):
            self._redis.delete(key)


_STORE = None


def shared_store():
    """This process's handle on the configured store (one per process: opened lazily, and
    again after a fork, since neither SQLite handles nor sockets survive one)."""
    global _STORE
    from app import settings
    if _STORE is None or _STORE[0] != os.getpid():
        store = (RedisStore(settings.RUNS_REDIS_URL) if settings.RUNS_REDIS_URL
                 else DiskStore(os.path.join(settings.CACHE_DIR, "runs")))
        _STORE = (os.getpid(), store)
    return _STORE[1]


def now() -> float:
    """Wall-clock seconds: the one clock every machine sharing a store compares."""
    return time.time()
