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
from dataclasses import replace
from pathlib import Path

import dash
from dash import Input, Output, callback, ctx, dcc, html, no_update, register_page

from app.cache import cached
from components import rnn_figures
from components.controls import checklist, control_id, control_panel, dropdown, slider
from components.layout import graph, markdown_file, mirror_query_to_url, notice_list, page_frame
from components.text import fmt
from components.params import Choice, ChoiceList, Number, ParamSet
from engine.rnn import (ATTENTION_VALUE_SCALE, CELLS, INITS, PRESETS, RESIDUAL_ALPHA, bptt,
                        gradient_flow, gradient_modes, regime)

PAGE = "rnn"
HERE = Path(__file__).parent
# ρ's default follows the construction: the remedies (orthogonal, identity) open at ρ = 1, where
# W_h stretches no direction, rather than at 1.1, which would show them growing.
RHO_DEFAULTS = {"spectral": 1.1, "singular": 1.1, "orthogonal": 1.0, "identity": 1.0}
PARAMS = ParamSet((
    Choice("act", "activation σ", "tanh", ("identity", "sigmoid", "tanh", "relu")),
    # d ≤ 64: at d = 128, T = 500 with every cell a request took 1.2 s of CPU (the batched SVD
    # of the 501 Jacobians, the (t, k) map); at d = 64, about 0.55 s, and the attention cell
    # (O(T²d)) added about 15% to that (bench/cases_rnn.py).
    Number("d", "hidden units d", 32, 1, 64, integer=True),
    Number("T", "sequence length T", 100, 1, 500, integer=True),
    Choice("init", "construction of W_h", "spectral", INITS),
    Number("rho", "scale ρ of W_h (see construction)", RHO_DEFAULTS["spectral"], 0.0, 3.0, 0.01),
    Number("seed", "seed", 0, 0, 9999, integer=True),
    Choice("inputs", "inputs x_t", "random", ("random", "zero")),
    Choice("h0", "initial state h_0", "random", ("random", "zero")),
    ChoiceList("cells", "cells to compare (remedies plot)", ("rnn", "lstm"), CELLS),
))
# the same parameters with ρ defaulting to each construction's own value
PARAMS_BY_INIT = {init: ParamSet(tuple(replace(p, default=RHO_DEFAULTS[init]) if p.name == "rho"
                                       else p for p in PARAMS)) for init in INITS}
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
INIT_LABELS = {"spectral": "spectral: ρ(W_h) = ρ", "singular": "singular: ‖W_h‖₂ = ρ",
               "orthogonal": "orthogonal: W_h = ρ·Q", "identity": "identity: W_h = ρ·I"}
INPUT_LABELS = {"random": "random, N(0, 1)", "zero": "zero"}
H0_LABELS = {"random": "random, E‖h₀‖² = 1", "zero": "zero (at rest)"}
ENGINE_NAMES = {"rho": "scale"}  # URL parameter → engine.rnn keyword, where they differ
# the numbers rnn_equations.md cites, from the engine: the worked example's end values are
# the presets' own ‖∂h_T/∂h_0‖ (exact in float64: 0.5¹⁰ = 1/1024 and 2¹⁰ = 1024)
PROSE = {"halving": PRESETS["halving"]["scale"], "doubling": PRESETS["doubling"]["scale"],
         "steps": PRESETS["halving"]["T"],
         "halving_end": bptt(**PRESETS["halving"]).jacobian_norms[-1],
         "doubling_end": bptt(**PRESETS["doubling"]).jacobian_norms[-1],
         "residual_alpha": RESIDUAL_ALPHA, "attention_beta": ATTENTION_VALUE_SCALE}
FIGURES = {name: f"{PAGE}-{name}" for name in ("norms", "heatmap", "singular", "flow", "modes")}
STATUS, QUERY = f"{PAGE}-status", f"{PAGE}-query"
RHO_LABEL = f"{PAGE}-rho-label"

register_page(__name__, path="/rnn", name="RNN through time", title="RNN through time · GradLab",
              order=3, description="Backpropagation through time: the same W_h at every step, "
                                   "the bound (γ‖W_h‖₂)^(T−k), and the cells that keep gradients alive.")


def parse(raw) -> tuple[dict, list[str]]:
    """Valid values and notices from any raw mapping, the URL's or the callback's: rho, if
    missing or not a number, takes the init's default (RHO_DEFAULTS)."""
    raw = raw if isinstance(raw, dict) else {}
    init, _ = PARAMS["init"].parse(raw.get("init"))  # (its notice comes from the parse below)
    return PARAMS_BY_INIT[init].parse(raw)


def rho_reset_notice(init: str, rho: float) -> str:
    """What the status area says when choosing `init` moved the ρ slider to `rho`."""
    return (f"ρ set to {PARAMS['rho'].format(rho)} for the {init} construction "
            f"{INIT_FORMULAS[init]}: {RHO_MEANINGS[init]}")


def rho_slider(values: dict):
    """The ρ slider, its label naming what ρ is for this construction (relabelled by the
    callback when the construction changes)."""
    control = slider(PAGE, replace(PARAMS["rho"], label=RHO_LABELS[values["init"]]),
                     values["rho"])
    control.children[0].id = RHO_LABEL
    return control


def engine_args(values: dict) -> dict:
    """The page's values as keyword arguments of engine.rnn.bptt / gradient_flow."""
    return {ENGINE_NAMES.get(name, name): values[name] for name in PARAMS.names if name != "cells"}


def preset_query(name: str) -> str:
    """The URL query of an engine preset (the rest of the page at its defaults)."""
    url_names = {engine: url for url, engine in ENGINE_NAMES.items()}
    preset = {url_names.get(k, k): v for k, v in PRESETS[name].items()}
    return PARAMS.query({**PARAMS.defaults(), **preset})


def preset_links():
    links = []
    for name in PRESETS:
        p = PRESETS[name]
        links.append(html.Li(dcc.Link(f"{name}: ×{p['scale']:g} per step for {p['T']} steps",
                                      href=dash.get_relative_path(f"/{PAGE}") + preset_query(name),
                                      id=f"{PAGE}-preset-{name}")))
    return html.Div(className="control", children=[
        html.Label("Worked example (one unit, σ = identity)"), html.Ul(links)])


def layout(**query):
    values, notices = parse(query)
    controls = control_panel([
        preset_links(),
        dropdown(PAGE, PARAMS["act"], values["act"]),
        slider(PAGE, PARAMS["d"], values["d"], updatemode="mouseup"),
        slider(PAGE, PARAMS["T"], values["T"], updatemode="mouseup"),
        dropdown(PAGE, PARAMS["init"], values["init"], INIT_LABELS),
        rho_slider(values),
        slider(PAGE, PARAMS["seed"], values["seed"], updatemode="mouseup"),
        dropdown(PAGE, PARAMS["inputs"], values["inputs"], INPUT_LABELS),
        dropdown(PAGE, PARAMS["h0"], values["h0"], H0_LABELS),
        checklist(PAGE, PARAMS["cells"], values["cells"], rnn_figures.CELL_LABELS),
    ])
    return page_frame(
        "RNN through time: the same matrix at every step",
        markdown_file(HERE / "rnn.md", className="intro"),
        notices, controls, [
            graph(FIGURES["norms"]), graph(FIGURES["heatmap"]),
            # the remedies compared, across the whole width: a long x axis, a long legend
            html.Div(graph(FIGURES["flow"], height=420), style={"gridColumn": "1 / -1"}),
            graph(FIGURES["singular"]), graph(FIGURES["modes"]),
        ], STATUS, QUERY,
        below=markdown_file(HERE / "rnn_equations.md", PROSE, className="equations"),
    )


BOUND_MEANING = {"vanishing": "< 1: the bound forces decay",
                 "stable": "≈ 1: the bound allows neither much growth nor decay",
                 "exploding": "> 1: the bound allows growth", "undefined": "not finite"}


def regime_badge(r, T: int):
    bound = r.gamma * r.w_norm
    return html.Div(className="regime", children=[
        html.Span(r.regime, className=f"badge badge-{r.regime}", id=f"{PAGE}-regime"),
        html.Span(f" measured per-step factor ‖∂h_{T}/∂h_0‖₂^(1/{T}) ≈ {fmt(r.rate)}; "
                  f"end to end ‖∂h_{T}/∂h_0‖₂ = {fmt(r.jacobian_norms[T])}. "
                  f"Bound factor γ‖W_h‖₂ = {fmt(r.gamma)}·{fmt(r.w_norm)} = {fmt(bound)} "
                  f"({BOUND_MEANING[regime(bound)]}); spectral radius ρ(W_h) = "
                  f"{fmt(r.spectral_radius)}.", id=f"{PAGE}-summary"),
    ])


def overflow_notices(r, T: int) -> list[str]:
    out = []
    if r.first_nonfinite_step is not None:
        out.append(f"The hidden state overflowed the float64 range at step "
                   f"{r.first_nonfinite_step} of {T}: shown as inf/NaN, not an error.")
    if r.first_nonfinite_lag is not None:
        out.append(f"‖∂h_T/∂h_k‖ is not finite from {r.first_nonfinite_lag} steps back: "
                   "this is the explosion itself.")
    return out


@cached
def render(**values):
    """The five figures, the regime badge and any overflow notice for validated parameters."""
    args, T = engine_args(values), values["T"]
    r = bptt(**args)
    flow = gradient_flow(values["cells"], **args)
    modes = gradient_modes(r.W, r.readout, T) if values["act"] == "identity" else None
    return (rnn_figures.jacobian_norms(r), rnn_figures.contribution_heatmap(r),
            rnn_figures.singular_value_plot(r), rnn_figures.gradient_flow_plot(flow, T),
            rnn_figures.eigen_modes_plot(modes, r.contribution_map[T, ::-1]),
            regime_badge(r, T), notice_list(overflow_notices(r, T), kind="overflow"))


@callback(
    *[Output(f, "figure") for f in FIGURES.values()],
    Output(STATUS, "children"), Output(QUERY, "data"),
    Output(control_id(PAGE, "rho"), "value"), Output(RHO_LABEL, "children"),
    inputs={name: Input(control_id(PAGE, name), "value") for name in PARAMS.names},
)
def update(**raw):
    reset = ctx.triggered_id == control_id(PAGE, "init")
    if reset:  # a new construction starts from its own default scale
        raw.pop("rho", None)
    values, notices = parse(raw)
    if reset:
        notices.append(rho_reset_notice(values["init"], values["rho"]))
    *figures, badge, overflow = render(**values)
    # only a new construction moves the ρ slider; otherwise it stays under the user's hand
    return (*figures, [badge, notice_list(notices), overflow], PARAMS.query(values),
            values["rho"] if reset else no_update, RHO_LABELS[values["init"]])


mirror_query_to_url(QUERY)
