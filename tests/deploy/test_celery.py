"""Runs on a real Celery worker (GRADLAB_CELERY_BROKER): the web server queues them in Redis,
the worker executes them; sharing, queue positions and Stop behave as with the local pool.

The worker is the project's own command, `celery -A app.runs.celery_app worker`: started by
.ci/test (which exports GRADLAB_TEST_CELERY_BROKER) or, without it, by this module."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from tests.deploy.conftest import ROOT, clean_env
from tests.train_tab import Tab, text

SMALL = {"kind": "ff", "depth": 3, "width": 8, "steps": 600, "batch": 16}
LONG = {"kind": "ff", "depth": 3, "width": 8, "steps": 5000, "batch": 16}


@pytest.fixture(scope="module")
def broker(redis_url, tmp_path_factory):
    """The broker URL a Celery worker serves: .ci/test's, or one started here."""
    url = os.environ.get("GRADLAB_TEST_CELERY_BROKER")
    if url:
        yield url
        return
    url = redis_url.rsplit("/", 1)[0] + "/5"
    log = tmp_path_factory.mktemp("celery") / "worker.log"
    celery = Path(sys.executable).with_name("celery")
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(celery), "-A", "app.runs.celery_app", "worker",
                                 "--concurrency", "2", "--loglevel", "INFO"], cwd=ROOT,
                                env=clean_env(GRADLAB_CELERY_BROKER=url), stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while b"ready." not in log.read_bytes():
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.fixture(scope="module")
def server(start_server, broker):
    redis.Redis.from_url(broker).flushdb()
    return start_server("celery", GRADLAB_CELERY_BROKER=broker, GRADLAB_TRUSTED_PROXIES=1) \
        .wait_log(r"GradLab warm-up: GET / -> 200", 2).wait_healthy()


def executions(broker) -> int:
    return int(redis.Redis.from_url(broker).get("gradlab:runs:executions") or 0)


def test_celery_runs_are_shared_and_a_stop_ends_only_the_last_viewer(server, broker):
    a, b = Tab(server.url, SMALL, address="10.5.0.1"), Tab(server.url, SMALL, address="10.5.0.2")
    a.start(), b.start()
    assert a.ref["id"] == b.ref["id"] and "joined a run another tab started" in b.info()
    a.until(lambda t: t.ref and t.ref["version"] > 0, 90, "the Celery worker streams the run")
    a.stop()
    assert "The run goes on for 1 other tab." in a.info()
    b.until(lambda t: not t.polling(), 90, "b's run ends")
    assert b.progress().startswith("Done: 600 of 600"), b.status()
    assert executions(broker) == 1
    late = Tab(server.url, SMALL, address="10.5.0.3")
    late.start()
    assert late.info().startswith("Replayed:") and executions(broker) == 1


def test_celery_runs_queue_behind_the_workers_concurrency_and_cancel(server, broker):
    tabs = [Tab(server.url, {**LONG, "seed": s}, address=f"10.6.0.{s}") for s in range(3)]
    for tab in tabs:
        tab.start()
    tabs[0].until(lambda t: "steps done" in t.progress(), 90, "the first run goes")
    tabs[2].poll()
    assert tabs[2].progress().startswith("Queued"), tabs[2].progress()
    for tab in tabs:
        tab.stop()
    r = redis.Redis.from_url(broker)
    deadline = time.monotonic() + 30
    while r.get("gradlab:runs:running") not in (b"[]", None):
        assert time.monotonic() < deadline, r.get("gradlab:runs:running")
        time.sleep(0.25)
    assert "cancelled" in text(tabs[0].status()).lower() or "cancelled" in tabs[0].info()
