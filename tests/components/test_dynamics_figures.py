"""components.dynamics_figures: what each figure draws is the engine's result, nothing else."""
import numpy as np
import pytest

from components import dynamics_figures
from tests.components.helpers import validated

F = validated(dynamics_figures)
from engine.activations import sigma
from engine.dynamics import (basin_crossing, bifurcation_diagram, equilibrium_curve,
                             fixed_points, gradient_sweep, iterate, sweep_values)
from tests.components.helpers import f32, shape_xs, texts, trace


# ---------------------------------------------------------------- /dynamics

def test_trajectory_fan_draws_each_trajectory_coloured_by_its_value():
    thetas = np.linspace(-3.5, -1.5, 15)
    fan = iterate(np.full(15, 5.0), thetas, 0.5, 40)
    current = iterate(np.array([5.0]), np.array([-2.5]), 0.5, 40)
    fig = F.trajectory_fan(fan, thetas, current, "b", -2.5)
    for j, theta in enumerate(thetas):
        t = trace(fig, f"b = {theta:.6g}")
        np.testing.assert_array_equal(t.x, np.arange(41))
        np.testing.assert_array_equal(t.y, f32(fan.x[:, j]))
    np.testing.assert_array_equal(trace(fig, "current b = -2.5").y, f32(current.x[:, 0]))
    colors = [trace(fig, f"b = {v:.6g}").line.color for v in thetas]
    assert len(set(colors)) == 15 and colors[0] == "rgb(68, 1, 84)"  # Viridis, low end first
    bar = trace(fig, "colour scale").marker
    assert (bar.cmin, bar.cmax, bar.showscale) == (-3.5, -1.5, True)


def test_cobweb_draws_the_map_the_orbit_and_the_fixed_points():
    w, b = 5.0, -2.5
    tr = iterate(np.array([w]), np.array([b]), 0.5, 30)
    fp = fixed_points(w, b)
    fig = F.cobweb(tr, fp, w, b)
    m = trace(fig, "map w·σ(x) + b")
    np.testing.assert_allclose(m.y, w * sigma("sigmoid", np.float64(m.x)) + b, rtol=1e-6, atol=1e-6)
    path = trace(fig, "cobweb from x₀")
    x = tr.x[:, 0]
    assert path.x.size == 2 * 30 + 1
    np.testing.assert_array_equal(path.x[::2], f32(x))        # (x_t, x_t) on the diagonal …
    np.testing.assert_array_equal(path.y[1::2], f32(x[1:]))   # … then up/down to (x_t, x_{t+1})
    np.testing.assert_array_equal(path.y[::2], f32(x))
    stable, unstable = trace(fig, "stable x*"), trace(fig, "unstable x*")
    np.testing.assert_array_equal(stable.x, fp.x[fp.stable])
    np.testing.assert_array_equal(unstable.x, fp.x[~fp.stable & ~np.isnan(fp.x)])
    assert stable.x.size == 2 and unstable.x.size == 1  # bistable at w = 5, b = −2.5
    assert stable.marker.symbol == "circle" and unstable.marker.symbol == "circle-open"
    lo, hi = fig.layout.xaxis.range
    assert lo < fp.x[0] and fp.x[-1] < hi and lo < b < w + b < hi


def test_cobweb_window_of_the_identity_map_stops_at_a_million():
    tr = iterate(np.array([3.0]), np.array([0.0]), 0.5, 200, "identity")  # 0.5·3ᵗ diverges
    lo, hi = F.cobweb_span(tr, fixed_points(3.0, 0.0, "identity"), 3.0, 0.0)
    assert hi < 1e6 * 1.2 and hi > 0.5 * 3 ** 11 and lo < 0


@pytest.fixture(scope="module")
def pascanu_sweep():
    cross, _ = basin_crossing("b", 5.0)
    return gradient_sweep("b", sweep_values(-3.5, -1.5, 801, around=cross), 5.0)


def test_final_state_and_gradient_plot_the_sweep_with_folds_and_crossing(pascanu_sweep):
    gs = pascanu_sweep
    fig = F.final_state(gs, -3.5, -1.5, -2.5)
    t = trace(fig, "x_T")
    np.testing.assert_array_equal(t.x, gs.values)
    np.testing.assert_array_equal(t.y, f32(gs.x_T))
    expected = sorted([*gs.folds.values, gs.crossing, -2.5])
    np.testing.assert_allclose(shape_xs(fig), expected, rtol=0, atol=0)
    assert "fold b = -2.6556" in texts(fig) and "fold b = -2.3444" in texts(fig)
    assert "basin boundary" in texts(fig)

    fig = F.sweep_gradient(gs, -3.5, -1.5, -2.5)
    g = trace(fig, "|∂x_T/∂b|")
    np.testing.assert_array_equal(g.y, np.abs(gs.dxT))  # float64: a log axis
    assert g.y.dtype == np.float64
    s = gs.crossing_slope
    assert g.y[gs.values == gs.crossing][0] == pytest.approx((s ** 50 - 1) / (s - 1), rel=1e-9)
    assert fig.layout.yaxis.type == "log"
    np.testing.assert_allclose(shape_xs(fig), expected, rtol=0, atol=0)


def test_no_crossing_mark_when_x0_is_a_stable_fixed_point_there():
    gs = gradient_sweep("b", np.linspace(-3, 1, 101), 2.0)  # w·σ'(0.5) = 0.47 < 1
    assert -3 < gs.crossing < 1 and abs(gs.crossing_slope) < 1
    fig = F.final_state(gs, -3, 1, 0.0)
    assert shape_xs(fig) == [0.0] and "basin" not in texts(fig)


def test_bifurcation_draws_the_equilibrium_curve_and_both_sweeps():
    curve = equilibrium_curve("b", -3.5, -1.5, 5.0)
    diagram = bifurcation_diagram("b", np.linspace(-3.5, -1.5, 401), 5.0)
    fig = F.bifurcation(curve, diagram, -2.5)
    solid, dashed = trace(fig, "stable x*"), trace(fig, "unstable x*")
    assert solid.line.dash == "solid" and dashed.line.dash == "dash"
    # every stable point is on the solid line, every unstable one on the dashed line …
    np.testing.assert_array_equal(solid.y[curve.stable], f32(curve.x[curve.stable]))
    unstable = ~curve.stable & ~np.isnan(curve.x)
    np.testing.assert_array_equal(dashed.y[unstable], f32(curve.x[unstable]))
    np.testing.assert_array_equal(solid.x[curve.stable], f32(curve.values[curve.stable]))
    # … and each line holds only its own points plus one neighbour where they meet
    extra = ~np.isnan(solid.y) & ~curve.stable
    assert 0 < extra.sum() <= 4
    assert np.isnan(dashed.y[curve.stable]).sum() >= curve.stable.sum() - 4
    up, down = trace(fig, "x∞, b swept up →"), trace(fig, "x∞, b swept down ←")
    np.testing.assert_array_equal(up.y, f32(diagram.forward))
    np.testing.assert_array_equal(down.y, f32(diagram.backward))
    np.testing.assert_array_equal(up.x, f32(diagram.values))
    folds = trace(fig, "folds")
    np.testing.assert_array_equal(folds.x, diagram.folds.values)
    np.testing.assert_array_equal(folds.y, diagram.folds.x)
    np.testing.assert_allclose(shape_xs(fig), sorted([*diagram.folds.values, -2.5]), atol=0)


# ---------------------------------------------------------------- /cliff
