"""Figures for /cliff (Pascanu, Mikolov & Bengio 2013, §3): the loss surface with the descent
paths on it, their step lengths and losses, and one gradient clipped two ways; pure functions of
engine results (engine.cliff).

Payload: linear-axis data go out as float32 where every value fits (`compact`), which halves
the bytes; data on log axes stay float64 (float32 would flush tiny values to 0).
"""
from __future__ import annotations

import numpy as np

from components import plot
from components.plot import Figure
from components.figures import base_figure, compact, finite_abs, log_heatmap, set_log_range
from components.theme import CLOSED_FORM, CURRENT, GUIDE, OKABE_ITO, OVERFLOW
from engine.cliff import ClipComparison, DescentPath, Surface

SURFACE_SCALE = "Viridis"
# method → (colour, legend name, dash, marker): plain descent solid with circles, the clipped
# ones dashed with squares and dotted with diamonds, so the three differ in grey scale too
# (dash and symbol names that scatter3d also knows)
BY_VALUE = OKABE_ITO["bluish green"]
METHOD_STYLE = {
    "plain": (OVERFLOW, "plain GD", "solid", "circle"),
    "norm": (CLOSED_FORM, "norm-clipped", "dash", "square"),
    "value": (BY_VALUE, "value-clipped", "dot", "diamond"),
}
# a label's box: translucent grey, so it reads on either look's paper with the template's ink
LABEL_BOX = "rgba(128,128,128,0.18)"


def map_ranges(surface: Surface) -> tuple[list[float], list[float]]:
    """The w and b ranges the map shows: the grid and 2% of each span around it (a start on
    the edge shows)."""
    pad_w, pad_b = 0.02 * np.ptp(surface.w), 0.02 * np.ptp(surface.b)
    return ([float(surface.w[0] - pad_w), float(surface.w[-1] + pad_w)],
            [float(surface.b[0] - pad_b), float(surface.b[-1] + pad_b)])


def loss_surface(surface: Surface, paths: tuple[DescentPath, ...], view: str = "2d") -> Figure:
    """E(w, b) — 2-D: log10 E as a heatmap (figures.log_heatmap: colour bar in powers of
    ten); 3-D: E as a surface, the cliff as a wall — with the descent paths drawn on it."""
    start = paths[0].path[0]
    w_range, b_range = map_ranges(surface)
    title = "Loss E(w, b): click to move the start"
    fig = base_figure(title, "w", "b", log_y=False)
    if view == "3d":
        fig.add_trace(plot.Surface(
            x=surface.w, y=surface.b, z=compact(surface.E), colorscale=SURFACE_SCALE,
            name="E(w, b)", colorbar=dict(title=dict(text="E"), thickness=12),
            hovertemplate="w = %{x:.3f}<br>b = %{y:.3f}<br>E = %{z:.3g}<extra></extra>"))
        for P in paths:
            color, name, dash, symbol = METHOD_STYLE[P.method]
            fig.add_trace(plot.Scatter3d(
                x=compact(P.path[:, 0]), y=compact(P.path[:, 1]), z=compact(P.loss),
                mode="lines+markers", name=name,
                line=dict(color=color, width=5, dash=dash),
                marker=dict(size=2.5, color=color, symbol=symbol)))
        fig.add_trace(plot.Scatter3d(x=[start[0]], y=[start[1]], z=[paths[0].loss[0]],
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
        color, name, dash, symbol = METHOD_STYLE[P.method]
        fig.add_trace(plot.Scatter(
            x=compact(P.path[:, 0]), y=compact(P.path[:, 1]), mode="lines+markers", name=name,
            line=dict(color=color, width=2, dash=dash),
            marker=dict(size=4, color=color, symbol=symbol),
            hovertemplate="step %{pointNumber}: w = %{x:.4f}, b = %{y:.4f}"
                          f"<extra>{name}</extra>"))
    fig.add_trace(plot.Scatter(
        x=[start[0]], y=[start[1]], mode="markers", name="start",
        marker=dict(symbol="star", size=15, color="white", line=dict(width=1.5, color=CURRENT)),
        hovertemplate="start w = %{x:.4f}, b = %{y:.4f}<extra></extra>"))
    fig.update_xaxes(range=w_range, showgrid=False)
    fig.update_yaxes(range=b_range, showgrid=False)
    return fig


def step_norms(paths: tuple[DescentPath, ...], lr: float, threshold: float) -> Figure:
    """‖θ_{k+1} − θ_k‖ per iteration: plain GD's step flies off at the wall, clipped ones stay
    at most lr·threshold."""
    fig = base_figure("Step length ‖θ<sub>k+1</sub> − θ<sub>k</sub>‖ per iteration", "iteration k",
                      "‖θ<sub>k+1</sub> − θ<sub>k</sub>‖")
    for P in paths:
        color, name, dash, symbol = METHOD_STYLE[P.method]
        fig.add_trace(plot.Scatter(
            x=np.arange(P.step_norm.size), y=compact(finite_abs(P.step_norm)),
            mode="lines+markers", name=name, line=dict(color=color, width=2, dash=dash),
            marker=dict(size=4, color=color, symbol=symbol),
            hovertemplate="k = %{x}: step %{y:.3g}" f"<extra>{name}</extra>"))
    cap = lr * threshold
    fig.update_layout(  # (one layout update: fig.add_hline costs ~5 ms)
        shapes=[dict(type="line", xref="paper", x0=0, x1=1, y0=cap, y1=cap,
                     line=dict(color=GUIDE, dash="longdash", width=1))],  # norm-clipped: "dash"
        annotations=[dict(xref="paper", x=1, y=np.log10(cap), yanchor="top", xanchor="right",
                          text=f"norm clipping caps at lr·threshold = {cap:.3g}", showarrow=False,
                          font=dict(size=11),  # the template's ink: #555 was 2.4:1 on dark
                          bgcolor=LABEL_BOX)])  # over the clipped paths' lines
    set_log_range(fig, cap, *[P.step_norm for P in paths])
    return fig


def loss_curves(paths: tuple[DescentPath, ...]) -> Figure:
    fig = base_figure("Loss E per iteration", "iteration k", "E(θ<sub>k</sub>)")
    for P in paths:
        color, name, dash, _ = METHOD_STYLE[P.method]
        fig.add_trace(plot.Scatter(x=np.arange(P.loss.size), y=compact(finite_abs(P.loss)),
                                 mode="lines", name=name,
                                 line=dict(color=color, width=2, dash=dash),
                                 hovertemplate="k = %{x}: E = %{y:.4g}" f"<extra>{name}</extra>"))
    set_log_range(fig, *[P.loss for P in paths])
    return fig


def clip_arrows(cmp: ClipComparison) -> Figure:
    """The raw gradient and its two clipped versions as arrows from the origin, with the
    norm ball (circle) and the value box (square) they are clipped onto."""
    thr = cmp.threshold
    fig = base_figure("∇E at the start, clipped two ways", "∂E/∂w", "∂E/∂b", log_y=False)
    angle = np.linspace(0, 2 * np.pi, 121)
    fig.add_trace(plot.Scatter(x=thr * np.cos(angle), y=thr * np.sin(angle), mode="lines",
                             name="‖g‖ = threshold", line=dict(color=GUIDE, dash="dot"),
                             hoverinfo="skip", showlegend=False))
    fig.add_trace(plot.Scatter(x=[-thr, thr, thr, -thr, -thr], y=[-thr, -thr, thr, thr, -thr],
                             mode="lines", name="|gᵢ| ≤ threshold", hoverinfo="skip",
                             showlegend=False,
                             line=dict(color=GUIDE, dash="longdash")))  # #999, #bbb: < 3:1 on white
    # the clipped arrows in their methods' colours and dashes (raw: solid)
    arrows = (("raw", cmp.raw, cmp.norm_raw, CURRENT, None, "solid"),
              ("by norm", cmp.by_norm, cmp.norm_by_norm, CLOSED_FORM, cmp.angle_by_norm, "dash"),
              ("by value", cmp.by_value, cmp.norm_by_value, BY_VALUE, cmp.angle_by_value, "dot"))
    for label, g, norm, color, ang, dash in arrows:
        name = f"{label}: ‖g‖ = {norm:.3g}" + ("" if ang is None else f", {ang:.1f}° from raw")
        fig.add_trace(plot.Scatter(
            x=[0.0, float(g[0])], y=[0.0, float(g[1])], mode="lines+markers", name=name,
            line=dict(color=color, width=3 if label == "raw" else 2.5, dash=dash),
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
                           yanchor="bottom", showarrow=False, font=dict(size=11),
                           bgcolor=LABEL_BOX, text=note)  # a white box hid the ink on dark
    fig.update_layout(margin=dict(t=110))
    zero = dict(zeroline=True, zerolinecolor=GUIDE)  # plotly's #444 is 2:1 on dark
    fig.update_xaxes(range=[-extent, extent], **zero)
    fig.update_yaxes(range=[-extent, extent], **zero, scaleanchor="x", scaleratio=1)
    return fig
