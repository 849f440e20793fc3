"""Training runs that make vanishing and exploding gradients visible, one step at a time.

A feed-forward net (a deep stack of layers on a 2-D data set) and a recurrent net (a vanilla
cell, an LSTM or a GRU on a long-term-dependency task) train with SGD or Adam, optionally with
gradient clipping and, for recurrent nets, Pascanu's regulariser Ω. Every update records the
per-layer (per-time-step) gradient and weight norms and histograms that show the gradient
vanishing or exploding; the lr = 0 twin, same seed and same batches, is the control.

    config       FFConfig / RNNConfig (validated, JSON both ways), config_from_dict, lr_zero_twin
    models       FeedForwardNet, RecurrentNet and their initialisations (the equations)
    regulariser  omega: Pascanu, Mikolov & Bengio's (2013) Ω
    run          Run — the one run loop (step / done) — and its StepRecord and RunInfo
    presets      PRESETS, the stories of /train

The names below are the package's interface: import them from `engine.training`.
"""
from engine.training.config import (CELLS, CLIPS, FF_TASKS, INITS, NORMS, OPTIMIZERS, REC_INITS,
                                    RNN_TASKS, Config, FFConfig, RNNConfig, config_from_dict,
                                    lr_zero_twin)
from engine.training.models import (LARGE_STD, LSTM_FORGET_BIAS, SMALL_STD, FeedForwardNet,
                                    RecurrentNet, init_weight_)
from engine.training.regulariser import omega
from engine.training.presets import PRESETS
from engine.training.run import HIST_ACT_EDGES, HIST_GRAD_LOG10_EDGES, Run, RunInfo, StepRecord

__all__ = [
    "CELLS", "CLIPS", "FF_TASKS", "INITS", "NORMS", "OPTIMIZERS", "REC_INITS", "RNN_TASKS",
    "Config", "FFConfig", "RNNConfig", "config_from_dict", "lr_zero_twin",
    "LARGE_STD", "LSTM_FORGET_BIAS", "SMALL_STD", "FeedForwardNet", "RecurrentNet", "init_weight_",
    "omega",
    "PRESETS",
    "HIST_ACT_EDGES", "HIST_GRAD_LOG10_EDGES", "Run", "RunInfo", "StepRecord",
]
