"""GradLab's numerical engine: pure numpy/torch, no Dash, no plotly.

One module per model. Every public function takes plain parameters and returns plain
numpy arrays or small frozen dataclasses. Where a quantity has a closed form (or an
explicit chain-rule product) and an autograd twin, both live here and a test holds
them together.

Overflow is physics, not an error: functions never raise on inf/NaN; results carry
them and say where they began.
"""
