"""Benchmark cases for /chain and /matrix: defaults and the heaviest settings."""
CHAIN = {"chain-w": 0.9, "chain-b": 0.0, "chain-x": 1.0, "chain-n": 30, "chain-act": "identity"}
MATRIX = {"matrix-k": 3, **{f"matrix-lam{i}": v for i, v in
                            enumerate((1.05, 0.9, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5), start=1)},
          "matrix-d": 3, "matrix-rot": 0, "matrix-nn": 0.0, "matrix-n": 40, "matrix-act": "tanh",
          "matrix-seed": 0}

CASES = [
    ("chain default (n=30)", "chain-w", CHAIN),
    ("chain max (n=200, tanh)", "chain-w", {**CHAIN, "chain-n": 200, "chain-act": "tanh"}),
    ("matrix default (d=3, n=40)", "matrix-k", MATRIX),
    ("matrix max (d=16, n=200, k=8, pair)", "matrix-k",
     {**MATRIX, "matrix-k": 8, "matrix-d": 16, "matrix-n": 200, "matrix-rot": 30, "matrix-nn": 2}),
]
