"""Run every training preset (or the ones named) and print wall time and final metric.

    python bench/bench_presets.py [--twin] [NAME ...]

--twin also runs the lr = 0 twin in lockstep, as the page does, and reports the combined time.
Wall times depend on what else the machine is doing; torch runs one thread, as in the app's run
processes (BENCH_THREADS changes it).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from bench.report import pin_threads

THREADS = pin_threads()  # before torch loads

import torch

torch.set_num_threads(int(THREADS))

from engine import training as tr


def summary(c) -> str:
    opt = f"{c.optimizer} lr={c.lr:g}" + (f" mom={c.momentum:g}" if c.momentum else "")
    clip = "" if c.clip == "none" else f" clip={c.clip}:{c.clip_threshold:g}"
    if isinstance(c, tr.FFConfig):
        extra = (f" norm={c.norm}" if c.norm != "none" else "") + (" residual" if c.residual else "")
        model = f"FF {c.task} L={c.depth} w={c.width} {c.activation} {c.init}{extra}"
    else:
        act = f" {c.activation}" if c.cell == "rnn" else ""
        model = (
            f"{c.cell.upper()}{act} {c.task} T={c.seq_len} H={c.hidden} "
            f"W_rec={c.rec_init}x{c.rec_gain:g}"
        )
        clip += f" Ω α={c.omega_alpha:g}" if c.omega_alpha else ""
    return f"{model}; {opt}{clip}; {c.steps} steps × batch {c.batch_size}"


def run_to_end(config, twin: bool) -> tuple:
    """Step the run until it ends — beside its lr = 0 twin in lockstep if `twin`, as the app's
    run process does (app/runs/execute.py: the twin stops with the run). Returns the run and
    the records of the run and of the twin."""
    run = tr.Run(config)
    other = tr.Run(tr.lr_zero_twin(config)) if twin else None
    records, twin_records = [], []
    while not run.done:
        records.append(run.step())
        if other is not None and not other.done:
            twin_records.append(other.step())
    return run, records, twin_records


def final_val_metric(records) -> str:
    vals = [r.val_metric for r in records if r.val_metric is not None]
    return f"{vals[-1]:.4f}" if vals else "—"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="presets to run (default: all)")
    ap.add_argument("--twin", action="store_true", help="also run the lr=0 twin in lockstep")
    args = ap.parse_args()
    names = args.names or list(tr.PRESETS)
    run_to_end(tr.FFConfig(depth=1, width=2, steps=1), twin=False)  # torch's one-off lazy imports

    print(f"{'preset':28s} {'wall s':>7s} {'steps':>6s} {'metric':>8s} {'final':>8s} {'chance':>7s} {'NaN@':>5s}  config")
    for name in names:
        cfg = tr.PRESETS[name]
        t0 = time.perf_counter()
        run, records, twin_records = run_to_end(cfg, args.twin)
        wall = time.perf_counter() - t0
        nan = "—" if run.first_nonfinite_step is None else str(run.first_nonfinite_step)
        print(
            f"{name:28s} {wall:7.1f} {len(records):6d} {run.info.metric:>8s} "
            f"{final_val_metric(records):>8s} {run.info.chance:7.3f} {nan:>5s}  {summary(cfg)}",
            flush=True,
        )
        if args.twin:
            print(f"{'  (lr=0 twin)':28s} {'':7s} {len(twin_records):6d} {'':8s} "
                  f"{final_val_metric(twin_records):>8s}")


if __name__ == "__main__":
    main()
