"""engine.dynamics: the one-unit map x_t = w·σ(x_{t−1}) + b (Pascanu et al. 2013)."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from engine.activations import sigma, torch_sigma
from engine.dynamics import (
    PASCANU_W, bifurcation_diagram, fixed_points, folds, folds_in_b, folds_in_w,
    gradient_sweep, iterate,
)

# Ranges keep |x_t| ≲ 9 for the sigmoid: beyond ~18 torch's σ' = σ(1−σ) loses
# relative accuracy (1 − σ rounds), so it would stop being a valid reference.
RANGES = {"sigmoid": (6.0, 3.0, 3.0), "tanh": (4.0, 2.0, 2.0), "identity": (1.5, 2.0, 2.0)}


def torch_sensitivities(w, b, x0, T, activation):
    """Reverse-mode ∂x_t/∂(w, b, x0) for every t; lanes are independent, so the
    gradient of Σ_lanes x_t is the per-lane derivative."""
    w, b, x0 = (torch.tensor(np.asarray(v, float), dtype=torch.float64, requires_grad=True)
                for v in (w, b, x0))
    xs, x = [x0], x0
    for _ in range(T):
        x = w * torch_sigma(activation, x) + b
        xs.append(x)
    out = {k: [np.zeros_like(x0.detach().numpy())] for k in ("w", "b")}
    out["x0"] = [np.ones_like(x0.detach().numpy())]
    for t in range(1, T + 1):
        gw, gb, gx = torch.autograd.grad(xs[t].sum(), (w, b, x0), retain_graph=True)
        out["w"].append(gw.numpy()), out["b"].append(gb.numpy()), out["x0"].append(gx.numpy())
    xs = np.stack([v.detach().numpy() for v in xs])
    return xs, {k: np.stack(v) for k, v in out.items()}


def assert_rel(a, ref, rtol=1e-8):
    finite = np.isfinite(a) & np.isfinite(ref)
    assert finite.mean() > 0.5  # the comparison must actually compare something
    err = np.abs(a - ref)[finite]
    bound = rtol * np.abs(ref)[finite] + 1e-300
    assert np.all(err <= bound), f"max rel err {np.max(err / (np.abs(ref[finite]) + 1e-300)):.3e}"


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "identity"])
def test_forward_mode_equals_torch_autograd_on_random_batch(activation):
    rng = np.random.default_rng(0)
    sw, sb, sx = RANGES[activation]
    n = 300
    w, b, x0 = rng.uniform(-sw, sw, n), rng.uniform(-sb, sb, n), rng.uniform(-sx, sx, n)
    tr = iterate(w, b, x0, T=40, activation=activation)
    xs, ref = torch_sensitivities(w, b, x0, 40, activation)
    np.testing.assert_allclose(tr.x, xs, rtol=1e-12, atol=1e-12)
    assert_rel(tr.dx_dw, ref["w"])
    assert_rel(tr.dx_db, ref["b"])
    assert_rel(tr.dx_dx0, ref["x0"])


@settings(max_examples=40, deadline=None)
@given(activation=st.sampled_from(["sigmoid", "tanh", "identity"]),
       u=st.tuples(*[st.floats(-1, 1)] * 3), T=st.integers(1, 30))
def test_forward_mode_equals_torch_autograd_hypothesis(activation, u, T):
    sw, sb, sx = RANGES[activation]
    w, b, x0 = u[0] * sw, u[1] * sb, u[2] * sx
    tr = iterate(w, b, x0, T=T, activation=activation)
    _, ref = torch_sensitivities([w], [b], [x0], T, activation)
    for name, mine in (("w", tr.dx_dw), ("b", tr.dx_db), ("x0", tr.dx_dx0)):
        mine, r = mine[:, None], ref[name]
        finite = np.isfinite(mine) & np.isfinite(r)
        assert np.all(np.abs(mine - r)[finite] <= 1e-8 * np.abs(r)[finite] + 1e-300), name


@pytest.mark.parametrize("w", [-1.7, -0.5, 0.3, 1.0, 1.2, 2.5])
def test_identity_closed_form(w):
    x0, T = 0.7, 40
    tr = iterate(w, 0.0, x0, T, "identity")
    t = np.arange(T + 1)
    np.testing.assert_allclose(tr.x, x0 * w ** t, rtol=1e-12)
    np.testing.assert_allclose(tr.dx_dw, t * x0 * w ** (t - 1.0), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(tr.dx_dx0, w ** t, rtol=1e-12)


def test_broadcasting_grid_equals_scalar_runs_and_last_only():
    w, b = np.array([[3.0], [5.0], [-2.0]]), np.array([[-2.5, -2.0, 0.0, 1.0]])
    tr = iterate(w, b, 0.5, 20)
    assert tr.x.shape == tr.dx_dw.shape == (21, 3, 4)
    one = iterate(5.0, 0.0, 0.5, 20)
    np.testing.assert_array_equal(tr.x[:, 1, 2], one.x)
    np.testing.assert_array_equal(tr.dx_db[:, 1, 2], one.dx_db)
    last = iterate(w, b, 0.5, 20, last_only=True)
    assert last.x.shape == (1, 3, 4)
    np.testing.assert_array_equal(last.dx_dw[-1], tr.dx_dw[-1])


# ---------------------------------------------------------------- fixed points

def brute_force_count(w, b, activation, n=200_001):
    lo, hi = (min(b, w + b), max(b, w + b)) if activation == "sigmoid" else (b - abs(w), b + abs(w))
    x = np.linspace(lo - 1, hi + 1, n)
    g = w * sigma(activation, x) + b - x
    return int(np.sum(np.sign(g[1:]) * np.sign(g[:-1]) < 0))


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_fixed_points_solve_the_equation_and_are_all_found(activation):
    rng = np.random.default_rng(1)
    scale = 12.0 if activation == "sigmoid" else 4.0
    w = rng.uniform(-scale, scale, 60)
    b = rng.uniform(-scale / 2, scale / 2, 60)
    # bias half the draws into the bistable region, where 3 roots exist
    if activation == "sigmoid":
        b[::2] = -w[::2] / 2 + rng.uniform(-0.3, 0.3, 30)
    else:
        b[::2] = rng.uniform(-0.1, 0.1, 30)
    fp = fixed_points(w, b, activation)
    x = fp.x
    resid = np.abs(x - w[:, None] * sigma(activation, x) - b[:, None])
    assert np.all(resid[~np.isnan(x)] <= 1e-10)
    counts = []
    for i in range(60):
        if np.any(np.abs(np.abs(fp.slope[i]) - 1) < 1e-3):
            continue  # too close to a tangency for the grid scan to be a fair judge
        counts.append((fp.count[i], brute_force_count(w[i], b[i], activation)))
    counts = np.array(counts)
    np.testing.assert_array_equal(counts[:, 0], counts[:, 1])
    assert (counts[:, 0] == 3).sum() >= 10 and (counts[:, 0] == 1).sum() >= 10


@pytest.mark.parametrize("activation,w,b", [("sigmoid", 5.0, -2.5), ("sigmoid", 9.0, -4.0),
                                            ("tanh", 2.0, 0.1), ("sigmoid", -8.0, 1.0),
                                            ("tanh", -3.0, 0.5)])
def test_stability_label_matches_multiplier_and_dynamics(activation, w, b):
    fp = fixed_points(w, b, activation)
    xs = fp.x[~np.isnan(fp.x)]
    f = lambda x: w * sigma(activation, x) + b  # noqa: E731
    h = 1e-6
    fd_slope = (f(xs + h) - f(xs - h)) / (2 * h)  # multiplier without sigma_prime
    np.testing.assert_allclose(fp.slope[~np.isnan(fp.x)], fd_slope, rtol=1e-7)
    stable = fp.stable[~np.isnan(fp.x)]
    np.testing.assert_array_equal(stable, np.abs(fd_slope) < 1)
    kicked = iterate(w, b, xs + 1e-7, 400, activation, last_only=True).x[-1]
    np.testing.assert_array_equal(np.abs(kicked - xs) < 1e-9, stable)  # a kick dies or grows


@pytest.mark.parametrize("activation,w,b,slope", [("tanh", 0.5, 0.0, 0.5), ("tanh", -0.99, 0.0, -0.99),
                                                  ("sigmoid", 2.0, -1.0, 0.5),
                                                  ("sigmoid", -3.0, 1.5, -0.75)])
def test_a_fixed_point_at_zero_without_a_fold_is_not_a_tangency(activation, w, b, slope):
    # regression: with no critical point the placeholder breakpoints ±x_c = 0 made a root
    # at x = 0 look like a double root, so a plainly stable point was labelled unstable
    fp = fixed_points(w, b, activation)
    assert fp.count == 1 and fp.x[0] == 0.0 and fp.slope[0] == pytest.approx(slope)
    assert fp.stable[0] and not fp.tangent[0]
    # at the cusp the root at 0 really is a (triple) tangency: slope 1, not stable
    cusp = fixed_points(1.0, 0.0, "tanh")
    assert cusp.tangent[0] and not cusp.stable[0]


def test_identity_fixed_point_closed_form():
    fp = fixed_points(np.array([0.5, 1.0, 3.0]), 2.0, "identity")
    np.testing.assert_allclose(fp.x[:, 0], [4.0, np.nan, -1.0])
    np.testing.assert_array_equal(fp.stable[:, 0], [True, False, False])


# ---------------------------------------------------------------- folds

def sigmoid_folds_closed_form(w):
    r = np.sqrt(1 - 4 / w)
    s = np.array([(1 + r) / 2, (1 - r) / 2])
    x = np.log(s / (1 - s))
    return np.sort(x - w * s)


@pytest.mark.parametrize("activation,w", [("sigmoid", 4.5), ("sigmoid", 5.0), ("sigmoid", 8.0),
                                          ("sigmoid", 20.0), ("tanh", 1.5), ("tanh", 2.0),
                                          ("tanh", 4.0)])
def test_folds_in_b_merge_two_fixed_points(activation, w):
    fo = folds_in_b(w, activation)
    assert fo.values.shape == (2,)
    if activation == "sigmoid":
        np.testing.assert_allclose(fo.values, sigmoid_folds_closed_form(w), rtol=1e-10)
    for bf, xf, expected in zip(fo.values, fo.x, [(1, 3), (3, 1)]):
        at = fixed_points(w, bf, activation)  # exactly at the fold: the tangency is caught
        i = np.nanargmin(np.abs(at.x - xf))
        assert at.count == 2 and abs(at.x[i] - xf) < 1e-9
        assert at.slope[i] == pytest.approx(1.0, abs=1e-12) and not at.stable[i]
        np.testing.assert_array_equal(at.tangent, np.arange(3) == i)
        for d in (1e-4, 1e-6):
            below = fixed_points(w, bf - d, activation).count
            above = fixed_points(w, bf + d, activation).count
            assert (below, above) == expected, (bf, d)


@pytest.mark.parametrize("activation,b", [("sigmoid", -2.5), ("sigmoid", -3.0), ("sigmoid", -6.0),
                                          ("tanh", 0.3), ("tanh", -0.5)])
def test_folds_in_w_merge_two_fixed_points_and_agree_with_folds_in_b(activation, b):
    fo = folds_in_w(b, activation)
    assert fo.values.size == (2 if activation == "sigmoid" else 1)
    for wf in fo.values:
        counts = {fixed_points(wf + d, b, activation).count for d in (-1e-6, 1e-6)}
        assert counts == {1, 3}, wf
        assert np.min(np.abs(folds_in_b(wf, activation).values - b)) < 1e-9


def test_no_folds_where_none_exist():
    assert folds_in_b(3.9).values.size == 0  # sigmoid needs w > 4
    assert folds_in_b(0.9, "tanh").values.size == 0
    assert folds_in_w(-1.5).values.size == 0  # sigmoid needs b < −2
    assert folds("b", 5.0, "identity").values.size == 0


def test_pascanu_folds():
    fo = folds_in_b(PASCANU_W)
    np.testing.assert_allclose(fo.values, [-2.6556103, -2.3443897], atol=1e-6)


# ---------------------------------------------------------------- sweeps

def settle(w, b, x_start, activation, n=3000):
    return iterate(w, b, x_start, n, activation, last_only=True).x[-1]


@pytest.mark.parametrize("param,fixed,activation,values", [
    ("b", PASCANU_W, "sigmoid", None),
    ("w", -3.0, "sigmoid", None),
    ("b", 2.0, "tanh", np.linspace(-1.5, 1.5, 1201)),
])
def test_hysteresis_between_folds_and_continuation_is_what_the_map_does(param, fixed,
                                                                        activation, values):
    d = bifurcation_diagram(param, values, fixed, activation=activation)
    v, lo, hi = d.values, *d.folds.values
    h = v[1] - v[0]
    inside = (v > lo + h) & (v < hi - h)
    outside = (v < lo - h) | (v > hi + h)
    assert inside.sum() > 50 and outside.sum() > 50
    assert np.all(np.abs(d.forward - d.backward)[inside] > 0.5)
    np.testing.assert_allclose(d.forward[outside], d.backward[outside], atol=1e-12)
    # forward jumps at the upper fold, backward at the lower one
    jf, jb = np.argmax(np.abs(np.diff(d.forward))), np.argmax(np.abs(np.diff(d.backward)))
    assert v[jf] < hi < v[jf + 1] and v[jb] < lo < v[jb + 1]
    # each value, started from the previous value's state and iterated, lands there
    w, b = (np.full_like(v, fixed), v) if param == "b" else (v, np.full_like(v, fixed))
    np.testing.assert_allclose(settle(w[1:], b[1:], d.forward[:-1], activation), d.forward[1:],
                               atol=1e-8)
    np.testing.assert_allclose(settle(w[:-1], b[:-1], d.backward[1:], activation), d.backward[:-1],
                               atol=1e-8)
    # branches: 3 fixed points (stable, unstable, stable) inside, 1 stable outside
    assert np.all(d.branches.count[inside] == 3)
    np.testing.assert_array_equal(d.branches.stable[inside], [[True, False, True]] * inside.sum())
    assert np.all(d.branches.count[outside] == 1) and np.all(d.branches.stable[outside, 0])


def test_decreasing_map_sweep_reports_fixed_point_or_nan_for_a_two_cycle():
    d = bifurcation_diagram("w", np.linspace(-30.0, -1.0, 300), 10.0)
    ok = ~np.isnan(d.forward)
    assert ok.any() and (~ok).any()  # the flip at w·σ'(x*) = −1 is crossed
    np.testing.assert_array_equal(ok, d.branches.stable[:, 0])
    x = iterate(d.values[~ok][0], 10.0, 0.5, 2001, last_only=False).x
    assert abs(x[-1] - x[-2]) > 1e-3 and abs(x[-1] - x[-3]) < 1e-9  # a genuine 2-cycle


def test_gradient_spikes_where_x0_crosses_the_basin_boundary():
    gs = gradient_sweep()  # b ∈ [−3.5, −1.5], w = 5, x0 = 0.5, T = 50
    v, g = gs.values, np.abs(gs.dxT)
    assert gs.crossing == pytest.approx(0.5 - 5 * sigma("sigmoid", 0.5), abs=1e-15)
    assert gs.crossing_slope > 1  # x0 is the unstable fixed point there: a basin boundary
    lo, hi = gs.folds.values
    assert lo < gs.crossing < hi
    i = np.argmax(g)
    assert abs(v[i] - gs.crossing) <= v[1] - v[0]
    assert g[i] > 100 * np.median(g)
    assert gs.x_T[v < gs.crossing - 0.01].max() < -1 < 1 < gs.x_T[v > gs.crossing + 0.01].min()
    # the w-sweep crossing is where x0 = w·σ(x0) + b too
    gw = gradient_sweep("w", np.linspace(2, 12, 2001), -3.0)
    assert gw.crossing * sigma("sigmoid", 0.5) - 3.0 == pytest.approx(0.5)
    assert abs(gw.values[np.argmax(np.abs(gw.dxT))] - gw.crossing) <= 0.005


def test_non_finite_inputs_are_carried_not_raised():
    with np.errstate(all="raise"):
        tr = iterate(np.array([np.inf, np.nan, 10.0]), 0.0, 0.5, 400, "identity")
        assert np.isinf(tr.x[-1, 2]) and not np.isfinite(tr.dx_dw[-1, 2])
        assert np.isnan(tr.x[-1, 1])
        iterate(np.inf, -np.inf, 0.5, 10)
        fp = fixed_points(np.array([np.inf, np.nan, 5.0]), np.array([0.0, 1.0, np.inf]))
        assert np.all(fp.count == 0)
        fixed_points(np.nan, 0.0, "identity")
        assert folds_in_b(np.nan).values.size == 0
        assert folds_in_w(np.nan).values.size == 0
        d = bifurcation_diagram("b", np.array([-3.0, np.nan, -2.0]), 5.0)
        assert np.isnan(d.forward[1]) and d.branches.count[2] == 1
        gradient_sweep("b", np.array([np.nan, 0.0]), np.inf)


def test_unknown_names_raise_value_error():
    with pytest.raises(ValueError):
        iterate(1.0, 0.0, activation="relu")
    with pytest.raises(ValueError):
        bifurcation_diagram("x")


# ---------------------------------------------------------------- scalar path, crossing, curve

@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "identity"])
def test_iterate_scalar_equals_iterate(activation):
    from engine.dynamics import iterate_scalar
    rng = np.random.default_rng(7)
    scale, shift, x0s = RANGES[activation]
    for w, b, x0 in zip(rng.uniform(-scale, scale, 30), rng.uniform(-shift, shift, 30),
                        rng.uniform(-x0s, x0s, 30)):
        tr = iterate(w, b, x0, 40, activation, last_only=True)
        got = iterate_scalar(w, b, x0, 40, activation)
        expected = (tr.x[-1], tr.dx_dw[-1], tr.dx_db[-1])
        np.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-300)
    # overflow and NaN are carried as in iterate, never raised
    for w, b in [(1e200, 1e200), (np.inf, -np.inf), (np.nan, 0.0), (-1e300, 5.0)]:
        got = np.array(iterate_scalar(w, b, 0.5, 20, activation))
        ref = iterate(w, b, 0.5, 20, activation, last_only=True)
        ref = np.array([ref.x[-1], ref.dx_dw[-1], ref.dx_db[-1]])
        np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
        np.testing.assert_array_equal(got[np.isinf(ref)], ref[np.isinf(ref)])


@pytest.mark.parametrize("param,fixed,activation", [("b", 5.0, "sigmoid"), ("w", -3.0, "sigmoid"),
                                                    ("b", 2.0, "tanh"), ("w", 0.4, "tanh")])
def test_basin_crossing_makes_x0_a_fixed_point(param, fixed, activation):
    from engine.dynamics import basin_crossing
    x0 = 0.5
    cross, slope = basin_crossing(param, fixed, x0, activation)
    w, b = (fixed, cross) if param == "b" else (cross, fixed)
    assert w * sigma(activation, x0) + b == pytest.approx(x0, abs=1e-12)
    tr = iterate(w, b, x0, 1, activation)
    assert float(tr.dx_dx0[-1]) == pytest.approx(slope, rel=1e-12)


def test_sweep_values_resolve_the_spike_and_hit_its_peak():
    from engine.dynamics import basin_crossing, sweep_values
    cross, slope = basin_crossing("b", 5.0)
    v = sweep_values(-3.5, -1.5, 801, around=cross)
    assert np.all(np.diff(v) > 0) and v[0] == -3.5 and v[-1] == -1.5
    assert np.isin(np.linspace(-3.5, -1.5, 801), v).all() and cross in v
    assert v.size == 801 + 81
    gs = gradient_sweep("b", v, 5.0)
    peak = np.abs(gs.dxT).max()
    # at the crossing x_t = x0 for all t: ∂x_T/∂b = Σ slope^t = (slope^T − 1)/(slope − 1)
    at = np.abs(gs.dxT[v == cross][0])
    assert at == pytest.approx((slope ** 50 - 1) / (slope - 1), rel=1e-9)
    assert peak >= at  # orbits leaving x0 pass nearer 0, where w·σ' is larger still
    assert peak > 50 * np.abs(gradient_sweep("b", np.linspace(-3.5, -1.5, 801), 5.0).dxT).max()
    # outside the range, or none: just the even grid
    np.testing.assert_array_equal(sweep_values(0, 1, 5, around=3.0), np.linspace(0, 1, 5))
    np.testing.assert_array_equal(sweep_values(0, 1, 5), np.linspace(0, 1, 5))


@pytest.mark.parametrize("param,lo,hi,fixed,activation", [
    ("b", -3.5, -1.5, 5.0, "sigmoid"), ("w", 2.0, 12.0, -3.0, "sigmoid"),
    ("b", -3.0, 3.0, 2.0, "tanh"), ("w", -3.0, 3.0, 0.3, "tanh"), ("w", -3.0, 3.0, 0.0, "tanh"),
    ("b", -3.0, 3.0, -8.0, "sigmoid"), ("w", -2.0, 3.0, 1.0, "identity"),
    ("b", -2.0, 2.0, 0.5, "identity"),
])
def test_equilibrium_curve_is_exactly_the_set_of_fixed_points(param, lo, hi, fixed, activation):
    from engine.dynamics import equilibrium_curve
    c = equilibrium_curve(param, lo, hi, fixed, activation)
    ok = ~np.isnan(c.x)
    w, b = _wb_of(param, c.values[ok], fixed)
    # every point is a fixed point, with fixed_points' slope and stability label
    np.testing.assert_allclose(w * sigma(activation, c.x[ok]) + b, c.x[ok], atol=1e-9, rtol=1e-12)
    inside = (c.values[ok] > lo) & (c.values[ok] < hi)
    assert inside.sum() > 100
    fp = fixed_points(w, b, activation)
    i = np.nanargmin(np.abs(fp.x - c.x[ok][:, None]), axis=1)
    rows = np.arange(i.size)
    near_fold = np.abs(np.abs(c.slope[ok]) - 1) < 1e-6
    np.testing.assert_allclose(fp.slope[rows, i], c.slope[ok], rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(fp.stable[rows, i][~near_fold], c.stable[ok][~near_fold])
    # and none is missed: on a θ grid, the curve's crossings are exactly the roots
    for theta in np.linspace(lo, hi, 23)[1:-1]:
        tw, tb = _wb_of(param, np.array([theta]), fixed)
        roots = fixed_points(tw, tb, activation).x[0]
        roots = roots[~np.isnan(roots)]
        v, x = c.values, c.x
        seg = np.flatnonzero((v[:-1] - theta) * (v[1:] - theta) <= 0)
        seg = seg[~np.isnan(x[seg]) & ~np.isnan(x[seg + 1]) & (v[seg] != v[seg + 1])]
        hit = x[seg] + (theta - v[seg]) * (x[seg + 1] - x[seg]) / (v[seg + 1] - v[seg])
        hit = np.unique(np.round(hit, 6))
        assert hit.size == roots.size, (theta, hit, roots)
        assert np.all(np.abs(np.sort(hit) - roots) <= 0.02 * (1 + np.abs(roots))), (theta, hit, roots)
    # the folds are on the curve: the stable and unstable parts meet there
    fo = folds(param, fixed, activation)
    for fv, fx in zip(fo.values, fo.x):
        if lo < fv < hi and fx != 0.0:  # (the pitchfork cusp of tanh, b = 0: 0/0 in w(x))
            assert np.nanmin(np.abs(c.x - fx) + np.abs(c.values - fv)) < 1e-12


def _wb_of(param, values, fixed):
    other = np.full_like(values, fixed)
    return (other, values) if param == "b" else (values, other)
