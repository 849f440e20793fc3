"""Time every page's callbacks through the real Dash endpoint (Flask test client).

    python -m bench.bench_callbacks [--repeat 30]

Cases live in bench/cases_<page>.py, each a list CASES of (label, first_input_id, inputs).
Prints median and p95 server time in ms, the response size, and the ratio of the median to a
trivial Dash callback that returns a figure of the same size, measured in the same run: the
ratio is the figure that holds across machines.
"""
import argparse
import importlib
import pkgutil
import time

from app import server  # first: it pins BLAS/torch to one thread before numpy loads

import numpy as np  # noqa: E402

import bench  # noqa: E402
import plotly.graph_objects as go  # noqa: E402
from dash import Dash, Input, Output, dcc, html  # noqa: E402

from tests.dash_client import callback_spec, payload, post  # noqa: E402


def load_cases():
    for module in sorted(m.name for m in pkgutil.iter_modules(bench.__path__)
                         if m.name.startswith("cases_")):
        yield from importlib.import_module(f"bench.{module}").CASES


def timed(client, body, repeat: int) -> tuple[float, float, int]:
    """(median ms, p95 ms, response bytes) of one callback request."""
    status, _, size = post(client, body)  # warm-up, and check it works
    assert status == 200, status
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        post(client, body)
        times.append((time.perf_counter() - start) * 1e3)
    return float(np.median(times)), float(np.percentile(times, 95)), size


def trivial_client():
    """A separate Dash app whose only callback returns a figure of n random points: the cost
    of the Dash round trip and of serialising that many bytes, with no engine work."""
    trivial = Dash(__name__ + ".trivial")
    trivial.layout = html.Div([dcc.Input(id="points", type="number"), dcc.Graph(id="figure")])

    @trivial.callback(Output("figure", "figure"), Input("points", "value"))
    def random_figure(points):
        return go.Figure(go.Scatter(y=np.random.default_rng(0).standard_normal(int(points))))

    client = trivial.server.test_client()
    client.get("/")
    spec = callback_spec(client, "points")
    return lambda points: (client, payload(spec, {"points": points}))


def baseline(make_request, size: int, repeat: int) -> float:
    """Median ms of the trivial callback sized (within a few %) like a `size`-byte response."""
    points = max(1, size * 3 // 32)  # base64 float64: 32/3 bytes a point
    for _ in range(3):
        measured = post(*make_request(points))[2]
        points = max(1, int(points * size / measured))
    return timed(*make_request(points), repeat)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    client = server.test_client()
    client.get("/")  # sets up the page router
    make_trivial = trivial_client()
    print(f"{'case':46s} {'median ms':>10s} {'p95 ms':>8s} {'bytes':>9s} {'trivial ms':>11s} "
          f"{'ratio':>6s}")
    for label, first_input, inputs in load_cases():
        body = payload(callback_spec(client, first_input), inputs)
        median, p95, size = timed(client, body, args.repeat)
        base = baseline(make_trivial, size, args.repeat)
        print(f"{label:46s} {median:10.1f} {p95:8.1f} {size:9d} {base:11.1f} {median / base:6.1f}")


if __name__ == "__main__":
    main()
