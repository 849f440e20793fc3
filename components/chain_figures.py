"""Figures for the linear-chain pages: pure functions of engine results."""
import numpy as np
import plotly.graph_objects as go

from components.figures import (add_unplottable, base_figure, mark_overflow, set_log_range,
                                signed_log_pair)
from components.theme import CLOSED_FORM, SERIES
from engine.chain import MatrixChain, ScalarChain


def scalar_activations(closed: ScalarChain, autograd: ScalarChain) -> go.Figure:
    n = closed.depth
    fig = base_figure("Activation a<sub>l</sub> per layer", "layer l", "|a<sub>l</sub>|")
    signed_log_pair(fig, np.arange(n + 1), closed.activations, autograd.activations, "a")
    mark_overflow(fig, closed.first_nonfinite_activation, n,
                  f"overflow from layer {closed.first_nonfinite_activation}")
    return fig


def scalar_gradients(closed: ScalarChain, autograd: ScalarChain) -> go.Figure:
    n = closed.depth
    fig = base_figure("Gradient ∂a<sub>n</sub>/∂w<sub>l</sub> per layer", "layer l",
                      "|∂a<sub>n</sub>/∂w<sub>l</sub>|")
    signed_log_pair(fig, np.arange(1, n + 1), closed.grad_w, autograd.grad_w, "∂aₙ/∂wₗ")
    bad = np.flatnonzero(~np.isfinite(closed.grad_w))
    if bad.size:
        mark_overflow(fig, int(bad[0]) + 1, n, "gradient not finite")
    return fig


def _block_label(lam: complex) -> str:
    if abs(lam.imag) < 1e-12:
        return f"λ = {lam.real:.3g}"
    return f"λ = {lam.real:.3g} ± {abs(lam.imag):.3g}i"


def eigen_colors(eigenvalues) -> list[str]:
    """One colour per eigenvalue; a conjugate pair shares its colour (one 2-D block)."""
    colors, block = [], -1
    for lam in eigenvalues:
        block += 0 if lam.imag < -1e-12 else 1
        colors.append(SERIES[block % len(SERIES)])
    return colors


def matrix_norms(chain: MatrixChain) -> go.Figure:
    n = len(chain.activations) - 1
    layers = np.arange(n + 1)
    fig = base_figure("Activation norm ‖a<sub>l</sub>‖ per layer", "layer l", "‖a<sub>l</sub>‖₂")
    fig.add_trace(go.Scatter(x=layers, y=chain.activation_norms, mode="lines+markers",
                             name="‖aₗ‖₂", marker=dict(size=4), line=dict(color=CLOSED_FORM)))
    add_unplottable(fig, layers, chain.activation_norms, "‖aₗ‖")
    set_log_range(fig, chain.activation_norms)
    mark_overflow(fig, chain.first_nonfinite_activation, n,
                  f"overflow from layer {chain.first_nonfinite_activation}")
    return fig


def matrix_gradients(chain: MatrixChain) -> go.Figure:
    n = len(chain.activations) - 1
    rho = float(np.max(np.abs(chain.eigenvalues)))
    fig = base_figure("Gradient norms per layer", "layer l", "norm")
    fig.add_trace(go.Scatter(x=np.arange(1, n + 1), y=chain.weight_grad_norms, mode="lines+markers",
                             marker=dict(size=4), name="‖∂aₙ/∂Wₗ‖_F"))
    fig.add_trace(go.Scatter(x=np.arange(n + 1), y=chain.state_grad_norms, mode="lines+markers",
                             marker=dict(size=4), name="‖∂aₙ/∂aₗ‖₂"))
    with np.errstate(over="ignore"):
        reference = rho ** (n - np.arange(n + 1.0))
    fig.add_trace(go.Scatter(x=np.arange(n + 1), y=reference, mode="lines",
                             line=dict(dash="dash", color="#777"), name=f"ρ^(n−l), ρ = {rho:.3g}"))
    add_unplottable(fig, np.arange(1, n + 1), chain.weight_grad_norms, "‖∂aₙ/∂Wₗ‖")
    set_log_range(fig, chain.weight_grad_norms, chain.state_grad_norms)
    return fig


def matrix_eigen_components(chain: MatrixChain) -> go.Figure:
    """Measured |coordinate of a_l along each eigenvector| (solid) against c_i|λ_i|ˡ (dashed)."""
    n = len(chain.activations) - 1
    layers = np.arange(n + 1)
    fig = base_figure("Eigen-components: measured (solid), c<sub>i</sub>λ<sub>i</sub><sup>l</sup> (dashed)",
                      "layer l", "|component of aₗ|")
    colors = eigen_colors(chain.eigenvalues)
    for i, lam in enumerate(chain.eigenvalues):
        if lam.imag < -1e-12:  # the conjugate's column carries the same magnitude
            continue
        label = _block_label(lam)
        fig.add_trace(go.Scatter(x=layers, y=chain.eigen_coordinates[:, i], mode="lines",
                                 line=dict(color=colors[i]), name=label, legendgroup=str(i)))
        fig.add_trace(go.Scatter(x=layers, y=chain.eigen_prediction[:, i], mode="lines",
                                 line=dict(color=colors[i], dash="dash"), name=f"{label} theory",
                                 legendgroup=str(i), showlegend=False))
    set_log_range(fig, chain.eigen_coordinates, chain.eigen_prediction)
    return fig


def eigenvalue_plane(chain: MatrixChain) -> go.Figure:
    theta = np.linspace(0, 2 * np.pi, 181)
    lam = chain.eigenvalues
    rho = float(np.max(np.abs(lam)))
    fig = base_figure("Eigenvalues of W", "Re λ", "Im λ", log_y=False)
    fig.add_trace(go.Scatter(x=np.cos(theta), y=np.sin(theta), mode="lines", name="unit circle",
                             line=dict(color="#999")))
    fig.add_trace(go.Scatter(x=rho * np.cos(theta), y=rho * np.sin(theta), mode="lines",
                             name=f"spectral radius ρ = {rho:.3g}", line=dict(color="#999", dash="dot")))
    fig.add_trace(go.Scatter(x=lam.real, y=lam.imag, mode="markers", name="λᵢ",
                             marker=dict(size=11, color=eigen_colors(lam),
                                         line=dict(width=1, color="black")),
                             hovertemplate="λ = %{x:.4g} %{y:+.4g}i<extra></extra>"))
    extent = max(1.2, rho * 1.15)
    fig.update_layout(xaxis=dict(range=[-extent, extent], zeroline=True),
                      yaxis=dict(range=[-extent, extent], zeroline=True, scaleanchor="x",
                                 scaleratio=1))
    return fig
