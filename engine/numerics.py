"""Float64 helpers every model shares: where values stopped being finite, and norms that
neither overflow nor underflow (vanishing gradients live below 1e−154, where squares vanish).

Overflow is physics, not an error: nothing here raises on inf/NaN.
"""
from __future__ import annotations

import numpy as np


def first_nonfinite(values: np.ndarray) -> int | None:
    """Index along axis 0 of the first entry (or slice) holding inf/NaN, else None."""
    bad = ~np.isfinite(np.asarray(values))
    if bad.ndim > 1:
        bad = bad.any(axis=tuple(range(1, bad.ndim)))
    return int(np.argmax(bad)) if bad.any() else None


def norms(g: np.ndarray) -> np.ndarray:
    """Euclidean norm over the last axis. Each vector is divided by its largest entry first,
    so the squares neither overflow (|x| > 1e154) nor underflow (|x| < 1e−154). A vector
    holding inf has norm inf; one holding NaN (and no inf), NaN."""
    g = np.asarray(g, dtype=np.float64)
    with np.errstate(all="ignore"):
        big = np.max(np.abs(g), axis=-1)
        safe = np.where((big > 0) & np.isfinite(big), big, 1.0)
        r = g / safe[..., None]
        n = safe * np.sqrt(np.einsum("...i,...i->...", r, r))
    return np.where(np.isinf(big), np.inf, n)


def singular_values(stack: np.ndarray) -> np.ndarray:
    """Singular values (descending) of each matrix in a (n, d, d) stack, one batched SVD;
    NaN rows where the matrix is not finite (LAPACK is never handed an inf). LAPACK
    rescales internally, so entries near the float64 limit are fine; σ₁ itself may
    still exceed it and become inf."""
    out = np.full(stack.shape[:2], np.nan)
    ok = np.isfinite(stack).all(axis=(1, 2))
    if ok.any():
        out[ok] = np.linalg.svd(stack[ok], compute_uv=False)
    return out


def spectral_norms(stack: np.ndarray, svals: np.ndarray | None = None) -> np.ndarray:
    """‖M‖₂ (the largest singular value) of each matrix of a stack, from `svals` if they are
    at hand; a matrix holding an inf (and no NaN) has norm inf, one holding NaN, NaN."""
    svals = singular_values(stack) if svals is None else svals
    out = svals[:, 0].copy()
    out[np.isinf(stack).any(axis=(1, 2)) & ~np.isnan(stack).any(axis=(1, 2))] = np.inf
    return out
