"""The one-unit recurrent map of Pascanu, Mikolov & Bengio (ICML 2013), §2.3:

    x_t = w·σ(x_{t−1}) + b,        x_0 given (default 0.5), t = 1..T (default 50).

Everything is vectorised over parameters: w, b (and x_0) may be arrays of any
broadcastable shape; the only Python loop is over time t (or, for continuation,
over the sweep — and that loop does index bookkeeping only).

Four ideas, one function each (and `explore`: all of them for one state), in three modules —
orbit (iterate), fixed_points (fixed points, folds, the equilibrium curve), sweeps (the rest):
  iterate          trajectory + forward-mode sensitivities ∂x_t/∂w, ∂x_t/∂b, ∂x_t/∂x_0
                   (iterate_scalar: the same recursion for one (w, b) in plain floats, ~20×
                   faster per call — what gradient descent on the cliff calls 5000 times)
  fixed_points     all roots of x = w·σ(x) + b and their stability |w·σ'(x*)| < 1
                   (equilibrium_curve: all of them along a sweep, as one curve θ(x))
  folds_in_b/_in_w saddle-node points: x = w·σ(x) + b and w·σ'(x) = 1
  bifurcation_diagram / gradient_sweep   what a sweep of w or b does to x_∞ and ∂x_T/∂θ
                   (basin_crossing: where x_0 is the fixed point; sweep_values: a sweep grid
                   that resolves the spike there)

σ is "sigmoid" (logistic, the paper's choice), "tanh" or "identity".
"""
from engine.dynamics.fixed_points import (CUSP_B, FOLD_MIN_W, EquilibriumCurve, FixedPoints, Folds,
                                          equilibrium_curve, fixed_points, folds, folds_in_b,
                                          folds_in_w)
from engine.dynamics.orbit import (DEFAULT_B_FOR_W_SWEEP, DEFAULT_B_SWEEP, DEFAULT_T, DEFAULT_W_SWEEP,
                                   DEFAULT_X0, MAP_ACTIVATIONS, PASCANU_W, SWEEP_POINTS, Trajectory,
                                   iterate, iterate_scalar)
from engine.dynamics.sweeps import (BifurcationDiagram, GradientSweep, MapExploration,
                                    basin_crossing, bifurcation_diagram, explore, gradient_sweep,
                                    sweep_values)

__all__ = [
    "CUSP_B", "FOLD_MIN_W", "EquilibriumCurve", "FixedPoints", "Folds", "equilibrium_curve",
    "fixed_points", "folds", "folds_in_b", "folds_in_w",
    "DEFAULT_B_FOR_W_SWEEP", "DEFAULT_B_SWEEP", "DEFAULT_T", "DEFAULT_W_SWEEP", "DEFAULT_X0",
    "MAP_ACTIVATIONS", "PASCANU_W", "SWEEP_POINTS", "Trajectory", "iterate", "iterate_scalar",
    "BifurcationDiagram", "GradientSweep", "MapExploration", "basin_crossing",
    "bifurcation_diagram", "explore", "gradient_sweep", "sweep_values",
]
