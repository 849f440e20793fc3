import numpy as np

from components import chain_figures as _chain_figures
from tests.components.helpers import validated

chain_figures = validated(_chain_figures)
from engine.chain import (identity_chain_closed_form, matrix_chain, scalar_chain,
                          scalar_chain_autograd, spectrum)


def traces(fig):
    return {t.name: t for t in fig.data}


def test_scalar_gradient_figure_plots_engine_values():
    args = (0.8, 0.1, -1.0, 40, "tanh")
    closed, auto = scalar_chain(*args), scalar_chain_autograd(*args)
    fig = chain_figures.scalar_gradients(closed, auto)
    line = traces(fig)["chain rule in numpy aₗ₋₁·σ′(hₗ)·∂aₙ/∂aₗ"]
    markers = traces(fig)["torch autograd (▲ +, ▼ −)"]
    np.testing.assert_array_equal(line.x, np.arange(1, 41))
    np.testing.assert_array_equal(line.y, np.abs(closed.grad_w))
    np.testing.assert_array_equal(line.customdata, closed.grad_w)  # sign kept for hover
    np.testing.assert_array_equal(markers.y, np.abs(auto.grad_w))
    expected = np.where(auto.grad_w > 0, "triangle-up", "triangle-down")
    assert list(markers.marker.symbol) == list(expected)
    assert fig.layout.yaxis.type == "log"
    bound = traces(fig)["bound γ|aₗ₋₁|(γ|w|)ⁿ⁻ˡ, γ = 1"]
    np.testing.assert_array_equal(bound.y, closed.grad_w_bound)


def test_backprop_figure_plots_the_seeds_formula_against_autograd():
    closed, auto = identity_chain_closed_form(0.9, 0.0, 1.0, 50), scalar_chain_autograd(0.9, 0.0, 1.0, 50)
    fig = traces(chain_figures.scalar_backprop(closed, auto))
    line = fig["closed form wⁿ⁻ˡ"]
    np.testing.assert_array_equal(line.x, np.arange(51))
    np.testing.assert_allclose(line.customdata, 0.9 ** (50 - np.arange(51)), rtol=1e-15)
    np.testing.assert_array_equal(fig["torch autograd (▲ +, ▼ −)"].customdata, auto.backprop)
    # σ = identity: γ = 1, so the bound is the formula itself
    np.testing.assert_allclose(fig["bound (γ|w|)ⁿ⁻ˡ, γ = 1"].y, line.y, rtol=1e-14)
    sig = scalar_chain(2.0, 0.0, 0.5, 30, "sigmoid")
    bound = traces(chain_figures.scalar_backprop(sig, sig))["bound (γ|w|)ⁿ⁻ˡ, γ = ¼"]
    np.testing.assert_allclose(bound.y, 0.5 ** (30 - np.arange(31)), rtol=1e-15)


def test_overflow_is_marked_not_dropped():
    closed = scalar_chain(1.5, 0.0, 1.0, 2000)
    fig = chain_figures.scalar_activations(closed, closed)
    line = traces(fig)["forward pass in numpy"]
    finite = closed.first_nonfinite_activation
    assert np.all(np.isnan(line.y[finite:]))  # a gap on the log axis...
    overflow = traces(fig)["a overflowed"]      # ...and a red × for each overflowed layer
    np.testing.assert_array_equal(overflow.x, np.arange(finite, 2001))
    assert set(overflow.customdata) == {"+inf"}
    assert overflow.yaxis == "y2"
    shapes = fig.layout.shapes
    assert len(shapes) == 1 and shapes[0].x0 == finite - 0.5
    assert fig.layout.annotations[0].text == f"overflow from layer {finite}"


def test_exact_zeros_are_marked():
    closed = scalar_chain(0.5, -1.0, 1.0, 10, "relu")  # h = −0.5 < 0: relu kills everything
    fig = chain_figures.scalar_gradients(closed, closed)
    zeros = traces(fig)["∂aₙ/∂wₗ = 0 exactly"]
    np.testing.assert_array_equal(zeros.x, np.arange(1, 11))
    # drawn on the linear overlay axis, inside its [0, 1] range (a log overlay would hide them)
    assert zeros.yaxis == "y2" and fig.layout.yaxis2.type in (None, "linear")
    assert fig.layout.yaxis2.range == (0, 1) and np.all((zeros.y > 0) & (zeros.y < 1))


def test_log_range_is_at_least_two_decades():
    closed = scalar_chain(0.9, 0.0, 1.0, 30)  # ∂a_n/∂w_l = 0.9^29 for every l: constant
    lo, hi = chain_figures.scalar_gradients(closed, closed).layout.yaxis.range
    assert hi - lo >= 2 and lo < np.log10(0.9 ** 29) < hi


def test_matrix_figures_plot_engine_values():
    chain = matrix_chain(spectrum((1.05, 0.9, 0.5), 4, 30.0), 40, "tanh", 1.0, 2)
    grads = traces(chain_figures.matrix_gradients(chain))
    np.testing.assert_array_equal(grads["‖∂aₙ/∂Wₗ‖_F"].y, chain.weight_grad_norms)
    np.testing.assert_array_equal(grads["‖∂aₙ/∂aₗ‖₂"].y, chain.state_grad_norms)
    np.testing.assert_allclose(grads["ρ^(n−l), ρ = 1.05"].y, 1.05 ** (40 - np.arange(41)))
    norms = traces(chain_figures.matrix_norms(chain))
    np.testing.assert_array_equal(norms["‖aₗ‖₂"].y, chain.activation_norms)
    comps = chain_figures.matrix_eigen_components(chain, "tanh")
    names = [t.name for t in comps.data if t.showlegend is not False]
    assert names == ["λ = 0.909 ± 0.525i", "λ = 0.9", "λ = 0.5"]  # the pair appears once
    assert len(comps.data) == 3  # no |c||λ|ˡ prediction for a nonlinear σ: it would be wrong
    linear = matrix_chain(spectrum((1.05, 0.9, 0.5), 4, 30.0), 40, "identity", 1.0, 2)
    dashed = {t.name: t for t in chain_figures.matrix_eigen_components(linear, "identity").data
              if t.line.dash == "dash"}
    np.testing.assert_array_equal(dashed["λ = 0.9: |c|·|λ|ˡ"].y, linear.eigen_prediction[:, 2])
    plane = traces(chain_figures.eigenvalue_plane(chain))["λᵢ"]
    np.testing.assert_allclose(plane.x + 1j * plane.y, chain.eigenvalues)
    colors = plane.marker.color
    assert colors[0] == colors[1] != colors[2]  # a conjugate pair shares its colour
