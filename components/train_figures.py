"""Figures for the /train page, drawn from a *snapshot*: the records of a training run and
its LR = 0 twin, thinned for display and made JSON-safe.

`History` collects every `StepRecord` (engine.training) of a run at full resolution, where
the run executes (a background-callback process); `History.snapshot()` is what travels:

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

Non-finite numbers are None (NaN) or "inf"/"-inf" in a snapshot (strict JSON); the builders
turn them back into floats: gaps in lines, marked on the plot's top edge. Lines travel as
float32 when every value survives the cast, else as float64 (vanishing gradients go below
float32's range; components.figures.compact), and heatmaps as float32 log10
(components.figures.log_heatmap).
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from components.figures import (add_note, add_unplottable, base_figure, compact, decade_ticks,
                                figure, finite_abs, log_heatmap, mark_overflow, set_log_range,
                                spread, thinning_note)
from components.theme import CLOSED_FORM, OVERFLOW, SERIES, requested_look, template_name
from engine.training import HIST_ACT_EDGES, HIST_GRAD_LOG10_EDGES, RunInfo, StepRecord

MAX_LINE_COLS = 200   # steps per line
MAX_HEAT_COLS = 120   # steps per heatmap row
MAX_HEAT_ROWS = 50    # layers / time steps in the gradient heatmap
MAX_HIST_ROWS = 30    # layers / time steps in the histograms
MAX_LINES = 6         # weight groups drawn as lines
RUN_COLOR, TWIN_COLOR, OMEGA_COLOR, CHANCE_COLOR = CLOSED_FORM, "#8a8f98", "#8e24aa", "#555"
METRIC_LABELS = {"accuracy": "validation accuracy", "mse": "validation MSE"}
NONFINITE_WHAT = {"loss": "the training loss", "grad": "a gradient",
                  "weights": "a weight (after the update)"}
STEP_AXIS = "training step"


# ====================================================================== the snapshot


def columns(done: int, total: int, cap: int) -> list[int]:
    """Steps 0..done−1 to show: every s-th, s = ⌈total / cap⌉ (so a column stays put while
    the run grows), and the newest step."""
    if done <= 0:
        return []
    stride = max(1, -(-total // cap))
    return sorted(set(range(0, done, stride)) | {done - 1})


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

    def snapshot(self, all_hists: bool = True) -> dict:
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
    """The histograms at the k-th recorded step (the same pick the page's slider makes in
    the browser): {step, rows, act, grad}."""
    return {"step": hist["steps"][k], "rows": hist["rows"], "act": hist["act"][k],
            "grad": hist["grad"][k]}


# ====================================================================== the figures


def row_axis(kind: str) -> tuple[str, str]:
    """(axis title, hover name) of the rows: layers of a feed-forward net, time steps of an RNN."""
    return ("layer l (1 = next to the input)", "layer") if kind == "ff" else (
        "time step t", "t")


def _x_end(snap: dict) -> int:
    """How many steps the x axis spans: all planned steps, so the axis does not rescale as
    the run grows, or, when an inf/NaN ended the run early, the steps it took (at least 5)."""
    return max(snap["done"], 5) if snap["nonfinite"] else snap["total"]


def _figure(title: str, ytitle: str, snap: dict, notes=(), log_y: bool = True,
            legend_right: bool = False) -> go.Figure:
    """rnn_figures.figure over the run's steps (_x_end)."""
    end = _x_end(snap)
    fig = figure(title, STEP_AXIS, ytitle, end, notes, log_y=log_y, legend_right=legend_right)
    fig.update_layout(xaxis_range=[-0.5, max(end, 1) - 0.5])
    return fig


def _level(fig: go.Figure, snap: dict, y: float, name: str, color: str) -> None:
    """A dashed horizontal line across the run, as a trace (a shape's y on a log axis is
    easy to get wrong, and a trace has a legend entry)."""
    fig.add_trace(go.Scatter(x=[0, max(_x_end(snap) - 1, 1)], y=[y, y], mode="lines", name=name,
                             line=dict(color=color, dash="dash", width=1.5), hoverinfo="skip"))


def _mode(snap: dict) -> str:
    """Markers too while there are few points (a single point draws no line)."""
    return "lines+markers" if len(snap["cols"]) <= 30 else "lines"


def empty_figure(title: str, text: str = "Press Start to train.") -> go.Figure:
    return add_note(base_figure(title, STEP_AXIS, "", log_y=False), text)


def _thinned(snap: dict, key: str = "cols") -> str:
    cols = snap[key]
    return thinning_note(cols[:-1] if len(cols) > 2 else cols)  # the newest is off-stride


def _overflow(fig: go.Figure, snap: dict) -> None:
    bad = snap.get("nonfinite")
    if bad:
        mark_overflow(fig, bad["step"], bad["step"], f"inf/NaN at step {bad['step']}")


def _steps(snap: dict, key: str = "cols") -> np.ndarray:
    return np.asarray(snap[key], dtype=np.int32)


LOSS_TITLE = "Training loss: run and LR = 0 twin"


def loss_figure(snap: dict | None) -> go.Figure:
    """Training loss of the run and of the LR = 0 twin (log y), and Ω when it is on."""
    if not snap:
        return empty_figure(LOSS_TITLE)
    ytitle = "E (training batch), Ω" if snap["omega"] is not None else "E (training batch)"
    fig = _figure(LOSS_TITLE, ytitle, snap, [_thinned(snap)])
    x = _steps(snap)
    series = [("run", snap["loss"], RUN_COLOR, "solid"),
              ("LR = 0 twin", snap["twin_loss"], TWIN_COLOR, "dash")]
    if snap["omega"] is not None:
        series.append(("Ω (regulariser, unweighted)", snap["omega"], OMEGA_COLOR, "dot"))
    for name, values, color, dash in series:
        fig.add_trace(go.Scatter(
            x=x, y=compact(finite_abs(as_array(values))), mode=_mode(snap), name=name,
            line=dict(color=color, dash=dash, width=2), marker=dict(size=5),
            hovertemplate=f"step %{{x}}<br>{name}: %{{y:.4g}}<extra></extra>"))
    add_unplottable(fig, x, as_array(snap["loss"]), "loss", xname="step")
    set_log_range(fig, *(as_array(v) for _, v, _, _ in series))
    _overflow(fig, snap)
    return fig


def metric_figure(snap: dict | None) -> go.Figure:
    """Validation accuracy (or MSE, log y) of the run and its twin, chance dashed."""
    if not snap:
        return empty_figure("Does it learn? Validation vs chance")
    accuracy = snap["metric"] == "accuracy"
    label = METRIC_LABELS[snap["metric"]]
    fig = _figure(f"Does it learn? {label.capitalize()}", label, snap, log_y=not accuracy)
    # evaluated after update s, i.e. at the weights the loss of step s + 1 is taken at
    x = np.asarray(snap["val_steps"], dtype=np.int32) + 1
    for name, values, color, dash in (("run", snap["val_metric"], RUN_COLOR, "solid"),
                                      ("LR = 0 twin", snap["twin_val_metric"], TWIN_COLOR,
                                       "dash")):
        y = as_array(values)
        fig.add_trace(go.Scatter(
            x=x, y=y if accuracy else finite_abs(y), mode="lines+markers", name=name,
            line=dict(color=color, dash=dash, width=2), marker=dict(size=4),
            hovertemplate=f"after %{{x}} updates<br>{label}: %{{y:.4g}}<extra>{name}</extra>"))
    chance = snap["chance"]
    _level(fig, snap, chance, f"chance {chance:.3g}" if accuracy
           else f"best constant (Var y) {chance:.3g}", CHANCE_COLOR)
    if accuracy:
        fig.update_layout(yaxis_range=[0, 1.02])
    else:
        set_log_range(fig, as_array(snap["val_metric"]), as_array(snap["twin_val_metric"]),
                      [chance])
    _overflow(fig, snap)
    return fig


def heatmap_figure(snap: dict | None) -> go.Figure:
    """‖∂E/∂h_l‖ (FF) or ‖∂E/∂x_t‖ (RNN) over rows × training steps, log colour."""
    rnn = bool(snap) and snap["kind"] == "rnn"
    sym = "‖∂E/∂x<sub>t</sub>‖" if rnn else "‖∂E/∂h<sub>l</sub>‖"
    title = f"Where the gradient goes: {sym} per {'time step' if rnn else 'layer'}, over training"
    if not snap:
        return empty_figure("Where the gradient goes: gradient norm per layer, over training")
    rows = np.asarray(snap["heat_rows"])
    ytitle, yname = row_axis(snap["kind"])
    notes = [_thinned(snap, "heat_cols")]
    if len(rows) > 1 and rows[1] - rows[0] > 1:
        notes.append(f"{len(rows)} of {rows[-1] + 1} {'time steps' if rnn else 'layers'} shown")
    values = as_array(snap["state_grad"])
    if (values == 0).any():
        notes.append("blank: exactly 0")
    fig = _figure(title, ytitle, snap, notes, log_y=False)
    log_heatmap(fig, _steps(snap, "heat_cols"), rows + 1, values, sym, "step", yname)
    fig.update_layout(yaxis=dict(autorange=True, showgrid=False), xaxis_showgrid=False)
    return fig


def _group_lines(fig: go.Figure, snap: dict, key: str) -> list:
    x, arrays = _steps(snap), []
    for n, (g, values) in enumerate(zip(snap["line_groups"], snap[key])):
        name = snap["group_names"][g]
        y = as_array(values)
        arrays.append(y)
        fig.add_trace(go.Scatter(
            x=x, y=compact(finite_abs(y)), mode=_mode(snap), name=name, legendgroup=name,
            line=dict(color=SERIES[(n + 1) % len(SERIES)], width=1.5), marker=dict(size=4),
            hovertemplate=f"step %{{x}}<br>{name}: %{{y:.4g}}<extra></extra>"))
        first = len(fig.data)
        add_unplottable(fig, x, y, name, xname="step")
        for trace in fig.data[first:]:  # the banner and the shading already say "overflowed"
            trace.update(legendgroup=name, showlegend=trace.name.endswith("= 0 exactly"))
    return arrays


def grad_lines_figure(snap: dict | None) -> go.Figure:
    """‖∂E/∂W‖_F per weight group and the total ‖∂E/∂θ‖ (log y), with the clipping threshold."""
    title = "Gradient norm per weight group (before clipping)"
    if not snap:
        return empty_figure(title)
    loss = "E + αΩ" if snap["omega"] is not None else "E"  # Ω's gradient joins W_rec's
    groups = len(snap["group_names"])
    notes = [f"{len(snap['line_groups'])} of {groups} groups shown"
             if len(snap["line_groups"]) < groups else "", _thinned(snap)]
    fig = _figure(title, f"‖∂({loss})/∂θ‖<sub>F</sub> per group", snap, notes,
                  legend_right=True)
    arrays = _group_lines(fig, snap, "grad_norms")
    total = as_array(snap["grad_total"])
    fig.add_trace(go.Scatter(
        x=_steps(snap), y=compact(finite_abs(total)), mode=_mode(snap),
        name="all parameters ‖∂E/∂θ‖" if loss == "E" else "all parameters ‖∂(E + αΩ)/∂θ‖",
        line=dict(color="black", width=2.5), marker=dict(size=5),
        hovertemplate="step %{x}<br>‖∂E/∂θ‖: %{y:.4g}<extra></extra>"))
    if snap["clip"] == "norm":
        _level(fig, snap, snap["tau"], f"clipped to τ = {snap['tau']:g}", OVERFLOW)
        arrays.append(np.array([snap["tau"]]))
    set_log_range(fig, total, *arrays)
    _overflow(fig, snap)
    return fig


def weight_lines_figure(snap: dict | None) -> go.Figure:
    """‖W‖_F per weight group (log y); for an RNN also the spectral norm ‖W_rec‖₂."""
    title = "Weight norm ‖W‖<sub>F</sub> per group (before each update)"
    if not snap:
        return empty_figure(title)
    fig = _figure(title, "‖W‖<sub>F</sub>", snap, [_thinned(snap)], legend_right=True)
    arrays = _group_lines(fig, snap, "weight_norms")
    if snap["rec_norm"] is not None:
        rec = as_array(snap["rec_norm"])
        arrays.append(rec)
        fig.add_trace(go.Scatter(
            x=_steps(snap), y=compact(finite_abs(rec)), mode=_mode(snap), marker=dict(size=5),
            name="‖W_rec‖₂ (LSTM/GRU: gates stacked)", line=dict(color="black", width=2.5, dash="dot"),
            hovertemplate="step %{x}<br>‖W_rec‖₂: %{y:.4g}<extra></extra>"))
    set_log_range(fig, *arrays)
    _overflow(fig, snap)
    return fig


HIST_TITLE = "Histograms per {}: activations and gradients at step {}"


def _centres(edges: np.ndarray) -> np.ndarray:
    return ((edges[:-1] + edges[1:]) / 2).astype(np.float32)


def hist_figure(pick: dict | None, kind: str = "ff") -> go.Figure:
    """Per-row histograms at one step as two heatmaps, rows × bins: h (left) and
    log10|∂E/∂h| (right). The colour is the count, on one log scale for both (every row
    holds as many values); empty bins are blank. pick = pick_hist(...)."""
    word = "layer" if kind == "ff" else "time step"
    if not pick:
        return empty_figure(f"Histograms per {word}: activations and gradients",
                            "Press Start to train; the histograms follow the run.")
    rows = np.asarray(pick["rows"]) + 1
    ytitle, yname = row_axis(kind)
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=("activations h", "gradients log<sub>10</sub>|∂E/∂h|"))
    top = 1.0
    for axis, counts, edges, xname in (("", pick["act"], HIST_ACT_EDGES, "h"),
                                       ("2", pick["grad"], HIST_GRAD_LOG10_EDGES, "log10|g|")):
        counts = np.asarray(counts, dtype=float)
        log_heatmap(fig, _centres(edges), rows, counts, "count", xname, yname)
        fig.data[-1].update(xaxis=f"x{axis}", yaxis=f"y{axis}", coloraxis="coloraxis")
        top = max(top, float(counts.max()) if counts.size else 1.0)
    ticks, _ = decade_ticks(0.0, math.log10(top))
    fig.update_layout(
        template=template_name(*requested_look()), uirevision="keep", margin=dict(t=90),
        title=dict(text=HIST_TITLE.format(word, pick["step"]), x=0.01, xanchor="left"),
        coloraxis=dict(colorscale="Viridis", cmin=0, cmax=max(math.log10(top), 1.0),
                       colorbar=dict(title=dict(text="count", side="right"), thickness=14,
                                     tickvals=ticks, ticktext=[f"{10 ** t:g}" for t in ticks])))
    fig.update_yaxes(title_text=ytitle, row=1, col=1)
    fig.update_xaxes(title_text="h (beyond ±3: in the end bins)", row=1, col=1)
    fig.update_xaxes(title_text="log<sub>10</sub>|∂E/∂h| (below 10<sup>−16</sup> or 0: first bin; "
                                "above 10<sup>4</sup>: last)",
                     row=1, col=2)
    return fig


def figures(snap: dict | None) -> list[go.Figure]:
    """The page's figures, in page order, from one snapshot; the histograms at its newest
    recorded step."""
    hist = snap["hist"] if snap else None
    pick = pick_hist(hist, len(hist["steps"]) - 1) if hist and hist["steps"] else None
    return [loss_figure(snap), metric_figure(snap), heatmap_figure(snap),
            grad_lines_figure(snap), weight_lines_figure(snap),
            hist_figure(pick, snap["kind"] if snap else "ff")]
