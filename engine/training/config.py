"""What a training run is: its configuration, as frozen dataclasses checked on construction.

`FFConfig` (a deep feed-forward net on a 2-D data set) and `RNNConfig` (a recurrent net on a
long-term-dependency task) hold every choice of a run: model, initialisation, optimiser,
clipping, Ω, budget and seed. A value outside its range or list raises ValueError, so a config
that exists is one the engine can run. Configs travel as plain JSON between page and engine
(`to_dict`, `config_from_dict`).

`lr_zero_twin(config)` is the same run with lr = 0: same seed ⇒ same init and same batches,
weights that never move — the control for "is it the gradients or the optimiser?".
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Union

import numpy as np

from engine import tasks
from engine.activations import ACTIVATIONS

FF_TASKS = ("spirals", "regression")
RNN_TASKS = ("temporal_order", "adding")
INITS = ("zeros", "small_normal", "large_normal", "xavier", "he", "orthogonal")
NORMS = ("none", "batch", "layer")
OPTIMIZERS = ("sgd", "adam")
CLIPS = ("none", "norm", "value")
CELLS = ("rnn", "lstm", "gru")
REC_INITS = ("orthogonal", "normal", "identity")


def _choice(name: str, value, options) -> str:
    if value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value


def _int_in(name: str, value, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be in [{lo}, {hi}], got {value}")
    return int(value)


def _float_in(name: str, value, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not (math.isfinite(value) and lo <= value <= hi):
        raise ValueError(f"{name} must be in [{lo}, {hi}], got {value}")
    return value


def _validate_training(c) -> None:
    _choice("optimizer", c.optimizer, OPTIMIZERS)
    _float_in("lr", c.lr, 0.0, 100.0)
    _float_in("momentum", c.momentum, 0.0, 0.999)
    _choice("clip", c.clip, CLIPS)
    _float_in("clip_threshold", c.clip_threshold, 1e-8, 1e8)
    _int_in("steps", c.steps, 1, 100_000)
    _int_in("batch_size", c.batch_size, 1, 4096)
    _int_in("n_val", c.n_val, 1, 20_000)
    _int_in("seed", c.seed, 0, 2**31 - 1)
    _int_in("eval_every", c.eval_every, 1, 100_000)
    _int_in("hist_every", c.hist_every, 1, 100_000)


class _ConfigMixin:
    """from_dict / to_dict so configs travel as plain JSON between page and engine."""

    @classmethod
    def from_dict(cls, d: dict):
        names = {f.name for f in dataclasses.fields(cls)}
        extra = set(d) - names - {"kind"}
        if extra:
            raise ValueError(f"unknown config keys: {sorted(extra)}")
        if "kind" in d and d["kind"] != cls.kind:
            raise ValueError(f"config kind {d['kind']!r} is not {cls.kind!r}")
        return cls(**{k: v for k, v in d.items() if k != "kind"})

    def to_dict(self) -> dict:
        return {"kind": self.kind, **dataclasses.asdict(self)}

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class FFConfig(_ConfigMixin):
    """A deep feed-forward net on a seeded 2-D data set (engine.training.models, engine.tasks)."""

    task: str = "spirals"  # spirals (2 classes, accuracy) | regression (MSE)
    depth: int = 10  # hidden layers, 1..50
    width: int = 32
    activation: str = "tanh"
    init: str = "xavier"
    norm: str = "none"  # none | batch | layer
    residual: bool = False
    optimizer: str = "sgd"
    lr: float = 0.05
    momentum: float = 0.9
    clip: str = "none"
    clip_threshold: float = 1.0
    steps: int = 500
    batch_size: int = 64
    n_train: int = 1000  # fixed training set; minibatches are drawn from it
    n_val: int = 1000  # fixed validation set from a separate seeded stream
    noise: float = 0.03
    seed: int = 0
    eval_every: int = 25
    hist_every: int = 50
    kind = "ff"

    def __post_init__(self):
        _choice("task", self.task, FF_TASKS)
        _int_in("depth", self.depth, 1, 50)
        _int_in("width", self.width, 1, 512)
        _choice("activation", self.activation, tuple(a for a in ACTIVATIONS if a != "identity"))
        _choice("init", self.init, INITS)
        _choice("norm", self.norm, NORMS)
        if not isinstance(self.residual, bool):
            raise ValueError("residual must be a bool")
        _int_in("n_train", self.n_train, 2, 100_000)
        _float_in("noise", self.noise, 0.0, 1.0)
        _validate_training(self)


@dataclass(frozen=True)
class RNNConfig(_ConfigMixin):
    """A recurrent net on a seeded long-term-dependency task (engine.tasks)."""

    task: str = "temporal_order"  # temporal_order (4 classes, accuracy) | adding (MSE)
    seq_len: int = 50
    cell: str = "rnn"  # rnn | lstm | gru
    hidden: int = 32
    activation: str = "tanh"  # vanilla cell only
    rec_init: str = "orthogonal"  # orthogonal | normal | identity, times rec_gain
    rec_gain: float = 1.0  # ≈ spectral radius of each recurrent block at init
    optimizer: str = "sgd"
    lr: float = 0.01
    momentum: float = 0.0
    clip: str = "none"
    clip_threshold: float = 1.0
    omega_alpha: float = 0.0  # weight α of Pascanu's Ω; 0 = off
    adding_target: str = "sum"  # sum | mean
    adding_placement: str = "halves"  # halves | pascanu
    steps: int = 500
    batch_size: int = 32  # fresh sequences every step (the task is a generator)
    n_val: int = 500
    seed: int = 0
    eval_every: int = 25
    hist_every: int = 50
    kind = "rnn"

    def __post_init__(self):
        _choice("task", self.task, RNN_TASKS)
        _int_in("seq_len", self.seq_len, 10, 1000)
        _choice("cell", self.cell, CELLS)
        _int_in("hidden", self.hidden, 1, 512)
        _choice("activation", self.activation, ACTIVATIONS)
        _choice("rec_init", self.rec_init, REC_INITS)
        _float_in("rec_gain", self.rec_gain, 0.0, 100.0)
        _float_in("omega_alpha", self.omega_alpha, 0.0, 1e4)
        _choice("adding_target", self.adding_target, tasks.ADDING_TARGETS)
        _choice("adding_placement", self.adding_placement, tasks.ADDING_PLACEMENTS)
        _validate_training(self)


Config = Union[FFConfig, RNNConfig]


def config_from_dict(d: dict) -> Config:
    """Build FFConfig or RNNConfig from plain values; d["kind"] is "ff" or "rnn". Raises ValueError."""
    kinds = {"ff": FFConfig, "rnn": RNNConfig}
    if d.get("kind") not in kinds:
        raise ValueError("config needs kind 'ff' or 'rnn'")
    return kinds[d["kind"]].from_dict(d)


def lr_zero_twin(config: Config) -> Config:
    """The same run with lr = 0: same seed ⇒ same init, same batches, weights never move."""
    return config.replace(lr=0.0)
