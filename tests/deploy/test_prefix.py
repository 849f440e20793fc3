"""GradLab behind a reverse proxy at a path prefix, configured through the environment only.

Two gunicorn servers (the image's command), started together:
  * keep:  GRADLAB_URL_PREFIX=/gradlab/ — the proxy passes /gradlab/... through unchanged;
  * strip: the same with GRADLAB_PROXY_STRIPS_PREFIX=1 — the proxy removes /gradlab, so the
    app routes at / while every URL it hands the browser starts with /gradlab/.
In both, the browser's address is /gradlab/<page>: every link and resource must carry it.
"""
import json
import re
import subprocess
import sys
from dataclasses import dataclass

import pytest
import requests

from tests.dash_client import ids, payload, router_body
from tests.deploy.conftest import (
    ROOT,
    clean_env,
    healthcheck_command,
    is_dash_index,
    links,
    page_paths,
    page_refs,
    plain_callbacks,
    post_json,
)

PREFIX = "/gradlab/"
SETTINGS = {
    "keep": {"GRADLAB_URL_PREFIX": PREFIX},
    "strip": {"GRADLAB_URL_PREFIX": PREFIX, "GRADLAB_PROXY_STRIPS_PREFIX": "1"},
}


@dataclass
class Site:
    mode: str
    server: object
    routes: str  # where the app answers: "/gradlab/" (keep) or "/" (strip)

    def url(self, path: str) -> str:
        """The URL the request reaches the app at (after the proxy) for a browser path."""
        return self.server.url + self.routes + path.lstrip("/")

    def as_forwarded(self, browser_path: str) -> str:
        """A URL the browser requests (/gradlab/...), as the proxy forwards it to the app."""
        assert browser_path.startswith(PREFIX), browser_path
        return self.url(browser_path[len(PREFIX):])


@pytest.fixture(scope="module")
def started(start_server):
    return {mode: start_server(f"prefix-{mode}", **env) for mode, env in SETTINGS.items()}


@pytest.fixture(scope="module", params=list(SETTINGS))
def site(request, started):
    mode = request.param
    routes = "/" if mode == "strip" else PREFIX
    started[mode].wait_healthy(routes + "healthz")
    return Site(mode, started[mode], routes)


def unprefixed(href: str) -> bool:
    """An app-internal URL that would escape the prefix (external and fragment links are fine)."""
    if re.match(r"^([a-z]+:|#|\?|$)", href):
        return False
    return not href.startswith(PREFIX)


def test_healthz_at_the_routed_prefix_only(site):
    response = requests.get(site.url("healthz"), timeout=10)
    assert response.status_code == 200 and response.json()["status"] == "ok"
    # the other place is not the health check (keep: 404; strip: Dash's catch-all index page)
    other = requests.get(site.server.url + ("/healthz" if site.mode == "keep" else PREFIX + "healthz"),
                         timeout=10)
    assert other.status_code == 404 or "application/json" not in other.headers["Content-Type"]


def test_docker_healthcheck_follows_the_prefix_settings(site):
    command = healthcheck_command()
    done = subprocess.run([sys.executable, *command[1:]], check=False, cwd=ROOT, capture_output=True,
                          timeout=30, env=clean_env(PORT=site.server.port, **SETTINGS[site.mode]))
    assert done.returncode == 0, done.stderr


def test_every_page_serves_the_dash_index_with_the_prefix(site):
    for path in page_paths():
        response = requests.get(site.url(path), timeout=30)
        assert is_dash_index(response), (path, response.status_code)
        _, config = page_refs(response.text)
        assert config["requests_pathname_prefix"] == PREFIX, path


def test_scripts_and_styles_carry_the_prefix_and_are_served(site):
    urls, _ = page_refs(requests.get(site.url("chain"), timeout=30).text)
    assert urls
    assert [u for u in urls if not u.startswith(PREFIX)] == []
    assert any(u.startswith(PREFIX + "assets/gradlab.js") for u in urls)
    lazy = [PREFIX + "_dash-component-suites/plotly/package_data/plotly.min.js",
            PREFIX + "_dash-component-suites/dash/dcc/async-graph.js",
            PREFIX + "assets/style.css", PREFIX + "assets/gradlab.js"]
    for url in [*urls, *lazy]:
        response = requests.get(site.as_forwarded(url), timeout=60)
        assert response.status_code == 200, url


def test_layout_links_carry_the_prefix(site):
    response = requests.get(site.url("_dash-layout"), timeout=30)
    assert response.status_code == 200
    hrefs = links(response.json())
    assert len(hrefs) >= 5  # the navigation bar
    assert [h for h in hrefs if unprefixed(h)] == []
    assert PREFIX + "chain" in hrefs and PREFIX in hrefs


def test_every_page_renders_with_prefixed_links(site):
    """The router callback as the browser sends it (its address carries the prefix): every
    page renders, and no link or iframe in it points outside the prefix."""
    bad = {}
    for path in page_paths():
        pathname, _, search = path.partition("?")
        response = post_json(site.url("_dash-update-component"),
                             router_body(PREFIX + pathname.lstrip("/"),
                                         "?" + search if search else ""))
        assert response.status_code == 200, (path, response.text[:300])
        content = response.json()["response"]["_pages_content"]["children"]
        assert "404 - Page not found" not in json.dumps(content), path
        assert "There is no figure called" not in json.dumps(content), path
        if escaped := [h for h in links(content) if unprefixed(h)]:
            bad[path] = escaped
    assert bad == {}
    chain = post_json(site.url("_dash-update-component"), router_body(PREFIX + "chain")).json()
    assert "chain-gradients" in ids(chain)


def test_callbacks_answer_at_the_prefix(site):
    deps = requests.get(site.url("_dash-dependencies"), timeout=30)
    assert deps.status_code == 200
    answered = []
    for spec in plain_callbacks(deps.json()):
        response = post_json(site.url("_dash-update-component"), payload(spec))
        assert response.status_code in (200, 204), (spec["output"], response.text[:300])
        answered.append(response.status_code)
        if response.status_code == 200:  # links a callback puts on the page carry it too
            assert [h for h in links(response.json()) if unprefixed(h)] == [], spec["output"]
    assert answered.count(200) >= 5


def test_workers_warm_up_at_the_routed_prefix(site):
    pattern = rf"GradLab warm-up: GET {re.escape(site.routes)} -> 200"
    site.server.wait_log(pattern, 2, timeout=60)  # both workers (one may still be booting)
    assert "warm-up failed" not in site.server.log()
