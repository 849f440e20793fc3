"""Figures for the linear-chain pages: pure functions of engine results."""
import numpy as np

from components import plot
from components.plot import Figure
from components.figures import (add_unplottable, base_figure, figure, finite_abs, mark_overflow,
                                set_log_range, signed_log_pair)
from components.theme import CLOSED_FORM, GUIDE, SERIES, SERIES_SYMBOLS
from engine.activations import GAMMA
from engine.chain import MatrixChain, ScalarChain


# What computed each line: the seed's formulas for the identity chain, numpy's explicit
# forward pass and chain-rule product otherwise; the markers are always torch.
ACTIVATION_LINE = {"closed form": "closed form wˡx + b(wˡ−1)/(w−1)",
                   "numpy": "forward pass in numpy"}
AT_ONE = "closed form x + l·b"  # the formula at w = 1, where the quotient is 0/0
BACKPROP_LINE = {"closed form": "closed form wⁿ⁻ˡ", "numpy": "chain rule in numpy ∏ w·σ′(h)"}
GRADIENT_LINE = {"closed form": "closed form aₗ₋₁·wⁿ⁻ˡ",
                 "numpy": "chain rule in numpy aₗ₋₁·σ′(hₗ)·∂aₙ/∂aₗ"}
TORCH_FORWARD, AUTOGRAD = "forward pass in torch", "torch autograd"
BOUND_COLOR = GUIDE  # dashed: a bound is told from the measured line by its dash, not its grey
LEGEND_ROOM = 125  # top margin: the title and up to three legend rows in a half-width figure


def _gamma_text(chain: ScalarChain) -> str:
    return {0.25: "¼"}.get(GAMMA[chain.activation], f"{GAMMA[chain.activation]:g}")


def _add_bound(fig: Figure, x, bound, name: str) -> None:
    fig.add_trace(plot.Scatter(x=x, y=finite_abs(bound), mode="lines", name=name,
                             line=dict(color=BOUND_COLOR, dash="dash", width=1.5),
                             hovertemplate="layer %{x}<br>bound = %{y:.6g}<extra></extra>"))


def scalar_activations(reference: ScalarChain, autograd: ScalarChain) -> Figure:
    n = reference.depth
    fig = base_figure("Activation a<sub>l</sub> per layer", "layer l", "|a<sub>l</sub>|")
    line = (AT_ONE if reference.method == "closed form" and reference.weights[0] == 1.0
            else ACTIVATION_LINE[reference.method])
    signed_log_pair(fig, np.arange(n + 1), reference.activations, autograd.activations, "a",
                    line, TORCH_FORWARD)
    mark_overflow(fig, reference.first_nonfinite_activation, n,
                  f"overflow from layer {reference.first_nonfinite_activation}")
    fig.update_layout(margin_t=LEGEND_ROOM)
    return fig


def _factor_figure(title, ytitle, layers, reference, autograd, field, line, label, bound,
                   bound_name) -> Figure:
    """One per-layer quantity of the chain: the reference line, autograd's markers, the bound
    dashed, non-finite layers shaded."""
    fig = base_figure(title, "layer l", ytitle)
    closed, measured, limit = (getattr(reference, field), getattr(autograd, field),
                               getattr(reference, bound))
    signed_log_pair(fig, layers, closed, measured, label, line[reference.method], AUTOGRAD)
    _add_bound(fig, layers, limit, f"{bound_name}, γ = {_gamma_text(reference)}")
    set_log_range(fig, closed, measured, limit)
    bad = np.flatnonzero(~np.isfinite(closed))
    if bad.size:
        mark_overflow(fig, int(layers[bad[0]]), int(layers[-1]), "not finite")
    fig.update_layout(margin_t=LEGEND_ROOM)
    return fig


def scalar_backprop(reference: ScalarChain, autograd: ScalarChain) -> Figure:
    """The backprop factor ∂a_n/∂a_l = ∏_{j>l} w·σ'(h_j): the seed's w^(n−l), against its
    bound (γ|w|)^(n−l)."""
    return _factor_figure("Backprop factor ∂a<sub>n</sub>/∂a<sub>l</sub> per layer",
                          "|∂a<sub>n</sub>/∂a<sub>l</sub>|", np.arange(reference.depth + 1),
                          reference, autograd, "backprop", BACKPROP_LINE, "∂aₙ/∂aₗ",
                          "backprop_bound", "bound (γ|w|)ⁿ⁻ˡ")


def scalar_gradients(reference: ScalarChain, autograd: ScalarChain) -> Figure:
    """∂a_n/∂w_l = a_{l−1}·σ'(h_l)·∂a_n/∂a_l, against its bound γ|a_{l−1}|(γ|w|)^(n−l)."""
    return _factor_figure("Gradient ∂a<sub>n</sub>/∂w<sub>l</sub> per layer",
                          "|∂a<sub>n</sub>/∂w<sub>l</sub>|", np.arange(1, reference.depth + 1),
                          reference, autograd, "grad_w", GRADIENT_LINE, "∂aₙ/∂wₗ",
                          "grad_w_bound", "bound γ|aₗ₋₁|(γ|w|)ⁿ⁻ˡ")


def _block_label(lam: complex) -> str:
    if abs(lam.imag) < 1e-12:
        return f"λ = {lam.real:.3g}"
    return f"λ = {lam.real:.3g} ± {abs(lam.imag):.3g}i"


def _blocks(eigenvalues) -> list[int]:
    """Each eigenvalue's block: a conjugate pair is one (2-D) block."""
    blocks, block = [], -1
    for lam in eigenvalues:
        block += 0 if lam.imag < -1e-12 else 1
        blocks.append(block)
    return blocks


def eigen_colors(eigenvalues) -> list[str]:
    """One colour per eigenvalue; a conjugate pair shares its colour (one 2-D block)."""
    return [SERIES[b % len(SERIES)] for b in _blocks(eigenvalues)]


def eigen_symbols(eigenvalues) -> list[str]:
    """One marker symbol per block, as the colours: SERIES has four hues for up to 16 blocks,
    the symbol tells them apart (in the eigenvalue plane and the components alike)."""
    return [SERIES_SYMBOLS[b % len(SERIES_SYMBOLS)] for b in _blocks(eigenvalues)]


def matrix_norms(chain: MatrixChain) -> Figure:
    n = len(chain.activations) - 1
    layers = np.arange(n + 1)
    fig = base_figure("Activation norm ‖a<sub>l</sub>‖ per layer", "layer l", "‖a<sub>l</sub>‖₂")
    fig.add_trace(plot.Scatter(x=layers, y=chain.activation_norms, mode="lines+markers",
                             name="‖aₗ‖₂", marker=dict(size=4), line=dict(color=CLOSED_FORM)))
    add_unplottable(fig, layers, chain.activation_norms, "‖aₗ‖")
    set_log_range(fig, chain.activation_norms)
    mark_overflow(fig, chain.first_nonfinite_activation, n,
                  f"overflow from layer {chain.first_nonfinite_activation}")
    return fig


def matrix_gradients(chain: MatrixChain) -> Figure:
    n = len(chain.activations) - 1
    rho = float(np.max(np.abs(chain.eigenvalues)))
    fig = base_figure("‖∂a<sub>n</sub>/∂W<sub>l</sub>‖<sub>F</sub> and ‖∂a<sub>n</sub>/∂a<sub>l</sub>‖₂ per layer",
                      "layer l", "‖∂a<sub>n</sub>/∂W<sub>l</sub>‖<sub>F</sub>, ‖∂a<sub>n</sub>/∂a<sub>l</sub>‖₂")
    # No colour of their own: the template's colorway gives them the look's first two. Told
    # apart by line and marker too (solid ●, dotted ■); the prediction ρ^(n−l) is dashed.
    fig.add_trace(plot.Scatter(x=np.arange(1, n + 1), y=chain.weight_grad_norms, mode="lines+markers",
                             marker=dict(size=4), name="‖∂aₙ/∂Wₗ‖_F"))
    fig.add_trace(plot.Scatter(x=np.arange(n + 1), y=chain.state_grad_norms, mode="lines+markers",
                             marker=dict(size=4, symbol="square"), line=dict(dash="dot"),
                             name="‖∂aₙ/∂aₗ‖₂"))
    with np.errstate(over="ignore"):
        reference = rho ** (n - np.arange(n + 1.0))
    fig.add_trace(plot.Scatter(x=np.arange(n + 1), y=reference, mode="lines",
                             line=dict(dash="dash", color=GUIDE), name=f"ρ^(n−l), ρ = {rho:.3g}"))
    add_unplottable(fig, np.arange(1, n + 1), chain.weight_grad_norms, "‖∂aₙ/∂Wₗ‖_F")
    set_log_range(fig, chain.weight_grad_norms, chain.state_grad_norms)
    return fig


def matrix_eigen_components(chain: MatrixChain, activation: str) -> Figure:
    """Measured |(V⁻¹a_l)_i| per eigen-block (solid) and, for σ = identity, where the
    prediction holds exactly, |c_i|·|λ_i|ˡ with c = V⁻¹a₀ (dashed)."""
    n = len(chain.activations) - 1
    layers = np.arange(n + 1)
    linear = activation == "identity"
    note = ("solid: measured; dashed: |c<sub>i</sub>||λ<sub>i</sub>|<sup>l</sup>, c = V<sup>−1</sup>a₀"
            if linear else "measured; no λ<sup>l</sup> prediction for a nonlinear σ")
    fig = figure("Eigen-components |(V<sup>−1</sup>a<sub>l</sub>)<sub>i</sub>|", "layer l",
                 "|(V<sup>−1</sup>a<sub>l</sub>)<sub>i</sub>|", n, [note])
    colors, symbols = eigen_colors(chain.eigenvalues), eigen_symbols(chain.eigenvalues)
    for i, lam in enumerate(chain.eigenvalues):
        if lam.imag < -1e-12:  # the conjugate's column carries the same magnitude
            continue
        label = _block_label(lam)
        # a block's symbol (as in the eigenvalue plane) on a dozen of its points: blocks past
        # the four hues, and in grey scale, differ by it; the prediction stays a plain dash
        fig.add_trace(plot.Scatter(x=layers, y=chain.eigen_coordinates[:, i], mode="lines+markers",
                                 line=dict(color=colors[i]), name=label, legendgroup=str(i),
                                 marker=dict(symbol=symbols[i], size=7, maxdisplayed=12)))
        if linear:
            fig.add_trace(plot.Scatter(x=layers, y=chain.eigen_prediction[:, i], mode="lines",
                                     line=dict(color=colors[i], dash="dash"),
                                     name=f"{label}: |c|·|λ|ˡ", legendgroup=str(i),
                                     showlegend=False))
    set_log_range(fig, chain.eigen_coordinates, *([chain.eigen_prediction] if linear else []))
    return fig


def eigenvalue_plane(chain: MatrixChain) -> Figure:
    theta = np.linspace(0, 2 * np.pi, 181)
    lam = chain.eigenvalues
    rho = float(np.max(np.abs(lam)))
    fig = base_figure("Eigenvalues of W", "Re λ", "Im λ", log_y=False)
    # guides in GUIDE grey (#999 was 2.8:1 on white), solid and dotted
    fig.add_trace(plot.Scatter(x=np.cos(theta), y=np.sin(theta), mode="lines", name="unit circle",
                             line=dict(color=GUIDE)))
    fig.add_trace(plot.Scatter(x=rho * np.cos(theta), y=rho * np.sin(theta), mode="lines",
                             name=f"spectral radius ρ = {rho:.3g}",
                             line=dict(color=GUIDE, dash="dot")))
    fig.add_trace(plot.Scatter(x=lam.real, y=lam.imag, mode="markers", name="λᵢ",
                             marker=dict(size=11, color=eigen_colors(lam),
                                         symbol=eigen_symbols(lam),
                                         line=dict(width=1, color="black")),
                             hovertemplate="λ = %{x:.4g} %{y:+.4g}i<extra></extra>"))
    extent = max(1.2, rho * 1.15)
    zero = dict(zeroline=True, zerolinecolor=GUIDE)  # plotly's #444 is 2:1 on dark
    fig.update_layout(xaxis=dict(range=[-extent, extent], **zero),
                      yaxis=dict(range=[-extent, extent], **zero, scaleanchor="x",
                                 scaleratio=1))
    return fig
