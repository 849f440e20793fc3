"""Shared pieces of the figure builders: log axes that stay honest about 0, inf and NaN.

A log axis cannot draw 0, ±inf or NaN, and plotly silently drops such points. Here they
are drawn on an invisible overlay axis instead: zeros along the bottom edge, non-finite
values along the top edge, so nothing disappears without a mark.
"""
import numpy as np

from components import plot
from components.plot import Figure
from components.theme import (AUTOGRAD, BAD_SYMBOLS, CLOSED_FORM, GUIDE, OVERFLOW, ZERO_SYMBOLS,
                              template_name)

SIGN_SYMBOLS = np.array(["triangle-down", "triangle-up"])  # index by value > 0


def base_figure(title: str, xtitle: str, ytitle: str, log_y: bool = True) -> Figure:
    """A themed, empty figure: log y axis by default, plus the invisible overlay axis y2
    that `add_unplottable` draws on, in the default look (the app gives it the reader's look
    last: components.theme.with_look)."""
    return Figure(layout=dict(
        template=template_name(), title=dict(text=title, x=0.01, xanchor="left", y=0.98,
                                             yanchor="top"),
        xaxis_title=xtitle, yaxis_title=ytitle, uirevision="keep",
        yaxis2=dict(overlaying="y", range=[0, 1], visible=False, fixedrange=True),
        **({"yaxis": dict(title=ytitle, type="log", exponentformat="power")} if log_y else {}),
    ))


def figure(title: str, xtitle: str, ytitle: str, T: int, notes=(), log_y: bool = True,
           legend_right: bool = False) -> Figure:
    """base_figure with the page's notes (what was thinned) as a subtitle, y tick labels
    like 10⁻²⁴ given the room they need, whole-step ticks on a short x axis (0..T), and
    optionally the legend in a column on the right (a long legend above the plot would
    wrap into the title)."""
    fig = base_figure(title, xtitle, ytitle, log_y=log_y)
    layout = {}
    if T <= 5:  # plotly would tick steps 0, 0.2, 0.4, …
        layout["xaxis_dtick"] = 1
    if legend_right:
        layout["legend"] = dict(orientation="v", x=1.02, xanchor="left", y=1, yanchor="top")
    notes = [n for n in notes if n]
    if notes:  # the subtitle takes the legend's row: move the plot (and legend) down
        layout.update(title_subtitle_text="; ".join(notes), margin_t=100)
    fig.update_layout(**layout)
    return fig


def portable(value):
    """Figures as plotly JSON (numpy arrays as base64 typed arrays), in tuples, dicts and a
    PageView's figures too: cheap to pickle for Redis, to store and to serialise on every hit."""
    import dataclasses
    if isinstance(value, Figure):
        return value.to_plotly_json()
    if isinstance(value, tuple):
        return tuple(portable(v) for v in value)
    if isinstance(value, dict):
        return {k: portable(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and hasattr(value, "figures"):
        return dataclasses.replace(value, figures=portable(value.figures))
    return value


def figures_json(figures) -> str:
    """Figures as strict JSON text (plotly's encoder: NaN and ±inf outside typed arrays become
    null), to be stored and served as it is."""
    import json

    from plotly.utils import PlotlyJSONEncoder
    return json.dumps([portable(f) for f in figures], cls=PlotlyJSONEncoder,
                      separators=(",", ":"))


def add_note(fig: Figure, text: str) -> Figure:
    """Say in the plot why it holds no data, instead of showing an empty frame. In the
    template's ink: a colour set here is drawn on every look's paper (#5b6472 was 3:1 on dark)."""
    fig.update_layout(
        xaxis_visible=False, yaxis_visible=False,
        annotations=[dict(text=text, xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False,
                          font=dict(size=14), align="center")])
    return fig


def set_log_range(fig: Figure, *arrays) -> None:
    """Fix the log axis to the data's decades, at least two wide: plotly's autorange
    on near-constant data zooms into rounding noise."""
    values = np.abs(np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in arrays]))
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        return
    lo, hi = np.log10(values.min()), np.log10(values.max())
    pad = max(0.1 * (hi - lo), 1.1 - (hi - lo) / 2)
    # never below 10⁻³²³: plotly.js labels smaller powers of ten "0" (they underflow a double)
    fig.update_layout(yaxis_range=[max(lo - pad, -323.0), hi + pad])  # not the overlay axis


def finite_abs(values: np.ndarray) -> np.ndarray:
    """|v| where a log axis can draw it, NaN (a gap) where it cannot."""
    with np.errstate(invalid="ignore"):
        out = np.abs(values)
    out[~np.isfinite(values) | (values == 0)] = np.nan
    return out


def add_unplottable(fig: Figure, x, values, label: str, xname: str = "layer", series: int = 0,
                    color: str = GUIDE) -> None:
    """Mark zeros (bottom edge) and inf/NaN (top edge) that the log axis cannot show; the
    marks of series n (a figure of several) have shapes of their own, so two series' marks in
    one legend differ in more than colour (`color`: the zeros', e.g. the series' own)."""
    x, values = np.asarray(x), np.asarray(values)
    zero = values == 0
    bad = ~np.isfinite(values)
    if zero.any():
        fig.add_trace(plot.Scatter(
            x=x[zero], y=np.full(zero.sum(), 0.03), yaxis="y2", mode="markers",
            name=f"{label} = 0 exactly",
            marker=dict(symbol=ZERO_SYMBOLS[series % len(ZERO_SYMBOLS)], size=7, color=color,
                        line=dict(width=1.5)),
            hovertemplate=f"{xname} %{{x}}: exactly 0<extra></extra>"))
    if bad.any():
        text = np.where(np.isnan(values[bad]), "NaN", np.where(values[bad] > 0, "+inf", "−inf"))
        fig.add_trace(plot.Scatter(
            x=x[bad], y=np.full(bad.sum(), 0.97), yaxis="y2", mode="markers",
            name=f"{label} overflowed",
            marker=dict(symbol=BAD_SYMBOLS[series % len(BAD_SYMBOLS)], size=8, color=OVERFLOW),
            customdata=text, hovertemplate=f"{xname} %{{x}}: %{{customdata}}<extra></extra>"))


def signed_log_pair(fig: Figure, x, closed, measured, label: str,
                    closed_name: str = "closed form", measured_name: str = "autograd") -> None:
    """|value| of a closed form (line) and its autograd twin (markers, ▲ > 0, ▼ < 0)."""
    closed, measured = np.asarray(closed, float), np.asarray(measured, float)
    size = 8 if len(measured) <= 60 else 5  # dense markers would hide the line
    fig.add_trace(plot.Scatter(
        x=x, y=finite_abs(measured), mode="markers", name=f"{measured_name} (▲ +, ▼ −)",
        marker=dict(symbol=SIGN_SYMBOLS[(measured > 0).astype(int)].tolist(), size=size,
                    color=AUTOGRAD),
        customdata=measured,
        hovertemplate=f"layer %{{x}}<br>{label} = %{{customdata:.6g}}<extra>{measured_name}</extra>"))
    fig.add_trace(plot.Scatter(
        x=x, y=finite_abs(closed), mode="lines", name=f"{closed_name}",
        line=dict(width=2, color=CLOSED_FORM), customdata=closed,
        hovertemplate=f"layer %{{x}}<br>{label} = %{{customdata:.6g}}<extra>{closed_name}</extra>"))
    add_unplottable(fig, x, closed, label)
    set_log_range(fig, closed, measured)


def compact(values) -> np.ndarray:
    """float32 when every finite value survives the cast (|v| in [1e-37, 1e38] or 0),
    else float64: plotly sends numpy arrays as typed arrays, so this halves the bytes."""
    a = np.asarray(values, dtype=np.float64)
    finite = np.abs(a[np.isfinite(a) & (a != 0)])
    if finite.size and (finite.max() >= 1e38 or finite.min() < 1e-37):
        return a
    return a.astype(np.float32)


def mark_overflow(fig: Figure, start, end, text: str) -> None:
    """Shade the layers from `start` on, where values are no longer finite. The label is in
    the template's ink: vermillion text is 3.9:1 on white, below the 4.5:1 text needs."""
    if start is None:
        return
    fig.add_vrect(x0=start - 0.5, x1=end + 0.5, fillcolor=OVERFLOW, opacity=0.08, line_width=0,
                  annotation_text=text, annotation_position="top left")


def decade_ticks(lo: float, hi: float, max_ticks: int = 8) -> tuple[list[int], list[str]]:
    """Ticks at powers of ten for a log10 scale from lo to hi: every 1, 2, 5, 10, 20, 50, …
    decades, as many as fit in max_ticks."""
    span = max(hi - lo, 1.0)
    step = next(s * 10 ** e for e in range(4) for s in (1, 2, 5)
                if span / (s * 10 ** e) < max_ticks)
    eps = 1e-6  # 10⁰ stays on a scale that ends at log10(0.9999999)
    ticks = list(range(int(np.ceil(lo / step - eps)) * step, int(np.floor(hi + eps)) + 1, step))
    return ticks, [f"10<sup>{t}</sup>" for t in ticks]


def log_heatmap(fig: Figure, x, y, values, label: str, xname: str, yname: str) -> None:
    """values[i, j] at (x[j], y[i]) on a log colour scale. Plotted is log10|v| as float32
    (half the bytes of float64; it still resolves 10⁻⁷ of a decade and, unlike float32
    values themselves, the whole float64 range); the colour bar is labelled in powers of
    ten. Cells holding 0, inf or NaN are left blank."""
    values = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.log10(np.abs(values))
    z[~np.isfinite(z)] = np.nan
    z = z.astype(np.float32)
    finite = z[np.isfinite(z)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
    if hi - lo < 1:  # near-constant: a decade around it, so the colour bar stays readable
        lo, hi = (lo + hi) / 2 - 0.5, (lo + hi) / 2 + 0.5
    ticks, text = decade_ticks(lo, hi)
    fig.add_trace(plot.Heatmap(
        x=np.asarray(x), y=np.asarray(y), z=z, zmin=lo, zmax=hi, colorscale="Viridis",
        colorbar=dict(title=dict(text=label, side="right"), tickvals=ticks, ticktext=text,
                      thickness=14),
        hovertemplate=f"{yname} = %{{y}}, {xname} = %{{x}}<br>{label} ≈ 10<sup>%{{z:.2f}}</sup>"
                      "<extra></extra>"))
