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
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from dash import html

from components.controls import control, control_id, control_panel
from components.layout import graph, markdown_file, page_frame
from components.params import ParamSet


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

    @property
    def status_id(self) -> str:
        return f"{self.name}-status"

    @property
    def query_id(self) -> str:
        return f"{self.name}-query"

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
        figures = [self._figure(f) for f in self.figures]
        pieces = []
        for c in self.controls():
            piece = c.component(self, values)
            pieces += piece if isinstance(piece, list) else [piece] if piece is not None else []
        return page_frame(
            self.title, markdown_file(self.intro, self.prose, className="intro"), notices,
            control_panel(pieces), figures,
            self.status_id, self.query_id,
            below=markdown_file(self.equations, self.prose, className="equations"))

    def _figure(self, f: Figure):
        box = graph(self.figure_id(f.name), height=f.height)
        # a long x axis or a long legend: across the whole width
        return html.Div(box, style={"gridColumn": "1 / -1"}) if f.wide else box


@dataclass(frozen=True)
class PageView:
    """What a page shows for valid parameter values: its figures by name, the sentences that
    explain them (status area, first), and overflow notices (last). A pure function of the
    values: cached, shared by every viewer, whatever their look."""

    figures: dict
    explained: list
    overflow: list = field(default_factory=list)
