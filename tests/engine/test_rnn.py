"""engine.rnn: explicit chain-rule products held against autograd, bounds, closed forms."""
import warnings
from dataclasses import fields

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from engine.activations import ACTIVATIONS, GAMMA, sigma_prime
from engine.cells import gradient_flow
from engine.numerics import singular_values
from engine.regime import regime
from engine.rnn import (INITS, PRESETS, REGIME_BAND, bptt, contribution_map, decay_rate,
                        gradient_modes, jacobian_chain, recurrent_matrix, rnn_setup, run_rnn)
from tests.engine.autograd_twins import autograd_contribution_map, autograd_jacobian_chain


def _rel_err(a, b):
    """Per-matrix relative Frobenius error of stack a against stack b."""
    diff = np.linalg.norm((a - b).reshape(len(a), -1), axis=1)
    ref = np.linalg.norm(b.reshape(len(b), -1), axis=1)
    return diff / np.maximum(ref, 1e-300)


def _inputs(act, d, T, init, scale, seed, inputs="random"):
    s = rnn_setup(d, T, init, scale, seed, inputs)
    drive = s.inputs @ s.W_x.T
    hidden, preact = run_rnn(s.W, drive, s.h0, act)
    return s, drive, hidden, preact


# ---------------------------------------------------------------- recurrent matrices

@pytest.mark.parametrize("d", [1, 7, 32])
def test_recurrent_matrix_hits_the_requested_size(d):
    spectral = recurrent_matrix("spectral", d, 1.3, seed=4)
    assert np.max(np.abs(np.linalg.eigvals(spectral))) == pytest.approx(1.3, rel=1e-10)
    singular = recurrent_matrix("singular", d, 0.8, seed=4)
    assert np.linalg.norm(singular, 2) == pytest.approx(0.8, rel=1e-10)
    ortho = recurrent_matrix("orthogonal", d, 0.9, seed=4)
    np.testing.assert_allclose(ortho.T @ ortho, 0.81 * np.eye(d), atol=1e-12)
    np.testing.assert_array_equal(recurrent_matrix("identity", d, 0.5, 4), 0.5 * np.eye(d))


def test_recurrent_matrix_is_seeded_and_rejects_unknown_init():
    a, b = (recurrent_matrix("spectral", 6, 1.0, seed=11) for _ in range(2))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, recurrent_matrix("spectral", 6, 1.0, seed=12))
    with pytest.raises(ValueError, match="unknown init"):
        recurrent_matrix("xavier", 4, 1.0, 0)


def test_forward_pass_is_the_recurrence():
    s, drive, hidden, preact = _inputs("tanh", 5, 8, "spectral", 1.1, 3)
    h = s.h0
    for t in range(1, 9):
        h = np.tanh(s.W @ h + s.W_x @ s.inputs[t - 1])
        np.testing.assert_allclose(hidden[t], h, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(preact[-1], s.W @ hidden[-2] + drive[-1], rtol=1e-14)
    assert np.linalg.norm(s.readout) == pytest.approx(1.0)


# ---------------------------------------------------------------- Jacobians

@settings(max_examples=60, deadline=None)
@given(act=st.sampled_from(ACTIVATIONS), init=st.sampled_from(INITS),
       d=st.integers(1, 5), T=st.integers(1, 6), scale=st.floats(0.3, 2.5),
       seed=st.integers(0, 2**31), end=st.floats(0, 1),
       inputs=st.sampled_from(["random", "zero"]))
def test_explicit_jacobians_equal_autograd(act, init, d, T, scale, seed, end, inputs):
    s, drive, _, preact = _inputs(act, d, T, init, scale, seed, inputs)
    t = 1 + int(end * (T - 1))  # every end time t ≤ T, not just T
    explicit = jacobian_chain(preact, s.W, act, t)
    auto = autograd_jacobian_chain(s.W, drive, s.h0, act, t)
    assert explicit.shape == auto.shape == (t + 1, d, d)
    assert np.all(_rel_err(explicit, auto) <= 1e-6)


@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("init", INITS)
def test_jacobian_norms_respect_the_bound(act, init):
    for scale in (0.5, 1.0, 2.0):
        r = bptt(act, 8, 60, init, scale, seed=5)
        assert r.bound[0] == 1.0 and r.jacobian_norms[0] == pytest.approx(1.0)
        np.testing.assert_allclose(r.bound, (GAMMA[act] * r.w_norm) ** np.arange(61))
        ok = np.isfinite(r.jacobian_norms)
        assert ok.sum() > 50
        assert np.all(r.jacobian_norms[ok] <= r.bound[ok] * (1 + 1e-12))


def test_norms_are_the_top_singular_values_of_the_chain():
    s, drive, _, preact = _inputs("sigmoid", 6, 20, "singular", 1.5, 8)
    r = bptt("sigmoid", 6, 20, "singular", 1.5, 8)
    ref = np.linalg.svd(jacobian_chain(preact, s.W, "sigmoid"), compute_uv=False)
    # SVD is accurate to ~eps·σ₁ per matrix, not to eps·σ_i for the tiny σ_i.
    np.testing.assert_allclose(r.singular_values / ref[:, :1], ref / ref[:, :1], atol=1e-12)
    np.testing.assert_array_equal(r.jacobian_norms, r.singular_values[:, 0])
    assert np.all(np.diff(r.singular_values, axis=1) <= 0)


def test_singular_values_survive_huge_and_nonfinite_matrices():
    M = np.random.default_rng(0).standard_normal((1, 4, 4))
    ref = np.linalg.svd(M[0], compute_uv=False)
    stack = np.concatenate([M, 1e300 * M, np.full((1, 4, 4), np.nan)])
    sv = singular_values(stack)
    np.testing.assert_allclose(sv[0], ref, rtol=1e-12)
    np.testing.assert_allclose(sv[1] / 1e300, ref, rtol=1e-12)
    assert np.isnan(sv[2]).all()


@pytest.mark.parametrize("init", INITS)
def test_linear_jacobian_is_a_matrix_power(init):
    # σ = identity: ∂h_T/∂h_{T−l} = W^l, and the backward gradient is (Wᵀ)^l g.
    s, _, _, preact = _inputs("identity", 6, 25, init, 1.1, 2)
    P = jacobian_chain(preact, s.W, "identity")
    powers = np.stack([np.linalg.matrix_power(s.W, l) for l in range(26)])
    assert np.all(_rel_err(P, powers) <= 1e-12)
    g = s.readout
    np.testing.assert_allclose(g @ P[7], np.linalg.matrix_power(s.W.T, 7) @ g, rtol=1e-12)


def test_orthogonal_linear_rnn_keeps_every_gradient_norm_at_one():
    r = bptt("identity", 16, 200, "orthogonal", 1.0, seed=9)
    np.testing.assert_allclose(r.jacobian_norms, 1.0, atol=1e-10)
    np.testing.assert_allclose(r.singular_values, 1.0, atol=1e-10)
    assert r.regime == "stable" and r.rate == pytest.approx(1.0, abs=1e-12)


def test_worked_example_half_and_double_for_ten_steps():
    half, double = bptt(**PRESETS["halving"]), bptt(**PRESETS["doubling"])
    assert half.jacobian_norms[10] == 0.5 ** 10 == 0.0009765625
    assert double.jacobian_norms[10] == 2.0 ** 10 == 1024.0
    np.testing.assert_array_equal(half.jacobian_norms, 0.5 ** np.arange(11))
    np.testing.assert_array_equal(double.bound, double.jacobian_norms)  # the bound is tight
    assert (half.regime, double.regime) == ("vanishing", "exploding")
    assert half.rate == pytest.approx(0.5) and double.rate == pytest.approx(2.0)


# ---------------------------------------------------------------- contribution map

@pytest.mark.parametrize("act", ACTIVATIONS)
def test_contribution_map_equals_autograd(act):
    s, drive, _, preact = _inputs(act, 4, 9, "spectral", 1.4, 21)
    C = contribution_map(preact, s.W, act, s.readout)
    ref = autograd_contribution_map(s.W, drive, s.h0, act, s.readout)
    assert C.shape == (10, 10)
    np.testing.assert_array_equal(np.isnan(C), np.isnan(ref))
    defined = np.tril(np.ones((10, 10), dtype=bool))
    defined[0] = False  # there is no J_0
    blank = np.isnan(C)
    np.testing.assert_array_equal(blank, ~defined)
    np.testing.assert_allclose(C[~blank], ref[~blank], rtol=1e-6, atol=1e-300)
    np.testing.assert_allclose(np.diag(C)[1:], 1.0)  # ∂J_t/∂h_t = u, a unit vector


def test_contribution_map_norms_neither_underflow_nor_overflow():
    # Gradients of 1e−270 and 1e+200 are real numbers; their squares are not (in float64).
    u = np.array([0.6, 0.8])
    tiny = contribution_map(np.zeros((3, 2)), 1e-90 * np.eye(2), "identity", u)
    assert tiny[3, 0] == pytest.approx(1e-270, rel=1e-12)
    huge = contribution_map(np.zeros((2, 2)), 1e100 * np.eye(2), "identity", u)
    assert huge[2, 0] == pytest.approx(1e200, rel=1e-12)


def test_contribution_map_last_row_is_readout_times_jacobian_chain():
    r = bptt("tanh", 8, 30, "singular", 1.8, 4)
    s, _, _, preact = _inputs("tanh", 8, 30, "singular", 1.8, 4)
    P = jacobian_chain(preact, s.W, "tanh")
    expected = np.linalg.norm(r.readout @ P, axis=1)[::-1]  # lag → k
    np.testing.assert_allclose(r.contribution_map[30], expected, rtol=1e-12)


# ---------------------------------------------------------------- linear modes

def _real_matrix_with_eigenvalues(blocks, seed=0):
    """V·B·V⁻¹ with B block-diagonal (1×1 real or 2×2 rotation-scaling blocks)."""
    sizes = [np.shape(b)[0] if np.ndim(b) else 1 for b in blocks]
    B = np.zeros((sum(sizes), sum(sizes)))
    i = 0
    for b, n in zip(blocks, sizes):
        B[i:i + n, i:i + n] = b
        i += n
    V = np.random.default_rng(seed).standard_normal(B.shape)
    return V @ B @ np.linalg.inv(V)


def test_dominant_eigenvalue_takes_over_the_linear_gradient():
    rot = 0.6 * np.array([[np.cos(1.0), -np.sin(1.0)], [np.sin(1.0), np.cos(1.0)]])
    W = _real_matrix_with_eigenvalues([0.9, rot, -0.4, 0.2])
    g = np.random.default_rng(1).standard_normal(5)
    m = gradient_modes(W, g, 80)
    np.testing.assert_allclose(np.abs(m.eigenvalues), [0.9, 0.6, 0.6, 0.4, 0.2], rtol=1e-10)
    for l in (0, 3, 17):  # Σ c_i λ_i^l q_i is the true backward gradient (Wᵀ)^l g
        v = m.eigenvectors @ (m.coefficients * m.eigenvalues ** l)
        np.testing.assert_allclose(v.real, np.linalg.matrix_power(W.T, l) @ g, atol=1e-12)
        np.testing.assert_allclose(np.abs(v.imag), 0, atol=1e-12)
    np.testing.assert_allclose(m.magnitudes[5], np.abs(m.coefficients * m.eigenvalues ** 5))
    assert m.magnitudes[1, 1] == pytest.approx(m.magnitudes[1, 2])  # a conjugate pair
    assert m.dominant_share[0] < 0.9 and m.dominant_share[-1] > 1 - 1e-12
    assert np.all(np.diff(m.dominant_share) > 0)


def test_gradient_modes_for_one_unit():
    m = gradient_modes(np.array([[2.0]]), np.array([3.0]), 10)
    np.testing.assert_array_equal(m.magnitudes[:, 0], 3.0 * 2.0 ** np.arange(11))
    np.testing.assert_array_equal(m.dominant_share, 1.0)


# ---------------------------------------------------------------- regimes

def test_regime_names_and_band():
    assert [regime(x, REGIME_BAND) for x in (0.5, 0.96, 1.0, 1.04, 2.0)] == [
        "vanishing", "stable", "stable", "stable", "exploding"]
    assert regime(0.0, REGIME_BAND) == "vanishing" and regime(np.inf, REGIME_BAND) == "exploding"
    assert regime(np.nan, REGIME_BAND) == "undefined"
    assert regime(1.04) == "exploding"  # the chains' band is 1 ± 0.01
    r = bptt("identity", 4, 30, "orthogonal", 0.5, 0)
    assert (r.bound_factor, r.bound_regime) == (r.gamma * r.w_norm, "vanishing")


def test_decay_rate_is_the_geometric_mean_ratio():
    assert decay_rate(0.7 ** np.arange(30)) == pytest.approx(0.7, rel=1e-12)
    assert decay_rate(np.array([1.0, 3.0, 1.0, 27.0])) == pytest.approx(3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert decay_rate(np.array([1.0, 0.5, 0.0, 0.0])) == 0.0
    assert decay_rate(np.array([1.0, 2.0, 8.0, np.inf, np.nan])) == pytest.approx(8 ** 0.5)
    assert decay_rate(np.array([1.0, np.inf])) == np.inf
    assert np.isnan(decay_rate(np.array([1.0])))


# ---------------------------------------------------------------- reproducibility, edges

def _arrays(r):
    return {f.name: getattr(r, f.name) for f in fields(r)
            if isinstance(getattr(r, f.name), np.ndarray)}


def test_bptt_is_reproducible_and_seeds_are_independent_streams():
    a, b = bptt("tanh", 12, 40, "spectral", 1.2, 7), bptt("tanh", 12, 40, "spectral", 1.2, 7)
    for name, x in _arrays(a).items():
        np.testing.assert_array_equal(x, _arrays(b)[name], err_msg=name)
    assert not np.allclose(a.W, bptt("tanh", 12, 40, "spectral", 1.2, 8).W)
    # A different W leaves the inputs, h_0 and readout untouched.
    c = bptt("tanh", 12, 40, "orthogonal", 0.9, 7)
    np.testing.assert_array_equal(a.drive, c.drive)
    np.testing.assert_array_equal(a.hidden[0], c.hidden[0])
    np.testing.assert_array_equal(a.readout, c.readout)


def test_zero_inputs_and_zero_state_stay_at_rest():
    r = bptt("tanh", 4, 10, "spectral", 1.5, 0, inputs="zero", h0="zero")
    np.testing.assert_array_equal(r.hidden, 0.0)
    # At rest tanh'(0) = 1, so the Jacobian is exactly W^l.
    np.testing.assert_allclose(r.jacobian_norms[3], np.linalg.norm(
        np.linalg.matrix_power(r.W, 3), 2), rtol=1e-12)


def test_overflow_is_reported_not_raised():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even a RuntimeWarning
        r = bptt("identity", 8, 500, "spectral", 5.0, seed=1)
        flow = gradient_flow(("rnn",), "identity", 8, 500, "spectral", 5.0, seed=1)
    t = r.first_nonfinite_step
    assert t is not None and 400 < t < 500  # 5^t passes 1.8e308 near t ≈ 441
    assert np.isfinite(r.hidden[:t]).all() and not np.isfinite(r.hidden[t]).all()
    l = r.first_nonfinite_lag
    assert l is not None and np.isfinite(r.jacobian_norms[:l]).all()
    assert not np.isfinite(r.jacobian_norms[l])
    assert r.regime == "exploding" and r.rate == pytest.approx(5.0, rel=0.02)
    assert not np.isfinite(r.contribution_map[500, 0])
    assert not np.isfinite(flow["rnn"][0])
    # ρ = 3 for 500 steps is 3^500 ≈ 4e238: huge, but float64 still holds it.
    assert bptt("identity", 8, 500, "spectral", 3.0, seed=1).first_nonfinite_step is None


def test_one_unit_and_one_step():
    r = bptt("sigmoid", 1, 1, "spectral", 0.7, 3)
    assert r.hidden.shape == (2, 1) and r.preact.shape == (1, 1)
    assert r.jacobian_norms.shape == (2,) and r.singular_values.shape == (2, 1)
    assert r.contribution_map.shape == (2, 2) and abs(r.W[0, 0]) == pytest.approx(0.7)
    slope = sigma_prime("sigmoid", r.preact[0, 0])
    assert r.jacobian_norms[1] == pytest.approx(slope * 0.7, rel=1e-14)
    assert r.contribution_map[1, 0] == pytest.approx(slope * 0.7, rel=1e-14)
    assert r.first_nonfinite_step is None and r.first_nonfinite_lag is None


def test_unknown_names_raise():
    with pytest.raises(ValueError):
        bptt("swish", 4, 5, "spectral", 1.0, 0)
    with pytest.raises(ValueError):
        bptt("tanh", 4, 5, "spectral", 1.0, 0, inputs="noise")


@pytest.mark.parametrize("T,d", [(500, 16), (30, 4), (1, 2)])
def test_contribution_map_in_chosen_rows_is_the_full_maps_rows(T, d):
    """The page computes only the heatmap's rows (and row T): those rows are the full map's
    to rounding (the matmuls are of other sizes), every other row is NaN."""
    from components.thinning import steps_shown
    from engine.rnn import contribution_map
    r = bptt("tanh", d, T, "spectral", 1.1, 0)
    rows = steps_shown(T, 100)
    part = contribution_map(r.preact, r.W, "tanh", r.readout, rows)
    kept = np.union1d(rows, [T])
    kept = kept[kept >= 1]
    np.testing.assert_allclose(part[kept], r.contribution_map[kept], rtol=1e-12)
    assert np.isnan(np.delete(part, kept, axis=0)).all()
