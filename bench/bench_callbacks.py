"""Time every page's callbacks through the real Dash endpoint (Flask test client).

    python -m bench.bench_callbacks [--repeat 30]

Cases live in bench/cases_<page>.py, each a list CASES of (label, first_input_id, inputs).
Prints median and p95 server time in ms and the response size per case.
"""
import argparse
import importlib
import pkgutil
import time

from app import server  # first: it pins BLAS/torch to one thread before numpy loads

import numpy as np  # noqa: E402

import bench  # noqa: E402
from tests.dash_client import callback_spec, payload, post  # noqa: E402


def load_cases():
    for module in sorted(m.name for m in pkgutil.iter_modules(bench.__path__)
                         if m.name.startswith("cases_")):
        yield from importlib.import_module(f"bench.{module}").CASES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    client = server.test_client()
    client.get("/")  # sets up the page router
    print(f"{'case':44s} {'median ms':>10s} {'p95 ms':>8s} {'bytes':>9s}")
    for label, first_input, inputs in load_cases():
        body = payload(callback_spec(client, first_input), inputs)
        status, _, size = post(client, body)  # warm-up, and check it works
        assert status == 200, (label, status)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            post(client, body)
            times.append((time.perf_counter() - start) * 1e3)
        print(f"{label:44s} {np.median(times):10.1f} {np.percentile(times, 95):8.1f} {size:9d}")


if __name__ == "__main__":
    main()
