"""Activation functions σ, their slopes σ', and the bound γ = sup|σ'|.

Each activation exists twice: in numpy (float64, for closed forms and grids) and in
torch (for autograd). The numpy slopes are written so that they stay accurate in the
tails (σ'(x) for the logistic is 1/(4cosh²(x/2)), not σ(1−σ)).
"""
from __future__ import annotations

import math

import numpy as np
import torch

ACTIVATIONS = ("identity", "sigmoid", "tanh", "relu", "leaky_relu")
LEAKY_SLOPE = 0.01

# γ = sup_x |σ'(x)|: the factor in the vanishing bound ‖∂h_t/∂h_k‖ ≤ (γ‖W‖)^(t−k).
GAMMA = {"identity": 1.0, "sigmoid": 0.25, "tanh": 1.0, "relu": 1.0, "leaky_relu": 1.0}


def _check(name: str) -> None:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {ACTIVATIONS}")


def sigma(name: str, x):
    """σ(x) in numpy float64; inf/NaN pass through without warnings."""
    _check(name)
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        if name == "identity":
            return x.copy()
        if name == "sigmoid":
            z = np.exp(-np.abs(x))  # never overflows
            return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))
        if name == "tanh":
            return np.tanh(x)
        if name == "relu":
            return np.where(x > 0, x, 0.0 * x)  # 0·NaN keeps NaN visible
        return np.where(x > 0, x, LEAKY_SLOPE * x)


def sigma_prime(name: str, x):
    """σ'(x) in numpy float64 (the subgradient 0 for relu at 0, as torch uses)."""
    _check(name)
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        if name == "identity":
            return np.ones_like(x)
        if name == "sigmoid":
            # σ' = 1/(4cosh²(x/2)): accurate in the tails and never above 1/4 by rounding
            return 0.25 / np.cosh(0.5 * x) ** 2
        if name == "tanh":
            t = np.tanh(x)
            return 1.0 - t * t
        slope_below = 0.0 if name == "relu" else LEAKY_SLOPE
        out = np.where(x > 0, 1.0, slope_below)
        return np.where(np.isnan(x), np.nan, out)


def torch_sigma(name: str, x: torch.Tensor) -> torch.Tensor:
    """σ(x) in torch, for autograd."""
    _check(name)
    if name == "identity":
        return x
    if name == "sigmoid":
        return torch.sigmoid(x)
    if name == "tanh":
        return torch.tanh(x)
    if name == "relu":
        return torch.relu(x)
    return torch.nn.functional.leaky_relu(x, LEAKY_SLOPE)


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


# σ, σ' on one Python float, with the same formulas as the numpy ones above (and the same
# inf/NaN behaviour: float arithmetic overflows to inf, never raises, on these paths). numpy's
# per-call overhead (~µs per ufunc) dominates arrays of 1–3 lanes: sequential callers (gradient
# descent on the cliff, thousands of one-unit steps) are ~20× faster with these.
SCALAR_SIGMA = {
    "sigmoid": (_sigmoid_scalar, _sigmoid_prime_scalar),
    "tanh": (math.tanh, _tanh_prime_scalar),
    "identity": (float, lambda x: 1.0),
}
