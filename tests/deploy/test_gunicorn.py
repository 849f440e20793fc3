"""The production server: the Docker image's CMD run here (Docker itself need not be), and the
Dockerfile checked against it so the two cannot drift apart.

Three servers start together at the beginning of the module (their startups overlap):
  * `server`: the image's configuration (2 workers, default settings);
  * `cold`: the same with GRADLAB_FRAME_ANCESTORS restricted and every debug switch Dash and
    Flask read from the environment turned on (they must change nothing); its first requests
    are one burst of 32 simultaneous callback POSTs at workers that have answered nothing yet;
  * `dev`: `python -m app`, the development entry point, with the same debug switches (debug
    must be off there too, and its Server header names no versions).
"""
import http.client
import json
import re
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.dash_client import ids, payload, router_body
from tests.deploy.conftest import (
    GUNICORN_ARGS,
    ROOT,
    clean_env,
    dockerfile_stages,
    final_stage,
    free_port,
    healthcheck_command,
    instruction_args,
    is_dash_index,
    page_paths,
    page_refs,
    plain_callbacks,
    post_json,
)

RESTRICTED = "'self' https://course.example"
# what would turn debug or Dash's dev tools on if the app listened to the environment
DEBUG_SWITCHES = {"DASH_DEBUG": "true", "DASH_UI": "true", "DASH_PROPS_CHECK": "true",
                  "DASH_HOT_RELOAD": "true", "DASH_SERVE_DEV_BUNDLES": "true",
                  "DASH_VALIDATE_CALLBACKS": "true", "DASH_PRUNE_ERRORS": "true",
                  "FLASK_DEBUG": "1"}
WARMED = r"GradLab warm-up: GET / -> 200"
BURST = 32


@pytest.fixture(scope="module")
def servers(start_server):
    started = {
        "server": start_server("gunicorn"),
        "cold": start_server("gunicorn-cold", GRADLAB_FRAME_ANCESTORS=RESTRICTED,
                             **DEBUG_SWITCHES),
        "dev": start_server("python-m-app", [sys.executable, "-m", "app"], **DEBUG_SWITCHES),
    }
    started["server"].wait_healthy()
    return started


@pytest.fixture(scope="module")
def server(servers):
    return servers["server"]


@pytest.fixture(scope="module")
def deps(server):
    response = requests.get(server.url + "/_dash-dependencies", timeout=30)
    assert response.status_code == 200
    return response.json()


@pytest.fixture(scope="module")
def cold(servers, server, deps):
    """The cold server and the answers to its first requests: one burst of BURST callback
    POSTs (page renders and figure callbacks known to answer 200 on the warm server), sent at
    the same instant on connections opened beforehand, once both workers have booted."""
    cold = servers["cold"].wait_listening()
    try:  # booted = warmed; without the warm-up hook there is no log line: burst anyway
        cold.wait_log(WARMED, 2, timeout=60)
    except TimeoutError:
        pass
    bodies = [router_body(p) for p in ("/chain", "/rnn", "/tour", "/")]
    bodies += [payload(spec) for spec in plain_callbacks(deps)]
    bodies = [b for b in bodies
              if post_json(server.url + "/_dash-update-component", b).status_code == 200]
    assert len(bodies) >= 6
    barrier = threading.Barrier(BURST)

    def one(i):
        # connect first (no request: a request of any kind would run Dash's setup), then all
        # threads send at once
        connection = http.client.HTTPConnection("127.0.0.1", cold.port, timeout=60)
        try:
            connection.connect()
            barrier.wait(timeout=60)
            connection.request("POST", "/_dash-update-component",
                               json.dumps(bodies[i % len(bodies)]),
                               {"Content-Type": "application/json"})
            response = connection.getresponse()
            return response.status, response.read()[:300]
        finally:
            connection.close()

    with ThreadPoolExecutor(BURST) as pool:
        answers = list(pool.map(one, range(BURST)))
    return cold, answers


# --- the server answers ---------------------------------------------------------------------

def test_healthz(server):
    response = requests.get(server.url + "/healthz", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    health = response.json()
    assert health["status"] == "ok"
    assert set(health["cache"]) >= {"hits", "waits", "misses", "entries", "size"}
    assert health["cache"]["size"] == 256  # GRADLAB_CACHE_SIZE's default


def test_every_page_serves_the_dash_index(server):
    bad = {}
    for path in page_paths():
        response = requests.get(server.url + path, timeout=30)
        if not is_dash_index(response):
            bad[path] = response.status_code
    assert not bad


def test_every_page_renders_through_the_router(server):
    """What the browser asks next: the page router's callback renders each page's layout."""
    for path in page_paths():
        pathname, _, search = path.partition("?")
        response = post_json(server.url + "/_dash-update-component",
                             router_body(pathname, "?" + search if search else ""))
        assert response.status_code == 200, (path, response.text[:300])
        content = response.json()["response"]["_pages_content"]["children"]
        assert "There is no figure called" not in json.dumps(content), path
        assert "404 - Page not found" not in json.dumps(content), path
    chain = post_json(server.url + "/_dash-update-component", router_body("/chain")).json()
    assert "chain-gradients" in ids(chain)


def test_scripts_styles_and_lazy_bundles_are_served_locally(server):
    html = requests.get(server.url + "/chain", timeout=30).text
    urls, _ = page_refs(html)
    assert any("dash_renderer" in u for u in urls) and any("dash_core_components" in u for u in urls)
    assert any(u.startswith("/assets/style.css") for u in urls)
    assert any(u.startswith("/assets/gradlab.js") for u in urls)
    remote = [u for u in urls if not u.startswith("/") or u.startswith("//")]
    assert not remote, "served from elsewhere (no internet in a lecture hall)"
    # dcc loads these on demand (plotly.js with the first graph, MathJax with the equations)
    lazy = ["/_dash-component-suites/plotly/package_data/plotly.min.js",
            "/_dash-component-suites/dash/dcc/async-graph.js",
            "/_dash-component-suites/dash/dcc/async-markdown.js",
            "/_dash-component-suites/dash/dcc/async-mathjax.js",
            "/_dash-component-suites/dash/dcc/async-slider.js",
            "/_dash-component-suites/dash/dcc/async-dropdown.js"]
    for url in [*urls, "/assets/style.css", "/assets/gradlab.js", *lazy]:
        response = requests.get(server.url + url, timeout=60)
        assert response.status_code == 200, url
        assert len(response.content) > 100, url


def test_every_callback_answers_empty_inputs_without_a_server_error(server, deps):
    checked = 0
    for spec in plain_callbacks(deps):
        response = post_json(server.url + "/_dash-update-component", payload(spec))
        assert response.status_code in (200, 204) or 400 <= response.status_code < 500, \
            (spec["output"], response.status_code)
        assert "Traceback" not in response.text
        checked += 1
    assert checked >= 6


def test_a_burst_at_fresh_workers_is_answered_correctly(cold):
    """Dash issue #3971: without the warm-up in gunicorn.conf.py a concurrent first burst can
    hit an unregistered callback id (the app's error handler turns that KeyError into a 400,
    Dash's own into a 500). Every request here answers 200 on a warm worker."""
    _, answers = cold
    assert [a for a in answers if a[0] != 200] == []


def test_every_worker_is_warmed_at_boot(cold):
    server, _ = cold
    log = server.log()
    assert len(re.findall(WARMED, log)) == 2, log[-3000:]
    assert "warm-up failed" not in log


# --- headers --------------------------------------------------------------------------------

def _sample_responses(base: str, deps_first: dict | None = None) -> list[requests.Response]:
    out = [requests.get(base + path, timeout=30)
           for path in ("/", "/chain", "/healthz", "/assets/style.css", "/_dash-layout")]
    if deps_first:
        out.append(post_json(base + "/_dash-update-component", payload(deps_first)))
    return out


def test_security_headers(server, deps):
    for response in _sample_responses(server.url, plain_callbacks(deps)[0]):
        where = response.url
        assert response.headers.get("X-Content-Type-Options") == "nosniff", where
        assert response.headers.get("Referrer-Policy"), where
        assert response.headers.get("Content-Security-Policy") == "frame-ancestors *", where
        assert "X-Frame-Options" not in response.headers, where  # /embed is meant to be framed


def test_server_header_names_no_version(server, servers):
    # gunicorn sends "gunicorn"; Werkzeug's development server would send
    # "Werkzeug/3.1.9 Python/3.11.7" (python -m app replaces it)
    for base in (server.url, servers["dev"].wait_healthy().url):
        for path in ("/healthz", "/", "/nope/nope", "/_reload-hash"):
            response = requests.get(base + path, timeout=30)
            banner = response.headers.get("Server", "")
            assert not re.search(r"\d|werkzeug|python", banner, re.IGNORECASE), (path, banner)


def test_frame_ancestors_follow_the_environment(cold):
    server, _ = cold
    for path in ("/", "/embed/chain-gradients", "/healthz"):
        response = requests.get(server.url + path, timeout=30)
        assert response.headers["Content-Security-Policy"] == f"frame-ancestors {RESTRICTED}"
        assert "X-Frame-Options" not in response.headers


# --- debug is off in production and in `python -m app` ---------------------------------------

def _assert_debug_off(base: str):
    scripts, config = page_refs(requests.get(base + "/", timeout=30).text)
    # Dash's dev tools (debug=True) turn these on: the error overlay UI, prop checks, reloads
    assert config["ui"] is False and config["props_check"] is False
    assert "hot_reload" not in config and config.get("validate_callbacks") is False
    assert not [s for s in scripts if ".dev.js" in s]  # production bundles
    assert requests.get(base + "/_reload-hash", timeout=30).status_code == 404
    body = {"output": "no-such-component.children", "outputs": {"id": "no-such-component",
            "property": "children"}, "inputs": [{"id": "nope", "property": "value", "value": 1}],
            "changedPropIds": ["nope.value"], "state": []}
    response = post_json(base + "/_dash-update-component", body)
    assert 400 <= response.status_code < 500
    text = response.text
    for marker in ("Traceback", "Werkzeug", "__debugger__", "<html", "KeyError"):
        assert marker not in text, marker
    assert "Server-Timing" not in response.headers  # Dash adds it with debug on
    # the Werkzeug debugger would answer this itself; here it is just the index page
    debugger = requests.get(base + "/?__debugger__=yes&cmd=resource&f=debugger.js", timeout=30)
    assert is_dash_index(debugger) and "Werkzeug" not in debugger.text


def test_debug_is_off_under_gunicorn(server):
    _assert_debug_off(server.url)


def test_debug_switches_in_the_environment_change_nothing_under_gunicorn(cold):
    server, _ = cold
    _assert_debug_off(server.url)


def test_debug_is_off_in_python_m_app(servers):
    dev = servers["dev"].wait_healthy()
    _assert_debug_off(dev.url)
    assert "Debug mode: on" not in dev.log() and "Debugger is active" not in dev.log()


# --- configuration ----------------------------------------------------------------------------

def test_config_generates_one_secret_for_all_workers_when_unset():
    """gunicorn.conf.py runs in the master before the fork: the secret it puts in the
    environment is inherited by every worker. An explicit secret is kept."""
    code = ("import os, runpy; runpy.run_path('gunicorn.conf.py'); "
            "print(os.environ['GRADLAB_SECRET_KEY'])")
    generated = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean_env(),
                               capture_output=True, text=True, check=True).stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", generated)
    kept = subprocess.run([sys.executable, "-c", code], cwd=ROOT,
                          env=clean_env(GRADLAB_SECRET_KEY="s3cret"),
                          capture_output=True, text=True, check=True).stdout.strip()
    assert kept == "s3cret"


def test_config_reads_port_workers_and_threads():
    code = ("import json, runpy; c = runpy.run_path('gunicorn.conf.py'); print(json.dumps("
            "{k: c[k] for k in ('bind', 'workers', 'threads', 'preload_app', "
            "'control_socket_disable')}))")
    run = lambda **env: json.loads(subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean_env(**env), capture_output=True,
        text=True, check=True).stdout)
    assert run() == {"bind": "0.0.0.0:8050", "workers": 2, "threads": 4, "preload_app": False,
                     "control_socket_disable": True}
    assert run(PORT=9999, WEB_CONCURRENCY=3, GUNICORN_THREADS=2)["bind"] == "0.0.0.0:9999"


# --- the Dockerfile runs what these tests run --------------------------------------------------

def test_dockerfile_cmd_is_the_command_the_tests_run():
    assert json.loads(instruction_args(final_stage(), "CMD")) == ["gunicorn", *GUNICORN_ARGS]
    assert "ENTRYPOINT" not in {ins for ins, _ in final_stage()}


def test_dockerfile_healthcheck_probes_healthz(server):
    command = healthcheck_command()
    assert command[0] == "python" and "healthz" in " ".join(command)
    # run it here, against the server, as Docker would inside the container (WORKDIR = repo)
    ok = subprocess.run([sys.executable, *command[1:]], check=False, cwd=ROOT, capture_output=True,
                        env=clean_env(PORT=server.port), timeout=30)
    assert ok.returncode == 0, ok.stderr
    down = subprocess.run([sys.executable, *command[1:]], check=False, cwd=ROOT, capture_output=True,
                          env=clean_env(PORT=free_port()), timeout=30)
    assert down.returncode != 0


def test_dockerfile_runs_as_a_user_that_is_not_root():
    user = instruction_args(final_stage(), "USER").split(":")[0]
    assert user not in ("root", "0", "")


def test_dockerfile_installs_cpu_torch_in_a_build_stage():
    stages = dockerfile_stages()
    assert len(stages) >= 2, "a build stage and a slim run stage"
    build, final = stages[0], stages[-1]
    for stage in stages:
        assert instruction_args(stage, "FROM").split()[0] == "python:3.11-slim"
    index = re.search(r"TORCH_INDEX_URL=(\S+)", instruction_args(build, "ARG")).group(1)
    assert index.startswith("https://download.pytorch.org/whl/cpu")
    install = " ".join(args for ins, args in build if ins == "RUN")
    assert re.search(r'pip install --(extra-)?index-url "?\$\{?TORCH_INDEX_URL', install)
    assert "-r /tmp/requirements.txt" in install or "-r requirements.txt" in install
    # the run stage copies the finished environment: no pip, compilers or apt there
    final_run = " ".join(args for ins, args in final if ins == "RUN")
    assert "pip install" not in final_run and "apt-get" not in final_run
    assert any(ins == "COPY" and args.startswith("--from=") for ins, args in final)
    env = " ".join(args for ins, args in final if ins == "ENV")
    assert "GRADLAB_CACHE_DIR=/tmp/" in env and "PORT=8050" in env
    assert "gunicorn==" in (ROOT / "requirements.txt").read_text()


def test_dockerfile_copies_what_the_app_imports_and_dockerignore_keeps_the_rest_out():
    copied = {args.split()[0].rstrip("/") for ins, args in final_stage()
              if ins == "COPY" and not args.startswith("--from=")}
    assert {"app", "components", "engine", "assets", "gunicorn.conf.py"} <= copied
    local = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    imported = {m for d in ("app", "components", "engine") for f in (ROOT / d).rglob("*.py")
                for m in re.findall(r"^\s*(?:from|import)\s+(\w+)", f.read_text(), re.MULTILINE)}
    assert imported & local <= copied, "a package the app imports that the image would miss"
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".git", "tests", "bench", "docs", ".venv", "venv"} <= ignored
    assert not ignored & {"app", "components", "engine", "assets", "gunicorn.conf.py",
                          "requirements.txt", "*.md", "**/*.md"}


def test_readme_documents_the_same_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "gunicorn " + " ".join(GUNICORN_ARGS) in readme

