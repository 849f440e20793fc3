"""Benchmark cases for /train's ordinary callback (the controls → URL and notices). The run
itself is a background callback: its cost is the training (see bench/bench_presets.py)."""
from app.pages.train import PARAMS, cid

CONTROLS = {"train-kind": "ff", **{cid(kind, p.name): p.default
                                   for kind, params in PARAMS.items() for p in params}}

CASES = [
    ("train controls (ff defaults)", "train-kind", CONTROLS),
    ("train controls (rnn, bad values)", "train-kind",
     {**CONTROLS, "train-kind": "rnn", "train-rnn-T": "abc", "train-rnn-lr": 1e9}),
]
