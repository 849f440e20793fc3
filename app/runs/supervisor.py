"""The local pool: one supervisor per machine runs at most GRADLAB_MAX_RUNS training processes,
takes queued runs from the store oldest first, and ends the ones that die or overrun.

    python -m app.runs.supervisor

gunicorn's master starts it when it is ready and stops it when it exits (gunicorn.conf.py), so
a worker restart touches no run. Without gunicorn (`python -m app`, the tests) the first Start
starts one (`ensure_running`) as a child of that process. Either way it exits when its parent
does (it watches its parent's pid), and it takes its run processes with it: each is started
with PR_SET_PDEATHSIG, and a SIGTERM to the supervisor stops them first. No training process
outlives the server.

Run processes run under SCHED_IDLE (and at nice NICE where that policy is missing), so the web
workers take the CPU first: the kernel gives an idle-class process only time that no normal
process wants. A hall's runs then cost the pages' latency nothing from the CPU they use.
"""
from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import time

from app import settings
from app.runs import manager
from app.runs.store import now, shared_store

log = logging.getLogger("gradlab.runs")

NICE = 10
LOOP_S = 0.25        # how often the pool looks at its children and the queue
STALE_S = 5.0        # a supervisor that has not beaten for this long is gone
STOP_GRACE_S = 5.0   # SIGTERM, then SIGKILL after this long
PR_SET_PDEATHSIG = 1


def lower_priority() -> None:
    """This process takes only CPU time no other process wants (SCHED_IDLE; nice NICE where
    that policy is missing): what every training run's process does first."""
    os.nice(NICE)
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux
        pass


def _die_with_parent() -> None:
    """In a run process, before exec: lowest priority, and SIGKILL when the supervisor goes."""
    lower_priority()
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:  # not Linux: the supervisor's own shutdown still stops its children
        pass


class Pool:
    def __init__(self, store, host: str):
        self.store, self.host = store, host
        self.children: dict[str, tuple[subprocess.Popen, float]] = {}

    def alive(self, run: dict) -> bool:
        """Whether a running run's process is alive, as far as this machine can tell."""
        if run.get("host") != self.host:
            return True  # another machine's: its own supervisor (or the heartbeat) decides
        entry = self.children.get(run["id"])
        return entry is not None and entry[0].poll() is None

    def reap(self) -> None:
        for rid, (proc, _) in list(self.children.items()):
            code = proc.poll()
            if code is None:
                continue
            del self.children[rid]
            if code != 0:  # the run did not end itself: killed by a signal, or crashed
                how = (f"was killed ({signal.Signals(-code).name}, e.g. for lack of memory)"
                       if code < 0 else f"failed (exit status {code})")
                manager.finish(self.store, rid, "failed",
                               f"The training worker stopped unexpectedly: its process {how}.")

    def enforce_budgets(self) -> None:
        """The run checks its own budgets between steps; this catches one that cannot (a
        step that allocates without end, or never returns)."""
        import psutil
        for rid, (proc, started) in list(self.children.items()):
            try:
                rss = psutil.Process(proc.pid).memory_info().rss / 2**20
            except psutil.Error:
                continue
            over = None
            if rss > 1.25 * settings.RUN_MEMORY_MB:
                over = f"Ended: the run exceeded its memory budget of {settings.RUN_MEMORY_MB} MB."
            elif time.monotonic() - started > settings.RUN_TIME_LIMIT_S + 30:
                over = (f"Ended: the run exceeded its time budget of "
                        f"{settings.RUN_TIME_LIMIT_S} s.")
            if over:
                proc.kill()
                proc.wait()
                del self.children[rid]
                manager.finish(self.store, rid, "failed", over)

    def fill(self) -> None:
        """Start the oldest queued runs while the pool has room."""
        while len(self.children) < settings.MAX_RUNS:
            queue = self.store.get("queue") or []
            rid = next((r for r in queue if r not in self.children), None)
            if rid is None:
                return
            proc = subprocess.Popen([sys.executable, "-m", "app.runs.worker", rid],
                                    stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
            # until the process claims it (a second or two: it imports torch), the run is
            # still in the queue; being among the children keeps it from starting twice
            self.children[rid] = (proc, time.monotonic())

    def stop(self) -> None:
        for proc, _ in self.children.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for rid, (proc, _) in self.children.items():
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            manager.finish(self.store, rid, "cancelled", "Cancelled: the server shut down.")
        self.children.clear()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [runs] %(message)s")
    store, host, me, parent = shared_store(), socket.gethostname(), os.getpid(), os.getppid()
    key = f"supervisor:{host}"
    with store.lock():
        info = store.get(key)
        if info and info["pid"] != me and now() - info["beat"] < STALE_S and _alive(info["pid"]):
            return 0  # this machine has one already
        store.set(key, {"pid": me, "beat": now()})
    stopping = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.append(True))
    pool = Pool(store, host)
    log.info("run pool started (pid %s, at most %s runs, store %s)", me, settings.MAX_RUNS,
             store.where)
    try:
        while not stopping and os.getppid() == parent:
            store.set(key, {"pid": me, "beat": now()}, expire=STALE_S * 4)
            pool.reap()
            pool.enforce_budgets()
            manager.tidy(store, alive=pool.alive)
            pool.fill()
            time.sleep(LOOP_S)
    finally:
        pool.stop()
        with store.lock():
            if (store.get(key) or {}).get("pid") == me:
                store.delete(key)
        log.info("run pool stopped (pid %s)", me)
    return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_SPAWNED: list[subprocess.Popen] = []


def start() -> subprocess.Popen:
    """Start a supervisor as a child of this process (gunicorn's master, or ensure_running)."""
    proc = subprocess.Popen([sys.executable, "-m", "app.runs.supervisor"],
                            stdin=subprocess.DEVNULL)
    _SPAWNED.append(proc)
    return proc


def ensure_running() -> None:
    """Start this machine's supervisor unless one is beating (one spawner at a time)."""
    for proc in list(_SPAWNED):  # reap the ones that exited (a duplicate exits at once)
        if proc.poll() is not None:
            _SPAWNED.remove(proc)
    store, host = shared_store(), socket.gethostname()
    info = store.get(f"supervisor:{host}")
    if info and now() - info["beat"] < STALE_S and _alive(info["pid"]):
        return
    if store.add(f"spawning:{host}", os.getpid(), expire=STALE_S):
        start()


def stop(proc: subprocess.Popen, timeout: float = STOP_GRACE_S + 5) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    sys.exit(main())
