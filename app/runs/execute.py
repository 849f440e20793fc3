"""One run from start to end, wherever it executes (a local run process or a Celery worker):
claim it, train it beside its LR = 0 twin, stream snapshots into the store, end it.

It ends as done (all steps, or the first inf/NaN: overflow is physics, not failure), cancelled
(nobody watches it any more, or the executor is shutting down), or failed (over its time or
memory budget, or an error). Only a done run's final snapshot is kept for replay.
"""
from __future__ import annotations

import logging
import math
import os
import resource
import socket
import time

from app import settings
from app.runs import manager
from app.runs.store import now

log = logging.getLogger(__name__)

EMIT_EVERY_S = 1.0   # a snapshot this often: viewers poll once a second, and every snapshot
                     # costs each web worker one build of the figures per look
CHECK_EVERY_S = 0.25  # how often the cancel flag and the budgets are read


def rss_mb() -> float:
    """This process's resident memory now, in MB (Linux: /proc/self/statm)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def execute(rid: str, store, shutting_down=lambda: False) -> str | None:
    """Run `rid` if it is still queued; returns how it ended (None if it was not ours)."""
    run = manager.claim(store, rid, os.getpid(), socket.gethostname())
    if run is None:
        return None
    try:
        from components import train_figures
        from components.figures import figures_json
        from components.train_snapshot import History, summary
        from engine.training import Run, config_from_dict, lr_zero_twin
        config = config_from_dict(run["config"])
        main, twin = Run(config), Run(lr_zero_twin(config))
    except Exception:  # noqa: BLE001  a config the page validated but the engine refuses
        log.exception("run %s could not start", rid)
        manager.finish(store, rid, "failed", "The training engine could not start this run.")
        return "failed"
    history = History(main.info)
    start = time.monotonic()
    version, last_emit, last_check = 0, -math.inf, start
    ending = None

    def publish(snapshot, final=False):
        """The snapshot's figures, built here once for every viewer on every machine (in the
        default look: the browser swaps the template) and stored as the JSON text that every
        tab fetches; what the page says beside them."""
        nonlocal version
        version += 1
        keep = manager.RESULT_TTL_S if final else manager.FIGURES_TTL_S
        store.set_text(f"figs:{rid}:{version}", figures_json(train_figures.figures(snapshot)),
                       expire=keep)
        stored = {"version": version, "summary": summary(snapshot)}
        store.set(f"snap:{rid}", stored, expire=manager.RESULT_TTL_S)
        if final:  # what a replay shows; every histogram, for the page's step slider
            store.set(f"hists:{rid}", snapshot["hist"], expire=manager.RESULT_TTL_S)
            store.set(f"final:{rid}", {**stored, "hist_steps": snapshot["hist"]["steps"],
                                       "finished": now()}, expire=manager.RESULT_TTL_S)
        store.set(f"progress:{rid}", {"version": version, "done": snapshot["done"],
                                      "total": snapshot["total"],
                                      "elapsed": snapshot["elapsed"], "beat": now()},
                  expire=manager.RESULT_TTL_S)

    try:
        while not main.done:
            history.add(main.step(), None if twin.done else twin.step())
            t = time.monotonic()
            history.elapsed = t - start
            if t - last_check >= CHECK_EVERY_S:
                last_check = t
                ending = _should_end(store, rid, t - start, shutting_down)
                if ending:
                    break
            if t - last_emit >= EMIT_EVERY_S and not main.done:
                last_emit = t
                publish(history.snapshot(all_hists=False))
    except Exception:  # noqa: BLE001  reported on the page, logged here
        log.exception("run %s failed", rid)
        ending = ("failed", "The training run failed with an error (see the server log).")
    history.elapsed = time.monotonic() - start
    status, reason = ending or ("done", None)
    publish(history.snapshot(all_hists=True), final=status == "done")
    manager.finish(store, rid, status, reason)
    return status


def _should_end(store, rid: str, elapsed: float, shutting_down) -> tuple[str, str] | None:
    run = store.get(f"run:{rid}") or {}
    if run.get("cancel"):
        return "cancelled", run.get("reason") or "Cancelled."
    if shutting_down():
        return "cancelled", "Cancelled: the training worker is shutting down."
    if elapsed > settings.RUN_TIME_LIMIT_S:
        return "failed", (f"Ended: the run exceeded its time budget of "
                          f"{settings.RUN_TIME_LIMIT_S} s.")
    if rss_mb() > settings.RUN_MEMORY_MB:
        return "failed", (f"Ended: the run exceeded its memory budget of "
                          f"{settings.RUN_MEMORY_MB} MB.")
    return None
