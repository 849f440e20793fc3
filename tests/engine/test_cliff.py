"""engine.cliff: E(w, b) = (σ(x_T) − 0.7)², its wall, and clipped gradient descent."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from engine.cliff import (
    DEFAULT_B_RANGE, DEFAULT_LR, DEFAULT_START, DEFAULT_THRESHOLD, DEFAULT_W_RANGE, PRESETS,
    angle_deg, clip_by_norm, clip_by_value, compare_clipping, descend_from, descend_many, loss,
    surface,
)
from engine.activations import sigma

WALL_SLOPE = float(sigma("sigmoid", 0.5))  # the wall: b* = 0.5 − w·σ(0.5)


def torch_loss_grad(w, b, x0=0.5, T=50, target=0.7):
    w = torch.tensor(float(w), dtype=torch.float64, requires_grad=True)
    b = torch.tensor(float(b), dtype=torch.float64, requires_grad=True)
    x = torch.tensor(x0, dtype=torch.float64)
    for _ in range(T):
        x = w * torch.sigmoid(x) + b
    E = (torch.sigmoid(x) - target) ** 2
    E.backward()
    return E.item(), w.grad.item(), b.grad.item()


@pytest.fixture(scope="module")
def default_surface():
    return surface()


def test_surface_gradient_equals_autograd_on_grid_points(default_surface):
    S = default_surface
    assert S.E.shape == S.dE_dw.shape == (S.b.size, S.w.size) == (200, 200)
    for i, j in [(0, 0), (199, 199), (50, 120), (120, 50), (100, 100), (140, 170)]:
        E, gw, gb = torch_loss_grad(S.w[j], S.b[i])
        assert S.E[i, j] == pytest.approx(E, rel=1e-10, abs=1e-15)
        assert S.dE_dw[i, j] == pytest.approx(gw, rel=1e-8, abs=1e-300)
        assert S.dE_db[i, j] == pytest.approx(gb, rel=1e-8, abs=1e-300)


@pytest.mark.parametrize("w,d", [(4.6, -1.7e-3), (5.0, 3e-5), (6.0, -1e-7), (4.8, -2e-4)])
def test_wall_gradient_equals_autograd(w, d):
    b = 0.5 - w * WALL_SLOPE + d
    L = loss(w, b)
    E, gw, gb = torch_loss_grad(w, b)
    assert abs(float(L.dE_db)) > 10  # on the wall
    assert float(L.dE_dw) == pytest.approx(gw, rel=1e-8)
    assert float(L.dE_db) == pytest.approx(gb, rel=1e-8)


def test_default_grid_shows_the_cliff(default_surface):
    S = default_surface
    assert (S.w[0], S.w[-1], S.b[0], S.b[-1]) == (*DEFAULT_W_RANGE, *DEFAULT_B_RANGE)
    # across the wall (w > 4.5) E steps by > 0.2 between neighbouring grid rows
    for j in np.flatnonzero(S.w > 4.5)[::10]:
        wall = 0.5 - S.w[j] * WALL_SLOPE
        below, above = S.E[S.b < wall - 0.03, j][-1], S.E[S.b > wall + 0.03, j][0]
        assert below - above > 0.2
    # and the zero-loss valley reaches the wall's foot
    assert S.E.min() < 1e-6


def test_grid_equals_pointwise_evaluation_rows_are_b():
    S = surface(n_w=7, n_b=5)
    np.testing.assert_array_equal(S.E[3, 4], loss(S.w[4], S.b[3]).E)
    np.testing.assert_array_equal(S.grad_norm, np.hypot(S.dE_dw, S.dE_db))


# ---------------------------------------------------------------- clipping

@settings(max_examples=200, deadline=None)
@given(g=st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=5), thr=st.floats(0.01, 100))
def test_clip_by_norm_bounds_norm_and_keeps_direction(g, thr):
    g = np.array(g)
    c = clip_by_norm(g, thr)
    n = np.linalg.norm(g)
    assert np.linalg.norm(c) <= thr * (1 + 1e-12) or np.array_equal(c, g)
    if n > thr:
        assert np.linalg.norm(c) == pytest.approx(thr, rel=1e-12)
        assert c @ g / (np.linalg.norm(c) * n) == pytest.approx(1.0, abs=1e-12)
        assert angle_deg(g, c) < 1e-6
    else:
        np.testing.assert_array_equal(c, g)


def test_value_clipping_bends_an_unbalanced_gradient():
    g = np.array([10.0, 0.1])
    cmp = compare_clipping(g, 1.0)
    np.testing.assert_array_equal(cmp.by_value, [1.0, 0.1])
    expected = np.degrees(np.arctan2(0.1, 1.0) - np.arctan2(0.1, 10.0))
    assert cmp.angle_by_value == pytest.approx(expected, rel=1e-12)
    assert cmp.angle_by_value > 5
    assert cmp.angle_by_norm < 1e-6 and cmp.norm_by_norm == pytest.approx(1.0)
    # a balanced one keeps its direction under value clipping too
    assert compare_clipping([5.0, -5.0], 1.0).angle_by_value < 1e-6


def test_angle_is_exact_at_the_ends():
    assert angle_deg([1.0, 0.0], [0.0, 2.0]) == pytest.approx(90.0)
    assert angle_deg([1.0, 1.0], [-3.0, -3.0]) == pytest.approx(180.0)
    assert angle_deg([3.0, 4.0], [3.0, 4.0]) == 0.0


# ---------------------------------------------------------------- descent

def test_plain_gd_beside_the_wall_steps_ten_times_farther_than_clipped():
    w0, b0 = DEFAULT_START
    assert abs(b0 - (0.5 - w0 * WALL_SLOPE)) < 3e-3  # really beside the wall
    plain, norm, value = descend_many(w0, b0, DEFAULT_LR, 100, threshold=DEFAULT_THRESHOLD)
    assert plain.step_norm[0] >= 10 * norm.step_norm[0]
    assert plain.step_norm[0] >= 10 * value.step_norm[0]
    # clipped paths end lower than plain GD, which was thrown onto a far plateau
    assert max(norm.loss[-1], value.loss[-1]) < 0.01 < 0.05 < plain.loss[-1]


def test_walk_into_wall_preset_paths_coincide_until_the_wall():
    p = PRESETS["walk_into_wall"]
    plain, norm, _ = descend_many(p["w0"], p["b0"], p["lr"], p["steps"], threshold=p["threshold"])
    k = int(np.argmax(plain.step_norm / norm.step_norm))
    assert plain.step_norm[k] >= 10 * norm.step_norm[k]
    np.testing.assert_array_equal(plain.path[:k + 1], norm.path[:k + 1])
    assert np.all(plain.grad_norm[:k] < p["threshold"])


@pytest.mark.parametrize("method", ["plain", "norm", "value"])
def test_descent_records_are_consistent(method):
    thr, lr = 0.05, 0.2
    P, = descend_many(5.0, -2.0, lr, 40, (method,), thr)
    assert P.path.shape == (41, 2) and P.loss.shape == (41,) and P.step_norm.shape == (40,)
    clip = {"plain": lambda g: g, "norm": lambda g: clip_by_norm(g, thr),
            "value": lambda g: clip_by_value(g, thr)}[method]
    np.testing.assert_allclose(np.diff(P.path, axis=0), -lr * clip(P.grad), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(P.step_norm, np.linalg.norm(np.diff(P.path, axis=0), axis=1),
                               rtol=1e-9)
    np.testing.assert_allclose(P.grad_norm, np.linalg.norm(P.grad, axis=1), rtol=1e-12)
    np.testing.assert_allclose(P.loss[[0, 17, 40]], loss(P.path[[0, 17, 40], 0],
                                                         P.path[[0, 17, 40], 1]).E, rtol=1e-12)
    if method == "norm":
        assert np.all(P.step_norm <= lr * thr * (1 + 1e-12))
        assert np.all(P.angle < 1e-6)
    if method == "plain":
        assert np.all(P.angle == 0)
    if method == "value":
        assert P.angle.max() > 1  # bent at least once
    assert P.diverged_at == -1


def test_divergence_is_recorded_and_carried_not_raised():
    with np.errstate(all="raise"):
        P, = descend_many(*DEFAULT_START, lr=1e307, steps=5, methods=("plain",))
        assert P.diverged_at == 1 and not np.all(np.isfinite(P.path[1]))
        np.testing.assert_array_equal(P.path[2:], np.broadcast_to(P.path[1], (4, 2)))
        assert np.all(P.step_norm[1:] == 0) and not np.isfinite(P.grad_norm[1])
        assert P.loss[-1] == pytest.approx((1 - 0.7) ** 2)  # b = +inf: x_T = inf, σ = 1
        # the clipped runs take bounded steps and never diverge
        Q, = descend_many(*DEFAULT_START, lr=1e307, steps=2, methods=("norm",), threshold=1e-300)
        assert Q.diverged_at == -1
        assert np.isnan(clip_by_norm([np.nan, 1.0], 1.0)).any()
        np.testing.assert_array_equal(clip_by_value([np.inf, -5.0], 1.0), [1.0, -1.0])
        assert np.isnan(compare_clipping([0.0, 0.0]).angle_by_norm)
        loss(np.array([np.inf, np.nan]), 0.0)


def test_unknown_method_raises():
    with pytest.raises(ValueError):
        descend_many(1.0, 0.0, methods=("adam",))


@pytest.mark.parametrize("start,regime", [((4.6, -2.365), "exploding"), ((5.0, -3.0), "exploding"),
                                          ((3.0, -1.0), "stable")])
def test_descent_story_from_the_paths(start, regime):
    r = descend_from(*start, lr=0.1, steps=100, threshold=1.0)
    plain = r.paths[0]
    assert r.largest_step == plain.step_norm.max() == plain.step_norm[r.largest_step_at]
    assert r.cap == pytest.approx(0.1) and r.ratio == r.largest_step / r.cap
    assert r.regime == regime == ("exploding" if r.ratio >= 10 else "stable")
    assert r.clipped == bool(np.any(plain.grad_norm > 1.0))
    np.testing.assert_array_equal(r.start.raw, plain.grad[0])
    w, x0 = start[0], 0.5
    assert r.wall == pytest.approx(x0 - w * float(sigma("sigmoid", x0)), rel=1e-15)
    for P, out in zip(r.paths, r.left_frame):
        inside = (P.path[:, 0] >= 2) & (P.path[:, 0] <= 8) & (P.path[:, 1] >= -5) & (P.path[:, 1] <= 0)
        assert out == (None if inside.all() else int(np.argmin(inside)))


# ---------------------------------------------------------------- the scalar fast path

@pytest.mark.parametrize("activation,readout", [("sigmoid", "sigmoid"), ("tanh", "sigmoid"),
                                                ("identity", "tanh"), ("sigmoid", "identity")])
def test_scalar_loss_path_equals_vectorised_loss(activation, readout):
    from engine.cliff import _loss_and_grad
    rng = np.random.default_rng(3)
    p = np.column_stack([rng.uniform(-1, 6, 40), rng.uniform(-4, 1, 40)])
    if activation == "identity":
        p[:, 0] = rng.uniform(-1.2, 1.2, 40)
    E, g = _loss_and_grad(p, 0.5, 30, 0.7, activation, readout)
    L = loss(p[:, 0], p[:, 1], 0.5, 30, 0.7, activation, readout)
    np.testing.assert_allclose(E, L.E, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(g, np.column_stack([L.dE_dw, L.dE_db]), rtol=1e-10, atol=1e-300)
    # relu has no scalar twin: the vectorised path answers
    E2, g2 = _loss_and_grad(p, 0.5, 30, 0.7, "sigmoid", "relu")
    L2 = loss(p[:, 0], p[:, 1], 0.5, 30, 0.7, "sigmoid", "relu")
    np.testing.assert_array_equal(E2, L2.E)


def test_descent_equals_a_step_by_step_reference_with_loss():
    lr, thr, steps = 0.3, 0.05, 30
    paths = descend_many(5.0, -2.0, lr, steps, threshold=thr)
    for P, clip in zip(paths, (lambda g: g, lambda g: clip_by_norm(g, thr),
                               lambda g: clip_by_value(g, thr))):
        p = np.array([5.0, -2.0])
        for k in range(steps):
            np.testing.assert_allclose(P.path[k], p, rtol=1e-10)
            L = loss(*p)
            p = p - lr * clip(np.array([float(L.dE_dw), float(L.dE_db)]))
        np.testing.assert_allclose(P.path[-1], p, rtol=1e-10)
