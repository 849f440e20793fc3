"""Run GradLab the way the Docker image does, in subprocesses, and talk to it over HTTP.

Docker itself may not be available where the tests run, so the tests start the image's CMD
(`gunicorn -c gunicorn.conf.py app:server`, from the repository root, configured through the
environment only) and test_gunicorn.py checks that the Dockerfile still runs exactly that.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]

# The Dockerfile's CMD is ["gunicorn", *GUNICORN_ARGS] (asserted in test_gunicorn.py).
GUNICORN_ARGS = ["-c", "gunicorn.conf.py", "app:server"]
START_TIMEOUT = 90  # seconds; a worker imports torch, dash and every page (shared 2-core box)


def gunicorn_command() -> list[str]:
    """`gunicorn ...` from the environment the tests run in (the image has it on PATH)."""
    exe = Path(sys.executable).with_name("gunicorn")
    if exe.exists():
        return [str(exe), *GUNICORN_ARGS]
    return [sys.executable, "-m", "gunicorn", *GUNICORN_ARGS]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**overrides) -> dict:
    """The test process's environment without any GradLab/gunicorn settings, plus overrides."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GRADLAB_", "GUNICORN_", "DASH_"))
           and k not in ("PORT", "HOST", "WEB_CONCURRENCY")}
    env.update({k: str(v) for k, v in overrides.items()})
    return env


class Server:
    """A server subprocess: started in its own process group, log in a file, always stopped."""

    def __init__(self, command: list[str], env: dict, log_path: Path, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115  closed in stop()
        self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def _check_alive(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()[-4000:]}")

    def wait_listening(self, timeout: float = START_TIMEOUT):
        """Until the port accepts connections (gunicorn's master binds before forking workers):
        no HTTP request reaches a worker, so the workers stay exactly as fresh as they boot."""
        deadline = time.monotonic() + timeout
        while True:
            self._check_alive()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"nothing listening on {self.port}:\n{self.log()[-4000:]}")
                time.sleep(0.05)

    def wait_log(self, pattern: str, count: int, timeout: float = START_TIMEOUT):
        """Until the log holds `count` matches of `pattern` (no HTTP request is sent)."""
        deadline = time.monotonic() + timeout
        while len(re.findall(pattern, self.log())) < count:
            self._check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError(f"{count}× {pattern!r} not logged:\n{self.log()[-4000:]}")
            time.sleep(0.1)
        return self

    def wait_healthy(self, path: str = "/healthz", timeout: float = START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            self._check_alive()
            try:
                if requests.get(self.url + path, timeout=5).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{path} never answered 200:\n{self.log()[-4000:]}")
            time.sleep(0.2)

    def terminate(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # gunicorn: graceful shutdown of the workers

    def stop(self):
        self.terminate()
        if self.proc.poll() is None:
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # our own process group only
                self.proc.wait(10)
        self._log.close()


@pytest.fixture(scope="module")
def start_server(tmp_path_factory):
    """start_server(name, command=None, **env) → a started (not yet ready) Server.

    The environment is the image's: PORT, HOST=127.0.0.1, WEB_CONCURRENCY=2 and a private
    GRADLAB_CACHE_DIR, overridable per server. Every server is stopped at the end of the
    module that started it, also when a test or the start itself failed."""
    servers = []

    def start(name: str, command: list[str] | None = None, **env) -> Server:
        port = free_port()
        base = tmp_path_factory.mktemp(name)
        environ = clean_env(PORT=port, HOST="127.0.0.1", WEB_CONCURRENCY=2,
                            GRADLAB_CACHE_DIR=base / "cache", **env)
        server = Server(command or gunicorn_command(), environ, base / "server.log", port)
        servers.append(server)
        return server

    yield start
    for server in servers:  # all at once, then wait for each
        server.terminate()
    for server in servers:
        server.stop()


# --- the Dockerfile, as data -----------------------------------------------------------------

def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """[(INSTRUCTION, arguments)] per build stage, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    text = re.sub(r"\\\n", " ", text)
    stages: list[list[tuple[str, str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, args = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((instruction, args.strip()))
    return stages


def final_stage() -> list[tuple[str, str]]:
    return dockerfile_stages()[-1]


def instruction_args(stage, instruction) -> str:
    found = [args for ins, args in stage if ins == instruction]
    assert found, f"no {instruction}"
    return found[-1]


def healthcheck_command() -> list[str]:
    args = instruction_args(final_stage(), "HEALTHCHECK")
    return json.loads(args[args.index("CMD") + 3:].strip())


# --- what a browser would do -----------------------------------------------------------------

class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.config = None
        self._config_text: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])
        if tag == "script" and attrs.get("id") == "_dash-config":
            self._config_text = []

    def handle_data(self, data):
        if self._config_text is not None:
            self._config_text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._config_text is not None:
            self.config = json.loads("".join(self._config_text))
            self._config_text = None


def page_refs(html: str) -> tuple[list[str], dict]:
    """The script/stylesheet URLs an index page loads, and its `_dash-config` JSON."""
    parser = _Refs()
    parser.feed(html)
    return parser.urls, parser.config


def page_paths() -> list[str]:
    """Every concrete page path in the page registry, plus a path-template page and a query."""
    import dash

    import app.main  # noqa: F401  registers the pages (the path is the same under every prefix)
    paths = [p["path"] for p in dash.page_registry.values() if not p.get("path_template")]
    return paths + ["/embed/chain-gradients", "/tour?step=2"]


def is_dash_index(response) -> bool:
    return (response.status_code == 200 and "text/html" in response.headers["Content-Type"]
            and 'id="react-entry-point"' in response.text and 'id="_dash-config"' in response.text)


def plain_callbacks(deps: list[dict]) -> list[dict]:
    """Server-side callbacks that answer in the request (no clientside, no background job,
    not the page router, which needs a real pathname: see router_body)."""
    return [d for d in deps if not d.get("clientside_function") and not d.get("background")
            and not d["inputs"][0]["id"].startswith("_pages")]


def links(tree) -> list[str]:
    """Every href/src value in a layout JSON tree."""
    found = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("href", "src") and isinstance(value, str):
                    found.append(value)
                else:
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return found


def post_json(url: str, body: dict, timeout: float = 60) -> requests.Response:
    return requests.post(url, data=json.dumps(body), timeout=timeout,
                         headers={"Content-Type": "application/json"})
