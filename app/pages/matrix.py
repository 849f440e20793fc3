"""/matrix: the matrix chain a_l = σ(W a_{l−1}) with the eigenvalues of W under the user's hands."""
from pathlib import Path

import numpy as np
from dash import Input, Output, callback, html, register_page

from app.cache import cached
from components import chain_figures
from components.controls import control_id, control_panel, dropdown, slider
from components.layout import graph, markdown_file, mirror_query_to_url, notice_list, page_frame
from components.params import Choice, Number, NumberList, ParamSet
from components.text import fmt
from engine.activations import ACTIVATIONS
from engine.chain import matrix_chain, regime, spectrum

PAGE = "matrix"
HERE = Path(__file__).parent
MAX_SLIDERS = 8
EIGEN = Number("lam", "λ", 0.9, -2.0, 2.0, 0.01)  # the look of each eigenvalue slider
PARAMS = ParamSet((
    NumberList("eig", "eigenvalues λ₁…λₖ", (1.05, 0.9, 0.5), EIGEN.lo, EIGEN.hi, MAX_SLIDERS),
    Number("d", "dimension d", 3, 1, 16, integer=True),
    Number("rot", "complex pair λ₁e^(±iθ): angle θ in degrees", 0.0, 0.0, 180.0, 1.0),
    Number("nn", "non-normality κ (cond V = 10^κ)", 0.0, 0.0, 3.0, 0.1),
    Number("n", "depth n", 40, 1, 200, integer=True),
    Choice("act", "activation σ", "identity", ACTIVATIONS),
    Number("seed", "seed", 0, 0, 9999, integer=True),
))
COUNT = Number("k", "number of distinct eigenvalues k", 3, 1, MAX_SLIDERS, integer=True)
FIGURES = {name: f"{PAGE}-{name}" for name in ("norms", "gradients", "components", "plane")}
STATUS, QUERY = f"{PAGE}-status", f"{PAGE}-query"
EIGEN_FILL = 0.5  # value shown on the sliders a URL leaves unset

register_page(__name__, path="/matrix", name="Matrix chain", title="Matrix chain · GradLab", order=2,
              description="Matrices with the eigenvalues you choose: the spectral radius "
                          "decides, and non-normal matrices surprise.")


def eigen_slider_id(i: int) -> str:
    return control_id(PAGE, f"lam{i + 1}")


def layout(**query):
    values, notices = PARAMS.parse(query)
    if "d" not in query:
        values["d"] = len(values["eig"])  # a bare eig list sets the dimension
    eig = values["eig"]
    shown = list(eig) + [EIGEN_FILL] * (MAX_SLIDERS - len(eig))
    eigen_sliders = [
        slider(PAGE, Number(f"lam{i + 1}", f"λ{i + 1}", 0.0, EIGEN.lo, EIGEN.hi, EIGEN.step),
               shown[i], disabled=i >= len(eig))
        for i in range(MAX_SLIDERS)
    ]
    controls = control_panel([
        slider(PAGE, COUNT, len(eig), updatemode="mouseup"),
        html.Div(eigen_sliders, className="eigen-sliders"),
        slider(PAGE, PARAMS["rot"], values["rot"]),
        slider(PAGE, PARAMS["nn"], values["nn"]),
        slider(PAGE, PARAMS["d"], values["d"], updatemode="mouseup"),
        slider(PAGE, PARAMS["n"], values["n"]),
        dropdown(PAGE, PARAMS["act"], values["act"]),
        slider(PAGE, PARAMS["seed"], values["seed"], updatemode="mouseup"),
    ])
    return page_frame(
        "Matrix chain: eigenvalues decide",
        markdown_file(HERE / "matrix.md", className="intro"),
        notices, controls, [graph(f) for f in FIGURES.values()], STATUS, QUERY,
        below=markdown_file(HERE / "matrix_equations.md", className="equations"),
    )


def overflow_notices(chain, n: int) -> list[str]:
    if chain.first_nonfinite_activation is None and chain.deepest_nonfinite_gradient is None:
        return []
    where = chain.first_nonfinite_activation
    return ["Values overflowed the float64 range"
            + (f" from layer {where} of {n}" if where is not None else "")
            + ": shown as inf/NaN, not an error. This is the explosion itself."]


@cached
def render(eig: list, d: int, rot: float, nn: float, n: int, act: str, seed: int):
    """The four figures, the regime badge and any overflow notice for validated parameters."""
    lam = spectrum(eig, d, rot)
    chain = matrix_chain(lam, n, act, nn, seed)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = chain.state_grad_norms[:-1] / chain.state_grad_norms[1:]
    name, factor = regime(ratios[np.isfinite(ratios)])
    rho = float(np.max(np.abs(lam)))
    badge = html.Div(className="regime", children=[
        html.Span(name, className=f"badge badge-{name}", id=f"{PAGE}-regime"),
        html.Span(f" spectral radius ρ = {fmt(rho)}; measured gradient factor per layer "
                  f"‖∂aₙ/∂a₀‖₂^(1/n) ≈ {fmt(factor)}", id=f"{PAGE}-summary"),
    ])
    return (chain_figures.matrix_norms(chain), chain_figures.matrix_gradients(chain),
            chain_figures.matrix_eigen_components(chain, act), chain_figures.eigenvalue_plane(chain),
            badge, notice_list(overflow_notices(chain, n), kind="overflow"))


@callback(
    *[Output(f, "figure") for f in FIGURES.values()],
    Output(STATUS, "children"), Output(QUERY, "data"),
    *[Output(eigen_slider_id(i), "disabled") for i in range(MAX_SLIDERS)],
    inputs=dict(
        k=Input(control_id(PAGE, "k"), "value"),
        sliders=[Input(eigen_slider_id(i), "value") for i in range(MAX_SLIDERS)],
        **{name: Input(control_id(PAGE, name), "value") for name in PARAMS.names if name != "eig"},
    ),
)
def update(k, sliders, **raw):
    k, k_notice = COUNT.parse(k)
    if not isinstance(sliders, (list, tuple)):
        sliders = []
    values, notices = PARAMS.parse({**raw, "eig": list(sliders)[:k]})
    notices = ([k_notice] if k_notice else []) + notices
    if values["rot"] and values["d"] < 2:
        notices.append("A complex pair needs d ≥ 2; using real eigenvalues.")
    *figures, badge, overflow = render(**values)
    disabled = [i >= len(values["eig"]) for i in range(MAX_SLIDERS)]
    return (*figures, [badge, notice_list(notices), overflow], PARAMS.query(values), *disabled)


mirror_query_to_url(QUERY)
