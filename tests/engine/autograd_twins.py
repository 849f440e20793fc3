"""torch autograd twins of the engine's explicit products, used only as the tests' oracle
(as micrograd's tests hold its engine against PyTorch): the engine computes these quantities
one way, and tests/engine/test_chain.py and test_rnn.py hold them against autograd here."""
import numpy as np
import torch

from engine.activations import torch_sigma
from engine.chain import chain_matrix, start_vector
from engine.numerics import spectral_norms


def matrix_chain_autograd(eig, n: int, activation: str = "identity",
                          non_normality: float = 0.0, seed: int = 0,
                          bias: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """‖∂a_n/∂W_l‖_F (l = 1..n) and ‖∂a_n/∂a_l‖₂ (l = 0..n) from torch autograd.

    Every layer gets its own leaf copy of W so autograd reports each layer's share.
    """
    W_np, _ = chain_matrix(eig, non_normality, seed)
    d = len(W_np)
    Ws = [torch.tensor(W_np, requires_grad=True) for _ in range(n)]
    b = torch.full((d,), float(bias), dtype=torch.float64)
    acts = [torch.tensor(start_vector(d, seed), requires_grad=True)]
    for W in Ws:
        acts.append(torch_sigma(activation, W @ acts[-1] + b))
    for a in acts:
        a.retain_grad()
    weight_sq = np.zeros(n)
    state_jac = np.zeros((n + 1, d, d))
    for k in range(d):  # one backward pass per output component a_n[k]
        for t in Ws + acts:
            t.grad = None
        acts[-1][k].backward(retain_graph=True)
        weight_sq += np.array([float((W.grad ** 2).sum()) for W in Ws])
        state_jac[:, k, :] = np.stack([
            a.grad.numpy() if a.grad is not None else np.zeros(d) for a in acts])
    return np.sqrt(weight_sq), spectral_norms(state_jac)


def _t(x) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x, dtype=np.float64))


def _torch_states(W, drive, h0, act, taps):
    """Vanilla rollout in torch with a zero tap δ_t added to each h_t: ∂(·)/∂δ_t is
    exactly ∂(·)/∂h_t, and the taps are one leaf tensor autograd can differentiate."""
    W, drive = _t(W), _t(drive)
    h = _t(h0) + taps[0]
    states = [h]
    for t in range(1, len(drive) + 1):
        h = torch_sigma(act, W @ h + drive[t - 1]) + taps[t]
        states.append(h)
    return states


def autograd_jacobian_chain(W, drive, h0, act: str, t: int | None = None) -> np.ndarray:
    """Twin of jacobian_chain by torch autograd (float64): P[l] = ∂h_t/∂h_{t−l}."""
    T, d = np.shape(drive)
    t = T if t is None else int(t)
    drive = np.asarray(drive)[:t]
    taps = torch.zeros((t + 1, d), dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(
        lambda taps: _torch_states(W, drive, h0, act, taps)[t], taps)  # (d, t+1, d)
    return jac.permute(1, 0, 2).flip(0).numpy()  # [k] → [l = t − k]


def autograd_contribution_map(W, drive, h0, act: str, readout) -> np.ndarray:
    """Twin of contribution_map: autograd of every J_t = u·h_t w.r.t. every h_k."""
    T, d = np.shape(drive)
    u = _t(readout)
    taps = torch.zeros((T + 1, d), dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(
        lambda taps: torch.stack([u @ h for h in _torch_states(W, drive, h0, act, taps)[1:]]),
        taps)  # (T, T+1, d): [t−1, k] = ∂J_t/∂h_k
    C = np.full((T + 1, T + 1), np.nan)
    C[1:] = torch.linalg.vector_norm(jac, dim=-1).numpy()
    C[np.triu_indices(T + 1, 1)] = np.nan  # J_t does not depend on h_k for k > t
    return C


