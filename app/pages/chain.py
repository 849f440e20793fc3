"""/chain: the scalar chain a_l = σ(w·a_{l−1} + b), closed form against autograd."""
from pathlib import Path

import numpy as np
from dash import register_page

from app.parameter_page import serve
from components import chain_figures
from components.page import Figure, PageView, ParameterPage
from components.params import Choice, Number, ParamSet
from components.status import overflowed, regime_badge
from components.summaries import agreement, ratio, regime_word
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
    intro=HERE / "chain.md", equations=HERE / "chain_equations.md", code=True,
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


# ---------------------------------------------------------------- the figures' text alternatives
# What the line is: the seed's formulas for σ = identity, numpy's explicit pass otherwise.
REFERENCE = {"closed form": "The closed form", "numpy": "Numpy's chain rule"}
TORCH_FORWARD = "torch's forward pass"


def activations_summary(ref, auto) -> str:
    n, a = ref.depth, ref.activations
    text = (f"Activation aₗ per layer, |aₗ| on a log scale: {fmt(a[0])} at layer 0 (the input "
            f"x) and {fmt(a[n])} at layer {n}")
    if ref.first_nonfinite_activation is not None:  # overflow is physics: say where it began
        text += f"; overflowed to inf/NaN from layer {ref.first_nonfinite_activation} on"
    who = "The closed form" if ref.method == "closed form" else "Numpy's forward pass"
    return f"{text}. {agreement(who, TORCH_FORWARD, a, auto.activations)}."


def backprop_summary(ref, auto) -> str:
    n, bp = ref.depth, ref.backprop
    text = "Backprop factor |∂aₙ/∂aₗ| per layer with its bound (γ|w|)ⁿ⁻ˡ: "
    text += (f"the signal reaching layer 1 is {fmt(bp[1])} times layer {n}'s and the input "
             f"(layer 0) gets {fmt(bp[0])} times" if n > 1 else
             f"{fmt(bp[n])} at layer 1 and {fmt(bp[0])} at the input (layer 0)")
    bad = np.flatnonzero(~np.isfinite(bp))
    if bad.size:  # the backward pass runs from layer n down: it broke at the highest bad layer
        text += f", not finite from layer {int(bad[-1])} down"
    text += f"; about {fmt(ref.rate)} per layer: {regime_word(ref.regime)}"
    return f"{text}. {agreement(REFERENCE[ref.method], 'autograd', bp, auto.backprop)}."


def gradients_summary(ref, auto) -> str:
    n, g = ref.depth, ref.grad_w
    text = "Weight gradient |∂aₙ/∂wₗ| per layer with its bound γ|aₗ₋₁|(γ|w|)ⁿ⁻ˡ: "
    if n == 1:
        text += f"{fmt(g[0])} at the only layer"
    else:
        text += f"{fmt(g[-1])} at layer {n} (next to the output) and {fmt(g[0])} at layer 1"
        share = ratio(g[0], g[-1])
        if share is not None:
            text += f", so layer 1 gets {fmt(share)} of layer {n}'s"
    bad = int(np.sum(~np.isfinite(g)))
    if bad:
        text += (f"; {bad} of {n} layers' gradients are not finite, the first the "
                 f"backward pass meets at layer {ref.deepest_nonfinite_gradient}")
    return f"{text}. {agreement(REFERENCE[ref.method], 'autograd', g, auto.grad_w)}."


@serve(PAGE)
def view(**values) -> PageView:
    """The three figures, their text alternatives, the regime badge and any overflow notice
    for validated values."""
    args = PARAMS.engine_args(values)
    reference, autograd = reference_chain(**args), scalar_chain_autograd(**args)
    return PageView(
        figures={"activations": chain_figures.scalar_activations(reference, autograd),
                 "backprop": chain_figures.scalar_backprop(reference, autograd),
                 "gradients": chain_figures.scalar_gradients(reference, autograd)},
        explained=[regime_badge(PAGE.name, reference.regime, summary(reference))],
        overflow=overflow_notices(reference),
        summaries={"activations": activations_summary(reference, autograd),
                   "backprop": backprop_summary(reference, autograd),
                   "gradients": gradients_summary(reference, autograd)})

