"""components.rnn_figures (and the ChoiceList parameter of /rnn): the figures plot the
engine's numbers, thinned only where the title says so."""
import numpy as np
import pytest

from components import rnn_figures as _rnn_figures
from tests.components.helpers import validated

rnn_figures = validated(_rnn_figures)
from components.figures import decade_ticks
from components.params import ChoiceList
from engine.cells import CELLS, gradient_flow
from engine.rnn import PRESETS, bptt, gradient_modes


def traces(fig):
    return {t.name: t for t in fig.data}


@pytest.fixture(scope="module")
def run():
    return bptt("tanh", 8, 60, "spectral", 1.3, 5)


def test_norm_figure_plots_the_measured_norms_against_the_bound(run):
    fig = rnn_figures.jacobian_norms(run)
    measured = traces(fig)[rnn_figures.MEASURED]
    np.testing.assert_array_equal(measured.x, np.arange(61))
    np.testing.assert_array_equal(measured.y, run.jacobian_norms)
    bound = next(t for t in fig.data if t.name.startswith("bound"))
    np.testing.assert_allclose(bound.y, (run.gamma * run.w_norm) ** np.arange(61), rtol=1e-12)
    assert np.all(measured.y <= bound.y * (1 + 1e-12))  # the bound holds
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.title.subtitle.text is None  # nothing thinned at T = 60


def test_worked_example_figures_show_half_and_double_to_the_tenth():
    for name, end in (("halving", 0.5 ** 10), ("doubling", 2.0 ** 10)):
        r = bptt(**PRESETS[name])
        fig = rnn_figures.jacobian_norms(r)
        assert traces(fig)[rnn_figures.MEASURED].y[10] == end
        np.testing.assert_array_equal(next(t for t in fig.data if t.name.startswith("bound")).y,
                                      traces(fig)[rnn_figures.MEASURED].y)  # tight for d = 1


def test_heatmap_is_log10_of_the_contribution_map_blank_above_the_diagonal(run):
    fig = rnn_figures.contribution_heatmap(run)
    (heat,) = fig.data
    expected = np.log10(run.contribution_map).astype(np.float32)
    np.testing.assert_array_equal(heat.z, expected)  # NaN where the engine has NaN
    assert heat.z.dtype == np.float32
    assert np.isnan(heat.z[3, 4]) and np.isnan(heat.z[0]).all()  # k > t, and no J_0
    assert not np.isnan(heat.z[60, :61]).any()
    np.testing.assert_array_equal(heat.x, np.arange(61))
    # the colour bar is labelled in powers of ten and spans the data
    assert all(t.startswith("10<sup>") for t in heat.colorbar.ticktext)
    assert heat.zmin == pytest.approx(np.nanmin(expected)) and heat.zmax == pytest.approx(
        np.nanmax(expected))


def test_large_heatmaps_and_lines_are_thinned_and_say_so():
    r = bptt("tanh", 4, 500, "spectral", 1.0, 0)
    fig = rnn_figures.contribution_heatmap(r)
    (heat,) = fig.data
    steps = np.arange(0, 501, 5)
    np.testing.assert_array_equal(heat.x, steps)
    np.testing.assert_array_equal(heat.y, steps)
    np.testing.assert_array_equal(heat.z, np.log10(r.contribution_map[np.ix_(steps, steps)])
                                  .astype(np.float32))
    assert fig.layout.title.subtitle.text == "1 step in 5 shown"
    norms = rnn_figures.jacobian_norms(r)
    measured = traces(norms)[rnn_figures.MEASURED]
    lags = np.r_[np.arange(0, 501, 3), 500]  # 0, 3, …, 498 and the last lag
    np.testing.assert_array_equal(measured.x, lags)
    np.testing.assert_array_equal(measured.y, r.jacobian_norms[lags])
    assert norms.layout.title.subtitle.text == "1 step in 3 shown"


@pytest.mark.parametrize("T,shown", [(1, [0, 1]), (100, list(range(101))),
                                     (101, list(range(0, 101, 2)) + [101])])
def test_steps_shown_keep_both_ends(T, shown):
    np.testing.assert_array_equal(rnn_figures.steps_shown(T, 100), shown)


def test_singular_values_are_the_engines_and_at_most_six_of_them():
    small = bptt("sigmoid", 4, 30, "singular", 2.0, 1)
    fig = rnn_figures.singular_value_plot(small)
    assert [t.name for t in fig.data] == ["s₁", "s₂", "s₃", "s₄"]
    for i, t in enumerate(fig.data):
        np.testing.assert_array_equal(t.y, small.singular_values[:, i])
    wide = bptt("tanh", 40, 20, "spectral", 1.1, 1)
    fig = rnn_figures.singular_value_plot(wide)
    assert [t.name for t in fig.data] == ["s₁", "s₉", "s₁₇", "s₂₄", "s₃₂", "s₄₀"]
    np.testing.assert_array_equal(fig.data[-1].y, wide.singular_values[:, 39])
    assert fig.layout.title.subtitle.text == "6 of 40 shown"


def test_flow_figure_has_one_curve_per_cell_and_lstm_differs_from_vanilla():
    flow = gradient_flow(("rnn", "lstm", "residual"), "tanh", 6, 40, "spectral", 1.2, 3)
    fig = rnn_figures.gradient_flow_plot(flow, 40)
    curves = traces(fig)
    assert list(curves) == ["vanilla RNN", "LSTM", "residual"]
    for cell in flow:
        np.testing.assert_array_equal(curves[rnn_figures.CELL_LABELS[cell]].y, flow[cell])
        assert curves[rnn_figures.CELL_LABELS[cell]].line.color == rnn_figures.CELL_COLORS[cell]
    lstm, rnn = curves["LSTM"].y, curves["vanilla RNN"].y
    assert lstm[40] == rnn[40] == pytest.approx(1.0)  # ∂L/∂h_T = u
    assert not np.allclose(lstm, rnn, rtol=1e-3)
    # four colour-blind-safe hues reach 3:1 on both backgrounds: the cells differ by dash
    # (and colour where it can), so they can be told apart in grey scale
    assert len(set(rnn_figures.CELL_DASHES.values())) == len(CELLS)
    for cell in flow:
        assert curves[rnn_figures.CELL_LABELS[cell]].line.dash == rnn_figures.CELL_DASHES[cell]


def test_attention_curve_is_plotted_with_its_own_label_and_colour():
    flow = gradient_flow(("rnn", "attention"), "tanh", 8, 30, "spectral", 1.1, 0)
    fig = rnn_figures.gradient_flow_plot(flow, 30)
    assert [t.name for t in fig.data] == ["vanilla RNN", "attention"]
    curve = traces(fig)["attention"]
    np.testing.assert_array_equal(curve.x, np.arange(31))
    np.testing.assert_array_equal(curve.y, flow["attention"])
    assert curve.y[30] == pytest.approx(1.0) and curve.legendgroup == "attention"
    assert curve.line.color == rnn_figures.CELL_COLORS["attention"]
    assert tuple(rnn_figures.CELL_LABELS) == CELLS  # every cell has a label, in CELLS' order
    assert rnn_figures.CELL_LABELS["attention"] == "attention"


def test_flow_figure_without_cells_says_what_to_do():
    fig = rnn_figures.gradient_flow_plot({}, 10)
    assert not fig.data and "Tick at least one cell" in fig.layout.annotations[0].text


def test_eigen_modes_for_the_linear_rnn():
    r = bptt("identity", 5, 30, "spectral", 0.95, 2)
    modes = gradient_modes(r.W, r.readout, 30)
    total = r.contribution_map[30, ::-1]
    fig = rnn_figures.eigen_modes_plot(modes, total)
    np.testing.assert_allclose(traces(fig)[rnn_figures.TOTAL].y,
                               [np.linalg.norm(np.linalg.matrix_power(r.W.T, l) @ r.readout)
                                for l in range(31)], rtol=1e-10)
    curves = [t for t in fig.data if t.name.startswith("λ")]
    distinct = [i for i, lam in enumerate(modes.eigenvalues) if lam.imag >= -1e-12]
    assert len(curves) == len(distinct) and curves[0].name.startswith("λ₁ = ")
    for t, i in zip(curves, distinct):
        np.testing.assert_array_equal(t.y, modes.magnitudes[:, i])
    assert abs(modes.eigenvalues[0]) == pytest.approx(0.95)  # spectral init: ρ(W) = 0.95


def test_eigen_modes_for_a_nonlinear_rnn_is_a_note():
    fig = rnn_figures.eigen_modes_plot(None, np.ones(11))
    assert not fig.data and "σ = identity" in fig.layout.annotations[0].text


def test_decade_ticks():
    assert decade_ticks(-3.2, 1.5) == ([-3, -2, -1, 0, 1],
                                       ["10<sup>-3</sup>", "10<sup>-2</sup>", "10<sup>-1</sup>",
                                        "10<sup>0</sup>", "10<sup>1</sup>"])
    assert decade_ticks(-320, 5)[0] == [-300, -250, -200, -150, -100, -50, 0]  # 50 decades
    assert decade_ticks(-40, 3)[0] == [-40, -30, -20, -10, 0]  # 43/5 ≥ 8: every 10
    assert decade_ticks(-0.5, 0.5)[0] == [0]


CELL_LIST = ChoiceList("cells", "cells", ("rnn", "lstm"), CELLS)


@pytest.mark.parametrize("raw,value,notice", [
    ("rnn,lstm", ("rnn", "lstm"), None),
    ("lstm,rnn,lstm", ("rnn", "lstm"), None),          # a set, in the options' order
    (["gru", "irnn"], ("gru", "irnn"), None),
    ("", (), None),                                     # nothing ticked is a valid choice
    ([], (), None),
    ("rnn,transformer", ("rnn",), "cells: transformer is not one of rnn, lstm, gru, irnn, "
                                  "orthogonal, residual, layernorm, attention; using rnn."),
    ("attention,rnn", ("rnn", "attention"), None),
    ("bogus", ("rnn", "lstm"), "cells: bogus is not one of"),
    ([1, None, "gru"], ("gru",), "cells: 1, None are not one of"),
    ({"rnn": 1}, ("rnn", "lstm"), "is not a list of names from rnn, lstm"),
    (5, ("rnn", "lstm"), "is not a list"),
    ("rnn," * 300, ("rnn", "lstm"), "is not a list"),  # too long to look at
])
def test_choice_list(raw, value, notice):
    parsed, message = CELL_LIST.parse(raw)
    assert parsed == value
    if notice is None:
        assert message is None
    else:
        assert notice in message and len(message) < 250
    assert CELL_LIST.format(parsed) == ",".join(parsed)


def test_exact_zeros_are_gaps_in_the_line_and_marked():
    r = bptt("relu", 4, 12, "spectral", 1.0, 0, inputs="zero", h0="zero")  # at rest: relu'(0) = 0
    assert r.jacobian_norms[0] == 1 and (r.jacobian_norms[1:] == 0).all()
    fig = rnn_figures.jacobian_norms(r)
    line = traces(fig)[rnn_figures.MEASURED].y
    assert line[0] == 1 and np.isnan(line[1:]).all()
    zeros = next(t for t in fig.data if t.name.endswith("= 0 exactly"))
    np.testing.assert_array_equal(zeros.x, np.arange(1, 13))


def test_log_axis_stops_at_the_smallest_double():
    r = bptt("identity", 1, 400, "identity", 0.1, 0)  # 0.1^l underflows to 0 past l ≈ 323
    modes = gradient_modes(r.W, r.readout, 400)
    fig = rnn_figures.eigen_modes_plot(modes, r.contribution_map[400, ::-1])
    assert fig.layout.yaxis.range[0] == -323
    assert np.isnan(fig.data[0].y[-1]) and fig.data[0].y[0] == pytest.approx(1.0)


def test_short_sequences_tick_whole_steps():
    r = bptt("tanh", 3, 2, "spectral", 1.0, 0)
    for fig in (rnn_figures.jacobian_norms(r), rnn_figures.contribution_heatmap(r)):
        assert fig.layout.xaxis.dtick == 1
    assert rnn_figures.jacobian_norms(bptt("tanh", 3, 20, "spectral", 1.0, 0)).layout.xaxis.dtick is None
