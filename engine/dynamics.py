"""The one-unit recurrent map of Pascanu, Mikolov & Bengio (ICML 2013), §2.3:

    x_t = w·σ(x_{t−1}) + b,        x_0 given (default 0.5), t = 1..T (default 50).

Everything is vectorised over parameters: w, b (and x_0) may be arrays of any
broadcastable shape; the only Python loop is over time t (or, for continuation,
over the sweep — and that loop does index bookkeeping only).

Four ideas live here, one function each:
  iterate          trajectory + forward-mode sensitivities ∂x_t/∂w, ∂x_t/∂b, ∂x_t/∂x_0
                   (iterate_scalar: the same recursion for one (w, b) in plain floats, ~20×
                   faster per call — what gradient descent on the cliff calls 5000 times)
  fixed_points     all roots of x = w·σ(x) + b and their stability |w·σ'(x*)| < 1
                   (equilibrium_curve: all of them along a sweep, as one curve θ(x))
  folds_in_b/_in_w saddle-node points: x = w·σ(x) + b and w·σ'(x) = 1
  bifurcation_diagram / gradient_sweep   what a sweep of w or b does to x_∞ and ∂x_T/∂θ
                   (basin_crossing: where x_0 is the fixed point; sweep_values: a sweep grid
                   that resolves the spike there)

σ is "sigmoid" (logistic, the paper's choice), "tanh" or "identity".
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.activations import sigma, sigma_prime

MAP_ACTIVATIONS = ("sigmoid", "tanh", "identity")
DEFAULT_X0 = 0.5
DEFAULT_T = 50
# Pascanu et al. Fig. 2 (after Doya 1993): w = 5 fixed, b swept. Folds at
# b ≈ −2.6556 and −2.3444; the sweep range shows both branches and both jumps.
PASCANU_W = 5.0
DEFAULT_B_SWEEP = (-3.5, -1.5)
# For a w-sweep at b = −3 the folds sit at w ≈ 5.4640 and 8.4640 (bistable between).
DEFAULT_B_FOR_W_SWEEP = -3.0
DEFAULT_W_SWEEP = (2.0, 12.0)
SWEEP_POINTS = 2001

_PEAK_SLOPE = {"sigmoid": 0.25, "tanh": 1.0}  # max σ'(x), at x = 0; folds need w > 1/peak
_MAX_ROOTS = {"sigmoid": 3, "tanh": 3, "identity": 1}  # g'' = w·σ'' changes sign once


def _check(activation: str) -> None:
    if activation not in MAP_ACTIVATIONS:
        raise ValueError(f"unknown map activation {activation!r}; choose one of {MAP_ACTIVATIONS}")


def _check_param(param: str) -> None:
    if param not in ("w", "b"):
        raise ValueError(f"unknown sweep parameter {param!r}; choose 'w' or 'b'")


# ---------------------------------------------------------------- trajectories

@dataclass(frozen=True)
class Trajectory:
    """States and forward-mode sensitivities, each (T+1, *shape) — or (1, *shape)
    holding only t = T when computed with last_only=True (x[-1] is x_T either way) —
    and the multipliers a_t = w·σ'(x_{t−1}) = ∂x_t/∂x_{t−1}, t = 1..T, (T, *shape)
    (empty with last_only=True)."""

    x: np.ndarray
    dx_dw: np.ndarray
    dx_db: np.ndarray
    dx_dx0: np.ndarray
    multipliers: np.ndarray
    activation: str


def iterate(w, b, x0=DEFAULT_X0, T: int = DEFAULT_T, activation: str = "sigmoid",
            last_only: bool = False) -> Trajectory:
    """Iterate x_t = w·σ(x_{t−1}) + b and carry the sensitivities forward:

        a_t        = w·σ'(x_{t−1})                       (∂x_t/∂x_{t−1})
        ∂x_t/∂w    = σ(x_{t−1}) + a_t·∂x_{t−1}/∂w,       ∂x_0/∂w  = 0
        ∂x_t/∂b    = 1          + a_t·∂x_{t−1}/∂b,       ∂x_0/∂b  = 0
        ∂x_t/∂x_0  =              a_t·∂x_{t−1}/∂x_0,     ∂x_0/∂x_0 = 1

    so ∂x_t/∂x_0 = Π a_s — the product that vanishes or explodes. w, b, x0
    broadcast together; inf/NaN are carried, never raised.
    """
    _check(activation)
    w, b, x = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (w, b, x0)))
    x = x.copy()
    dw, db, dx0 = np.zeros_like(x), np.zeros_like(x), np.ones_like(x)
    keep = [] if last_only else [(x, dw, db, dx0)]
    multipliers = []
    with np.errstate(all="ignore"):
        for _ in range(int(T)):
            s = sigma(activation, x)
            a = w * sigma_prime(activation, x)
            dw = s + a * dw
            db = 1.0 + a * db
            dx0 = a * dx0
            x = w * s + b
            if not last_only:
                keep.append((x, dw, db, dx0))
                multipliers.append(a)
    if last_only:
        keep = [(x, dw, db, dx0)]
    xs, dws, dbs, dx0s = (np.stack(c) for c in zip(*keep))
    a = np.stack(multipliers) if multipliers else np.empty((0, *x.shape))
    return Trajectory(xs, dws, dbs, dx0s, a, activation)


def _sigmoid_scalar(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)  # x < 0 or NaN: never overflows
    return z / (1.0 + z)


def _sigmoid_prime_scalar(x: float) -> float:
    h = 0.5 * abs(x)
    if h > 700.0:  # cosh overflows (math raises); numpy's 0.25/inf is 0 here too
        return 0.0
    c = math.cosh(h)  # NaN passes through
    return 0.25 / (c * c)


def _tanh_prime_scalar(x: float) -> float:
    t = math.tanh(x)
    return 1.0 - t * t


# σ, σ' on one Python float, with the same formulas as engine.activations (and the same
# inf/NaN behaviour: float arithmetic overflows to inf, never raises, on these paths).
SCALAR_SIGMA = {
    "sigmoid": (_sigmoid_scalar, _sigmoid_prime_scalar),
    "tanh": (math.tanh, _tanh_prime_scalar),
    "identity": (float, lambda x: 1.0),
}


def iterate_scalar(w: float, b: float, x0: float = DEFAULT_X0, T: int = DEFAULT_T,
                   activation: str = "sigmoid") -> tuple[float, float, float]:
    """(x_T, ∂x_T/∂w, ∂x_T/∂b) for one (w, b): `iterate`'s recursion in plain Python
    floats. numpy's per-call overhead (~µs per ufunc) dominates arrays of 1–3 lanes, so
    sequential callers (gradient descent) are ~20× faster here; results agree with
    `iterate` to rounding (~1e-15 relative)."""
    _check(activation)
    s_fn, sp_fn = SCALAR_SIGMA[activation]
    w, b, x = float(w), float(b), float(x0)
    dw = db = 0.0
    for _ in range(int(T)):
        s = s_fn(x)
        a = w * sp_fn(x)
        dw = s + a * dw
        db = 1.0 + a * db
        x = w * s + b
    return x, dw, db


# ---------------------------------------------------------------- fixed points

@dataclass(frozen=True)
class FixedPoints:
    """Fixed points x* = w·σ(x*) + b for every (w, b) of a broadcast shape S.

    x, slope, stable have shape (*S, k), sorted ascending along the last axis and
    NaN-padded (k = 3 for sigmoid/tanh, 1 for identity); slope = w·σ'(x*) is the
    multiplier, stable iff |slope| < 1; tangent marks double roots (exactly at a
    fold: slope = 1, semi-stable, not stable). count (*S) is the number of fixed
    points. Identity with w = 1 has none (b ≠ 0) or a continuum (b = 0): count 0.
    """

    w: np.ndarray
    b: np.ndarray
    x: np.ndarray
    slope: np.ndarray
    stable: np.ndarray
    tangent: np.ndarray
    count: np.ndarray
    activation: str


def _g(activation, w, b, x):
    """g(x) = w·σ(x) + b − x: fixed points are its roots."""
    if activation == "identity":  # (w − 1)·x + b: no inf − inf at x = ±inf
        return np.where(np.asarray(w) == 1.0, b, (np.asarray(w) - 1.0) * x + b)
    return w * sigma(activation, x) + b - x


def _slope_inverse(activation: str, c):
    """The x ≥ 0 with σ'(x) = c (NaN if c is not in (0, peak]); σ' is even and
    decreasing on x ≥ 0 for sigmoid and tanh, so the other solution is −x.

    sigmoid: σ(1−σ) = c  ⇒  σ = (1 + √(1−4c))/2,  x = log σ − log(1−σ)
    tanh:    1 − tanh² = c ⇒  tanh x = √(1−c),     x = atanh √(1−c)
    1−σ and 1−tanh are written as c/(…) so that tiny c (huge w) stays accurate.
    """
    c = np.asarray(c, dtype=np.float64)
    with np.errstate(all="ignore"):
        ok = (c > 0) & (c <= _PEAK_SLOPE[activation])
        c = np.where(ok, c, np.nan)
        if activation == "sigmoid":
            root = np.sqrt(1.0 - 4.0 * c)
            return np.log1p(root) - np.log(4.0 * c / (1.0 + root))  # log(2σ) − log(2(1−σ))
        root = np.sqrt(1.0 - c)
        return 0.5 * (np.log1p(root) - np.log(c / (1.0 + root)))


def _bisect(f, lo, hi, max_iter: int = 100):
    """Vectorised bisection of f on [lo, hi] where f(lo), f(hi) have opposite signs
    (other lanes give NaN). Halves until the bracket is the last float or 2^-62 of
    its start; returns the endpoint of the final bracket with the smaller |f|."""
    lo, hi = np.broadcast_arrays(np.asarray(lo, float), np.asarray(hi, float))
    lo, hi = lo.copy(), hi.copy()
    with np.errstate(all="ignore"):
        f_lo, f_hi = f(lo), f(hi)
        bracketed = np.isfinite(lo) & np.isfinite(hi) & (np.sign(f_lo) * np.sign(f_hi) < 0)
        active = bracketed.copy()
        resolution = 2.0 ** -62 * (hi - lo)  # far below |g| ~ 1e-10; stops near-0 roots early
        for _ in range(max_iter):  # ~62 at most: mid == lo/hi or the resolution ends it
            if not active.any():
                break
            mid = 0.5 * (lo + hi)
            done = active & ((mid == lo) | (mid == hi) | (np.abs(hi - lo) <= resolution))
            active &= ~done
            f_mid = f(mid)
            left = active & (np.sign(f_mid) == np.sign(f_lo))
            right = active & ~left
            lo, f_lo = np.where(left, mid, lo), np.where(left, f_mid, f_lo)
            hi, f_hi = np.where(right, mid, hi), np.where(right, f_mid, f_hi)
        best = np.where(np.abs(f_lo) <= np.abs(f_hi), lo, hi)
        return np.where(bracketed, best, np.nan)


def _dedupe_sorted(cand, k):
    """Sort candidates along the last axis, drop near-duplicates, keep k columns."""
    cand = np.sort(cand, axis=-1)  # NaN sorts last
    with np.errstate(invalid="ignore"):
        dup = np.diff(cand, axis=-1) <= 1e-12 * (1.0 + np.abs(cand[..., 1:]))
    cand[..., 1:][dup] = np.nan
    return np.sort(cand, axis=-1)[..., :k]


def fixed_points(w, b, activation: str = "sigmoid") -> FixedPoints:
    """All roots of g(x) = w·σ(x) + b − x for broadcast arrays w, b, with stability.

    Every fixed point lies where w·σ spans: sigmoid x* ∈ [min(b, w+b), max(b, w+b)],
    tanh x* ∈ [b−|w|, b+|w|]. g' = w·σ'(x) − 1 vanishes only at x = ±x_c with
    σ'(x_c) = 1/w (closed form), so g is monotone between the breakpoints
    lo ≤ −x_c ≤ x_c ≤ hi: each piece holds at most one root, found by bisection to
    the last float (|g| ~ 1e-16). A breakpoint where g ≈ 0 (to rounding) is a root itself —
    that is how tangencies (double roots at a fold) are caught.
    Identity: x* = b / (1 − w).
    """
    _check(activation)
    w, b = np.broadcast_arrays(np.asarray(w, float), np.asarray(b, float))
    k = _MAX_ROOTS[activation]
    with np.errstate(all="ignore"):
        if activation == "identity":
            x = np.where(w != 1.0, b / (1.0 - w), np.nan)[..., None]
            tangent = np.zeros(x.shape, dtype=bool)
        else:
            if activation == "sigmoid":
                lo, hi = np.minimum(b, w + b), np.maximum(b, w + b)
            else:
                lo, hi = b - np.abs(w), b + np.abs(w)
            xc = _slope_inverse(activation, 1.0 / w)
            critical = ~np.isnan(xc)
            xc = np.where(critical, xc, 0.0)  # no critical point: empty middle pieces
            bp = np.stack([lo, np.clip(-xc, lo, hi), np.clip(xc, lo, hi), hi], axis=-1)
            W, B = w[..., None], b[..., None]
            gb = _g(activation, W, B, bp)
            # g's rounding scale at each breakpoint: below it, g = 0 is a tangency
            tol = 8 * np.finfo(float).eps * (np.abs(bp) + np.abs(W) + np.abs(B))
            zero = (np.abs(gb) <= tol) & np.isfinite(tol)
            at_bp = np.where(zero, bp, np.nan)
            sign_change = (np.sign(gb[..., :-1]) * np.sign(gb[..., 1:]) < 0) \
                & ~zero[..., :-1] & ~zero[..., 1:]
            inner = _bisect(lambda z: _g(activation, W, B, z),
                            np.where(sign_change, bp[..., :-1], np.nan), bp[..., 1:])
            x = _dedupe_sorted(np.concatenate([at_bp, inner], axis=-1), k)
            # a root sitting on a critical point ±x_c is a double root: a fold (without a
            # critical point the middle breakpoints are a placeholder 0, not a tangency)
            tangent = (x[..., :, None] == at_bp[..., None, 1:3]).any(axis=-1) & critical[..., None]
        slope = w[..., None] * sigma_prime(activation, x)
        slope = np.where(np.isnan(x), np.nan, slope)
        # at a tangency |slope| = 1 up to rounding: semi-stable, never labelled stable
        stable = (np.abs(slope) < 1.0) & ~tangent
    return FixedPoints(w, b, x, slope, stable, tangent, np.sum(~np.isnan(x), axis=-1), activation)


# ---------------------------------------------------------------- folds

@dataclass(frozen=True)
class Folds:
    """Saddle-node (fold) points, where a stable and an unstable fixed point merge:
    x = w·σ(x) + b and w·σ'(x) = 1. values are the fold values of `param`
    (sorted) at the given other parameter `fixed`; x are the merging fixed points."""

    param: str
    fixed: float
    values: np.ndarray
    x: np.ndarray
    activation: str


def folds_in_b(w: float, activation: str = "sigmoid") -> Folds:
    """Folds in b at fixed w: w·σ'(x) = 1 has the two solutions x = ±x_c
    (σ'(x_c) = 1/w, closed form; needs w > 4 for sigmoid, w > 1 for tanh), and
    then b = x − w·σ(x)."""
    _check(activation)
    w = float(w)
    if activation == "identity":
        return Folds("b", w, np.empty(0), np.empty(0), activation)
    xc = float(_slope_inverse(activation, 1.0 / w)) if w > 0 else np.nan
    if np.isnan(xc):
        x = np.empty(0)
    elif xc == 0.0:
        x = np.zeros(1)  # the cusp (w = 1/σ'(0)): both folds coincide
    else:
        x = np.array([-xc, xc])
    with np.errstate(all="ignore"):
        bf = x - w * sigma(activation, x)
    order = np.argsort(bf)
    return Folds("b", w, bf[order], x[order], activation)


def _fold_curve_b(activation, x):
    """b along the fold curve, parametrised by the merging fixed point x:
    w(x) = 1/σ'(x), b(x) = x − σ(x)/σ'(x)."""
    return x - sigma(activation, x) / sigma_prime(activation, x)


def folds_in_w(b: float, activation: str = "sigmoid", x_max: float = 30.0) -> Folds:
    """Folds in w at fixed b, by 1-D root finding along the fold curve
    (w(x), b(x)) = (1/σ'(x), x − σ(x)/σ'(x)): solve b(x) = b, then w = 1/σ'(x).

    db/dx = σ·σ''/σ'² changes sign only at x = 0 for sigmoid and tanh, so b(x) is
    monotone on [−x_max, 0] and on [0, x_max]: bisect each half. Sigmoid folds
    need b < −2 (the cusp is w = 4, b = −2); tanh has one fold in w for b ≠ 0.
    x_max = 30 reaches w ≈ 1e13 (sigmoid); farther folds are not reported.
    """
    _check(activation)
    b = float(b)
    if activation == "identity":
        return Folds("w", b, np.empty(0), np.empty(0), activation)
    with np.errstate(all="ignore"):
        f = lambda x: _fold_curve_b(activation, x) - b  # noqa: E731
        halves = _bisect(f, np.array([-x_max, 0.0]), np.array([0.0, x_max]))
        cusp = np.array([0.0]) if abs(f(np.array(0.0))) <= 1e-13 * (1 + abs(b)) else np.empty(0)
        x = _dedupe_sorted(np.concatenate([halves, cusp])[None], 3)[0]
        x = x[~np.isnan(x)]
        wf = 1.0 / sigma_prime(activation, x)
    order = np.argsort(wf)
    return Folds("w", b, wf[order], x[order], activation)


def folds(param: str, fixed: float, activation: str = "sigmoid") -> Folds:
    """Folds in `param` ("b" or "w") with the other parameter held at `fixed`."""
    _check_param(param)
    return folds_in_b(fixed, activation) if param == "b" else folds_in_w(fixed, activation)


# ---------------------------------------------------------------- the equilibrium curve

@dataclass(frozen=True)
class EquilibriumCurve:
    """Every fixed point along a sweep of θ = `param` on [lo, hi], as one curve in the
    (θ, x) plane, sampled in x: values[i] is the θ at which x[i] is a fixed point.

    slope = w·σ'(x), stable iff |slope| < 1, exactly as in fixed_points. NaN entries
    break the curve (a pole, or samples far outside [lo, hi]). The folds are turning
    points of θ(x) and lie on the curve exactly, so stable and unstable parts meet there.
    """

    param: str
    fixed: float
    lo: float
    hi: float
    values: np.ndarray
    x: np.ndarray
    slope: np.ndarray
    stable: np.ndarray
    activation: str


def _x_span(param, lo, hi, fixed, activation):
    """The x-interval that holds every fixed point for θ ∈ [lo, hi] (σ bounded)."""
    if param == "b":  # x* − b = w·σ(x*)
        if activation == "sigmoid":
            return lo + min(0.0, fixed), hi + max(0.0, fixed)
        return lo - abs(fixed), hi + abs(fixed)
    if activation == "sigmoid":  # x* − b = w·σ, σ ∈ (0, 1), w ∈ [lo, hi]
        return fixed + min(0.0, lo), fixed + max(0.0, hi)
    m = max(abs(lo), abs(hi))
    return fixed - m, fixed + m


def equilibrium_curve(param: str, lo: float, hi: float, fixed: float,
                      activation: str = "sigmoid", max_points: int = 801,
                      dense: int = 20001) -> EquilibriumCurve:
    """All fixed points for θ ∈ [lo, hi] without root finding or branch tracking:

        sweep b at fixed w:  b(x) = x − w·σ(x)           (every x is a fixed point of one b)
        sweep w at fixed b:  w(x) = (x − b)/σ(x)         (pole where σ(x) = 0: tanh at x = 0)

    x runs over the interval that can hold fixed points (plus the fold x's exactly);
    samples whose θ is outside [lo, hi] become NaN (their neighbours stay, so the curve
    reaches the frame), then at most max_points are kept (every k-th, folds always).
    tanh with b = 0 swept in w also has the trivial branch x = 0 (0/0 in w(x)): appended
    after a NaN break. Identity: x* = b/(1 − w) directly on a θ grid (NaN at the pole w = 1).
    """
    _check(activation)
    _check_param(param)
    lo, hi, fixed = float(lo), float(hi), float(fixed)
    with np.errstate(all="ignore"):
        if activation == "identity":
            theta = np.linspace(lo, hi, max_points)
            w, b = _wb(param, theta, fixed)
            x = np.where(w != 1.0, b / (1.0 - w), np.nan)
            if param == "w":  # break the hyperbola at the pole
                flip = np.flatnonzero(np.sign(1.0 - w[1:]) != np.sign(1.0 - w[:-1]))
                theta, x = np.insert(theta, flip + 1, np.nan), np.insert(x, flip + 1, np.nan)
            slope = np.where(np.isnan(x), np.nan, (fixed if param == "b" else theta) * 1.0)
        else:
            fo = folds(param, fixed, activation)
            x_lo, x_hi = _x_span(param, lo, hi, fixed, activation)
            x = np.linspace(x_lo, x_hi, dense)
            fold_x = fo.x[(fo.x > x_lo) & (fo.x < x_hi)]
            x = np.unique(np.concatenate([x, fold_x]))
            s = sigma(activation, x)
            theta = x - fixed * s if param == "b" else (x - fixed) / s
            if param == "w":  # the pole σ(x) = 0 (tanh, x = 0): break the curve there
                theta[s == 0] = np.nan
                flip = np.flatnonzero(np.sign(s[1:]) * np.sign(s[:-1]) < 0)
                theta, x = np.insert(theta, flip + 1, np.nan), np.insert(x, flip + 1, np.nan)
            inside = (theta >= lo) & (theta <= hi)
            near = inside.copy()
            near[1:] |= inside[:-1]
            near[:-1] |= inside[1:]
            keep = np.flatnonzero(near)
            run = np.cumsum(np.diff(keep, prepend=-2) > 1)  # runs of consecutive samples
            if keep.size > max_points:  # thin evenly, but keep the folds and the ends of runs
                must = np.isin(x[keep], fold_x) | ~inside[keep]
                stride = int(np.ceil(keep.size / max_points))
                chosen = must | (np.arange(keep.size) % stride == 0)
                keep, run = keep[chosen], run[chosen]
            gaps = np.flatnonzero(np.diff(run) > 0)  # a new run is a break in the curve
            theta = np.insert(theta[keep], gaps + 1, np.nan)
            x = np.insert(x[keep], gaps + 1, np.nan)
            x = np.where(np.isnan(theta), np.nan, x)
            if param == "w" and activation == "tanh" and fixed == 0.0:
                trivial = np.linspace(lo, hi, 201)
                theta = np.concatenate([theta, [np.nan], trivial])
                x = np.concatenate([x, [np.nan], np.zeros_like(trivial)])
            w = np.full_like(x, fixed) if param == "b" else theta
            slope = w * sigma_prime(activation, x)
        slope = np.where(np.isnan(x), np.nan, slope)
        stable = np.abs(slope) < 1.0
    return EquilibriumCurve(param, fixed, lo, hi, theta, x, slope, stable, activation)


# ---------------------------------------------------------------- sweeps

def _wb(param, values, fixed):
    values = np.asarray(values, dtype=np.float64)
    other = np.full_like(values, float(fixed))
    return (other, values) if param == "b" else (values, other)


def _default_values(param, values):
    if values is not None:
        return np.asarray(values, dtype=np.float64)
    lo, hi = DEFAULT_B_SWEEP if param == "b" else DEFAULT_W_SWEEP
    return np.linspace(lo, hi, SWEEP_POINTS)


def _default_fixed(param, fixed):
    if fixed is not None:
        return float(fixed)
    return PASCANU_W if param == "b" else DEFAULT_B_FOR_W_SWEEP


def _continue(activation, w, b, fp: FixedPoints, x_start: float) -> np.ndarray:
    """Continuation x_∞ along a sweep: parameter i starts from parameter i−1's x_∞.

    For w ≥ 0 the map is increasing, so an orbit is monotone and ends on the next
    fixed point in the direction of g(x) = f(x) − x: g > 0 → smallest root above,
    g < 0 → largest root below (±inf if none: identity with w ≥ 1). For w < 0 the
    map is decreasing with a single fixed point; σ = sigmoid, tanh have negative
    Schwarzian, so that point attracts everything if stable — otherwise the orbit
    settles on a period-2 cycle and x_∞ does not exist (NaN).
    The previous state is always x_start or a root of the previous parameter, so
    g at every candidate is computed in one vectorised call; the loop only picks.
    """
    P, k = fp.x.shape
    prev_roots = np.vstack([np.full((1, k), np.nan), fp.x[:-1]])
    prev_roots[0, 0] = x_start
    with np.errstate(all="ignore"):
        G = _g(activation, w[:, None], b[:, None], prev_roots).tolist()
    roots, stable = fp.x.tolist(), fp.stable.tolist()
    wl = w.tolist()
    out = np.empty(P)
    j = 0  # index of the previous state in prev_roots[i] (−1: not a root of the previous row)
    x = float(x_start)
    for i in range(P):
        r = [v for v in roots[i] if v == v]  # drop NaN padding
        if j >= 0:
            g = G[i][j]
        else:
            with np.errstate(all="ignore"):
                g = float(_g(activation, wl[i], b[i], x))
        if not wl[i] >= 0:  # decreasing map (or NaN parameter)
            ok = len(r) == 1 and stable[i][0]
            x, j = (r[0], 0) if ok else (np.nan, -1)
        elif g != g:
            x, j = np.nan, -1
        elif g == 0.0:
            j = -1
            for n, v in enumerate(r):  # x is (to the last bit) a root of this row
                if v == x:
                    j = n
        else:
            tol = 1e-12 * (1.0 + abs(x))
            idx = [n for n, v in enumerate(r) if v >= x - tol] if g > 0 else \
                  [n for n, v in enumerate(r) if v <= x + tol]
            if idx:
                j = idx[0] if g > 0 else idx[-1]
                x = r[j]
            else:
                x, j = (np.inf if g > 0 else -np.inf), -1
        out[i] = x
    return out


@dataclass(frozen=True)
class BifurcationDiagram:
    """Fixed-point branches and hysteresis along a sweep of `param` ("w" or "b")
    with the other parameter held at `fixed`.

    branches: FixedPoints over the sweep (x, slope, stable are (P, k)); stable ones
    are drawn solid, unstable dashed. forward: x_∞ when sweeping values upward,
    each value starting from the previous value's x_∞ (the first from x0);
    backward: sweeping down, starting from forward's last state. They differ
    exactly inside the bistable interval between the folds (hysteresis).
    """

    param: str
    values: np.ndarray
    fixed: float
    x0: float
    branches: FixedPoints
    forward: np.ndarray
    backward: np.ndarray
    folds: Folds
    activation: str


def bifurcation_diagram(param: str = "b", values=None, fixed: float | None = None,
                        x0: float = DEFAULT_X0, activation: str = "sigmoid") -> BifurcationDiagram:
    """Branches x*(θ), their stability, and x_∞(θ) by continuation both ways.

    Defaults: b ∈ [−3.5, −1.5] (2001 values) at w = 5 (Pascanu Fig. 2), or
    w ∈ [2, 12] at b = −3. values are used in the order given ("forward").
    """
    _check(activation)
    _check_param(param)
    values, fixed = _default_values(param, values), _default_fixed(param, fixed)
    w, b = _wb(param, values, fixed)
    fp = fixed_points(w, b, activation)
    forward = _continue(activation, w, b, fp, x0)
    rev = FixedPoints(w[::-1], b[::-1], fp.x[::-1], fp.slope[::-1], fp.stable[::-1],
                      fp.tangent[::-1], fp.count[::-1], activation)
    backward = _continue(activation, w[::-1], b[::-1], rev, forward[-1])[::-1]
    return BifurcationDiagram(param, values, fixed, float(x0), fp, forward, backward,
                              folds(param, fixed, activation), activation)


@dataclass(frozen=True)
class GradientSweep:
    """x_T and ∂x_T/∂θ (signed; plot |·| on a log axis) along a sweep of θ = `param`.

    crossing: the θ* at which x0 itself is a fixed point (x0 = w·σ(x0) + b, closed
    form), crossing_slope m = w·σ'(x0) there. If |m| > 1, x0 is the unstable fixed point
    at θ*: for m > 1 the boundary between two basins (x_T jumps between the attractors
    across θ*), for m < −1 the orbit oscillates away onto a 2-cycle (x_T flips between its
    two points). Either way |∂x_T/∂θ| spikes there — Pascanu et al.'s point that crossing a
    basin boundary, not the fold itself, makes the gradient explode.

    crossing_gradient: ∂x_T/∂θ at θ* by the forward recursion (what the plot shows there;
    the sweep grid contains θ*, see sweep_values). crossing_sum: the same in closed form,
    valid while the orbit sits on x0: every step multiplies by m, so
        ∂x_T/∂b = Σ_{t<T} mᵗ = (mᵀ − 1)/(m − 1),   ∂x_T/∂w = σ(x0)·Σ_{t<T} mᵗ,
    signed (for m < 0 the terms alternate). Rounding moves x_t off an unstable x0 by a
    factor |m| per step, so for |m|ᵀ ≳ 1e8 the two can differ.
    peak_at, peak: where |∂x_T/∂θ| is largest on the grid, and its (signed) value there —
    near θ*, not at it: the orbit lingers near x0 longest a little to one side.
    """

    param: str
    values: np.ndarray
    fixed: float
    x0: float
    T: int
    x_T: np.ndarray
    dxT: np.ndarray
    crossing: float
    crossing_slope: float
    crossing_gradient: float
    crossing_sum: float
    peak_at: float
    peak: float
    folds: Folds
    activation: str


def gradient_sweep(param: str = "b", values=None, fixed: float | None = None,
                   x0: float = DEFAULT_X0, T: int = DEFAULT_T,
                   activation: str = "sigmoid") -> GradientSweep:
    """x_T(θ) and ∂x_T/∂θ from the forward-mode recursion of `iterate`, all θ at once.

    Crossing: b* = x0 − w·σ(x0) (param "b"), w* = (x0 − b)/σ(x0) (param "w").
    """
    _check(activation)
    _check_param(param)
    values, fixed = _default_values(param, values), _default_fixed(param, fixed)
    w, b = _wb(param, values, fixed)
    tr = iterate(w, b, x0, T, activation, last_only=True)
    d = tr.dx_db[-1] if param == "b" else tr.dx_dw[-1]
    cross, slope = basin_crossing(param, fixed, x0, activation)
    at_cross, closed = np.nan, np.nan
    if np.isfinite(cross):
        cw, cb = (fixed, cross) if param == "b" else (cross, fixed)
        _, dw, db = iterate_scalar(cw, cb, x0, T, activation)
        at_cross = db if param == "b" else dw
        with np.errstate(all="ignore"):
            total = float(T) if slope == 1.0 else (slope ** int(T) - 1.0) / (slope - 1.0)
            closed = total if param == "b" else float(sigma(activation, x0)) * total
    with np.errstate(invalid="ignore"):
        size = np.where(np.isfinite(d), np.abs(d), -1.0)
    peak = int(np.argmax(size)) if size.size else 0
    return GradientSweep(param, values, fixed, float(x0), int(T), tr.x[-1], d,
                         cross, slope, float(at_cross), float(closed),
                         float(values[peak]) if size.size else np.nan,
                         float(d[peak]) if size.size else np.nan,
                         folds(param, fixed, activation), activation)


def basin_crossing(param: str, fixed: float, x0: float = DEFAULT_X0,
                   activation: str = "sigmoid") -> tuple[float, float]:
    """(θ*, w·σ'(x0) at θ*): the value of θ = `param` at which x0 itself is a fixed
    point, b* = x0 − w·σ(x0) or w* = (x0 − b)/σ(x0) (NaN if σ(x0) = 0), and its
    multiplier. A multiplier above 1 in size makes x0 the basin boundary there."""
    _check(activation)
    _check_param(param)
    fixed, x0 = float(fixed), float(x0)
    with np.errstate(all="ignore"):
        s0, sp0 = float(sigma(activation, x0)), float(sigma_prime(activation, x0))
        if param == "b":
            cross, cw = x0 - fixed * s0, fixed
        else:
            cross = (x0 - fixed) / s0 if s0 != 0 else np.nan
            cw = cross
        return float(cross), float(cw * sp0)


def sweep_values(lo: float, hi: float, n: int = SWEEP_POINTS, around: float | None = None,
                 per_side: int = 40, decades: tuple[float, float] = (-9.0, -2.0)) -> np.ndarray:
    """n evenly spaced values on [lo, hi]; if `around` lies inside, also `around` itself and
    per_side values on each side at distances (hi − lo)·10^k, k ∈ [decades] log-spaced.

    The basin-crossing spike of ∂x_T/∂θ is ~|slope|^−T wide (3e-4 at w = 5, T = 50): an
    even grid steps over it. This one contains the crossing θ* itself, where x₀ is the
    unstable fixed point (GradientSweep.crossing_gradient), and resolves the spike's shape
    around it; the peak of |∂x_T/∂θ| is not at θ* but a few 1e−5 to one side (4e−5 at
    w = 5, T = 50), which the log-spaced points find to within their spacing."""
    values = np.linspace(float(lo), float(hi), int(n))
    if around is not None and lo < around < hi:
        offsets = (hi - lo) * np.logspace(*decades, int(per_side))
        extra = np.concatenate([[around], around - offsets, around + offsets])
        values = np.unique(np.concatenate([values, extra[(extra > lo) & (extra < hi)]]))
    return values
