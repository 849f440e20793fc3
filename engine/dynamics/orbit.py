"""Orbits of the one-unit map x_t = w·σ(x_{t−1}) + b and their forward-mode sensitivities
(engine.dynamics: the package's overview and defaults)."""
from __future__ import annotations

from dataclasses import dataclass

import math

import numpy as np

from engine.activations import SCALAR_SIGMA, sigma, sigma_prime

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


def _wb(param, values, fixed):
    values = np.asarray(values, dtype=np.float64)
    other = np.full_like(values, float(fixed))
    return (other, values) if param == "b" else (values, other)


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


def iterate_scalar(w: float, b: float, x0: float = DEFAULT_X0, T: int = DEFAULT_T,
                   activation: str = "sigmoid") -> tuple[float, float, float]:
    """(x_T, ∂x_T/∂w, ∂x_T/∂b) for one (w, b): `iterate`'s recursion in plain Python
    floats. numpy's per-call overhead (~µs per ufunc) dominates arrays of 1–3 lanes, so
    sequential callers (gradient descent) are ~20× faster here; results agree with
    `iterate` to rounding (~1e-15 relative)."""
    _check(activation)
    w, b, x = float(w), float(b), float(x0)
    dw = db = 0.0
    if activation == "sigmoid":
        # SCALAR_SIGMA's σ and σ' written inline (the same formulas, so the same bits): the
        # cliff's three descents take ~15,000 of these steps per slider move, and two
        # function calls a step were half their time
        exp, cosh = math.exp, math.cosh
        for _ in range(int(T)):
            if x >= 0.0:
                s = 1.0 / (1.0 + exp(-x))
            else:  # x < 0, or NaN (which stays NaN)
                z = exp(x)
                s = z / (1.0 + z)
            h = 0.5 * abs(x)
            c = math.inf if h > 700.0 else cosh(h)  # cosh would raise beyond; NaN stays NaN
            a = w * (0.25 / (c * c))
            dw = s + a * dw
            db = 1.0 + a * db
            x = w * s + b
        return x, dw, db
    s_fn, sp_fn = SCALAR_SIGMA[activation]
    for _ in range(int(T)):
        s = s_fn(x)
        a = w * sp_fn(x)
        dw = s + a * dw
        db = 1.0 + a * db
        x = w * s + b
    return x, dw, db
