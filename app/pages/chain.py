"""/chain: the scalar chain a_l = σ(w·a_{l−1} + b), closed form against autograd."""
from pathlib import Path

import numpy as np
from dash import Input, Output, callback, html, register_page

from app.cache import cached
from components import chain_figures
from components.controls import control_id, control_panel, dropdown, slider
from components.layout import graph, markdown_file, mirror_query_to_url, notice_list, page_frame
from components.params import Choice, Number, ParamSet
from engine.activations import ACTIVATIONS
from components.text import fmt
from engine.chain import identity_chain_closed_form, regime, scalar_chain, scalar_chain_autograd

PAGE = "chain"
HERE = Path(__file__).parent
PARAMS = ParamSet((
    Number("w", "weight w", 0.9, 0.0, 2.0, 0.01),
    Number("b", "bias b", 0.0, -2.0, 2.0, 0.01),
    Number("x", "input x = a₀", 1.0, -2.0, 2.0, 0.01),
    Number("n", "depth n", 30, 1, 200, integer=True),
    Choice("act", "activation σ", "identity", ACTIVATIONS),
))
ACTIVATIONS_GRAPH, BACKPROP_GRAPH, GRADIENTS_GRAPH = (f"{PAGE}-activations", f"{PAGE}-backprop",
                                                     f"{PAGE}-gradients")
STATUS, QUERY = f"{PAGE}-status", f"{PAGE}-query"

register_page(__name__, path="/chain", name="Scalar chain", title="Scalar chain · GradLab", order=1,
              description="One unit per layer: watch the backprop factor wⁿ⁻ˡ vanish or "
                          "explode, the seed's closed forms (numpy for a nonlinear σ) against "
                          "autograd.")


def layout(**query):
    values, notices = PARAMS.parse(query)
    controls = control_panel([
        slider(PAGE, PARAMS["w"], values["w"]),
        slider(PAGE, PARAMS["b"], values["b"]),
        slider(PAGE, PARAMS["x"], values["x"]),
        slider(PAGE, PARAMS["n"], values["n"]),
        dropdown(PAGE, PARAMS["act"], values["act"]),
    ])
    return page_frame(
        "Scalar chain: a product of n factors",
        markdown_file(HERE / "chain.md", className="intro"),
        notices, controls, [graph(ACTIVATIONS_GRAPH), graph(BACKPROP_GRAPH), graph(GRADIENTS_GRAPH)],
        STATUS, QUERY, below=markdown_file(HERE / "chain_equations.md", className="equations"),
    )


def regime_badge(chain):
    name, factor = regime(chain.factors)
    return html.Div(className="regime", children=[
        html.Span(name, className=f"badge badge-{name}", id=f"{PAGE}-regime"),
        html.Span(f" per-layer factor |w·σ′(h)| ≈ {fmt(factor)} (geometric mean over the "
                  f"{chain.depth} layers); the backprop factor reaching layer 1 is "
                  f"∂aₙ/∂a₁ = {fmt(chain.backprop[1])} (1 at layer n), and end to end "
                  f"∂aₙ/∂x = {fmt(chain.grad_x)}.", id=f"{PAGE}-summary"),
    ])


def overflow_notices(chain) -> list[str]:
    out = []
    if chain.first_nonfinite_activation is not None:
        out.append(f"The activations overflowed the float64 range at layer "
                   f"{chain.first_nonfinite_activation} of {chain.depth}: shown as inf/NaN, "
                   "not an error. This is the explosion itself.")
    if chain.deepest_nonfinite_gradient is not None:
        bad = int(np.sum(~np.isfinite(chain.grad_w)))
        out.append(f"{bad} of {chain.depth} layer gradients are not finite (marked ×).")
    return out


def reference_chain(w, b, x, n, act):
    """What the lines show: the seed's closed forms for the identity chain, else numpy's
    explicit forward pass and chain-rule products."""
    if act == "identity":
        return identity_chain_closed_form(w, b, x, n)
    return scalar_chain(w, b, x, n, act)


@cached
def render(w, b, x, n, act):
    """The three figures, the regime badge and any overflow notice for validated parameters."""
    reference, autograd = reference_chain(w, b, x, n, act), scalar_chain_autograd(w, b, x, n, act)
    return (chain_figures.scalar_activations(reference, autograd),
            chain_figures.scalar_backprop(reference, autograd),
            chain_figures.scalar_gradients(reference, autograd),
            regime_badge(reference),
            notice_list(overflow_notices(reference), kind="overflow"))


@callback(
    Output(ACTIVATIONS_GRAPH, "figure"), Output(BACKPROP_GRAPH, "figure"),
    Output(GRADIENTS_GRAPH, "figure"),
    Output(STATUS, "children"), Output(QUERY, "data"),
    inputs={name: Input(control_id(PAGE, name), "value") for name in PARAMS.names},
)
def update(**raw):
    values, notices = PARAMS.parse(raw)
    *figures, badge, overflow = render(**values)
    return *figures, [badge, notice_list(notices), overflow], PARAMS.query(values)


mirror_query_to_url(QUERY)
