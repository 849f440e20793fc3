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
from dash import html, register_page

from app.parameter_page import serve
from components import dynamics_figures as figures
from components.page import Figure, PageView, ParameterPage, Reset
from components.params import Choice, Number, ParamSet
from components.status import regime_badge
from components.summaries import listing, regime_word
from components.text import fmt
from engine.dynamics import (CUSP_B, DEFAULT_B_SWEEP, DEFAULT_W_SWEEP, FOLD_MIN_W, MAP_ACTIVATIONS,
                             explore)

HERE = Path(__file__).parent
SPAN = (-10.0, 15.0)  # w, b and the sweep range
SWEEP_DEFAULTS = {"b": DEFAULT_B_SWEEP, "w": DEFAULT_W_SWEEP}
DIGITS = 5  # the map's values in prose: folds and crossings sit 1e−3 apart


def ordered_sweep(values: dict) -> list[str]:
    """The sweep runs from lo up to hi: reversed ends are swapped, equal ones (an empty sweep)
    fall back to the swept parameter's default range."""
    lo, hi = values["lo"], values["hi"]
    if lo > hi:
        values["lo"], values["hi"] = hi, lo
        return [f"lo = {PARAMS['lo'].format(lo)} is above hi = {PARAMS['hi'].format(hi)}; "
                "swapped them."]
    if lo == hi:
        values["lo"], values["hi"] = SWEEP_DEFAULTS[values["sweep"]]
        return [f"lo = hi = {PARAMS['lo'].format(lo)} is an empty sweep; using "
                f"{values['lo']:g} … {values['hi']:g}."]
    return []


PARAMS = ParamSet((
    Number("w", "weight w", 5.0, *SPAN, 0.01),
    Number("b", "bias b", -2.5, *SPAN, 0.01),
    Number("x0", "start x₀", 0.5, -5.0, 5.0, 0.01),
    Number("T", "steps T", 50, 1, 200, integer=True),
    Choice("act", "activation σ", "sigmoid", MAP_ACTIVATIONS, engine="activation"),
    Choice("sweep", "swept parameter θ", "b", ("b", "w"), engine="param"),
    # the range defaults to the swept parameter's own
    Number("lo", "sweep θ from", DEFAULT_B_SWEEP[0], *SPAN, 0.01,
           default_from=lambda v: SWEEP_DEFAULTS[v["sweep"]][0]),
    Number("hi", "sweep θ to", DEFAULT_B_SWEEP[1], *SPAN, 0.01,
           default_from=lambda v: SWEEP_DEFAULTS[v["sweep"]][1]),
), check=ordered_sweep)
PAGE = ParameterPage(
    name="dynamics", title="One-unit dynamics: fixed points, folds and a gradient spike",
    params=PARAMS,
    figures=tuple(Figure(name, height=420) for name in
                  ("trajectories", "cobweb", "final", "gradient", "bifurcation")),
    intro=HERE / "dynamics.md", equations=HERE / "dynamics_equations.md",
    # a new θ starts from its own default range (a swapped pair is only reordered for the
    # figures and the URL: moving a handle under the user's hand would not do)
    resets={"sweep": Reset(("lo", "hi"))},
)

register_page(__name__, path="/dynamics", name="Dynamics", title="One-unit dynamics · GradLab",
              order=4, description="The one-unit recurrent map x ↦ w·σ(x) + b: fixed points, "
                                   "folds, hysteresis, and the gradient spike at a basin boundary.")


def layout(**query):
    return PAGE.layout(query)


def fixed_point_text(fp, w, b) -> str:
    roots = [(x, s, st) for x, s, st in zip(fp.x.tolist(), fp.slope.tolist(),
                                            fp.stable.tolist()) if x == x]
    if not roots:
        return f"No fixed point at w = {fmt(w, DIGITS)}, b = {fmt(b, DIGITS)}."
    parts = [f"{fmt(round(x, 12) + 0.0, DIGITS)} ({'stable' if st else 'unstable'}, "
             f"w·σ'(x*) = {fmt(s, DIGITS)})" for x, s, st in roots]  # (rounding noise ±1e−17 shows as 0)
    return (f"Fixed points at w = {fmt(w, DIGITS)}, b = {fmt(b, DIGITS)}: x* = "
            + "; ".join(parts) + ".")


def folds_text(fo, activation) -> str:
    other = "w" if fo.param == "b" else "b"
    where = f"in {fo.param} at {other} = {fmt(fo.fixed, DIGITS)}"
    if fo.values.size == 0:
        need = {"sigmoid": f"w > {fmt(FOLD_MIN_W['sigmoid'])} (b-sweep) or "
                           f"b < {fmt(CUSP_B['sigmoid'])} (w-sweep)",
                "tanh": f"w > {fmt(FOLD_MIN_W['tanh'])} (b-sweep)",
                "identity": "a curved map"}[activation]
        return f"No folds {where}: one fixed point throughout (folds need {need})."
    if fo.values.size == 1:
        return f"Fold {where}: {fo.param} = {fmt(fo.values[0], DIGITS)}."
    return (f"Folds {where}: {fo.param} = {fmt(fo.values[0], DIGITS)} and "
            f"{fmt(fo.values[-1], DIGITS)}; two stable fixed points coexist between them "
            "(bistable).")


def crossing_text(sweep, lo, hi) -> str:
    """What happens where x₀ is itself a fixed point, from the engine's sweep: the exact value
    of ∂x_T/∂θ there (the plotted curve passes through it) and the peak beside it."""
    p, x0, m = sweep.param, sweep.x0, sweep.crossing_slope
    if not np.isfinite(sweep.crossing):
        return f"x₀ = {fmt(x0, DIGITS)} is a fixed point for no value of {p}."
    where = "" if lo <= sweep.crossing <= hi else " (outside the sweep range)"
    head = (f"x₀ = {fmt(x0, DIGITS)} is itself a fixed point at {p}* = "
            f"{fmt(sweep.crossing, DIGITS)}{where}, multiplier m = w·σ'(x₀) = {fmt(m, DIGITS)}: ")
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
                 f"∂x_T/∂{p} = {factor}Σₜ₌₀ᵀ⁻¹ mᵗ = {fmt(sweep.crossing_gradient, DIGITS)}")
    else:
        value = (f"At {p}* the recursion gives ∂x_T/∂{p} = {fmt(sweep.crossing_gradient, DIGITS)}; "
                 f"{factor}Σₜ₌₀ᵀ⁻¹ mᵗ = {fmt(sweep.crossing_sum, DIGITS)} would hold if the "
                 "orbit stayed at x₀, but rounding pushes it off the unstable x₀ within T steps")
    off = sweep.peak_at - sweep.crossing
    peak = (f"; the largest |∂x_T/∂{p}| on the plotted grid is {fmt(abs(sweep.peak), DIGITS)}, "
            f"{fmt(abs(off), 2)} {'below' if off < 0 else 'above'} {p}*"
            if abs(sweep.peak) > abs(sweep.crossing_gradient) else "")
    return head + what + ". " + value + peak + ". The spike is at the boundary, not at a fold."


def explained(values, r) -> list:
    p = r.param
    summary = (f" per-step factor |w·σ'(xₜ₋₁)| ≈ {fmt(r.rate)} (geometric mean over the T "
               f"steps); ∂x_T/∂x₀ = {fmt(r.current.dx_dx0[-1, 0])}; at {p} = "
               f"{fmt(r.value, DIGITS)}: x_T = {fmt(r.current.x[-1, 0], DIGITS)}, "
               f"∂x_T/∂{p} = {fmt(r.gradient)}")
    return [
        regime_badge(PAGE.name, r.regime, summary),
        html.P(fixed_point_text(r.fixed_points, values["w"], values["b"]),
               id="dynamics-fixed-points"),
        html.P(folds_text(r.folds, values["act"]), id="dynamics-folds"),
        html.P(crossing_text(r.sweep, r.lo, r.hi), id="dynamics-crossing"),
    ]


# ---------------------------------------------------------------- the figures' text alternatives
# The map's values go to DIGITS digits, as in the status area: folds and crossings sit 1e−3
# apart, and the vertical lines the figures draw there are what these sentences name.


def fan_summary(r) -> str:
    p, x, ends = r.param, r.current.x[:, 0], r.fan.x[-1]
    text = (f"Trajectories xₜ for {len(r.thetas)} values of {p} from {fmt(r.lo, DIGITS)} to "
            f"{fmt(r.hi, DIGITS)} and the current {p} = {fmt(r.value, DIGITS)} (highlighted): "
            f"the current orbit goes from x₀ = {fmt(x[0], DIGITS)} to x_T = "
            f"{fmt(x[-1], DIGITS)} in {len(x) - 1} steps")
    finite = ends[np.isfinite(ends)]
    if finite.size:
        text += (f"; the others end between {fmt(finite.min(), DIGITS)} and "
                 f"{fmt(finite.max(), DIGITS)}")
    if finite.size < ends.size:
        text += f"; {ends.size - finite.size} of them end not finite"
    return text + "."


def cobweb_summary(r) -> str:
    fp, x = r.fixed_points, r.current.x[:, 0]
    roots = [(v, st) for v, st in zip(fp.x.ravel().tolist(), fp.stable.ravel().tolist()) if v == v]
    points = [f"{fmt(round(v, 12) + 0.0, DIGITS)} ({'stable' if st else 'unstable'})"
              for v, st in roots]  # (rounding noise ±1e−17 shows as 0, as in the status)
    text = ("Cobweb of the map x ↦ w·σ(x) + b against the diagonal, from x₀ = "
            f"{fmt(x[0], DIGITS)}: "
            + (f"fixed point{'s' if len(roots) > 1 else ''} x* = {listing(points)}" if roots
               else "no fixed point"))
    return (text + f"; the orbit reaches x_T = {fmt(x[-1], DIGITS)}, the map's slope "
            f"|w·σ′(xₜ₋₁)| along it averaging {fmt(r.rate)} per step: {regime_word(r.regime)}.")


def crossing_shown(sweep, lo: float, hi: float) -> bool:
    """Whether the figures draw the basin-boundary line (dynamics_figures.crossing_marks)."""
    c = sweep.crossing
    return bool(np.isfinite(c) and lo <= c <= hi and abs(sweep.crossing_slope) > 1)


def marks(r) -> str:
    """The vertical lines of the sweep figures: the crossing, the folds, the current θ (by what
    they mark, not by their line style, which is the figures' business)."""
    sw, p, lines = r.sweep, r.param, []
    if crossing_shown(sw, r.lo, r.hi):
        lines.append(f"the basin boundary {p}* = {fmt(sw.crossing, DIGITS)} (x₀ is the unstable "
                     "fixed point there)")
    inside = [v for v in sw.folds.values.tolist() if r.lo <= v <= r.hi]
    if inside:
        lines.append(f"the fold{'s' if len(inside) > 1 else ''} at {p} = "
                     + listing([fmt(v, DIGITS) for v in inside]))
    lines.append(f"the current {p} = {fmt(r.value, DIGITS)}")
    return "; vertical lines mark " + listing(lines)


def final_summary(r) -> str:
    sw = r.sweep
    return (f"Final state x_T after T = {sw.T} steps against {r.param} from {fmt(r.lo, DIGITS)} "
            f"to {fmt(r.hi, DIGITS)}: {fmt(sw.x_T[0], DIGITS)} at the left end and "
            f"{fmt(sw.x_T[-1], DIGITS)} at the right" + marks(r) + ".")


def gradient_summary(r) -> str:
    sw, p = r.sweep, r.param
    size = np.abs(np.asarray(sw.dxT, dtype=float))
    text = (f"|∂x_T/∂{p}| against {p} on a log scale: {fmt(size[0])} at the left end and "
            f"{fmt(size[-1])} at the right")
    if np.isfinite(sw.peak):
        text += f"; largest {fmt(abs(sw.peak), DIGITS)} at {p} = {fmt(sw.peak_at, DIGITS)}"
        if crossing_shown(sw, r.lo, r.hi):
            off = sw.peak_at - sw.crossing
            text += (f", at the basin boundary {p}*" if off == 0 else
                     f", {fmt(abs(off), 2)} {'below' if off < 0 else 'above'} the basin boundary "
                     f"{p}*")
    bad = int(np.sum(~np.isfinite(size)))
    if bad:
        text += f"; not finite at {bad} of {size.size} values of {p}"
    return text + marks(r) + "."


def bifurcation_summary(r) -> str:
    p, d = r.param, r.diagram
    folds = [v for v in d.folds.values.tolist() if r.curve.lo <= v <= r.curve.hi]
    text = (f"Fixed points x* against {p} (stable and unstable branches) and x_∞ by continuation, "
            f"{p} swept up and down: "
            + (f"fold{'s' if len(folds) > 1 else ''} at {p} = "
               + listing([fmt(v, DIGITS) for v in folds]) if folds else "no fold in this range"))
    up, down = d.forward, d.backward
    with np.errstate(invalid="ignore"):
        apart = (np.isfinite(up) & np.isfinite(down)
                 & (np.abs(up - down) > 1e-6 * (1 + np.abs(up))))
    if not (np.isfinite(up) & np.isfinite(down)).any():
        pass  # nothing to compare: the clause below says x_∞ has no value
    elif apart.any():  # the two sweeps disagree exactly where two attractors coexist
        text += (f"; between {p} = {fmt(d.values[apart].min(), DIGITS)} and "
                 f"{fmt(d.values[apart].max(), DIGITS)} the two sweeps end on different "
                 "branches: hysteresis")
    else:
        text += "; both sweeps end on the same branch everywhere: no hysteresis"
    bad = int(np.sum(~np.isfinite(up)))
    if bad:
        text += f"; swept up, x_∞ has no finite value at {bad} of {up.size} values of {p}"
    return text + "."


@serve(PAGE)
def view(**values) -> PageView:
    """The five figures, their text alternatives and the explanations under them, for
    validated values."""
    r = explore(**PARAMS.engine_args(values))
    return PageView(
        figures={
            "trajectories": figures.trajectory_fan(r.fan, r.thetas, r.current, r.param, r.value),
            "cobweb": figures.cobweb(r.current, r.fixed_points, values["w"], values["b"]),
            "final": figures.final_state(r.sweep, r.lo, r.hi, r.value),
            "gradient": figures.sweep_gradient(r.sweep, r.lo, r.hi, r.value),
            "bifurcation": figures.bifurcation(r.curve, r.diagram, r.value)},
        explained=explained(values, r),
        summaries={"trajectories": fan_summary(r), "cobweb": cobweb_summary(r),
                   "final": final_summary(r), "gradient": gradient_summary(r),
                   "bifurcation": bifurcation_summary(r)})
