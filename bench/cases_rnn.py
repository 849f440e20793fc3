"""Benchmark cases for /rnn: the default state, and the heaviest settings (T = 500, d = 64,
every cell; σ = identity adds the eigen-components)."""
from engine.rnn import CELLS

RNN = {"rnn-act": "tanh", "rnn-d": 32, "rnn-T": 100, "rnn-init": "spectral", "rnn-rho": 1.1,
       "rnn-seed": 0, "rnn-inputs": "random", "rnn-h0": "random", "rnn-cells": ["rnn", "lstm"]}
HEAVY = {**RNN, "rnn-d": 64, "rnn-T": 500, "rnn-cells": list(CELLS)}

CASES = [
    ("rnn default (d=32, T=100, 2 cells)", "rnn-act", RNN),
    ("rnn T=500, d=32, 2 cells", "rnn-act", {**RNN, "rnn-T": 500}),
    ("rnn max (d=64, T=500, 7 cells, tanh)", "rnn-act", HEAVY),
    ("rnn max (d=64, T=500, 7 cells, identity)", "rnn-act", {**HEAVY, "rnn-act": "identity"}),
]
