"""GradLab's numerical engine: pure numpy/torch, no Dash, no plotly.

One module (or package) per model. Every public function takes plain parameters and returns
plain numpy arrays or small frozen dataclasses, with every domain quantity a page shows (regimes,
bounds, folds, spikes) computed here, once. Where a quantity has a closed form (or an explicit
chain-rule product), a test holds it against torch autograd: the twins the pages plot live here
(the scalar chain's), the others are the tests' oracle (tests/engine/autograd_twins.py).
Shared pieces: activations (σ, σ′, γ), numerics (first non-finite, overflow-safe norms),
regime (naming a factor per step).

Overflow is physics, not an error: functions never raise on inf/NaN; results carry
them and say where they began.
"""
