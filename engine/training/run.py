"""The one run loop: a training run advanced one update at a time, and what each update leaves.

`Run(config)` owns model, optimiser and data; `Run.step()` does one update and returns a
`StepRecord` (JSON-able via `.to_dict()`); `Run.done` says when the run has ended; `Run.info`
(a `RunInfo`) holds what is known before the first step. The caller owns the pace — the app's
run process steps a run and its lr = 0 twin in lockstep (app/runs/execute.py):

    while not run.done:
        record = run.step()

Each update is SGD (optional momentum) or Adam on E (cross-entropy, or mean squared error for
regression / adding), with optional gradient clipping
      norm:  g ← g · min(1, τ/‖g‖)          value: g_i ← clamp(g_i, −τ, τ)
and, for recurrent nets, Pascanu's regulariser α·Ω (engine.training.regulariser) on the recurrent
weights. A run that overflows does not raise: the record of the step where the loss, a
gradient or a weight first became inf/NaN carries `first_nonfinite_step` and `nonfinite`, no
update is applied after it, and the run ends.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F

from engine import tasks
from engine.training.config import Config, FFConfig, RNNConfig
from engine.training.models import FeedForwardNet, RecurrentNet
from engine.training.regulariser import omega

# Fixed histogram bin edges, the same for every layer, step and run, so pictures compare.
# Values outside are counted in the end bins (clamped), so counts always sum to the size.
HIST_ACT_EDGES = np.linspace(-3.0, 3.0, 61)
# Gradients span tens of decades when they vanish: histogram log10|g|; |g| < 1e-16 (incl. 0)
# falls in the first bin.
HIST_GRAD_LOG10_EDGES = np.linspace(-16.0, 4.0, 41)


@dataclass
class StepRecord:
    """What one training step leaves behind; every field is a plain float/int/list/None.

    step                 0-based update index; loss/grad norms are at the weights before it
    loss                 E on this step's training batch (without α·Ω)
    weight_norms         ‖W‖_F per group (RunInfo.group_names), before the update
    grad_norms           ‖∂E/∂W‖_F per group (with α·∂Ω/∂W), before clipping
    grad_norm_total      ‖∂E/∂θ‖ over all parameters, before clipping
    clipped              whether clipping changed the gradient
    state_grad_norms     ‖∂E/∂h_l‖_F per layer l=1..L (FF) or ‖∂E/∂x_k‖_F per step k=1..T (RNN),
                         over the batch; E is the batch mean, so these include a 1/B
    rec_weight_norm      RNN: spectral norm ‖W_rec‖₂ before the update (None for FF); for the
                         LSTM/GRU, of the stacked gate matrix weight_hh (4H×H / 3H×H)
    omega                RNN with α > 0: Ω on this batch (None otherwise)
    val_metric           accuracy (classification) or MSE (regression/adding) on the fixed
                         validation set after this update; every eval_every steps and at the end
    val_loss             E on the validation set, same schedule
    act_hist / grad_hist per layer (FF) or time step (RNN): counts of h in HIST_ACT_EDGES and
                         of log10|∂E/∂h| in HIST_GRAD_LOG10_EDGES; every hist_every steps and at
                         the end, else None
    first_nonfinite_step the step where loss, a gradient or a weight first became inf/NaN
                         (None while everything is finite)
    nonfinite            at that step: "loss", "grad" or "weights" — what overflowed first
    """

    step: int
    loss: float
    weight_norms: list
    grad_norms: list
    grad_norm_total: float
    clipped: bool
    state_grad_norms: list
    rec_weight_norm: Optional[float] = None
    omega: Optional[float] = None
    val_metric: Optional[float] = None
    val_loss: Optional[float] = None
    act_hist: Optional[list] = None
    grad_hist: Optional[list] = None
    first_nonfinite_step: Optional[int] = None
    nonfinite: Optional[str] = None

    def to_dict(self) -> dict:
        """Plain dict. Non-finite floats stay float('nan'/'inf'); a strict-JSON consumer must map them."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class RunInfo:
    """Static facts about a run, known before the first step (axes, labels, bin edges)."""

    kind: str  # "ff" | "rnn"
    group_names: list  # labels of weight_norms / grad_norms
    state_labels: list  # labels of state_grad_norms and histogram rows (layers 1..L or steps 1..T)
    metric: str  # "accuracy" (higher is better) | "mse" (lower is better)
    chance: float  # accuracy of guessing, or MSE of the best constant
    steps: int
    hist_act_edges: list
    hist_grad_log10_edges: list
    config: dict

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)



def _hist(values: torch.Tensor, edges: np.ndarray, log10_abs: bool = False) -> list:
    v = values.detach().reshape(-1).double().numpy()
    v = v[np.isfinite(v)]  # on an overflow step the inf/NaN entries are left out of the counts
    if log10_abs:
        v = np.log10(np.maximum(np.abs(v), 10.0 ** edges[0]))
    counts, _ = np.histogram(np.clip(v, edges[0], edges[-1]), edges)
    return counts.tolist()


def _norm(tensors) -> float:
    return float(torch.sqrt(sum((t.detach().double() ** 2).sum() for t in tensors)))


def _all_finite(tensors) -> bool:
    return all(bool(torch.isfinite(t).all()) for t in tensors)


class Run:
    """One training run, advanced by step(). Deterministic given config.seed.

    Randomness: torch.Generator(seed) for the init, numpy default_rng([seed, 0]) for training
    batches, default_rng([seed, 1]) for the validation set — so a twin with another lr sees the
    very same data.
    """

    def __init__(self, config: Config):
        self.config = c = config
        gen = torch.Generator().manual_seed(c.seed)
        self._data_rng = np.random.default_rng([c.seed, 0])
        val_rng = np.random.default_rng([c.seed, 1])
        if isinstance(c, FFConfig):
            make = tasks.two_spirals if c.task == "spirals" else tasks.regression_2d
            xt, yt = make(c.n_train, self._data_rng, c.noise)
            xv, yv = make(c.n_val, val_rng, c.noise)
            self._train = (torch.from_numpy(xt), torch.from_numpy(yt))
            self._val = (torch.from_numpy(xv), torch.from_numpy(yv))
            self.classify = c.task == "spirals"
            n_out = 2 if self.classify else 1
            self.model = FeedForwardNet(2, n_out, c.depth, c.width, c.activation, c.norm, c.residual)
            self.model.init_(c.init, gen)
            labels = [f"layer {l + 1}" for l in range(c.depth)]
            chance = 0.5 if self.classify else float(np.var(yv))
        else:
            self.classify = c.task == "temporal_order"
            vb = self._sequences(c.n_val, val_rng)
            self._val = (torch.from_numpy(vb.inputs), torch.from_numpy(vb.targets))
            n_in = tasks.N_SYMBOLS if self.classify else 2
            n_out = 4 if self.classify else 1
            self.model = RecurrentNet(n_in, c.hidden, n_out, c.cell, c.activation)
            self.model.init_(c.rec_init, c.rec_gain, gen)
            labels = [f"t={k}" for k in range(1, c.seq_len + 1)]
            chance = 0.25 if self.classify else tasks.adding_baseline_mse(c.adding_target)
        self.params = [p for p in self.model.parameters()]
        self.groups = self.model.param_groups()
        if c.optimizer == "sgd":
            self.opt = torch.optim.SGD(self.params, lr=c.lr, momentum=c.momentum)
        else:
            self.opt = torch.optim.Adam(self.params, lr=c.lr)
        self.info = RunInfo(
            kind=c.kind,
            group_names=[n for n, _ in self.groups],
            state_labels=labels,
            metric="accuracy" if self.classify else "mse",
            chance=chance,
            steps=c.steps,
            hist_act_edges=HIST_ACT_EDGES.tolist(),
            hist_grad_log10_edges=HIST_GRAD_LOG10_EDGES.tolist(),
            config=c.to_dict(),
        )
        self.step_index = 0
        self.first_nonfinite_step: Optional[int] = None

    @property
    def done(self) -> bool:
        return self.first_nonfinite_step is not None or self.step_index >= self.config.steps

    def _sequences(self, n: int, rng) -> tasks.SequenceBatch:
        c = self.config
        if c.task == "temporal_order":
            return tasks.temporal_order(n, c.seq_len, rng)
        return tasks.adding(n, c.seq_len, rng, c.adding_target, c.adding_placement)

    def _batch(self):
        c = self.config
        if isinstance(c, FFConfig):
            idx = torch.from_numpy(self._data_rng.integers(0, c.n_train, size=c.batch_size))
            return self._train[0][idx], self._train[1][idx]
        b = self._sequences(c.batch_size, self._data_rng)
        return torch.from_numpy(b.inputs), torch.from_numpy(b.targets)

    def _loss(self, out, y):
        if self.classify:
            return F.cross_entropy(out, y)
        return F.mse_loss(out[:, 0], y)

    def _metric(self, out, y) -> float:
        if self.classify:
            return float((out.argmax(dim=1) == y).float().mean())
        return float(F.mse_loss(out[:, 0], y))

    def params_numpy(self) -> dict:
        """Current parameters, name → float32 numpy copy."""
        return {n: p.detach().numpy().copy() for n, p in self.model.named_parameters()}

    def evaluate(self) -> tuple[float, float]:
        """(metric, loss) on the fixed validation set at the current weights."""
        with torch.no_grad():
            out, _ = self.model(self._val[0])
            return self._metric(out, self._val[1]), float(self._loss(out, self._val[1]))

    def step(self) -> StepRecord:
        """One update: forward, backward (+Ω), record, clip, optimiser step, overflow check."""
        if self.done:
            raise RuntimeError("run is finished")
        c, s = self.config, self.step_index
        is_rnn = isinstance(c, RNNConfig)
        x, y = self._batch()
        out, states = self.model(x)
        loss = self._loss(out, y)
        loss_val = float(loss.detach())
        flat_states = [t for st in states for t in st] if is_rnn else list(states)
        grads = torch.autograd.grad(loss, self.params + flat_states, allow_unused=True)
        p_grads = [torch.zeros_like(p) if g is None else g for p, g in zip(self.params, grads)]
        s_grads = [
            torch.zeros_like(t) if g is None else g
            for t, g in zip(flat_states, grads[len(self.params) :])
        ]
        om = None
        if is_rnn:
            n_comp = len(states[0])
            s_grads = [tuple(s_grads[k * n_comp : (k + 1) * n_comp]) for k in range(len(states))]
            if c.omega_alpha > 0 and math.isfinite(loss_val):
                omega_val = omega(self.model, x, states, s_grads)
                om = float(omega_val.detach())
                # Like Pascanu's code, Ω regularises the recurrent weights only (∂⁺Ω/∂W_rec).
                w_rec = self.model.w_rec()
                (o_grad,) = torch.autograd.grad(c.omega_alpha * omega_val, [w_rec])
                p_grads = [g + o_grad if p is w_rec else g for p, g in zip(self.params, p_grads)]
            state_vals = [torch.cat(st, dim=1) for st in states]
            state_gvals = [torch.cat(sg, dim=1) for sg in s_grads]
        else:
            state_vals, state_gvals = flat_states, s_grads

        grad_of = dict(zip(map(id, self.params), p_grads))
        rec = StepRecord(
            step=s,
            loss=loss_val,
            weight_norms=[_norm(ps) for _, ps in self.groups],
            grad_norms=[_norm([grad_of[id(p)] for p in ps]) for _, ps in self.groups],
            grad_norm_total=_norm(p_grads),
            clipped=False,
            state_grad_norms=torch.stack(state_gvals).double().flatten(1).norm(dim=1).tolist(),
            omega=om,
        )
        if is_rnn:
            w = self.model.w_rec().detach().double()
            rec.rec_weight_norm = (
                float(torch.linalg.matrix_norm(w, ord=2)) if bool(torch.isfinite(w).all()) else float("nan")
            )
        last = s == c.steps - 1
        if s % c.hist_every == 0 or last:
            rec.act_hist = [_hist(h, HIST_ACT_EDGES) for h in state_vals]
            rec.grad_hist = [_hist(g, HIST_GRAD_LOG10_EDGES, log10_abs=True) for g in state_gvals]

        # Overflow is physics: stop before an update would smear inf/NaN into the weights.
        if not math.isfinite(rec.loss):
            return self._stop(rec, "loss")
        if not _all_finite(p_grads):
            return self._stop(rec, "grad")

        if c.clip == "norm" and rec.grad_norm_total > c.clip_threshold:
            # The norm was summed in float64: a float32 sum of squares overflows for
            # ‖g‖ > ~1e19 and would turn the rescaling into g·0 instead of g·τ/‖g‖.
            scale = c.clip_threshold / rec.grad_norm_total
            p_grads = [g * scale for g in p_grads]
            rec.clipped = True
        elif c.clip == "value":
            rec.clipped = any(bool((g.abs() > c.clip_threshold).any()) for g in p_grads)
            p_grads = [g.clamp(-c.clip_threshold, c.clip_threshold) for g in p_grads]
        for p, g in zip(self.params, p_grads):
            p.grad = g
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)

        if not _all_finite(self.params):
            return self._stop(rec, "weights")
        self.step_index += 1
        if s % c.eval_every == 0 or last:
            rec.val_metric, rec.val_loss = self.evaluate()
        return rec

    def _stop(self, rec: StepRecord, what: str) -> StepRecord:
        self.first_nonfinite_step = rec.step
        rec.first_nonfinite_step, rec.nonfinite = rec.step, what
        self.step_index += 1
        return rec
