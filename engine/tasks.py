"""Synthetic data sets, generated from a seed: nothing is downloaded.

Feed-forward data (inputs x ∈ R², roughly in [-1, 1]²):

* two spirals — class c ∈ {0, 1}, radius r = t, angle θ = 2π·TURNS·t + c·π for
  t ~ U(0.05, 1), x = r·(cos θ, sin θ) + N(0, noise²). Not linearly separable; a net
  must bend its decision boundary TURNS times around the origin.
* regression — x ~ U(-1, 1)², y = sin(2x₁)·cos(2x₂) + N(0, noise²).

Long-term-dependency tasks of Hochreiter & Schmidhuber (1997), in the form Pascanu,
Mikolov & Bengio (2013) used (their generators tempOrder.py / addition.py):

* temporal order — T one-hot symbols from {A, B, c, d, e, f} (channels 0..5). Every
  position holds a random distractor from {c, d, e, f}, except p₀ ∈ [T/10, 2T/10) and
  p₁ ∈ [5T/10, 6T/10) (integer parts), which hold A or B. Class = v₀ + 2·v₁ with
  v = 0 for A, 1 for B, i.e. 0 = AA, 1 = BA, 2 = AB, 3 = BB (Pascanu's numbering).
  Chance is 1/4. The second window is [5T/10, 6T/10) as in H&S (t₂ ∈ [50, 60] for
  T ≈ 100) and Pascanu's code, not [4T/10, 5T/10).
* adding — two channels per step: channel 0 a value u_t ~ U(0, 1), channel 1 a
  marker m_t ∈ {0, 1} with exactly two ones. Target y = u_{p₀} + u_{p₁} ("sum") or
  their mean ("mean", what Pascanu's code trains on). Placement "halves" (default):
  p₀ ∈ [0, T/2), p₁ ∈ [T/2, T); placement "pascanu": p₀ ∈ [0, T/10),
  p₁ ∈ [T/10, T/2) as in addition.py. Predicting the constant E[y] gives
  MSE = Var y = 1/6 (sum) or 1/24 (mean): the "chance" baseline.

Sequences are batch-first: inputs have shape (B, T, C), float32.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TURNS = 1.5  # spiral turns; 1.5 keeps the task non-trivial yet learnable in seconds

N_SYMBOLS = 6  # A, B, c, d, e, f
TEMPORAL_ORDER_CLASSES = ("AA", "BA", "AB", "BB")  # index = v₀ + 2·v₁
ADDING_TARGETS = ("sum", "mean")
ADDING_PLACEMENTS = ("halves", "pascanu")


def as_rng(seed_or_rng) -> np.random.Generator:
    """A numpy Generator from an int seed (or the Generator itself, passed through)."""
    if isinstance(seed_or_rng, np.random.Generator):
        return seed_or_rng
    return np.random.default_rng(seed_or_rng)


# --------------------------------------------------------------------------- 2-D data


def two_spirals(n: int, seed_or_rng, noise: float = 0.03) -> tuple[np.ndarray, np.ndarray]:
    """n points of the two-spirals problem: (x float32 (n, 2), y int64 (n,)), classes balanced."""
    if n < 2:
        raise ValueError("n must be at least 2")
    rng = as_rng(seed_or_rng)
    y = np.arange(n) % 2
    rng.shuffle(y)
    t = rng.uniform(0.05, 1.0, size=n)
    theta = 2.0 * np.pi * TURNS * t + np.pi * y
    x = np.stack([t * np.cos(theta), t * np.sin(theta)], axis=1)
    x = x + noise * rng.standard_normal(x.shape)
    return x.astype(np.float32), y.astype(np.int64)


def regression_2d(n: int, seed_or_rng, noise: float = 0.03) -> tuple[np.ndarray, np.ndarray]:
    """n points of y = sin(2x₁)·cos(2x₂) + noise, x ~ U(-1,1)²: (x float32 (n,2), y float32 (n,))."""
    if n < 1:
        raise ValueError("n must be at least 1")
    rng = as_rng(seed_or_rng)
    x = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = np.sin(2.0 * x[:, 0]) * np.cos(2.0 * x[:, 1]) + noise * rng.standard_normal(n)
    return x.astype(np.float32), y.astype(np.float32)


# --------------------------------------------------------------------------- sequences


@dataclass(frozen=True)
class SequenceBatch:
    """A batch of a long-term-dependency task.

    inputs   (B, T, C) float32 — one-hot symbols (temporal order) or (value, marker) (adding)
    targets  (B,) int64 class (temporal order) or (B,) float32 value (adding)
    positions (B, 2) int64 — p₀ < p₁, the two positions that matter
    relevant (B, 2) — the symbols there (0 = A, 1 = B) or the marked values
    """

    inputs: np.ndarray
    targets: np.ndarray
    positions: np.ndarray
    relevant: np.ndarray


def temporal_order_windows(T: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Half-open windows [lo, hi) for p₀ and p₁: [⌊T/10⌋, 2⌊T/10⌋) and [⌊T/2⌋, ⌊T/2⌋+⌊T/10⌋)."""
    w = T // 10
    return (w, 2 * w), (T // 2, T // 2 + w)


def temporal_order(batch: int, T: int, seed_or_rng) -> SequenceBatch:
    """The temporal order problem (module docstring); T ≥ 10 so each window is non-empty."""
    if T < 10:
        raise ValueError("temporal order needs T >= 10")
    if batch < 1:
        raise ValueError("batch must be at least 1")
    rng = as_rng(seed_or_rng)
    (a0, b0), (a1, b1) = temporal_order_windows(T)
    p0 = rng.integers(a0, b0, size=batch)
    p1 = rng.integers(a1, b1, size=batch)
    v0 = rng.integers(0, 2, size=batch)
    v1 = rng.integers(0, 2, size=batch)
    symbols = rng.integers(2, N_SYMBOLS, size=(batch, T))  # distractors c..f
    rows = np.arange(batch)
    symbols[rows, p0] = v0
    symbols[rows, p1] = v1
    inputs = np.zeros((batch, T, N_SYMBOLS), dtype=np.float32)
    inputs[rows[:, None], np.arange(T)[None, :], symbols] = 1.0
    return SequenceBatch(
        inputs=inputs,
        targets=(v0 + 2 * v1).astype(np.int64),
        positions=np.stack([p0, p1], axis=1).astype(np.int64),
        relevant=np.stack([v0, v1], axis=1).astype(np.int64),
    )


def adding_windows(T: int, placement: str = "halves") -> tuple[tuple[int, int], tuple[int, int]]:
    """Half-open windows [lo, hi) for the two markers (module docstring)."""
    if placement == "halves":
        return (0, T // 2), (T // 2, T)
    if placement == "pascanu":
        return (0, T // 10), (T // 10, T // 2)
    raise ValueError(f"unknown placement {placement!r}; choose one of {ADDING_PLACEMENTS}")


def adding(
    batch: int, T: int, seed_or_rng, target: str = "sum", placement: str = "halves"
) -> SequenceBatch:
    """The adding problem (module docstring); T ≥ 2 ("halves") or T ≥ 10 ("pascanu")."""
    if target not in ADDING_TARGETS:
        raise ValueError(f"unknown target {target!r}; choose one of {ADDING_TARGETS}")
    if T < (10 if placement == "pascanu" else 2):
        raise ValueError("sequence too short for this placement")
    if batch < 1:
        raise ValueError("batch must be at least 1")
    rng = as_rng(seed_or_rng)
    (a0, b0), (a1, b1) = adding_windows(T, placement)
    p0 = rng.integers(a0, b0, size=batch)
    p1 = rng.integers(a1, b1, size=batch)
    values = rng.uniform(0.0, 1.0, size=(batch, T)).astype(np.float32)
    rows = np.arange(batch)
    markers = np.zeros((batch, T), dtype=np.float32)
    markers[rows, p0] = 1.0
    markers[rows, p1] = 1.0
    marked = np.stack([values[rows, p0], values[rows, p1]], axis=1)
    y = marked.sum(axis=1)
    if target == "mean":
        y = y / 2.0
    return SequenceBatch(
        inputs=np.stack([values, markers], axis=2),
        targets=y.astype(np.float32),
        positions=np.stack([p0, p1], axis=1).astype(np.int64),
        relevant=marked,
    )


def adding_baseline_mse(target: str = "sum") -> float:
    """MSE of the best constant prediction, Var y: 2·(1/12) for the sum, a quarter of that for the mean."""
    return 1.0 / 6.0 if target == "sum" else 1.0 / 24.0
