"""Plotly templates for every figure, so pages look alike and restyle in one place.

Four looks: light or dark, each normal or "present" (projector: large type, heavy axes).
The look is a pair of URL flags, `dark=1` and `present=1`, which the app reads per callback
(app/look.py). Figure builders draw in the default look; `with_look` gives a built figure
(plotly JSON) a look's template, which is all that differs between looks.
"""
from typing import NamedTuple

import plotly.graph_objects as go
import plotly.io as pio

CLOSED_FORM = "#1f5fa8"   # theory / closed form: lines
AUTOGRAD = "#e8710a"      # measured by autograd: markers
OVERFLOW = "#c62828"      # inf / NaN
CURRENT = "#222222"       # the state on screen: a marker, a line
SERIES = ("#1f5fa8", "#e8710a", "#2e7d32", "#8e24aa", "#00838f", "#c62828", "#6d4c41",
          "#5c6bc0", "#9e9d24", "#d81b60", "#546e7a", "#f9a825", "#00695c", "#4e342e",
          "#283593", "#ad1457")
LOOK_FLAGS = ("dark", "present")


def _template(dark: bool, present: bool) -> go.layout.Template:
    ink, paper, grid, axis = (("#e8eaed", "#14181f", "#2c333d", "#8a93a0") if dark
                              else ("#1d2430", "white", "#e6e6e6", "#999"))
    size = 20 if present else 13
    axis_style = dict(gridcolor=grid, zeroline=False, showline=True, linecolor=axis,
                      linewidth=2 if present else 1, automargin=True)  # room for 10⁻²⁴ labels
    return go.layout.Template(layout=go.Layout(
        font=dict(family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size=size,
                  color=ink),
        colorway=SERIES,
        margin=dict(l=60, r=20, t=100 if present else 80, b=50),
        plot_bgcolor=paper,
        paper_bgcolor=paper,
        xaxis=axis_style,
        yaxis=axis_style,
        legend=dict(orientation="h", yanchor="bottom", y=1.01, xanchor="left", x=0,
                    font=dict(size=size - 1)),
        hoverlabel=dict(namelength=-1, font=dict(size=size)),
    ))


def template_name(dark: bool = False, present: bool = False) -> str:
    return "gradlab" + ("-dark" if dark else "") + ("-present" if present else "")


for _dark in (False, True):
    for _present in (False, True):
        pio.templates[template_name(_dark, _present)] = _template(_dark, _present)


class Look(NamedTuple):
    dark: bool = False
    present: bool = False


_TEMPLATE_JSON: dict[str, dict] = {}


def template_json(dark: bool, present: bool) -> dict:
    """The look's plotly template as JSON (a figure's layout.template)."""
    return template_json_named(template_name(dark, present))


def template_json_named(name: str) -> dict:
    """A registered plotly template as JSON, by name."""
    if name not in _TEMPLATE_JSON:
        _TEMPLATE_JSON[name] = pio.templates[name].to_plotly_json()
    return _TEMPLATE_JSON[name]


def with_look(figure: dict, look: Look) -> dict:
    """A figure (plotly JSON, built in any look) in `look`: its template is all that differs
    between looks, and plotly.js applies it in the browser. Lets a figure built once (cached
    for a hall, or in a training run's process, where no request says which look) serve every
    look."""
    return {**figure, "layout": {**figure.get("layout", {}), "template": template_json(*look)}}
