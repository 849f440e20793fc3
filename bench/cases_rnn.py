"""Benchmark cases for /rnn: the default state, and the heaviest settings (T = 500, d = 64,
every cell, attention included; σ = identity adds the eigen-components), as URL states (and
nothing imported from the app: bench/compare.py times old commits with these cases too)."""
CELLS = "rnn,lstm,gru,irnn,orthogonal,residual,layernorm,attention"
HEAVY = {"d": 64, "T": 500, "cells": CELLS}

CASES = [
    ("rnn default (d=32, T=100, 2 cells)", "/rnn", {}),
    ("rnn T=500, d=32, 2 cells", "/rnn", {"T": 500}),
    ("rnn max (d=64, T=500, 8 cells, tanh)", "/rnn", HEAVY),
    ("rnn max (d=64, T=500, 8 cells, identity)", "/rnn", {**HEAVY, "act": "identity"}),
    # the one cell whose step is O(t·d), not O(d²): its attention runs over the whole history
    ("rnn attention (d=64, T=500, 1 cell)", "/rnn", {**HEAVY, "cells": "attention"}),
]
