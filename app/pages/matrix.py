"""/matrix: the matrix chain a_l = σ(W a_{l−1}) with the eigenvalues of W under the user's hands.

URL parameters: eig (1–8 comma-separated eigenvalues, each −2…2), d (dimension 1–16; without
it, the number of eigenvalues), rot (θ in degrees: λ₁ becomes the pair λ₁e^(±iθ), which needs
d ≥ 2), kappa (non-normality κ, cond V = 10^κ; `nn` is its older name and still read), n, act,
seed. e.g. /matrix?eig=1.05,0.9,0.5&n=40&act=tanh&seed=0
"""
from dataclasses import dataclass
from pathlib import Path

from dash import html, register_page

from app.parameter_page import serve
from components import chain_figures
from components.controls import slider
from components.page import Control, Figure, PageView, ParameterPage
from components.params import Choice, Number, NumberList, ParamSet
from components.status import overflowed, regime_badge
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
    intro=HERE / "matrix.md", equations=HERE / "matrix_equations.md",
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


@serve(PAGE)
def view(**values) -> PageView:
    """The four figures, the regime badge and any overflow notice for validated values."""
    chain = matrix_chain_from_eigenvalues(**PARAMS.engine_args(values))
    summary = (f" spectral radius ρ = {fmt(chain.spectral_radius)}; measured gradient factor "
               f"per layer ‖∂aₙ/∂a₀‖₂^(1/n) ≈ {fmt(chain.rate)}")
    return PageView(
        figures={"norms": chain_figures.matrix_norms(chain),
                 "gradients": chain_figures.matrix_gradients(chain),
                 "components": chain_figures.matrix_eigen_components(chain, values["act"]),
                 "plane": chain_figures.eigenvalue_plane(chain)},
        explained=[regime_badge(PAGE.name, chain.regime, summary)],
        overflow=overflow_notices(chain, values["n"]))
