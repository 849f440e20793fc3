"""Benchmark cases for /dynamics and /cliff: defaults and the heaviest settings."""
DYNAMICS = {"dynamics-w": 5.0, "dynamics-b": -2.5, "dynamics-x0": 0.5, "dynamics-T": 50,
            "dynamics-act": "sigmoid", "dynamics-sweep": "b", "dynamics-lo": -3.5,
            "dynamics-hi": -1.5}
CLIFF = {"cliff-w0": 4.6, "cliff-b0": -2.365, "cliff-lr": 0.1, "cliff-clip": 1.0,
         "cliff-steps": 100, "cliff-view": "2d"}

CASES = [
    ("dynamics default (b-sweep, T=50)", "dynamics-w", DYNAMICS),
    ("dynamics max (w-sweep −10…15, T=200, tanh)", "dynamics-w",
     {**DYNAMICS, "dynamics-T": 200, "dynamics-act": "tanh", "dynamics-sweep": "w",
      "dynamics-lo": -10.0, "dynamics-hi": 15.0, "dynamics-w": 15.0, "dynamics-b": 0.3}),
    ("dynamics max (b-sweep −10…15, T=200, w=15)", "dynamics-w",
     {**DYNAMICS, "dynamics-T": 200, "dynamics-lo": -10.0, "dynamics-hi": 15.0,
      "dynamics-w": 15.0}),
    ("cliff default (beside_wall, 100 steps)", "cliff-w0", CLIFF),
    ("cliff 3-D view", "cliff-w0", {**CLIFF, "cliff-view": "3d"}),
    ("cliff max (300 steps)", "cliff-w0", {**CLIFF, "cliff-steps": 300}),
]
