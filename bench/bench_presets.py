"""Run every training preset (or the ones named) and print wall time and final metric.

    python bench/bench_presets.py [--twin] [NAME ...]

--twin also runs the lr = 0 twin in lockstep, as the page does, and reports the combined time.
Wall times depend on what else the machine is doing; the engine uses one torch thread.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="presets to run (default: all)")
    ap.add_argument("--twin", action="store_true", help="also run the lr=0 twin in lockstep")
    args = ap.parse_args()
    names = args.names or list(tr.PRESETS)
    tr.train(tr.FFConfig(depth=1, width=2, steps=1))  # pay torch's one-off lazy imports here

    print(f"{'preset':28s} {'wall s':>7s} {'steps':>6s} {'metric':>8s} {'final':>8s} {'chance':>7s} {'NaN@':>5s}  config")
    for name in names:
        cfg = tr.PRESETS[name]
        t0 = time.perf_counter()
        if args.twin:
            res, twin = tr.train_with_twin(cfg)
        else:
            res = tr.train(cfg)
        wall = time.perf_counter() - t0
        final = "—" if res.final_val_metric is None else f"{res.final_val_metric:.4f}"
        nan = "—" if res.first_nonfinite_step is None else str(res.first_nonfinite_step)
        print(
            f"{name:28s} {wall:7.1f} {len(res.records):6d} {res.info.metric:>8s} {final:>8s} "
            f"{res.info.chance:7.3f} {nan:>5s}  {summary(cfg)}",
            flush=True,
        )
        if args.twin:
            tf = "—" if twin.final_val_metric is None else f"{twin.final_val_metric:.4f}"
            print(f"{'  (lr=0 twin)':28s} {'':7s} {len(twin.records):6d} {'':8s} {tf:>8s}")


if __name__ == "__main__":
    main()
