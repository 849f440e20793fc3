"""Training runs under the real server (gunicorn -c gunicorn.conf.py app:server, as the image
runs it): the master owns the run pool, so a worker restart touches no run, and SIGTERM ends
every run — no training process outlives the server."""
import signal
import time

import psutil
import pytest

from tests.train_tab import Tab

LONG = {"kind": "ff", "depth": 3, "width": 8, "steps": 5000, "batch": 16}


def descendants(pid: int) -> dict[int, str]:
    """pid → command line of every process below `pid`."""
    out = {}
    for child in psutil.Process(pid).children(recursive=True):
        try:
            out[child.pid] = " ".join(child.cmdline())
        except psutil.Error:
            pass
    return out


def runs_of(procs: dict[int, str]) -> list[int]:
    return [pid for pid, cmd in procs.items() if "app.runs.worker" in cmd]


def alive(pids) -> list[int]:
    return [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]


@pytest.fixture(scope="module")
def server(start_server):
    return start_server("runs", GRADLAB_TRUSTED_PROXIES=1, GRADLAB_MAX_RUNS=2) \
        .wait_log(r"GradLab warm-up: GET / -> 200", 2).wait_healthy()


def test_a_worker_restart_touches_no_run(server):
    tab = Tab(server.url, {**LONG, "seed": 1}, address="10.3.0.1")
    tab.start()
    tab.until(lambda t: t.ref and t.ref["version"] > 0, 90, "the run streams")
    procs = descendants(server.proc.pid)
    (run,) = runs_of(procs)
    workers = [pid for pid, cmd in procs.items() if "gunicorn" in cmd and pid != server.proc.pid]
    for pid in workers:  # every web worker dies; the master forks new ones
        psutil.Process(pid).send_signal(signal.SIGKILL)
    server.wait_log(r"GradLab warm-up: GET / -> 200", 2 + len(workers))
    before = tab.poll()["train-progress"]["value"]
    tab.until(lambda t: t.out["train-progress"]["value"] > before + 50, 60, "the run goes on")
    assert alive([run]) == [run]  # the same process, still training


def test_sigterm_ends_every_run_and_no_training_process_outlives_the_server(server):
    tabs = [Tab(server.url, {**LONG, "seed": s}, address=f"10.4.0.{s}") for s in (2, 3, 4)]
    for tab in tabs:
        tab.start()
    deadline = time.monotonic() + 90
    while len(runs_of(descendants(server.proc.pid))) < 2:  # two run, the third waits
        assert time.monotonic() < deadline, "the pool never filled"
        for tab in tabs:
            tab.poll()
        time.sleep(0.5)
    assert tabs[2].poll() and tabs[2].progress().startswith("Queued")
    procs = descendants(server.proc.pid)
    pool = [pid for pid, cmd in procs.items() if "app.runs" in cmd]
    assert len(pool) == 3  # the supervisor and its two runs
    server.terminate()
    server.proc.wait(30)
    time.sleep(10)  # the measure: nothing left ten seconds later
    assert alive(pool) == []
    assert alive(procs) == []  # no worker, no run, no pool: nothing of the server
