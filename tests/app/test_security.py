"""Security headers on every kind of response the app gives (pages, callbacks, assets, every
error), the configurable frame-ancestors, and debug and Dash's dev tools switched off for good.

Over real HTTP, under gunicorn and `python -m app` with every debug switch set in the
environment, tests/deploy/test_gunicorn.py checks the same and the Server header."""
import json
import re

import pytest

from app import dash_app, server, settings
from tests.dash_client import payload, router_body
from tests.deploy.conftest import page_refs

SHORT_BODY = 300


def _poll_body(client) -> dict:
    """The training page's poll from a tab that has no run: figures left as they are."""
    spec = next(d for d in client.get("/_dash-dependencies").get_json()
                if d["inputs"] and d["inputs"][0]["id"] == "train-start")
    return payload(spec, {"train-tab": "0" * 32}, changed="train-poll.n_intervals")


def _post(client, body, content_type="application/json"):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post("/_dash-update-component", data=data, content_type=content_type)


def every_kind_of_response(client) -> dict:
    """name → (response, expected status)."""
    scripts, _ = page_refs(client.get("/").get_data(as_text=True))
    suite = next(u for u in scripts if "/_dash-component-suites/" in u)
    unknown = {"output": "nope.children", "outputs": {"id": "nope", "property": "children"},
               "inputs": [{"id": "x", "property": "value", "value": 1}],
               "changedPropIds": ["x.value"], "state": []}
    return {
        "index": (client.get("/"), 200),
        "page with a bad query": (client.get("/chain?w=abc&n=1e999"), 200),
        "embed": (client.get("/embed/chain-gradients?controls=1"), 200),
        "asset": (client.get("/assets/style.css"), 200),
        "component bundle": (client.get(suite), 200),
        "favicon": (client.get("/_favicon.ico"), 200),
        "layout": (client.get("/_dash-layout"), 200),
        "dependencies": (client.get("/_dash-dependencies"), 200),
        "healthz": (client.get("/healthz"), 200),
        "callback 200": (_post(client, router_body("/chain", "?w=abc")), 200),
        "callback, figures left as they are": (_post(client, _poll_body(client)), 200),
        "callback error (unknown output)": (_post(client, unknown), 400),
        "not JSON": (_post(client, "{"), 400),
        "JSON, not an object": (_post(client, "[1]"), 400),
        "wrong content type": (_post(client, "{}", "text/plain"), 415),
        "too large": (_post(client, b"x" * (2 << 20)), 413),
        "missing bundle": (client.get("/_dash-component-suites/nope/nope.js"), 404),
        "hot reload route": (client.get("/_reload-hash"), 404),
        "method not allowed": (client.put("/healthz"), 405),
    }


@pytest.fixture(scope="module")
def responses(client):
    return every_kind_of_response(client)


def test_every_kind_of_response_has_its_expected_status(responses):
    assert {k: r.status_code for k, (r, _) in responses.items()} == \
        {k: status for k, (_, status) in responses.items()}


def test_every_response_carries_the_security_headers(responses):
    for name, (response, _) in responses.items():
        headers = response.headers
        assert headers.get("X-Content-Type-Options") == "nosniff", name
        assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", name
        assert headers.get("Content-Security-Policy") == "frame-ancestors *", name
        assert "X-Frame-Options" not in headers, name  # /embed is meant to be framed
        assert not re.search(r"\d", headers.get("Server", "")), name


def test_errors_are_short_and_reveal_nothing(responses):
    for name, (response, status) in responses.items():
        if status < 400:
            continue
        body = response.get_data(as_text=True)
        assert len(body) < SHORT_BODY, (name, body)
        for leak in ("Traceback", "File \"", ".py", "/work/", "site-packages", "Werkzeug",
                     "KeyError", "__debugger__"):
            assert leak not in body, (name, leak, body)


def test_frame_ancestors_follow_the_setting(client, monkeypatch):
    # settings are read once at import (GRADLAB_FRAME_ANCESTORS); the header uses the setting
    # on every response, so patching it stands in for another environment
    monkeypatch.setattr(settings, "FRAME_ANCESTORS", "'self' https://course.example")
    for url in ("/", "/embed/chain-gradients", "/healthz", "/assets/style.css",
                "/_reload-hash"):
        headers = client.get(url).headers
        assert headers["Content-Security-Policy"] == "frame-ancestors 'self' https://course.example"
        assert "X-Frame-Options" not in headers


def test_health_check_answers(client):
    response = client.get("/healthz")
    health = response.get_json()
    assert response.status_code == 200 and health["status"] == "ok"
    assert set(health["cache"]) == {"hits", "waits", "shared_hits", "misses", "shared_errors",
                                    "entries", "size"}


def test_debug_and_every_dev_tool_are_off(client):
    assert server.debug is False
    assert server.config["MAX_CONTENT_LENGTH"] <= 1 << 20
    scripts, config = page_refs(client.get("/").get_data(as_text=True))
    assert config["ui"] is False and config["props_check"] is False
    assert config.get("validate_callbacks") is False and "hot_reload" not in config
    assert not [s for s in scripts if ".dev.js" in s]  # production bundles only
    tools = dash_app._dev_tools
    assert not any(tools[k] for k in ("ui", "props_check", "serve_dev_bundles", "hot_reload",
                                      "prune_errors", "validate_callbacks")), tools
    # Dash's traceback page and timing headers are registered only by run(debug=True)
    assert "_wrap_errors" not in repr(server.error_handler_spec)
    assert not [f for f in server.after_request_funcs.get(None, []) if "timing" in repr(f)]


def test_the_development_entry_point_passes_every_switch_off(monkeypatch):
    """`python -m app` hands run() the same switches (DASH_DEBUG and friends are read by run()
    unless given), never reloads or debugs, ignores FLASK_DEBUG/.env and names no versions."""
    import app.__main__ as main

    calls = []
    monkeypatch.setattr(dash_app, "run", lambda **kwargs: calls.append(kwargs))
    monkeypatch.setattr("sys.argv", ["app", "--port", "8123"])
    monkeypatch.delenv("HOST", raising=False)
    main.main()
    (kwargs,) = calls
    assert kwargs["port"] == 8123 and kwargs["host"] == "127.0.0.1"
    assert kwargs["debug"] is False
    assert all(kwargs[k] is False for k in kwargs if k.startswith("dev_tools_")
               and k != "dev_tools_disable_version_check")
    assert kwargs["use_reloader"] is False and kwargs["use_debugger"] is False
    assert kwargs["load_dotenv"] is False
    handler = kwargs["request_handler"]
    assert handler.version_string(object.__new__(handler)) == "GradLab"
