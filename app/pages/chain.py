"""/chain: the scalar chain a_l = σ(w·a_{l−1} + b), closed form against autograd."""
from pathlib import Path

import numpy as np
from dash import register_page

from app.parameter_page import serve
from components import chain_figures
from components.page import Figure, PageView, ParameterPage
from components.params import Choice, Number, ParamSet
from components.status import overflowed, regime_badge
from components.text import fmt
from engine.activations import ACTIVATIONS
from engine.chain import reference_chain, scalar_chain_autograd

HERE = Path(__file__).parent
PAGE = ParameterPage(
    name="chain", title="Scalar chain: a product of n factors",
    params=ParamSet((
        Number("w", "weight w", 0.9, 0.0, 2.0, 0.01),
        Number("b", "bias b", 0.0, -2.0, 2.0, 0.01),
        Number("x", "input x = a₀", 1.0, -2.0, 2.0, 0.01),
        Number("n", "depth n", 30, 1, 200, integer=True),
        Choice("act", "activation σ", "identity", ACTIVATIONS, engine="activation"),
    )),
    figures=(Figure("activations"), Figure("backprop"), Figure("gradients")),
    intro=HERE / "chain.md", equations=HERE / "chain_equations.md",
)
PARAMS = PAGE.params

register_page(__name__, path="/chain", name="Scalar chain", title="Scalar chain · GradLab", order=1,
              description="One unit per layer: watch the backprop factor wⁿ⁻ˡ vanish or "
                          "explode, the seed's closed forms (numpy for a nonlinear σ) against "
                          "autograd.")


def layout(**query):
    return PAGE.layout(query)


def summary(chain) -> str:
    return (f" per-layer factor |w·σ′(h)| ≈ {fmt(chain.rate)} (geometric mean over the "
            f"{chain.depth} layers); the backprop factor reaching layer 1 is "
            f"∂aₙ/∂a₁ = {fmt(chain.backprop[1])} (1 at layer n), and end to end "
            f"∂aₙ/∂x = {fmt(chain.grad_x)}.")


def overflow_notices(chain) -> list[str]:
    out = []
    if chain.first_nonfinite_activation is not None:
        out.append(overflowed("The activations", f" at layer {chain.first_nonfinite_activation} "
                                                 f"of {chain.depth}"))
    if chain.deepest_nonfinite_gradient is not None:
        bad = int(np.sum(~np.isfinite(chain.grad_w)))
        out.append(f"{bad} of {chain.depth} layer gradients are not finite (marked ×).")
    return out


@serve(PAGE)
def view(**values) -> PageView:
    """The three figures, the regime badge and any overflow notice for validated values."""
    args = PARAMS.engine_args(values)
    reference, autograd = reference_chain(**args), scalar_chain_autograd(**args)
    return PageView(
        figures={"activations": chain_figures.scalar_activations(reference, autograd),
                 "backprop": chain_figures.scalar_backprop(reference, autograd),
                 "gradients": chain_figures.scalar_gradients(reference, autograd)},
        explained=[regime_badge(PAGE.name, reference.regime, summary(reference))],
        overflow=overflow_notices(reference))

