"""engine.rnn: explicit chain-rule products held against autograd, bounds, closed forms."""
import warnings
from dataclasses import fields

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from engine.activations import ACTIVATIONS, GAMMA, sigma_prime
from engine.rnn import (ATTENTION_VALUE_SCALE, CELLS, INITS, PRESETS, RESIDUAL_ALPHA, _rngs,
                        attention_weights, autograd_contribution_map, autograd_jacobian_chain,
                        bptt, contribution_map, decay_rate, gradient_flow, gradient_modes,
                        jacobian_chain, recurrent_matrix, regime, rnn_setup, run_rnn,
                        singular_values)


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
    assert [regime(x) for x in (0.5, 0.96, 1.0, 1.04, 2.0)] == [
        "vanishing", "stable", "stable", "stable", "exploding"]
    assert regime(0.0) == "vanishing" and regime(np.inf) == "exploding"
    assert regime(np.nan) == "undefined"
    assert regime(1.04, tol=0.01) == "exploding"


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
    with pytest.raises(ValueError, match="unknown cells"):
        gradient_flow(("rnn", "transformer"), "tanh", 4, 5, "spectral", 1.0, 0)


# ---------------------------------------------------------------- other cells

def test_gradient_flow_curves_for_every_cell():
    d, T = 6, 40
    state = torch.get_rng_state()
    flow = gradient_flow(CELLS, "tanh", d, T, "spectral", 1.2, seed=3)
    assert torch.equal(state, torch.get_rng_state())  # seeded without side effects
    assert tuple(flow) == CELLS
    for name, curve in flow.items():
        assert curve.shape == (T + 1,) and np.isfinite(curve).all(), name
        assert curve[T] == pytest.approx(1.0), name  # ∂L/∂h_T = u
    assert not np.allclose(flow["lstm"], flow["rnn"], rtol=1e-3)
    assert not np.allclose(flow["lstm"], flow["gru"], rtol=1e-3)
    torch.manual_seed(12345)  # the global torch seed must not matter, only ours
    again = gradient_flow(("lstm", "gru"), "tanh", d, T, "spectral", 1.2, seed=3)
    np.testing.assert_array_equal(again["lstm"], flow["lstm"])
    np.testing.assert_array_equal(again["gru"], flow["gru"])
    other = gradient_flow(("lstm",), "tanh", d, T, "spectral", 1.2, seed=4)
    assert not np.allclose(other["lstm"], flow["lstm"], rtol=1e-3)


def test_vanilla_cells_in_torch_match_the_numpy_chain():
    d, T, seed = 6, 30, 3
    flow = gradient_flow(("rnn", "irnn", "orthogonal"), "sigmoid", d, T, "singular", 2.0, seed)
    for name, (act, init, scale) in {"rnn": ("sigmoid", "singular", 2.0),
                                     "irnn": ("relu", "identity", 1.0),
                                     "orthogonal": ("tanh", "orthogonal", 1.0)}.items():
        ref = bptt(act, d, T, init, scale, seed).contribution_map[T]
        np.testing.assert_allclose(flow[name], ref, rtol=1e-10, err_msg=name)


def test_residual_and_layernorm_one_step_back():
    d, T, seed = 5, 3, 2
    s = rnn_setup(d, T, "spectral", 1.5, seed)
    flow = gradient_flow(("residual", "layernorm"), "tanh", d, T, "spectral", 1.5, seed)
    # Residual: ∂h_T/∂h_{T−1} = I + α·diag(tanh'(a_T))W, with h from the residual recurrence.
    h = s.h0
    for x in s.inputs:
        a = s.W @ h + s.W_x @ x
        h = h + RESIDUAL_ALPHA * np.tanh(a)
    step = np.eye(d) + RESIDUAL_ALPHA * (1 - np.tanh(a) ** 2)[:, None] * s.W
    assert flow["residual"][T - 1] == pytest.approx(np.linalg.norm(s.readout @ step), rel=1e-12)
    # LayerNorm of a single unit is x − mean(x) = 0: no gradient gets through at all.
    one = gradient_flow(("layernorm",), "tanh", 1, 4, "spectral", 1.0, seed)["layernorm"]
    np.testing.assert_array_equal(one, [0, 0, 0, 0, 1])


# ---------------------------------------------------------------- attention

def _attention_states(s, seed, perturb=None):
    """The attention cell's forward pass written out one term at a time in numpy (no
    vectorising over the history, no torch): h_t for t = 0..T. perturb = (k, v) adds v to
    h_k right after it is computed, so (L(+ε) − L(−ε))/2ε is the total derivative ∂L/∂h_k."""
    W_Q, W_K, W_V = attention_weights(len(s.h0), seed)
    d = len(s.h0)
    states = [s.h0 + (perturb[1] if perturb and perturb[0] == 0 else 0)]
    for t, x in enumerate(s.inputs, start=1):
        c = np.tanh(s.W @ states[-1] + s.W_x @ x)
        scores = [float((W_Q @ c) @ (W_K @ h)) / np.sqrt(d) for h in states]
        weights = [np.exp(z - max(scores)) for z in scores]
        alpha = [w / sum(weights) for w in weights]
        h = c + sum(a * (W_V @ hk) for a, hk in zip(alpha, states))
        states.append(h + (perturb[1] if perturb and perturb[0] == t else 0))
    return states


def test_attention_weights_are_seeded_scaled_and_their_own_stream():
    d = 16
    W_Q, W_K, W_V = attention_weights(d, seed=3)
    for a, b in zip((W_Q, W_K, W_V), attention_weights(d, seed=3)):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(W_Q, attention_weights(d, seed=4)[0])
    np.testing.assert_allclose(np.linalg.svd(W_V, compute_uv=False), ATTENTION_VALUE_SCALE,
                               rtol=1e-12)  # W_V = β·Q: every singular value is β
    big = attention_weights(400, seed=0)[0]
    assert np.var(big) * 400 == pytest.approx(1.0, rel=0.02)  # entries ~ N(0, 1/d)
    # Its own stream: the weights of W, the inputs, h_0 and u are those of the four streams the
    # seed had before attention's was appended (spawn(4)), so no other cell moved.
    for seed in (0, 7, 9999):
        old = np.random.SeedSequence(seed).spawn(4)
        for name, child in zip(("W", "inputs", "h0", "readout"), old):
            np.testing.assert_array_equal(_rngs(seed)[name].standard_normal(8),
                                          np.random.default_rng(child).standard_normal(8))


def test_attention_one_step_back_in_closed_form():
    # T = 1: h_1 = c_1 + W_V h_0 (one state to attend to, α = 1, and its score cannot move α),
    # so ∂h_1/∂h_0 = diag(tanh'(a_1)) W + W_V exactly.
    d, seed = 5, 2
    s = rnn_setup(d, 1, "spectral", 1.5, seed)
    W_V = attention_weights(d, seed)[2]
    c = np.tanh(s.W @ s.h0 + s.W_x @ s.inputs[0])
    step = (1 - c ** 2)[:, None] * s.W + W_V
    flow = gradient_flow(("attention",), "tanh", d, 1, "spectral", 1.5, seed)["attention"]
    assert flow[0] == pytest.approx(np.linalg.norm(s.readout @ step), rel=1e-13)
    assert flow[1] == pytest.approx(1.0, rel=1e-15)


def test_attention_flow_equals_independent_autograd_at_the_defaults():
    # The engine taps the states and vectorises over the history in blocks; here each score
    # (W_Q c_t)·(W_K h_k)/√d, the softmax and Σ_k α_k W_V h_k are written out one k at a time,
    # with no taps: autograd's retain_grad on each h_k gives ∂L/∂h_k directly.
    d, T, seed = 32, 100, 0
    s = rnn_setup(d, T, "spectral", 1.1, seed)
    W_Q, W_K, W_V = (torch.as_tensor(m) for m in attention_weights(d, seed))
    W, W_x, xs = (torch.as_tensor(m) for m in (s.W, s.W_x, s.inputs))
    states = [torch.as_tensor(s.h0).clone().requires_grad_(True)]
    for t in range(1, T + 1):
        c = torch.tanh(W @ states[-1] + W_x @ xs[t - 1])
        scores = torch.stack([(W_Q @ c) @ (W_K @ h) for h in states]) / np.sqrt(d)
        e = torch.exp(scores - scores.max())
        alpha = e / e.sum()
        h = c + sum(alpha[k] * (W_V @ states[k]) for k in range(t))
        h.retain_grad()
        states.append(h)
    (torch.as_tensor(s.readout) @ states[-1]).backward()
    ref = np.array([torch.linalg.vector_norm(h.grad).item() for h in states])
    flow = gradient_flow(("attention",), "tanh", d, T, "spectral", 1.1, seed)["attention"]
    np.testing.assert_allclose(flow, ref, rtol=1e-10)
    assert flow[T] == pytest.approx(1.0, abs=1e-12)  # ∂L/∂h_T = u
    # h stays O(1): ‖h_t‖ ≤ max(‖h_0‖, √d/(1 − β)) (W_V = β·Q, a convex combination of values)
    norms = [torch.linalg.vector_norm(h).item() for h in states]
    assert max(norms) <= max(norms[0], np.sqrt(d) / (1 - ATTENTION_VALUE_SCALE))


def test_attention_flow_equals_finite_differences():
    # No autograd at all: perturb h_k by ±ε after it is computed, run the rest in numpy.
    d, T, seed, eps = 3, 6, 5, 1e-6
    s = rnn_setup(d, T, "singular", 1.3, seed)
    flow = gradient_flow(("attention",), "tanh", d, T, "singular", 1.3, seed)["attention"]
    for k in range(T + 1):
        grad = [(s.readout @ (_attention_states(s, seed, (k, eps * e))[-1]
                              - _attention_states(s, seed, (k, -eps * e))[-1])) / (2 * eps)
                for e in np.eye(d)]
        assert flow[k] == pytest.approx(np.linalg.norm(grad), rel=1e-7), k


@pytest.mark.parametrize("rho", [1.0, 1.1])
def test_attention_gradient_does_not_decay_with_distance(rho):
    d, T = 32, 100
    flow = gradient_flow(("rnn", "attention"), "tanh", d, T, "spectral", rho, seed=0)
    att, rnn = flow["attention"], flow["rnn"]
    beta, far = ATTENTION_VALUE_SCALE, slice(0, T // 2 + 1)  # k = 0..50: 50–100 steps back
    assert att[T] == pytest.approx(1.0, abs=1e-12) and rnn[T] == pytest.approx(1.0, abs=1e-12)
    # The path of length one: h_T attends to every h_k, carrying α_{T,k}W_V (norm β/T when
    # attention is spread evenly) from any distance, so there is a floor of order β/T ...
    assert beta / (2 * T) < att.min() < 2 * beta / T  # measured 1.09 β/T (ρ = 1), 1.30 (1.1)
    # ... and the whole curve, h_T's own 1 included, stays within 5× of T/β = 200 (measured
    # 184 at ρ = 1, 154 at ρ = 1.1: the softmax spreads α_{T,k} by a few around 1/T).
    assert att.max() / att.min() <= 5 * T / beta
    # Far back it does not decay at all: 50 to 100 steps back it is flat within 10× (measured
    # 7.7 and 7.9), where the vanilla RNN falls by more than 1e10 (1.4e14 and 5.7e11) ...
    assert att[far].max() / att[far].min() <= 10
    assert rnn[far].max() / rnn[far].min() >= 1e10
    # ... and by more than 1e20 over all k (3.1e27 and 3.5e23): tanh saturates, so even ρ = 1.1
    # vanishes. At k = 0 the attention cell's gradient is ≥ 1e20 times the vanilla one.
    assert rnn.max() / rnn.min() >= 1e20
    assert att[0] / rnn[0] >= 1e20
