"""The GradLab Dash app. `app.server` is the WSGI object gunicorn serves (`gunicorn app:server`)."""
import os

# Each request is small numerics on one core; threaded BLAS/torch on a shared 2-core machine
# only makes requests fight (measured 2–40× slower). Set before numpy or torch load.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import logging  # noqa: E402
from pathlib import Path

import dash  # noqa: E402
import torch  # noqa: E402
from dash import Dash, html  # noqa: E402

import components.theme  # noqa: E402,F401  registers the plotly template
from app import settings  # noqa: E402
from components.layout import navbar  # noqa: E402

torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


def _background_manager():
    """Where training runs execute: a process per run with a disk cache on one machine,
    or Celery workers (started with `celery -A app.celery_app worker`) across machines."""
    if settings.CELERY_BROKER:
        from celery import Celery
        global celery_app
        celery_app = Celery(__name__, broker=settings.CELERY_BROKER,
                            backend=settings.CELERY_BACKEND)
        return dash.CeleryManager(celery_app)
    import diskcache
    return dash.DiskcacheManager(diskcache.Cache(settings.CACHE_DIR))


celery_app = None

dash_app = Dash(
    __name__,
    use_pages=True,
    pages_folder="pages",
    assets_folder=str(ROOT / "assets"),
    title="GradLab",
    update_title=None,
    serve_locally=True,
    background_callback_manager=_background_manager(),
    **({"requests_pathname_prefix": settings.URL_PREFIX, "routes_pathname_prefix": "/"}
       if settings.PROXY_STRIPS_PREFIX else {"url_base_pathname": settings.URL_PREFIX}),
)
dash_app.layout = lambda: html.Div([navbar(), html.Main(dash.page_container)])
server = dash_app.server
if settings.SECRET_KEY:
    server.secret_key = settings.SECRET_KEY


@server.route(dash_app.config.routes_pathname_prefix + "healthz")
def healthz():
    """Liveness for Docker's HEALTHCHECK and load balancers: cheap, no engine work."""
    return {"status": "ok"}


@server.after_request
def _security_headers(response):
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    # Framing is the point of /embed: allowed by default, restricted by configuration.
    response.headers["Content-Security-Policy"] = f"frame-ancestors {settings.FRAME_ANCESTORS}"
    return response


@server.errorhandler(Exception)
def _short_error(error):
    """A malformed request gets a short 400, never a traceback (the log keeps the details)."""
    from werkzeug.exceptions import HTTPException
    if isinstance(error, HTTPException):
        return error
    log.exception("request failed")
    return {"error": "bad request: the server could not process this input"}, 400
