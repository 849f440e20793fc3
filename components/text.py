"""Numbers in prose: one format for every sentence a page prints, and its inverse for the
tests that hold sentences against figure data.

`fmt` gives `digits` significant digits with a true minus sign, and powers of ten as
×10ⁿ when plain digits would not do: 0.005726, 1.174×10⁴, −2.612, 3.2×10⁻¹⁸, inf, NaN.
"""
from __future__ import annotations

import math
import re

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_PLAIN = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻−", "0123456789--")


def fmt(value, digits: int = 4) -> str:
    """`value` for a reader: `digits` significant digits (format .{digits}g)."""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "−inf"
    text = format(value, f".{digits}g")
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    return text.replace("-", "−")


NUMBER = re.compile(r"[−-]?(?:\d+(?:\.\d*)?|\.\d+)(?:×10[⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)?|[−-]?inf|NaN")


def parse_number(text: str) -> float:
    """The inverse of fmt: '1.174×10⁴' → 11740.0, '−2.612' → −2.612."""
    text = text.strip()
    if text == "NaN":
        return math.nan
    mantissa, _, exponent = text.translate(_PLAIN).partition("×10")
    return float(f"{mantissa}e{exponent}" if exponent else mantissa)


def numbers_in(text: str) -> list[float]:
    """Every number fmt could have written in `text`, in order."""
    return [parse_number(m) for m in NUMBER.findall(text)]


PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def fill(template: str, values: dict) -> str:
    """Prose with every {{name}} replaced by values[name]: numbers through fmt, text as is.
    A placeholder without a value is an error (a KeyError), never left on the page."""
    return PLACEHOLDER.sub(lambda m: _show(values[m.group(1)]), template)


def _show(value) -> str:
    return value if isinstance(value, str) else fmt(value)


SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def sub(n: int) -> str:
    """12 → '₁₂': an index in a symbol (s₃₂, a trace name), which a reader (and numbers_in)
    does not take for a value."""
    return str(int(n)).translate(SUBSCRIPTS)
