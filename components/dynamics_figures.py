"""Figures for /dynamics (Pascanu, Mikolov & Bengio 2013): pure functions of engine results
(engine.dynamics). Nothing here computes the mathematics again; the only evaluation is drawing
the map x ↦ w·σ(x) + b itself for the cobweb.

Payload: linear-axis data go out as float32 where every value fits (`compact`), which halves
the bytes; data on log axes stay float64 (float32 would flush tiny values to 0).
"""
from __future__ import annotations


from functools import lru_cache

import numpy as np
from plotly.colors import sample_colorscale

from components import plot
from components.plot import Figure
from components.figures import base_figure, compact, finite_abs, set_log_range
from components.theme import AUTOGRAD, CLOSED_FORM, CURRENT, GUIDE, OKABE_ITO, OVERFLOW
from engine.activations import sigma
from engine.dynamics import (BifurcationDiagram, EquilibriumCurve, FixedPoints, Folds,
                             GradientSweep, Trajectory)

FAN_SCALE = "Viridis"
FOLD = GUIDE  # dotted (the brown #6d4c41 was 2.3:1 on dark)
CROSSING = OVERFLOW  # dashed
# the two sweep directions: the Okabe–Ito pair most apart in every colour vision, and arrows
# along each band that point the way it was swept (▶ up, ◀ down): the x* lines beside them are
# solid and dashed, so a band's line style alone would repeat one of theirs
HYSTERESIS = {"up": (OKABE_ITO["vermillion"], "triangle-right"),
              "down": (OKABE_ITO["bluish green"], "triangle-left")}


def add_vlines(fig: Figure, marks: list[dict]) -> None:
    """Vertical lines across the plot, each {x, color, dash, text?, where?}, where is
    "top"/"bottom" and ±1 for the side of the line the label sits on. All shapes and
    labels go in one layout update (fig.add_vline costs ~5 ms apiece). Labels are in the
    template's ink (a line's colour as text would be below 4.5:1 on one of the looks); the
    line's dash says which it is."""
    shapes, notes = [], []
    for m in marks:
        shapes.append(dict(type="line", x0=m["x"], x1=m["x"], xref="x", y0=0, y1=1, yref="paper",
                           line=dict(color=m["color"], dash=m["dash"], width=1.5)))
        if m.get("text"):
            top, side = m.get("where", ("top", 1))
            notes.append(dict(x=m["x"], xref="x", y=1 if top == "top" else 0, yref="paper",
                              yanchor="top" if top == "top" else "bottom",
                              xanchor="left" if side > 0 else "right", xshift=3 * side,
                              text=m["text"], showarrow=False, font=dict(size=11)))
    fig.update_layout(shapes=shapes, annotations=notes)


def fold_marks(folds: Folds, lo: float, hi: float) -> list[dict]:
    """Dotted vertical lines at the fold values inside [lo, hi], labelled with the value."""
    inside = [v for v in folds.values.tolist() if lo <= v <= hi]
    return [dict(x=v, color=FOLD, dash="dot", text=f"fold {folds.param} = {v:.5g}",
                 where=("top", -1 if i == 0 and len(inside) > 1 else 1))
            for i, v in enumerate(inside)]


def crossing_marks(sweep: GradientSweep, lo: float, hi: float) -> list[dict]:
    """The basin-boundary crossing (x₀ is the unstable fixed point there)."""
    c = sweep.crossing
    if np.isfinite(c) and lo <= c <= hi and abs(sweep.crossing_slope) > 1:
        text = "x₀ on the basin boundary" if sweep.crossing_slope > 1 else "x₀ = unstable x* here"
        return [dict(x=c, color=CROSSING, dash="dash", text=text,
                     where=("bottom", 1))]
    return []


def current_mark(value: float) -> list[dict]:
    return [dict(x=value, color=CURRENT, dash="solid")]


# ---------------------------------------------------------------- /dynamics

@lru_cache(maxsize=64)
def fan_colors(where: tuple[float, ...]) -> list[str]:
    """FAN_SCALE's colours at positions `where` in [0, 1] (the fan's are the same on every
    slider step; plotly looks the scale up by name each time, ~0.2 ms)."""
    return sample_colorscale(FAN_SCALE, list(where))


def trajectory_fan(fan: Trajectory, thetas, current: Trajectory, param: str,
                   value: float) -> Figure:
    """x_t for each θ in `thetas` (columns of fan.x), coloured by θ, and the current θ in black."""
    thetas = np.asarray(thetas, dtype=float)
    t = np.arange(fan.x.shape[0])
    span = thetas.max() - thetas.min()
    where = (thetas - thetas.min()) / span if span > 0 else np.zeros_like(thetas)
    colors = fan_colors(tuple(where.tolist()))
    fig = base_figure(f"Trajectories x<sub>t</sub> for {len(thetas)} values of {param}",
                      "step t", "x<sub>t</sub>", log_y=False)
    fig.add_traces([plot.Scatter(
        x=t, y=compact(fan.x[:, j]), mode="lines", line=dict(color=color, width=1.2),
        name=f"{param} = {theta:.6g}", showlegend=False,
        hovertemplate=f"{param} = {theta:.4g}<br>t = %{{x}}: x = %{{y:.4g}}<extra></extra>")
        for j, (theta, color) in enumerate(zip(thetas.tolist(), colors))])
    fig.add_trace(plot.Scatter(  # carries the colour bar only
        x=[t[0]], y=[float(fan.x[0, 0])], mode="markers", showlegend=False, hoverinfo="skip",
        name="colour scale",
        marker=dict(size=0.1, opacity=0, color=[thetas.min()], cmin=thetas.min(),
                    cmax=thetas.max() if span > 0 else thetas.min() + 1, colorscale=FAN_SCALE,
                    showscale=True, colorbar=dict(title=dict(text=param), thickness=12))))
    fig.add_trace(plot.Scatter(
        x=t, y=compact(current.x[:, 0]), mode="lines", line=dict(color=CURRENT, width=3),
        name=f"current {param} = {value:.6g}",
        hovertemplate="t = %{x}: x = %{y:.6g}<extra>current</extra>"))
    return fig


def cobweb_span(trajectory: Trajectory, fp: FixedPoints, w: float, b: float) -> tuple[float, float]:
    """An x-window holding x₀, every fixed point and (for a bounded σ) everything after the
    first step; for the identity map the first 20 steps (until they pass ±10⁶)."""
    x = trajectory.x[:, 0]
    points = [x[0], *fp.x[~np.isnan(fp.x)].ravel().tolist()]
    if trajectory.activation == "sigmoid":
        points += [b, w + b]
    elif trajectory.activation == "tanh":
        points += [b - abs(w), b + abs(w)]
    else:
        early = x[:21]
        points += early[np.isfinite(early) & (np.abs(early) <= 1e6)].tolist()
    points = np.asarray(points, dtype=float)
    points = points[np.isfinite(points)]
    lo, hi = float(points.min()), float(points.max())
    pad = max(0.08 * (hi - lo), 0.5)
    return lo - pad, hi + pad


def cobweb(trajectory: Trajectory, fp: FixedPoints, w: float, b: float,
           samples: int = 400) -> Figure:
    """The map x ↦ w·σ(x) + b against the diagonal, its fixed points (filled = stable,
    open = unstable) and the cobweb (x₀,x₀) → (x₀,x₁) → (x₁,x₁) → (x₁,x₂) → …"""
    lo, hi = cobweb_span(trajectory, fp, w, b)
    xs = np.linspace(lo, hi, samples)
    with np.errstate(all="ignore"):
        fx = w * sigma(trajectory.activation, xs) + b
    x = trajectory.x[:, 0]
    path_x = np.repeat(x, 2)[:-1]           # x0 x0 x1 x1 x2 …
    path_y = np.repeat(x, 2)[1:]            # x0 x1 x1 x2 x2 …
    fig = base_figure("Cobweb: x<sub>t</sub> = w·σ(x<sub>t−1</sub>) + b", "x<sub>t−1</sub>",
                      "x<sub>t</sub>", log_y=False)
    fig.add_trace(plot.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="diagonal x = x",
                             line=dict(color=GUIDE, dash="dash"),  # dashed: the cobweb is dotted
                             hoverinfo="skip",
                             showlegend=False))
    fig.add_trace(plot.Scatter(x=compact(xs), y=compact(fx), mode="lines", name="map w·σ(x) + b",
                             line=dict(color=CLOSED_FORM, width=2.5)))
    fig.add_trace(plot.Scatter(x=compact(path_x), y=compact(path_y), mode="lines",
                             name="cobweb from x₀",  # dotted: the map is solid (width is no cue:
                             # presenter mode draws every line 4 px wide, assets/style.css)
                             line=dict(color=AUTOGRAD, width=1.6, dash="dot"),
                             hovertemplate="(%{x:.4g}, %{y:.4g})<extra>cobweb</extra>"))
    roots, stable = fp.x.ravel(), fp.stable.ravel()
    slope = fp.slope.ravel()
    for name, mask, symbol in (("stable x*", stable, "circle"),
                               ("unstable x*", ~stable & ~np.isnan(roots), "circle-open")):
        fig.add_trace(plot.Scatter(
            x=roots[mask], y=roots[mask], mode="markers", name=name, customdata=slope[mask],
            marker=dict(symbol=symbol, size=12, color=CURRENT, line=dict(width=2, color=CURRENT)),
            hovertemplate="x* = %{x:.6g}<br>w·σ'(x*) = %{customdata:.4g}<extra></extra>"))
    fig.update_xaxes(range=[lo, hi])
    fig.update_yaxes(range=[lo, hi], scaleanchor="x", scaleratio=1)
    return fig


def final_state(sweep: GradientSweep, lo: float, hi: float, value: float) -> Figure:
    p = sweep.param
    fig = base_figure(f"Final state x<sub>T</sub> (T = {sweep.T}) against {p}", p,
                      "x<sub>T</sub>", log_y=False)
    fig.add_trace(plot.Scatter(x=sweep.values, y=compact(sweep.x_T), mode="lines",
                             name="x_T", line=dict(color=CLOSED_FORM, width=2),
                             hovertemplate=f"{p} = %{{x:.6g}}<br>x_T = %{{y:.6g}}<extra></extra>"))
    add_vlines(fig, fold_marks(sweep.folds, lo, hi) + crossing_marks(sweep, lo, hi)
               + current_mark(value))
    fig.update_xaxes(range=[lo, hi])
    return fig


def sweep_gradient(sweep: GradientSweep, lo: float, hi: float, value: float) -> Figure:
    p = sweep.param
    fig = base_figure(f"Gradient |∂x<sub>T</sub>/∂{p}| against {p}", p,
                      f"|∂x<sub>T</sub>/∂{p}|")
    fig.add_trace(plot.Scatter(x=sweep.values, y=finite_abs(np.asarray(sweep.dxT, float)),
                             mode="lines", name=f"|∂x_T/∂{p}|", line=dict(color=OVERFLOW, width=2),
                             hovertemplate=f"{p} = %{{x:.8g}}<br>|∂x_T/∂{p}| = %{{y:.4g}}"
                                           "<extra></extra>"))
    set_log_range(fig, sweep.dxT)
    add_vlines(fig, fold_marks(sweep.folds, lo, hi) + crossing_marks(sweep, lo, hi)
               + current_mark(value))
    fig.update_xaxes(range=[lo, hi])
    return fig


def _with_neighbours(mask: np.ndarray) -> np.ndarray:
    """mask widened by one sample each side, so solid and dashed parts meet."""
    out = mask.copy()
    out[1:] |= mask[:-1]
    out[:-1] |= mask[1:]
    return out


def bifurcation(curve: EquilibriumCurve, diagram: BifurcationDiagram, value: float) -> Figure:
    """Fixed points x* against θ (stable solid, unstable dashed), x_∞ by continuation in both
    sweep directions (they differ between the folds: hysteresis), and the folds."""
    p = curve.param
    finite = ~np.isnan(curve.x)
    fig = base_figure(f"Bifurcation: x* and x<sub>∞</sub> (by continuation) against {p}", p,
                      "x*, x<sub>∞</sub>",
                      log_y=False)
    for name, data, key in ((f"x∞, {p} swept up →", diagram.forward, "up"),
                            (f"x∞, {p} swept down ←", diagram.backward, "down")):
        color, arrow = HYSTERESIS[key]
        fig.add_trace(plot.Scatter(
            x=compact(diagram.values), y=compact(data), mode="lines+markers", name=name,
            # opaque: at opacity 0.45 either band was below 2:1 on both looks' paper; the
            # narrower down sweep is drawn over the up sweep, which shows at its sides. A
            # dozen arrows each (plotly.js staggers them), outlined to show on their own band.
            line=dict(color=color, width=7 if key == "up" else 4),
            marker=dict(symbol=arrow, size=11, color=color, maxdisplayed=12,
                        line=dict(width=1, color="white")),
            hovertemplate=f"{p} = %{{x:.5g}}<br>x∞ = %{{y:.5g}}<extra>{name}</extra>"))
    for name, mask, dash in (("stable x*", curve.stable, "solid"),
                             ("unstable x*", finite & ~curve.stable, "dash")):
        shown = _with_neighbours(mask) & finite
        fig.add_trace(plot.Scatter(
            x=compact(np.where(shown, curve.values, np.nan)),
            y=compact(np.where(shown, curve.x, np.nan)),
            mode="lines", name=name, line=dict(color=CURRENT, dash=dash, width=2),
            hovertemplate=f"{p} = %{{x:.5g}}<br>x* = %{{y:.5g}}<extra>{name}</extra>"))
    folds = diagram.folds
    inside = (folds.values >= curve.lo) & (folds.values <= curve.hi)
    fig.add_trace(plot.Scatter(
        x=folds.values[inside], y=folds.x[inside], mode="markers", name="folds", showlegend=False,
        marker=dict(symbol="diamond", size=11, color=FOLD, line=dict(width=1, color="white")),
        hovertemplate=f"fold {p} = %{{x:.6g}}<br>x* = %{{y:.5g}}<extra></extra>"))
    add_vlines(fig, fold_marks(folds, curve.lo, curve.hi) + current_mark(value))
    fig.update_xaxes(range=[curve.lo, curve.hi])
    return fig


# ---------------------------------------------------------------- /cliff
