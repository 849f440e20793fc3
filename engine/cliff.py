"""The exploding-gradient cliff of Pascanu, Mikolov & Bengio (ICML 2013), §3 / Fig. 6,
and gradient descent on it: plain, norm-clipped, value-clipped.

Loss of the one-unit map x_t = w·σ(x_{t−1}) + b (engine.dynamics) read out at T:

    E(w, b) = (σ(x_T) − target)²,      T = 50, x_0 = 0.5, target = 0.7,
    ∂E/∂θ   = 2·(σ(x_T) − target)·σ'(x_T)·∂x_T/∂θ,     θ ∈ {w, b},

with ∂x_T/∂θ from dynamics.iterate's forward-mode recursion (one code path).

Where the cliff is: for w > 1/σ'(x_0) ≈ 4.255, x_0 is the unstable fixed point (the
basin boundary) on the line b = x_0 − w·σ(x_0) ≈ 0.5 − 0.6225·w. Crossing it flips
x_T between the low and the high attractor: E steps from ≈ 0.24–0.47 to ≤ 0.07
and |∇E| ~ (w·σ'(x_0))^T spikes in a band only ~1e-3 (w = 4.6) to ~1e-6 (w = 6) wide.
The zero-loss valley (x* = σ⁻¹(0.7) ≈ 0.847, i.e. b = 0.847 − 0.7·w) runs into that
wall at w ≈ 4.48: the minimum lies at the foot of the cliff. The default grid
w ∈ [2, 8], b ∈ [−5, 0] frames exactly this: the valley, where it meets the wall,
the wall down to b ≈ −4.5, and both plateaus; descent paths (~0.1 per step) stay
visible at its scale (on [−2, 12] × [−8, 2] they shrink to a few pixels).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.activations import SCALAR_SIGMA, sigma, sigma_prime
from engine.numerics import norms
from engine.dynamics import DEFAULT_T, DEFAULT_X0, basin_crossing, iterate, iterate_scalar

DEFAULT_TARGET = 0.7
DEFAULT_W_RANGE = (2.0, 8.0)
DEFAULT_B_RANGE = (-5.0, 0.0)
DEFAULT_GRID = 200

# Descent presets (lr = 0.1, threshold = 1, 100 steps; E at the end in brackets):
#  beside_wall     (4.6, −2.365): 1.7e-3 below the wall (b* = −2.3633), |∇E| ≈ 75, so
#                  plain GD's first step is 7.5 vs 0.1 clipped (75×) and throws it to
#                  ≈ (8.5, 4.1), a far plateau with |∇E| ~ 1e-7 where it stays [0.09];
#                  norm clipping walks down the wall into the valley [0.0016],
#                  value clipping too, bent by ~14° [0.004].
#  walk_into_wall  (5.0, −3.0): on the low plateau; |∇E| < 0.77 < threshold for 67
#                  steps, so all three paths are identical (clipping idle) until they
#                  reach the wall at (4.80, −2.49): |∇E| = 85, plain step 8.5 (85×)
#                  to (9.25, 4.73) [0.09]; clipped ones stay [0.008, 0.005].
PRESETS = {
    "beside_wall": dict(w0=4.6, b0=-2.365, lr=0.1, steps=100, threshold=1.0),
    "walk_into_wall": dict(w0=5.0, b0=-3.0, lr=0.1, steps=100, threshold=1.0),
}
DEFAULT_START = (4.6, -2.365)
DEFAULT_LR = 0.1
DEFAULT_STEPS = 100
DEFAULT_THRESHOLD = 1.0
METHODS = ("plain", "norm", "value")


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown descent method {method!r}; choose one of {METHODS}")


# ---------------------------------------------------------------- loss and gradient

@dataclass(frozen=True)
class Loss:
    """E, ∂E/∂w, ∂E/∂b and x_T, all of the broadcast shape of (w, b)."""

    E: np.ndarray
    dE_dw: np.ndarray
    dE_db: np.ndarray
    x_T: np.ndarray


def loss(w, b, x0=DEFAULT_X0, T: int = DEFAULT_T, target: float = DEFAULT_TARGET,
         activation: str = "sigmoid", readout: str = "sigmoid") -> Loss:
    """E = (σ_r(x_T) − target)² and its gradient for any broadcast arrays w, b:
    ∂E/∂θ = 2(σ_r(x_T) − target)·σ_r'(x_T)·∂x_T/∂θ."""
    tr = iterate(w, b, x0, T, activation, last_only=True)
    xT = tr.x[-1]
    with np.errstate(all="ignore"):
        err = sigma(readout, xT) - target
        outer = 2.0 * err * sigma_prime(readout, xT)  # ∂E/∂x_T
        return Loss(err * err, outer * tr.dx_dw[-1], outer * tr.dx_db[-1], xT)


@dataclass(frozen=True)
class Surface:
    """E and ∇E on a grid: w (n_w,), b (n_b,); E, dE_dw, dE_db, x_T, grad_norm are
    (n_b, n_w) — rows are b, columns are w (plotly's z[y][x] with x = w, y = b)."""

    w: np.ndarray
    b: np.ndarray
    E: np.ndarray
    dE_dw: np.ndarray
    dE_db: np.ndarray
    x_T: np.ndarray
    grad_norm: np.ndarray


def surface(w_range=DEFAULT_W_RANGE, b_range=DEFAULT_B_RANGE, n_w: int = DEFAULT_GRID,
            n_b: int = DEFAULT_GRID, x0=DEFAULT_X0, T: int = DEFAULT_T,
            target: float = DEFAULT_TARGET, activation: str = "sigmoid",
            readout: str = "sigmoid") -> Surface:
    """The loss surface E(w, b) and its gradient on an n_b × n_w grid, all at once."""
    w = np.linspace(*w_range, int(n_w))
    b = np.linspace(*b_range, int(n_b))
    L = loss(w[None, :], b[:, None], x0, T, target, activation, readout)
    with np.errstate(all="ignore"):
        gn = np.hypot(L.dE_dw, L.dE_db)
    return Surface(w, b, L.E, L.dE_dw, L.dE_db, L.x_T, gn)


# ---------------------------------------------------------------- clipping

def clip_by_norm(g, threshold: float):
    """g ← threshold·g/‖g‖ if ‖g‖ > threshold, else g. Keeps the direction."""
    g = np.asarray(g, dtype=np.float64)
    n = norms(g)[..., None]
    with np.errstate(all="ignore"):
        return np.where(n > threshold, g * (threshold / n), g)


def clip_by_value(g, threshold: float):
    """Each component clamped to [−threshold, threshold]. Bends the direction
    whenever the components are unbalanced (one clamped, the other not)."""
    return np.clip(np.asarray(g, dtype=np.float64), -threshold, threshold)


def angle_deg(u, v):
    """Angle between u and v (last axis) in degrees, 2·atan2(‖û − v̂‖, ‖û + v̂‖):
    exact at 0° and 180°, unlike arccos of the cosine. NaN if either is zero/non-finite."""
    u, v = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
    with np.errstate(all="ignore"):
        uh, vh = u / norms(u)[..., None], v / norms(v)[..., None]
        return np.degrees(2.0 * np.arctan2(norms(uh - vh), norms(uh + vh)))


@dataclass(frozen=True)
class ClipComparison:
    """One gradient and its two clipped versions, for the side-by-side panel."""

    raw: np.ndarray
    by_norm: np.ndarray
    by_value: np.ndarray
    threshold: float
    norm_raw: float
    norm_by_norm: float
    norm_by_value: float
    angle_by_norm: float   # degrees to raw: 0 (direction kept)
    angle_by_value: float  # degrees to raw: > 0 when value clipping bends it


def compare_clipping(g, threshold: float = DEFAULT_THRESHOLD) -> ClipComparison:
    """Clip one gradient both ways and measure norms and angles (degrees)."""
    g = np.asarray(g, dtype=np.float64)
    cn, cv = clip_by_norm(g, threshold), clip_by_value(g, threshold)
    return ClipComparison(g, cn, cv, float(threshold), float(norms(g)), float(norms(cn)),
                          float(norms(cv)), float(angle_deg(g, cn)), float(angle_deg(g, cv)))


# ---------------------------------------------------------------- descent

@dataclass(frozen=True)
class DescentPath:
    """Gradient descent on E from (w0, b0).

    path (steps+1, 2) the (w, b) iterates; loss (steps+1,); grad (steps, 2) the raw
    ∇E at path[k]; grad_norm (steps,) ‖∇E‖; step_norm (steps,) ‖path[k+1] − path[k]‖
    = lr·‖clipped ∇E‖; angle (steps,) degrees between the applied and the raw
    gradient. diverged_at: the first k where path[k] or ∇E(path[k]) is not finite
    (−1 if never); from there on the point is no longer updated (step_norm 0).
    """

    method: str
    lr: float
    threshold: float
    path: np.ndarray
    loss: np.ndarray
    grad: np.ndarray
    grad_norm: np.ndarray
    step_norm: np.ndarray
    angle: np.ndarray
    diverged_at: int


def _loss_and_grad(p, x0, T, target, activation, readout):
    """E (M,) and ∇E (M, 2) at the M points p (M, 2): `loss` for arrays, or — for the
    activations with a scalar twin — the same formulas lane by lane in plain floats,
    ~20× faster for the 1–3 lanes of a descent (numpy's per-call overhead dominates)."""
    if activation not in SCALAR_SIGMA or readout not in SCALAR_SIGMA:
        L = loss(p[:, 0], p[:, 1], x0, T, target, activation, readout)
        return L.E, np.stack([L.dE_dw, L.dE_db], axis=-1)
    r_fn, rp_fn = SCALAR_SIGMA[readout]
    E, g = np.empty(len(p)), np.empty((len(p), 2))
    for i, (w, b) in enumerate(p.tolist()):
        xT, dw, db = iterate_scalar(w, b, x0, T, activation)
        err = r_fn(xT) - target
        outer = 2.0 * err * rp_fn(xT)
        E[i], g[i, 0], g[i, 1] = err * err, outer * dw, outer * db
    return E, g


def descend_many(w0, b0, lr: float = DEFAULT_LR, steps: int = DEFAULT_STEPS,
                 methods=METHODS, threshold: float = DEFAULT_THRESHOLD, x0=DEFAULT_X0,
                 T: int = DEFAULT_T, target: float = DEFAULT_TARGET,
                 activation: str = "sigmoid", readout: str = "sigmoid") -> tuple[DescentPath, ...]:
    """Run one descent per method side by side, one loss evaluation per step (scalar
    fast path for sigmoid/tanh/identity, see _loss_and_grad):

        θ_{k+1} = θ_k − lr·clip(∇E(θ_k)),  clip ∈ {identity, clip_by_norm, clip_by_value}.
    """
    for m in methods:
        _check_method(m)
    M, steps = len(methods), int(steps)
    p = np.tile(np.array([w0, b0], dtype=np.float64), (M, 1))
    path = np.empty((steps + 1, M, 2))
    losses = np.empty((steps + 1, M))
    grads, applied, moves = (np.empty((steps, M, 2)) for _ in range(3))
    diverged = np.full(M, -1)
    by_norm = np.array([m == "norm" for m in methods])[:, None]
    by_value = np.array([m == "value" for m in methods])[:, None]
    with np.errstate(all="ignore"):
        for k in range(steps + 1):
            path[k] = p
            losses[k], g = _loss_and_grad(p, x0, T, target, activation, readout)
            if k == steps:
                break
            bad = ~(np.isfinite(p).all(-1) & np.isfinite(g).all(-1))
            diverged[(diverged < 0) & bad] = k
            # every lane clipped both ways at once, each keeping its own method's result
            c = np.where(by_norm, clip_by_norm(g, threshold),
                         np.where(by_value, clip_by_value(g, threshold), g))
            grads[k], applied[k] = g, c
            moves[k] = np.where((diverged >= 0)[:, None], 0.0, lr * c)  # stopped: stay put
            p = p - moves[k]
        gn, sn, ang = norms(grads), norms(moves), angle_deg(applied, grads)
    return tuple(DescentPath(m, float(lr), float(threshold), path[:, i], losses[:, i],
                             grads[:, i], gn[:, i], sn[:, i], ang[:, i], int(diverged[i]))
                 for i, m in enumerate(methods))


# ---------------------------------------------------------------- one start, three descents

# Plain GD's largest step at this many times the clipped cap lr·threshold (or more) is called
# exploding: clipping then changed the run by an order of magnitude, not by a nudge.
EXPLODING_RATIO = 10


@dataclass(frozen=True)
class CliffDescent:
    """Plain, norm-clipped and value-clipped descent from one start, and what they show:

    paths          one DescentPath per method (METHODS order)
    start          ∇E at the start, clipped both ways
    largest_step   plain GD's largest step ‖θ_{k+1} − θ_k‖ and its iteration k
    cap            the clipped methods' largest possible step, lr·threshold
    ratio, regime  largest_step / cap, and "exploding" from EXPLODING_RATIO on, else "stable"
    clipped        whether ‖∇E‖ exceeded the threshold anywhere on plain GD's path (otherwise
                   clipping never acted and the three paths coincide)
    wall, wall_slope  the b at which x₀ is a fixed point at w = w₀ (engine.dynamics
                   .basin_crossing) and w·σ′(x₀) there: above 1, x₀ is unstable and the line
                   is the cliff's wall
    left_frame     per path, the first iterate outside the default grid (None if none)
    """

    paths: tuple[DescentPath, ...]
    start: ClipComparison
    largest_step: float
    largest_step_at: int
    cap: float
    ratio: float
    regime: str
    clipped: bool
    wall: float
    wall_slope: float
    left_frame: tuple[int | None, ...]


def _left_frame(path: np.ndarray) -> int | None:
    (w_lo, w_hi), (b_lo, b_hi) = DEFAULT_W_RANGE, DEFAULT_B_RANGE
    with np.errstate(invalid="ignore"):
        out = ~((path[:, 0] >= w_lo) & (path[:, 0] <= w_hi)
                & (path[:, 1] >= b_lo) & (path[:, 1] <= b_hi))
    return int(np.argmax(out)) if out.any() else None


def descend_from(w0: float, b0: float, lr: float = DEFAULT_LR, steps: int = DEFAULT_STEPS,
                 threshold: float = DEFAULT_THRESHOLD) -> CliffDescent:
    """The three descents of METHODS from (w0, b0) on the default surface, and their story."""
    paths = descend_many(w0, b0, lr, steps, threshold=threshold)
    plain = paths[0]
    k = int(np.argmax(plain.step_norm))
    big, cap = float(plain.step_norm[k]), lr * threshold
    wall, slope = basin_crossing("b", w0, DEFAULT_X0)
    return CliffDescent(
        paths=paths, start=compare_clipping(plain.grad[0], threshold), largest_step=big,
        largest_step_at=k, cap=cap, ratio=big / cap,
        regime="exploding" if big >= EXPLODING_RATIO * cap else "stable",
        clipped=big > cap, wall=wall, wall_slope=slope,
        left_frame=tuple(_left_frame(P.path) for P in paths))
