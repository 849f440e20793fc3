"""Backpropagation through time in a vanilla RNN, and the cells that fix it.

The model (d hidden units, T steps, b = 0):

    a_t = W h_{t−1} + z_t,   z_t = W_x x_t + b,   h_t = σ(a_t),   t = 1..T

Conventions (everything below uses them):

* Jacobian orientation. ∂h_t/∂h_k is the d×d matrix with [i, j] = ∂h_t[i]/∂h_k[j]
  (numerator layout), so one step is ∂h_j/∂h_{j−1} = diag(σ'(a_j))·W and

      ∂h_t/∂h_k = diag(σ'(a_t)) W · diag(σ'(a_{t−1})) W ⋯ diag(σ'(a_{k+1})) W.

  A gradient is a row vector g = ∂J/∂h; it travels backwards as g_k = g_t·∂h_t/∂h_k.
  As a column vector that is g_k = (∂h_t/∂h_k)ᵀ g_t, i.e. (Wᵀ)^l g_t when σ = identity.
* Lags. Curves "vs k" towards the final state are indexed by the lag l = T − k, l = 0..T,
  so index 0 is h_T itself (Jacobian = I) and index T is the initial state h_0.
* Indexing. hidden[t] = h_t for t = 0..T; preact[t−1] = a_t (there is no a_0).
* Loss. A fixed, seeded, unit-length readout u: J_t = u·h_t, J = Σ_{t=1..T} J_t. Linear on
  purpose: ∂J_t/∂h_t = u has norm 1 at every step, so ‖∂J_t/∂h_k‖ measures only how far
  the chain carries the gradient, not how large h_t happened to be.
* Inputs. m = d inputs, x_t ~ N(0, 1), W_x ~ N(0, 1/m): each unit gets an O(1) drive.
  inputs="zero" removes them. h_0 ~ N(0, 1/d) (‖h_0‖ ≈ 1, so the linear zero-input
  case is not trivially zero); h0="zero" starts at rest.
* Seeds. One seed is split into independent streams (W, inputs, h_0, readout, and the
  attention cell's W_Q, W_K, W_V), so changing the init or scale of W leaves the inputs,
  h_0 and u untouched.

Overflow is physics: nothing here raises on inf/NaN; results carry them and say where
they began.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from engine.activations import GAMMA, sigma, sigma_prime, torch_sigma

INITS = ("spectral", "singular", "orthogonal", "identity")
CELLS = ("rnn", "lstm", "gru", "irnn", "orthogonal", "residual", "layernorm", "attention")
REGIMES = ("vanishing", "stable", "exploding")

# A per-step factor within e^{±0.05} of 1 is "stable": over 20 steps it moves a
# norm by at most a factor e. Outside the band the trend wins within a few dozen steps.
REGIME_TOL = 0.05
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

# Append only: SeedSequence.spawn(n) gives child i the same stream for every n ≥ i + 1, so a
# new stream at the end leaves every existing one (and every existing cell's numbers) as is.
_STREAMS = ("W", "inputs", "h0", "readout", "attention")


# ---------------------------------------------------------------------------- setup

def _rngs(seed: int) -> dict[str, np.random.Generator]:
    """Independent generators per ingredient, all derived from one seed."""
    children = np.random.SeedSequence(int(seed)).spawn(len(_STREAMS))
    return {name: np.random.default_rng(s) for name, s in zip(_STREAMS, children)}


def recurrent_matrix(init: str, d: int, scale: float, seed: int) -> np.ndarray:
    """The recurrent weight W (d×d, float64), reproducible from the seed.

    spectral:   G_ij ~ N(0, 1/d),  W = scale · G / ρ(G)      → spectral radius ρ(W) = scale
    singular:   G_ij ~ N(0, 1/d),  W = scale · G / ‖G‖₂      → largest singular value = scale
    orthogonal: W = scale · Q, Q Haar-random orthogonal       → every singular value = scale
    identity:   W = scale · I   (the IRNN init)
    """
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; choose one of {INITS}")
    d = int(d)
    if init == "identity":
        return float(scale) * np.eye(d)
    G = _rngs(seed)["W"].standard_normal((d, d)) / np.sqrt(d)
    if init == "orthogonal":
        return float(scale) * _haar_orthogonal(G)
    if init == "spectral":
        size = np.max(np.abs(np.linalg.eigvals(G)))
    else:
        size = np.linalg.norm(G, 2)
    return float(scale) * G / size


def _haar_orthogonal(G: np.ndarray) -> np.ndarray:
    """The orthogonal factor of a Gaussian G, Haar-distributed: QR alone is not uniform
    over rotations; fixing the signs of diag(R) makes it so."""
    Q, R = np.linalg.qr(G)
    return Q * np.where(np.diag(R) < 0, -1.0, 1.0)


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


@dataclass(frozen=True)
class RNNSetup:
    """Everything a run needs, shared by the vanilla RNN and every other cell."""

    W: np.ndarray        # (d, d) recurrent weights
    W_x: np.ndarray      # (d, m) input weights, m = d
    inputs: np.ndarray   # (T, m) x_1..x_T  (row t−1 is x_t)
    h0: np.ndarray       # (d,) initial state
    readout: np.ndarray  # (d,) unit vector u, J_t = u·h_t


def rnn_setup(d: int, T: int, init: str, scale: float, seed: int,
              inputs: str = "random", h0: str = "random") -> RNNSetup:
    """Seeded weights, inputs, initial state and readout (see the module conventions)."""
    if inputs not in ("random", "zero"):
        raise ValueError(f"inputs must be 'random' or 'zero', not {inputs!r}")
    if h0 not in ("random", "zero"):
        raise ValueError(f"h0 must be 'random' or 'zero', not {h0!r}")
    d, T, m = int(d), int(T), int(d)
    r = _rngs(seed)
    W_x = r["inputs"].standard_normal((d, m)) / np.sqrt(m)
    xs = r["inputs"].standard_normal((T, m))
    u = r["readout"].standard_normal(d)
    return RNNSetup(
        W=recurrent_matrix(init, d, scale, seed),
        W_x=W_x,
        inputs=xs if inputs == "random" else np.zeros((T, m)),
        h0=r["h0"].standard_normal(d) / np.sqrt(d) if h0 == "random" else np.zeros(d),
        readout=u / np.linalg.norm(u),
    )


# ---------------------------------------------------------------------------- forward

def run_rnn(W: np.ndarray, drive: np.ndarray, h0: np.ndarray, act: str):
    """h_t = σ(W h_{t−1} + z_t) for t = 1..T; returns (hidden (T+1, d), preact (T, d))."""
    T, d = drive.shape
    hidden = np.empty((T + 1, d))
    preact = np.empty((T, d))
    hidden[0] = h0
    with np.errstate(all="ignore"):  # an overflowing state is a result, not an error
        for t in range(1, T + 1):
            preact[t - 1] = W @ hidden[t - 1] + drive[t - 1]
            hidden[t] = sigma(act, preact[t - 1])
    return hidden, preact


def first_nonfinite(x: np.ndarray) -> int | None:
    """First index along axis 0 whose slice holds an inf/NaN, or None."""
    bad = ~np.isfinite(x.reshape(len(x), -1)).all(axis=1)
    return int(np.argmax(bad)) if bad.any() else None


# ---------------------------------------------------------------------------- Jacobians

def jacobian_chain(preact: np.ndarray, W: np.ndarray, act: str, t: int | None = None):
    """P[l] = ∂h_t/∂h_{t−l} for l = 0..t (shape (t+1, d, d)); t defaults to T.

    Running product, one matmul per step:
        P[0] = I,   P[l] = P[l−1] · diag(σ'(a_{t−l+1})) W.
    """
    t = len(preact) if t is None else int(t)
    d = W.shape[0]
    slopes = sigma_prime(act, preact[:t])  # slopes[j−1] = σ'(a_j)
    P = np.empty((t + 1, d, d))
    P[0] = np.eye(d)
    with np.errstate(all="ignore"):
        for l in range(1, t + 1):
            # P·diag(s) scales P's columns: no d×d diagonal matrix is ever built.
            P[l] = (P[l - 1] * slopes[t - l]) @ W
    return P


def singular_values(P: np.ndarray) -> np.ndarray:
    """Singular values (descending) of each matrix in a (n, d, d) stack, one batched SVD;
    NaN rows where the matrix is not finite (LAPACK is never handed an inf). LAPACK
    rescales internally, so entries near the float64 limit are fine; σ₁ itself may
    still exceed it and become inf."""
    out = np.full(P.shape[:2], np.nan)
    ok = np.isfinite(P).all(axis=(1, 2))
    if ok.any():
        out[ok] = np.linalg.svd(P[ok], compute_uv=False)
    return out


def _spectral_norms(P: np.ndarray, svals: np.ndarray) -> np.ndarray:
    """‖P‖₂ = largest singular value; a matrix holding an inf (and no NaN) has norm inf."""
    norms = svals[:, 0].copy()
    has_inf = np.isinf(P).any(axis=(1, 2)) & ~np.isnan(P).any(axis=(1, 2))
    norms[has_inf] = np.inf
    return norms


def _row_norms(G: np.ndarray) -> np.ndarray:
    """Euclidean norm of each row. Rows are divided by their largest entry first, so the
    squares neither overflow (|x| > 1e154) nor underflow (|x| < 1e−154): vanishing
    gradients live down there. A row holding inf has norm inf; one holding NaN, NaN."""
    big = np.max(np.abs(G), axis=-1)
    safe = np.where((big > 0) & np.isfinite(big), big, 1.0)
    r = G / safe[:, None]
    n = safe * np.sqrt(np.einsum("ij,ij->i", r, r))
    return np.where(np.isinf(big), np.inf, n)


def contribution_map(preact: np.ndarray, W: np.ndarray, act: str,
                     readout: np.ndarray) -> np.ndarray:
    """C[t, k] = ‖∂J_t/∂h_k‖ with J_t = u·h_t, shape (T+1, T+1) indexed by true steps.

    Defined for 1 ≤ t ≤ T and 0 ≤ k ≤ t; NaN elsewhere (k > t, and row t = 0 because there
    is no J_0), so a heatmap leaves those cells blank.

    ∂J_t/∂h_k = u·∂h_t/∂h_k. All t travel back together: the stack G[t] = ∂J_t/∂h_{k+1}
    steps to k with one (T−k, d)@(d, d) matmul, G[t] ← G[t]·diag(σ'(a_{k+1})) W, and at
    k = t the row G[t] = u is born.
    """
    T, d = preact.shape
    slopes = sigma_prime(act, preact)
    G = np.zeros((T + 1, d))
    C = np.full((T + 1, T + 1), np.nan)
    with np.errstate(all="ignore"):
        for k in range(T, -1, -1):
            if k < T:  # only rows t > k are alive; untouched rows stay exactly zero
                G[k + 1:] = (G[k + 1:] * slopes[k]) @ W
            if k >= 1:
                G[k] = readout
            lo = max(k, 1)
            C[lo:, k] = _row_norms(G[lo:])
    return C


# ---------------------------------------------------------------------------- regimes

def decay_rate(norms: np.ndarray) -> float:
    """Per-step rate of a norm curve indexed by lag: the geometric mean of the ratios
    ‖·‖_{l}/‖·‖_{l−1}, which telescopes to (n_L / n_0)^(1/L), L the last finite lag.

    0 if the curve reaches exactly 0 (e.g. dead ReLUs); inf if it is not finite already
    at lag 1; NaN if there is nothing to measure (a single point, or NaN at lag 1).
    """
    n = np.asarray(norms, dtype=np.float64)
    if len(n) < 2 or not np.isfinite(n[0]) or n[0] <= 0:
        return float("nan")
    L = first_nonfinite(n)
    if L == 1:
        return float("inf") if np.isinf(n[1]) else float("nan")
    n = n if L is None else n[:L]
    L = len(n) - 1
    with np.errstate(divide="ignore"):  # log 0 = −inf → rate 0: a dead chain stays dead
        return float(np.exp((np.log(n[L]) - np.log(n[0])) / L))


def regime(factor: float, tol: float = REGIME_TOL) -> str:
    """Name a per-step factor (γ‖W‖₂, a spectral radius, or a measured decay_rate):
    "vanishing" if factor < e^{−tol}, "exploding" if > e^{tol}, else "stable";
    "undefined" for NaN."""
    if np.isnan(factor):
        return "undefined"
    if factor < np.exp(-tol):
        return "vanishing"
    if factor > np.exp(tol):
        return "exploding"
    return "stable"


# ---------------------------------------------------------------------------- BPTT

@dataclass(frozen=True)
class BPTTResult:
    """One vanilla-RNN run and its gradient anatomy (conventions: module docstring)."""

    act: str
    W: np.ndarray                  # (d, d)
    drive: np.ndarray              # (T, d)   z_t = W_x x_t (+ b = 0), row t−1
    readout: np.ndarray            # (d,)     u, J_t = u·h_t
    hidden: np.ndarray             # (T+1, d) h_0..h_T
    preact: np.ndarray             # (T, d)   a_1..a_T
    jacobian_norms: np.ndarray     # (T+1,)   ‖∂h_T/∂h_{T−l}‖₂ by lag l
    singular_values: np.ndarray    # (T+1, d) of ∂h_T/∂h_{T−l}, descending, by lag l
    bound: np.ndarray              # (T+1,)   (γ‖W‖₂)^l
    gamma: float                   # sup|σ'|
    w_norm: float                  # ‖W‖₂
    spectral_radius: float         # max|eig W|
    contribution_map: np.ndarray   # (T+1, T+1) ‖∂J_t/∂h_k‖ at [t, k], NaN if k > t or t = 0
    rate: float                    # decay_rate(jacobian_norms)
    regime: str                    # regime(rate)
    first_nonfinite_step: int | None  # first t with a non-finite h_t
    first_nonfinite_lag: int | None   # first l with a non-finite ‖∂h_T/∂h_{T−l}‖₂


def bptt(act: str, d: int, T: int, init: str, scale: float, seed: int,
         inputs: str = "random", h0: str = "random") -> BPTTResult:
    """Run the vanilla RNN and measure how gradients travel back through it."""
    s = rnn_setup(d, T, init, scale, seed, inputs, h0)
    drive = s.inputs @ s.W_x.T
    hidden, preact = run_rnn(s.W, drive, s.h0, act)
    P = jacobian_chain(preact, s.W, act)
    svals = singular_values(P)
    norms = _spectral_norms(P, svals)
    w_norm = float(np.linalg.norm(s.W, 2))
    lags = np.arange(len(P))
    with np.errstate(all="ignore"):
        bound = (GAMMA[act] * w_norm) ** lags  # ‖diag(σ')W‖ ≤ γ‖W‖, once per step
    rate = decay_rate(norms)
    return BPTTResult(
        act=act, W=s.W, drive=drive, readout=s.readout, hidden=hidden, preact=preact,
        jacobian_norms=norms, singular_values=svals, bound=bound,
        gamma=GAMMA[act], w_norm=w_norm,
        spectral_radius=float(np.max(np.abs(np.linalg.eigvals(s.W)))),
        contribution_map=contribution_map(preact, s.W, act, s.readout),
        rate=rate, regime=regime(rate),
        first_nonfinite_step=first_nonfinite(hidden),
        # The norm can overflow a lag or two before any single entry does.
        first_nonfinite_lag=first_nonfinite(norms),
    )


# The seeds' worked example: one unit, factor 0.5 or 2 per step, ten steps.
# ‖∂h_10/∂h_0‖ = 0.5^10 = 1/1024 ≈ 0.000977 and 2^10 = 1024, both exact in float64.
PRESETS = {
    "halving": dict(act="identity", d=1, T=10, init="identity", scale=0.5, seed=0,
                    inputs="zero"),
    "doubling": dict(act="identity", d=1, T=10, init="identity", scale=2.0, seed=0,
                     inputs="zero"),
}


# ---------------------------------------------------------------------------- linear modes

@dataclass(frozen=True)
class GradientModes:
    """A gradient g decomposed on the eigenvectors q_i of Wᵀ, sorted by |λ_i| descending:
    g = Σ c_i q_i, so (Wᵀ)^l g = Σ c_i λ_i^l q_i (‖q_i‖ = 1)."""

    eigenvalues: np.ndarray    # (d,) complex λ_i
    eigenvectors: np.ndarray   # (d, d) complex, column i is q_i
    coefficients: np.ndarray   # (d,) complex c_i
    magnitudes: np.ndarray     # (L+1, d) |c_i λ_i^l| = ‖component i after l steps‖
    dominant_share: np.ndarray  # (L+1,) magnitudes[l, 0] / Σ_i magnitudes[l, i]


def gradient_modes(W: np.ndarray, g: np.ndarray, L: int) -> GradientModes:
    """Why the top eigenvalue takes over in a linear RNN: each component of g is
    multiplied by its own λ_i every step back, so after l steps the ratio of two
    components has changed by (|λ_1|/|λ_2|)^l."""
    lam, Q = np.linalg.eig(np.asarray(W, dtype=np.float64).T)
    order = np.argsort(-np.abs(lam), kind="stable")
    lam, Q = lam[order], Q[:, order]
    c = np.linalg.solve(Q, np.asarray(g, dtype=np.complex128))
    with np.errstate(all="ignore"):
        # |c λ^l| = |c|·|λ|^l: real arithmetic once the phases no longer matter.
        mags = np.abs(c) * np.abs(lam) ** np.arange(int(L) + 1)[:, None]
        share = mags[:, 0] / mags.sum(axis=1)
    return GradientModes(eigenvalues=lam, eigenvectors=Q, coefficients=c,
                         magnitudes=mags, dominant_share=share)


# ---------------------------------------------------------------------------- autograd twins

def _t(x) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x, dtype=np.float64))


def _torch_states(W, drive, h0, act, taps):
    """Vanilla rollout in torch with a zero tap δ_t added to each h_t: ∂(·)/∂δ_t is
    exactly ∂(·)/∂h_t, and the taps are one leaf tensor autograd can differentiate."""
    W, drive = _t(W), _t(drive)
    h = _t(h0) + taps[0]
    states = [h]
    for t in range(1, len(drive) + 1):
        h = torch_sigma(act, W @ h + drive[t - 1]) + taps[t]
        states.append(h)
    return states


def autograd_jacobian_chain(W, drive, h0, act: str, t: int | None = None) -> np.ndarray:
    """Twin of jacobian_chain by torch autograd (float64): P[l] = ∂h_t/∂h_{t−l}."""
    T, d = np.shape(drive)
    t = T if t is None else int(t)
    drive = np.asarray(drive)[:t]
    taps = torch.zeros((t + 1, d), dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(
        lambda taps: _torch_states(W, drive, h0, act, taps)[t], taps)  # (d, t+1, d)
    return jac.permute(1, 0, 2).flip(0).numpy()  # [k] → [l = t − k]


def autograd_contribution_map(W, drive, h0, act: str, readout) -> np.ndarray:
    """Twin of contribution_map: autograd of every J_t = u·h_t w.r.t. every h_k."""
    T, d = np.shape(drive)
    u = _t(readout)
    taps = torch.zeros((T + 1, d), dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(
        lambda taps: torch.stack([u @ h for h in _torch_states(W, drive, h0, act, taps)[1:]]),
        taps)  # (T, T+1, d): [t−1, k] = ∂J_t/∂h_k
    C = np.full((T + 1, T + 1), np.nan)
    C[1:] = torch.linalg.vector_norm(jac, dim=-1).numpy()
    C[np.triu_indices(T + 1, 1)] = np.nan  # J_t does not depend on h_k for k > t
    return C


# ---------------------------------------------------------------------------- other cells

def _cell_step(name: str, act: str, s: RNNSetup, seed: int):
    """One cell in torch float64: (step, state_0), step a closure (h, state, x) → (h, state).

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
    W, Wx = _t(s.W), _t(s.W_x)
    zero = torch.zeros(d, dtype=torch.float64)
    if name in ("lstm", "gru"):
        with torch.random.fork_rng(devices=[]):  # seeded without touching global state
            torch.manual_seed(int(seed))
            net = (torch.nn.LSTM if name == "lstm" else torch.nn.GRU)(
                m, d, dtype=torch.float64)
        if name == "lstm":
            def step(h, c, x):
                _, (h, c) = net(x[None], (h[None], c[None]))
                return h[0], c[0]
        else:
            def step(h, c, x):
                _, h = net(x[None], h[None])
                return h[0], c
        return step, zero
    if name == "attention":
        W_Q, W_K, W_V = attention_weights(d, seed)
        # (W_Q c)·(W_K h_k)/√d = h_k·(M c) with M = W_Kᵀ W_Q/√d: a matvec with the stacked
        # history scores every k at once, and α·[h_0; …] gives Σ_k α_k h_k before W_V is
        # applied once: O(t·d) per step, not O(t·d²).
        M, V = _t(W_K.T @ W_Q / np.sqrt(d)), _t(W_V)

        def step(h, memory, x):
            blocks, tail = memory  # together h_0 … h_{t−1}, with their taps
            tail = torch.cat((tail, h[None]))
            if len(tail) == ATTENTION_BLOCK:
                blocks, tail = torch.cat((blocks, tail)), tail[:0]
            c = torch.tanh(W @ h + Wx @ x)
            q = M @ c
            alpha = torch.softmax(torch.cat((blocks @ q, tail @ q)), dim=0)
            n = len(blocks)
            return c + V @ (alpha[:n] @ blocks + alpha[n:] @ tail), (blocks, tail)
        empty = torch.zeros((0, d), dtype=torch.float64)
        return step, (empty, empty)
    if name == "irnn":
        return (lambda h, c, x: (torch.relu(h + Wx @ x), c)), zero
    if name == "orthogonal":
        Q = _t(recurrent_matrix("orthogonal", d, 1.0, seed))
        return (lambda h, c, x: (torch.tanh(Q @ h + Wx @ x), c)), zero
    if name == "residual":
        return (lambda h, c, x: (h + RESIDUAL_ALPHA * torch.tanh(W @ h + Wx @ x), c)), zero
    if name == "layernorm":
        return (lambda h, c, x: (
            torch.tanh(torch.nn.functional.layer_norm(W @ h + Wx @ x, (d,))), c)), zero
    return (lambda h, c, x: (torch_sigma(act, W @ h + Wx @ x), c)), zero


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
    xs, u = _t(s.inputs), _t(s.readout)
    out = {}
    for name in cells:
        step, c = _cell_step(name, act, s, seed)
        taps = torch.zeros((int(T) + 1, int(d)), dtype=torch.float64, requires_grad=True)
        # unbind, not taps[t]: one backward for all T+1 rows instead of a zero-filled
        # (T+1, d) gradient per row, which at T = 500 was a third of a simple cell's time
        tap = taps.unbind(0)
        h = _t(s.h0) + tap[0]
        for t in range(1, int(T) + 1):
            h, c = step(h, c, xs[t - 1])
            h = h + tap[t]
        (u @ h).backward()
        out[name] = torch.linalg.vector_norm(taps.grad, dim=-1).numpy()
    return out
