"""What a training run looks like to one viewer: pure functions of a RunView (app/runs) and
its snapshot, no callbacks here."""
from __future__ import annotations

import math

from dash import html

from app import settings
from app.pages.train.ids import BANNER, FAILED, VERDICT
from components import train_figures
from components.layout import notice_list
from components.text import fmt
from components.thinning import spread
from components.train_snapshot import as_array


def progress_text(view) -> str:
    """The one line beside the progress bar: where the run is."""
    facts, done, total = view.summary, view.done, view.total
    if view.status == "queued":
        ahead = view.ahead or 0
        if ahead == 0 and view.running < settings.MAX_RUNS:
            return "Starting: a training process is loading (a second or two)…"
        return (f"Queued: {ahead} run{'s' if ahead != 1 else ''} ahead of yours "
                f"(the pool trains {settings.MAX_RUNS} at a time).")
    if view.status == "refused":
        return "Not started."
    if view.status == "gone":
        return "Not started."
    nonfinite = facts and facts.get("nonfinite")
    if nonfinite and view.status == "done":
        return f"Stopped at step {nonfinite['step']} (inf/NaN) after {view.elapsed:.1f} s."
    if view.status == "done":
        return f"Done: {done} of {total} steps in {view.elapsed:.1f} s."
    if view.status == "failed":
        return f"Failed at step {done} of {total}."
    if view.status == "cancelled":
        return f"Cancelled at step {done} of {total}."
    if done == 0:
        return f"Starting (0 of {total} steps)…"
    left = view.elapsed / max(done, 1) * (total - done)
    return f"{done} of {total} steps done · {view.elapsed:.1f} s · about {left:.0f} s left"


def run_info(view, stopped: bool = False) -> str:
    """Who else this run serves: shared, joined, replayed; what Stop did."""
    others = max(view.viewers - 1, 0)
    if view.status == "refused" or view.id is None:
        return ""
    if stopped:
        if view.status in ("queued", "running") and view.viewers:
            return (f"You stopped watching. The run goes on for {view.viewers} other "
                    f"tab{'s' if view.viewers != 1 else ''}.")
        if view.status in ("queued", "running", "cancelled"):
            return "You stopped watching; nobody else watched, so the run is cancelled."
        return "You stopped watching."
    if view.replayed:
        return ("Replayed: an identical run (same settings and seed) finished earlier, so "
                "nothing was recomputed.")
    parts = []
    if view.joined and view.status in ("queued", "running"):
        parts.append("You joined a run another tab started with the same settings and seed: "
                     "one computation for both.")
    if others and view.status in ("queued", "running"):
        parts.append(f"Shared: {others} other tab{'s' if others != 1 else ''} watch"
                     f"{'es' if others == 1 else ''} this run.")
    return " ".join(parts)


def run_status(view, notices: list[str]):
    """Notices, the refusal or failure, the red overflow banner, the verdict of a finished run."""
    parts = [notice_list(notices)]
    if view.status == "refused":
        parts.append(notice_list([view.reason]))
    if view.status == "failed":
        parts.append(html.Div(className="notice notice-overflow train-banner", role="alert",
                              id=FAILED, children=[html.Strong("The run failed. "),
                                                   view.reason or "",
                                                   " The plots show it up to its last report; "
                                                   "press Start to run it again."]))
    if view.status == "cancelled" and view.reason:
        parts.append(html.P(view.reason, className="train-cancelled"))
    facts = view.summary
    bad = facts and facts.get("nonfinite")
    if bad:
        parts.append(html.Div(className="notice notice-overflow train-banner", role="alert",
                              id=BANNER, children=[
            html.Strong(f"Exploded at step {bad['step']}: "),
            f"{train_figures.NONFINITE_WHAT[bad['what']]} became inf/NaN. The run stops there "
            "(no update is applied after it). Remedies: clip the gradient norm, lower the "
            "learning rate or the recurrent gain.",
        ]))
    if view.status == "done" and facts and facts["val_last"] is not None and not bad:
        metric, twin = as_array([facts["val_last"], facts["twin_val_last"]])
        name = train_figures.METRIC_LABELS[facts["metric"]]
        show = (lambda v: "—" if math.isnan(v) else fmt(v, 3))
        parts.append(html.P(className="train-verdict", id=VERDICT, children=(
            f"Final {name} {show(metric)} (chance {fmt(facts['chance'], 3)}); the LR = 0 twin: "
            f"{show(twin)}.")))
    return parts


def slider_marks(steps: list[int]) -> dict:
    return {str(i): str(steps[i]) for i in spread(len(steps), 6)}
