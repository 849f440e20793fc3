"""/rnn: backpropagation through time in a vanilla RNN, and the cells that fix it.

URL parameters (all optional; a bad value gets a notice and the nearest valid value):

    act     activation σ: identity, sigmoid, tanh, relu                        default tanh
    d       hidden units, whole number 1–64                                    default 32
    T       sequence length, whole number 1–500                                default 100
    init    how W_h is built: spectral (spectral radius ρ(W_h) = rho),
            singular (‖W_h‖₂ = rho), orthogonal (W_h = rho·Q), identity
            (W_h = rho·I)                                                      default spectral
    rho     scale of W_h, 0–3 (step 0.01): ρ(W_h) for spectral, ‖W_h‖₂ for
            singular, every singular value for orthogonal and identity        default by init*
    seed    whole number 0–9999 (W_h, inputs, h_0, readout u, and the
            attention cell's W_Q, W_K, W_V)                                    default 0
    inputs  random (x_t ~ N(0, 1)) or zero                                     default random
    h0      initial state: random (‖h_0‖ ≈ 1) or zero                          default random
    cells   comma-separated cells to compare, any of rnn, lstm, gru, irnn,
            orthogonal, residual, layernorm, attention (may be empty)          default rnn,lstm

* rho's default depends on init: 1.1 for spectral and singular (just above the edge at 1),
  1 for orthogonal and identity (W_h = ρ·Q or ρ·I stretches no direction, so the remedy is
  seen as such). A URL without rho, or with a rho that is not a number, gets its init's
  default. On the page, choosing another init moves the ρ slider to that init's default and
  the status area says so; the ρ slider's label names what ρ is for the chosen construction.
  URL and callback values go through the same parse().

e.g. /rnn?act=tanh&d=32&T=100&init=spectral&rho=1.1&seed=0&cells=rnn,lstm
"""
from dataclasses import dataclass, replace
from pathlib import Path

import dash
import numpy as np
from dash import dcc, html, register_page

from app.cache import cached
from app.parameter_page import serve
from components import rnn_figures
from components.controls import label_id, slider
from components.page import Figure, PageView, ParamControl, ParameterPage, Reset, Static
from components.params import Choice, ChoiceList, Number, ParamSet
from components.status import overflowed, regime_badge
from components.summaries import extremes, listing, ratio, regime_word
from components.text import fmt, sub
from components.thinning import spread, steps_shown
from engine.cells import ATTENTION_VALUE_SCALE, CELLS, RESIDUAL_ALPHA, gradient_flow
from engine.rnn import INITS, PRESETS, bptt, gradient_modes

HERE = Path(__file__).parent
# ρ's default follows the construction: the remedies (orthogonal, identity) open at ρ = 1, where
# W_h stretches no direction, rather than at 1.1, which would show them growing.
RHO_DEFAULTS = {"spectral": 1.1, "singular": 1.1, "orthogonal": 1.0, "identity": 1.0}
PARAMS = ParamSet((
    Choice("act", "activation σ", "tanh", ("identity", "sigmoid", "tanh", "relu")),
    # d ≤ 64: at d = 128, T = 500 with every cell a request took 1.2 s of CPU (the batched SVD
    # of the 501 Jacobians, the (t, k) map); at d = 64, about 0.55 s, and the attention cell
    # (O(T²d)) added about 15% to that (bench/cases_rnn.py).
    Number("d", "hidden units d", 32, 1, 64, integer=True, live=False),
    Number("T", "sequence length T", 100, 1, 500, integer=True, live=False),
    Choice("init", "construction of W_h", "spectral", INITS,
           labels={"spectral": "spectral: ρ(W_h) = ρ", "singular": "singular: ‖W_h‖₂ = ρ",
                   "orthogonal": "orthogonal: W_h = ρ·Q", "identity": "identity: W_h = ρ·I"}),
    Number("rho", "scale ρ of W_h (see construction)", RHO_DEFAULTS["spectral"], 0.0, 3.0, 0.01,
           engine="scale", default_from=lambda v: RHO_DEFAULTS[v["init"]]),
    Number("seed", "seed", 0, 0, 9999, integer=True, live=False),
    Choice("inputs", "inputs x_t", "random", ("random", "zero"),
           labels={"random": "random, N(0, 1)", "zero": "zero"}),
    Choice("h0", "initial state h_0", "random", ("random", "zero"),
           labels={"random": "random, E‖h₀‖² = 1", "zero": "zero (at rest)"}),
    ChoiceList("cells", "cells to compare (remedies plot)", ("rnn", "lstm"), CELLS,
               labels=rnn_figures.CELL_LABELS),
))
RHO_LABELS = {"spectral": "ρ: spectral radius ρ(W_h), the long-run stretch per step",
              "singular": "ρ: largest singular value ‖W_h‖₂, the most one step can stretch",
              "orthogonal": "ρ: every singular value of W_h = ρ·Q, the stretch of every step",
              "identity": "ρ: every eigenvalue of W_h = ρ·I, the stretch of every step"}
RHO_MEANINGS = {
    "spectral": "the spectral radius is the long-run factor per step of the linear chain, and "
                "this default sits just above the edge at 1; move ρ below 1 to see decay.",
    "singular": "the largest singular value is ρ, so below ρ = 1/γ the bound (γρ)^(T−k) forces "
                "decay and above it growth is possible; move ρ to see either side.",
    "orthogonal": "every singular value is ρ, so ρ = 1 keeps gradient norms (only σ′ can shrink "
                  "them); move ρ to see growth or decay.",
    "identity": "every eigenvalue and singular value is ρ, so ρ = 1 keeps gradient norms (only σ′ "
                "can shrink them); move ρ to see growth or decay.",
}
INIT_FORMULAS = {"spectral": "ρ(W_h) = ρ", "singular": "‖W_h‖₂ = ρ", "orthogonal": "W_h = ρ·Q",
                 "identity": "W_h = ρ·I"}
# the numbers rnn_equations.md cites, from the engine: the worked example's end values are
# the presets' own ‖∂h_T/∂h_0‖ (exact in float64: 0.5¹⁰ = 1/1024 and 2¹⁰ = 1024)
PROSE = {"halving": PRESETS["halving"]["scale"], "doubling": PRESETS["doubling"]["scale"],
         "steps": PRESETS["halving"]["T"],
         "halving_end": bptt(**PRESETS["halving"]).jacobian_norms[-1],
         "doubling_end": bptt(**PRESETS["doubling"]).jacobian_norms[-1],
         "residual_alpha": RESIDUAL_ALPHA, "attention_beta": ATTENTION_VALUE_SCALE}
RHO_LABEL = label_id("rnn", "rho")  # the label the page rewrites per construction


def rho_reset_notice(values: dict) -> str:
    """What the status area says when choosing a construction moved the ρ slider to its
    default."""
    init = values["init"]
    return (f"ρ set to {PARAMS['rho'].format(values['rho'])} for the {init} construction "
            f"{INIT_FORMULAS[init]}: {RHO_MEANINGS[init]}")


@dataclass(frozen=True)
class RhoSlider(ParamControl):
    """The ρ slider, its label naming what ρ is for the chosen construction."""

    def component(self, page, values):
        control = slider(page.name, replace(page.params["rho"], label=RHO_LABELS[values["init"]]),
                         values["rho"])
        return control

    def outputs(self, page):
        return [(RHO_LABEL, "children")]

    def refresh(self, page, values):
        return [RHO_LABELS[values["init"]]]


def preset_links(values):
    links = []
    for name, p in PRESETS.items():
        links.append(html.Li(dcc.Link(f"{name}: ×{p['scale']:g} per step for {p['T']} steps",
                                      href=dash.get_relative_path("/rnn")
                                      + PARAMS.preset_query(p), id=f"rnn-preset-{name}")))
    return html.Div(className="control", children=[
        html.Label("Worked example (one unit, σ = identity)"), html.Ul(links)])


PAGE = ParameterPage(
    name="rnn", title="RNN through time: the same matrix at every step", params=PARAMS,
    # only the remedies plot compares cells: ticking one redraws nothing else
    figures=(Figure("norms", ignores=("cells",)), Figure("heatmap", ignores=("cells",)),
             Figure("flow", height=420, wide=True),  # a long x axis, a long legend
             Figure("singular", ignores=("cells",)), Figure("modes", ignores=("cells",))),
    intro=HERE / "rnn.md", equations=HERE / "rnn_equations.md", prose=PROSE, code=True,
    panel=(Static(preset_links), "act", "d", "T", "init", RhoSlider("rho"), "seed", "inputs",
           "h0", "cells"),
    # a new construction starts from its own default scale
    resets={"init": Reset(("rho",), notice=rho_reset_notice)},
)

register_page(__name__, path="/rnn", name="RNN through time", title="RNN through time · GradLab",
              order=3, description="Backpropagation through time: the same W_h at every step, "
                                   "the bound (γ‖W_h‖₂)^(T−k), and the cells that keep gradients alive.")


def layout(**query):
    return PAGE.layout(query)


BOUND_MEANING = {"vanishing": "< 1: the bound forces decay",
                 "stable": "≈ 1: the bound allows neither much growth nor decay",
                 "exploding": "> 1: the bound allows growth", "undefined": "not finite"}


def summary(r, T: int) -> str:
    return (f" measured per-step factor ‖∂h_{T}/∂h_0‖₂^(1/{T}) ≈ {fmt(r.rate)}; "
            f"end to end ‖∂h_{T}/∂h_0‖₂ = {fmt(r.jacobian_norms[T])}. "
            f"Bound factor γ‖W_h‖₂ = {fmt(r.gamma)}·{fmt(r.w_norm)} = {fmt(r.bound_factor)} "
            f"({BOUND_MEANING[r.bound_regime]}); spectral radius ρ(W_h) = "
            f"{fmt(r.spectral_radius)}.")


def overflow_notices(r, T: int) -> list[str]:
    out = []
    if r.first_nonfinite_step is not None:
        out.append(overflowed("The hidden state", f" at step {r.first_nonfinite_step} of {T}",
                              explosion=False))
    if r.first_nonfinite_lag is not None:
        out.append(f"‖∂h_T/∂h_k‖ is not finite from {r.first_nonfinite_lag} steps back: "
                   "this is the explosion itself.")
    return out


# ---------------------------------------------------------------- the figures' text alternatives
# Each describes the figure as drawn: where a figure thins its steps (steps_shown), so does
# its sentence, so every number in it is a point of the plot.


def norms_summary(r, T: int) -> str:
    J = r.jacobian_norms
    text = (f"‖∂h_T/∂h_k‖₂ against steps back T − k, with its bound (γ‖W_h‖₂)^(T−k): "
            f"{fmt(J[0])} at 0 steps back")
    if r.first_nonfinite_lag is None:
        text += f" and {fmt(J[T])} at {T} steps back (h₀)"
    else:  # overflow is physics: say where it began
        text += f", overflowed to inf/NaN from {r.first_nonfinite_lag} steps back on"
    return (text + f"; about {fmt(r.rate)} per step: {regime_word(r.regime)}. The bound's factor "
            f"per step is γ‖W_h‖₂ = {fmt(r.bound_factor)}.")


def heatmap_summary(r, T: int) -> str:
    steps = steps_shown(T, rnn_figures.MAX_HEATMAP_STEPS)
    C = r.contribution_map[np.ix_(steps, steps)]  # the cells drawn: [t, k]
    text = ("‖∂J_t/∂h_k‖ for each loss term J_t (rows t) and earlier state h_k (columns k), "
            "log colour")
    low, high = extremes(C)
    if low is not None:
        text += (f": from {fmt(C[low])} at t = {steps[low[0]]}, k = {steps[low[1]]} to "
                 f"{fmt(C[high])} at t = {steps[high[0]]}, k = {steps[high[1]]}")
    text += f". The longest reach, from J_T back to h₀, is {fmt(C[-1, 0])}"
    lower = steps[:, None] >= steps[None, :]  # k ≤ t: the cells that exist
    bad = ~np.isfinite(C) & lower & (steps[:, None] > 0)
    if bad.any():
        first = steps[np.flatnonzero(bad.any(axis=1))[0]]
        text += f"; blank where not finite, from t = {first} on"
    if ((C == 0) & lower).any():
        text += "; blank where exactly zero"
    return text + "."


def singular_summary(r, T: int) -> str:
    s, d = r.singular_values, r.singular_values.shape[1]
    lags = steps_shown(T, rnn_figures.MAX_LINE_STEPS)
    ends = s[lags][:, [0, d - 1]]
    at = next((int(lag) for lag, row in zip(lags[::-1], ends[::-1]) if np.isfinite(row).all()),
              None)
    text = (f"Singular values of ∂h_T/∂h_k against steps back T − k: all {fmt(s[0, 0])} at 0 "
            "steps back")
    if at is None or at == 0:
        pass  # nothing finite beyond the identity: the overflow clause below says so
    elif d == 1:
        text += f"; at {at} steps back the only one, s₁, is {fmt(s[at, 0])}"
    else:
        text += (f"; at {at} steps back the largest, s₁, is {fmt(s[at, 0])} and the smallest, "
                 f"s{sub(d)}, {fmt(s[at, d - 1])}")
        spread_ = ratio(s[at, 0], s[at, d - 1])
        if spread_ is not None:
            text += f": a spread of {fmt(spread_)}"
    if r.first_nonfinite_lag is not None:
        text += f"; not finite from {r.first_nonfinite_lag} steps back on"
    return text + "."


def modes_summary(modes, total, T: int) -> str:
    if modes is None:
        return ("No eigen-components here: they need a linear RNN (σ = identity); with a "
                "nonlinearity each step multiplies by a different diag(σ′(aₜ))W.")
    distinct = [i for i, lam in enumerate(modes.eigenvalues) if lam.imag >= -1e-12]
    shown = [distinct[n] for n in spread(len(distinct), rnn_figures.MAX_LINES)]  # as drawn
    lags = steps_shown(T, rnn_figures.MAX_LINE_STEPS)
    mags = modes.magnitudes[np.ix_(lags, shown)]
    ok = np.isfinite(mags).all(axis=1) & np.isfinite(total[lags])
    text = ("Eigen-components |cᵢλᵢ^(T−k)| of the gradient (σ = identity) against steps back, "
            "with their total ‖(W_hᵀ)^(T−k)u‖")
    if not ok.any():
        return text + ": not finite anywhere."
    row = int(np.flatnonzero(ok)[-1])
    top = int(np.argmax(mags[row]))
    lam = modes.eigenvalues[shown[top]]
    name = (f"λ{sub(shown[top] + 1)} = {fmt(lam.real, 2)}" if abs(lam.imag) < 1e-12 else
            f"λ{sub(shown[top] + 1)} = {fmt(lam.real, 2)} ± {fmt(abs(lam.imag), 2)}i")
    return (text + f": at {lags[row]} steps back the largest drawn is the mode {name}, at "
            f"{fmt(mags[row, top])}, against the total {fmt(total[lags[row]])}.")


def flow_summary(flow: dict, T: int) -> str:
    if not flow:
        return "No cell is ticked: tick one or more to compare how far ‖∂L/∂h_k‖ reaches back."
    labels = {cell: rnn_figures.CELL_LABELS[cell] for cell in flow}
    reach = [f"{fmt(curve[0])} through the {labels[cell]}" for cell, curve in flow.items()]
    at_end = next(iter(flow.values()))[T]  # ‖u‖ for every cell
    text = (f"‖∂L/∂h_k‖ per step k for each cell, L = u·h_T, so {fmt(at_end)} at k = {T}: what "
            f"reaches h₀ is {listing(reach)}")
    finite = {cell: curve[0] for cell, curve in flow.items() if np.isfinite(curve[0])}
    if len(flow) > 1 and finite:
        text += f"; the most reaches back through the {labels[max(finite, key=finite.get)]}"
    for cell, curve in flow.items():
        bad = np.flatnonzero(~np.isfinite(curve))
        if bad.size:  # the gradient travels from k = T down: it broke at the highest bad step
            text += f"; through the {labels[cell]} not finite from k = {int(bad[-1])} down"
    return text + "."


@cached
def anatomy(**args) -> PageView:
    """The vanilla RNN's figures, their text alternatives, badge and notices: everything but
    the remedies plot, so a change of the compared cells reuses them (cached apart)."""
    T = args["T"]
    r = bptt(**args, map_rows=steps_shown(T, rnn_figures.MAX_HEATMAP_STEPS))
    modes = gradient_modes(r.W, r.readout, T) if args["act"] == "identity" else None
    total = r.contribution_map[T, ::-1]
    return PageView(
        figures={"norms": rnn_figures.jacobian_norms(r),
                 "heatmap": rnn_figures.contribution_heatmap(r),
                 "singular": rnn_figures.singular_value_plot(r),
                 "modes": rnn_figures.eigen_modes_plot(modes, total)},
        explained=[regime_badge(PAGE.name, r.regime, summary(r, T))],
        overflow=overflow_notices(r, T),
        summaries={"norms": norms_summary(r, T), "heatmap": heatmap_summary(r, T),
                   "singular": singular_summary(r, T), "modes": modes_summary(modes, total, T)})


@cached
def flow_curve(cell: str, **args):
    """One cell's ‖∂L/∂h_k‖ (cached per cell: ticking a cell computes that cell only)."""
    return gradient_flow((cell,), **args)[cell]


@serve(PAGE)
def view(**values) -> PageView:
    """The five figures, their text alternatives, the regime badge and any overflow notice
    for validated values."""
    args = PARAMS.engine_args(values)
    cells = args.pop("cells")
    drawn = anatomy(**args)
    flow = {cell: flow_curve(cell, **args) for cell in cells}
    return replace(drawn, figures={
        **drawn.figures, "flow": rnn_figures.gradient_flow_plot(flow, values["T"])},
        summaries={**drawn.summaries, "flow": flow_summary(flow, values["T"])})
