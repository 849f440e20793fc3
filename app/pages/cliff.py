"""/cliff: the exploding-gradient cliff of Pascanu, Mikolov & Bengio (2013), and gradient
descent on it — plain, norm-clipped and value-clipped.

URL parameters (all optional; a bad value gets a notice and the nearest valid value):

    w0     start w₀               2 … 8,      step 0.001   default 4.6
    b0     start b₀               −5 … 0,     step 0.001   default −2.365
    lr     learning rate          0.001 … 1,  step 0.001   default 0.1
    clip   clipping threshold     0.01 … 10,  step 0.01    default 1
    steps  descent steps          1 … 300,    whole        default 100
    view   surface view           2d | 3d                  default 2d

The surface is E(w, b) = (σ(x_T) − 0.7)² of the map x_t = w·σ(x_{t−1}) + b with x₀ = 0.5,
T = 50 (engine.cliff), on w ∈ [2, 8], b ∈ [−5, 0]. Clicking the surface moves the start.
Presets: beside_wall = ?w0=4.6&b0=-2.365&lr=0.1&clip=1&steps=100,
walk_into_wall = ?w0=5&b0=-3&lr=0.1&clip=1&steps=100.
"""
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import dash
import numpy as np
from dash import dcc, html, register_page

from app.parameter_page import serve
from components import cliff_figures as figures
from components.page import Control, Figure, PageView, ParameterPage, Static
from components.params import Choice, Number, ParamSet
from components.status import regime_badge
from components.summaries import extremes, listing
from components.text import fmt
from engine.cliff import (DEFAULT_B_RANGE, DEFAULT_LR, DEFAULT_START, DEFAULT_STEPS,
                          DEFAULT_TARGET, DEFAULT_THRESHOLD, DEFAULT_W_RANGE, EXPLODING_RATIO,
                          PRESETS, descend_from, surface)
from engine.dynamics import DEFAULT_T, DEFAULT_X0

HERE = Path(__file__).parent
PARAMS = ParamSet((
    Number("w0", "start w₀", DEFAULT_START[0], *DEFAULT_W_RANGE, 0.001),
    Number("b0", "start b₀", DEFAULT_START[1], *DEFAULT_B_RANGE, 0.001),
    Number("lr", "learning rate", DEFAULT_LR, 0.001, 1.0, 0.001),
    Number("clip", "clipping threshold", DEFAULT_THRESHOLD, 0.01, 10.0, 0.01, engine="threshold"),
    Number("steps", "descent steps", DEFAULT_STEPS, 1, 300, integer=True),
    Choice("view", "surface view", "2d", ("2d", "3d"), engine=None, widget="radio",
           labels={"2d": "2-D map of log₁₀ E", "3d": "3-D surface of E"}),
))
PROSE = {"x0": DEFAULT_X0, "T": DEFAULT_T, "target": DEFAULT_TARGET}  # the surface's constants
GRID = 120  # display grid, GRID × GRID: float32 z is 77 KB as base64 (150: 120 KB)
START_DECIMALS = 3  # a click is rounded to the start sliders' step
START = ParamSet((PARAMS["w0"], PARAMS["b0"]))


@dataclass(frozen=True)
class SurfaceClick(Control):
    """Clicking the surface moves the start (w₀, b₀) there (and its sliders with it)."""

    def inputs(self, page):
        return {"click": (page.figure_id("surface"), "clickData")}

    def read(self, page, inputs, trigger):
        click = inputs["click"]
        if trigger != page.figure_id("surface") or click is None:
            return {}, []
        return click_start(click)

    def moves(self):
        return ("w0", "b0")


def click_start(click) -> tuple[dict, list[str]]:
    """{w0, b0} from plotly clickData (untrusted JSON: anything may arrive), rounded to
    the sliders' step and clamped to the grid; ({}, [notice]) if it holds no point."""
    try:
        point = click["points"][0]
        raw = {"w0": point["x"], "b0": point["y"]}
    except (TypeError, KeyError, IndexError):
        return {}, ["Ignored a click that carried no point (w, b) of the surface."]
    values, notices = START.parse(raw)
    if notices:
        return {}, ["Ignored a click outside the surface: " + " ".join(notices)]
    return {k: round(v, START_DECIMALS) for k, v in values.items()}, []


def preset_links(values):
    return html.Div(className="control presets", children=[
        html.Label("Presets"),
        html.Ul([html.Li(dcc.Link(name.replace("_", " "),
                                  href=dash.get_relative_path("/cliff") + PARAMS.preset_query(p),
                                  id=f"cliff-preset-{name}"))
                 for name, p in PRESETS.items()]),
    ])


PAGE = ParameterPage(
    name="cliff", title="The gradient cliff: clip the step, not the direction", params=PARAMS,
    figures=(Figure("surface", height=520, fixed_traces=1, redrawn_by=("view",)),
             Figure("stepsizes", height=520), Figure("clipping", height=420),
             Figure("loss", height=420)),
    intro=HERE / "cliff.md", equations=HERE / "cliff_equations.md", prose=PROSE,
    panel=(*PARAMS.names, Static(preset_links), SurfaceClick()),
)

register_page(__name__, path="/cliff", name="Cliff", title="The gradient cliff · GradLab", order=5,
              description="The loss of a one-unit recurrent net has a cliff: plain gradient "
                          "descent is thrown off it, clipped descent walks down.")


@lru_cache(maxsize=4)
def display_surface(n: int = GRID):
    """E on the default grid. It depends on no control, so it is computed once per process."""
    return surface(n_w=n, n_b=n)


def layout(**query):
    return PAGE.layout(query)


def explained(values, r) -> list:
    w0, b0, thr = values["w0"], values["b0"], values["clip"]
    if r.clipped:
        summary = (f" plain GD's largest step is {fmt(r.largest_step)} at iteration "
                   f"{r.largest_step_at}: {fmt(r.ratio)}× the clipped cap lr·threshold = "
                   f"{fmt(r.cap)}" + ("." if r.regime == "exploding" else
                                      f": clipping acted, but no step reached "
                                      f"{EXPLODING_RATIO}× the cap."))
    else:
        summary = (f" ‖∇E‖ stayed below the threshold {fmt(thr)} on plain GD's path: clipping "
                   "never acted and the three paths coincide.")
    if r.wall_slope > 1:
        where = (f"The wall at w₀ = {fmt(w0)} is at b = {fmt(r.wall)} (x₀ = {DEFAULT_X0:g} is "
                 f"the unstable fixed point there), {fmt(abs(b0 - r.wall))} "
                 f"{'above' if r.wall > b0 else 'below'} the start in b.")
    else:
        where = (f"No wall at w₀ = {fmt(w0)}: w·σ'(x₀) = {fmt(r.wall_slope)} < 1, x₀ is a stable "
                 "fixed point there.")
    plain, start = r.paths[0], r.start
    items = []
    for P, out in zip(r.paths, r.left_frame):
        label = figures.METHOD_STYLE[P.method][1]
        item = f"{label}: E {fmt(P.loss[0])} → {fmt(P.loss[-1])} after {P.step_norm.size} steps"
        if P.diverged_at >= 0:
            item += f"; not finite from step {P.diverged_at} (stopped there)"
        elif out is not None:
            item += (f"; left the plotted area at step {out}, ending at "
                     f"({fmt(P.path[-1, 0])}, {fmt(P.path[-1, 1])})")
        items.append(html.Li(item + "."))
    return [
        regime_badge(PAGE.name, r.regime, summary),
        html.P(f"Start (w₀, b₀) = ({fmt(w0)}, {fmt(b0)}): E = {fmt(plain.loss[0])}, "
               f"∇E = ({fmt(start.raw[0])}, {fmt(start.raw[1])}), ‖∇E‖ = {fmt(start.norm_raw)}. "
               + where, id="cliff-start"),
        html.Ul(items, id="cliff-paths", className="path-summary"),
    ]


# ---------------------------------------------------------------- the figures' text alternatives


def point(p) -> str:
    return f"({fmt(p[0])}, {fmt(p[1])})"


def surface_summary(values, r, surf) -> str:
    how = "a log colour map" if values["view"] == "2d" else "a three-dimensional surface"
    text = f"Loss E(w, b) as {how}"
    low, high = extremes(surf.E)  # rows are b, columns w
    if low is not None:
        text += (f": from {fmt(surf.E[low])} at (w, b) = {point((surf.w[low[1]], surf.b[low[0]]))} "
                 f"to {fmt(surf.E[high])} at {point((surf.w[high[1]], surf.b[high[0]]))}")
    (w_lo, w_hi), (b_lo, b_hi) = figures.map_ranges(surf)  # what the map shows
    ends = []
    for P in r.paths:
        w, b = P.path[-1]
        inside = w_lo <= w <= w_hi and b_lo <= b <= b_hi
        ends.append(f"{figures.METHOD_STYLE[P.method][1]} {'ends ' if not ends else ''}at "
                    f"{point(P.path[-1])}" + ("" if inside else ", outside the map"))
    return text + f". From the start {point(r.paths[0].path[0])} " + listing(ends) + "."


def stepsizes_summary(r) -> str:
    text = (f"Step length ‖θₖ₊₁ − θₖ‖ per iteration on a log scale, with the norm-clipping cap "
            f"lr·threshold = {fmt(r.cap)}: ")
    if not r.clipped:
        return text + (f"‖∇E‖ stayed below the threshold, so clipping never acted and the three "
                       f"coincide; the largest step is {fmt(r.largest_step)} at iteration "
                       f"{r.largest_step_at}: {r.regime}.")
    norm, value = (float(np.max(P.step_norm)) for P in r.paths[1:])
    return text + (f"plain GD's largest step is {fmt(r.largest_step)} at iteration "
                   f"{r.largest_step_at}, {fmt(r.ratio)} times the cap: {r.regime}. With clipping "
                   f"the largest steps are {fmt(norm)} (by norm) and {fmt(value)} (by value).")


def clipping_summary(c) -> str:
    thr = c.threshold
    if not c.norm_raw > thr:
        return (f"∇E at the start has ‖g‖ = {fmt(c.norm_raw)}, within the threshold {fmt(thr)} "
                "(the circle for clipping by norm, the square for clipping by value): neither "
                "clipping changes it.")
    return (f"∇E at the start and its two clippings onto the threshold {fmt(thr)} (circle: by "
            f"norm, square: by value): the raw gradient has ‖g‖ = {fmt(c.norm_raw)}, "
            f"{fmt(c.norm_raw / thr)} times the threshold. Clipped by norm it keeps its direction "
            f"at ‖g‖ = {fmt(c.norm_by_norm)}; clipped by value it has ‖g‖ = "
            f"{fmt(c.norm_by_value)}, turned {fmt(c.angle_by_value, 3)}° from the raw direction.")


def loss_summary(r) -> str:
    plain = r.paths[0]
    ends = [f"{figures.METHOD_STYLE[P.method][1]} at {fmt(P.loss[-1])}" for P in r.paths]
    text = (f"Loss E per iteration on a log scale, all three from E = {fmt(plain.loss[0])} at the "
            f"start: after {plain.step_norm.size} iterations " + listing(ends))
    for P in r.paths:
        if P.diverged_at >= 0:  # overflow is physics: say where it began
            text += (f"; {figures.METHOD_STYLE[P.method][1]} not finite from iteration "
                     f"{P.diverged_at} (stopped there)")
    return text + "."


@serve(PAGE)
def view(**values) -> PageView:
    """The four figures, their text alternatives and the explanations under them, for
    validated values."""
    r = descend_from(**PARAMS.engine_args(values))
    surf = display_surface()
    return PageView(
        figures={"surface": figures.loss_surface(surf, r.paths, values["view"]),
                 "stepsizes": figures.step_norms(r.paths, values["lr"], values["clip"]),
                 "clipping": figures.clip_arrows(r.start),
                 "loss": figures.loss_curves(r.paths)},
        explained=explained(values, r),
        summaries={"surface": surface_summary(values, r, surf),
                   "stepsizes": stepsizes_summary(r), "clipping": clipping_summary(r.start),
                   "loss": loss_summary(r)})
