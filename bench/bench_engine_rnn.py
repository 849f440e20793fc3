"""Median wall time of engine.rnn's pieces. Run: python bench/bench_engine_rnn.py

BLAS and torch run single-threaded (set BENCH_THREADS to change): on a 2-core machine
that is shared, multi-threaded BLAS on these small matrices is slower, and erratically so.
"""
import os
import sys
import time
from pathlib import Path

THREADS = os.environ.get("BENCH_THREADS", "1")
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, THREADS)  # must precede the numpy import

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(int(THREADS))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.rnn import (CELLS, bptt, contribution_map, gradient_flow,  # noqa: E402
                        jacobian_chain, rnn_setup, run_rnn, singular_values)


def median_ms(f, runs=20):
    f()  # warm-up: imports, BLAS threads, allocator
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return 1e3 * float(np.median(times))


def report(act, d, T, init, scale, runs=20):
    s = rnn_setup(d, T, init, scale, seed=0)
    drive = s.inputs @ s.W_x.T
    _, preact = run_rnn(s.W, drive, s.h0, act)
    print(f"{act}, d={d}, T={T}, {init} {scale}: median of {runs} runs")
    rows = {
        "forward pass": lambda: run_rnn(s.W, drive, s.h0, act),
        "jacobian norms (chain + SVD)": lambda: singular_values(
            jacobian_chain(preact, s.W, act)),
        "contribution map": lambda: contribution_map(preact, s.W, act, s.readout),
        "bptt() total": lambda: bptt(act, d, T, init, scale, 0),
        f"gradient_flow() {len(CELLS)} cells": lambda: gradient_flow(
            CELLS, act, d, T, init, scale, 0),
    }
    for name, f in rows.items():
        print(f"  {name:32s} {median_ms(f, runs):9.2f} ms")


if __name__ == "__main__":
    report("tanh", 32, 100, "spectral", 1.0)
    report("tanh", 128, 500, "spectral", 1.0, runs=5)
