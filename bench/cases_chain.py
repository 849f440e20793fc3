"""Benchmark cases for /chain and /matrix: defaults and the heaviest settings, as URL states
(κ as `nn`, its older name, which every version reads: bench/compare.py times old commits too)."""
CASES = [
    ("chain default (n=30)", "/chain", {}),
    ("chain max (n=200, tanh)", "/chain", {"n": 200, "act": "tanh"}),
    ("matrix default (d=3, n=40)", "/matrix", {"act": "tanh"}),
    ("matrix max (d=16, n=200, k=8, pair)", "/matrix",
     {"eig": "1.05,0.9,0.5,0.5,0.5,0.5,0.5,0.5", "d": 16, "n": 200, "rot": 30, "nn": 2,
      "act": "tanh"}),
]
