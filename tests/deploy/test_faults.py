"""A worker dies in the middle of steady traffic: the users notice nothing and the master
replaces it.

The server is the image's command (`gunicorn -c gunicorn.conf.py app:server`, 2 workers of 4
threads). CLIENTS threads, each one browser tab on one keep-alive connection, release sliders
on /chain and /matrix back to back (a short pause between moves); a few seconds in, the
worker that holds the most of their connections gets SIGKILL, and traffic goes on until the
master's replacement has booted and warmed.

A failed request is counted the way the load runs count it (bench/load/browser.py, shared
with the locustfile): a browser replaces an idle keep-alive connection the server has closed
before reusing it, and resends a request once when its reused connection dies before any
response header arrived (Chromium's ShouldResendRequest, Firefox alike); Dash callbacks are
pure, so the resend repeats nothing. Those are exactly the requests the kill touches: the ones
waiting on or idling in the dead worker's connections. Everything else that goes wrong is a
failure, and fewer than 0.1 % may fail.
"""
import http.client
import json
import os
import re
import signal
import threading
import time
from itertools import cycle

import pytest
import requests

from bench.load.browser import Browser
from bench.load.proc import children, connections
from tests.dash_client import page_controls, payload

CLIENTS = 12
PAUSE = 0.02  # seconds between a tab's moves: steady traffic that leaves the CPUs some air
KILL_AFTER = 3.0  # seconds of traffic before the kill
AFTER_WARM = 2.0  # seconds of traffic once the replacement is warm
REPLACE_TIMEOUT = 25.0
WARMED = r"GradLab warm-up: GET / -> 200 \(pid (\d+)\)"

CHAIN = page_controls("/chain")
MATRIX = page_controls("/matrix", act="tanh")


@pytest.fixture(scope="module")
def server(start_server):
    return start_server("faults").wait_listening().wait_log(WARMED, 2).wait_healthy()


def slider_moves(base_url: str) -> list[bytes]:
    """Request bodies of slider releases on two pages, a few values each."""
    deps = requests.get(base_url + "/_dash-dependencies", timeout=30).json()

    def spec(first):
        return next(d for d in deps if d["inputs"] and d["inputs"][0]["id"] == first
                    and d["output"] and not d.get("clientside_function"))
    bodies = [payload(spec("chain-w"), {**CHAIN, "chain-w": w}, "chain-w")
              for w in (0.5, 0.9, 1.0, 1.1, 1.5)]
    bodies += [payload(spec("matrix-k"), {**MATRIX, "matrix-kappa": nn}, "matrix-kappa")
               for nn in (0.0, 1.0, 2.0)]
    return [json.dumps(b).encode() for b in bodies]


class Traffic:
    """CLIENTS tabs moving sliders until stopped; every outcome recorded."""

    def __init__(self, port: int, bodies: list[bytes]):
        self.port, self.bodies = port, bodies
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.ok = 0
        self.failed: list[str] = []
        self.browsers = [Browser("127.0.0.1", port, timeout=30) for _ in range(CLIENTS)]
        self.threads = [threading.Thread(target=self._tab, args=(b, i), daemon=True)
                        for i, b in enumerate(self.browsers)]

    def _tab(self, browser: Browser, offset: int):
        headers = {"Content-Type": "application/json", "Referer":
                   f"http://127.0.0.1:{self.port}/chain"}
        moves = cycle(self.bodies[offset % len(self.bodies):] + self.bodies)
        while not self.stop.is_set():
            try:
                response = browser.request("POST", "/_dash-update-component", next(moves),
                                           headers)
                outcome = None if response.status == 200 else f"HTTP {response.status}"
            except (OSError, http.client.HTTPException) as error:  # resets, timeouts, ...
                outcome = f"{type(error).__name__}: {error}"
            with self.lock:
                if outcome is None:
                    self.ok += 1
                else:
                    self.failed.append(outcome)
            time.sleep(PAUSE)
        browser.close()

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(40)

    def total(self) -> int:
        with self.lock:
            return self.ok + len(self.failed)

    def count(self, key: str) -> int:
        return sum(getattr(b, key) for b in self.browsers)


def test_a_killed_worker_costs_no_requests_and_is_replaced(server):
    master = server.proc.pid
    bodies = slider_moves(server.url)
    workers = children(master)
    assert len(workers) == 2

    with Traffic(server.port, bodies) as traffic:
        time.sleep(KILL_AFTER)
        held = connections(workers, server.port)
        victim = max(workers, key=held.get)
        assert held[victim] >= 1, held  # the kill hits live keep-alive connections
        before_kill = traffic.total()
        server_log_offset = len(server.log())
        traffic_start = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + REPLACE_TIMEOUT
        replacement = None
        while time.monotonic() < deadline:
            new = children(master) - workers
            warmed = {int(p) for p in re.findall(WARMED, server.log()[server_log_offset:])}
            if new and new <= warmed:
                replacement = min(new)
                break
            time.sleep(0.1)
        time.sleep(AFTER_WARM)
        during = time.monotonic() - traffic_start

    total, failed = traffic.total(), traffic.failed
    summary = (f"{total} requests ({before_kill} before the kill, {during:.1f} s after it), "
               f"{len(failed)} failed, {traffic.count('resent')} resent, "
               f"{traffic.count('stale')} closed idle connections replaced; "
               f"connections per worker at the kill {held}")
    print(summary)
    assert replacement is not None, f"no warm replacement within {REPLACE_TIMEOUT} s\n" + \
        server.log()[-3000:]
    assert f"Worker (pid:{victim}) was sent SIGKILL" in server.log()
    assert children(master) == (workers - {victim}) | {replacement}
    assert requests.get(server.url + "/healthz", timeout=10).status_code == 200
    assert total - before_kill >= 100, summary  # traffic went on through the replacement
    assert len(failed) < 0.001 * total, (summary, failed[:5])
    # the dead worker's connections were really in use: the browser rules had work to do
    assert traffic.count("resent") + traffic.count("stale") >= 1, summary
