"""Shared pieces of the figure builders: log axes that stay honest about 0, inf and NaN.

A log axis cannot draw 0, ±inf or NaN, and plotly silently drops such points. Here they
are drawn on an invisible overlay axis instead: zeros along the bottom edge, non-finite
values along the top edge, so nothing disappears without a mark.
"""
import numpy as np
import plotly.graph_objects as go

from components.theme import AUTOGRAD, CLOSED_FORM, OVERFLOW, TEMPLATE

SIGN_SYMBOLS = np.array(["triangle-down", "triangle-up"])  # index by value > 0


def base_figure(title: str, xtitle: str, ytitle: str, log_y: bool = True) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        template=TEMPLATE, title=dict(text=title, x=0.01, xanchor="left", y=0.98, yanchor="top"),
        xaxis_title=xtitle, yaxis_title=ytitle, uirevision="keep",
        yaxis2=dict(overlaying="y", range=[0, 1], visible=False, fixedrange=True),
    )
    if log_y:
        fig.update_yaxes(type="log", exponentformat="power")
    return fig


def set_log_range(fig: go.Figure, *arrays) -> None:
    """Fix the log axis to the data's decades, at least two wide: plotly's autorange
    on near-constant data zooms into rounding noise."""
    values = np.abs(np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in arrays]))
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        return
    lo, hi = np.log10(values.min()), np.log10(values.max())
    pad = max(0.1 * (hi - lo), 1.1 - (hi - lo) / 2)
    fig.update_yaxes(range=[lo - pad, hi + pad])


def _finite_abs(values: np.ndarray) -> np.ndarray:
    """|v| where a log axis can draw it, NaN (a gap) where it cannot."""
    with np.errstate(invalid="ignore"):
        out = np.abs(values)
    out[~np.isfinite(values) | (values == 0)] = np.nan
    return out


def add_unplottable(fig: go.Figure, x, values, label: str) -> None:
    """Mark zeros (bottom edge) and inf/NaN (top edge) that the log axis cannot show."""
    x, values = np.asarray(x), np.asarray(values)
    zero = values == 0
    bad = ~np.isfinite(values)
    if zero.any():
        fig.add_trace(go.Scatter(
            x=x[zero], y=np.full(zero.sum(), 0.02), yaxis="y2", mode="markers",
            name=f"{label} = 0 exactly", marker=dict(symbol="line-ew-open", size=12, color="#555"),
            hovertemplate="layer %{x}: exactly 0<extra></extra>"))
    if bad.any():
        text = np.where(np.isnan(values[bad]), "NaN", np.where(values[bad] > 0, "+inf", "−inf"))
        fig.add_trace(go.Scatter(
            x=x[bad], y=np.full(bad.sum(), 0.97), yaxis="y2", mode="markers",
            name=f"{label} overflowed", marker=dict(symbol="x", size=8, color=OVERFLOW),
            customdata=text, hovertemplate="layer %{x}: %{customdata}<extra></extra>"))


def signed_log_pair(fig: go.Figure, x, closed, measured, label: str,
                    closed_name: str = "closed form", measured_name: str = "autograd") -> None:
    """|value| of a closed form (line) and its autograd twin (markers, ▲ > 0, ▼ < 0)."""
    closed, measured = np.asarray(closed, float), np.asarray(measured, float)
    size = 8 if len(measured) <= 60 else 5  # dense markers would hide the line
    fig.add_trace(go.Scatter(
        x=x, y=_finite_abs(measured), mode="markers", name=f"{measured_name} (▲ +, ▼ −)",
        marker=dict(symbol=SIGN_SYMBOLS[(measured > 0).astype(int)].tolist(), size=size,
                    color=AUTOGRAD),
        customdata=measured,
        hovertemplate=f"layer %{{x}}<br>{label} = %{{customdata:.6g}}<extra>{measured_name}</extra>"))
    fig.add_trace(go.Scatter(
        x=x, y=_finite_abs(closed), mode="lines", name=f"{closed_name}",
        line=dict(width=2, color=CLOSED_FORM), customdata=closed,
        hovertemplate=f"layer %{{x}}<br>{label} = %{{customdata:.6g}}<extra>{closed_name}</extra>"))
    add_unplottable(fig, x, closed, label)
    set_log_range(fig, closed, measured)


def mark_overflow(fig: go.Figure, start, end, text: str) -> None:
    """Shade the layers from `start` on, where values are no longer finite."""
    if start is None:
        return
    fig.add_vrect(x0=start - 0.5, x1=end + 0.5, fillcolor=OVERFLOW, opacity=0.08, line_width=0,
                  annotation_text=text, annotation_position="top left",
                  annotation_font_color=OVERFLOW)
