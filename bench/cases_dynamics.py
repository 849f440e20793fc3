"""Benchmark cases for /dynamics and /cliff: defaults and the heaviest settings, as URL states."""
CASES = [
    ("dynamics default (b-sweep, T=50)", "/dynamics", {}),
    ("dynamics max (w-sweep −10…15, T=200, tanh)", "/dynamics",
     {"T": 200, "act": "tanh", "sweep": "w", "lo": -10, "hi": 15, "w": 15, "b": 0.3}),
    ("dynamics max (b-sweep −10…15, T=200, w=15)", "/dynamics",
     {"T": 200, "lo": -10, "hi": 15, "w": 15}),
    ("cliff default (beside_wall, 100 steps)", "/cliff", {}),
    ("cliff 3-D view", "/cliff", {"view": "3d"}),
    ("cliff max (300 steps)", "/cliff", {"steps": 300}),
]
