"""Phrasing shared by the figures' text alternatives (PageView.summaries and the /train
snapshot's sentences): one or two plain sentences per figure saying what it shows now.

Every number in them comes from the engine result the figure is drawn from and goes through
components.text.fmt, so tests/app/test_summaries.py can read it back (numbers_in) and hold it
against the figure's data. Pure: no Dash, no plotting library (the training snapshot, which
uses this too, is built in run processes that load neither).
"""
from __future__ import annotations

import numpy as np

from components.text import fmt

# The relative difference between two computations is printed to 2 digits: it is a size
# (1.1×10⁻¹⁶, 3×10⁻⁹), not a value anyone reads further.
DIFF_DIGITS = 2


def relative_difference(a, b) -> tuple[float | None, int]:
    """(largest |a − b| / max(|a|, |b|) over the entries finite in both, 0 where both are 0;
    None if there is none) and how many entries are finite in only one of them."""
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    fa, fb = np.isfinite(a), np.isfinite(b)
    both = fa & fb
    if not both.any():
        return None, int(np.sum(fa != fb))
    a, b = a[both], b[both]
    scale = np.maximum(np.abs(a), np.abs(b))
    with np.errstate(all="ignore"):
        rel = np.where(scale > 0, np.abs(a - b) / np.where(scale > 0, scale, 1.0), 0.0)
    return float(rel.max()), int(np.sum(fa != fb))


def agreement(first: str, second: str, a, b, where: str = "layers") -> str:
    """'<first> and <second> agree to a relative difference of 2.2×10⁻¹⁶ at most' — the
    check a reader makes by eye between a line and its markers, as a number."""
    diff, split = relative_difference(a, b)
    if diff is None:
        text = f"{first} and {second} have no finite value in common"
    elif diff == 0:
        text = f"{first} and {second} agree exactly"
    else:
        text = (f"{first} and {second} agree to a relative difference of "
                f"{fmt(diff, DIFF_DIGITS)} at most")
    if split:
        text += f" ({split} {where} finite in only one of them)"
    return text


def ratio(numerator: float, denominator: float) -> float | None:
    """|numerator / denominator|, or None when it says nothing (a 0 or non-finite side)."""
    numerator, denominator = float(numerator), float(denominator)
    if not (np.isfinite(numerator) and np.isfinite(denominator)) or denominator == 0:
        return None
    return abs(numerator / denominator)


def regime_word(regime: str) -> str:
    """The engine's regime name as the sentence ends with it (engine/regime.py)."""
    return {"undefined": "no regime (not finite)"}.get(regime, regime)


def last_finite(values) -> int | None:
    """Index of the last finite entry (of the last row whose entries are all finite)."""
    ok = np.isfinite(np.asarray(values, dtype=float))
    if ok.ndim > 1:
        ok = ok.all(axis=tuple(range(1, ok.ndim)))
    hits = np.flatnonzero(ok)
    return int(hits[-1]) if hits.size else None


def extremes(values) -> tuple[tuple | None, tuple | None]:
    """(index of the smallest, index of the largest) finite positive entry of an array — what
    a log colour scale can show — or (None, None) when there is none."""
    values = np.asarray(values, dtype=float)
    ok = np.isfinite(values) & (values > 0)
    if not ok.any():
        return None, None
    low = np.where(ok, values, np.inf)
    high = np.where(ok, values, -np.inf)
    return (np.unravel_index(int(np.argmin(low)), values.shape),
            np.unravel_index(int(np.argmax(high)), values.shape))


def listing(parts: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
