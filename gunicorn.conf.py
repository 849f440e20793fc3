"""gunicorn configuration: `gunicorn -c gunicorn.conf.py app:server`.

Environment: PORT (8050), HOST (0.0.0.0), WEB_CONCURRENCY workers (2: one per core),
GUNICORN_THREADS per worker (4), GUNICORN_TIMEOUT seconds (60).
"""
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8050')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# torch does not survive a fork after it has started its thread pools: no preload, each
# worker imports the app (and torch) itself. The app caps torch/BLAS at one thread.
preload_app = False
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = "-"
errorlog = "-"
control_socket_disable = True  # gunicorn ≥ 25.1 would otherwise open $HOME/.gunicorn/


def post_worker_init(worker):
    """Warm the worker once: Dash 4.4.1 can answer the first concurrent burst on a fresh
    worker with HTTP 500 (KeyError on a callback id, dash issue #3971) until its first
    request has set up the page router."""
    worker.wsgi.test_client().get("/")
