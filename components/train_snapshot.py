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

`sentences(snap)` are the six figures' text alternatives, computed here from the very numbers
the figures plot (train_figures draws the same snapshot) and stored with them (`summary`), so
every tab shows the sentence of the snapshot whose figures it shows.
"""
from __future__ import annotations

import math
from typing import Optional, TypedDict

import numpy as np

from components.summaries import extremes, listing, ratio, regime_word
from components.text import fmt
from components.thinning import columns, spread
from engine.regime import regime
from engine.training import HIST_ACT_EDGES, HIST_GRAD_LOG10_EDGES, RunInfo, StepRecord

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
    """What a page says about a run beside its figures: how far, how it ended, its verdict,
    and each figure's sentence (in page order)."""
    last = lambda key: snap[key][-1] if snap[key] else None  # noqa: E731
    return {"kind": snap["kind"], "done": snap["done"], "total": snap["total"],
            "elapsed": snap["elapsed"], "nonfinite": snap["nonfinite"], "metric": snap["metric"],
            "chance": snap["chance"], "val_last": last("val_metric"),
            "twin_val_last": last("twin_val_metric"), "sentences": sentences(snap)}


# ---------------------------------------------------------------- the figures' text alternatives

NO_RUN = "No run yet: press Start."
WAITING = "No steps yet: the plots fill in as the run's first steps arrive."
WHAT = {"loss": "the training loss", "grad": "a gradient", "weights": "a weight"}
METRIC = {"accuracy": "Validation accuracy", "mse": "Validation MSE"}
METRIC_DIGITS = 3  # as the verdict prints them


def sentences(snap: Snapshot | None, empty: str = NO_RUN) -> list[str]:
    """One text alternative per figure of /train, in page order (train_figures.figures)."""
    if not snap or not snap["cols"]:
        return [empty] * 6
    hist = snap["hist"]
    pick = pick_hist(hist, len(hist["steps"]) - 1) if hist["steps"] else None
    return [loss_sentence(snap), metric_sentence(snap), heatmap_sentence(snap),
            grads_sentence(snap), weights_sentence(snap), hist_sentence(pick, snap["kind"])]


def _unit(kind: str) -> str:
    return "layer" if kind == "ff" else "time step"  # as train_figures.row_axis


def _updates(n: int) -> str:
    return f"{n} update{'s' if n != 1 else ''}"


def _overflow(snap: Snapshot) -> str:
    bad = snap["nonfinite"]  # overflow is physics: say where it began
    return f"; inf/NaN at step {bad['step']}, where the run stopped" if bad else ""


def loss_sentence(snap: Snapshot) -> str:
    cols, loss, twin = snap["cols"], as_array(snap["loss"]), as_array(snap["twin_loss"])
    text = ("Training loss E per step on a log scale, the run against its twin trained with "
            "learning rate zero: the run's ")
    text += (f"went from {fmt(loss[0])} at step {cols[0]} to {fmt(loss[-1])} at step {cols[-1]}"
             if len(cols) > 1 else f"is {fmt(loss[-1])} at step {cols[-1]}")
    text += f", the twin's is {fmt(twin[-1])}"
    share = ratio(loss[-1], twin[-1])
    if share is not None:
        text += f" ({fmt(share, 3)} times the twin's)"
    if snap["omega"] is not None:
        text += f"; the regulariser Ω is {fmt(as_array(snap['omega'])[-1])}"
    bad = snap["nonfinite"]
    if bad:
        what = WHAT.get(bad["what"], "a value")
        text += f". At step {bad['step']} {what} became inf/NaN: the run stopped there"
    return text + "."


def metric_sentence(snap: Snapshot) -> str:
    name, accuracy = METRIC[snap["metric"]], snap["metric"] == "accuracy"
    text = (f"{name} of the run and its twin trained with learning rate zero"
            + ("" if accuracy else " on a log scale"))
    steps = snap["val_steps"]
    if not steps:
        return text + ": no evaluation yet."
    run, twin = as_array(snap["val_metric"]), as_array(snap["twin_val_metric"])
    d = METRIC_DIGITS
    text += (f", against {'chance' if accuracy else 'the best constant'} at "
             f"{fmt(snap['chance'], d)}: after {_updates(steps[-1] + 1)} the run's is "
             f"{fmt(run[-1], d)} and the twin's {fmt(twin[-1], d)}")
    if len(steps) > 1:
        text += f" (the run's was {fmt(run[0], d)} after {_updates(steps[0] + 1)})"
    return text + "."


def heatmap_sentence(snap: Snapshot) -> str:
    unit, rows, cols = _unit(snap["kind"]), snap["heat_rows"], snap["heat_cols"]
    values = as_array(snap["state_grad"])  # rows × cols, as the heatmap draws them
    sym = "‖∂E/∂x_t‖" if snap["kind"] == "rnn" else "‖∂E/∂h_l‖"
    text = f"{sym} per {unit} (rows) over training steps (columns), log colour"
    low, high = extremes(values)
    if low is not None:
        text += (f": from {fmt(values[low])} at {unit} {rows[low[0]] + 1}, step {cols[low[1]]} "
                 f"to {fmt(values[high])} at {unit} {rows[high[0]] + 1}, step {cols[high[1]]}")
    if not np.isfinite(values).all():
        text += "; blank where not finite"
    if (values == 0).any():
        text += "; blank where exactly zero"
    last = values[:, -1]
    share = ratio(last[0], last[-1]) if len(rows) > 1 else None
    if share is not None:  # the engine's name for the per-layer factor (engine/regime.py)
        depth = rows[-1] + 1
        factor = share ** (1 / (depth - 1))
        text += (f". At step {cols[-1]} {unit} 1 gets {fmt(share)} of {unit} {depth}'s, "
                 f"{fmt(factor)} per {unit}: {regime_word(regime(factor))}")
    return text + _overflow(snap) + "."


def _groups(snap: Snapshot, key: str) -> tuple[list[str], np.ndarray]:
    return [snap["group_names"][g] for g in snap["line_groups"]], as_array(snap[key])


def grads_sentence(snap: Snapshot) -> str:
    names, values = _groups(snap, "grad_norms")
    total, cols = as_array(snap["grad_total"]), snap["cols"]
    loss = "(E + αΩ)" if snap["omega"] is not None else "E"
    text = (f"Gradient norm ‖∂{loss}/∂W‖_F per weight group before clipping, and over all "
            f"parameters: at step {cols[-1]} "
            + listing([f"{n} at {fmt(v)}" for n, v in zip(names, values[:, -1])])
            + f", all parameters {fmt(total[-1])}")
    finite = np.where(np.isfinite(total), total, -np.inf)
    if len(cols) > 1 and np.isfinite(finite).any():
        k = int(np.argmax(finite))
        text += f"; the largest total so far is {fmt(total[k])} at step {cols[k]}"
    if snap["clip"] == "norm":
        text += f"; clipped to τ = {fmt(snap['tau'])}"
    return text + _overflow(snap) + "."


def weights_sentence(snap: Snapshot) -> str:
    names, values = _groups(snap, "weight_norms")
    cols = snap["cols"]
    text = (f"Weight norm ‖W‖_F per group before each update: at step {cols[-1]} "
            + listing([f"{n} at {fmt(v)}" for n, v in zip(names, values[:, -1])]))
    if snap["rec_norm"] is not None:
        rec = as_array(snap["rec_norm"])
        text += f"; the recurrent matrix has ‖W_rec‖₂ = {fmt(rec[-1])}"
    if len(cols) > 1:
        with np.errstate(all="ignore"):
            change = np.abs(np.log(values[:, -1] / values[:, 0]))
        change = np.where(np.isfinite(change), change, -1.0)
        if change.max() >= 0:
            i = int(np.argmax(change))
            text += (f"; the most changed since step {cols[0]} is {names[i]}, "
                     f"{fmt(values[i, -1] / values[i, 0])} times its start")
    return text + _overflow(snap) + "."


ACT_CENTRES = (HIST_ACT_EDGES[:-1] + HIST_ACT_EDGES[1:]) / 2
GRAD_CENTRES = (HIST_GRAD_LOG10_EDGES[:-1] + HIST_GRAD_LOG10_EDGES[1:]) / 2


def hist_sentence(pick: dict | None, kind: str = "ff") -> str:
    """The histograms at one recorded step (pick_hist): where the first and the last row's
    activations and gradients pile up (the fullest bin's centre)."""
    unit = _unit(kind)
    if not pick:
        return NO_RUN
    rows = pick["rows"]
    text = (f"Histograms per {unit} at step {pick['step']}: activations h and gradients "
            "log₁₀|∂E/∂h| per row, coloured by count")
    parts = []
    for j in sorted({0, len(rows) - 1}):
        act, grad = np.asarray(pick["act"][j], float), np.asarray(pick["grad"][j], float)
        if grad.sum() == 0:
            parts.append(f"{unit} {rows[j] + 1} has no finite values")
            continue
        parts.append(f"{unit} {rows[j] + 1}'s gradients peak in the bin around "
                     f"{fmt(10 ** GRAD_CENTRES[int(np.argmax(grad))], 2)} and its activations "
                     f"around h = {fmt(ACT_CENTRES[int(np.argmax(act))], 3)}")
    said = "; ".join(parts)
    return f"{text}. {said[:1].upper()}{said[1:]}." if said else text + "."
