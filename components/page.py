"""A parameter page, declared once: its parameters, controls, figures and prose.

/chain, /matrix, /rnn, /dynamics and /cliff are the same machine: the URL's parameters become
controls beside figures; moving a control sends every parameter to one callback, which parses
them (the same `ParamSet.parse` the layout used for the URL), asks the engine, draws the
figures and explains them in the status area, and writes the canonical query back to the
address bar. `ParameterPage` holds what differs between pages; `layout` builds the page from it
here, and app/parameter_page.py registers its callback. A page module then holds only its
parameters, its engine call and its prose.

Controls. A parameter is shown by the control its spec asks for (components.controls.control).
What is not one parameter, one control is a `Control`: a component, the inputs it sends, how
they become raw parameter values (`read`), and outputs it refreshes after each callback
(`refresh`) — the matrix page's eigenvalue sliders, a figure that can be clicked.

Lesson links. A URL's `lock=` and `hide=` (components.params.Pins) pin parameters at the link's
values: `layout` disables a locked parameter's control (its label says "locked") and leaves a
hidden one's out of the page, links in the panel to the page itself (presets) keep the pins,
and a Store hands the pins to the page's callback, which enforces them whatever the controls
send (app/parameter_page.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import dash
from dash import dcc, html

from components.controls import control, control_id, control_panel, locked, tag_param
from components.layout import code_export, graph, markdown_file, page_frame, walk
from components.params import ParamSet, Pins


@dataclass(frozen=True)
class Figure:
    """One figure of a page: `name` (its id is page-name), its height, and whether it spans
    the whole figure grid. `fixed_traces` leading traces that only `redrawn_by` controls change
    (the cliff's 120×120 surface) are not sent again when another control moves: the browser
    gets a Patch of the other traces. A figure that does not depend on the parameters in
    `ignores` (the RNN's Jacobian plots on which cells are compared) is not sent at all when
    one of them moves: the browser keeps it and does not repaint it."""

    name: str
    height: int = 380
    wide: bool = False
    fixed_traces: int = 0
    redrawn_by: tuple[str, ...] = ()
    ignores: tuple[str, ...] = ()


class Control:
    """A piece of the control panel that is not one parameter's own control."""

    def component(self, page: "ParameterPage", values: dict):
        """What it shows in the panel: a component, a list of them, or None."""
        return None

    def inputs(self, page: "ParameterPage") -> dict[str, tuple[str, str]]:
        """{input name: (component id, property)} this piece sends to the page's callback."""
        return {}

    def read(self, page: "ParameterPage", inputs: dict, trigger) -> tuple[dict, list[str]]:
        """(raw parameter values, notices) from this piece's inputs; `trigger` is the id of
        the component the user moved (None when the page loads)."""
        return {}, []

    def moves(self) -> tuple[str, ...]:
        """Parameters this piece can set for the user: their controls are then moved to match."""
        return ()

    def shows(self, page: "ParameterPage") -> tuple[str, ...]:
        """The parameters this piece is the control of (a lesson link locks or hides it with
        them): by default, those its inputs are named after."""
        return tuple(name for name in self.inputs(page) if name in page.params.names)

    def outputs(self, page: "ParameterPage") -> list[tuple[str, str]]:
        return []

    def refresh(self, page: "ParameterPage", values: dict) -> list:
        """The values of `outputs` for valid parameter values."""
        return []


@dataclass(frozen=True)
class ParamControl(Control):
    """One parameter's control (the default for every parameter of the panel)."""

    name: str

    def component(self, page, values):
        return control(page.name, page.params[self.name], values[self.name])

    def inputs(self, page):
        return {self.name: (page.control_id(self.name), "value")}

    def read(self, page, inputs, trigger):
        return {self.name: inputs[self.name]}, []


@dataclass(frozen=True)
class Static(Control):
    """Something in the panel that sends nothing (preset links): `build(values)`."""

    build: Callable

    def component(self, page, values):
        return self.build(values)


@dataclass(frozen=True)
class Reset:
    """Moving the control of a parameter resets `params` to their (dependent) defaults, e.g. a
    new construction of W_h starts from its own ρ; `notice(values)` says so, if given."""

    params: tuple[str, ...]
    notice: Callable | None = None


@dataclass(frozen=True)
class ParameterPage:
    name: str                      # the path /name and the prefix of every component id
    title: str
    params: ParamSet
    figures: tuple[Figure, ...]
    intro: Path                    # markdown above the controls
    equations: Path                # markdown below the figures
    prose: dict = field(default_factory=dict, compare=False)  # {{name}} values of both
    panel: tuple = ()              # parameter names and Controls in panel order (() = all params)
    resets: dict = field(default_factory=dict, compare=False)  # parameter → Reset
    code: bool = False             # offers the PyTorch script of its setup (app/code_route.py)

    @property
    def status_id(self) -> str:
        return f"{self.name}-status"

    @property
    def query_id(self) -> str:
        return f"{self.name}-query"

    @property
    def pins_id(self) -> str:
        """The Store holding the link's lock= and hide= (components.params.Pins.store)."""
        return f"{self.name}-pins"

    def figure_id(self, name: str) -> str:
        return f"{self.name}-{name}"

    def control_id(self, name: str) -> str:
        return control_id(self.name, name)

    def controls(self) -> list[Control]:
        return [ParamControl(c) if isinstance(c, str) else c
                for c in (self.panel or self.params.names)]

    def movable(self) -> list[str]:
        """Parameters whose controls the callback may move (reset or set by another control),
        in URL order."""
        moved = {p for r in self.resets.values() for p in r.params}
        moved |= {p for c in self.controls() for p in c.moves()}
        return [p for p in self.params.names if p in moved]

    def layout(self, query: dict):
        """The page for a URL's query: controls at its (validated) values, empty figures the
        callback fills, the URL's notices."""
        values, notices = self.params.parse(query)
        pins, said = self.params.pins(query, values)
        notices += said
        figures = [self._figure(f) for f in self.figures]
        pieces = []
        for c in self.controls():
            piece = self._piece(c, values, pins)
            pieces += piece if isinstance(piece, list) else [piece] if piece is not None else []
        pieces.append(dcc.Store(id=self.pins_id, data=pins.store()))
        return page_frame(
            self.title, markdown_file(self.intro, self.prose, className="intro"), notices,
            control_panel(pieces + ([code_export(self.name)] if self.code else [])), figures,
            self.status_id, self.query_id,
            below=markdown_file(self.equations, self.prose, className="equations"))

    def _piece(self, c: Control, values: dict, pins: Pins):
        """One control of the panel under the link's pins: as it is, locked, or left out."""
        piece = c.component(self, values)
        shows = c.shows(self)
        if piece is None:
            return None
        if shows:
            tag_param(piece, shows[0], self.params[shows[0]].label)
        if not pins:
            return piece
        if shows and all(name in pins.hide for name in shows):
            if not c.outputs(self) and not set(shows) & set(self.movable()):
                return None  # not on the page at all: the callback takes the link's value
            # the callback writes to this control (it moves it, or refreshes it): kept, unseen
            return html.Div(locked(piece), hidden=True, className="control-hidden")
        if any(name in pins for name in shows):
            piece = locked(piece)
        self._pin_links(piece, pins)
        return piece

    def _pin_links(self, piece, pins: Pins) -> None:
        """Links in the panel to this very page (presets) keep the link's pins: lock= and
        hide=, and the pinned values, which the preset then leaves as they are (and says so)."""
        path = dash.get_relative_path(f"/{self.name}")
        for c in walk(piece):
            href = getattr(c, "href", None) if isinstance(c, dcc.Link) else None
            if not (isinstance(href, str) and href.startswith(path + "?")):
                continue
            query, kept = self.params.pinned_query(href[len(path):], pins)
            c.href = path + query
            if kept:
                stays = ", ".join(f"{n} stays {self.params[n].format(pins.link[n])}" for n in kept)
                c.children = [c.children, html.Span(f" ({stays})", className="preset-pinned")]

    def _figure(self, f: Figure):
        box = graph(self.figure_id(f.name), height=f.height)
        # a long x axis or a long legend: across the whole width
        return html.Div(box, style={"gridColumn": "1 / -1"}) if f.wide else box


@dataclass(frozen=True)
class PageView:
    """What a page shows for valid parameter values: its figures by name, the sentences that
    explain them (status area, first), overflow notices (last), and per figure its text
    alternative: one or two sentences from the same engine result saying what the figure
    shows now. A pure function of the values: cached, shared by every viewer, whatever their
    look."""

    figures: dict
    explained: list
    overflow: list = field(default_factory=list)
    summaries: dict = field(default_factory=dict)  # figure name → sentence
