"""The GradLab web app. `app.server` is the WSGI object gunicorn serves (`gunicorn app:server`).

Importing `app` is cheap: the Dash app (every page, torch, plotly) is built in app/main.py the
first time `app.server` or `app.dash_app` is asked for. So a training run's process
(`python -m app.runs.worker`) and a Celery worker (`celery -A app.runs.celery_app worker`)
import what they need of `app` without building a web app they do not serve.
"""
import os

# Each request is small numerics on one core; threaded BLAS/torch on a shared 2-core machine
# only makes requests fight (measured 2–40× slower). Set before numpy or torch load.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

_BUILT = ("server", "dash_app", "DEV_TOOLS_OFF")


def __getattr__(name):
    if name in _BUILT:
        from app import main
        return getattr(main, name)
    raise AttributeError(f"module 'app' has no attribute {name!r}")
