"""Median wall time of engine.dynamics and engine.cliff. Run: python bench/bench_engine_dynamics.py

BLAS and torch run single-threaded (set BENCH_THREADS to change), as in bench_engine_rnn.
"""
import os
import sys
import time
from pathlib import Path

THREADS = os.environ.get("BENCH_THREADS", "1")
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, THREADS)  # must precede the numpy import

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.cliff import DEFAULT_LR, DEFAULT_START, descend_many, surface  # noqa: E402
from engine.dynamics import (bifurcation_diagram, fixed_points, folds_in_b,  # noqa: E402
                             folds_in_w, gradient_sweep, iterate)


def median_ms(f, runs=20):
    f()  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return 1e3 * float(np.median(times))


def main(runs=20):
    b_sweep = np.linspace(-3.5, -1.5, 2000)
    w_sweep = np.linspace(2.0, 12.0, 2000)
    rows = {
        "surface 200x200, T=50, E + grad": lambda: surface(),
        "descent: 3 paths x 100 steps": lambda: descend_many(*DEFAULT_START, DEFAULT_LR, 100),
        "sweep b, 2000 values: bifurcation": lambda: bifurcation_diagram("b", b_sweep, 5.0),
        "sweep w, 2000 values: bifurcation": lambda: bifurcation_diagram("w", w_sweep, -3.0),
        "sweep b, 2000 values: x_T, dx_T/db": lambda: gradient_sweep("b", b_sweep, 5.0),
        "fixed points, 2000 (w, b)": lambda: fixed_points(5.0, b_sweep),
        "iterate 2000 params, T=50, full": lambda: iterate(5.0, b_sweep, 0.5, 50),
        "folds_in_b + folds_in_w": lambda: (folds_in_b(5.0), folds_in_w(-3.0)),
    }
    print(f"median of {runs} runs")
    for name, f in rows.items():
        print(f"  {name:38s} {median_ms(f, runs):9.2f} ms")


if __name__ == "__main__":
    main()
