"""The two models, in torch (float32, CPU, deterministic given the init generator).

* FeedForwardNet — h₀ = x, and for l = 1..L
      z_l = W_l h_{l−1} + b_l,   a_l = σ(N(z_l)),   h_l = h_{l−1} + a_l (residual, l ≥ 2) or a_l,
  with N the identity, batch norm (always batch statistics) or layer norm; output ŷ = W_o h_L + b_o.
  Backprop multiplies the signal by one Jacobian per layer,
      ∂E/∂h_{l−1} = ∂E/∂h_l · diag(σ'(z_l)) W_l   (no norm, no residual),
  so its size scales like Π_l ‖diag(σ'(z_l)) W_l‖: small init + sigmoid (σ' ≤ 1/4) vanishes,
  He init + ReLU keeps it near 1.
* RecurrentNet — x_t = F(x_{t−1}, u_t) for t = 1..T with x₀ = 0 and ŷ = W_o h_T + b_o, where
  F is a vanilla cell h_t = σ(W_in u_t + W_rec h_{t−1} + b), an LSTM (x = (h, c)) or a GRU.
  ∂E/∂x_k = ∂E/∂x_T · Π_{t=k+1..T} ∂x_t/∂x_{t−1}: the per-time-step gradient norms are the
  vanishing/exploding picture of Pascanu, Mikolov & Bengio (2013).

Both forward passes return the hidden states beside the output, still in the graph, so a run
can take ∂E/∂h_l (∂E/∂x_k) per layer (time step).
"""
from __future__ import annotations

import math

import torch
from torch import nn

from engine.activations import torch_sigma

SMALL_STD = 0.01  # "small normal" init: W_ij ~ N(0, 0.01²)
LARGE_STD = 1.0  # "large normal" init: W_ij ~ N(0, 1), i.e. gain √fan_in
LSTM_FORGET_BIAS = 1.0  # remember by default (Gers et al. 2000)


def init_weight_(w: torch.Tensor, scheme: str, gen: torch.Generator) -> None:
    """Fill w (fan_out × fan_in) in place.

    zeros: 0.  small_normal: N(0, SMALL_STD²).  large_normal: N(0, LARGE_STD²).
    xavier: N(0, 2/(fan_in+fan_out)).  he: N(0, 2/fan_in).  orthogonal: QR of a Gaussian (gain 1).
    """
    fan_out, fan_in = w.shape
    with torch.no_grad():
        if scheme == "zeros":
            w.zero_()
        elif scheme == "orthogonal":
            nn.init.orthogonal_(w, generator=gen)
        else:
            std = {
                "small_normal": SMALL_STD,
                "large_normal": LARGE_STD,
                "xavier": math.sqrt(2.0 / (fan_in + fan_out)),
                "he": math.sqrt(2.0 / fan_in),
            }[scheme]
            w.normal_(0.0, std, generator=gen)


class FeedForwardNet(nn.Module):
    """x → [Linear → norm → σ (+ skip)] × depth → Linear (module docstring)."""

    def __init__(self, n_in, n_out, depth, width, activation, norm="none", residual=False):
        super().__init__()
        self.activation, self.residual = activation, residual
        self.layers = nn.ModuleList(
            nn.Linear(n_in if l == 0 else width, width) for l in range(depth)
        )
        if norm == "batch":
            # batch statistics always (no running averages): the LR=0 twin then stays
            # exactly constant, and the 1000-point validation batch is large enough.
            self.norms = nn.ModuleList(
                nn.BatchNorm1d(width, track_running_stats=False) for _ in range(depth)
            )
        elif norm == "layer":
            self.norms = nn.ModuleList(nn.LayerNorm(width) for _ in range(depth))
        else:
            self.norms = None
        self.out = nn.Linear(width, n_out)

    def init_(self, scheme: str, gen: torch.Generator) -> None:
        for lin in [*self.layers, self.out]:
            init_weight_(lin.weight, scheme, gen)
            nn.init.zeros_(lin.bias)

    def forward(self, x):
        """Returns (output, [h_1, …, h_L]); the h_l stay in the graph so ∂E/∂h_l can be taken."""
        h, hs = x, []
        for l, lin in enumerate(self.layers):
            z = lin(h)
            if self.norms is not None:
                z = self.norms[l](z)
            a = torch_sigma(self.activation, z)
            h = h + a if (self.residual and l > 0) else a
            hs.append(h)
        return self.out(h), hs

    def param_groups(self):
        """(name, [weight]) per layer: the per-layer norms in the records."""
        names = [f"layer {l + 1}" for l in range(len(self.layers))] + ["output"]
        return [(n, [lin.weight]) for n, lin in zip(names, [*self.layers, self.out])]


class RecurrentNet(nn.Module):
    """x_t = F(x_{t−1}, u_t), x₀ = 0, ŷ = readout(h_T); F vanilla (σ(W_in u + W_rec h + b)), LSTM or GRU."""

    def __init__(self, n_in, hidden, n_out, cell="rnn", activation="tanh"):
        super().__init__()
        self.cell, self.activation, self.hidden = cell, activation, hidden
        if cell == "rnn":
            self.W_in = nn.Parameter(torch.zeros(hidden, n_in))
            self.W_rec = nn.Parameter(torch.zeros(hidden, hidden))
            self.b = nn.Parameter(torch.zeros(hidden))
        elif cell == "lstm":
            self.core = nn.LSTMCell(n_in, hidden)
        elif cell == "gru":
            self.core = nn.GRUCell(n_in, hidden)
        else:
            raise ValueError(f"unknown cell {cell!r}")
        self.readout = nn.Linear(hidden, n_out)

    # weight tensors by role, whatever the cell
    def w_in(self):
        return self.W_in if self.cell == "rnn" else self.core.weight_ih

    def w_rec(self):
        return self.W_rec if self.cell == "rnn" else self.core.weight_hh

    def biases(self):
        return [self.b] if self.cell == "rnn" else [self.core.bias_ih, self.core.bias_hh]

    def init_(self, rec_init: str, rec_gain: float, gen: torch.Generator) -> None:
        """W_in ~ N(0, 1/n_in), each H×H block of W_rec = rec_gain·(orthogonal | N(0,1/H) | I),
        readout ~ N(0, 1/H), biases 0 (LSTM forget gate LSTM_FORGET_BIAS)."""
        H = self.hidden
        with torch.no_grad():
            w_in, w_rec = self.w_in(), self.w_rec()
            w_in.normal_(0.0, 1.0 / math.sqrt(w_in.shape[1]), generator=gen)
            for blk in range(w_rec.shape[0] // H):  # 1 (rnn), 4 (lstm: i,f,g,o), 3 (gru: r,z,n)
                block = w_rec[blk * H : (blk + 1) * H]
                if rec_init == "orthogonal":
                    nn.init.orthogonal_(block, generator=gen)
                elif rec_init == "normal":
                    block.normal_(0.0, 1.0 / math.sqrt(H), generator=gen)
                else:
                    block.copy_(torch.eye(H))
                block.mul_(rec_gain)
            for b in self.biases():
                b.zero_()
            if self.cell == "lstm":
                self.core.bias_ih[H : 2 * H] = LSTM_FORGET_BIAS
            self.readout.weight.normal_(0.0, 1.0 / math.sqrt(H), generator=gen)
            self.readout.bias.zero_()

    def initial_state(self, batch: int) -> tuple:
        z = torch.zeros(batch, self.hidden, dtype=self.readout.weight.dtype)
        return (z, z.clone()) if self.cell == "lstm" else (z,)

    def cell_step(self, u: torch.Tensor, state: tuple) -> tuple:
        """One transition x_t = F(x_{t−1}, u_t); states are tuples ((h,) or (h, c))."""
        if self.cell == "rnn":
            (h,) = state
            return (torch_sigma(self.activation, u @ self.W_in.T + h @ self.W_rec.T + self.b),)
        if self.cell == "lstm":
            return tuple(self.core(u, state))
        return (self.core(u, state[0]),)

    def forward(self, inputs: torch.Tensor):
        """inputs (B, T, C) → (output (B, n_out), [x_1, …, x_T]) with each x_t a tuple of (B, H)."""
        state = self.initial_state(inputs.shape[0])
        states = []
        for t in range(inputs.shape[1]):
            state = self.cell_step(inputs[:, t], state)
            states.append(state)
        return self.readout(state[0]), states

    def param_groups(self):
        return [
            ("W_in", [self.w_in()]),
            ("W_rec", [self.w_rec()]),
            ("bias", self.biases()),
            ("W_out", [self.readout.weight]),
        ]
