"""Time every page's callbacks through the real Dash endpoint (Flask test client).

    python -m bench.bench_callbacks [--repeat 30]

Cases live in bench/cases_<page>.py, each a list CASES of (label, path, URL query): the request is
the page's callback with the controls of that state (as the page's layout sets them), sent as a
move of its first control (as a slider drag sends it). A state is a URL, never a copy of control
ids, so the same cases time any version of the app (bench/compare.py). Each case is timed twice:
cold, with the result cache emptied before every request (engine and figures computed), and
warm, answered from the worker's cache (what the rest of a lecture hall gets once one laptop
asked). Prints median and p95 server time in ms, the response size, and the ratio of each
median to a trivial Dash callback that returns a figure of the same size, measured in the same
run: the ratio is the figure that holds across machines.
"""
import argparse
import importlib
import pkgutil
import time

from app import server  # first: it pins BLAS/torch to one thread before numpy loads
from app.cache import RESULTS

import numpy as np  # noqa: E402

import bench  # noqa: E402
import plotly.graph_objects as go  # noqa: E402
from dash import Dash, Input, Output, dcc, html  # noqa: E402

from bench.report import fmt, kb, mark, stats  # noqa: E402
from bench.report import table as report_table  # noqa: E402
from tests.dash_client import callback_for, callback_spec, page_controls, payload, post  # noqa: E402


def load_cases():
    for module in sorted(m.name for m in pkgutil.iter_modules(bench.__path__)
                         if m.name.startswith("cases_")):
        yield from importlib.import_module(f"bench.{module}").CASES


def timed(client, body, repeat: int, cold: bool = False) -> tuple[float, float, int]:
    """(median ms, p95 ms, response bytes) of one callback request; cold empties the result
    cache before each request (outside the timing)."""
    status, _, size = post(client, body)  # warm-up, and check it works
    assert status == 200, status
    times = []
    for _ in range(repeat):
        if cold:
            RESULTS.clear()
        start = time.perf_counter()
        post(client, body)
        times.append((time.perf_counter() - start) * 1e3)
    return (*stats(times), size)


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


def target_ms(label: str) -> float:
    """The issue's server-time targets: cliff ≤ 60 ms, the RNN map ≤ 100 ms, others ≤ 30 ms."""
    return 60.0 if label.startswith("cliff") else 100.0 if label.startswith("rnn") else 30.0


MAX_BYTES = 150_000
RATIO_TARGET = 1.5
LEGEND = ("cold: the result cache emptied before every request (engine and figures computed, "
          "as for a slider value nobody asked yet); warm: answered from the worker's cache. "
          "ratio: median over the median of a trivial Dash callback returning a figure of the "
          "same size, measured in the same run. Targets: p95 ≤ 30 ms (cliff 60, rnn 100), "
          "ratio ≤ 1.5, ≤ 150 kB.")


def run(repeat: int, progress=lambda text: None) -> list[dict]:
    """One row per case: cold/warm median and p95 (ms), bytes, the trivial baseline (ms)."""
    client = server.test_client()
    client.get("/")  # sets up the page router
    make_trivial = trivial_client()
    rows = []
    for label, path, query in load_cases():
        body = payload(callback_for(client, path.strip("/") + "-status"),
                       page_controls(path, **query))
        cold, cold_p95, size = timed(client, body, repeat, cold=True)
        warm, warm_p95, _ = timed(client, body, repeat)
        base = baseline(make_trivial, size, repeat)
        rows.append(dict(case=label, cold=cold, cold_p95=cold_p95, warm=warm, warm_p95=warm_p95,
                         bytes=size, trivial=base, target=target_ms(label)))
        progress(f"  callback {label}: cold {cold:.1f} ms, warm {warm:.1f} ms")
    return rows


def misses(r: dict) -> list[str]:
    """The targets a row misses, in words."""
    out = [f"{kind} p95 {r[kind + '_p95']:.1f} ms > {r['target']:g}" for kind in ("cold", "warm")
           if r[kind + "_p95"] > r["target"]]
    out += [f"{kind} ratio {r[kind] / r['trivial']:.1f}" for kind in ("cold", "warm")
            if r[kind] / r["trivial"] > RATIO_TARGET]
    return out + ([f"{r['bytes'] / 1000:.0f} kB"] if r["bytes"] > MAX_BYTES else [])


def table(rows: list[dict]) -> str:
    """Markdown, times in ms, ✓/✗ against the targets."""
    body = []
    for r in rows:
        cold_ratio, warm_ratio = r["cold"] / r["trivial"], r["warm"] / r["trivial"]
        body.append([r["case"],
                     fmt(r["cold"]), f"{fmt(r['cold_p95'])} {mark(r['cold_p95'] <= r['target'])}",
                     fmt(r["warm"]), f"{fmt(r['warm_p95'])} {mark(r['warm_p95'] <= r['target'])}",
                     f"{kb(r['bytes'])} {mark(r['bytes'] <= MAX_BYTES)}", fmt(r["trivial"]),
                     f"{fmt(cold_ratio)} {mark(cold_ratio <= RATIO_TARGET)}",
                     f"{fmt(warm_ratio)} {mark(warm_ratio <= RATIO_TARGET)}"])
    return report_table(["callback", "cold median", "cold p95", "warm median", "warm p95", "kB",
                         "trivial", "cold ratio", "warm ratio"], body)


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--json", help="also write the rows to this file (bench/compare.py)")
    args = parser.parse_args(argv)
    rows = run(args.repeat)
    print(LEGEND, table(rows), sep="\n\n")
    if args.json:
        import json
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(rows, out)
    return rows


if __name__ == "__main__":
    main()
