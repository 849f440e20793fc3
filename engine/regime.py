"""Naming what a product of per-step factors does: vanishing, stable or exploding.

A gradient that crosses n layers (or steps) is multiplied by n factors; what it does is
decided by their geometric mean g = (Π|fₗ|)^(1/n): gⁿ → 0 for g < 1, → ∞ for g > 1. Each model
measures its own g (per-layer |w·σ′(h)|, a Jacobian norm's rate per step, ...); this is where
g gets its name, with a band around 1 that counts as stable.
"""
from __future__ import annotations

import numpy as np

# The chains' band: within 1% of 1 per layer.
CHAIN_BAND = (1.0 - 0.01, 1.0 + 0.01)


def geometric_mean(factors) -> float:
    """(Π|fₗ|)^(1/n), through logs (the product itself under- or overflows); NaN if a factor
    is NaN, 0 if one is 0."""
    with np.errstate(all="ignore"):
        return float(np.exp(np.mean(np.log(np.abs(np.asarray(factors, dtype=np.float64))))))


def regime(factor: float, band: tuple[float, float] = CHAIN_BAND) -> str:
    """"vanishing" below the band, "exploding" above it, "stable" inside, "undefined" for NaN."""
    if np.isnan(factor):
        return "undefined"
    if factor < band[0]:
        return "vanishing"
    if factor > band[1]:
        return "exploding"
    return "stable"
