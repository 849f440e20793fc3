"""Figures for the /train page, drawn from a training run's snapshot (components/
train_snapshot.py): pure functions of it. Non-finite numbers arrive as None or "inf" (strict
JSON) and become gaps in lines, marked on the plot's top edge. Lines travel as float32 when every
value survives the cast, else as float64 (vanishing gradients go below float32's range;
components.figures.compact), and heatmaps as float32 log10 (components.figures.log_heatmap).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from components import plot
from components.plot import Figure
from components.figures import (add_note, add_unplottable, base_figure, compact, decade_ticks,
                                figure, finite_abs, log_heatmap, mark_overflow, set_log_range)
from components.theme import (CLOSED_FORM, GUIDE, OKABE_ITO, OVERFLOW, SERIES, SERIES_DASHES,
                              template_name)
from components.thinning import thinning_note
from components.train_snapshot import as_array, pick_hist
from engine.training import HIST_ACT_EDGES, HIST_GRAD_LOG10_EDGES

# the run solid, its LR = 0 twin dashed, Ω and the levels (chance, τ) dotted; colours that keep
# 3:1 on either look's background (#555 and black did not on dark)
RUN_COLOR, TWIN_COLOR, OMEGA_COLOR, CHANCE_COLOR = (CLOSED_FORM, "#8a8f98",
                                                  OKABE_ITO["reddish purple"], GUIDE)
TOTAL_COLOR = GUIDE
METRIC_LABELS = {"accuracy": "validation accuracy", "mse": "validation MSE"}
NONFINITE_WHAT = {"loss": "the training loss", "grad": "a gradient",
                  "weights": "a weight (after the update)"}
STEP_AXIS = "training step"


def row_axis(kind: str) -> tuple[str, str]:
    """(axis title, hover name) of the rows: layers of a feed-forward net, time steps of an RNN."""
    return ("layer l (1 = next to the input)", "layer") if kind == "ff" else (
        "time step t", "t")


def _x_end(snap: dict) -> int:
    """How many steps the x axis spans: all planned steps, so the axis does not rescale as
    the run grows, or, when an inf/NaN ended the run early, the steps it took (at least 5)."""
    return max(snap["done"], 5) if snap["nonfinite"] else snap["total"]


def _figure(title: str, ytitle: str, snap: dict, notes=(), log_y: bool = True,
            legend_right: bool = False) -> Figure:
    """rnn_figures.figure over the run's steps (_x_end)."""
    end = _x_end(snap)
    fig = figure(title, STEP_AXIS, ytitle, end, notes, log_y=log_y, legend_right=legend_right)
    fig.update_layout(xaxis_range=[-0.5, max(end, 1) - 0.5])
    return fig


def _level(fig: Figure, snap: dict, y: float, name: str, color: str) -> None:
    """A dotted horizontal line across the run, as a trace (a shape's y on a log axis is
    easy to get wrong, and a trace has a legend entry). Dotted, not dashed: the twin is dashed,
    and so is a weight group's line."""
    fig.add_trace(plot.Scatter(x=[0, max(_x_end(snap) - 1, 1)], y=[y, y], mode="lines", name=name,
                             line=dict(color=color, dash="dot", width=1.5), hoverinfo="skip"))


def _mode(snap: dict) -> str:
    """Markers too while there are few points (a single point draws no line)."""
    return "lines+markers" if len(snap["cols"]) <= 30 else "lines"


PRESS_START = "Press Start to train."
WAITING = "The plots fill in as the run's first steps arrive."


def empty_figure(title: str, text: str = PRESS_START) -> Figure:
    return add_note(base_figure(title, STEP_AXIS, "", log_y=False), text)


def _thinned(snap: dict, key: str = "cols") -> str:
    cols = snap[key]
    return thinning_note(cols[:-1] if len(cols) > 2 else cols)  # the newest is off-stride


def _overflow(fig: Figure, snap: dict) -> None:
    bad = snap.get("nonfinite")
    if bad:
        mark_overflow(fig, bad["step"], bad["step"], f"inf/NaN at step {bad['step']}")


def _steps(snap: dict, key: str = "cols") -> np.ndarray:
    return np.asarray(snap[key], dtype=np.int32)


LOSS_TITLE = "Training loss: run and LR = 0 twin"


def loss_figure(snap: dict | None, empty: str = PRESS_START) -> Figure:
    """Training loss of the run and of the LR = 0 twin (log y), and Ω when it is on."""
    if not snap:
        return empty_figure(LOSS_TITLE, empty)
    ytitle = "E (training batch), Ω" if snap["omega"] is not None else "E (training batch)"
    fig = _figure(LOSS_TITLE, ytitle, snap, [_thinned(snap)])
    x = _steps(snap)
    series = [("run", snap["loss"], RUN_COLOR, "solid"),
              ("LR = 0 twin", snap["twin_loss"], TWIN_COLOR, "dash")]
    if snap["omega"] is not None:
        series.append(("Ω (regulariser, unweighted)", snap["omega"], OMEGA_COLOR, "dot"))
    for name, values, color, dash in series:
        fig.add_trace(plot.Scatter(
            x=x, y=compact(finite_abs(as_array(values))), mode=_mode(snap), name=name,
            line=dict(color=color, dash=dash, width=2), marker=dict(size=5),
            hovertemplate=f"step %{{x}}<br>{name}: %{{y:.4g}}<extra></extra>"))
    add_unplottable(fig, x, as_array(snap["loss"]), "loss", xname="step")
    set_log_range(fig, *(as_array(v) for _, v, _, _ in series))
    _overflow(fig, snap)
    return fig


def metric_figure(snap: dict | None, empty: str = PRESS_START) -> Figure:
    """Validation accuracy (or MSE, log y) of the run and its twin, chance dashed."""
    if not snap:
        return empty_figure("Does it learn? Validation vs chance", empty)
    accuracy = snap["metric"] == "accuracy"
    label = METRIC_LABELS[snap["metric"]]
    fig = _figure(f"Does it learn? {label.capitalize()}", label, snap, log_y=not accuracy)
    # evaluated after update s, i.e. at the weights the loss of step s + 1 is taken at
    x = np.asarray(snap["val_steps"], dtype=np.int32) + 1
    for name, values, color, dash in (("run", snap["val_metric"], RUN_COLOR, "solid"),
                                      ("LR = 0 twin", snap["twin_val_metric"], TWIN_COLOR,
                                       "dash")):
        y = as_array(values)
        fig.add_trace(plot.Scatter(
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


def heatmap_figure(snap: dict | None, empty: str = PRESS_START) -> Figure:
    """‖∂E/∂h_l‖ (FF) or ‖∂E/∂x_t‖ (RNN) over rows × training steps, log colour."""
    rnn = bool(snap) and snap["kind"] == "rnn"
    sym = "‖∂E/∂x<sub>t</sub>‖" if rnn else "‖∂E/∂h<sub>l</sub>‖"
    title = f"Where the gradient goes: {sym} per {'time step' if rnn else 'layer'}, over training"
    if not snap:
        return empty_figure("Where the gradient goes: gradient norm per layer, over training",
                            empty)
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


def _group_lines(fig: Figure, snap: dict, key: str) -> list:
    x, arrays = _steps(snap), []
    for n, (g, values) in enumerate(zip(snap["line_groups"], snap[key])):
        name = snap["group_names"][g]
        y = as_array(values)
        arrays.append(y)
        # a group's colour and a dash of its own (never solid: that is the total's, which is
        # told from the groups by more than its width; presenter mode draws every line 4 px)
        color = SERIES[(n + 1) % len(SERIES)]
        fig.add_trace(plot.Scatter(
            x=x, y=compact(finite_abs(y)), mode=_mode(snap), name=name, legendgroup=name,
            line=dict(color=color, dash=SERIES_DASHES[1 + n % (len(SERIES_DASHES) - 1)],
                      width=1.5), marker=dict(size=4),
            hovertemplate=f"step %{{x}}<br>{name}: %{{y:.4g}}<extra></extra>"))
        first = len(fig.data)
        add_unplottable(fig, x, y, name, xname="step", series=n, color=color)
        for trace in fig.data[first:]:  # the banner and the shading already say "overflowed"
            trace.update(legendgroup=name, showlegend=trace["name"].endswith("= 0 exactly"))
    return arrays


def grad_lines_figure(snap: dict | None, empty: str = PRESS_START) -> Figure:
    """‖∂E/∂W‖_F per weight group and the total ‖∂E/∂θ‖ (log y), with the clipping threshold."""
    title = "Gradient norm per weight group (before clipping)"
    if not snap:
        return empty_figure(title, empty)
    loss = "E + αΩ" if snap["omega"] is not None else "E"  # Ω's gradient joins W_rec's
    groups = len(snap["group_names"])
    notes = [f"{len(snap['line_groups'])} of {groups} groups shown"
             if len(snap["line_groups"]) < groups else "", _thinned(snap)]
    fig = _figure(title, f"‖∂({loss})/∂θ‖<sub>F</sub> per group", snap, notes,
                  legend_right=True)
    arrays = _group_lines(fig, snap, "grad_norms")
    total = as_array(snap["grad_total"])
    fig.add_trace(plot.Scatter(
        x=_steps(snap), y=compact(finite_abs(total)), mode=_mode(snap),
        name="all parameters ‖∂E/∂θ‖" if loss == "E" else "all parameters ‖∂(E + αΩ)/∂θ‖",
        line=dict(color=TOTAL_COLOR, width=2.5), marker=dict(size=5),
        hovertemplate="step %{x}<br>‖∂E/∂θ‖: %{y:.4g}<extra></extra>"))
    if snap["clip"] == "norm":
        _level(fig, snap, snap["tau"], f"clipped to τ = {snap['tau']:g}", OVERFLOW)
        arrays.append(np.array([snap["tau"]]))
    set_log_range(fig, total, *arrays)
    _overflow(fig, snap)
    return fig


def weight_lines_figure(snap: dict | None, empty: str = PRESS_START) -> Figure:
    """‖W‖_F per weight group (log y); for an RNN also the spectral norm ‖W_rec‖₂."""
    title = "Weight norm ‖W‖<sub>F</sub> per group (before each update)"
    if not snap:
        return empty_figure(title, empty)
    fig = _figure(title, "‖W‖<sub>F</sub>", snap, [_thinned(snap)], legend_right=True)
    arrays = _group_lines(fig, snap, "weight_norms")
    if snap["rec_norm"] is not None:
        rec = as_array(snap["rec_norm"])
        arrays.append(rec)
        fig.add_trace(plot.Scatter(
            x=_steps(snap), y=compact(finite_abs(rec)), mode=_mode(snap), marker=dict(size=5),
            name="‖W_rec‖₂ (LSTM/GRU: gates stacked)",
            line=dict(color=TOTAL_COLOR, width=2.5, dash="dot"),
            hovertemplate="step %{x}<br>‖W_rec‖₂: %{y:.4g}<extra></extra>"))
    set_log_range(fig, *arrays)
    _overflow(fig, snap)
    return fig


HIST_TITLE = "Histograms per {}: activations and gradients at step {}"


def _centres(edges: np.ndarray) -> np.ndarray:
    return ((edges[:-1] + edges[1:]) / 2).astype(np.float32)


def hist_figure(pick: dict | None, kind: str = "ff", empty: str = PRESS_START) -> Figure:
    """Per-row histograms at one step as two heatmaps, rows × bins: h (left) and
    log10|∂E/∂h| (right). The colour is the count, on one log scale for both (every row
    holds as many values); empty bins are blank. pick = pick_hist(...)."""
    word = "layer" if kind == "ff" else "time step"
    if not pick:
        return empty_figure(f"Histograms per {word}: activations and gradients",
                            empty if empty != PRESS_START
                            else "Press Start to train; the histograms follow the run.")
    rows = np.asarray(pick["rows"]) + 1
    ytitle, yname = row_axis(kind)
    fig = plot.subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
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
        template=template_name(), uirevision="keep", margin=dict(t=90),
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


def figures(snap: dict | None, empty: str = PRESS_START) -> list[Figure]:
    """The page's figures, in page order, from one snapshot (without one: empty, saying
    `empty`); the histograms at its newest recorded step."""
    hist = snap["hist"] if snap else None
    pick = pick_hist(hist, len(hist["steps"]) - 1) if hist and hist["steps"] else None
    return [loss_figure(snap, empty), metric_figure(snap, empty), heatmap_figure(snap, empty),
            grad_lines_figure(snap, empty), weight_lines_figure(snap, empty),
            hist_figure(pick, snap["kind"] if snap else "ff", empty)]


@lru_cache(maxsize=8)
def _empty(note: str) -> tuple:
    from components.figures import portable
    return tuple(portable(f) for f in figures(None, note))


def empty_figures(note: str = PRESS_START) -> list[dict]:
    """The page's figures before a run has streamed anything (plotly JSON, default look): the
    same every time, so built once (a hall's Starts and page loads would otherwise build six
    figures each)."""
    return list(_empty(note))
