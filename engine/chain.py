"""Linear chains: the simplest place where gradients vanish or explode.

Scalar chain   a_l = σ(w_l·a_{l−1} + b_l),  a_0 = x,  l = 1..n
Matrix chain   a_l = σ(W a_{l−1} + b),      W = V diag(λ) V⁻¹

Backpropagation multiplies one factor per layer. For the scalar chain
    ∂a_n/∂a_l = ∏_{j=l+1..n} w_j·σ'(h_j)          (h_j the pre-activation)
so with identity σ and shared w, ∂a_n/∂w_i = a_{i−1}·w^{n−i}: a power of w, which
vanishes for |w| < 1 and explodes for |w| > 1.

Every quantity is computed twice: by explicit chain-rule products in numpy (float64)
and by torch autograd. Overflow is not an error: arrays carry inf/NaN, and the result
says at which layer they first appeared.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from engine.activations import GAMMA, sigma, sigma_prime, torch_sigma
from engine.numerics import first_nonfinite, spectral_norms
from engine.regime import geometric_mean, regime


def _per_layer(value, n: int) -> np.ndarray:
    """A shared scalar, or one value per layer, as a float64 array of length n."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValueError(f"expected a scalar or {n} per-layer values, got shape {arr.shape}")
    return arr.copy()


def _reverse_cumprod(factors: np.ndarray) -> np.ndarray:
    """out[l] = ∏_{j>l} factors[j] (empty product 1): the backward pass of a chain."""
    with np.errstate(all="ignore"):
        tail = np.cumprod(factors[::-1])[::-1]
    return np.append(tail[1:], 1.0)


# ---------------------------------------------------------------- scalar chain


@dataclass(frozen=True)
class ScalarChain:
    """One pass through a_l = σ(w_l a_{l−1} + b_l). Arrays of per-layer values.

    method       what computed it: "numpy" (explicit chain-rule products), "autograd"
                 (torch) or "closed form" (the identity chain's formulas)
    activation   σ's name
    weights      w_1..w_n                 (n,)
    activations  a_0..a_n                 (n+1,)
    preacts      h_1..h_n                 (n,)
    slopes       σ'(h_1)..σ'(h_n)         (n,)
    factors      w_l·σ'(h_l), l = 1..n    (n,)   what one layer multiplies the backward signal by
    backprop     ∂a_n/∂a_l, l = 0..n      (n+1,) = ∏_{j=l+1..n} w_j σ'(h_j); 1 at l = n
    grad_w       ∂a_n/∂w_l, l = 1..n      (n,)   = a_{l−1}·σ'(h_l)·∂a_n/∂a_l
    grad_b       ∂a_n/∂b_l, l = 1..n      (n,)   = σ'(h_l)·∂a_n/∂a_l
    grad_x       ∂a_n/∂x = backprop[0]
    backprop_bound  ∏_{j=l+1..n} γ|w_j|, l = 0..n: |∂a_n/∂a_l| ≤ (γ|w|)^(n−l)   (n+1,)
    grad_w_bound    γ·|a_{l−1}|·backprop_bound[l], l = 1..n: the bound on |∂a_n/∂w_l|  (n,)
    first_nonfinite_activation  layer l (0..n) where a_l first became inf/NaN
    deepest_nonfinite_gradient  layer l (1..n) nearest the output whose ∂a_n/∂w_l is
                                inf/NaN: where the backward pass (output → input) broke
    rate         geometric mean of |factors|: the backprop factor's size per layer
    regime       engine.regime's name for rate: vanishing, stable, exploding (or undefined)
    """

    method: str
    activation: str
    weights: np.ndarray
    activations: np.ndarray
    preacts: np.ndarray
    slopes: np.ndarray
    factors: np.ndarray
    backprop: np.ndarray
    grad_w: np.ndarray
    grad_b: np.ndarray
    grad_x: float
    backprop_bound: np.ndarray
    grad_w_bound: np.ndarray
    first_nonfinite_activation: int | None
    deepest_nonfinite_gradient: int | None
    rate: float
    regime: str

    @property
    def depth(self) -> int:
        return len(self.preacts)


def _scalar_result(method, activation, w, activations, preacts, slopes, backprop, grad_w,
                   grad_b) -> ScalarChain:
    """A ScalarChain from the computed arrays, with the quantities every method shares
    (factors, bounds, where overflow began) derived in one place."""
    with np.errstate(all="ignore"):
        factors = w * slopes
        bound = _reverse_cumprod(GAMMA[activation] * np.abs(w))     # l = 1..n
        bound = np.append(GAMMA[activation] * abs(w[0]) * bound[0], bound)  # prepend l = 0
        grad_w_bound = GAMMA[activation] * np.abs(activations[:-1]) * bound[1:]
    rate = geometric_mean(factors)
    return ScalarChain(
        method=method, activation=activation, weights=w, activations=activations,
        preacts=preacts, slopes=slopes, factors=factors, backprop=backprop, grad_w=grad_w,
        grad_b=grad_b, grad_x=float(backprop[0]), backprop_bound=bound,
        grad_w_bound=grad_w_bound,
        first_nonfinite_activation=first_nonfinite(activations),
        deepest_nonfinite_gradient=_deepest_nonfinite(grad_w),
        rate=rate, regime=regime(rate),
    )


def scalar_chain(w, b, x: float, n: int, activation: str = "identity") -> ScalarChain:
    """Forward pass and explicit chain-rule backward pass, numpy float64.

    w, b: a shared scalar or one value per layer (length n).
    """
    if n < 1:
        raise ValueError("depth n must be at least 1")
    w, b = _per_layer(w, n), _per_layer(b, n)
    a = np.empty(n + 1)
    h = np.empty(n)
    a[0] = x
    with np.errstate(all="ignore"):
        for l in range(n):  # the forward pass is sequential by nature
            h[l] = w[l] * a[l] + b[l]
            a[l + 1] = sigma(activation, h[l])
        slopes = sigma_prime(activation, h)
        # ∂a_n/∂a_l for l = 1..n, then ∂a_n/∂a_0 = w_1 σ'(h_1)·∂a_n/∂a_1
        tail = _reverse_cumprod(w * slopes)
        backprop = np.append(w[0] * slopes[0] * tail[0], tail)
        grad_b = slopes * tail                  # ∂a_n/∂h_l = σ'(h_l)·∂a_n/∂a_l
        grad_w = grad_b * a[:-1]
    return _scalar_result("numpy", activation, w, a, h, slopes, backprop, grad_w, grad_b)


def _deepest_nonfinite(grads: np.ndarray) -> int | None:
    """1-based layer nearest the output whose gradient is inf/NaN (backward pass order)."""
    hits = np.flatnonzero(~np.isfinite(grads))
    return int(hits[-1]) + 1 if hits.size else None


def scalar_chain_autograd(w, b, x: float, n: int, activation: str = "identity") -> ScalarChain:
    """The same quantities as `scalar_chain`, from torch autograd (float64)."""
    w_np = _per_layer(w, n)
    w_t = torch.tensor(w_np, dtype=torch.float64, requires_grad=True)
    b_t = torch.tensor(_per_layer(b, n), dtype=torch.float64, requires_grad=True)
    x_t = torch.tensor(float(x), dtype=torch.float64, requires_grad=True)
    acts, pre = [x_t], []
    for l in range(n):
        pre.append(w_t[l] * acts[-1] + b_t[l])
        acts.append(torch_sigma(activation, pre[-1]))
    for a in acts[1:]:
        a.retain_grad()  # ∂a_n/∂a_l, the backprop factor, for every layer
    h = torch.stack(pre)
    a_n = acts[-1]
    # σ' from autograd too: differentiate σ elementwise at the recorded pre-activations.
    h_leaf = h.detach().clone().requires_grad_(True)
    (slopes,) = torch.autograd.grad(torch_sigma(activation, h_leaf).sum(), h_leaf)
    a_n.backward()
    backprop = np.array([float(a.grad) for a in acts[:-1]] + [1.0])
    return _scalar_result("autograd", activation, w_np, torch.stack(acts).detach().numpy(),
                          h.detach().numpy(), slopes.numpy(), backprop, w_t.grad.numpy(),
                          b_t.grad.numpy())


def geometric_sum(w: float, n) -> np.ndarray:
    """Σ_{j<n} wʲ = (wⁿ − 1)/(w − 1) (n at w = 1), without the cancellation that loses
    digits near w = 1: for w > 0, wⁿ − 1 = expm1(n·log1p(w − 1)), and w − 1 is exact there
    (Sterbenz), so at w = 1 ± 1e−12 the result keeps full precision where the textbook
    quotient keeps four digits. For w ≤ 0 the quotient has no cancellation (1 − w ≥ 1)."""
    n = np.asarray(n, dtype=np.float64)
    w = float(w)
    with np.errstate(all="ignore"):
        if w == 1.0:
            return n.copy()
        if w > 0.0:
            d = w - 1.0
            return np.expm1(n * np.log1p(d)) / d
        return (1.0 - w ** n) / (1.0 - w)


def identity_chain_closed_form(w: float, b: float, x: float, n: int) -> ScalarChain:
    """Identity σ, shared w and b, from the seed's formulas rather than a pass:

        a_l = wˡx + b·(wˡ − 1)/(w − 1)   (x + l·b at w = 1)
        ∂a_n/∂a_l = w^(n−l),   ∂a_n/∂w_l = a_{l−1}·w^(n−l),   ∂a_n/∂b_l = w^(n−l)
    """
    if n < 1:
        raise ValueError("depth n must be at least 1")
    w, b, x = float(w), float(b), float(x)
    layers = np.arange(n + 1)
    with np.errstate(all="ignore"):
        a = np.float64(w) ** layers * x + b * geometric_sum(w, layers)
        backprop = np.float64(w) ** (n - layers)
        preacts, grad_w = w * a[:-1] + b, a[:-1] * backprop[1:]
    return _scalar_result("closed form", "identity", np.full(n, w), a, preacts, np.ones(n),
                          backprop, grad_w, backprop[1:].copy())


def reference_chain(w: float, b: float, x: float, n: int, activation: str) -> ScalarChain:
    """What the theory says, for a shared w and b: the seed's closed forms for σ = identity
    (identity_chain_closed_form), else numpy's explicit forward pass and chain-rule products."""
    if activation == "identity":
        return identity_chain_closed_form(w, b, x, n)
    return scalar_chain(w, b, x, n, activation)


# ---------------------------------------------------------------- matrix chain


def spectrum(eig, d: int, rotation_deg: float = 0.0) -> np.ndarray:
    """d eigenvalues from a short list of chosen real ones.

    With rotation θ > 0 (and d ≥ 2) the first becomes the conjugate pair λ₁e^{±iθ}
    (a rotation-scaling block). The remaining slots cycle through the rest of the
    list, so `eig=(1.05, 0.9)` in d = 5 gives 1.05, 0.9, 1.05, 0.9, 1.05.
    """
    eig = np.asarray(eig, dtype=np.float64).ravel()
    if rotation_deg and d >= 2:
        pair = eig[0] * np.exp(1j * np.deg2rad(rotation_deg) * np.array([1, -1]))
        rest = eig[1:] if len(eig) > 1 else eig
        return np.concatenate([pair, np.resize(rest, d - 2)]).astype(np.complex128)
    return np.resize(eig, d).astype(np.complex128)


def parse_eigenvalues(eig) -> np.ndarray:
    """Complex array of eigenvalues; each non-real one must have its conjugate present."""
    eig = np.asarray(eig, dtype=np.complex128).ravel()
    real = np.abs(eig.imag) < 1e-12
    upper = np.sort_complex(eig[~real & (eig.imag > 0)])
    lower = np.sort_complex(np.conj(eig[~real & (eig.imag < 0)]))
    if upper.shape != lower.shape or not np.allclose(upper, lower, atol=1e-12):
        raise ValueError("complex eigenvalues must come in conjugate pairs")
    return eig


def block_diagonal(eig: np.ndarray) -> np.ndarray:
    """Real matrix D with the given eigenvalues: a_k on the diagonal for real λ,
    a 2×2 block [[a, −c], [c, a]] for each pair a ± ic (a rotation times |λ|)."""
    eig = parse_eigenvalues(eig)
    reals = eig[np.abs(eig.imag) < 1e-12].real
    pairs = eig[eig.imag >= 1e-12]
    d = len(eig)
    D = np.zeros((d, d))
    i = 0
    for lam in pairs:  # pairs first, so block k covers columns 2k, 2k+1
        D[i:i + 2, i:i + 2] = [[lam.real, -lam.imag], [lam.imag, lam.real]]
        i += 2
    for lam in reals:
        D[i, i] = lam
        i += 1
    return D


def block_eigenvalues(eig: np.ndarray) -> np.ndarray:
    """The eigenvalue each column of `block_diagonal(eig)` belongs to (pair: λ, λ̄)."""
    eig = parse_eigenvalues(eig)
    pairs = eig[eig.imag >= 1e-12]
    reals = eig[np.abs(eig.imag) < 1e-12].real
    out = [z for lam in pairs for z in (lam, np.conj(lam))]
    return np.array(out + list(reals.astype(np.complex128)))


def eigenbasis(d: int, non_normality: float, seed: int) -> np.ndarray:
    """V = Q₁·diag(s)·Q₂ with s from 1 down to 10^(−non_normality): cond(V) = 10^κ.

    κ = 0 gives an orthogonal V (W normal); larger κ makes the eigenvectors nearly
    parallel, so ‖Wˡ‖ can grow for a while even when every |λ| < 1.
    """
    rng = np.random.default_rng(seed)
    q1, _ = np.linalg.qr(rng.standard_normal((d, d)))
    q2, _ = np.linalg.qr(rng.standard_normal((d, d)))
    s = np.logspace(0.0, -non_normality, d) if d > 1 else np.ones(1)
    return q1 @ np.diag(s) @ q2


@dataclass(frozen=True)
class MatrixChain:
    """One pass through a_l = σ(W a_{l−1} + b), W = V D V⁻¹.

    W, V                      (d, d)
    eigenvalues               (d,) complex, one per column of D (pairs adjacent)
    activations               a_0..a_n                  (n+1, d)
    activation_norms          ‖a_l‖₂                    (n+1,)
    weight_grad_norms         ‖∂a_n/∂W_l‖_F, l = 1..n   (n,)
    state_grad_norms          ‖∂a_n/∂a_l‖₂,  l = 0..n   (n+1,)  (spectral norm)
    eigen_coordinates         |z_l| per eigen-block, z_l = V⁻¹a_l   (n+1, d)
    eigen_prediction          |c_i|·|λ_i|ˡ with c = V⁻¹x (identity σ, b = 0) (n+1, d)
    first_nonfinite_activation / deepest_nonfinite_gradient as in ScalarChain
    spectral_radius           max|λ_i|
    rate                      measured gradient factor per layer: the geometric mean of
                              ‖∂a_n/∂a_{l−1}‖₂ / ‖∂a_n/∂a_l‖₂ over the finite ratios
                              (= ‖∂a_n/∂a_0‖₂^(1/n) while every norm is finite)
    regime                    engine.regime's name for rate
    """

    W: np.ndarray
    V: np.ndarray
    eigenvalues: np.ndarray
    activations: np.ndarray
    activation_norms: np.ndarray
    weight_grad_norms: np.ndarray
    state_grad_norms: np.ndarray
    eigen_coordinates: np.ndarray
    eigen_prediction: np.ndarray
    first_nonfinite_activation: int | None
    deepest_nonfinite_gradient: int | None
    spectral_radius: float
    rate: float
    regime: str


def chain_matrix(eig, non_normality: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """W = V D V⁻¹ with the chosen eigenvalues; returns (W, V)."""
    D = block_diagonal(eig)
    V = eigenbasis(len(D), non_normality, seed)
    return V @ D @ np.linalg.inv(V), V


def start_vector(d: int, seed: int) -> np.ndarray:
    """The input a_0: a seeded random unit vector (a different stream from V's)."""
    x = np.random.default_rng([seed, 1]).standard_normal(d)
    return x / np.linalg.norm(x)


def _block_magnitudes(z: np.ndarray, eig: np.ndarray) -> np.ndarray:
    """|coordinate| per column, with the two columns of a complex pair sharing the
    norm of their 2-vector (the rotation moves weight between them)."""
    mags = np.abs(z)
    paired = np.flatnonzero(np.abs(eig.imag) >= 1e-12)
    for i in paired[::2]:
        mags[..., i] = mags[..., i + 1] = np.hypot(z[..., i], z[..., i + 1])
    return mags


def matrix_chain(eig, n: int, activation: str = "identity", non_normality: float = 0.0,
                 seed: int = 0, bias: float = 0.0) -> MatrixChain:
    """Forward pass and explicit backward products ∂a_n/∂a_l = ∏ diag(σ'(h_j)) W."""
    W, V = chain_matrix(eig, non_normality, seed)
    d = len(W)
    eigen_cols = block_eigenvalues(eig)
    x = start_vector(d, seed)
    b = np.full(d, float(bias))
    a = np.empty((n + 1, d))
    h = np.empty((n, d))
    a[0] = x
    with np.errstate(all="ignore"):
        for l in range(n):
            h[l] = W @ a[l] + b
            a[l + 1] = sigma(activation, h[l])
        slopes = sigma_prime(activation, h)
        # J[l] = ∂a_n/∂a_l, built from the output backwards: J[l−1] = J[l]·diag(σ'(h_l))·W
        J = np.empty((n + 1, d, d))
        J[n] = np.eye(d)
        for l in range(n, 0, -1):
            J[l - 1] = (J[l] * slopes[l - 1]) @ W
        state_grad_norms = spectral_norms(J)
        ratios = state_grad_norms[:-1] / state_grad_norms[1:]
        # ∂a_n/∂W_l[k, i, j] = (J[l]·diag σ'(h_l))[k, i]·a_{l−1}[j]: a rank-one Frobenius norm
        weight_grad_norms = (np.linalg.norm(J[1:] * slopes[:, None, :], axis=(1, 2))
                             * np.linalg.norm(a[:-1], axis=1))
        V_inv = np.linalg.inv(V)
        coords = _block_magnitudes(a @ V_inv.T, eigen_cols)
        c = _block_magnitudes(V_inv @ x, eigen_cols)
        prediction = c[None, :] * np.abs(eigen_cols)[None, :] ** np.arange(n + 1)[:, None]
        activation_norms = np.linalg.norm(a, axis=1)
    rate = geometric_mean(ratios[np.isfinite(ratios)])
    return MatrixChain(
        W=W, V=V, eigenvalues=eigen_cols, activations=a,
        activation_norms=activation_norms,
        weight_grad_norms=weight_grad_norms,
        state_grad_norms=state_grad_norms,
        eigen_coordinates=coords,
        eigen_prediction=prediction,
        first_nonfinite_activation=first_nonfinite(a),
        deepest_nonfinite_gradient=_deepest_nonfinite(weight_grad_norms),
        spectral_radius=float(np.max(np.abs(eigen_cols))), rate=rate, regime=regime(rate),
    )


def matrix_chain_from_eigenvalues(eig, d: int, rotation_deg: float, n: int, activation: str,
                                  non_normality: float, seed: int) -> MatrixChain:
    """The matrix chain of /matrix: d eigenvalues from a few chosen ones (`spectrum`)."""
    return matrix_chain(spectrum(eig, d, rotation_deg), n, activation, non_normality, seed)
