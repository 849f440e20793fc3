"""Reading a figure's text alternative back, number by number (tests/app/test_summaries*.py).

`Said(sentence)` walks the sentence from left to right: `then(phrase, value)` finds the phrase
after the last claim, reads the number printed right after it and holds it against `value`, a
number the test computed from the figure's own data; `done()` fails if any number in the
sentence was never checked. A number inside a phrase counts as checked: the test wrote it
there (a trace's name such as "layer 7", taken from the figure).
"""
from __future__ import annotations

import math
import re

import numpy as np

from components.text import NUMBER, fmt, parse_number
from tests.dash_client import decode

DIGITS = 4  # components.text.fmt's default
NUMBER_AT = re.compile(r"\s*(" + NUMBER.pattern + ")")
# figure data travels as float32 where it fits (components.figures.compact): its last digit
FLOAT32 = 2e-6


def close(shown: float, value: float, digits: int | None = DIGITS, atol: float = 0.0,
          gap: bool = False) -> bool:
    """`shown` is `value` printed to `digits` significant digits (None: exactly). With
    `gap`, a figure value of NaN (a gap on a log axis) stands for 0, inf or NaN."""
    value = float(value)
    if math.isnan(value):
        return math.isnan(shown) or (gap and (shown == 0 or math.isinf(shown)))
    if math.isnan(shown) or math.isinf(shown) or math.isinf(value):
        return shown == value
    if digits is None:
        return shown == value
    return abs(shown - value) <= (0.5 * 10.0 ** (1 - digits) + FLOAT32) * abs(value) + atol


class Said:
    def __init__(self, text):
        assert isinstance(text, str) and text.strip(), f"no text alternative: {text!r}"
        self.text, self.at = text, 0
        self.numbers = {m.start(): m.group() for m in NUMBER.finditer(text)}
        self.checked: set[int] = set()

    def _find(self, phrase: str, nocase: bool = False) -> int:
        text = self.text.lower() if nocase else self.text
        i = text.find(phrase.lower() if nocase else phrase, self.at)
        assert i >= 0, f"no {phrase!r} after {self.text[:self.at]!r} in: {self.text}"
        for m in NUMBER.finditer(self.text, i, i + len(phrase)):  # the test wrote these
            self.checked.add(m.start())
        return i + len(phrase)

    def word(self, phrase: str, nocase: bool = False) -> None:
        """The phrase comes next (anywhere after the last claim)."""
        self.at = self._find(phrase, nocase)

    def read(self, phrase: str, nocase: bool = False) -> float:
        """The number right after `phrase`; the caller holds it against the figure."""
        end = self._find(phrase, nocase)
        m = NUMBER_AT.match(self.text, end)
        assert m, f"no number right after {phrase!r} in: {self.text}"
        self.checked.add(m.start(1))
        self.at = m.end(1)
        return parse_number(m.group(1))

    def then(self, phrase: str, value, digits: int | None = DIGITS, atol: float = 0.0,
             gap: bool = False, nocase: bool = False) -> float:
        shown = self.read(phrase, nocase)
        assert close(shown, value, digits, atol, gap), (
            f"after {phrase!r} the sentence says {shown!r}, the figure {float(value)!r}: "
            f"{self.text}")
        return shown

    def has(self, phrase: str) -> bool:
        return phrase in self.text

    def done(self) -> None:
        left = [n for at, n in self.numbers.items() if at not in self.checked]
        assert not left, f"numbers nobody checked against the figure: {left} in: {self.text}"


def legend(name: str) -> str:
    """A legend entry as the sentences print it: fmt's minus sign and powers of ten (a legend
    writes -0.5 and 1e-05 with Python's format)."""
    return re.sub(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", lambda m: fmt(float(m.group()), 6), name)


def figure_data(figure: dict) -> dict:
    """{"traces": decoded traces, "layout": layout} of one plotly figure dict."""
    return {"traces": decode(figure["data"]), "layout": figure.get("layout", {})}


def named(traces: list[dict], prefix: str) -> dict:
    found = [t for t in traces if str(t.get("name", "")).startswith(prefix)]
    assert found, f"no trace named {prefix!r}: {[t.get('name') for t in traces]}"
    return found[0]


def values(trace: dict, key: str = "y") -> np.ndarray:
    return np.asarray(trace[key], dtype=float)


def restored(traces: list[dict], main: dict, label: str) -> np.ndarray:
    """A log-axis line's values with what it could not draw put back: its 0s and its inf/NaN
    are gaps in the line and markers on the plot's edges (components.figures.add_unplottable,
    traces "<label> = 0 exactly" and "<label> overflowed" at the same x)."""
    x, y = values(main, "x"), values(main).copy()
    for t in traces:
        name = str(t.get("name", ""))
        if name == f"{label} = 0 exactly":
            y[np.isin(x, values(t, "x"))] = 0.0
        elif name == f"{label} overflowed":
            for at, what in zip(values(t, "x"), t["customdata"]):
                y[x == at] = {"NaN": np.nan, "+inf": np.inf, "−inf": -np.inf}[what]
    return y


def rel_difference(a, b) -> tuple[float | None, int]:
    """What components.summaries.agreement measures, from two plotted series."""
    a, b = np.asarray(a, float).ravel(), np.asarray(b, float).ravel()
    fa, fb = np.isfinite(a), np.isfinite(b)
    both = fa & fb
    if not both.any():
        return None, int(np.sum(fa != fb))
    scale = np.maximum(np.abs(a[both]), np.abs(b[both]))
    with np.errstate(all="ignore"):
        rel = np.where(scale > 0, np.abs(a[both] - b[both]) / np.where(scale > 0, scale, 1), 0.0)
    return float(rel.max()), int(np.sum(fa != fb))


def check_agreement(s: Said, a, b, where: str = "layers") -> None:
    """The '… agree to a relative difference of …' clause of components.summaries.agreement."""
    diff, split = rel_difference(a, b)
    if diff is None:
        s.word("have no finite value in common")
    elif diff == 0:
        s.word("agree exactly")
    else:
        s.then("relative difference of", diff, digits=2)
    if split:
        s.then("(", split, None)
        s.word(f"{where} finite in only one of them")
