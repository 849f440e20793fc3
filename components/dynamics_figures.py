"""Figures for /dynamics and /cliff (Pascanu, Mikolov & Bengio 2013): pure functions of
engine results (engine.dynamics, engine.cliff). Nothing here computes the mathematics
again; the only evaluation is drawing the map x ↦ w·σ(x) + b itself for the cobweb.

Payload: linear-axis data go out as float32 where every value fits (`compact`), which halves
the bytes; data on log axes stay float64 (float32 would flush tiny values to 0).
"""
from __future__ import annotations


import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from components.figures import base_figure, compact, finite_abs, log_heatmap, set_log_range
from components.theme import AUTOGRAD, CLOSED_FORM, OVERFLOW
from engine.activations import sigma
from engine.cliff import ClipComparison, DescentPath, Surface
from engine.dynamics import (BifurcationDiagram, EquilibriumCurve, FixedPoints, Folds,
                             GradientSweep, Trajectory)

FAN_SCALE = "Viridis"
SURFACE_SCALE = "Viridis"
FOLD = "#6d4c41"
CURRENT = "#222222"
CROSSING = OVERFLOW
HYSTERESIS = {"up": AUTOGRAD, "down": "#2e7d32"}
METHOD_STYLE = {  # method → (colour, legend name)
    "plain": (OVERFLOW, "plain GD"),
    "norm": (CLOSED_FORM, "norm-clipped"),
    "value": ("#2e7d32", "value-clipped"),
}


def add_vlines(fig: go.Figure, marks: list[dict]) -> None:
    """Vertical lines across the plot, each {x, color, dash, text?, where?}, where is
    "top"/"bottom" and ±1 for the side of the line the label sits on. All shapes and
    labels go in one layout update (fig.add_vline costs ~5 ms apiece)."""
    shapes, notes = [], []
    for m in marks:
        shapes.append(dict(type="line", x0=m["x"], x1=m["x"], xref="x", y0=0, y1=1, yref="paper",
                           line=dict(color=m["color"], dash=m["dash"], width=1.5)))
        if m.get("text"):
            top, side = m.get("where", ("top", 1))
            notes.append(dict(x=m["x"], xref="x", y=1 if top == "top" else 0, yref="paper",
                              yanchor="top" if top == "top" else "bottom",
                              xanchor="left" if side > 0 else "right", xshift=3 * side,
                              text=m["text"], showarrow=False,
                              font=dict(color=m["color"], size=11)))
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

def trajectory_fan(fan: Trajectory, thetas, current: Trajectory, param: str,
                   value: float) -> go.Figure:
    """x_t for each θ in `thetas` (columns of fan.x), coloured by θ, and the current θ in black."""
    thetas = np.asarray(thetas, dtype=float)
    t = np.arange(fan.x.shape[0])
    span = thetas.max() - thetas.min()
    where = (thetas - thetas.min()) / span if span > 0 else np.zeros_like(thetas)
    colors = sample_colorscale(FAN_SCALE, where.tolist())
    fig = base_figure(f"Trajectories x<sub>t</sub> for {len(thetas)} values of {param}",
                      "step t", "x<sub>t</sub>", log_y=False)
    fig.add_traces([go.Scatter(
        x=t, y=compact(fan.x[:, j]), mode="lines", line=dict(color=color, width=1.2),
        name=f"{param} = {theta:.6g}", showlegend=False,
        hovertemplate=f"{param} = {theta:.4g}<br>t = %{{x}}: x = %{{y:.4g}}<extra></extra>")
        for j, (theta, color) in enumerate(zip(thetas.tolist(), colors))])
    fig.add_trace(go.Scatter(  # carries the colour bar only
        x=[t[0]], y=[float(fan.x[0, 0])], mode="markers", showlegend=False, hoverinfo="skip",
        name="colour scale",
        marker=dict(size=0.1, opacity=0, color=[thetas.min()], cmin=thetas.min(),
                    cmax=thetas.max() if span > 0 else thetas.min() + 1, colorscale=FAN_SCALE,
                    showscale=True, colorbar=dict(title=dict(text=param), thickness=12))))
    fig.add_trace(go.Scatter(
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
           samples: int = 400) -> go.Figure:
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
    fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="diagonal x = x",
                             line=dict(color="#999", dash="dot"), hoverinfo="skip",
                             showlegend=False))
    fig.add_trace(go.Scatter(x=compact(xs), y=compact(fx), mode="lines", name="map w·σ(x) + b",
                             line=dict(color=CLOSED_FORM, width=2.5)))
    fig.add_trace(go.Scatter(x=compact(path_x), y=compact(path_y), mode="lines",
                             name="cobweb from x₀", line=dict(color=AUTOGRAD, width=1.6),
                             hovertemplate="(%{x:.4g}, %{y:.4g})<extra>cobweb</extra>"))
    roots, stable = fp.x.ravel(), fp.stable.ravel()
    slope = fp.slope.ravel()
    for name, mask, symbol in (("stable x*", stable, "circle"),
                               ("unstable x*", ~stable & ~np.isnan(roots), "circle-open")):
        fig.add_trace(go.Scatter(
            x=roots[mask], y=roots[mask], mode="markers", name=name, customdata=slope[mask],
            marker=dict(symbol=symbol, size=12, color=CURRENT, line=dict(width=2, color=CURRENT)),
            hovertemplate="x* = %{x:.6g}<br>w·σ'(x*) = %{customdata:.4g}<extra></extra>"))
    fig.update_xaxes(range=[lo, hi])
    fig.update_yaxes(range=[lo, hi], scaleanchor="x", scaleratio=1)
    return fig


def final_state(sweep: GradientSweep, lo: float, hi: float, value: float) -> go.Figure:
    p = sweep.param
    fig = base_figure(f"Final state x<sub>T</sub> (T = {sweep.T}) against {p}", p,
                      "x<sub>T</sub>", log_y=False)
    fig.add_trace(go.Scatter(x=sweep.values, y=compact(sweep.x_T), mode="lines",
                             name="x_T", line=dict(color=CLOSED_FORM, width=2),
                             hovertemplate=f"{p} = %{{x:.6g}}<br>x_T = %{{y:.6g}}<extra></extra>"))
    add_vlines(fig, fold_marks(sweep.folds, lo, hi) + crossing_marks(sweep, lo, hi)
               + current_mark(value))
    fig.update_xaxes(range=[lo, hi])
    return fig


def sweep_gradient(sweep: GradientSweep, lo: float, hi: float, value: float) -> go.Figure:
    p = sweep.param
    fig = base_figure(f"Gradient |∂x<sub>T</sub>/∂{p}| against {p}", p,
                      f"|∂x<sub>T</sub>/∂{p}|")
    fig.add_trace(go.Scatter(x=sweep.values, y=finite_abs(np.asarray(sweep.dxT, float)),
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


def bifurcation(curve: EquilibriumCurve, diagram: BifurcationDiagram, value: float) -> go.Figure:
    """Fixed points x* against θ (stable solid, unstable dashed), x_∞ by continuation in both
    sweep directions (they differ between the folds: hysteresis), and the folds."""
    p = curve.param
    finite = ~np.isnan(curve.x)
    fig = base_figure(f"Bifurcation: x* and x<sub>∞</sub> (by continuation) against {p}", p,
                      "x*, x<sub>∞</sub>",
                      log_y=False)
    for name, data, key in ((f"x∞, {p} swept up →", diagram.forward, "up"),
                            (f"x∞, {p} swept down ←", diagram.backward, "down")):
        fig.add_trace(go.Scatter(
            x=compact(diagram.values), y=compact(data), mode="lines", name=name,
            line=dict(color=HYSTERESIS[key], width=7 if key == "up" else 4), opacity=0.45,
            hovertemplate=f"{p} = %{{x:.5g}}<br>x∞ = %{{y:.5g}}<extra>{name}</extra>"))
    for name, mask, dash in (("stable x*", curve.stable, "solid"),
                             ("unstable x*", finite & ~curve.stable, "dash")):
        shown = _with_neighbours(mask) & finite
        fig.add_trace(go.Scatter(
            x=compact(np.where(shown, curve.values, np.nan)),
            y=compact(np.where(shown, curve.x, np.nan)),
            mode="lines", name=name, line=dict(color=CURRENT, dash=dash, width=2),
            hovertemplate=f"{p} = %{{x:.5g}}<br>x* = %{{y:.5g}}<extra>{name}</extra>"))
    folds = diagram.folds
    inside = (folds.values >= curve.lo) & (folds.values <= curve.hi)
    fig.add_trace(go.Scatter(
        x=folds.values[inside], y=folds.x[inside], mode="markers", name="folds", showlegend=False,
        marker=dict(symbol="diamond", size=11, color=FOLD, line=dict(width=1, color="white")),
        hovertemplate=f"fold {p} = %{{x:.6g}}<br>x* = %{{y:.5g}}<extra></extra>"))
    add_vlines(fig, fold_marks(folds, curve.lo, curve.hi) + current_mark(value))
    fig.update_xaxes(range=[curve.lo, curve.hi])
    return fig


# ---------------------------------------------------------------- /cliff

def loss_surface(surface: Surface, paths: tuple[DescentPath, ...], view: str = "2d") -> go.Figure:
    """E(w, b) — 2-D: log10 E as a heatmap (figures.log_heatmap: colour bar in powers of
    ten); 3-D: E as a surface, the cliff as a wall — with the descent paths drawn on it."""
    start = paths[0].path[0]
    pad_w, pad_b = 0.02 * np.ptp(surface.w), 0.02 * np.ptp(surface.b)  # a start on the edge shows
    w_range = [float(surface.w[0] - pad_w), float(surface.w[-1] + pad_w)]
    b_range = [float(surface.b[0] - pad_b), float(surface.b[-1] + pad_b)]
    title = "Loss E(w, b): click to move the start"
    fig = base_figure(title, "w", "b", log_y=False)
    if view == "3d":
        fig.add_trace(go.Surface(
            x=surface.w, y=surface.b, z=compact(surface.E), colorscale=SURFACE_SCALE,
            name="E(w, b)", colorbar=dict(title=dict(text="E"), thickness=12),
            hovertemplate="w = %{x:.3f}<br>b = %{y:.3f}<br>E = %{z:.3g}<extra></extra>"))
        for P in paths:
            color, name = METHOD_STYLE[P.method]
            fig.add_trace(go.Scatter3d(
                x=compact(P.path[:, 0]), y=compact(P.path[:, 1]), z=compact(P.loss),
                mode="lines+markers", name=name,
                line=dict(color=color, width=5), marker=dict(size=2.5, color=color)))
        fig.add_trace(go.Scatter3d(x=[start[0]], y=[start[1]], z=[paths[0].loss[0]],
                                   mode="markers", name="start",
                                   marker=dict(size=6, color="white", line=dict(width=2,
                                                                                color=CURRENT))))
        fig.update_layout(scene=dict(
            xaxis=dict(title="w", range=w_range), yaxis=dict(title="b", range=b_range),
            zaxis=dict(title="E"), camera=dict(eye=dict(x=-1.3, y=-1.45, z=0.85)),
            aspectmode="manual", aspectratio=dict(x=1, y=1, z=0.6)),
            margin=dict(l=0, r=0, t=80, b=0))
        return fig
    log_heatmap(fig, surface.w, surface.b, surface.E, "E (log scale)", "w", "b")
    for P in paths:
        color, name = METHOD_STYLE[P.method]
        fig.add_trace(go.Scatter(
            x=compact(P.path[:, 0]), y=compact(P.path[:, 1]), mode="lines+markers", name=name,
            line=dict(color=color, width=2), marker=dict(size=4, color=color),
            hovertemplate="step %{pointNumber}: w = %{x:.4f}, b = %{y:.4f}"
                          f"<extra>{name}</extra>"))
    fig.add_trace(go.Scatter(
        x=[start[0]], y=[start[1]], mode="markers", name="start",
        marker=dict(symbol="star", size=15, color="white", line=dict(width=1.5, color=CURRENT)),
        hovertemplate="start w = %{x:.4f}, b = %{y:.4f}<extra></extra>"))
    fig.update_xaxes(range=w_range, showgrid=False)
    fig.update_yaxes(range=b_range, showgrid=False)
    return fig


def step_norms(paths: tuple[DescentPath, ...], lr: float, threshold: float) -> go.Figure:
    """‖θ_{k+1} − θ_k‖ per iteration: plain GD's step flies off at the wall, clipped ones stay
    at most lr·threshold."""
    fig = base_figure("Step length ‖θ<sub>k+1</sub> − θ<sub>k</sub>‖ per iteration", "iteration k",
                      "‖θ<sub>k+1</sub> − θ<sub>k</sub>‖")
    for P in paths:
        color, name = METHOD_STYLE[P.method]
        fig.add_trace(go.Scatter(
            x=np.arange(P.step_norm.size), y=compact(finite_abs(P.step_norm)),
            mode="lines+markers",
            name=name, line=dict(color=color, width=2), marker=dict(size=4, color=color),
            hovertemplate="k = %{x}: step %{y:.3g}" f"<extra>{name}</extra>"))
    cap = lr * threshold
    fig.update_layout(  # (one layout update: fig.add_hline costs ~5 ms)
        shapes=[dict(type="line", xref="paper", x0=0, x1=1, y0=cap, y1=cap,
                     line=dict(color="#777", dash="dash", width=1))],
        annotations=[dict(xref="paper", x=1, y=np.log10(cap), yanchor="top", xanchor="right",
                          text=f"norm clipping caps at lr·threshold = {cap:.3g}", showarrow=False,
                          font=dict(size=11, color="#555"))])
    set_log_range(fig, cap, *[P.step_norm for P in paths])
    return fig


def loss_curves(paths: tuple[DescentPath, ...]) -> go.Figure:
    fig = base_figure("Loss E per iteration", "iteration k", "E(θ<sub>k</sub>)")
    for P in paths:
        color, name = METHOD_STYLE[P.method]
        fig.add_trace(go.Scatter(x=np.arange(P.loss.size), y=compact(finite_abs(P.loss)),
                                 mode="lines", name=name, line=dict(color=color, width=2),
                                 hovertemplate="k = %{x}: E = %{y:.4g}" f"<extra>{name}</extra>"))
    set_log_range(fig, *[P.loss for P in paths])
    return fig


def clip_arrows(cmp: ClipComparison) -> go.Figure:
    """The raw gradient and its two clipped versions as arrows from the origin, with the
    norm ball (circle) and the value box (square) they are clipped onto."""
    thr = cmp.threshold
    fig = base_figure("∇E at the start, clipped two ways", "∂E/∂w", "∂E/∂b", log_y=False)
    angle = np.linspace(0, 2 * np.pi, 121)
    fig.add_trace(go.Scatter(x=thr * np.cos(angle), y=thr * np.sin(angle), mode="lines",
                             name="‖g‖ = threshold", line=dict(color="#999", dash="dot"),
                             hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Scatter(x=[-thr, thr, thr, -thr, -thr], y=[-thr, -thr, thr, thr, -thr],
                             mode="lines", name="|gᵢ| ≤ threshold", hoverinfo="skip",
                             showlegend=False,
                             line=dict(color="#bbb", dash="dash")))
    arrows = (("raw", cmp.raw, cmp.norm_raw, CURRENT, None),
              ("by norm", cmp.by_norm, cmp.norm_by_norm, CLOSED_FORM, cmp.angle_by_norm),
              ("by value", cmp.by_value, cmp.norm_by_value, "#2e7d32", cmp.angle_by_value))
    for label, g, norm, color, ang in arrows:
        name = f"{label}: ‖g‖ = {norm:.3g}" + ("" if ang is None else f", {ang:.1f}° from raw")
        fig.add_trace(go.Scatter(
            x=[0.0, float(g[0])], y=[0.0, float(g[1])], mode="lines+markers", name=name,
            line=dict(color=color, width=3 if label == "raw" else 2.5),
            marker=dict(symbol="arrow", angleref="previous", size=[0, 16], color=color),
            hovertemplate=f"{label}: (%{{x:.4g}}, %{{y:.4g}})<extra></extra>"))
    shown = [n for n in (cmp.norm_by_norm, cmp.norm_by_value) if np.isfinite(n)]
    if np.isfinite(cmp.norm_raw) and cmp.norm_raw <= 3 * thr:
        shown.append(cmp.norm_raw)
    reach = max(shown, default=0.0)
    if 0 < reach < thr / 2:  # a small gradient: frame it, the threshold lies outside
        extent = 1.3 * reach
        note = f"‖g‖ = {cmp.norm_raw:.3g} is below the threshold {thr:.3g}: neither clipping acts"
    else:
        extent = 1.25 * max(reach, thr)
        note = None
        if np.isfinite(cmp.norm_raw) and cmp.norm_raw > extent:
            note = (f"raw ‖g‖ = {cmp.norm_raw:.3g}: {cmp.norm_raw / thr:.3g}× the threshold, "
                    "its arrow runs off the panel")
    if note:
        fig.add_annotation(x=0.99, y=0.01, xref="paper", yref="paper", xanchor="right",
                           yanchor="bottom", showarrow=False, font=dict(size=11, color=CURRENT),
                           bgcolor="rgba(255,255,255,0.85)", text=note)
    fig.update_layout(margin=dict(t=110))
    fig.update_xaxes(range=[-extent, extent], zeroline=True)
    fig.update_yaxes(range=[-extent, extent], zeroline=True, scaleanchor="x", scaleratio=1)
    return fig
