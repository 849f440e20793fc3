"""components.plot builds plotly JSON by hand: it must be exactly what plotly's graph objects
would have made of the same calls, and plotly must accept it."""
import numpy as np
import plotly.graph_objects as go
import pytest
from _plotly_utils.utils import to_typed_array_spec
from plotly.subplots import make_subplots

from components import plot
from tests.app.golden import STATES, _plain
from tests.dash_client import decode


@pytest.mark.parametrize("array", [
    np.arange(5), np.arange(5) * 1000, np.arange(5) * 100_000, np.array([2 ** 40, -1]),
    np.linspace(0, 1, 7), np.linspace(0, 1, 7).astype(np.float32), np.arange(12.0).reshape(3, 4),
    np.array([np.nan, np.inf, -np.inf, 0.0]), np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    np.arange(4, dtype=np.int32), np.arange(4, dtype=np.uint8)])
def test_typed_arrays_are_plotlys_own(array):
    want = to_typed_array_spec(array)
    got = plot.typed_array(array)
    assert got == (want.tolist() if isinstance(want, np.ndarray) else want)


def _same(built: plot.Figure, reference: go.Figure):
    a, b = _plain(built.to_plotly_json()), _plain(reference.to_plotly_json())
    a["layout"].pop("template", None), b["layout"].pop("template", None)
    assert a == b


def test_calls_give_what_graph_objects_give():
    x = np.arange(4)
    built = plot.Figure(layout=dict(xaxis_title="x", title=dict(text="t", x=0.01),
                                    yaxis2=dict(overlaying="y", range=[0, 1])))
    ref = go.Figure(layout=dict(xaxis_title="x", title=dict(text="t", x=0.01),
                                yaxis2=dict(overlaying="y", range=[0, 1])))
    for fig, lib in ((built, plot), (ref, go)):
        fig.add_trace(lib.Scatter(x=x, y=x * 0.5, mode="lines", line_width=2, name="a",
                                  marker=dict(symbol=["circle"] * 4, line_color="red"),
                                  customdata=None, text=np.array(["p", "q", "r", "s"])))
        fig.add_trace(lib.Heatmap(z=np.eye(3, dtype=np.float32), colorscale="Viridis",
                                  colorbar=dict(title=dict(text="c", side="right"))))
        fig.update_layout(yaxis_range=[-1, 2], legend=dict(x=1), shapes=[], annotations=[])
        fig.update_xaxes(range=[0, 3], zeroline=True)
        fig.update_yaxes(range=[5, 6], title_text="q")  # every y axis, the overlay too
        fig.add_vrect(x0=1, x1=2, fillcolor="#c62828", opacity=0.08, line_width=0,
                      annotation_text="band", annotation_position="top left",
                      annotation_font_color="#c62828")
        fig.add_annotation(x=0.9, y=0.1, xref="paper", yref="paper", text="n", showarrow=False,
                           font=dict(size=11))
    _same(built, ref)


def test_subplots_give_what_make_subplots_gives():
    options = dict(shared_yaxes=True, horizontal_spacing=0.04, subplot_titles=("a", "b"))
    built, ref = plot.subplots(rows=1, cols=2, **options), make_subplots(rows=1, cols=2, **options)
    for fig, lib in ((built, plot), (ref, go)):
        fig.add_trace(lib.Scatter(x=[1, 2], y=[3, 4]), row=1, col=2)
        fig.update_xaxes(title_text="left", row=1, col=1)
        fig.update_yaxes(title_text="right", row=1, col=2)
    _same(built, ref)


@pytest.mark.parametrize("path,query", STATES, ids=[f"{p}?{q}" for p, q in STATES])
def test_every_page_figure_is_in_plotlys_normal_form(path, query):
    """Each figure a page draws loads as a go.Figure (plotly validates every property) and comes
    back from it unchanged: the hand-built JSON is what the graph objects would send."""
    import importlib
    from urllib.parse import parse_qsl

    import app  # noqa: F401: registers the pages
    page = importlib.import_module("app.pages" + path.replace("/", "."))
    values, _ = page.PAGE.params.parse(dict(parse_qsl(query, keep_blank_values=True)))
    figures = page.view.__wrapped__(**values).figures
    assert figures
    for name, figure in figures.items():
        sent = decode(figure if isinstance(figure, dict) else figure.to_plotly_json())
        again = go.Figure(sent).to_plotly_json()
        assert _plain(again) == _plain(sent), name
