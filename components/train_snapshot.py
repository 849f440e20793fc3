"""The snapshot a training run streams: its records and its LR = 0 twin's, thinned for display
and made strict JSON. Built where the run executes (a run process or a Celery worker, which load
no plotting library), stored, and drawn by components/train_figures.py in the web workers.

`History` collects every `StepRecord` (engine.training) of a run at full resolution;
`History.snapshot()` is the `Snapshot` that travels:

    kind, metric, chance, total, done, elapsed, clip, tau, group_names
    cols                     the steps the lines show: every s-th step, s = ⌈total / MAX_LINE_COLS⌉
                             (fixed for the whole run, so points do not shift), and the newest
    loss, twin_loss, omega   training loss of the run and of its twin, Ω (None if α = 0)
    grad_total               ‖∂E/∂θ‖ before clipping
    line_groups              which weight groups the lines show (≤ MAX_LINES, spread out)
    grad_norms, weight_norms per shown group × cols: ‖∂E/∂W‖_F and ‖W‖_F
    rec_norm                 RNN: ‖W_rec‖₂ over cols (None for feed-forward nets)
    heat_cols, heat_rows     the heatmap's steps (≤ MAX_HEAT_COLS) and layers / time steps
                             (≤ MAX_HEAT_ROWS, spread out; 0-based)
    state_grad               ‖∂E/∂h_l‖ (FF) or ‖∂E/∂x_t‖ (RNN), heat_rows × heat_cols
    val_steps, val_metric, twin_val_metric    the validation metric, every evaluation
    hist                     {steps, rows, act, grad}: for ≤ MAX_HIST_ROWS rows (spread out),
                             counts of h in HIST_ACT_EDGES and of log10|∂E/∂h| in
                             HIST_GRAD_LOG10_EDGES at the recorded steps (all of them, or only
                             the newest while a run streams)
    nonfinite                {step, what} when the loss, a gradient or a weight became inf/NaN

Non-finite numbers are None (NaN) or "inf"/"-inf" in a snapshot (strict JSON); `as_array`
turns them back into floats for the figures.
"""
from __future__ import annotations

import math
from typing import Optional, TypedDict

import numpy as np

from components.thinning import columns, spread
from engine.training import RunInfo, StepRecord

MAX_LINE_COLS = 200   # steps per line
MAX_HEAT_COLS = 120   # steps per heatmap row
MAX_HEAT_ROWS = 50    # layers / time steps in the gradient heatmap
MAX_HIST_ROWS = 30    # layers / time steps in the histograms
MAX_LINES = 6         # weight groups drawn as lines


class Histograms(TypedDict):
    steps: list
    rows: list
    act: list
    grad: list


class Snapshot(TypedDict):
    kind: str
    metric: str
    chance: float
    total: int
    done: int
    elapsed: float
    clip: str
    tau: float
    group_names: list
    cols: list
    loss: list
    twin_loss: list
    omega: Optional[list]
    grad_total: list
    line_groups: list
    grad_norms: list
    weight_norms: list
    rec_norm: Optional[list]
    heat_cols: list
    heat_rows: list
    state_grad: list
    val_steps: list
    val_metric: list
    twin_val_metric: list
    hist: Histograms
    nonfinite: Optional[dict]


def jsonable(values) -> list:
    """A (nested) list of floats that strict JSON can carry: NaN → None, ±inf → "inf"/"-inf"."""
    arr = np.asarray(values, dtype=float)
    out = arr.astype(object)
    out[np.isnan(arr)] = None
    out[arr == np.inf] = "inf"
    out[arr == -np.inf] = "-inf"
    return out.tolist()


def as_array(values) -> np.ndarray:
    """The inverse: a (nested) list from jsonable → float array with NaN and ±inf."""
    return np.asarray(values, dtype=float)


class History:
    """All records of one run (and its twin), at full resolution."""

    def __init__(self, info: RunInfo):
        self.info = info
        self.records: list[StepRecord] = []
        self.twin_loss: list[float] = []
        self.val: list[tuple] = []    # (step, metric, twin metric or None)
        self.hists: list[tuple] = []  # (step, act counts, grad counts)
        self.elapsed = 0.0

    @property
    def done(self) -> int:
        return len(self.records)

    @property
    def nonfinite(self) -> dict | None:
        last = self.records[-1] if self.records else None
        if last is None or last.first_nonfinite_step is None:
            return None
        return {"step": last.first_nonfinite_step, "what": last.nonfinite}

    def add(self, rec: StepRecord, twin: StepRecord | None) -> None:
        self.records.append(rec)
        self.twin_loss.append(twin.loss if twin is not None else math.nan)
        if rec.val_metric is not None:
            self.val.append((rec.step, rec.val_metric, twin.val_metric if twin else None))
        if rec.act_hist is not None:
            self.hists.append((rec.step, rec.act_hist, rec.grad_hist))

    def snapshot(self, all_hists: bool = True) -> Snapshot:
        info, recs, total = self.info, self.records, self.info.steps
        cols = columns(self.done, total, MAX_LINE_COLS)
        heat_cols = columns(self.done, total, MAX_HEAT_COLS)
        heat_rows = spread(len(info.state_labels), MAX_HEAT_ROWS).tolist()
        hist_rows = spread(len(info.state_labels), MAX_HIST_ROWS).tolist()
        groups = spread(len(info.group_names), MAX_LINES).tolist()
        line = [recs[i] for i in cols]
        hists = self.hists if all_hists else self.hists[-1:]
        config = info.config
        return {
            "kind": info.kind, "metric": info.metric, "chance": info.chance, "total": total,
            "done": self.done, "elapsed": round(self.elapsed, 3),
            "clip": config["clip"], "tau": config["clip_threshold"],
            "group_names": info.group_names,
            "cols": cols,
            "loss": jsonable([r.loss for r in line]),
            "twin_loss": jsonable([self.twin_loss[i] for i in cols]),
            "omega": (jsonable([math.nan if r.omega is None else r.omega for r in line])
                      if config.get("omega_alpha") else None),
            "grad_total": jsonable([r.grad_norm_total for r in line]),
            "line_groups": groups,
            "grad_norms": jsonable([[r.grad_norms[g] for r in line] for g in groups]),
            "weight_norms": jsonable([[r.weight_norms[g] for r in line] for g in groups]),
            "rec_norm": (jsonable([r.rec_weight_norm for r in line]) if info.kind == "rnn"
                         else None),
            "heat_cols": heat_cols,
            "heat_rows": heat_rows,
            "state_grad": jsonable([[recs[i].state_grad_norms[j] for i in heat_cols]
                                    for j in heat_rows]),
            "val_steps": [v[0] for v in self.val],
            "val_metric": jsonable([v[1] for v in self.val]),
            "twin_val_metric": jsonable([math.nan if v[2] is None else v[2] for v in self.val]),
            "hist": {
                "steps": [h[0] for h in hists],
                "rows": hist_rows,
                "act": [[h[1][j] for j in hist_rows] for h in hists],
                "grad": [[h[2][j] for j in hist_rows] for h in hists],
            },
            "nonfinite": self.nonfinite,
        }


def pick_hist(hist: dict, k: int) -> dict:
    """The histograms at the k-th recorded step (what the page's step slider shows):
    {step, rows, act, grad}."""
    return {"step": hist["steps"][k], "rows": hist["rows"], "act": hist["act"][k],
            "grad": hist["grad"][k]}


def summary(snap: Snapshot) -> dict:
    """What a page says about a run beside its figures: how far, how it ended, its verdict."""
    last = lambda key: snap[key][-1] if snap[key] else None  # noqa: E731
    return {"kind": snap["kind"], "done": snap["done"], "total": snap["total"],
            "elapsed": snap["elapsed"], "nonfinite": snap["nonfinite"], "metric": snap["metric"],
            "chance": snap["chance"], "val_last": last("val_metric"),
            "twin_val_last": last("twin_val_metric")}
