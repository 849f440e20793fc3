"""Backpropagation through time in a vanilla RNN (the cells that fix it: engine.cells).

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

from engine.activations import GAMMA, sigma, sigma_prime
from engine.numerics import first_nonfinite, norms, singular_values, spectral_norms
from engine.regime import regime

INITS = ("spectral", "singular", "orthogonal", "identity")

# A per-step factor within e^{±0.05} of 1 is "stable": over 20 steps it moves a
# norm by at most a factor e. Outside the band the trend wins within a few dozen steps.
REGIME_BAND = (float(np.exp(-0.05)), float(np.exp(0.05)))
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


def contribution_map(preact: np.ndarray, W: np.ndarray, act: str,
                     readout: np.ndarray, rows=None) -> np.ndarray:
    """C[t, k] = ‖∂J_t/∂h_k‖ with J_t = u·h_t, shape (T+1, T+1) indexed by true steps.

    Defined for 1 ≤ t ≤ T and 0 ≤ k ≤ t; NaN elsewhere (k > t, and row t = 0 because there
    is no J_0), so a heatmap leaves those cells blank. `rows` (steps t, default all) limits
    the work to the rows that will be looked at; the others stay NaN. Row T always is.

    ∂J_t/∂h_k = u·∂h_t/∂h_k. All t travel back together: the stack G[t] = ∂J_t/∂h_{k+1}
    steps to k with one (rows alive, d)@(d, d) matmul, G[t] ← G[t]·diag(σ'(a_{k+1})) W, and
    at k = t the row G[t] = u is born.
    """
    T, d = preact.shape
    steps = np.arange(T + 1) if rows is None else np.union1d(np.asarray(rows, dtype=int), [T])
    steps = steps[(steps >= 1) & (steps <= T)]
    slopes = sigma_prime(act, preact)
    G = np.zeros((len(steps), d))  # row i: ∂J_{steps[i]}/∂h_{k+1}
    C = np.full((T + 1, T + 1), np.nan)
    born = len(steps)  # rows born[:] are alive (t ≥ k); steps ascend
    with np.errstate(all="ignore"):
        for k in range(T, -1, -1):
            if k < T:  # only rows t > k are alive; untouched rows stay exactly zero
                G[born:] = (G[born:] * slopes[k]) @ W
            while born > 0 and steps[born - 1] >= max(k, 1):
                born -= 1
                G[born] = readout
            C[steps[born:], k] = norms(G[born:])
    return C


# ---------------------------------------------------------------------------- regimes

def decay_rate(curve: np.ndarray) -> float:
    """Per-step rate of a norm curve indexed by lag: the geometric mean of the ratios
    ‖·‖_{l}/‖·‖_{l−1}, which telescopes to (n_L / n_0)^(1/L), L the last finite lag.

    0 if the curve reaches exactly 0 (e.g. dead ReLUs); inf if it is not finite already
    at lag 1; NaN if there is nothing to measure (a single point, or NaN at lag 1).
    """
    n = np.asarray(curve, dtype=np.float64)
    if len(n) < 2 or not np.isfinite(n[0]) or n[0] <= 0:
        return float("nan")
    L = first_nonfinite(n)
    if L == 1:
        return float("inf") if np.isinf(n[1]) else float("nan")
    n = n if L is None else n[:L]
    L = len(n) - 1
    with np.errstate(divide="ignore"):  # log 0 = −inf → rate 0: a dead chain stays dead
        return float(np.exp((np.log(n[L]) - np.log(n[0])) / L))


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
    regime: str                    # engine.regime's name for rate (band REGIME_BAND)
    bound_factor: float            # γ‖W‖₂: the bound's factor per step
    bound_regime: str              # its name: below 1 the bound forces decay
    first_nonfinite_step: int | None  # first t with a non-finite h_t
    first_nonfinite_lag: int | None   # first l with a non-finite ‖∂h_T/∂h_{T−l}‖₂


def bptt(act: str, d: int, T: int, init: str, scale: float, seed: int,
         inputs: str = "random", h0: str = "random", map_rows=None) -> BPTTResult:
    """Run the vanilla RNN and measure how gradients travel back through it (the contribution
    map only in rows `map_rows`, if given: see contribution_map)."""
    s = rnn_setup(d, T, init, scale, seed, inputs, h0)
    drive = s.inputs @ s.W_x.T
    hidden, preact = run_rnn(s.W, drive, s.h0, act)
    P = jacobian_chain(preact, s.W, act)
    svals = singular_values(P)
    jacobian_norms = spectral_norms(P, svals)
    w_norm = float(np.linalg.norm(s.W, 2))
    lags = np.arange(len(P))
    with np.errstate(all="ignore"):
        bound = (GAMMA[act] * w_norm) ** lags  # ‖diag(σ')W‖ ≤ γ‖W‖, once per step
    rate = decay_rate(jacobian_norms)
    return BPTTResult(
        act=act, W=s.W, drive=drive, readout=s.readout, hidden=hidden, preact=preact,
        jacobian_norms=jacobian_norms, singular_values=svals, bound=bound,
        gamma=GAMMA[act], w_norm=w_norm,
        spectral_radius=float(np.max(np.abs(np.linalg.eigvals(s.W)))),
        contribution_map=contribution_map(preact, s.W, act, s.readout, map_rows),
        rate=rate, regime=regime(rate, REGIME_BAND),
        bound_factor=GAMMA[act] * w_norm, bound_regime=regime(GAMMA[act] * w_norm, REGIME_BAND),
        first_nonfinite_step=first_nonfinite(hidden),
        # The norm can overflow a lag or two before any single entry does.
        first_nonfinite_lag=first_nonfinite(jacobian_norms),
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
