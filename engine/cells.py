"""The cells that keep gradients alive, against the vanilla RNN: ‖∂L/∂h_k‖ through LSTM, GRU,
IRNN, an orthogonal W, a residual update, LayerNorm and causal self-attention, on the very same
inputs, h_0 and readout (engine.rnn's conventions and seed streams)."""
from __future__ import annotations

import numpy as np
import torch

from engine.activations import torch_sigma
from engine.rnn import RNNSetup, _haar_orthogonal, _rngs, recurrent_matrix, rnn_setup

CELLS = ("rnn", "lstm", "gru", "irnn", "orthogonal", "residual", "layernorm", "attention")
# The residual cell adds only a fraction α of the update: ∂h_t/∂h_{t−1} = I + α·diag(f')W
# stays near I, so gradients neither die nor blow up quickly (unless W is huge).
RESIDUAL_ALPHA = 0.1
# The attention cell's values are W_V = β·Q (Q orthogonal): the attended term is a convex
# combination of vectors of norm β‖h_k‖, so ‖h_t‖ ≤ ‖c_t‖ + β·max_{k<t} ‖h_k‖, and by induction
# ‖h_t‖ ≤ max(‖h_0‖, √d/(1 − β)): O(1) per unit. β = 0.5 keeps it within 2√d; β → 1 lets h_0,
# which every state attends to, pile up copies of itself (its gradient then towers over the rest).
ATTENTION_VALUE_SCALE = 0.5
# The attention memory grows in blocks of this many states: every step's autograd graph keeps
# the history it attended to, and as one growing (t, d) tensor that is Σ_t t·d floats (64 MB at
# T = 500, d = 64); whole blocks are shared by all later steps, so only the tail is per step.
ATTENTION_BLOCK = 32


def attention_weights(d: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The attention cell's (W_Q, W_K, W_V), each d×d float64, from the seed's own stream:

        W_Q, W_K: entries ~ N(0, 1/d)   → a score (W_Q c)·(W_K h)/√d is O(1) for O(1) units
        W_V = β·Q, Q Haar-orthogonal     → every singular value is β = ATTENTION_VALUE_SCALE
    """
    d = int(d)
    r = _rngs(seed)["attention"]
    W_Q = r.standard_normal((d, d)) / np.sqrt(d)
    W_K = r.standard_normal((d, d)) / np.sqrt(d)
    W_V = ATTENTION_VALUE_SCALE * _haar_orthogonal(r.standard_normal((d, d)) / np.sqrt(d))
    return W_Q, W_K, W_V


def _t(x) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x, dtype=np.float64))


def _cell_step(name: str, act: str, s: RNNSetup, seed: int):
    """One cell in torch float64: (step, state_0), step a closure (h, state, t) → (h, state)
    for t = 1..T (x_t's share of the update is computed for every t up front).

    rnn:        h = σ(W h + W_x x)                    the user's σ and W
    irnn:       h = relu(I h + W_x x)                 Le et al. 2015
    orthogonal: h = tanh(Q h + W_x x)                 Q orthogonal, scale 1
    residual:   h = h + α·tanh(W h + W_x x)           the user's W, α = RESIDUAL_ALPHA
    layernorm:  h = tanh(LN(W h + W_x x))             the user's W; LN without affine
    lstm, gru:  torch nn.LSTM / nn.GRU, default init from torch.manual_seed(seed)
    attention:  one head of causal scaled dot-product attention over every earlier state,
                on top of the vanilla tanh update with the user's W:

        c_t = tanh(W h_{t−1} + W_x x_t)
        h_t = c_t + Σ_{k=0..t−1} α_{t,k} W_V h_k,   α_{t,·} = softmax_k((W_Q c_t)·(W_K h_k)/√d)

                W_Q, W_K, W_V from attention_weights (the seed's own stream, ‖W_V‖₂ = β).
                h_T reaches every h_k by one step (α_{T,k} W_V), so ‖∂L/∂h_k‖ keeps a floor
                of order β/T at every distance T − k instead of decaying with it.

    The state is the LSTM's cell c (c_0 = 0) or the attention cell's memory of h_0 … h_{t−2}
    (empty at first; whole blocks and a tail, see ATTENTION_BLOCK), which each step extends
    by the h it receives; the other cells pass it through untouched.
    """
    d, m = s.W_x.shape
    W = _t(s.W)
    drive = _t(s.inputs @ s.W_x.T)  # (T, d): W_x x_t for every t at once, row t−1
    zero = torch.zeros(d, dtype=torch.float64)
    if name in ("lstm", "gru"):
        with torch.random.fork_rng(devices=[]):  # seeded without touching global state
            torch.manual_seed(int(seed))
            net = (torch.nn.LSTM if name == "lstm" else torch.nn.GRU)(
                m, d, dtype=torch.float64)
        # nn.LSTM/GRU's own equations with its weights, written out: a module call per step
        # cost ~10× the arithmetic (T = 500: 87 ms of 95), and x_t's share of every gate is
        # one matmul for all t up front. Agrees with the modules to rounding (tested).
        W_hh, b_hh = net.weight_hh_l0.detach(), net.bias_hh_l0.detach()
        x_gates = (_t(s.inputs) @ net.weight_ih_l0.detach().T + net.bias_ih_l0.detach()
                   + (b_hh if name == "lstm" else 0))  # (T, k·d), row t−1
        if name == "lstm":
            def step(h, c, t):  # gates i, f, g, o (torch's order)
                gates = torch.addmv(x_gates[t - 1], W_hh, h)
                s = torch.sigmoid(gates)  # g's share unused: one call beats three slices
                c = s[d:2 * d] * c + s[:d] * torch.tanh(gates[2 * d:3 * d])
                return s[3 * d:] * torch.tanh(c), c
        else:
            def step(h, c, t):  # gates r, z, n (torch's order)
                xg, hg = x_gates[t - 1], torch.addmv(b_hh, W_hh, h)
                rz = torch.sigmoid(xg[:2 * d] + hg[:2 * d])
                r, z = rz[:d], rz[d:]
                n = torch.tanh(xg[2 * d:] + r * hg[2 * d:])
                return n + z * (h - n), c
        return step, zero
    if name == "attention":
        W_Q, W_K, W_V = attention_weights(d, seed)
        # (W_Q c)·(W_K h_k)/√d = h_k·(M c) with M = W_Kᵀ W_Q/√d: a matvec with the stacked
        # history scores every k at once, and α·[h_0; …] gives Σ_k α_k h_k before W_V is
        # applied once: O(t·d) per step, not O(t·d²).
        M, V = _t(W_K.T @ W_Q / np.sqrt(d)), _t(W_V)

        def step(h, memory, t):
            blocks, tail = memory  # together h_0 … h_{t−1}, with their taps
            tail = torch.cat((tail, h[None]))
            if len(tail) == ATTENTION_BLOCK:
                blocks, tail = torch.cat((blocks, tail)), tail[:0]
            c = torch.tanh(torch.addmv(drive[t - 1], W, h))
            q = M @ c
            alpha = torch.softmax(torch.cat((blocks @ q, tail @ q)), dim=0)
            n = len(blocks)
            return c + V @ (alpha[:n] @ blocks + alpha[n:] @ tail), (blocks, tail)
        empty = torch.zeros((0, d), dtype=torch.float64)
        return step, (empty, empty)
    if name == "irnn":
        return (lambda h, c, t: (torch.relu(h + drive[t - 1]), c)), zero
    if name == "orthogonal":
        Q = _t(recurrent_matrix("orthogonal", d, 1.0, seed))
        return (lambda h, c, t: (torch.tanh(torch.addmv(drive[t - 1], Q, h)), c)), zero
    if name == "residual":
        return (lambda h, c, t: (
            h + RESIDUAL_ALPHA * torch.tanh(torch.addmv(drive[t - 1], W, h)), c)), zero
    if name == "layernorm":
        return (lambda h, c, t: (torch.tanh(torch.nn.functional.layer_norm(
            torch.addmv(drive[t - 1], W, h), (d,))), c)), zero
    return (lambda h, c, t: (torch_sigma(act, torch.addmv(drive[t - 1], W, h)), c)), zero


def gradient_flow(cells: tuple[str, ...], act: str, d: int, T: int, init: str,
                  scale: float, seed: int, inputs: str = "random",
                  h0: str = "random") -> dict[str, np.ndarray]:
    """‖∂L/∂h_k‖ for k = 0..T (arrays of length T+1, index k) with L = u·h_T, per cell.

    Every cell sees the same inputs, h_0 and readout u (LSTM: c_0 = 0). ∂L/∂h_k is the
    total derivative through everything h_k feeds (for the LSTM, holding c_k fixed; for
    attention, through the next step and every later step that attends to h_k), by
    autograd through zero taps added to each h_k. The value at k = T is ‖u‖ = 1.
    """
    bad = [c for c in cells if c not in CELLS]
    if bad:
        raise ValueError(f"unknown cells {bad}; choose from {CELLS}")
    s = rnn_setup(d, T, init, scale, seed, inputs, h0)
    u = _t(s.readout)
    out = {}
    for name in cells:
        step, c = _cell_step(name, act, s, seed)
        taps = torch.zeros((int(T) + 1, int(d)), dtype=torch.float64, requires_grad=True)
        # unbind, not taps[t]: one backward for all T+1 rows instead of a zero-filled
        # (T+1, d) gradient per row, which at T = 500 was a third of a simple cell's time
        tap = taps.unbind(0)
        h = _t(s.h0) + tap[0]
        for t in range(1, int(T) + 1):
            h, c = step(h, c, t)
            h = h + tap[t]
        (u @ h).backward()
        out[name] = torch.linalg.vector_norm(taps.grad, dim=-1).numpy()
    return out
