"""Never colour alone, and colours that can be seen, in every look (WCAG 2.1 AA).

- 1.4.1 use of colour: in every figure of every golden state (tests/app/golden.py: the pages'
  states as a browser opens them, and /train's figures of short deterministic runs), any two
  traces shown in the legend differ in something besides colour: mode, line dash, marker
  symbol or fill. Not width: presenter mode draws every line 4 px wide (assets/style.css), so a
  thicker line is no cue there.
- 1.4.11 non-text contrast: each template's colorway, the named colours of components.theme
  and every colour a figure draws a line, marker or shape in reach 3:1 against the plot
  background, of every look: a figure is built once and a look only swaps its template
  (theme.with_look), so a builder's colour meets the light and the dark background alike.
  What a colour scale encodes (heatmaps, the /dynamics fan's θ) is left to the scale, which
  must be a colour-blind-safe sequential one (Viridis, Cividis).
- 1.4.3 text contrast: every text of a figure (title, axes, legend, colour bars, annotations,
  inherited from the template or set by a builder) reaches 4.5:1 against the paper (or its
  label box) of every look.
"""
import itertools
import re
from functools import lru_cache

import numpy as np
import pytest
from plotly.colors import sample_colorscale

from components import dynamics_figures, theme
from components.plot import named_colorscale
from tests.app import golden

LOOKS = [theme.Look(dark, present) for dark in (False, True) for present in (False, True)]
LOOK_IDS = [theme.template_name(*look) for look in LOOKS]
TEMPLATES = {look: theme.template_json(*look)["layout"] for look in LOOKS}
NAMED = {"CLOSED_FORM": theme.CLOSED_FORM, "AUTOGRAD": theme.AUTOGRAD,
         "OVERFLOW": theme.OVERFLOW, "CURRENT": theme.CURRENT, "GUIDE": theme.GUIDE,
         **{f"SERIES[{i}]": c for i, c in enumerate(theme.SERIES)}}
SAFE_SCALES = ("Viridis", "Cividis")
GRAPHIC, TEXT = 3.0, 4.5  # WCAG 1.4.11, 1.4.3 (AA)
NAMED_COLOURS = {"white": (255, 255, 255), "black": (0, 0, 0)}


# ---------------------------------------------------------------- colour arithmetic

def rgba(colour: str) -> tuple[float, float, float, float]:
    """'#rgb', '#rrggbb', 'rgb(r, g, b)', 'rgba(r, g, b, a)' or a name used here."""
    colour = colour.strip().lower()
    if colour in NAMED_COLOURS:
        return (*map(float, NAMED_COLOURS[colour]), 1.0)
    if colour.startswith("#"):
        h = colour[1:]
        h = "".join(c * 2 for c in h) if len(h) == 3 else h
        return (*(float(int(h[i:i + 2], 16)) for i in (0, 2, 4)), 1.0)
    m = re.fullmatch(r"rgba?\(([^)]*)\)", colour)
    assert m, f"a colour this test cannot read: {colour!r}"
    parts = [float(p) for p in m.group(1).split(",")]
    return (*parts[:3], parts[3] if len(parts) == 4 else 1.0)


def over(colour: str, background: str, opacity: float = 1.0) -> tuple[float, float, float]:
    """The colour as drawn: its alpha (and the trace's opacity) blended over the background."""
    *fg, alpha = rgba(colour)
    bg = rgba(background)[:3]
    a = alpha * opacity
    return tuple(a * f + (1 - a) * b for f, b in zip(fg, bg))


def luminance(rgb) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour (0–255 channels)."""
    lin = [c / 255 for c in rgb]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in lin]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(colour: str, background: str, opacity: float = 1.0) -> float:
    hi, lo = sorted((luminance(over(colour, background, opacity)),
                     luminance(rgba(background)[:3])), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_arithmetic_matches_wcag():
    assert contrast("#000", "#fff") == pytest.approx(21.0)
    assert contrast("#777777", "white") == pytest.approx(4.48, abs=0.01)
    assert contrast("#767676", "white") == pytest.approx(4.54, abs=0.01)  # the classic AA grey
    assert contrast("rgba(0,0,0,0)", "#14181f") == pytest.approx(1.0)
    assert contrast("#D55E00", "white", opacity=0.45) < 2  # what the hysteresis bands were


@lru_cache(maxsize=None)
def _scale_samples(name: str) -> np.ndarray:
    return np.array([rgba(c)[:3] for c in sample_colorscale(name, list(np.linspace(0, 1, 2001)))])


def on_scale(colour: str, name: str) -> bool:
    """Whether the colour is a sample of the named colour scale (to rounding)."""
    return bool(np.min(np.abs(_scale_samples(name) - rgba(colour)[:3]).max(axis=1)) <= 1.0)


# ---------------------------------------------------------------- the figures of the golden states

def _full(figure: dict) -> dict:
    """In place of golden.figure_digest: the figure, its template left out (a look's)."""
    layout = {k: v for k, v in figure.get("layout", {}).items() if k != "template"}
    return {"figure": {**figure, "layout": layout}}


@pytest.fixture(scope="module")
def figures() -> dict:
    """{(state, graph): figure JSON} for every golden state (opened through the page router
    and the page's callback, as tests/app/golden.py opens it) and /train's golden figures."""
    from app import server
    client = server.test_client()
    assert client.get("/").status_code == 200  # the first request sets up the page router
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(golden, "figure_digest", _full)  # the figure itself, not its digest
        out = {}
        for path, query in golden.STATES:
            shot = golden.snapshot(client, path, query)
            for graph, fig in shot["figures"].items():
                out[(f"{path}?{query}", graph)] = fig["figure"]
        for key, figs in golden.train_figures_shot().items():
            for i, fig in enumerate(figs if isinstance(figs, list) else [figs]):
                out[(f"/train {key}", str(i))] = fig["figure"]
    return out


STATE_IDS = [f"{p}?{q}" for p, q in golden.STATES]
TRAIN_LABELS = [preset or f"{changes['kind']}-{changes.get('task')}"  # as golden labels them
                for preset, changes, _ in golden.TRAIN_RUNS]
TRAIN_IDS = [f"/train {key}" for key in ("empty", "waiting", *(
    f"{label}/{part}" for label in TRAIN_LABELS for part in ("streaming", "final", "hist 0")))]


def figures_of(figures: dict, state: str) -> list[tuple[str, dict]]:
    found = [(graph, fig) for (s, graph), fig in figures.items() if s == state]
    assert found, state
    return found


def test_every_golden_state_is_checked(figures):
    assert sorted({s for s, _ in figures}) == sorted(STATE_IDS + TRAIN_IDS)


# ---------------------------------------------------------------- 1.4.1: never colour alone

def legend_traces(fig: dict) -> list[dict]:
    return [t for t in fig["data"] if t.get("type", "scatter") in ("scatter", "scatter3d")
            and t.get("showlegend", True) is not False]


def cue(trace: dict) -> tuple:
    """What tells a trace from another without its colour (its width aside, see above)."""
    mode = trace.get("mode", "lines")
    line, marker = trace.get("line", {}), trace.get("marker", {})
    key = [trace.get("type", "scatter"), mode, trace.get("fill", "none")]
    if "lines" in mode:
        key.append(line.get("dash", "solid"))
    if "markers" in mode:
        symbol = marker.get("symbol", "circle")
        key.append(tuple(sorted(set(symbol))) if isinstance(symbol, list) else symbol)
    return tuple(key)


def colour_only_pairs(fig: dict) -> list[tuple[str, str]]:
    return [(a.get("name"), b.get("name"))
            for a, b in itertools.combinations(legend_traces(fig), 2) if cue(a) == cue(b)]


@pytest.mark.parametrize("state", STATE_IDS + TRAIN_IDS, ids=STATE_IDS + TRAIN_IDS)
def test_legend_entries_differ_in_more_than_colour(figures, state):
    bad = {graph: pairs for graph, fig in figures_of(figures, state)
           if (pairs := colour_only_pairs(fig))}
    assert not bad, f"traces told apart by colour alone: {bad}"


def test_a_colour_only_difference_is_caught():
    same = {"type": "scatter", "mode": "lines", "line": {"width": 2}}
    fig = {"data": [{**same, "name": "a", "line": {"color": "#0072B2"}},
                    {**same, "name": "b", "line": {"color": "#D55E00", "width": 4}}]}
    assert colour_only_pairs(fig) == [("a", "b")]  # a wider line is no cue (presenter: 4 px)
    fig["data"][1]["line"]["dash"] = "dash"
    assert colour_only_pairs(fig) == []


# ---------------------------------------------------------------- 1.4.11: graphics

def test_the_palette_is_okabe_ito():
    safe = {c.upper() for c in theme.OKABE_ITO.values()}
    assert safe == {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00",
                    "#CC79A7"}
    for look in LOOKS:
        assert {c.upper() for c in TEMPLATES[look]["colorway"]} <= safe, look
    for name, colour in NAMED.items():
        assert colour.upper() in safe or name == "GUIDE", name  # GUIDE: neutral grey
    assert theme.OKABE_ITO["black"] not in TEMPLATES[theme.Look(dark=True)]["colorway"]
    assert theme.OKABE_ITO["yellow"] not in TEMPLATES[theme.Look()]["colorway"]


@pytest.mark.parametrize("look", LOOKS, ids=LOOK_IDS)
def test_colorway_and_named_colours_stand_out_from_the_plot(look):
    layout = TEMPLATES[look]
    bg = layout["plot_bgcolor"]
    ratios = {c: contrast(c, bg) for c in layout["colorway"]}
    assert min(ratios.values()) >= GRAPHIC, ratios
    ratios = {name: contrast(c, bg) for name, c in NAMED.items()}
    assert min(ratios.values()) >= GRAPHIC, ratios
    # the axes and the mode bar's icons are graphics too (zero lines: in drawn_colours); the
    # grid is decoration
    for part in ("xaxis", "yaxis"):
        assert contrast(layout[part]["linecolor"], bg) >= GRAPHIC
    assert contrast(layout["modebar"]["color"], layout["paper_bgcolor"]) >= GRAPHIC
    # a 3-D scene's axes (the cliff) draw lines, grid and tick labels in their axis colour
    for part in ("xaxis", "yaxis", "zaxis"):
        assert contrast(layout["scene"][part]["color"], layout["paper_bgcolor"]) >= TEXT


def drawn_colours(fig: dict, look: theme.Look):
    """(what, colour, opacity, outline) for every line, marker and shape outline the figure
    draws in a colour of its own choosing, in `look` (a trace without a colour takes the
    colorway's, by its index, as plotly.js gives it)."""
    colorway = TEMPLATES[look]["colorway"]
    for i, t in enumerate(fig["data"]):
        if t.get("type", "scatter") not in ("scatter", "scatter3d"):
            continue  # heatmaps, surfaces: a colour scale (checked below)
        name, opacity = t.get("name"), t.get("opacity", 1.0)
        mode = t.get("mode", "lines")
        line, marker = t.get("line", {}), t.get("marker", {})
        default = colorway[i % len(colorway)]
        line_colour = line.get("color", default)
        if "lines" in mode:
            yield f"{name}: line", line_colour, opacity, None
        if "markers" in mode and marker.get("opacity", 1.0) > 0:
            colours = marker.get("color", line_colour if "lines" in mode else default)
            edge = marker.get("line", {})
            outline = edge.get("color") if edge.get("width", 0) > 0 else None
            for c in colours if isinstance(colours, list) else [colours]:
                yield f"{name}: marker", c, opacity * marker.get("opacity", 1.0), outline
    for shape in fig["layout"].get("shapes", []):
        if shape.get("line", {}).get("width", 1) > 0 and "color" in shape.get("line", {}):
            yield (f"shape {shape.get('type')}", shape["line"]["color"], shape.get("opacity", 1),
                   None)
    for name, axis in fig["layout"].items():
        if re.fullmatch(r"[xy]axis\d*", name) and axis.get("zeroline"):
            yield f"{name} zero line", axis.get("zerolinecolor", "#444"), 1.0, None  # plotly's


def low_contrast_graphics(fig: dict, look: theme.Look) -> list:
    bg = TEMPLATES[look]["plot_bgcolor"]
    bad = []
    for what, colour, opacity, outline in drawn_colours(fig, look):
        if isinstance(colour, (int, float)) or on_scale(colour, dynamics_figures.FAN_SCALE):
            continue  # a value on a colour scale (the fan's θ, with its colour bar)
        ratio = contrast(colour, bg, opacity)
        if outline is not None:  # a marker shows by its fill or by its outline
            ratio = max(ratio, contrast(outline, bg, opacity))
        if ratio < GRAPHIC:
            bad.append((what, colour, round(ratio, 2)))
    return bad


@pytest.mark.parametrize("look", LOOKS, ids=LOOK_IDS)
@pytest.mark.parametrize("state", STATE_IDS + TRAIN_IDS, ids=STATE_IDS + TRAIN_IDS)
def test_every_line_and_marker_stands_out_in_every_look(figures, state, look):
    bad = {graph: b for graph, fig in figures_of(figures, state)
           if (b := low_contrast_graphics(fig, look))}
    assert not bad, f"below {GRAPHIC}:1 on {theme.template_name(*look)}: {bad}"


def colour_scales(node, at=""):
    """Every colour scale in a figure (traces, colour axes, markers)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "colorscale":
                yield at, v
            else:
                yield from colour_scales(v, f"{at}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from colour_scales(v, f"{at}[{i}]")


@pytest.mark.parametrize("state", STATE_IDS + TRAIN_IDS, ids=STATE_IDS + TRAIN_IDS)
def test_colour_scales_are_colour_blind_safe(figures, state):
    safe = [named_colorscale(name) for name in SAFE_SCALES]
    for graph, fig in figures_of(figures, state):
        for at, scale in colour_scales(fig):
            scale = [[float(p), c] for p, c in scale]
            assert any(scale == [[float(p), c] for p, c in s] for s in safe), (graph, at)
    assert dynamics_figures.FAN_SCALE in SAFE_SCALES


# ---------------------------------------------------------------- 1.4.3: text

def texts(fig: dict, look: theme.Look):
    """(what, text colour, background) for every text of the figure in `look`: explicit font
    colours wherever a builder set one (annotations on their label box, if any), else the
    template's ink; the backgrounds are the look's paper."""
    layout = TEMPLATES[look]
    paper, ink = layout["paper_bgcolor"], layout["font"]["color"]
    yield "template font", ink, paper

    def walk(node, at):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("font", "tickfont") and isinstance(v, dict) and "color" in v:
                    yield f"{at}.{k}", v["color"], paper
                elif k != "hoverlabel":  # plotly picks a hover label's text for its colour
                    yield from walk(v, f"{at}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from walk(v, f"{at}[{i}]")

    for i, note in enumerate(fig["layout"].get("annotations", [])):
        colour = note.get("font", {}).get("color", ink)
        box = note.get("bgcolor")
        yield (f"annotation {note.get('text', '')[:40]!r}", colour,
               "#%02x%02x%02x" % tuple(round(c) for c in over(box, paper)) if box else paper)
    yield from walk({k: v for k, v in fig["layout"].items() if k != "annotations"}, "layout")
    yield from walk(fig["data"], "data")


@pytest.mark.parametrize("look", LOOKS, ids=LOOK_IDS)
@pytest.mark.parametrize("state", STATE_IDS + TRAIN_IDS, ids=STATE_IDS + TRAIN_IDS)
def test_every_text_is_legible_in_every_look(figures, state, look):
    bad = {graph: b for graph, fig in figures_of(figures, state)
           if (b := [(what, colour, round(contrast(colour, bg), 2))
                     for what, colour, bg in texts(fig, look) if contrast(colour, bg) < TEXT])}
    assert not bad, f"text below {TEXT}:1 on {theme.template_name(*look)}: {bad}"

