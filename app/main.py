"""The GradLab Dash app: every page, the shell, the server's hardening. `app.server` (the Flask
app, built here on first use: see app/__init__.py) is what gunicorn serves."""
import logging
import os
from pathlib import Path

import dash
import torch
from dash import Dash, html

import components.theme  # noqa: F401  registers the plotly template
from app import settings
from components.layout import navbar

torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


dash_app = Dash(
    "app",  # the package: Dash finds pages/ and names the page modules app.pages.* from it
    use_pages=True,
    pages_folder="pages",
    assets_folder=str(ROOT / "assets"),
    title="GradLab",
    update_title=None,
    serve_locally=True,
    **({"requests_pathname_prefix": settings.URL_PREFIX, "routes_pathname_prefix": "/"}
       if settings.PROXY_STRIPS_PREFIX else {"url_base_pathname": settings.URL_PREFIX}),
)
# WCAG 3.1.1: the page's language, for screen readers' pronunciation
dash_app.index_string = dash_app.index_string.replace("<html>", '<html lang="en">', 1)
# The page's one live region: assets/gradlab.js copies the figures' text alternatives into it
# once the figures have settled (a drag would otherwise be read out step by step).
dash_app.layout = lambda: html.Div([
    navbar(), html.Main(dash.page_container, id="content", tabIndex="-1"),
    html.Div(id="figure-announcer", className="sr-only", **{"aria-live": "polite"})])
server = dash_app.server
if settings.SECRET_KEY:
    server.secret_key = settings.SECRET_KEY

# Debug is impossible, whatever the environment says. Dash reads DASH_UI, DASH_HOT_RELOAD,
# DASH_PROPS_CHECK, ... when the app is created (so even under gunicorn) and DASH_DEBUG in
# run(); Flask reads FLASK_DEBUG. Every switch is set off explicitly here and, through the same
# dict, in `python -m app`; debug=False registers none of Dash's traceback pages.
DEV_TOOLS_OFF = {
    "debug": False, "dev_tools_ui": False, "dev_tools_props_check": False,
    "dev_tools_serve_dev_bundles": False, "dev_tools_hot_reload": False,
    "dev_tools_silence_routes_logging": False, "dev_tools_disable_version_check": True,
    "dev_tools_prune_errors": False, "dev_tools_validate_callbacks": False,
}
dash_app.enable_dev_tools(**DEV_TOOLS_OFF)
server.debug = False
# No callback request is anywhere near this (the largest, a histogram pick, is ~20 KB):
# larger bodies are refused with 413 before they are read.
server.config["MAX_CONTENT_LENGTH"] = 1 << 20


def _not_found():
    from flask import abort
    abort(404)


# Hot reload's polling route is a development tool: not served (it would answer even with
# hot reload off, listing the component packages).
server.view_functions[dash_app.config.routes_pathname_prefix + "_reload-hash"] = _not_found


from app import figure_tools  # noqa: E402,F401  the figures' CSV download
from app.pages.train import routes as _train_routes  # noqa: E402  (the page exists by now)

_train_routes.register(server, dash_app.config.routes_pathname_prefix,
                       dash_app.config.requests_pathname_prefix)
from app.live import routes as _live_routes  # noqa: E402  live sessions: lead and followers

_live_routes.register(server, dash_app.config.routes_pathname_prefix,
                      dash_app.config.requests_pathname_prefix)
from app import code_route as _code_route  # noqa: E402  GET code/<page>.py: the PyTorch script

_code_route.register(server, dash_app.config.routes_pathname_prefix)


@server.route(dash_app.config.routes_pathname_prefix + "healthz")
def healthz():
    """Liveness for Docker's HEALTHCHECK and load balancers: cheap, no engine work. Also this
    worker's result-cache counters (hits, waits on a computation in flight, misses...)."""
    from app.cache import RESULTS
    return {"status": "ok", "cache": {**RESULTS.stats, "entries": len(RESULTS),
                                      "size": RESULTS.size}}


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
    from dash.exceptions import DependencyException
    from werkzeug.exceptions import HTTPException
    if isinstance(error, HTTPException):
        return error
    if isinstance(error, DependencyException):  # /_dash-component-suites/<unknown file>
        return {"error": "not found"}, 404
    log.exception("request failed")
    return {"error": "bad request: the server could not process this input"}, 400
