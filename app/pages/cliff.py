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
from functools import lru_cache
from pathlib import Path

import dash
import numpy as np
from dash import Input, Output, Patch, callback, ctx, dcc, html, no_update, register_page

from app.cache import cached
from components import dynamics_figures as figures
from components.controls import control_id, control_panel, radio, slider
from components.layout import graph, markdown_file, mirror_query_to_url, notice_list, page_frame
from components.params import Choice, Number, ParamSet
from components.text import fmt
from engine.cliff import (DEFAULT_B_RANGE, DEFAULT_LR, DEFAULT_START, DEFAULT_STEPS,
                          DEFAULT_TARGET, DEFAULT_THRESHOLD, DEFAULT_W_RANGE, PRESETS,
                          compare_clipping, descend_many, surface)
from engine.dynamics import DEFAULT_T, DEFAULT_X0, basin_crossing

PAGE = "cliff"
HERE = Path(__file__).parent
PARAMS = ParamSet((
    Number("w0", "start w₀", DEFAULT_START[0], *DEFAULT_W_RANGE, 0.001),
    Number("b0", "start b₀", DEFAULT_START[1], *DEFAULT_B_RANGE, 0.001),
    Number("lr", "learning rate", DEFAULT_LR, 0.001, 1.0, 0.001),
    Number("clip", "clipping threshold", DEFAULT_THRESHOLD, 0.01, 10.0, 0.01),
    Number("steps", "descent steps", DEFAULT_STEPS, 1, 300, integer=True),
    Choice("view", "surface view", "2d", ("2d", "3d")),
))
EXPLODING_RATIO = 10  # plain GD's largest step over the clipped cap that the badge calls exploding
PROSE = {"x0": DEFAULT_X0, "T": DEFAULT_T, "target": DEFAULT_TARGET}  # the surface's constants
VIEW_LABELS = {"2d": "2-D map of log₁₀ E", "3d": "3-D surface of E"}
GRID = 120  # display grid, GRID × GRID: float32 z is 77 KB as base64 (150: 120 KB)
START_DECIMALS = 3  # a click is rounded to the start sliders' step
FIGURES = {name: f"{PAGE}-{name}" for name in ("surface", "stepsizes", "clipping", "loss")}
STATUS, QUERY = f"{PAGE}-status", f"{PAGE}-query"

register_page(__name__, path="/cliff", name="Cliff", title="The gradient cliff · GradLab", order=5,
              description="The loss of a one-unit recurrent net has a cliff: plain gradient "
                          "descent is thrown off it, clipped descent walks down.")


@lru_cache(maxsize=4)
def display_surface(n: int = GRID):
    """E on the default grid. It depends on no control, so it is computed once per process."""
    return surface(n_w=n, n_b=n)


def preset_query(preset: dict) -> str:
    return PARAMS.query({**PARAMS.defaults(), "w0": preset["w0"], "b0": preset["b0"],
                         "lr": preset["lr"], "steps": preset["steps"],
                         "clip": preset["threshold"]})


def layout(**query):
    values, notices = PARAMS.parse(query)
    controls = control_panel([
        slider(PAGE, PARAMS["w0"], values["w0"]),
        slider(PAGE, PARAMS["b0"], values["b0"]),
        slider(PAGE, PARAMS["lr"], values["lr"]),
        slider(PAGE, PARAMS["clip"], values["clip"]),
        slider(PAGE, PARAMS["steps"], values["steps"]),
        radio(PAGE, PARAMS["view"], values["view"], VIEW_LABELS),
        html.Div(className="control presets", children=[
            html.Label("Presets"),
            html.Ul([html.Li(dcc.Link(name.replace("_", " "),
                                      href=dash.get_relative_path("/cliff") + preset_query(p),
                                      id=f"{PAGE}-preset-{name}"))
                     for name, p in PRESETS.items()]),
        ]),
    ])
    graphs = [graph(FIGURES["surface"], height=520), graph(FIGURES["stepsizes"], height=520),
              graph(FIGURES["clipping"], height=420), graph(FIGURES["loss"], height=420)]
    return page_frame(
        "The gradient cliff: clip the step, not the direction",
        markdown_file(HERE / "cliff.md", PROSE, className="intro"),
        notices, controls, graphs, STATUS, QUERY,
        below=markdown_file(HERE / "cliff_equations.md", PROSE, className="equations"),
    )


def click_start(click) -> tuple[dict, list[str]]:
    """{w0, b0} from plotly clickData (untrusted JSON: anything may arrive), rounded to
    the sliders' step and clamped to the grid; ({}, [notice]) if it holds no point."""
    try:
        point = click["points"][0]
        raw = {"w0": point["x"], "b0": point["y"]}
    except (TypeError, KeyError, IndexError):
        return {}, ["Ignored a click that carried no point (w, b) of the surface."]
    values, notices = ParamSet((PARAMS["w0"], PARAMS["b0"])).parse(raw)
    if notices:
        return {}, ["Ignored a click outside the surface: " + " ".join(notices)]
    return {k: round(v, START_DECIMALS) for k, v in values.items()}, []


def left_frame(path: np.ndarray) -> int | None:
    (w_lo, w_hi), (b_lo, b_hi) = DEFAULT_W_RANGE, DEFAULT_B_RANGE
    with np.errstate(invalid="ignore"):
        out = ~((path[:, 0] >= w_lo) & (path[:, 0] <= w_hi)
                & (path[:, 1] >= b_lo) & (path[:, 1] <= b_hi))
    return int(np.argmax(out)) if out.any() else None


def status(values, paths, cmp) -> list:
    w0, b0, lr, thr = values["w0"], values["b0"], values["lr"], values["clip"]
    plain = paths[0]
    cap = lr * thr
    k = int(np.argmax(plain.step_norm))
    big = float(plain.step_norm[k])
    if big > cap:
        name = "exploding" if big >= EXPLODING_RATIO * cap else "stable"
        text = (f" plain GD's largest step is {fmt(big)} at iteration {k}: {fmt(big / cap)}× "
                f"the clipped cap lr·threshold = {fmt(cap)}"
                + ("." if name == "exploding" else
                   f": clipping acted, but no step reached {EXPLODING_RATIO}× the cap."))
    else:
        name = "stable"
        text = (f" ‖∇E‖ stayed below the threshold {fmt(thr)} on plain GD's path: clipping "
                "never acted and the three paths coincide.")
    wall, slope = basin_crossing("b", w0, DEFAULT_X0)
    if slope > 1:
        where = (f"The wall at w₀ = {fmt(w0)} is at b = {fmt(wall)} (x₀ = {DEFAULT_X0:g} is "
                 f"the unstable fixed point there), {fmt(abs(b0 - wall))} "
                 f"{'above' if wall > b0 else 'below'} the start in b.")
    else:
        where = (f"No wall at w₀ = {fmt(w0)}: w·σ'(x₀) = {fmt(slope)} < 1, x₀ is a stable "
                 "fixed point there.")
    lines = [html.Div(className="regime", children=[
        html.Span(name, className=f"badge badge-{name}", id=f"{PAGE}-regime"),
        html.Span(text)]),
        html.P(f"Start (w₀, b₀) = ({fmt(w0)}, {fmt(b0)}): E = {fmt(plain.loss[0])}, "
               f"∇E = ({fmt(cmp.raw[0])}, {fmt(cmp.raw[1])}), ‖∇E‖ = {fmt(cmp.norm_raw)}. "
               + where, id=f"{PAGE}-start")]
    items = []
    for P in paths:
        label = figures.METHOD_STYLE[P.method][1]
        item = f"{label}: E {fmt(P.loss[0])} → {fmt(P.loss[-1])} after {P.step_norm.size} steps"
        out = left_frame(P.path)
        if P.diverged_at >= 0:
            item += f"; not finite from step {P.diverged_at} (stopped there)"
        elif out is not None:
            item += (f"; left the plotted area at step {out}, ending at "
                     f"({fmt(P.path[-1, 0])}, {fmt(P.path[-1, 1])})")
        items.append(html.Li(item + "."))
    lines.append(html.Ul(items, id=f"{PAGE}-paths", className="path-summary"))
    return lines


# Inputs that move the descent paths but leave the loss surface as it is.
PATH_INPUTS = {*(control_id(PAGE, name) for name in ("w0", "b0", "lr", "clip", "steps")),
               FIGURES["surface"]}


def paths_only(surface: dict) -> Patch:
    """The surface figure as a Patch: its first trace, the 200×200 surface (most of the
    response's bytes), is already in the browser; only the paths and the start are new."""
    patch = Patch()
    for i, trace in enumerate(surface["data"][1:], start=1):
        patch["data"][i] = trace
    return patch


@cached
def render(**values):
    """The four figures and the explanations under them, for validated values."""
    paths = descend_many(values["w0"], values["b0"], values["lr"], values["steps"],
                         threshold=values["clip"])
    cmp = compare_clipping(paths[0].grad[0], values["clip"])  # ∇E at the start
    return (figures.loss_surface(display_surface(), paths, values["view"]),
            figures.step_norms(paths, values["lr"], values["clip"]),
            figures.clip_arrows(cmp),
            figures.loss_curves(paths),
            status(values, paths, cmp))


@callback(
    *[Output(f, "figure") for f in FIGURES.values()],
    Output(STATUS, "children"), Output(QUERY, "data"),
    Output(control_id(PAGE, "w0"), "value"), Output(control_id(PAGE, "b0"), "value"),
    inputs=dict(**{name: Input(control_id(PAGE, name), "value") for name in PARAMS.names},
                click=Input(FIGURES["surface"], "clickData")),
)
def update(click=None, **raw):
    moved, click_notices = {}, []
    if ctx.triggered_id == FIGURES["surface"] and click is not None:
        moved, click_notices = click_start(click)
        raw.update(moved)
    values, notices = PARAMS.parse(raw)
    notices += click_notices
    surface, *figs, explained = render(**values)
    if ctx.triggered_id in PATH_INPUTS:
        surface = paths_only(surface)
    box = [*explained, notice_list(notices)]
    start = (values["w0"], values["b0"]) if moved else (no_update, no_update)
    return (surface, *figs, box, PARAMS.query(values), *start)


mirror_query_to_url(QUERY)
