import numpy as np

from components.figures import base_figure, compact, finite_abs, set_log_range


def test_compact_halves_the_bytes_only_when_nothing_is_lost():
    assert compact([1.5, -2.0, np.nan, np.inf, 0.0]).dtype == np.float32
    assert compact([1.0, 1e39]).dtype == np.float64      # would overflow to inf
    assert compact([1.0, 1e-40]).dtype == np.float64     # would flush to 0
    np.testing.assert_array_equal(compact([0.1, 3.0]), np.float32([0.1, 3.0]))


def test_base_figure_is_a_fresh_copy_each_time():
    a = base_figure("one", "x", "y")
    a.add_trace({"type": "scatter", "x": [1], "y": [1]})
    a.update_layout(yaxis_title_text="changed")
    b = base_figure("two", "x", "y").layout
    assert len(base_figure("two", "x", "y").data) == 0
    assert b["title"]["text"] == "two" and a.layout["title"]["text"] == "one"
    assert b["yaxis"]["type"] == "log" and "type" not in b["yaxis2"]
    assert b["yaxis"]["title"]["text"] == "y" and b["xaxis"]["title"]["text"] == "x"
    assert "type" not in base_figure("t", "x", "y", False).layout["yaxis"]


def test_finite_abs_leaves_gaps_for_what_a_log_axis_cannot_draw():
    out = finite_abs(np.array([-2.0, 0.0, np.inf, np.nan, 3.0]))
    np.testing.assert_array_equal(out[[0, 4]], [2.0, 3.0])
    assert np.all(np.isnan(out[1:4]))


def test_log_range_never_goes_below_the_smallest_double():
    fig = base_figure("t", "x", "y")
    set_log_range(fig, [1e-320, 1.0])
    assert fig.layout["yaxis"]["range"][0] == -323.0
