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
from components.layout import navbar  # noqa: E402

torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)

dash_app = Dash(
    __name__,
    use_pages=True,
    pages_folder="pages",
    assets_folder=str(ROOT / "assets"),
    title="GradLab",
    update_title=None,
    serve_locally=True,
)
dash_app.layout = lambda: html.Div([navbar(), html.Main(dash.page_container)])
server = dash_app.server


@server.errorhandler(Exception)
def _short_error(error):
    """A malformed request gets a short 400, never a traceback (the log keeps the details)."""
    from werkzeug.exceptions import HTTPException
    if isinstance(error, HTTPException):
        return error
    log.exception("request failed")
    return {"error": "bad request: the server could not process this input"}, 400
