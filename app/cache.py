"""Results of the pages' computations, kept for identical validated parameters.

A lecture hall asks one question many times: three hundred laptops open the same link and
drag the same slider to the same values. Each page's `view(...)` (engine + figure builders,
a pure function of validated parameters; the reader's look is applied afterwards) is wrapped
in `@cached`, so identical requests are computed once per worker, whatever their look:

- a bounded LRU per worker process (GRADLAB_CACHE_SIZE entries, 0 turns caching off);
- concurrent requests for a key that is being computed wait for that one computation
  instead of repeating it (the first request after "open this link" arrives 300 times);
- optionally a cache shared by every worker and machine (GRADLAB_CACHE_REDIS_URL, through
  flask-caching's Redis backend). If Redis is unreachable the worker computes locally.

Keys carry a digest of the code that produces the results, so a new deployment never serves
figures an older one cached in Redis.
"""
import hashlib
import logging
import threading
from collections import OrderedDict
from concurrent.futures import Future
from functools import lru_cache, wraps
from pathlib import Path

from app import settings
from components.figures import portable

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def code_digest() -> str:
    """Short digest of every source file that shapes a cached result (read once a process:
    the code does not change under a running server)."""
    digest = hashlib.sha256()
    for path in sorted(p for d in ("engine", "components", "app") for p in (ROOT / d).rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


class ResultCache:
    """A thread-safe LRU of at most `size` entries with single-flight computation, in front
    of an optional shared cache (anything with flask-caching's get/set)."""

    def __init__(self, size: int, shared=None):
        self.size, self.shared = size, shared
        self._entries: OrderedDict = OrderedDict()
        self._pending: dict[str, Future] = {}
        self._lock = threading.Lock()
        self.stats = dict(hits=0, waits=0, shared_hits=0, misses=0, shared_errors=0)

    def get_or_compute(self, key: str, compute):
        if self.size <= 0:
            return compute()
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.stats["hits"] += 1
                return self._entries[key]
            pending = self._pending.get(key)
            if pending is None:
                pending = self._pending[key] = Future()
                owner = True
            else:
                self.stats["waits"] += 1
                owner = False
        if not owner:
            return pending.result()
        try:
            value = self._shared_get(key)
            if value is None:
                self._count("misses")
                value = compute()
                self._shared_set(key, value)
            else:
                self._count("shared_hits")
        except BaseException as error:
            with self._lock:
                del self._pending[key]
            pending.set_exception(error)
            raise
        with self._lock:
            del self._pending[key]
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        pending.set_result(value)
        return value

    def _shared_get(self, key: str):
        if self.shared is None:
            return None
        try:
            return self.shared.get(key)
        except Exception:  # a cache outage must not become a user-visible error
            self._shared_failed()
            return None

    def _shared_set(self, key: str, value) -> None:
        if self.shared is None:
            return
        try:
            self.shared.set(key, value)
        except Exception:
            self._shared_failed()

    def _count(self, stat: str) -> int:
        with self._lock:
            self.stats[stat] += 1
            return self.stats[stat]

    def _shared_failed(self) -> None:
        if self._count("shared_errors") == 1:  # log the cause once, not on every request
            log.exception("shared cache unreachable: computing locally")

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _shared_cache():
    """flask-caching's Redis backend, used directly: the Flask extension would look itself up
    on whichever app is current, and this cache serves outside any one app's context."""
    if not settings.CACHE_REDIS_URL:
        return None
    from flask_caching.backends.rediscache import RedisCache
    config = {
        "CACHE_REDIS_URL": settings.CACHE_REDIS_URL,
        "CACHE_KEY_PREFIX": f"gradlab:{code_digest()}:",
        # fail fast: a slow or absent Redis must cost a request milliseconds, not seconds
        "CACHE_OPTIONS": {"socket_timeout": 0.25, "socket_connect_timeout": 0.25},
    }
    return RedisCache.factory(None, config, [], {"default_timeout": settings.CACHE_TTL})


RESULTS = ResultCache(settings.CACHE_SIZE, _shared_cache())


def cached(compute):
    """Cache `compute(...)` by its module, name and arguments (validated values, whose reprs
    are exact)."""
    name = f"{compute.__module__}.{compute.__qualname__}"

    @wraps(compute)
    def wrapper(*args, **kwargs):
        key = repr((name, args, sorted(kwargs.items())))
        return RESULTS.get_or_compute(key, lambda: portable(compute(*args, **kwargs)))

    return wrapper
