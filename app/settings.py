"""Configuration from the environment, read once. Every name is documented in the README."""
import os

# Path prefix when served behind a reverse proxy, e.g. "/gradlab/". With
# GRADLAB_PROXY_STRIPS_PREFIX=1 the proxy removes the prefix before the request reaches us
# (routes stay at "/", links and assets carry the prefix).
URL_PREFIX = "/" + os.environ.get("GRADLAB_URL_PREFIX", "/").strip("/") + "/"
URL_PREFIX = "/" if URL_PREFIX == "//" else URL_PREFIX
PROXY_STRIPS_PREFIX = os.environ.get("GRADLAB_PROXY_STRIPS_PREFIX", "0") == "1"

# Who may embed GradLab in an iframe: a CSP frame-ancestors source list ("*" = anyone).
FRAME_ANCESTORS = os.environ.get("GRADLAB_FRAME_ANCESTORS", "*")

# Flask's secret key, the same for every worker (gunicorn.conf.py generates one when unset).
SECRET_KEY = os.environ.get("GRADLAB_SECRET_KEY") or None

# Training runs (app/runs). Their shared store — which runs exist, their queue, viewers, streamed
# snapshots and finished results — is a disk cache under GRADLAB_CACHE_DIR that every worker of
# one machine sees, or Redis (GRADLAB_RUNS_REDIS_URL, else the Celery broker) for several
# machines. Runs execute in a pool of at most GRADLAB_MAX_RUNS processes per machine (default:
# the number of cores), or, with GRADLAB_CELERY_BROKER set (e.g. redis://host:6379/0), on Celery
# workers, whose concurrency is the pool.
CACHE_DIR = os.environ.get("GRADLAB_CACHE_DIR", os.path.join(os.environ.get("TMPDIR", "/tmp"),
                                                             "gradlab-cache"))
CELERY_BROKER = os.environ.get("GRADLAB_CELERY_BROKER") or None
CELERY_BACKEND = os.environ.get("GRADLAB_CELERY_BACKEND") or CELERY_BROKER
RUNS_REDIS_URL = os.environ.get("GRADLAB_RUNS_REDIS_URL") or CELERY_BROKER or None


def _positive_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


MAX_RUNS = _positive_int("GRADLAB_MAX_RUNS", len(os.sched_getaffinity(0)))
# Distinct runs one client address may have queued or running at once; a tab has one.
RUNS_PER_CLIENT = _positive_int("GRADLAB_RUNS_PER_CLIENT", 2)
QUEUE_LIMIT = _positive_int("GRADLAB_QUEUE_LIMIT", 64)  # waiting runs, beyond: "the queue is full"
RUN_TIME_LIMIT_S = _positive_int("GRADLAB_RUN_TIME_LIMIT_S", 600)  # a run's wall-clock budget
RUN_MEMORY_MB = _positive_int("GRADLAB_RUN_MEMORY_MB", 1024)  # a run's resident-memory budget
# How many proxies in front of the app append to X-Forwarded-For (0: none, use the peer
# address). Only then is the client address of a request its forwarded one.
TRUSTED_PROXIES = max(0, int(os.environ.get("GRADLAB_TRUSTED_PROXIES", "0") or 0))

# Results of the pages' computations, kept per worker for identical validated parameters:
# at most GRADLAB_CACHE_SIZE entries (each up to ~150 KB of figures; 0 turns caching off), and,
# with GRADLAB_CACHE_REDIS_URL set (e.g. redis://host:6379/1), shared by every worker and
# machine for GRADLAB_CACHE_TTL seconds.
CACHE_SIZE = max(0, int(os.environ.get("GRADLAB_CACHE_SIZE", "256")))
CACHE_REDIS_URL = os.environ.get("GRADLAB_CACHE_REDIS_URL") or None
CACHE_TTL = int(os.environ.get("GRADLAB_CACHE_TTL", "86400"))

# Live sessions (app/live): a lecturer's tab leads, students' tabs follow. Sessions live in the
# same kind of shared store as the runs (a disk cache under GRADLAB_CACHE_DIR, or Redis:
# GRADLAB_LIVE_REDIS_URL, else the runs' Redis, else the result cache's), so a follower on any
# worker or machine sees the lead's state. Bounds: a session's lifetime, how many exist at once,
# how many one client address may create per hour, and how often the lead may publish.
LIVE_REDIS_URL = (os.environ.get("GRADLAB_LIVE_REDIS_URL") or RUNS_REDIS_URL or CACHE_REDIS_URL
                  or None)
LIVE_TTL_S = _positive_int("GRADLAB_LIVE_TTL_S", 4 * 3600)
LIVE_MAX_SESSIONS = _positive_int("GRADLAB_LIVE_MAX_SESSIONS", 100)
LIVE_SESSIONS_PER_CLIENT = _positive_int("GRADLAB_LIVE_SESSIONS_PER_CLIENT", 5)  # per hour
LIVE_UPDATES_PER_S = _positive_int("GRADLAB_LIVE_UPDATES_PER_S", 10)
# The address students type or scan, when the server cannot know it (a proxy that rewrites the
# Host header), e.g. "https://course.example.edu/gradlab/"; else the request's own host.
PUBLIC_URL = os.environ.get("GRADLAB_PUBLIC_URL") or None
