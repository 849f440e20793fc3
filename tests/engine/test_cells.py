"""engine.cells: every cell's ‖∂L/∂h_k‖ by autograd, held against the numpy chain (vanilla),
one step back in closed form (residual, LayerNorm, attention), an independent autograd and finite
differences (attention)."""
import numpy as np
import pytest
import torch

from engine.cells import (ATTENTION_VALUE_SCALE, CELLS, RESIDUAL_ALPHA, attention_weights,
                          gradient_flow)
from engine.rnn import _rngs, bptt, rnn_setup


def test_unknown_cells_raise():
    with pytest.raises(ValueError, match="unknown cells"):
        gradient_flow(("rnn", "transformer"), "tanh", 4, 5, "spectral", 1.0, 0)


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


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("T,d", [(40, 6), (200, 16)])
def test_written_out_lstm_and_gru_are_torchs_modules(cell, T, d):
    """engine.cells writes the LSTM/GRU equations out with the seeded module's weights; the
    same flow through the nn.LSTM / nn.GRU module itself, step by step, by autograd."""
    s = rnn_setup(d, T, "spectral", 1.1, 0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = (torch.nn.LSTM if cell == "lstm" else torch.nn.GRU)(d, d, dtype=torch.float64)
    xs = torch.as_tensor(s.inputs)
    taps = torch.zeros((T + 1, d), dtype=torch.float64, requires_grad=True)
    h, c = torch.as_tensor(s.h0) + taps[0], torch.zeros(d, dtype=torch.float64)
    for t in range(1, T + 1):
        if cell == "lstm":
            _, (h, c) = net(xs[t - 1][None], (h[None], c[None]))
            h, c = h[0], c[0]
        else:
            _, h = net(xs[t - 1][None], h[None])
            h = h[0]
        h = h + taps[t]
    (torch.as_tensor(s.readout) @ h).backward()
    want = torch.linalg.vector_norm(taps.grad, dim=-1).numpy()
    got = gradient_flow((cell,), "tanh", d, T, "spectral", 1.1, 0)[cell]
    np.testing.assert_allclose(got, want, rtol=1e-10)
