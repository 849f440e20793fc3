"""Benchmark cases for /rnn: the default state, and the heaviest settings (T = 500, d = 64,
every cell, attention included; σ = identity adds the eigen-components)."""
from engine.rnn import CELLS

RNN = {"rnn-act": "tanh", "rnn-d": 32, "rnn-T": 100, "rnn-init": "spectral", "rnn-rho": 1.1,
       "rnn-seed": 0, "rnn-inputs": "random", "rnn-h0": "random", "rnn-cells": ["rnn", "lstm"]}
HEAVY = {**RNN, "rnn-d": 64, "rnn-T": 500, "rnn-cells": list(CELLS)}

CASES = [
    ("rnn default (d=32, T=100, 2 cells)", "rnn-act", RNN),
    ("rnn T=500, d=32, 2 cells", "rnn-act", {**RNN, "rnn-T": 500}),
    (f"rnn max (d=64, T=500, {len(CELLS)} cells, tanh)", "rnn-act", HEAVY),
    (f"rnn max (d=64, T=500, {len(CELLS)} cells, identity)", "rnn-act",
     {**HEAVY, "rnn-act": "identity"}),
    # the one cell whose step is O(t·d), not O(d²): its attention runs over the whole history
    ("rnn attention (d=64, T=500, 1 cell)", "rnn-act", {**HEAVY, "rnn-cells": ["attention"]}),
]
