"""Pascanu, Mikolov & Bengio's (2013) regulariser Ω for recurrent nets: it asks every one-step
Jacobian ∂x_{k+1}/∂x_k to keep the size of the backpropagated error, so the gradient neither
vanishes nor explodes back in time (the equation: `omega`)."""
from __future__ import annotations

import torch

from engine.training.models import RecurrentNet


def omega(model: RecurrentNet, inputs: torch.Tensor, states: list, state_grads: list) -> torch.Tensor:
    """Pascanu et al. (2013) eq. 9, averaged over the batch:

        Ω = (1/B) Σ_b Σ_{k=0}^{T−1} ( ‖g_{k+1} ∂x_{k+1}/∂x_k‖ / ‖g_{k+1}‖ − 1 )²,   g_{k+1} = ∂E/∂x_{k+1}

    inputs (B, T, C); states [x_1..x_T] and state_grads [g_1..g_T] as from the forward pass and
    torch.autograd.grad (tuples per step; a None component counts as 0). As in the paper
    (their ∂⁺, the "immediate" derivative) g and x_k are constants: we re-run the one-step map
    on detached copies of x_0..x_{T−1} — all T steps at once as one batch of T·B — and take the
    vector-Jacobian products with create_graph=True, so Ω is differentiable in the cell's
    weights (W_rec directly, and through σ'(a_{k+1})) but not through earlier time steps.
    Run.step adds α·∂Ω/∂W_rec to the recurrent weights only, as Pascanu's code does.
    Norms are over the whole state (h and c for the LSTM). Terms with g_{k+1} = 0 (or
    non-finite) have no direction and count 0.

    Pascanu's released code differs in two details we do not copy: it uses squared norms
    inside the ratio and divides the sum over k by the number of valid terms (≈ a mean over
    time, with α = 2). With the sum above, α ≈ 2/T is the comparable strength.
    """
    B, T, _ = inputs.shape
    prev = [model.initial_state(B)] + [tuple(s) for s in states[:-1]]
    n_comp = len(prev[0])
    # x_k stacked over k: component i has shape (T·B, H); detached leaves so ∂x_{k+1}/∂x_k is
    # the one-step Jacobian only.
    x_prev = tuple(
        torch.cat([p[i].detach() for p in prev], dim=0).requires_grad_(True) for i in range(n_comp)
    )
    u = inputs.transpose(0, 1).reshape(T * B, -1)
    x_next = model.cell_step(u, x_prev)
    g = [
        torch.cat(
            [torch.zeros_like(x_prev[i][:B]) if sg[i] is None else sg[i].detach() for sg in state_grads],
            dim=0,
        )
        for i in range(n_comp)
    ]
    g_norm = torch.sqrt(sum((gi * gi).sum(dim=1) for gi in g))  # (T·B,)
    ok = torch.isfinite(g_norm) & (g_norm > 0)
    scale = torch.where(ok, 1.0 / torch.where(ok, g_norm, torch.ones_like(g_norm)), torch.zeros_like(g_norm))
    g_unit = [gi * scale[:, None] for gi in g]  # ĝ = g/‖g‖: same ratio, no underflow
    vjp = torch.autograd.grad(x_next, x_prev, grad_outputs=g_unit, create_graph=True)
    v_norm = torch.sqrt(sum((v * v).sum(dim=1) for v in vjp) + 1e-30)  # eps: d√ at 0
    terms = torch.where(ok, (v_norm - 1.0) ** 2, torch.zeros_like(v_norm))
    return terms.sum() / B
