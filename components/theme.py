"""Plotly templates for every figure, so pages look alike and restyle in one place.

Four looks: light or dark, each normal or "present" (projector: large type, heavy axes).
The look is a pair of URL flags, `dark=1` and `present=1`, which the app reads per callback
(app/look.py). Figure builders draw in the default look; `with_look` gives a built figure
(plotly JSON) a look's template, which is all that differs between looks.
"""
from typing import NamedTuple

import plotly.graph_objects as go
import plotly.io as pio

# The Okabe–Ito palette (Okabe & Ito 2008), told apart in every common colour-vision deficiency.
OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky blue": "#56B4E9",
             "bluish green": "#009E73", "yellow": "#F0E442", "blue": "#0072B2",
             "vermillion": "#D55E00", "reddish purple": "#CC79A7"}
_OI = OKABE_ITO

# A figure is built once in the default look and a look only swaps its template (with_look;
# assets/gradlab.js does the same for /train's stored figures), so a colour a builder sets is
# drawn on the light and on the dark background alike. Only four Okabe–Ito hues reach the 3:1
# that WCAG 1.4.11 asks of a graphical object on both white and the dark plot (black is lost on
# dark; orange, sky blue and yellow are 2.3:1 or less on white): the named colours are those
# four, and a figure that needs more series tells them apart by dash or marker too, never by
# colour alone (tests/components/test_cues.py measures both).
CLOSED_FORM = _OI["blue"]               # theory / closed form: lines
# Autograd's markers over the closed form's line: blue and vermillion are the most distinct
# pair of the four (bluish green on blue read as one). Overflow shares vermillion (the prose
# says "red ×"): its marks are ×, at the top edge, never autograd's ▲▼.
AUTOGRAD = _OI["vermillion"]            # measured by autograd: markers
OVERFLOW = _OI["vermillion"]            # inf / NaN
CURRENT = _OI["reddish purple"]         # the state on screen: a marker, a line
GUIDE = "#777777"                       # bounds, references, guides: neutral grey, 4:1 on both
SERIES = (_OI["blue"], _OI["vermillion"], _OI["bluish green"], _OI["reddish purple"])
# One dash per series (8, so series n and n + 4, which share a hue, differ in dash), each
# with its pattern inside a legend's 30 px sample (a 24 px dash read as solid there). "dot"
# is left out: it marks totals and levels beside up to 7 series; the eighth, fine dots, only
# the eighth RNN cell draws, in a figure without them. The custom ones (dash-dot-dot,
# long-dash-dot-dot, fine dots) are in px, as plotly.js draws the named ones up to 3 px wide.
SERIES_DASHES = ("solid", "dash", "dashdot", "longdash", "longdashdot",
                 "9px,3px,3px,3px,3px,3px", "15px,6px,3px,6px,3px,6px", "2px,4px")
# Marker symbols for series told apart by markers (eigen-blocks: the eigenvalue plane and the
# components share them); filled ones, so a symbol reads in the series' colour.
SERIES_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "triangle-down", "pentagon",
                  "hexagon", "star", "cross", "x", "triangle-left", "triangle-right",
                  "star-diamond", "hourglass", "bowtie", "diamond-wide")
# Values a log axis cannot draw, one shape per series: open ones for exact zeros (drawn with an
# outline width), filled crosses and stars for inf/NaN (drawn without one; line-only symbols
# such as asterisk would need it).
ZERO_SYMBOLS = ("circle-open", "square-open", "diamond-open", "triangle-up-open",
                "triangle-down-open", "pentagon-open", "hexagon-open", "star-open")
BAD_SYMBOLS = ("x", "cross", "hourglass", "bowtie", "star-triangle-up", "star-triangle-down",
               "star-square", "star-diamond")
# The template's colorway: what a trace without a colour of its own gets, by its index. It
# follows the look, so each uses what its background allows: no black on dark (1.2:1), no
# yellow, orange or sky blue on white (1.3–2.3:1); each starts with its most distinct pair
# (blue and vermillion, sky blue and orange).
LIGHT_COLORWAY = (_OI["blue"], _OI["vermillion"], _OI["bluish green"], _OI["reddish purple"],
                  _OI["black"])
DARK_COLORWAY = (_OI["sky blue"], _OI["orange"], _OI["bluish green"], _OI["reddish purple"],
                 _OI["yellow"], _OI["vermillion"], _OI["blue"])
LOOK_FLAGS = ("dark", "present")


def series_style(n: int) -> dict:
    """Series n's line: a hue of SERIES and a dash of its own among the first 8."""
    return {"color": SERIES[n % len(SERIES)], "dash": SERIES_DASHES[n % len(SERIES_DASHES)]}


def _template(dark: bool, present: bool) -> go.layout.Template:
    # ink: text, ≥ 4.5:1 on paper (WCAG 1.4.3); axis: the axis lines, ≥ 3:1 (1.4.11), and the
    # 3-D axes' tick labels, ≥ 4.5:1; muted: the mode bar's icons (plotly's default is 30 % of
    # the ink, 1.7:1); the grid is decoration and stays faint. Every figure carries its
    # template (a /dynamics answer must stay under 150 KB): only what differs from plotly's.
    ink, paper, grid, axis, muted = (
        ("#e8eaed", "#14181f", "#2c333d", "#8a93a0", "#9aa3af") if dark
        else ("#1d2430", "white", "#e6e6e6", "#767676", "#6b7280"))
    size = 20 if present else 13
    # (the two figures that draw zero lines colour them GUIDE: plotly's #444 is 2:1 on dark)
    axis_style = dict(gridcolor=grid, zeroline=False, showline=True,
                      linecolor=axis, linewidth=2 if present else 1,
                      automargin=True)  # room for 10⁻²⁴ labels
    # the 3-D cliff: plotly draws scene axes in #444 (2:1 on dark); their lines, grid and tick
    # labels follow an axis colour
    scene_axis = dict(color=axis)
    return go.layout.Template(layout=go.Layout(
        font=dict(family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size=size,
                  color=ink),
        colorway=DARK_COLORWAY if dark else LIGHT_COLORWAY,
        margin=dict(l=60, r=20, t=100 if present else 80, b=50),
        plot_bgcolor=paper,
        paper_bgcolor=paper,
        xaxis=axis_style,
        yaxis=axis_style,
        scene=dict(xaxis=scene_axis, yaxis=scene_axis, zaxis=scene_axis),
        legend=dict(orientation="h", yanchor="bottom", y=1.01, xanchor="left", x=0,
                    font=dict(size=size - 1)),
        hoverlabel=dict(namelength=-1, font=dict(size=size)),
        modebar=dict(color=muted),
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
