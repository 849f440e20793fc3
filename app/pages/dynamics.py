"""/dynamics: the one-unit map x_t = w·σ(x_{t−1}) + b of Pascanu, Mikolov & Bengio (2013):
fixed points, folds, hysteresis, and the gradient spike where x₀ crosses a basin boundary.

URL parameters (all optional; a bad value gets a notice and the nearest valid value):

    w      weight w                      −10 … 15, step 0.01   default 5
    b      bias b                        −10 … 15, step 0.01   default −2.5
    x0     start x₀                      −5 … 5,   step 0.01   default 0.5
    T      steps T                       1 … 200, whole        default 50
    act    activation σ                  sigmoid | tanh | identity     default sigmoid
    sweep  swept parameter θ             b | w                 default b
    lo     sweep from                    −10 … 15, step 0.01   default −3.5 (sweep=b), 2 (sweep=w)
    hi     sweep to                      −10 … 15, step 0.01   default −1.5 (sweep=b), 12 (sweep=w)

lo must be below hi: reversed values are swapped, equal ones fall back to the default range
(with a notice). The other parameter is held at its slider value (w for sweep=b, b for sweep=w).
Example: /dynamics?w=5&b=-2.5&x0=0.5&T=50&act=sigmoid&sweep=b&lo=-3.5&hi=-1.5
"""
from pathlib import Path

import numpy as np
from dash import Input, Output, callback, ctx, html, no_update, register_page

from app.cache import cached
from components import dynamics_figures as figures
from components.controls import control_id, control_panel, dropdown, slider
from components.layout import graph, markdown_file, mirror_query_to_url, notice_list, page_frame
from components import text
from components.params import Choice, Number, ParamSet
from engine.chain import regime
from engine.dynamics import (DEFAULT_B_SWEEP, DEFAULT_W_SWEEP, MAP_ACTIVATIONS, basin_crossing,
                             bifurcation_diagram, equilibrium_curve, fixed_points, folds, iterate,
                             gradient_sweep, sweep_values)

PAGE = "dynamics"
HERE = Path(__file__).parent
SPAN = (-10.0, 15.0)  # w, b and the sweep range
SWEEP_DEFAULTS = {"b": DEFAULT_B_SWEEP, "w": DEFAULT_W_SWEEP}
PARAMS = ParamSet((
    Number("w", "weight w", 5.0, *SPAN, 0.01),
    Number("b", "bias b", -2.5, *SPAN, 0.01),
    Number("x0", "start x₀", 0.5, -5.0, 5.0, 0.01),
    Number("T", "steps T", 50, 1, 200, integer=True),
    Choice("act", "activation σ", "sigmoid", MAP_ACTIVATIONS),
    Choice("sweep", "swept parameter θ", "b", ("b", "w")),
    Number("lo", "sweep θ from", DEFAULT_B_SWEEP[0], *SPAN, 0.01),
    Number("hi", "sweep θ to", DEFAULT_B_SWEEP[1], *SPAN, 0.01),
))
FAN = 15             # trajectories in the fan, evenly over [lo, hi]
SWEEP_POINTS = 801   # even part of the x_T / gradient sweep (plus ~80 around the crossing)
BIFURCATION_POINTS = 401
FIGURES = {name: f"{PAGE}-{name}" for name in
           ("trajectories", "cobweb", "final", "gradient", "bifurcation")}
STATUS, QUERY = f"{PAGE}-status", f"{PAGE}-query"
FOLDS_TEXT = f"{PAGE}-folds"

register_page(__name__, path="/dynamics", name="Dynamics", title="One-unit dynamics · GradLab",
              order=4, description="The one-unit recurrent map x ↦ w·σ(x) + b: fixed points, "
                                   "folds, hysteresis, and the gradient spike at a basin boundary.")


def parse(raw) -> tuple[dict, list[str]]:
    """Valid values and notices from any raw mapping; lo/hi default to the swept
    parameter's range and are put in order."""
    raw = dict(raw) if isinstance(raw, dict) else {}
    sweep, _ = PARAMS["sweep"].parse(raw.get("sweep"))  # (its notice comes from PARAMS.parse)
    for name, default in zip(("lo", "hi"), SWEEP_DEFAULTS[sweep]):
        raw.setdefault(name, default)
    values, notices = PARAMS.parse(raw)
    lo, hi = values["lo"], values["hi"]
    if lo > hi:
        values["lo"], values["hi"] = hi, lo
        notices.append(f"lo = {PARAMS['lo'].format(lo)} is above hi = {PARAMS['hi'].format(hi)}; "
                       "swapped them.")
    elif lo == hi:
        values["lo"], values["hi"] = SWEEP_DEFAULTS[values["sweep"]]
        notices.append(f"lo = hi = {PARAMS['lo'].format(lo)} is an empty sweep; using "
                       f"{values['lo']:g} … {values['hi']:g}.")
    return values, notices


def layout(**query):
    values, notices = parse(query)
    controls = control_panel([
        slider(PAGE, PARAMS["w"], values["w"]),
        slider(PAGE, PARAMS["b"], values["b"]),
        slider(PAGE, PARAMS["x0"], values["x0"]),
        slider(PAGE, PARAMS["T"], values["T"]),
        dropdown(PAGE, PARAMS["act"], values["act"]),
        dropdown(PAGE, PARAMS["sweep"], values["sweep"]),
        slider(PAGE, PARAMS["lo"], values["lo"]),
        slider(PAGE, PARAMS["hi"], values["hi"]),
    ])
    return page_frame(
        "One-unit dynamics: fixed points, folds and a gradient spike",
        markdown_file(HERE / "dynamics.md", className="intro"),
        notices, controls, [graph(f, height=420) for f in FIGURES.values()], STATUS, QUERY,
        below=markdown_file(HERE / "dynamics_equations.md", className="equations"),
    )


def fmt(v: float) -> str:
    return text.fmt(v, 5)


def fixed_point_text(fp, w, b) -> str:
    roots = [(x, s, st) for x, s, st in zip(fp.x.tolist(), fp.slope.tolist(),
                                            fp.stable.tolist()) if x == x]
    if not roots:
        return f"No fixed point at w = {fmt(w)}, b = {fmt(b)}."
    parts = [f"{fmt(round(x, 12) + 0.0)} ({'stable' if st else 'unstable'}, "
             f"w·σ'(x*) = {fmt(s)})" for x, s, st in roots]  # (rounding noise ±1e−17 shows as 0)
    return f"Fixed points at w = {fmt(w)}, b = {fmt(b)}: x* = " + "; ".join(parts) + "."


def folds_text(fo, activation) -> str:
    other = "w" if fo.param == "b" else "b"
    where = f"in {fo.param} at {other} = {fmt(fo.fixed)}"
    if fo.values.size == 0:
        need = {"sigmoid": "w > 4 (b-sweep) or b < −2 (w-sweep)", "tanh": "w > 1 (b-sweep)",
                "identity": "a curved map"}[activation]
        return f"No folds {where}: one fixed point throughout (folds need {need})."
    if fo.values.size == 1:
        return f"Fold {where}: {fo.param} = {fmt(fo.values[0])}."
    return (f"Folds {where}: {fo.param} = {fmt(fo.values[0])} and {fmt(fo.values[-1])}; "
            "two stable fixed points coexist between them (bistable).")


def crossing_text(sweep, lo, hi) -> str:
    """What happens where x₀ is itself a fixed point, from the engine's sweep: the exact value
    of ∂x_T/∂θ there (the plotted curve passes through it) and the peak beside it."""
    p, x0, m = sweep.param, sweep.x0, sweep.crossing_slope
    if not np.isfinite(sweep.crossing):
        return f"x₀ = {fmt(x0)} is a fixed point for no value of {p}."
    where = "" if lo <= sweep.crossing <= hi else " (outside the sweep range)"
    head = (f"x₀ = {fmt(x0)} is itself a fixed point at {p}* = {fmt(sweep.crossing)}{where}, "
            f"multiplier m = w·σ'(x₀) = {fmt(m)}: ")
    if abs(m) <= 1:
        return head + "stable there, so no boundary is crossed and there is no spike."
    if m > 1:
        what = ("unstable, so x₀ sits on the basin boundary there: crossing it flips x_T "
                "between the two attractors")
    else:
        what = ("unstable and m < −1, so the orbit oscillates away from x₀ onto a 2-cycle: "
                "crossing it flips x_T between the cycle's two points")
    # the geometric sum holds while the orbit sits on x₀; rounding can push it off first
    factor = "" if p == "b" else "σ(x₀)·"
    if np.isclose(sweep.crossing_gradient, sweep.crossing_sum, rtol=1e-6, atol=0):
        value = (f"At {p}* the orbit stays at x₀ and every step multiplies by m, so "
                 f"∂x_T/∂{p} = {factor}Σₜ₌₀ᵀ⁻¹ mᵗ = {fmt(sweep.crossing_gradient)}")
    else:
        value = (f"At {p}* the recursion gives ∂x_T/∂{p} = {fmt(sweep.crossing_gradient)}; "
                 f"{factor}Σₜ₌₀ᵀ⁻¹ mᵗ = {fmt(sweep.crossing_sum)} would hold if the orbit "
                 "stayed at x₀, but rounding pushes it off the unstable x₀ within T steps")
    off = sweep.peak_at - sweep.crossing
    peak = (f"; the largest |∂x_T/∂{p}| on the plotted grid is {fmt(abs(sweep.peak))}, "
            f"{text.fmt(abs(off), 2)} {'below' if off < 0 else 'above'} {p}*"
            if abs(sweep.peak) > abs(sweep.crossing_gradient) else "")
    return head + what + ". " + value + peak + ". The spike is at the boundary, not at a fold."


def status(values, fp, fo, sweep, current) -> list:
    w, b, p = values["w"], values["b"], values["sweep"]
    name, factor = regime(current.multipliers[:, 0])
    d = (current.dx_db if p == "b" else current.dx_dw)[-1, 0]
    return [
        html.Div(className="regime", children=[
            html.Span(name, className=f"badge badge-{name}", id=f"{PAGE}-regime"),
            html.Span(f" per-step factor |w·σ'(xₜ₋₁)| ≈ {text.fmt(factor)} (geometric mean over "
                      f"the T steps); ∂x_T/∂x₀ = {text.fmt(current.dx_dx0[-1, 0])}; at "
                      f"{p} = {fmt(values[p])}: x_T = {fmt(current.x[-1, 0])}, "
                      f"∂x_T/∂{p} = {text.fmt(d)}", id=f"{PAGE}-summary"),
        ]),
        html.P(fixed_point_text(fp, w, b), id=f"{PAGE}-fixed-points"),
        html.P(folds_text(fo, values["act"]), id=FOLDS_TEXT),
        html.P(crossing_text(sweep, values["lo"], values["hi"]), id=f"{PAGE}-crossing"),
    ]


def compute(values) -> dict:
    """Every engine result the page shows, from validated values."""
    w, b, x0, T, act = values["w"], values["b"], values["x0"], values["T"], values["act"]
    p, lo, hi = values["sweep"], values["lo"], values["hi"]
    fixed = w if p == "b" else b
    thetas = np.linspace(lo, hi, FAN)
    fan_w, fan_b = (np.full(FAN, w), thetas) if p == "b" else (thetas, np.full(FAN, b))
    crossing, _ = basin_crossing(p, fixed, x0, act)
    return dict(
        thetas=thetas,
        fan=iterate(fan_w, fan_b, x0, T, act),
        current=iterate(np.array([w]), np.array([b]), x0, T, act),
        fp=fixed_points(w, b, act),
        sweep=gradient_sweep(p, sweep_values(lo, hi, SWEEP_POINTS, around=crossing), fixed,
                             x0, T, act),
        diagram=bifurcation_diagram(p, np.linspace(lo, hi, BIFURCATION_POINTS), fixed, x0, act),
        curve=equilibrium_curve(p, lo, hi, fixed, act),
        folds=folds(p, fixed, act),
    )


@cached
def render(**values):
    """The five figures and the explanations under them, for validated values."""
    r = compute(values)
    value = values[values["sweep"]]
    lo, hi = values["lo"], values["hi"]
    return (
        figures.trajectory_fan(r["fan"], r["thetas"], r["current"], values["sweep"], value),
        figures.cobweb(r["current"], r["fp"], values["w"], values["b"]),
        figures.final_state(r["sweep"], lo, hi, value),
        figures.sweep_gradient(r["sweep"], lo, hi, value),
        figures.bifurcation(r["curve"], r["diagram"], value),
        status(values, r["fp"], r["folds"], r["sweep"], r["current"]),
    )


@callback(
    *[Output(f, "figure") for f in FIGURES.values()],
    Output(STATUS, "children"), Output(QUERY, "data"),
    Output(control_id(PAGE, "lo"), "value"), Output(control_id(PAGE, "hi"), "value"),
    inputs={name: Input(control_id(PAGE, name), "value") for name in PARAMS.names},
)
def update(**raw):
    reset = ctx.triggered_id == control_id(PAGE, "sweep")
    if reset:  # a new θ starts from its own default range
        raw.pop("lo", None), raw.pop("hi", None)
    values, notices = parse(raw)
    *figs, explained = render(**values)
    box = [*explained, notice_list(notices)]
    lo, hi = values["lo"], values["hi"]
    # a new θ moves the range sliders; otherwise they stay put (a swapped pair is only
    # reordered for the figures and the URL — moving a handle under the user's hand would not do)
    shown = (lo, hi) if reset else (no_update, no_update)
    return (*figs, box, PARAMS.query(values), *shown)


mirror_query_to_url(QUERY)
