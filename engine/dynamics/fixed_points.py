"""Fixed points of the one-unit map, its folds (saddle-nodes), and every fixed point along a
sweep as one curve (engine.dynamics: the package's overview)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.activations import sigma, sigma_prime
from engine.dynamics.orbit import _MAX_ROOTS, _PEAK_SLOPE, _check, _check_param, _wb

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


# What folds need: w > 1/max σ′ when b is swept (sigmoid 4, tanh 1), or, when w is swept, b
# below the cusp b(0) = −σ(0)/σ′(0) of the fold curve (sigmoid −2).
FOLD_MIN_W = {activation: 1.0 / peak for activation, peak in _PEAK_SLOPE.items()}
CUSP_B = {"sigmoid": float(_fold_curve_b("sigmoid", np.float64(0.0)))}


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
                      dense: int = 20001, known_folds: Folds | None = None) -> EquilibriumCurve:
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
            fo = known_folds or folds(param, fixed, activation)
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
