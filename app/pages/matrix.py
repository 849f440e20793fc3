"""/matrix: the matrix chain a_l = σ(W a_{l−1}) with the eigenvalues of W under the user's hands.

URL parameters: eig (1–8 comma-separated eigenvalues, each −2…2), d (dimension 1–16; without
it, the number of eigenvalues), rot (θ in degrees: λ₁ becomes the pair λ₁e^(±iθ), which needs
d ≥ 2), kappa (non-normality κ, cond V = 10^κ; `nn` is its older name and still read), n, act,
seed. e.g. /matrix?eig=1.05,0.9,0.5&n=40&act=tanh&seed=0
"""
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dash import html, register_page

from app.parameter_page import serve
from components import chain_figures
from components.controls import slider
from components.page import Control, Figure, PageView, ParameterPage
from components.params import Choice, Number, NumberList, ParamSet
from components.status import overflowed, regime_badge
from components.summaries import agreement, last_finite, ratio, regime_word
from components.text import fmt
from engine.activations import ACTIVATIONS
from engine.chain import matrix_chain_from_eigenvalues

HERE = Path(__file__).parent
MAX_SLIDERS = 8
EIGEN_FILL = 0.5  # value shown on the sliders a URL leaves unset
COUNT = Number("k", "number of distinct eigenvalues k", 3, 1, MAX_SLIDERS, integer=True)


def real_unless_room(values: dict) -> list[str]:
    """A complex pair takes two dimensions: at d = 1 the eigenvalues stay real (and rot = 0
    says so in the URL, so a shared link reproduces what is shown)."""
    if values["rot"] and values["d"] < 2:
        values["rot"] = 0.0
        return ["A complex pair needs d ≥ 2; using real eigenvalues."]
    return []


PARAMS = ParamSet((
    NumberList("eig", "eigenvalues λ₁…λₖ", (1.05, 0.9, 0.5), -2.0, 2.0, MAX_SLIDERS),
    Number("d", "dimension d", 3, 1, 16, integer=True, live=False,
           default_from=lambda v: len(v["eig"])),  # a bare eig list sets the dimension
    Number("rot", "complex pair λ₁e^(±iθ): angle θ in degrees", 0.0, 0.0, 180.0, 1.0,
           engine="rotation_deg"),
    Number("kappa", "non-normality κ (cond V = 10^κ)", 0.0, 0.0, 3.0, 0.1,
           engine="non_normality", aliases=("nn",)),
    Number("n", "depth n", 40, 1, 200, integer=True),
    Choice("act", "activation σ", "identity", ACTIVATIONS, engine="activation"),
    Number("seed", "seed", 0, 0, 9999, integer=True, live=False),
), check=real_unless_room)


@dataclass(frozen=True)
class EigenvalueSliders(Control):
    """k, and one slider per eigenvalue (those beyond k disabled): together the `eig` list."""

    def shows(self, page):
        return ("eig",)  # a lesson link locks or hides k and every λ slider with it

    def slider_id(self, page, i: int) -> str:
        return page.control_id(f"lam{i + 1}")

    def component(self, page, values):
        eig = values["eig"]
        shown = list(eig) + [EIGEN_FILL] * (MAX_SLIDERS - len(eig))
        spec = page.params["eig"]
        return [
            slider(page.name, COUNT, len(eig), updatemode="mouseup"),
            html.Div(className="eigen-sliders", children=[
                slider(page.name, Number(f"lam{i + 1}", f"λ{i + 1}", 0.0, spec.lo, spec.hi,
                                         spec.step), shown[i], disabled=i >= len(eig))
                for i in range(MAX_SLIDERS)]),
        ]

    def inputs(self, page):
        return {"k": (page.control_id("k"), "value"),
                **{f"lam{i + 1}": (self.slider_id(page, i), "value") for i in range(MAX_SLIDERS)}}

    def read(self, page, inputs, trigger):
        k, notice = COUNT.parse(inputs["k"])
        return {"eig": [inputs[f"lam{i + 1}"] for i in range(k)]}, [notice] if notice else []

    def outputs(self, page):
        return [(self.slider_id(page, i), "disabled") for i in range(MAX_SLIDERS)]

    def refresh(self, page, values):
        return [i >= len(values["eig"]) for i in range(MAX_SLIDERS)]


PAGE = ParameterPage(
    name="matrix", title="Matrix chain: eigenvalues decide", params=PARAMS,
    figures=tuple(Figure(name) for name in ("norms", "gradients", "components", "plane")),
    intro=HERE / "matrix.md", equations=HERE / "matrix_equations.md", code=True,
    panel=(EigenvalueSliders(), "rot", "kappa", "d", "n", "act", "seed"),
)

register_page(__name__, path="/matrix", name="Matrix chain", title="Matrix chain · GradLab", order=2,
              description="Matrices with the eigenvalues you choose: the spectral radius "
                          "decides, and non-normal matrices surprise.")


def layout(**query):
    return PAGE.layout(query)


def overflow_notices(chain, n: int) -> list[str]:
    if chain.first_nonfinite_activation is None and chain.deepest_nonfinite_gradient is None:
        return []
    where = chain.first_nonfinite_activation
    return [overflowed("Values", f" from layer {where} of {n}" if where is not None else "")]


# ---------------------------------------------------------------- the figures' text alternatives


def norms_summary(chain, n: int) -> str:
    a = chain.activation_norms
    text = (f"Activation norm ‖aₗ‖₂ per layer: {fmt(a[0])} at layer 0 and {fmt(a[n])} at "
            f"layer {n}")
    finite = np.where(np.isfinite(a), a, -np.inf)
    peak = int(np.argmax(finite))
    if 0 < peak < n and np.isfinite(a[peak]):  # growth on the way (a non-normal W): say where
        text += f", largest on the way: {fmt(a[peak])} at layer {peak}"
    bad = np.flatnonzero(~np.isfinite(a))
    if bad.size:  # overflow is physics: say where it began (the norm's squares go first)
        text += f"; overflowed to inf/NaN from layer {int(bad[0])} on"
        entries = chain.first_nonfinite_activation
        if entries is not None and entries != bad[0]:
            text += f" (the entries of aₗ themselves from layer {entries})"
    return text + "."


def gradients_summary(chain, n: int) -> str:
    s, w = chain.state_grad_norms, chain.weight_grad_norms
    text = (f"‖∂aₙ/∂aₗ‖₂ per layer against ρⁿ⁻ˡ (ρ = {fmt(chain.spectral_radius)}): "
            f"{fmt(s[n])} at layer {n} and {fmt(s[0])} at layer 0, about {fmt(chain.rate)} "
            f"per layer: {regime_word(chain.regime)}. The weight gradient ‖∂aₙ/∂Wₗ‖_F is ")
    text += (f"{fmt(w[0])} at the only layer" if n == 1 else
             f"{fmt(w[0])} at layer 1 and {fmt(w[-1])} at layer {n}")
    bad = int(np.sum(~np.isfinite(w)))
    if bad:
        text += f"; not finite at {bad} of {n} layers"
    return text + "."


def eigen_label(lam: complex) -> str:
    """An eigen-block as its legend names it (3 digits, chain_figures._block_label)."""
    if abs(lam.imag) < 1e-12:
        return f"λ = {fmt(lam.real, 3)}"
    return f"λ = {fmt(lam.real, 3)} ± {fmt(abs(lam.imag), 3)}i"


def components_summary(chain, n: int, linear: bool) -> str:
    # one line per eigen-block: a conjugate pair's second column repeats the first
    cols = [i for i, lam in enumerate(chain.eigenvalues) if lam.imag >= -1e-12]
    coords = chain.eigen_coordinates[:, cols]
    text = "Eigen-components |(V⁻¹aₗ)ᵢ| per layer, one line per eigenvalue"
    text += " with the prediction |cᵢ||λᵢ|ˡ" if linear else ""
    L = last_finite(coords)
    if L is None:
        return text + ": not finite at any layer."
    at = coords[L]
    order = sorted(range(len(cols)), key=lambda j: -at[j])
    label = [eigen_label(chain.eigenvalues[i]) for i in cols]
    top = order[0]
    text += f": at layer {L} the largest is the one along {label[top]}, {fmt(at[top])}"
    if len(order) > 1:
        nxt = order[1]
        times = ratio(at[top], at[nxt])
        text += (f", {fmt(times)} times the next, along {label[nxt]}" if times is not None else
                 f"; the next, along {label[nxt]}, is {fmt(at[nxt])}")
    if L < n:
        text += f"; not finite after layer {L}"
    if linear:
        predicted = chain.eigen_prediction[:, cols]
        text += ". " + agreement("Measured", "predicted", coords, predicted, where="values")
        worst = worst_agreement(coords, predicted)
        if worst is not None:  # visibly apart: where rounding noise outgrew a small component
            layer, j = worst
            text += f", farthest apart along {label[j]} at layer {layer}"
    return text + "."


def worst_agreement(measured, predicted, visible: float = 0.01):
    """(layer, component) where measured and predicted differ most, if by `visible` or more."""
    with np.errstate(all="ignore"):
        scale = np.maximum(np.abs(measured), np.abs(predicted))
        rel = np.where(scale > 0, np.abs(measured - predicted) / scale, 0.0)
    rel = np.where(np.isfinite(rel), rel, -1.0)
    if rel.max() < visible:
        return None
    layer, j = np.unravel_index(int(np.argmax(rel)), rel.shape)
    return int(layer), int(j)


def plane_summary(chain) -> str:
    lam = chain.eigenvalues
    outside = int(np.sum(np.abs(lam) > 1 + 1e-12))
    rho = f"spectral radius ρ = {fmt(chain.spectral_radius)} (the circle of that radius)"
    if len(lam) == 1:
        where = "outside" if outside else "on or inside"
        return (f"The one eigenvalue of W on the complex plane with the unit circle, "
                f"{eigen_label(lam[0])}: {rho}, {where} the unit circle.")
    text = (f"The {len(lam)} eigenvalues of W on the complex plane with the unit circle: {rho}, "
            + (f"{outside} of them outside the unit circle" if outside else
               "none of them outside the unit circle"))
    pair = lam[lam.imag > 1e-12]
    if pair.size:  # the rotated λ₁ and its conjugate
        text += f"; one complex pair at angle ±{fmt(np.degrees(np.angle(pair[0])))}°"
    return text + "."


@serve(PAGE)
def view(**values) -> PageView:
    """The four figures, their text alternatives, the regime badge and any overflow notice
    for validated values."""
    chain = matrix_chain_from_eigenvalues(**PARAMS.engine_args(values))
    n = values["n"]
    summary = (f" spectral radius ρ = {fmt(chain.spectral_radius)}; measured gradient factor "
               f"per layer ‖∂aₙ/∂a₀‖₂^(1/n) ≈ {fmt(chain.rate)}")
    return PageView(
        figures={"norms": chain_figures.matrix_norms(chain),
                 "gradients": chain_figures.matrix_gradients(chain),
                 "components": chain_figures.matrix_eigen_components(chain, values["act"]),
                 "plane": chain_figures.eigenvalue_plane(chain)},
        explained=[regime_badge(PAGE.name, chain.regime, summary)],
        overflow=overflow_notices(chain, values["n"]),
        summaries={"norms": norms_summary(chain, n), "gradients": gradients_summary(chain, n),
                   "components": components_summary(chain, n, values["act"] == "identity"),
                   "plane": plane_summary(chain)})
