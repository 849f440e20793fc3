import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.activations import ACTIVATIONS
from engine.chain import (
    block_diagonal, eigenbasis, geometric_sum, identity_chain_closed_form, matrix_chain,
    scalar_chain, scalar_chain_autograd, spectrum,
)
from tests.engine.autograd_twins import matrix_chain_autograd

RTOL = 1e-9


def assert_close(actual, expected, rtol=RTOL):
    """Elementwise relative agreement. The absolute floor only covers entries 10⁶ times
    below the largest and values near float64's subnormal range (< 1e-290), where
    relative precision is lost by design of the format."""
    actual, expected = np.asarray(actual, float), np.asarray(expected, float)
    scale = np.max(np.abs(expected))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=max(rtol * scale * 1e-6, 1e-290))


weights = st.floats(-2.0, 2.0, allow_nan=False)
layer_params = st.integers(1, 40).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(weights, min_size=n, max_size=n),
    st.lists(st.floats(-1.0, 1.0), min_size=n, max_size=n),
))


@settings(max_examples=150, deadline=None)
@given(params=layer_params, x=st.floats(-2.0, 2.0), act=st.sampled_from(ACTIVATIONS))
def test_scalar_chain_closed_form_equals_autograd(params, x, act):
    n, w, b = params
    closed, auto = scalar_chain(w, b, x, n, act), scalar_chain_autograd(w, b, x, n, act)
    assert_close(closed.activations, auto.activations)
    assert_close(closed.slopes, auto.slopes)
    assert_close(closed.grad_w, auto.grad_w)
    assert_close(closed.grad_b, auto.grad_b)
    assert_close(closed.grad_x, auto.grad_x)
    assert_close(closed.backprop, auto.backprop)
    assert closed.backprop[-1] == auto.backprop[-1] == 1.0  # ∂a_n/∂a_n
    # the bounds hold for every layer: |∂a_n/∂a_l| ≤ ∏ γ|w_j|, |∂a_n/∂w_l| ≤ γ|a_{l−1}|·that
    assert np.all(np.abs(auto.backprop) <= closed.backprop_bound * (1 + 1e-12) + 1e-300)
    assert np.all(np.abs(auto.grad_w) <= closed.grad_w_bound * (1 + 1e-12) + 1e-300)


@pytest.mark.parametrize("w", [0.5, 0.9, 1.0, 1.1, 1.5, -0.7, 0.0])
@pytest.mark.parametrize("b", [0.0, 0.3])
def test_identity_closed_forms_equal_autograd(w, b):
    """The seed's formulas a_l = wˡx + b(wˡ−1)/(w−1), ∂a_n/∂a_l = w^(n−l),
    ∂a_n/∂w_l = a_{l−1}w^(n−l) against torch autograd and against numpy's pass."""
    x, n = 0.8, 25
    formula, auto, numpy = (identity_chain_closed_form(w, b, x, n),
                            scalar_chain_autograd(w, b, x, n), scalar_chain(w, b, x, n))
    assert formula.method == "closed form" and auto.method == "autograd"
    for chain in (auto, numpy):
        assert_close(formula.activations, chain.activations, rtol=1e-12)
        assert_close(formula.backprop, chain.backprop, rtol=1e-12)
        assert_close(formula.grad_w, chain.grad_w, rtol=1e-12)
        assert_close(formula.grad_b, chain.grad_b, rtol=1e-12)
    np.testing.assert_array_equal(formula.backprop, np.float64(w) ** (n - np.arange(n + 1)))
    assert formula.grad_x == pytest.approx(w ** n, rel=1e-12, abs=1e-300)
    np.testing.assert_array_equal(formula.factors, np.full(n, w))


def test_backprop_factor_falls_while_the_weight_gradient_is_flat():
    """b = 0: ∂a_n/∂a_l = 0.9^(n−l) falls towards the input; ∂a_n/∂w_l = 0.9^(n−1) is the
    same at every layer (the tour's first steps say so)."""
    chain = scalar_chain_autograd(0.9, 0.0, 1.0, 50)
    assert chain.backprop[1] == pytest.approx(0.9 ** 49, rel=1e-12)
    assert np.all(np.diff(chain.backprop) > 0)
    np.testing.assert_allclose(chain.grad_w, 0.9 ** 49, rtol=1e-12)


@pytest.mark.parametrize("w", [1 + 1e-12, 1 - 1e-12, 1 + 1e-8, 1 - 1e-8, 1 + 1e-15, 0.5, 1.7])
@pytest.mark.parametrize("n", [1, 30, 200, 2000])
def test_identity_closed_form_is_accurate_near_one(w, n):
    """b(wⁿ−1)/(w−1) cancels catastrophically near w = 1 (five digits lost at 1 ± 1e−12);
    the closed form must stay within 1e−14 of 50-digit arithmetic."""
    import mpmath
    mpmath.mp.dps = 50
    b, x = 0.1, 1.0
    W = mpmath.mpf(w)  # the double itself, exactly
    exact = W ** n * x + mpmath.mpf(b) * (W ** n - 1) / (W - 1)
    a_n = identity_chain_closed_form(w, b, x, n).activations[-1]
    if exact > mpmath.mpf(np.finfo(float).max):  # 1.7²⁰⁰⁰: overflow is carried, not raised
        assert np.isinf(a_n)
        return
    assert abs(a_n - float(exact)) <= 1e-14 * abs(float(exact))
    assert abs(geometric_sum(w, n) - float((W ** n - 1) / (W - 1))) <= 1e-14 * float(
        abs((W ** n - 1) / (W - 1)))


@pytest.mark.parametrize("w", [1 + 1e-12, 1 - 1e-12, 1 + 1e-8])
def test_textbook_quotient_loses_digits_near_one(w):
    """Why geometric_sum exists: the textbook quotient is 1e−11..1e−10 off near w = 1,
    a thousand times the error the closed form is allowed."""
    import mpmath
    mpmath.mp.dps = 50
    n, W = 50, mpmath.mpf(w)
    exact = float((W ** n - 1) / (W - 1))
    assert abs((1 - w ** n) / (1 - w) - exact) / exact > 1e-11
    assert abs(geometric_sum(w, n) - exact) / exact < 1e-15


def test_w_equal_one_is_stable_and_linear():
    chain = scalar_chain(1.0, 0.25, 2.0, 200)
    np.testing.assert_allclose(chain.activations, 2.0 + 0.25 * np.arange(201), rtol=1e-14)
    assert chain.grad_x == 1.0
    assert identity_chain_closed_form(1.0, 0.25, 2.0, 200).activations[-1] == 52.0
    assert (chain.regime, chain.rate) == ("stable", 1.0)


@pytest.mark.parametrize("w,expected", [(0.5, "vanishing"), (1.0, "stable"), (1.5, "exploding")])
def test_regime_names(w, expected):
    chain = scalar_chain(w, 0.0, 1.0, 10)
    assert chain.regime == expected and chain.rate == pytest.approx(w)


@settings(max_examples=60, deadline=None)
@given(params=layer_params, x=st.floats(-2.0, 2.0))
def test_sigmoid_slope_product_bounded_by_quarter_powers(params, x):
    n, w, b = params
    chain = scalar_chain(w, b, x, n, "sigmoid")
    assert np.all(chain.slopes <= 0.25)
    assert abs(chain.grad_x) <= 0.25 ** n * np.prod(np.abs(w)) * (1 + 1e-12)


def test_overflow_is_carried_not_raised():
    chain = scalar_chain(1.5, 0.0, 1.0, 2000)
    # a_l = 1.5^l overflows float64 once l·log10(1.5) > log10(1.797e308)
    expected = int(np.floor(np.log(np.finfo(float).max) / np.log(1.5))) + 1
    assert chain.first_nonfinite_activation == expected
    assert np.all(np.isfinite(chain.activations[:expected]))
    assert np.isinf(chain.activations[expected])
    assert chain.deepest_nonfinite_gradient is not None
    assert chain.regime == "exploding"


def test_autograd_overflow_matches_numpy_index():
    args = (1.5, 0.0, 1.0, 1800, "identity")
    assert (scalar_chain(*args).first_nonfinite_activation
            == scalar_chain_autograd(*args).first_nonfinite_activation == 1751)


def test_finite_chain_reports_no_overflow():
    chain = scalar_chain(0.9, 0.1, 1.0, 50, "tanh")
    assert chain.first_nonfinite_activation is None and chain.deepest_nonfinite_gradient is None


def test_per_layer_weights_are_used():
    w = np.array([2.0, 0.5, 3.0])
    chain = scalar_chain(w, 0.0, 1.0, 3)
    np.testing.assert_allclose(chain.activations, [1.0, 2.0, 1.0, 3.0])
    np.testing.assert_allclose(chain.grad_w, [0.5 * 3.0 * 1.0, 3.0 * 2.0, 1.0])


# ------------------------------------------------------------------ matrix chain


@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("eig,rot,kappa,seed", [
    ((1.05, 0.9, 0.5), 0.0, 0.0, 0),
    ((0.95, -0.8), 30.0, 1.0, 1),
    ((1.2, 0.3, -0.5, 0.9), 60.0, 2.0, 7),
])
def test_matrix_chain_closed_form_equals_autograd(act, eig, rot, kappa, seed):
    lam = spectrum(eig, 6, rot)
    chain = matrix_chain(lam, 25, act, kappa, seed, bias=0.1)
    weight_norms, state_norms = matrix_chain_autograd(lam, 25, act, kappa, seed, bias=0.1)
    assert_close(chain.weight_grad_norms, weight_norms)
    assert_close(chain.state_grad_norms, state_norms)


@pytest.mark.parametrize("rot", [0.0, 45.0])
def test_identity_matrix_chain_follows_eigen_decomposition(rot):
    lam = spectrum((1.1, 0.8, 0.5), 4 if rot else 3, rot)  # every eigenvalue once
    chain = matrix_chain(lam, 60, "identity", non_normality=1.0, seed=3)
    scale = chain.activation_norms[:, None]
    assert np.all(np.abs(chain.eigen_coordinates - chain.eigen_prediction) < 1e-11 * scale)
    # the dominant eigenvalue takes over: its share of the state tends to 1
    blocks = chain.eigenvalues.imag >= -1e-12  # a conjugate pair counts once
    prediction, moduli = chain.eigen_prediction[:, blocks], np.abs(chain.eigenvalues[blocks])
    share = prediction[:, np.argmax(moduli)] / prediction.sum(axis=1)
    assert share[-1] > 0.99 > share[0]


def test_matrix_has_the_chosen_eigenvalues_and_conditioning():
    lam = spectrum((1.05, 0.9, 0.5), 7, 30.0)
    assert np.sum(np.abs(lam.imag) > 0) == 2
    np.testing.assert_allclose(np.abs(lam[:2]), 1.05)
    chain = matrix_chain(lam, 5, non_normality=2.0, seed=4)
    np.testing.assert_allclose(np.sort_complex(np.linalg.eigvals(chain.W)), np.sort_complex(lam),
                               atol=1e-9)
    assert np.linalg.cond(chain.V) == pytest.approx(100.0, rel=1e-8)
    assert np.linalg.cond(eigenbasis(7, 0.0, 4)) == pytest.approx(1.0, rel=1e-12)


def test_spectrum_cycles_the_chosen_values():
    np.testing.assert_array_equal(spectrum((1.05, 0.9), 5), [1.05, 0.9, 1.05, 0.9, 1.05])
    assert len(spectrum((0.9,), 1, 30.0)) == 1  # no pair fits in d = 1


def test_block_diagonal_rejects_unpaired_complex():
    with pytest.raises(ValueError):
        block_diagonal([1 + 1j, 0.5])


def test_normal_identity_chain_gradient_is_power_of_spectral_radius():
    chain = matrix_chain(spectrum((0.8,), 4), 30, "identity", 0.0, 0)
    # W = 0.8·(orthogonal·orthogonalᵀ) = 0.8·I: every ‖∂a_n/∂a_l‖₂ is exactly 0.8^(n−l)
    np.testing.assert_allclose(chain.state_grad_norms, 0.8 ** (30 - np.arange(31)), rtol=1e-12)


def test_matrix_overflow_is_carried():
    chain = matrix_chain(spectrum((2.0,), 4), 200, "identity", 3.0, 0)
    assert chain.first_nonfinite_activation is None  # 2^200·1e3 is still finite
    # W = 2I: a_l = 2^l·a_0 + (2^l − 1)·1e300 passes 1.8e308 when 2^l > 1.8e8, at l = 28
    big = matrix_chain(spectrum((2.0,), 4), 200, "identity", 0.0, 0, bias=1e300)
    assert big.first_nonfinite_activation == 28
    assert np.all(np.isfinite(big.activations[:28]))
    assert np.isinf(big.activation_norms[-1]) or np.isnan(big.activation_norms[-1])
