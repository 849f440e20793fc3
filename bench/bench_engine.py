"""Engine micro-benchmarks: the numerics behind each page, no Dash, no plotly.

    python -m bench.bench_engine [--repeat 20] [--quick]

The four of issue 7, each with its target (ms, p95), then the pieces they are made of:
  cliff     surface 200×200, T = 50 (E and ∇E) + three descent paths (plain, norm-, value-
            clipped, 100 steps) + the clipping comparison at the start        ≤ 60 ms
  rnn       Jacobian map T = 100, d = 32: bptt() — forward pass, ∂h_T/∂h_k for every k,
            their singular values, the (t, k) contribution map                ≤ 100 ms
  matrix    matrix chain d = 16, n = 200 (8 eigenvalues, a complex pair, κ = 2, tanh)
  dynamics  a sweep of 2,000 parameter values: x_T and ∂x_T/∂b, and the bifurcation
            diagram by continuation both ways
matrix and dynamics have no target of their own in the issue; they are marked against the
30 ms slider-callback budget (a "*" on the target), since each runs inside one.

BLAS and torch run single-threaded (BENCH_THREADS changes it), as in the app and in every
gunicorn worker: on a shared 2-core machine, threaded BLAS on these small matrices is
slower, and erratically so.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a file: python bench/bench_engine.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import fmt, mark, pin_threads, stats, table, time_ms

THREADS = pin_threads()  # before numpy and torch load

import numpy as np
import torch

torch.set_num_threads(int(THREADS))

from engine.chain import matrix_chain, spectrum
from engine.cliff import (
    DEFAULT_LR,
    DEFAULT_START,
    DEFAULT_STEPS,
    DEFAULT_THRESHOLD,
    compare_clipping,
    descend_many,
    surface,
)
from engine.dynamics import (
    bifurcation_diagram,
    fixed_points,
    folds_in_b,
    folds_in_w,
    gradient_sweep,
    iterate,
)
from engine.cells import CELLS, gradient_flow
from engine.numerics import singular_values
from engine.rnn import bptt, contribution_map, jacobian_chain, rnn_setup, run_rnn

SLIDER_BUDGET = 30.0  # ms: the slider-callback target, for the benchmarks without their own


@dataclass
class Row:
    group: str
    name: str
    times: list[float]
    target: float | None = None  # ms, against p95
    implied: bool = False        # target borrowed from the slider budget

    @property
    def median(self) -> float:
        return stats(self.times)[0]

    @property
    def p95(self) -> float:
        return stats(self.times)[1]

    @property
    def ok(self) -> bool | None:
        return None if self.target is None else self.p95 <= self.target


# ------------------------------------------------------------------ the four benchmarks

def cliff_cases(steps: int = DEFAULT_STEPS):
    w0, b0 = DEFAULT_START

    def paths():
        p = descend_many(w0, b0, DEFAULT_LR, steps, threshold=DEFAULT_THRESHOLD)
        return p, compare_clipping(p[0].grad[0], DEFAULT_THRESHOLD)

    return {
        "surface 200×200, T=50 + 3 paths × 100 steps": lambda: (surface(n_w=200, n_b=200),
                                                                  paths()),
        "  surface 200×200, T=50 (E, ∇E)": lambda: surface(n_w=200, n_b=200),
        "  3 paths × 100 steps + clip comparison": paths,
        "  3 paths × 300 steps (the steps slider's max)": lambda: descend_many(
            w0, b0, DEFAULT_LR, 300, threshold=DEFAULT_THRESHOLD),
    }


def rnn_cases(act="tanh", d=32, T=100, init="spectral", scale=1.1):
    s = rnn_setup(d, T, init, scale, seed=0)
    drive = s.inputs @ s.W_x.T
    _, preact = run_rnn(s.W, drive, s.h0, act)
    label = f"T={T}, d={d}"
    return {
        f"Jacobian map {label} (bptt: forward, ∂h_T/∂h_k, SVDs, (t,k) map)":
            lambda: bptt(act, d, T, init, scale, 0),
        f"  forward pass {label}": lambda: run_rnn(s.W, drive, s.h0, act),
        f"  Jacobian norms {label} (chain + SVD)": lambda: singular_values(
            jacobian_chain(preact, s.W, act)),
        f"  contribution map {label}": lambda: contribution_map(preact, s.W, act, s.readout),
        f"  gradient_flow {label}, rnn + lstm (autograd; page default)": lambda: gradient_flow(
            ("rnn", "lstm"), act, d, T, init, scale, 0),
        f"  gradient_flow {label}, all {len(CELLS)} cells": lambda: gradient_flow(
            CELLS, act, d, T, init, scale, 0),
    }


def matrix_cases():
    eig = (1.05, 0.9, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5)
    lam = spectrum(eig, 16, 30.0)
    return {
        "matrix chain d=16, n=200 (k=8, θ=30°, κ=2, tanh)": lambda: matrix_chain(
            lam, 200, "tanh", 2.0, 0),
        "  matrix chain d=16, n=200, identity": lambda: matrix_chain(lam, 200, "identity", 2.0, 0),
        "  matrix chain d=3, n=40 (page default)": lambda: matrix_chain(
            spectrum(eig[:3], 3), 40, "tanh", 0.0, 0),
    }


def dynamics_cases():
    b_sweep = np.linspace(-3.5, -1.5, 2000)
    w_sweep = np.linspace(2.0, 12.0, 2000)
    return {
        "sweep of 2,000 b: x_T, ∂x_T/∂b (T=50) + bifurcation diagram": lambda: (
            gradient_sweep("b", b_sweep, 5.0), bifurcation_diagram("b", b_sweep, 5.0)),
        "  2,000 b: x_T, ∂x_T/∂b (gradient_sweep, T=50)": lambda: gradient_sweep(
            "b", b_sweep, 5.0),
        "  2,000 b: x_T, ∂x_T/∂b (gradient_sweep, T=200)": lambda: gradient_sweep(
            "b", b_sweep, 5.0, T=200),
        "  2,000 b: bifurcation diagram": lambda: bifurcation_diagram("b", b_sweep, 5.0),
        "  2,000 w: bifurcation diagram": lambda: bifurcation_diagram("w", w_sweep, -3.0),
        "  fixed points at 2,000 (w, b)": lambda: fixed_points(5.0, b_sweep),
        "  iterate 2,000 params, T=50, whole trajectory": lambda: iterate(5.0, b_sweep, 0.5, 50),
        "  folds_in_b + folds_in_w": lambda: (folds_in_b(5.0), folds_in_w(-3.0)),
    }


GROUPS = {
    # group: (cases, target of the first (headline) case, implied?)
    "cliff": (cliff_cases, 60.0, False),
    "rnn": (rnn_cases, 100.0, False),
    "matrix": (matrix_cases, SLIDER_BUDGET, True),
    "dynamics": (dynamics_cases, SLIDER_BUDGET, True),
}


def run(repeat: int = 20, quick: bool = False, progress=None) -> list[Row]:
    """Every engine benchmark: `repeat` timed runs each (after one warm-up). quick: the four
    headline cases only, and no d = 64, T = 500 RNN rows."""
    rows = []

    def add(group, cases, target, implied, runs):
        for i, (name, f) in enumerate(cases.items()):
            if quick and name.startswith(" "):
                continue
            row = Row(group, name, time_ms(f, runs), target if i == 0 else None,
                      implied and i == 0)
            rows.append(row)
            if progress:
                progress(f"  engine {group}: {name.strip()} {row.median:.1f} ms")

    for group, (cases, target, implied) in GROUPS.items():
        add(group, cases(), target, implied, repeat)
        if group == "rnn" and not quick:  # the /rnn page's largest settings
            heavy = rnn_cases(d=64, T=500, scale=1.0)
            add(group, {"  " + k.strip(): v for k, v in heavy.items()
                        if "Jacobian map" in k or "all" in k}, None, False, max(3, repeat // 4))
    return rows


def markdown(rows: list[Row]) -> str:
    body = []
    for r in rows:
        target = "—" if r.target is None else f"≤ {r.target:g}" + ("*" if r.implied else "")
        body.append([r.group, r.name, fmt(r.median, 2), fmt(r.p95, 2), len(r.times), target,
                     mark(r.ok)])
    return table(["group", "benchmark", "median ms", "p95 ms", "runs", "target ms", "ok"], body,
                 right={2, 3, 4, 5})


def main(argv=None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="headline cases only")
    args = parser.parse_args(argv)
    rows = run(args.repeat, args.quick)
    print(f"BLAS/torch threads: {THREADS}")
    print(markdown(rows))
    return rows


if __name__ == "__main__":
    main()
