"""What the figure tests ask of a built figure.

The builders return plain plotly JSON (components.plot.Figure). Tests read them through
`validated(module)`: every figure a builder returns is loaded into a `go.Figure`, so plotly's
own validation runs on it (a misspelt property or a bad value fails the test) and the tests
read it as plotly objects, arrays decoded.
"""
import numpy as np
import plotly.graph_objects as go

from components.plot import Figure
from tests.dash_client import decode


def as_graph_object(fig):
    """A builder's figure (plain JSON) as a validated go.Figure, typed arrays decoded."""
    return go.Figure(decode(fig.to_plotly_json() if isinstance(fig, Figure) else fig))


class validated:  # noqa: N801: stands in for the module it wraps
    """`module` with every function's Figure results (alone, in a list or tuple, or as a dict's
    values) turned into validated go.Figures."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name):
        value = getattr(self._module, name)
        if not callable(value) or isinstance(value, type):
            return value

        def call(*args, **kwargs):
            return _graph_objects(value(*args, **kwargs))
        return call


def _graph_objects(result):
    if isinstance(result, Figure):
        return as_graph_object(result)
    if isinstance(result, (list, tuple)):
        return type(result)(_graph_objects(r) for r in result)
    return result


def trace(fig, name):
    matches = [t for t in fig.data if t.name == name]
    assert len(matches) == 1, [t.name for t in fig.data]
    return matches[0]


def f32(a):
    return np.asarray(a, dtype=np.float64).astype(np.float32)


def shape_xs(fig):
    return sorted(s.x0 for s in fig.layout.shapes)


def texts(fig):
    return " | ".join(a.text for a in fig.layout.annotations)
