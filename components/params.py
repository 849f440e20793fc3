"""Page parameters: one definition serves the control, the URL and the server-side check.

Everything that reaches the server (URL query strings, callback payloads) is untrusted:
a slider's min/max are enforced only in the browser, and anyone can POST any JSON to
/_dash-update-component. `ParamSet.parse` turns any raw mapping into valid values and a
list of human-readable notices saying what was replaced, never raising.

Lesson links. Every page also takes `lock=` (parameters shown but not movable) and `hide=`
(parameters not shown at all), comma lists of its parameter names: `Pins`. A pinned parameter
keeps the link's value through every interaction, enforced where the values are parsed
(`ParamSet.parse_pinned`), not only by disabling a control in the browser.
"""
from __future__ import annotations

import math
import reprlib
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import parse_qsl, urlencode

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


PIN_KEYS = ("lock", "hide")  # a lesson link's URL keys: comma lists of parameter names
MAX_PIN_ITEMS = 64           # a repeated key (lock=a&lock=b) adds to its list, up to this


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return [_jsonable(v) for v in value] if isinstance(value, (list, tuple)) else value


@dataclass(frozen=True)
class Pins:
    """What a lesson link fixes: the `lock` parameters are shown but cannot be moved, the
    `hide` ones are not shown at all; both keep the link's value through every interaction.
    `link` holds every parameter's value in the link, as the page's layout parsed it (the
    pinned values, and the state to fall back to). Falsy for a link without lock= or hide=."""

    lock: tuple[str, ...] = ()
    hide: tuple[str, ...] = ()
    link: dict = field(default_factory=dict, compare=False)

    def __bool__(self) -> bool:
        return bool(self.lock or self.hide)

    def __contains__(self, name) -> bool:
        return name in self.lock or name in self.hide

    @property
    def names(self) -> tuple[str, ...]:
        return self.lock + self.hide

    def only(self, names) -> "Pins":
        """The pins among `names`, with `link` as given (one model's parameters on /train)."""
        return Pins(tuple(n for n in self.lock if n in names),
                    tuple(n for n in self.hide if n in names), self.link)

    def items(self) -> list[tuple[str, str]]:
        """The link's lock= and hide= pairs (none where empty)."""
        return [(key, ",".join(names)) for key, names in (("lock", self.lock), ("hide", self.hide))
                if names]

    def store(self) -> dict:
        """JSON for the page's pins Store, which sends them back with every callback. Never
        None: a dcc.Store mounted with no data sets its data (to undefined), and the callback
        would then run again, with the Store as its trigger."""
        if not self:
            return {}
        return {"lock": list(self.lock), "hide": list(self.hide), "link": _jsonable(self.link)}


NO_PINS = Pins()


def pin_names(raw, names, aliases: dict | None = None) -> tuple[tuple, tuple, list[str]]:
    """(lock, hide, notices) from a query's lock= and hide=: comma lists of parameter names
    (`names`, or one of their `aliases`), kept in `names`' order. Empty items and duplicates
    drop silently; an unknown name, or a value that is not text or is over MAX_TEXT
    characters, is ignored with a notice; a name in both lists is hidden. Never raises."""
    chosen, notices = {}, []
    for key in PIN_KEYS:
        chosen[key], said = _pin_list(key, raw.get(key) if isinstance(raw, dict) else None,
                                      tuple(names), aliases or {})
        notices += said
    hide = chosen["hide"]
    return tuple(n for n in chosen["lock"] if n not in hide), hide, notices


def _pin_list(key: str, raw, names: tuple, aliases: dict) -> tuple[tuple, list[str]]:
    if raw is None:
        return (), []
    if (isinstance(raw, (list, tuple)) and len(raw) <= MAX_PIN_ITEMS
            and all(isinstance(item, str) for item in raw)):
        raw = ",".join(raw)  # lock=b&lock=x: the page router hands over a list
    if not isinstance(raw, str):
        return (), [f"{key} = {_short(raw)} is not a comma list of parameter names; ignored."]
    if len(raw) > MAX_TEXT:
        return (), [f"{key} = {_short(raw)} is too long (over {MAX_TEXT} characters); ignored."]
    picked, unknown = set(), []
    for item in raw.split(","):
        item = item.strip()
        name = aliases.get(item, item)
        if name in names:
            picked.add(name)
        elif item and item not in unknown:
            unknown.append(item)
    notices = []
    if unknown:
        shown = ", ".join(repr(_short(u)) for u in unknown[:3]) + (", …" if len(unknown) > 3 else "")
        notices.append(f"{key}: no parameter{'s' if len(unknown) > 1 else ''} called {shown} on "
                       f"this page; ignored. Its parameters: {', '.join(names)}.")
    return tuple(n for n in names if n in picked), notices


def _listed(names) -> str:
    return ", ".join(names) + (" is" if len(names) == 1 else " are")


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

    def query(self, values: dict, pins: Pins = NO_PINS) -> str:
        """The canonical query string ('?w=0.9&…') that reopens exactly this state (with the
        link's lock= and hide=, if any)."""
        return "?" + urlencode([(p.name, p.format(values[p.name])) for p in self.params]
                               + pins.items())

    # ------------------------------------------------------------ lesson links

    def pins(self, raw: dict, values: dict) -> tuple[Pins, list[str]]:
        """The lock= and hide= of a URL query, with the link's values (`values`, parsed from
        the same query), and the notices for what was ignored."""
        aliases = {a: p.name for p in self.params for a in getattr(p, "aliases", ())}
        lock, hide, notices = pin_names(raw, self.names, aliases)
        return Pins(lock, hide, dict(values)), notices

    def read_pins(self, data) -> Pins:
        """The pins the page's Store sends back with a callback (Pins.store). The browser holds
        them, so they are untrusted like any input: a name that is no parameter, or whose link
        value is not valid, is dropped, and anything else gives no pins — the most a forged
        Store can do is what a link without lock= does. Never raises."""
        if not isinstance(data, dict):
            return NO_PINS
        link = data.get("link") if isinstance(data.get("link"), dict) else {}
        valid = {}
        for p in self.params:
            if p.name in link:
                value, notice = p.parse(link[p.name])
                if notice is None:
                    valid[p.name] = value
        lock, hide, _ = pin_names({k: data.get(k) for k in PIN_KEYS}, self.names)
        lock, hide = (tuple(n for n in names if n in valid) for names in (lock, hide))
        if not (lock or hide):
            return NO_PINS
        return Pins(lock, hide, {**self.defaults(), **valid})

    def parse_pinned(self, raw: dict, pins: Pins, revert=()) -> tuple[dict, list[str], set]:
        """parse(), with every pinned parameter at its link value whatever `raw` says (a locked
        control can be re-enabled in the browser, and anyone can post any JSON). A rule between
        parameters (`check`: a sweep's order, a complex pair's room) may not move a pinned one
        either: then the change that asked for it — `revert`, the parameters the moved control
        sent — goes back to the link's values, or, failing that, every parameter does.
        Returns (values, notices, the parameters put back to the link's values)."""
        if not pins:
            values, notices = self.parse(raw)
            return values, notices, set()
        raw = dict(raw) if isinstance(raw, dict) else {}
        notices = []
        for name in pins.names:
            sent, kept = raw.get(name), pins.link[name]
            if sent is not None and self[name].parse(sent, kept) != (kept, None):
                notices.append(f"{name} is locked at {self[name].format(kept)} by this page's "
                               f"link; ignored {name} = {_short(sent)}.")
            raw[name] = kept
        values, said = self.parse(raw)
        moved = [n for n in pins.names if values[n] != pins.link[n]]
        back: set = set()
        for attempt in (set(revert), set(self.names)):
            if all(values[n] == pins.link[n] for n in pins.names):
                break
            back = attempt - set(pins.names)
            values, said = self.parse({**raw, **{n: pins.link[n] for n in back}})
        values.update({n: pins.link[n] for n in pins.names})  # a check that is not idempotent
        if moved:
            undone = [f"{n} = {self[n].format(pins.link[n])}" for n in self.names if n in back
                      and self[n].parse(raw.get(n), pins.link[n])[0] != pins.link[n]]
            notices.append(f"{_listed(moved)} locked, and that change would move "
                           f"{'it' if len(moved) == 1 else 'them'}; using the link's "
                           f"{', '.join(undone) or 'values'}.")
        return values, notices + said, back

    def pinned_query(self, query: str, pins: Pins) -> tuple[str, tuple[str, ...]]:
        """Another link to this page (a preset's query) under this page's pins: the pinned
        parameters at their values, lock= and hide= kept. Also returns the pinned parameters
        the link would otherwise have set to another value."""
        raw = dict(parse_qsl(query.lstrip("?"), keep_blank_values=True))
        wanted, _ = self.parse(raw)
        values, _, _ = self.parse_pinned(raw, pins)
        return self.query(values, pins), tuple(n for n in pins.names if wanted[n] != values[n])

    def engine_args(self, values: dict) -> dict:
        """The values as the engine's keyword arguments (a parameter's `engine` name where it
        differs; parameters with engine=None only change the view and are left out)."""
        return {p.engine or p.name: values[p.name] for p in self.params if p.engine is not None}

    def preset_query(self, preset: dict) -> str:
        """The query of an engine preset (engine keyword → value; the rest at defaults)."""
        names = {p.engine or p.name: p.name for p in self.params if p.engine is not None}
        return self.query(self.parse({names[k]: v for k, v in preset.items() if k in names})[0])
