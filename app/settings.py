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

# Signs background-callback job handles; must be the same for every worker and machine. When
# unset, Dash keeps a random one in the shared background-callback store.
SECRET_KEY = os.environ.get("GRADLAB_SECRET_KEY") or None

# Background callbacks (training runs): a disk cache shared by the workers of one machine, or,
# with GRADLAB_CELERY_BROKER set (e.g. redis://host:6379/0), Celery workers on any machine.
CACHE_DIR = os.environ.get("GRADLAB_CACHE_DIR", os.path.join(os.environ.get("TMPDIR", "/tmp"),
                                                             "gradlab-cache"))
CELERY_BROKER = os.environ.get("GRADLAB_CELERY_BROKER") or None
CELERY_BACKEND = os.environ.get("GRADLAB_CELERY_BACKEND") or CELERY_BROKER

# Results of the pages' computations, kept per worker for identical validated parameters:
# at most GRADLAB_CACHE_SIZE entries (each up to ~150 KB of figures; 0 turns caching off), and,
# with GRADLAB_CACHE_REDIS_URL set (e.g. redis://host:6379/1), shared by every worker and
# machine for GRADLAB_CACHE_TTL seconds.
CACHE_SIZE = max(0, int(os.environ.get("GRADLAB_CACHE_SIZE", "256")))
CACHE_REDIS_URL = os.environ.get("GRADLAB_CACHE_REDIS_URL") or None
CACHE_TTL = int(os.environ.get("GRADLAB_CACHE_TTL", "86400"))
