"""/rnn: backpropagation through time in a vanilla RNN, and the cells that fix it.

URL parameters (all optional; a bad value gets a notice and the nearest valid value):

    act     activation σ: identity, sigmoid, tanh, relu                        default tanh
    d       hidden units, whole number 1–64                                    default 32
    T       sequence length, whole number 1–500                                default 100
    init    how W_h is built: spectral (spectral radius ρ(W_h) = rho),
            singular (‖W_h‖₂ = rho), orthogonal (W_h = rho·Q), identity
            (W_h = rho·I)                                                      default spectral
    rho     scale of W_h, 0–3 (step 0.01)                                      default 1.1
    seed    whole number 0–9999 (W_h, inputs, h_0 and readout u)               default 0
    inputs  random (x_t ~ N(0, 1)) or zero                                     default random
    h0      initial state: random (‖h_0‖ ≈ 1) or zero                          default random
    cells   comma-separated cells to compare, any of rnn, lstm, gru, irnn,
            orthogonal, residual, layernorm (may be empty)                     default rnn,lstm

e.g. /rnn?act=tanh&d=32&T=100&init=spectral&rho=1.1&seed=0&cells=rnn,lstm
"""
from pathlib import Path

import dash
from dash import Input, Output, callback, dcc, html, register_page

from app.cache import cached
from components import rnn_figures
from components.controls import checklist, control_id, control_panel, dropdown, slider
from components.layout import graph, markdown_file, mirror_query_to_url, notice_list, page_frame
from components.params import Choice, ChoiceList, Number, ParamSet
from engine.rnn import CELLS, INITS, PRESETS, bptt, gradient_flow, gradient_modes, regime

PAGE = "rnn"
HERE = Path(__file__).parent
PARAMS = ParamSet((
    Choice("act", "activation σ", "tanh", ("identity", "sigmoid", "tanh", "relu")),
    # d ≤ 64: at d = 128, T = 500 with every cell a request took 1.2 s of CPU (the batched SVD
    # of the 501 Jacobians, the (t, k) map); at d = 64, about 0.55 s (bench/cases_rnn.py).
    Number("d", "hidden units d", 32, 1, 64, integer=True),
    Number("T", "sequence length T", 100, 1, 500, integer=True),
    Choice("init", "construction of W_h", "spectral", INITS),
    Number("rho", "scale ρ of W_h (see construction)", 1.1, 0.0, 3.0, 0.01),
    Number("seed", "seed", 0, 0, 9999, integer=True),
    Choice("inputs", "inputs x_t", "random", ("random", "zero")),
    Choice("h0", "initial state h_0", "random", ("random", "zero")),
    ChoiceList("cells", "cells to compare (remedies plot)", ("rnn", "lstm"), CELLS),
))
INIT_LABELS = {"spectral": "spectral: ρ(W_h) = ρ", "singular": "singular: ‖W_h‖₂ = ρ",
               "orthogonal": "orthogonal: W_h = ρ·Q", "identity": "identity: W_h = ρ·I"}
INPUT_LABELS = {"random": "random, N(0, 1)", "zero": "zero"}
H0_LABELS = {"random": "random, ‖h₀‖ ≈ 1", "zero": "zero (at rest)"}
ENGINE_NAMES = {"rho": "scale"}  # URL parameter → engine.rnn keyword, where they differ
FIGURES = {name: f"{PAGE}-{name}" for name in ("norms", "heatmap", "singular", "flow", "modes")}
STATUS, QUERY = f"{PAGE}-status", f"{PAGE}-query"

register_page(__name__, path="/rnn", name="RNN through time", title="RNN through time · GradLab",
              order=3, description="Backpropagation through time: the same W_h at every step, "
                                   "the bound (γ‖W‖)ᵗ, and the cells that keep gradients alive.")


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
    values, notices = PARAMS.parse(query)
    controls = control_panel([
        preset_links(),
        dropdown(PAGE, PARAMS["act"], values["act"]),
        slider(PAGE, PARAMS["d"], values["d"], updatemode="mouseup"),
        slider(PAGE, PARAMS["T"], values["T"], updatemode="mouseup"),
        dropdown(PAGE, PARAMS["init"], values["init"], INIT_LABELS),
        slider(PAGE, PARAMS["rho"], values["rho"]),
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
        below=markdown_file(HERE / "rnn_equations.md", className="equations"),
    )


def regime_badge(r, T: int):
    bound = r.gamma * r.w_norm
    return html.Div(className="regime", children=[
        html.Span(r.regime, className=f"badge badge-{r.regime}", id=f"{PAGE}-regime"),
        html.Span(f" measured per-step factor ‖∂h_{T}/∂h_0‖^(1/{T}) ≈ {r.rate:.4g}; "
                  f"end to end ‖∂h_{T}/∂h_0‖₂ = {r.jacobian_norms[T]:.4g}. "
                  f"Bound factor γ‖W_h‖₂ = {r.gamma:g}·{r.w_norm:.4g} = {bound:.4g} "
                  f"({regime(bound)}); spectral radius ρ(W_h) = {r.spectral_radius:.4g}."),
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
    inputs={name: Input(control_id(PAGE, name), "value") for name in PARAMS.names},
)
def update(**raw):
    values, notices = PARAMS.parse(raw)
    *figures, badge, overflow = render(**values)
    return (*figures, [badge, notice_list(notices), overflow], PARAMS.query(values))


mirror_query_to_url(QUERY)
