"""Figures for the /rnn page: pure functions of engine.rnn results.

Lines carry the engine's float64 values unchanged (vanishing gradients live far below
float32's range), except that 0, inf and NaN, which a log axis cannot draw, become gaps
(NaN) in the line, marked by add_unplottable instead.

What is too big to send whole is thinned (the response stays under 150 KB at T = 500,
d = 64), and the subtitle says so: lines show every s-th step once T > MAX_LINE_STEPS,
the contribution heatmap once T > MAX_HEATMAP_STEPS; the singular-value and
eigen-component plots show at most MAX_LINES of the d curves, spread from first to last.
"""
import numpy as np

from components import plot
from components.plot import Figure
from components.figures import (add_note, add_unplottable, figure, finite_abs, log_heatmap,
                                mark_overflow, set_log_range)
from components.text import sub
from components.thinning import spread, steps_shown, thinning_note
from components.theme import CLOSED_FORM, GUIDE, SERIES, SERIES_DASHES, series_style
from engine.cells import CELLS
from engine.rnn import BPTTResult, GradientModes

MAX_LINE_STEPS = 200     # a line shows at most ~this many steps (+ the last one)
MAX_HEATMAP_STEPS = 100  # so does each axis of the heatmap
MAX_LINES = 6
CELL_LABELS = {"rnn": "vanilla RNN", "lstm": "LSTM", "gru": "GRU", "irnn": "IRNN",
               "orthogonal": "orthogonal", "residual": "residual", "layernorm": "LayerNorm",
               "attention": "attention"}
# A cell keeps its colour and its dash: four hues for eight cells, so the dash (one per cell)
# is what tells, e.g., the vanilla RNN (blue, solid) from the orthogonal cell (blue,
# long dash-dot).
CELL_COLORS = {cell: SERIES[i % len(SERIES)] for i, cell in enumerate(CELLS)}
CELL_DASHES = {cell: SERIES_DASHES[i] for i, cell in enumerate(CELLS)}
CELL_INDEX = {cell: i for i, cell in enumerate(CELLS)}
BOUND_COLOR = GUIDE
LAG_AXIS = "steps back, T − k"
MEASURED = "measured ‖∂h<sub>T</sub>/∂h<sub>k</sub>‖₂"
TOTAL = "total ‖(W<sub>h</sub>ᵀ)<sup>T−k</sup>u‖"


def jacobian_norms(r: BPTTResult) -> Figure:
    """(a) ‖∂h_T/∂h_k‖₂ by lag against the bound (γ‖W‖₂)^(T−k)."""
    T = len(r.jacobian_norms) - 1
    lags = steps_shown(T, MAX_LINE_STEPS)
    fig = figure("‖∂h<sub>T</sub>/∂h<sub>k</sub>‖₂ and its bound (γ‖W<sub>h</sub>‖₂)<sup>T−k</sup>",
                 LAG_AXIS, f"‖∂h<sub>{T}</sub>/∂h<sub>k</sub>‖₂", T, [thinning_note(lags)])
    fig.add_trace(plot.Scatter(
        x=lags, y=finite_abs(r.bound[lags]), mode="lines",
        name=f"bound (γ‖W_h‖₂)^(T−k) = ({r.gamma:g}·{r.w_norm:.4g})^(T−k)",
        line=dict(color=BOUND_COLOR, dash="dash"),
        hovertemplate=f"T−k = %{{x}}<br>{r.bound_factor:.4g}<sup>T−k</sup> = %{{y:.4g}}"
                      "<extra>bound</extra>"))
    fig.add_trace(plot.Scatter(
        x=lags, y=finite_abs(r.jacobian_norms[lags]),
        mode="lines+markers" if len(lags) <= 60 else "lines",
        name=MEASURED, marker=dict(size=5), line=dict(color=CLOSED_FORM, width=2),
        hovertemplate="T−k = %{x}<br>‖∂h_T/∂h_k‖₂ = %{y:.6g}<extra></extra>"))
    add_unplottable(fig, lags, r.jacobian_norms[lags], "‖∂h_T/∂h_k‖₂", xname="T−k")
    set_log_range(fig, r.jacobian_norms, r.bound)
    mark_overflow(fig, r.first_nonfinite_lag, T, f"not finite from lag {r.first_nonfinite_lag}")
    return fig


def contribution_heatmap(r: BPTTResult) -> Figure:
    """(b) ‖∂J_t/∂h_k‖ over (k, t), log colour scale; the triangle k > t is blank."""
    T = len(r.contribution_map) - 1
    steps = steps_shown(T, MAX_HEATMAP_STEPS)
    fig = figure("Who reaches whom: ‖∂J<sub>t</sub>/∂h<sub>k</sub>‖", "from state k",
                 "loss term J<sub>t</sub>, step t", T, [thinning_note(steps)], log_y=False)
    log_heatmap(fig, steps, steps, r.contribution_map[np.ix_(steps, steps)],
                "‖∂J<sub>t</sub>/∂h<sub>k</sub>‖", "k", "t")
    axis = dict(range=[-0.5, T + 0.5], showgrid=False, dtick=1 if T <= 5 else None)
    fig.update_layout(xaxis=axis, yaxis=axis)
    return fig


def singular_value_plot(r: BPTTResult) -> Figure:
    """(c) Singular values of ∂h_T/∂h_k by lag: how many directions survive."""
    T, d = len(r.singular_values) - 1, r.singular_values.shape[1]
    lags, shown = steps_shown(T, MAX_LINE_STEPS), spread(d, MAX_LINES)
    fig = figure("Singular values s<sub>i</sub> of ∂h<sub>T</sub>/∂h<sub>k</sub>", LAG_AXIS,
                 "singular value s<sub>i</sub>",
                 T, [f"{len(shown)} of {d} shown" if len(shown) < d else "", thinning_note(lags)])
    for n, i in enumerate(shown):
        fig.add_trace(plot.Scatter(
            x=lags, y=finite_abs(r.singular_values[lags, i]), mode="lines",
            name=f"s{sub(i + 1)}",
            line=dict(**series_style(n), width=2.5 if i == 0 else 1.5),  # width alone: no cue
            hovertemplate=f"T−k = %{{x}}<br>s{sub(i + 1)} = %{{y:.4g}}<extra></extra>"))
    set_log_range(fig, r.singular_values[:, shown])
    mark_overflow(fig, r.first_nonfinite_lag, T, f"not finite from lag {r.first_nonfinite_lag}")
    return fig


def gradient_flow_plot(flow: dict[str, np.ndarray], T: int) -> Figure:
    """(d) ‖∂L/∂h_k‖, L = u·h_T, by step k for each selected cell."""
    steps = steps_shown(T, MAX_LINE_STEPS)
    notes = [thinning_note(steps), "LSTM: with c<sub>k</sub> held fixed" if "lstm" in flow else ""]
    fig = figure("Remedies: ‖∂L/∂h<sub>k</sub>‖, L = u·h<sub>T</sub>", "step k",
                 "‖∂L/∂h<sub>k</sub>‖", T, notes, legend_right=True)
    if not flow:
        return add_note(fig, "Tick at least one cell to compare.")
    for cell, curve in flow.items():
        label = CELL_LABELS[cell]
        fig.add_trace(plot.Scatter(
            x=steps, y=finite_abs(curve[steps]), mode="lines", name=label, legendgroup=cell,
            line=dict(color=CELL_COLORS[cell], dash=CELL_DASHES[cell], width=2),
            hovertemplate=f"k = %{{x}}<br>‖∂L/∂h_k‖ = %{{y:.4g}}<extra>{label}</extra>"))
        add_unplottable(fig, steps, curve[steps], f"‖∂L/∂h_k‖ ({label})", xname="step",
                        series=CELL_INDEX[cell], color=CELL_COLORS[cell])
    set_log_range(fig, *flow.values())
    return fig


def eigen_modes_plot(modes: GradientModes | None, total: np.ndarray) -> Figure:
    """(e) σ = identity: the components |c_i λ_i^l| of (Wᵀ)^l u by lag l, and the norm
    `total` = ‖(Wᵀ)^l u‖ = ‖∂J_T/∂h_{T−l}‖; for any other σ, a note instead."""
    T = len(total) - 1
    lags = steps_shown(T, MAX_LINE_STEPS)
    title = "Eigen-components |c<sub>i</sub>λ<sub>i</sub><sup>T−k</sup>|"
    if modes is None:
        return add_note(figure(title, LAG_AXIS, "|c<sub>i</sub>λ<sub>i</sub><sup>T−k</sup>|", T),
                        # short lines: the long middle one ran off a half-width figure
                        "Eigen-components need a linear RNN (σ = identity):<br>"
                        "with a nonlinearity every step multiplies<br>by a different "
                        "diag(σ′(aₜ))W, so no single<br>eigenbasis describes the product.")
    # A conjugate pair has equal |c| and |λ|: one curve, drawn once.
    distinct = [i for i, lam in enumerate(modes.eigenvalues) if lam.imag >= -1e-12]
    shown = [distinct[n] for n in spread(len(distinct), MAX_LINES)]
    fig = figure(title, LAG_AXIS, "|c<sub>i</sub>λ<sub>i</sub><sup>T−k</sup>|", T,
                 [f"{len(shown)} of {len(distinct)} modes shown" if len(shown) < len(distinct)
                  else "", thinning_note(lags)], legend_right=True)
    for n, i in enumerate(shown):
        lam = modes.eigenvalues[i]
        text = (f"{lam.real:.2g}" if abs(lam.imag) < 1e-12
                else f"{lam.real:.2g} ± {abs(lam.imag):.2g}i")
        fig.add_trace(plot.Scatter(
            x=lags, y=finite_abs(modes.magnitudes[lags, i]), mode="lines",
            name=f"λ{sub(i + 1)} = {text}",
            line=dict(**series_style(n), width=2.5 if i == 0 else 1.5),
            hovertemplate=f"T−k = %{{x}}<br>|c λ<sup>T−k</sup>| = %{{y:.4g}}"
                          f"<extra>λ = {text}</extra>"))
    fig.add_trace(plot.Scatter(
        x=lags, y=finite_abs(total[lags]), mode="lines", name=TOTAL,
        line=dict(color=GUIDE, dash="dot"),  # black was 1.2:1 on dark; dotted: no series is
        hovertemplate="T−k = %{x}<br>‖(Wᵀ)<sup>T−k</sup>u‖ = %{y:.4g}<extra></extra>"))
    set_log_range(fig, modes.magnitudes[:, shown], total)
    return fig
