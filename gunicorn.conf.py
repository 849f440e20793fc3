"""gunicorn configuration: `gunicorn -c gunicorn.conf.py app:server` (the Docker image's CMD).

Environment: PORT (8050), HOST (0.0.0.0), WEB_CONCURRENCY workers (2: one per core of the
2-core machine GradLab is sized for), GUNICORN_THREADS per worker (4), GUNICORN_TIMEOUT seconds
(60), and the app's own GRADLAB_* settings (see app/settings.py and the README).

GRADLAB_SECRET_KEY: Flask's secret, the same for every worker. When the variable is unset,
this file — which runs once, in the gunicorn master, before any worker is forked — sets it to a
random value, so all workers of this server share it (it changes when the server restarts).

Training runs: the master starts this machine's run pool (app/runs/supervisor.py) when it is
ready and stops it, with every run process, when it exits — so a worker restart touches no
run, and no training process outlives the server. With GRADLAB_CELERY_BROKER set, runs go to
Celery workers instead and no local pool is started.
"""
import os
import secrets

os.environ.setdefault("GRADLAB_SECRET_KEY", secrets.token_hex(32))

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


_POOL = []


def when_ready(server):
    """The local run pool, a child of the master (not of a worker, which may be replaced)."""
    if os.environ.get("GRADLAB_CELERY_BROKER"):
        return
    from app.runs import supervisor
    _POOL.append(supervisor.start())
    server.log.info("GradLab run pool: pid %s", _POOL[-1].pid)


def on_exit(server):
    """SIGTERM (or SIGINT, SIGQUIT) to the master: the workers have stopped; now the pool
    stops its runs (SIGTERM, then SIGKILL after a few seconds) and exits."""
    if not _POOL:
        return
    from app.runs import supervisor
    for proc in _POOL:
        supervisor.stop(proc)
    server.log.info("GradLab run pool stopped")


def post_worker_init(worker):
    """Warm the worker once, before it accepts connections: Dash 4.4.1 sets its "set up"
    flags before it has registered the callbacks, so a burst of concurrent first requests on a
    fresh worker can hit a callback id that is not registered yet (KeyError, dash issue #3971).
    One request through the Flask test client (`worker.wsgi` is the loaded `app:server`) runs
    that setup while nothing else is running. The log line is checked by tests/deploy."""
    from app import dash_app  # already built: loading app:server did it

    path = dash_app.config.routes_pathname_prefix  # "/" or the URL prefix the proxy keeps
    try:
        status = worker.wsgi.test_client().get(path).status_code
    except Exception:  # a failed warm-up must not stop the worker from serving
        worker.log.exception("GradLab warm-up failed (pid %s)", worker.pid)
        return
    worker.log.info("GradLab warm-up: GET %s -> %s (pid %s)", path, status, worker.pid)
