"""What a sweep of w or b does: x_∞ by continuation (the bifurcation diagram and its
hysteresis), x_T and ∂x_T/∂θ with the basin-crossing spike; and `explore`, everything the map
shows at one state (engine.dynamics: the package's overview)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.activations import sigma, sigma_prime
from engine.dynamics.fixed_points import (EquilibriumCurve, FixedPoints, Folds, _g,
                                          equilibrium_curve, fixed_points, folds)
from engine.dynamics.orbit import (DEFAULT_B_FOR_W_SWEEP, DEFAULT_B_SWEEP, DEFAULT_T, DEFAULT_W_SWEEP,
                                   DEFAULT_X0, PASCANU_W, SWEEP_POINTS, Trajectory, _check,
                                   _check_param, _wb, iterate, iterate_scalar)
from engine.regime import geometric_mean, regime

# ---------------------------------------------------------------- sweeps


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
                        x0: float = DEFAULT_X0, activation: str = "sigmoid",
                        known_folds: Folds | None = None) -> BifurcationDiagram:
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
                              known_folds or folds(param, fixed, activation), activation)


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
                   activation: str = "sigmoid", known_folds: Folds | None = None) -> GradientSweep:
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
                         known_folds or folds(param, fixed, activation), activation)


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


# ---------------------------------------------------------------- one state, everything

@dataclass(frozen=True)
class MapExploration:
    """Everything the one-unit map shows at one state (w, b, x0, T, σ) with θ = `param`
    swept over [lo, hi], each computed once (the folds too, shared by the sweep, the
    diagram and the curve):

    thetas, fan    `fan` values of θ evenly over [lo, hi] and their trajectories
    current        the trajectory at (w, b) itself (one lane)
    fixed_points   the fixed points at (w, b)
    sweep          x_T and ∂x_T/∂θ on a grid that resolves the basin-crossing spike
    diagram, curve the bifurcation diagram (continuation both ways) and every fixed point
                   along the sweep
    rate, regime   the geometric mean of |w·σ′(x_{t−1})| over the T steps of the current
                   orbit (∂x_T/∂x_0 is their product) and its name
    gradient       ∂x_T/∂θ at the current value of θ
    """

    param: str
    value: float
    lo: float
    hi: float
    thetas: np.ndarray
    fan: Trajectory
    current: Trajectory
    fixed_points: FixedPoints
    sweep: GradientSweep
    diagram: BifurcationDiagram
    curve: EquilibriumCurve
    folds: Folds
    rate: float
    regime: str
    gradient: float


def explore(w: float, b: float, x0: float, T: int, activation: str, param: str, lo: float,
            hi: float, fan: int = 15, sweep_points: int = 801,
            bifurcation_points: int = 401) -> MapExploration:
    """The one-unit map at (w, b) and a sweep of θ = `param` over [lo, hi] (the other
    parameter held at its value): see MapExploration."""
    _check(activation)
    _check_param(param)
    fixed = w if param == "b" else b
    thetas = np.linspace(lo, hi, fan)
    fan_w, fan_b = (np.full(fan, w), thetas) if param == "b" else (thetas, np.full(fan, b))
    crossing, _ = basin_crossing(param, fixed, x0, activation)
    fo = folds(param, fixed, activation)
    current = iterate(np.array([w]), np.array([b]), x0, T, activation)
    rate = geometric_mean(current.multipliers[:, 0])
    return MapExploration(
        param=param, value=w if param == "w" else b, lo=lo, hi=hi, thetas=thetas,
        fan=iterate(fan_w, fan_b, x0, T, activation), current=current,
        fixed_points=fixed_points(w, b, activation),
        sweep=gradient_sweep(param, sweep_values(lo, hi, sweep_points, around=crossing), fixed,
                             x0, T, activation, known_folds=fo),
        diagram=bifurcation_diagram(param, np.linspace(lo, hi, bifurcation_points), fixed, x0,
                                    activation, known_folds=fo),
        curve=equilibrium_curve(param, lo, hi, fixed, activation, known_folds=fo),
        folds=fo, rate=rate, regime=regime(rate),
        gradient=float((current.dx_db if param == "b" else current.dx_dw)[-1, 0]),
    )
