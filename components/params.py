"""Page parameters: one definition serves the control, the URL and the server-side check.

Everything that reaches the server (URL query strings, callback payloads) is untrusted:
a slider's min/max are enforced only in the browser, and anyone can POST any JSON to
/_dash-update-component. `ParamSet.parse` turns any raw mapping into valid values and a
list of human-readable notices saying what was replaced, never raising.
"""
from __future__ import annotations

import math
import reprlib
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlencode

MAX_TEXT = 200  # longer raw values are not even looked at


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlong = 3, 40, 40, 40


def _short(raw) -> str:
    """At most 40 characters of any raw value for a notice. reprlib, not repr: repr of a
    deeply nested list (JSON allows ~1000 levels) would hit the recursion limit, and of a
    long list would build the whole text first."""
    try:
        text = raw if isinstance(raw, str) else _REPR.repr(raw)
    except Exception:  # noqa: BLE001  e.g. an int beyond Python's digit limit
        text = f"<{type(raw).__name__}>"
    return text if len(text) <= 40 else text[:37] + "…"


def format_number(value: float) -> str:
    """Compact, round-trippable for slider steps: 0.9 → '0.9', 2.0 → '2'."""
    return format(value, ".12g")


def _to_float(raw) -> float:
    """A finite float from a number or numeric text; ValueError otherwise."""
    if isinstance(raw, bool) or raw is None:
        raise ValueError
    if isinstance(raw, str):
        if len(raw) > MAX_TEXT:
            raise ValueError
        raw = raw.strip()
    value = float(raw)  # TypeError/ValueError/OverflowError for everything else
    if math.isnan(value):
        raise ValueError
    return value


@dataclass(frozen=True)
class Number:
    """A real (or, with integer=True, whole) parameter on [lo, hi], shown as a slider (or, with
    widget="box", a typed number, for values that span decades); live=False updates the page
    only when the handle is released (for parameters whose every step costs a lot)."""

    name: str
    label: str
    default: float
    lo: float
    hi: float
    step: float = 0.01
    integer: bool = False
    engine: str | None = ""
    default_from: Callable | None = field(default=None, compare=False)
    widget: str = "slider"
    live: bool = True
    aliases: tuple[str, ...] = ()  # older URL names still read (old links keep working)

    def parse(self, raw, default=None) -> tuple[float, str | None]:
        default = self.default if default is None else default
        try:
            value = _to_float(raw)
        except (TypeError, ValueError, OverflowError):
            return default, (f"{self.name} = {_short(raw)!s} is not a number; "
                             f"using {self.format(default)}.")
        clamped = min(max(value, self.lo), self.hi)  # ±inf clamp too
        if clamped != value:
            why = f"is outside {self.format(self.lo)}–{self.format(self.hi)}"
        elif self.integer and clamped != int(clamped):
            why = "is not a whole number"
        else:
            return (int(clamped) if self.integer else clamped), None
        if self.integer:
            clamped = round(clamped)
        return clamped, f"{self.name} = {_short(raw)} {why}; using {self.format(clamped)}."

    def format(self, value) -> str:
        return str(int(value)) if self.integer else format_number(value)


@dataclass(frozen=True)
class Choice:
    """One of a fixed set of names, shown as a dropdown (widget="radio": radio buttons, for a
    few options); `labels` gives an option a longer text on the page."""

    name: str
    label: str
    default: str
    options: tuple[str, ...]
    engine: str | None = ""
    labels: dict | None = field(default=None, compare=False)
    widget: str = "dropdown"
    default_from = None

    def parse(self, raw, default=None) -> tuple[str, str | None]:
        default = self.default if default is None else default
        if isinstance(raw, str) and raw in self.options:
            return raw, None
        return default, (f"{self.name} = {_short(raw)} is not one of "
                         f"{', '.join(self.options)}; using {default}.")

    def format(self, value) -> str:
        return value


@dataclass(frozen=True)
class NumberList:
    """A comma-separated list of reals, each on [lo, hi], length 1..max_len (its control is the
    page's own: no single widget shows a list)."""

    name: str
    label: str
    default: tuple[float, ...]
    lo: float
    hi: float
    max_len: int
    step: float = 0.01
    engine: str | None = ""
    default_from = None

    def parse(self, raw, default=None) -> tuple[tuple[float, ...], str | None]:
        default = self.default if default is None else default
        items = raw.split(",") if isinstance(raw, str) and len(raw) <= MAX_TEXT else raw
        if not isinstance(items, (list, tuple)) or not 1 <= len(items) <= self.max_len:
            return default, (f"{self.name} = {_short(raw)} is not a list of 1–"
                             f"{self.max_len} numbers; using {self.format(default)}.")
        values, clamped = [], False
        for item in items:
            try:
                value = _to_float(item)
            except (TypeError, ValueError, OverflowError):
                return default, (f"{self.name} = {_short(raw)} has a value that is not a "
                                 f"number; using {self.format(default)}.")
            values.append(min(max(value, self.lo), self.hi))
            clamped |= values[-1] != value
        values = tuple(values)
        if clamped:
            return values, (f"{self.name}: values outside {format_number(self.lo)}–"
                            f"{format_number(self.hi)} were clamped; using {self.format(values)}.")
        return values, None

    def format(self, value) -> str:
        return ",".join(format_number(v) for v in value)


@dataclass(frozen=True)
class ChoiceList:
    """A comma-separated subset of a fixed set of names, kept in the options' order (a set:
    duplicates collapse, order does not matter); empty is a valid choice. Shown as checkboxes."""

    name: str
    label: str
    default: tuple[str, ...]
    options: tuple[str, ...]
    engine: str | None = ""
    labels: dict | None = field(default=None, compare=False)
    default_from = None

    def parse(self, raw, default=None) -> tuple[tuple[str, ...], str | None]:
        default = self.default if default is None else default
        items = raw
        if isinstance(raw, str) and len(raw) <= MAX_TEXT:
            items = [item.strip() for item in raw.split(",")] if raw.strip() else []
        if not isinstance(items, (list, tuple)) or len(items) > MAX_TEXT:
            return default, (f"{self.name} = {_short(raw)} is not a list of names from "
                                  f"{', '.join(self.options)}; using {self._show(default)}.")
        unknown = [item for item in items if not (isinstance(item, str) and item in self.options)]
        chosen = tuple(o for o in self.options if o in items)
        if not unknown:
            return chosen, None
        chosen = chosen or default
        return chosen, (f"{self.name}: {', '.join(_short(u) for u in unknown[:3])} "
                        f"{'is' if len(unknown) == 1 else 'are'} not one of "
                        f"{', '.join(self.options)}; using {self._show(chosen)}.")

    def format(self, value) -> str:
        return ",".join(value)

    def _show(self, value) -> str:
        return self.format(value) or "none"


@dataclass(frozen=True)
class ParamSet:
    """The parameters of one page, in URL order, and the rules between them.

    A parameter's default may depend on parameters before it (`default_from`, a function of
    the values parsed so far: ρ's default follows the construction of W_h); `check`, a function
    of the parsed values that may correct them and returns notices, holds the cross-field rules
    (a sweep's ends in order). The layout (from the URL) and the callback (from the controls)
    both parse through here, so they can never disagree.
    """

    params: tuple = field(default_factory=tuple)
    check: Callable | None = field(default=None, compare=False)

    def __iter__(self):
        return iter(self.params)

    def __getitem__(self, name):
        return next(p for p in self.params if p.name == name)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def defaults(self) -> dict:
        """Every parameter at its default (dependent defaults resolved)."""
        return self.parse({})[0]

    def parse(self, raw: dict) -> tuple[dict, list[str]]:
        """Valid values for every parameter (missing ones take their default; unknown
        keys are ignored) and the notices for what was replaced."""
        if not isinstance(raw, dict):
            raw = {}
        values, notices = {}, []
        for p in self.params:
            default = p.default_from(values) if p.default_from else p.default
            name = next((n for n in (p.name, *getattr(p, "aliases", ())) if n in raw), None)
            if name is None:
                values[p.name] = default
                continue
            values[p.name], notice = p.parse(raw[name], default)
            if notice:
                notices.append(notice)
        if self.check:
            notices += self.check(values)
        return values, notices

    def query(self, values: dict) -> str:
        """The canonical query string ('?w=0.9&…') that reopens exactly this state."""
        return "?" + urlencode({p.name: p.format(values[p.name]) for p in self.params})

    def engine_args(self, values: dict) -> dict:
        """The values as the engine's keyword arguments (a parameter's `engine` name where it
        differs; parameters with engine=None only change the view and are left out)."""
        return {p.engine or p.name: values[p.name] for p in self.params if p.engine is not None}

    def preset_query(self, preset: dict) -> str:
        """The query of an engine preset (engine keyword → value; the rest at defaults)."""
        names = {p.engine or p.name: p.name for p in self.params if p.engine is not None}
        return self.query(self.parse({names[k]: v for k, v in preset.items() if k in names})[0])
