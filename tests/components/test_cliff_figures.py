"""components.cliff_figures: what each figure draws is the engine's result, nothing else."""
import numpy as np
import pytest

from components import cliff_figures
from tests.components.helpers import validated

F = validated(cliff_figures)
from engine.cliff import compare_clipping, descend_many, surface
from tests.components.helpers import f32, texts, trace


@pytest.fixture(scope="module")
def small_surface():
    return surface(n_w=40, n_b=30)


@pytest.fixture(scope="module")
def paths():
    return descend_many(4.6, -2.365, 0.1, 100, threshold=1.0)


def heatmap(fig):
    (heat,) = [t for t in fig.data if t.type == "heatmap"]
    return heat


def test_surface_2d_is_log10_E_with_powers_of_ten_and_the_paths(small_surface, paths):
    fig = F.loss_surface(small_surface, paths, "2d")
    heat = heatmap(fig)
    np.testing.assert_array_equal(heat.z, f32(np.log10(small_surface.E)))
    np.testing.assert_array_equal(heat.x, small_surface.w)
    np.testing.assert_array_equal(heat.y, small_surface.b)
    z = np.log10(small_surface.E)
    assert heat.zmin == pytest.approx(z.min(), rel=1e-6) and heat.zmax == pytest.approx(z.max())
    assert list(heat.colorbar.tickvals) == list(range(int(np.ceil(z.min())), 0))  # −4 … −1
    assert heat.colorbar.ticktext[-1] == "10<sup>-1</sup>"
    for P, name in zip(paths, ("plain GD", "norm-clipped", "value-clipped")):
        t = trace(fig, name)
        np.testing.assert_array_equal(t.x, f32(P.path[:, 0]))
        np.testing.assert_array_equal(t.y, f32(P.path[:, 1]))
    start = trace(fig, "start")
    assert (start.x[0], start.y[0]) == (4.6, -2.365)
    lo, hi = fig.layout.xaxis.range
    assert lo < 2.0 and 8.0 < hi < 8.2


def test_zero_loss_is_a_blank_cell_not_an_error():
    S = surface(n_w=3, n_b=3)
    S.E[0, 0] = 0.0
    z = heatmap(F.loss_surface(S, descend_many(4.6, -2.365, 0.1, 2), "2d")).z
    assert np.isnan(z[0, 0]) and np.isfinite(z[1:, 1:]).all()


def test_surface_3d_is_E_itself(small_surface, paths):
    fig = F.loss_surface(small_surface, paths, "3d")
    surf = trace(fig, "E(w, b)")
    assert surf.type == "surface"
    np.testing.assert_array_equal(surf.z, f32(small_surface.E))
    t = trace(fig, "norm-clipped")
    assert t.type == "scatter3d"
    np.testing.assert_array_equal(t.z, f32(paths[1].loss))
    assert fig.layout.scene.xaxis.range[0] < 2.0


def test_step_norms_and_loss_curves_plot_the_descent(paths):
    fig = F.step_norms(paths, 0.1, 1.0)
    for P, name in zip(paths, ("plain GD", "norm-clipped", "value-clipped")):
        np.testing.assert_array_equal(trace(fig, name).y, f32(P.step_norm))
    plain = trace(fig, "plain GD").y
    assert plain[0] > 10 * 0.1  # flies off the wall …
    assert np.all(trace(fig, "norm-clipped").y <= np.float32(0.1) * (1 + 1e-6))  # … clipped stays
    assert fig.layout.shapes[0].y0 == pytest.approx(0.1)  # the cap lr·threshold
    assert fig.layout.yaxis.type == "log"
    fig = F.loss_curves(paths)
    for P, name in zip(paths, ("plain GD", "norm-clipped", "value-clipped")):
        np.testing.assert_array_equal(trace(fig, name).y, f32(P.loss))


def test_clip_arrows_draw_raw_and_clipped_gradients_with_their_angles(paths):
    cmp = compare_clipping(paths[0].grad[0], 1.0)
    fig = F.clip_arrows(cmp)
    names = [t.name for t in fig.data if t.name and ":" in t.name]
    raw, by_norm, by_value = (next(t for t in fig.data if t.name.startswith(p))
                              for p in ("raw:", "by norm:", "by value:"))
    np.testing.assert_array_equal([raw.x[1], raw.y[1]], cmp.raw)
    np.testing.assert_array_equal([by_norm.x[1], by_norm.y[1]], cmp.by_norm)
    np.testing.assert_array_equal([by_value.x[1], by_value.y[1]], cmp.by_value)
    assert by_norm.name.endswith(f"{cmp.angle_by_norm:.1f}° from raw") and cmp.angle_by_value > 5
    assert by_value.name.endswith(f"{cmp.angle_by_value:.1f}° from raw")
    assert len(names) == 3
    assert "runs off the panel" in texts(fig)  # ‖g‖ = 75 on a panel framed at the threshold
    assert fig.layout.xaxis.range[1] == pytest.approx(1.25 * max(cmp.norm_by_value, 1.0))


def test_clip_arrows_frame_a_small_gradient():
    cmp = compare_clipping(np.array([0.003, -0.001]), 1.0)
    fig = F.clip_arrows(cmp)
    assert fig.layout.xaxis.range[1] == pytest.approx(1.3 * cmp.norm_raw)
    assert "neither clipping acts" in texts(fig)
