"""Figures as plain plotly JSON, built without plotly's graph objects.

A graph object validates every property as it is set and is converted back to JSON at the end:
on /chain that was more than 90 % of a slider step's server time (the engine is 0.6 ms). The
builders draw into a `Figure` here instead: a dict of traces and layout in plotly's own normal
form, which is exactly what `go.Figure(...).to_plotly_json()` would give, so the browser sees the
same figure. What the graph objects did for free is done here, and only that:

- numpy arrays become plotly.js typed arrays, as plotly's encoder writes them (same bytes;
  plotly's own spends ~0.1 ms an array asking narwhals whether it is a dataframe);
- `a_b_c=v` means {"a": {"b": {"c": v}}} ("magic underscores"), dicts merge into dicts;
- a `title` given as text means {"text": ...}; a named colour scale is spelled out;
- None means "not set".

Plotly's validation is kept where it belongs, in the tests: every builder's output must load
as a `go.Figure` and come back unchanged (tests/components/test_plot.py).
"""
import base64
from functools import lru_cache

import numpy as np
from _plotly_utils.utils import plotlyjsShortTypes

from components.theme import template_json_named

# Property names that hold an underscore themselves (not a path).
UNDERSCORED = frozenset({"error_x", "error_y", "error_z"})
LAYOUT_ARRAYS = frozenset({"shapes", "annotations", "images"})


# int64 goes as the narrowest of these that holds it (plotly.js has no 64-bit integers)
NARROWER_INTS = tuple((np.dtype(t), np.iinfo(t)) for t in ("int8", "int16", "int32"))


def typed_array(a: np.ndarray):
    """A numeric numpy array as a plotly.js typed array {dtype, bdata[, shape]}: what plotly's
    `to_typed_array_spec` gives (tested), or the array itself when plotly.js has no type."""
    if a.dtype == np.int64:
        lo, hi = a.min(), a.max()
        a = next((a.astype(t) for t, info in NARROWER_INTS if info.min <= lo and hi <= info.max), a)
    short = plotlyjsShortTypes.get(a.dtype.name)
    if short is None:
        return a.tolist()
    spec = {"dtype": short, "bdata": base64.b64encode(np.ascontiguousarray(a)).decode("ascii")}
    if a.ndim > 1:
        spec["shape"] = str(a.shape)[1:-1]
    return spec


def plain(value):
    """`value` as JSON-ready plotly data: numeric numpy arrays as typed arrays, other arrays,
    tuples and numpy scalars as their Python equivalents."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "iuf" and value.size:
            return typed_array(value)
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _path(key: str) -> list[str]:
    return [key] if key in UNDERSCORED else key.split("_")


def merge(target: dict, updates: dict) -> dict:
    """Set `updates` (plotly-style keyword properties) into `target`, in place."""
    for key, value in updates.items():
        if value is None:
            continue
        *parents, leaf = _path(key)
        node = target
        for part in parents:
            node = node.setdefault(part, {})
        _set(node, leaf, value)
    return target


def _set(node: dict, key: str, value) -> None:
    if key == "title" and isinstance(value, str):
        value = {"text": value}
    if key == "colorscale" and isinstance(value, str):
        value = named_colorscale(value)
    if key == "template" and isinstance(value, str):
        node[key] = template_json_named(value)  # shared, never merged into: with_look swaps it
        return
    if key in LAYOUT_ARRAYS and not value:  # plotly leaves an empty one out
        node.pop(key, None)
        return
    if isinstance(value, dict):
        if not isinstance(node.get(key), dict):
            node[key] = {}
        merge(node[key], value)
    elif isinstance(value, (list, tuple)) and any(isinstance(v, dict) for v in value):
        node[key] = [merge({}, v) if isinstance(v, dict) else plain(v) for v in value]  # shapes, …
    else:
        node[key] = plain(value)


@lru_cache(maxsize=None)
def _colorscale(name: str) -> tuple:
    import plotly.graph_objects as go  # once per name, at first use
    return tuple(tuple(step) for step in go.Heatmap(colorscale=name).to_plotly_json()["colorscale"])


def named_colorscale(name: str) -> list:
    """A named plotly colour scale as the explicit [[position, colour], …] plotly sends."""
    return [list(step) for step in _colorscale(name)]


def trace(kind: str, **props) -> dict:
    """One trace of type `kind` ("scatter", "heatmap", …) with the given properties."""
    return merge({"type": kind}, props)


def Scatter(**props) -> dict:  # noqa: N802: reads like the graph object it replaces
    return trace("scatter", **props)


def Heatmap(**props) -> dict:  # noqa: N802
    return trace("heatmap", **props)


def Surface(**props) -> dict:  # noqa: N802
    return trace("surface", **props)


def Scatter3d(**props) -> dict:  # noqa: N802
    return trace("scatter3d", **props)


AXIS_NAMES = ("xaxis", "yaxis")


class Figure:
    """A plotly figure as plain JSON: `data` (a list of trace dicts) and `layout` (a dict), with
    the few graph-object methods the builders use."""

    __slots__ = ("data", "layout", "_grid")

    def __init__(self, layout: dict | None = None, data=(), grid: dict | None = None):
        self.data = [dict(t) for t in data]
        self.layout = merge({}, layout or {})
        self._grid = grid or {}  # (row, col) -> (xaxis, yaxis) names, for subplots

    def add_trace(self, trace: dict, row: int | None = None, col: int | None = None) -> "Figure":
        if row is not None:
            x, y = self._grid[(row, col)]
            trace = {**trace, "xaxis": x.replace("axis", ""), "yaxis": y.replace("axis", "")}
        self.data.append(trace)
        return self

    def add_traces(self, traces) -> "Figure":
        for t in traces:
            self.add_trace(t)
        return self

    def update_layout(self, updates: dict | None = None, **props) -> "Figure":
        merge(self.layout, {**(updates or {}), **props})
        return self

    def _axes(self, letter: str, row, col) -> list[str]:
        """The layout keys of the x (or y) axes: every one the figure has (and the first,
        always), or the one of a subplot cell."""
        if row is not None:
            return [self._grid[(row, col)][AXIS_NAMES.index(letter + "axis")]]
        first = letter + "axis"
        return [first] + [k for k in self.layout
                          if k.startswith(first) and k[len(first):].isdigit()]

    def update_xaxes(self, row: int | None = None, col: int | None = None, **props) -> "Figure":
        """Every x axis (as go.Figure.update_xaxes), or the one of a subplot cell."""
        for name in self._axes("x", row, col):
            merge(self.layout.setdefault(name, {}), props)
        return self

    def update_yaxes(self, row: int | None = None, col: int | None = None, **props) -> "Figure":
        for name in self._axes("y", row, col):
            merge(self.layout.setdefault(name, {}), props)
        return self

    def add_vrect(self, x0, x1, annotation_text: str | None = None,
                  annotation_position: str = "top left", annotation_font_color=None,
                  **props) -> "Figure":
        """A band across the plot from x0 to x1, with a label in a corner (top left only: the
        one place the pages put it), as go.Figure.add_vrect draws it."""
        assert annotation_position == "top left", annotation_position
        shape = merge({"type": "rect", "x0": x0, "x1": x1, "xref": "x", "y0": 0, "y1": 1,
                       "yref": "y domain"}, props)
        self.layout.setdefault("shapes", []).append(shape)
        if annotation_text is not None:
            note = merge({"showarrow": False, "text": annotation_text, "x": x0, "xanchor": "left",
                          "xref": "x", "y": 1, "yanchor": "top", "yref": "y domain"},
                         {"font_color": annotation_font_color})
            self.layout.setdefault("annotations", []).append(note)
        return self

    def add_annotation(self, **props) -> "Figure":
        self.layout.setdefault("annotations", []).append(merge({}, props))
        return self

    def to_plotly_json(self) -> dict:
        return {"data": self.data, "layout": self.layout}



@lru_cache(maxsize=16)
def _grid_layout(rows: int, cols: int, options: tuple) -> tuple[str, dict]:
    import json

    from plotly.subplots import make_subplots  # once per grid, at first use
    fig = make_subplots(rows=rows, cols=cols, **dict(options))
    layout = fig.to_plotly_json()["layout"]
    layout.pop("template", None)  # the builder sets its own
    grid = {(r + 1, c + 1): (ref["layout_keys"][0], ref["layout_keys"][1])
            for r, row in enumerate(fig._grid_ref) for c, refs in enumerate(row)
            for ref in [refs[0]._asdict()]}
    return json.dumps(layout), grid


def subplots(rows: int, cols: int, **options) -> Figure:
    """An empty grid of subplots, laid out by plotly's make_subplots (computed once per
    grid), with `add_trace(..., row=, col=)` and `update_xaxes(row=, col=)` as there."""
    import json
    layout, grid = _grid_layout(rows, cols, tuple(sorted(
        (k, tuple(v) if isinstance(v, list) else v) for k, v in options.items())))
    fig = Figure(grid=grid)
    fig.layout = json.loads(layout)
    return fig
