"""The presets of /train: each one story; pairs differ only in the ingredient the story is about.

Budgets were tuned so that each finishes in well under 60 s on one CPU thread
(bench/bench_presets.py prints the measured times) — far fewer updates than Pascanu et al. ran,
so the successes are ones that happen quickly, and the failures are failures within this budget.
"""
from __future__ import annotations

from engine.training.config import FFConfig, RNNConfig

_FF_STORY = FFConfig(
    task="spirals", depth=30, width=32, optimizer="sgd", lr=0.005, momentum=0.9,
    steps=1000, batch_size=64, eval_every=50, hist_every=50,
)
_EXPLODE_STORY = RNNConfig(
    task="adding", seq_len=30, cell="rnn", hidden=32, activation="relu",
    rec_init="orthogonal", rec_gain=2.0,  # every singular value 2: ‖∂x_T/∂x_k‖ can grow like 2^(T−k)
    optimizer="sgd", lr=0.01, momentum=0.9, steps=2000, batch_size=64, eval_every=50, hist_every=50,
)
_ORDER_STORY = RNNConfig(
    task="temporal_order", seq_len=50, cell="rnn", hidden=32, activation="tanh",
    rec_init="orthogonal", rec_gain=1.0, optimizer="sgd", lr=0.1, momentum=0.0,
    steps=2500, batch_size=32, eval_every=50, hist_every=50,
)

PRESETS: dict = {
    # 30 sigmoid layers, W ~ N(0, 0.01²): each layer multiplies the backward signal by about
    # ‖W‖·σ' ≈ 0.01·√32·¼ — the first layers get nothing and the net stays at chance.
    "vanishing": _FF_STORY.replace(activation="sigmoid", init="small_normal"),
    # same depth, He init + ReLU: the backward signal keeps its size and the net learns.
    "he_relu": _FF_STORY.replace(activation="relu", init="he"),
    # ReLU RNN with recurrent gain 2 on the adding problem: x_T and the first gradients are
    # already huge (‖g‖ ~ 1e8–1e12 over seeds 0–2); one plain-SGD step throws the weights so far
    # that the next forward pass overflows — NaN at step 1.
    "exploding_rnn": _EXPLODE_STORY,
    # the same run with the gradient norm clipped to 1 trains (MSE well below Var y = 1/6).
    "exploding_rnn_clipped": _EXPLODE_STORY.replace(clip="norm", clip_threshold=1.0),
    # temporal order at T = 50: plain SGD stays at chance (25 %).
    "temporal_order_sgd": _ORDER_STORY,
    # Pascanu's SGD-CR: norm clipping + Ω (α = 0.1, i.e. ≈ 5 in the per-time-step mean
    # convention of their code) learns the task (seeds 0–2: val accuracy ≥ 0.99). Clipping
    # alone, same budget: seeds 0 and 1 stay at chance, seed 2 learns it — Ω makes it reliable.
    "temporal_order_clip_omega": _ORDER_STORY.replace(clip="norm", clip_threshold=1.0, omega_alpha=0.1),
    # an LSTM with the same SGD + clipping (no Ω) learns it in far fewer steps.
    "temporal_order_lstm": _ORDER_STORY.replace(cell="lstm", clip="norm", clip_threshold=1.0, steps=1000),
}
