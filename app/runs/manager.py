"""What the /train page asks of the runs: start (join or queue), poll, stop; and the tidying
that keeps the shared state honest (viewers who left, runs whose process died).

Keys in the store (app/runs/store.py):
    run:<id>       the run: config, status, owner, viewers {tab: last seen}, cancel flag, …
    progress:<id>  written by the run's executor only: snapshot version, steps done, heartbeat
    snap:<id>      the newest snapshot's version and summary (what the page says beside it)
    figs:<id>:<v>  snapshot v's figures as JSON text, served as they are to every tab
    final:<id>     a finished run's last snapshot's version and summary: what a replay shows
    hists:<id>     a finished run's recorded histograms (the page's step slider)
    queue          ids waiting for the pool, oldest first
    running        ids executing now
    active         ids queued or running (what tidy and the per-client limit look at)
    viewer:<tab>   the run a tab is attached to (a tab has one)
    executions     how many runs have started executing (one per distinct run: tests count it)

Every change of run:<id>, queue or active happens under the store's lock; the executor's own
keys (progress, snap, final) are written without it, by their only writer.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections import OrderedDict
from dataclasses import dataclass

from app import settings
from app.runs.store import now, shared_store

log = logging.getLogger(__name__)

ACTIVE = ("queued", "running")
ENDED = ("done", "failed", "cancelled")
VIEWER_TIMEOUT_S = 15.0  # a tab that has not polled for this long has gone (closed, asleep)
HEARTBEAT_EVERY_S = 4.0  # a viewer's presence is rewritten at most this often, not every poll
BEAT_STALE_S = 20.0      # a running run whose executor has not reported for this long has died
RESULT_TTL_S = 24 * 3600  # how long a finished run stays replayable
FIGURES_TTL_S = 120      # a streamed (superseded within a second) snapshot's figures
TIDY_EVERY_S = 1.0       # when polls tidy (Celery mode), at most this often per cluster


def run_id(config: dict) -> str:
    """The id of a run: a digest of its engine configuration and of the code that trains it
    (a new deployment does not replay an old one's numbers)."""
    from app.cache import code_digest
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{code_digest()}|{text}".encode()).hexdigest()[:20]


@dataclass(frozen=True)
class RunView:
    """What one viewer sees of a run.

    status   queued | running | done | failed | cancelled | refused | gone
    ahead    runs ahead of this one in the queue (queued only)
    running  runs executing now (queued only: whether the pool has room)
    viewers  tabs watching it now
    joined   this tab attached to a run another tab had started
    replayed it had finished before this tab asked: served from the store, not recomputed
    reason   why it failed, was cancelled or refused
    version  the newest snapshot's version; new: whether it is newer than the viewer's (then
             `figures(id, version)` has its figures); summary: its facts (train_snapshot.
             summary); for a finished run hist_steps: the steps its histograms were recorded
             at (`histograms` gives them)
    """

    id: str | None
    status: str
    ahead: int | None = None
    running: int = 0
    viewers: int = 0
    joined: bool = False
    replayed: bool = False
    reason: str | None = None
    version: int = -1
    new: bool = False
    summary: dict | None = None
    hist_steps: list | None = None
    done: int = 0
    total: int = 0
    elapsed: float = 0.0

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


def refused(reason: str) -> RunView:
    return RunView(id=None, status="refused", reason=reason)


# ---------------------------------------------------------------- the three page actions


def start(config: dict, viewer: str, client: str, store=None) -> RunView:
    """Attach `viewer` (a tab) to the run of `config`: join it if it is queued or running,
    replay it if it has finished, else queue it — unless `client` (an address) already has
    RUNS_PER_CLIENT runs queued or running, or the queue is full. A tab has one run: its
    previous one is left first (and cancelled if nobody else watches it)."""
    store = store or shared_store()
    rid, t = run_id(config), now()
    with store.lock():
        _leave(store, viewer, t)
        run = store.get(f"run:{rid}")
        if run and (run["status"] in ACTIVE
                    or run["status"] == "done" and store.get(f"final:{rid}") is not None):
            if run["status"] in ACTIVE:
                run["viewers"][viewer] = t
                store.set(f"run:{rid}", run)
            store.set(f"viewer:{viewer}", {"run": rid, "since": t}, expire=RESULT_TTL_S)
            return _view(store, run, viewer, have=-1)
        active = _runs(store, store.get("active") or [])
        mine = sum(1 for r in active if r["owner"] == client)
        if mine >= settings.RUNS_PER_CLIENT:
            return refused(f"Your address already has {mine} training runs queued or running "
                           f"(at most {settings.RUNS_PER_CLIENT} at once): stop one, or join a run "
                           "someone else started with the same settings.")
        queue = store.get("queue") or []
        if len(queue) >= settings.QUEUE_LIMIT:
            return refused(f"The training queue is full ({settings.QUEUE_LIMIT} runs waiting): "
                           "try again in a minute, or pick a preset someone is already running.")
        run = {"id": rid, "config": config, "status": "queued", "reason": None, "owner": client,
               "starter": viewer, "viewers": {viewer: t}, "cancel": False, "created": t,
               "started": None, "ended": None, "pid": None, "host": None}
        store.set(f"run:{rid}", run)
        store.set("queue", queue + [rid])
        store.set("active", [r["id"] for r in active] + [rid])
        store.set(f"viewer:{viewer}", {"run": rid, "since": t}, expire=RESULT_TTL_S)
        store.delete(f"progress:{rid}")
        store.delete(f"snap:{rid}")
    _submit(rid)
    return _view(store, run, viewer, have=-1)


def poll(rid, viewer: str, have: int = -1, store=None) -> RunView:
    """The run as `viewer` sees it now, with its snapshot if newer than version `have`.
    Polling is a tab's proof of life: its presence is refreshed every HEARTBEAT_EVERY_S."""
    store = store or shared_store()
    if not isinstance(rid, str) or len(rid) > 64:
        return RunView(id=None, status="gone", reason="This tab has no training run.")
    run = store.get(f"run:{rid}")
    if run is None:
        return RunView(id=rid, status="gone", reason="This run is no longer kept: press Start.")
    t = now()
    if run["status"] in ACTIVE and t - run["viewers"].get(viewer, 0) > HEARTBEAT_EVERY_S:
        with store.lock():
            run = store.get(f"run:{rid}") or run
            if run["status"] in ACTIVE and _attached(store, viewer) == rid:
                run["viewers"][viewer] = t
                store.set(f"run:{rid}", run)
    if settings.CELERY_BROKER:  # no local supervisor tidies: the polls do, now and then
        maybe_tidy(store)
    return _view(store, run, viewer, have)


def histograms(rid, store=None) -> dict | None:
    """A finished run's recorded histograms {steps, rows, act, grad}, or None."""
    store = store or shared_store()
    return store.get(f"hists:{rid}") if isinstance(rid, str) and len(rid) <= 64 else None


def stop(rid, viewer: str, store=None) -> RunView:
    """Detach `viewer`; the run is cancelled only if nobody else watches it."""
    store = store or shared_store()
    with store.lock():
        if isinstance(rid, str) and _attached(store, viewer) == rid:
            _detach(store, rid, viewer, reason="its last viewer pressed Stop")
            store.delete(f"viewer:{viewer}")
        run = store.get(f"run:{rid}") if isinstance(rid, str) else None
    if run is None:
        return RunView(id=None, status="gone", reason="This tab has no training run.")
    return _view(store, run, viewer, have=10**9)


# ---------------------------------------------------------------- bookkeeping


def _runs(store, ids) -> list[dict]:
    return [r for r in (store.get(f"run:{i}") for i in ids) if r is not None]


def _attached(store, viewer: str) -> str | None:
    return (store.get(f"viewer:{viewer}") or {}).get("run")


def _leave(store, viewer: str, t: float) -> None:
    previous = _attached(store, viewer)
    if previous:
        _detach(store, previous, viewer, reason="its last viewer started another run")
        store.delete(f"viewer:{viewer}")


def _detach(store, rid: str, viewer: str, reason: str) -> None:
    """(Under the lock.) Drop one viewer; with nobody left, a queued run is dropped from the
    queue and a running one is told to stop."""
    run = store.get(f"run:{rid}")
    if run is None or run["status"] not in ACTIVE:
        return
    run["viewers"].pop(viewer, None)
    if not run["viewers"]:
        _cancel(store, run, f"Cancelled: {reason}.")
    store.set(f"run:{rid}", run)


def _cancel(store, run: dict, reason: str) -> None:
    """(Under the lock; the caller stores `run`.)"""
    if run["status"] == "queued":
        run.update(status="cancelled", reason=reason, ended=now())
        store.set("queue", [i for i in store.get("queue") or [] if i != run["id"]])
        store.set("active", [i for i in store.get("active") or [] if i != run["id"]])
    else:
        run.update(cancel=True, reason=reason)


def claim(store, rid: str, pid: int, host: str) -> dict | None:
    """An executor takes a queued run: out of the queue, status running. None if the run is
    gone, ended or cancelled meanwhile (then the executor does nothing)."""
    with store.lock():
        run = store.get(f"run:{rid}")
        store.set("queue", [i for i in store.get("queue") or [] if i != rid])
        if run is None or run["status"] != "queued":
            return None
        run.update(status="running", started=now(), pid=pid, host=host)
        store.set(f"run:{rid}", run)
        store.set("running", (store.get("running") or []) + [rid])
        store.set(f"progress:{rid}", {"version": 0, "done": 0, "total": run["config"]["steps"],
                                      "elapsed": 0.0, "beat": now()})
    store.incr("executions")
    return run


def finish(store, rid: str, status: str, reason: str | None) -> None:
    """An executor (or tidy, for a dead one) ends a run."""
    with store.lock():
        run = store.get(f"run:{rid}")
        if run is None or run["status"] in ENDED:
            return
        run.update(status=status, reason=reason, ended=now(), cancel=False)
        store.set(f"run:{rid}", run, expire=RESULT_TTL_S)
        for key in ("active", "queue", "running"):
            store.set(key, [i for i in store.get(key) or [] if i != rid])


def tidy(store, alive=None) -> None:
    """Drop viewers not seen for VIEWER_TIMEOUT_S (a run nobody watches is cancelled) and end
    as failed a running run whose executor stopped reporting (killed, out of memory, machine
    gone). `alive(run)` may say sooner that its process is gone (the local supervisor knows
    its children)."""
    t = now()
    dead = []
    with store.lock():
        for run in _runs(store, store.get("active") or []):
            gone = [v for v, seen in run["viewers"].items() if t - seen > VIEWER_TIMEOUT_S]
            for v in gone:
                del run["viewers"][v]
            if gone and not run["viewers"]:
                _cancel(store, run, "Cancelled: nobody is watching it any more.")
            if gone:
                store.set(f"run:{run['id']}", run)
            if run["status"] == "running":
                beat = (store.get(f"progress:{run['id']}") or {}).get("beat", run["started"])
                if t - beat > BEAT_STALE_S or (alive is not None and not alive(run)):
                    dead.append(run["id"])
    for rid in dead:
        finish(store, rid, "failed", "The training worker stopped unexpectedly: its process "
                                     "was killed (e.g. for lack of memory) or failed.")


def maybe_tidy(store) -> None:
    if store.add("tidying", 1, expire=TIDY_EVERY_S):
        tidy(store)


def _submit(rid: str) -> None:
    """Hand a queued run to the executors: a Celery task, or (one machine) the local pool,
    which takes runs from the queue itself and is started here if it is not running."""
    if settings.CELERY_BROKER:
        from app.runs.celery_app import execute_run
        execute_run.delay(rid)
    else:
        from app.runs import supervisor
        supervisor.ensure_running()


def figures_text(rid, version, store=None) -> str | None:
    """Snapshot `version` of run `rid`: its figures as the JSON text the run stored (None if
    that version is not kept: superseded, or never written)."""
    if not (isinstance(rid, str) and len(rid) <= 64 and isinstance(version, int)):
        return None
    return (store or shared_store()).get_text(f"figs:{rid}:{version}")


_FIGURES: OrderedDict = OrderedDict()  # (store, run, version) → parsed figures, newest last


def figures(rid: str, version: int, store=None) -> list | None:
    """The same, parsed, once per version in this process (a version never changes)."""
    store = store or shared_store()
    key = (id(store), rid, version)
    if key not in _FIGURES:
        text = figures_text(rid, version, store)
        if text is None:
            return None
        _FIGURES[key] = json.loads(text)
        while len(_FIGURES) > 16:
            _FIGURES.popitem(last=False)
    _FIGURES.move_to_end(key)
    return _FIGURES[key]


def _view(store, run: dict, viewer: str, have: int) -> RunView:
    rid, status = run["id"], run["status"]
    common = dict(id=rid, status=status, reason=run["reason"], viewers=len(run["viewers"]),
                  joined=run["starter"] != viewer, total=run["config"]["steps"])
    if status == "queued":
        queue = store.get("queue") or []
        return RunView(**common, ahead=queue.index(rid) if rid in queue else 0,
                       running=len(store.get("running") or []))
    if status == "done":
        final = store.get(f"final:{rid}")
        if final is None:
            return RunView(**{**common, "status": "gone",
                              "reason": "This run's result is no longer kept: press Start."})
        since = (store.get(f"viewer:{viewer}") or {}).get("since", 0.0)
        new = final["version"] > have
        return RunView(**common, replayed=run["ended"] <= since, version=final["version"],
                       new=new, summary=final["summary"],
                       hist_steps=final["hist_steps"] if new else None,
                       done=final["summary"]["done"],
                       elapsed=final["summary"]["elapsed"])
    progress = store.get(f"progress:{rid}") or {}
    version, facts = progress.get("version", -1), None
    if version > have:
        stored = store.get(f"snap:{rid}")
        if stored is not None:
            version, facts = stored["version"], stored["summary"]
    return RunView(**common, version=version, new=version > have and facts is not None,
                   summary=facts, done=progress.get("done", 0),
                   elapsed=progress.get("elapsed", 0.0))
