"""components.train_snapshot and train_figures: the snapshot carries the engine's records (thinned as it says,
non-finite values JSON-safe) and every figure plots exactly the snapshot's numbers."""
import json
import math

import numpy as np
import pytest

from components import thinning
from components import train_figures
from tests.components.helpers import validated

tf = validated(train_figures)
from components import train_snapshot as ts
from components.figures import compact
from engine.training import PRESETS, FFConfig, RNNConfig, Run, RunInfo, StepRecord, lr_zero_twin


def traces(fig):
    return {t.name: t for t in fig.data}


def history(config):
    """(History, run records, twin records) of a whole run and its LR = 0 twin."""
    run, twin = Run(config), Run(lr_zero_twin(config))
    hist, recs, twins = ts.History(run.info), [], []
    while not run.done:
        recs.append(run.step())
        twins.append(twin.step())
        hist.add(recs[-1], twins[-1])
    return hist, recs, twins


FF_SMALL = FFConfig(depth=4, width=8, steps=23, batch_size=16, n_train=64, n_val=64,
                    eval_every=5, hist_every=7, seed=3)


@pytest.fixture(scope="module")
def ff():
    return history(FF_SMALL)


@pytest.fixture(scope="module")
def rnn():
    config = RNNConfig(seq_len=12, hidden=8, steps=9, batch_size=8, n_val=16, omega_alpha=0.5,
                       clip="norm", clip_threshold=0.5, eval_every=4, hist_every=4, seed=1)
    return history(config)


def test_columns_keep_a_fixed_stride_and_the_newest_step():
    assert thinning.columns(0, 100, 10) == []
    assert thinning.columns(1, 100, 10) == [0]
    assert thinning.columns(25, 100, 10) == [0, 10, 20, 24]  # stride ⌈100/10⌉ = 10, from the total
    assert thinning.columns(30, 100, 10) == [0, 10, 20, 29]
    assert thinning.columns(7, 7, 10) == list(range(7))
    assert len(thinning.columns(5000, 5000, ts.MAX_LINE_COLS)) <= ts.MAX_LINE_COLS + 1


def test_jsonable_maps_non_finite_values_and_back():
    values = [[1.5, math.nan], [math.inf, -math.inf]]
    out = ts.jsonable(values)
    assert out == [[1.5, None], ["inf", "-inf"]]
    json.dumps(out, allow_nan=False)  # strict JSON
    back = ts.as_array(out)
    assert back[0, 0] == 1.5 and np.isnan(back[0, 1])
    assert back[1, 0] == np.inf and back[1, 1] == -np.inf


def test_snapshot_and_figures_carry_the_records(ff, monkeypatch):
    hist, recs, twins = ff
    monkeypatch.setattr(ts, "MAX_LINE_COLS", 10)   # stride ⌈23/10⌉ = 3
    monkeypatch.setattr(ts, "MAX_HEAT_COLS", 5)    # stride 5
    monkeypatch.setattr(ts, "MAX_LINES", 3)        # 3 of the 5 weight groups
    snap = hist.snapshot()
    json.dumps(snap, allow_nan=False)
    cols = [0, 3, 6, 9, 12, 15, 18, 21, 22]
    assert snap["cols"] == cols and snap["heat_cols"] == [0, 5, 10, 15, 20, 22]
    assert snap["done"] == snap["total"] == 23
    assert snap["line_groups"] == [0, 2, 4]  # layer 1, layer 3, output

    loss = traces(tf.loss_figure(snap))
    np.testing.assert_array_equal(loss["run"].x, cols)
    np.testing.assert_array_equal(loss["run"].y, np.float32([recs[i].loss for i in cols]))
    np.testing.assert_array_equal(loss["LR = 0 twin"].y, np.float32([twins[i].loss for i in cols]))
    # lr = 0: the twin's weights never move; its loss only changes with the batch
    assert twins[0].weight_norms == twins[-1].weight_norms
    assert "Ω (regulariser, unweighted)" not in loss

    grads = traces(tf.grad_lines_figure(snap))
    for g, name in zip((0, 2, 4), ("layer 1", "layer 3", "output")):
        # float32 when every value fits (components.figures.compact), else float64
        np.testing.assert_array_equal(grads[name].y,
                                      compact([recs[i].grad_norms[g] for i in cols]))
    np.testing.assert_array_equal(grads["all parameters ‖∂E/∂θ‖"].y,
                                  compact([recs[i].grad_norm_total for i in cols]))
    weights = traces(tf.weight_lines_figure(snap))
    np.testing.assert_array_equal(weights["layer 3"].y,
                                  compact([recs[i].weight_norms[2] for i in cols]))

    heat = tf.heatmap_figure(snap).data[0]
    expected = np.log10([[recs[i].state_grad_norms[j] for i in snap["heat_cols"]]
                         for j in range(4)])
    np.testing.assert_array_equal(heat.z, expected.astype(np.float32))
    np.testing.assert_array_equal(heat.y, [1, 2, 3, 4])

    metric = tf.metric_figure(snap)
    val = [r for r in recs if r.val_metric is not None]
    assert [r.step for r in val] == [0, 5, 10, 15, 20, 22]
    np.testing.assert_array_equal(traces(metric)["run"].y, [r.val_metric for r in val])
    np.testing.assert_array_equal(traces(metric)["LR = 0 twin"].y,
                                  [t.val_metric for t in twins if t.val_metric is not None])
    assert list(traces(metric)["chance 0.5"].y) == [0.5, 0.5]
    assert list(traces(metric)["chance 0.5"].x) == [0, 22]

    assert snap["hist"]["steps"] == [0, 7, 14, 21, 22]
    pick = ts.pick_hist(snap["hist"], 2)
    fig = tf.hist_figure(pick, "ff")
    assert "step 14" in fig.layout.title.text
    act, grad = fig.data
    for trace, counts in ((act, recs[14].act_hist), (grad, recs[14].grad_hist)):
        counts = np.asarray(counts, dtype=float)
        assert counts.sum() == 4 * 16 * 8  # every row: batch × width values
        expected = np.full(counts.shape, np.nan, np.float32)  # empty bins are blank
        expected[counts > 0] = np.log10(counts[counts > 0])
        np.testing.assert_array_equal(trace.z, expected)
    np.testing.assert_allclose(act.x, (tf.HIST_ACT_EDGES[:-1] + tf.HIST_ACT_EDGES[1:]) / 2,
                               rtol=1e-6)
    assert grad.xaxis == "x2"


def test_streaming_snapshot_holds_only_the_newest_histograms(ff):
    hist, recs, _ = ff
    live = hist.snapshot(all_hists=False)
    assert live["hist"]["steps"] == [22]
    assert live["hist"]["act"][0] == recs[22].act_hist


def test_rnn_snapshot_has_omega_clipping_and_the_spectral_norm(rnn):
    hist, recs, _ = rnn
    snap = hist.snapshot()
    loss = traces(tf.loss_figure(snap))
    np.testing.assert_array_equal(loss["Ω (regulariser, unweighted)"].y, np.float32([r.omega for r in recs]))
    weights = traces(tf.weight_lines_figure(snap))
    np.testing.assert_array_equal(weights["‖W_rec‖₂ (LSTM/GRU: gates stacked)"].y, compact([r.rec_weight_norm for r in recs]))
    assert set(weights) >= {"W_in", "W_rec", "bias", "W_out"}
    grad_fig = tf.grad_lines_figure(snap)
    assert list(traces(grad_fig)["clipped to τ = 0.5"].y) == [0.5, 0.5]
    assert all(r.clipped == (r.grad_norm_total > 0.5) for r in recs)
    heat = tf.heatmap_figure(snap)
    np.testing.assert_array_equal(heat.data[0].y, np.arange(1, 13))  # time steps 1..T
    assert "time step" in heat.layout.yaxis.title.text


def test_non_finite_run_is_json_safe_marked_and_shown_where_it_happened():
    hist, recs, _ = history(PRESETS["exploding_rnn"].replace(steps=50))
    assert len(recs) == 2 and recs[-1].first_nonfinite_step == 1
    snap = hist.snapshot()
    json.dumps(snap, allow_nan=False)
    assert snap["nonfinite"] == {"step": 1, "what": recs[-1].nonfinite}
    assert snap["loss"][1] in (None, "inf", "-inf")
    fig = tf.loss_figure(snap)
    assert np.isnan(traces(fig)["run"].y[1])  # a gap …
    np.testing.assert_array_equal(traces(fig)["loss overflowed"].x, [1])  # … marked on the edge
    shade = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(shade) == 1 and shade[0].x0 == 0.5 and shade[0].x1 == 1.5
    assert list(fig.layout.xaxis.range) == [-0.5, 4.5]  # zoomed to the steps taken, not 50


def test_zero_gradients_are_marked_not_dropped():
    info = RunInfo("ff", ["layer 1", "output"], ["layer 1"], "accuracy", 0.5, 3, [], [],
                   {"clip": "none", "clip_threshold": 1.0})
    hist = ts.History(info)
    for s in range(3):
        hist.add(StepRecord(s, 0.7, [1.0, 2.0], [0.0, 1e-3], 1e-3, False, [0.0]), None)
    snap = hist.snapshot()
    grads = traces(tf.grad_lines_figure(snap))
    assert np.isnan(grads["layer 1"].y).all()
    np.testing.assert_array_equal(grads["layer 1 = 0 exactly"].x, [0, 1, 2])
    heat = tf.heatmap_figure(snap)
    assert "blank: exactly 0" in heat.layout.title.subtitle.text


def test_empty_state_figures_say_press_start():
    for fig in tf.figures(None):
        assert "Press Start" in fig.layout.annotations[0].text
        assert len(fig.data) == 0


def _fake_history(config, rng):
    """A History of config.steps synthetic records (no training): payload sizes only."""
    info = Run(config).info
    hist = ts.History(info)
    rows, groups = len(info.state_labels), len(info.group_names)
    bins_a, bins_g = len(info.hist_act_edges) - 1, len(info.hist_grad_log10_edges) - 1
    for s in range(config.steps):
        rec = StepRecord(s, float(rng.lognormal()), rng.lognormal(size=groups).tolist(),
                         (10.0 ** rng.uniform(-40, 2, groups)).tolist(), 1.0, False,
                         (10.0 ** rng.uniform(-40, 2, rows)).tolist(),
                         rec_weight_norm=1.0 if config.kind == "rnn" else None,
                         val_metric=0.5 if s % config.eval_every == 0 else None)
        if s % config.hist_every == 0:
            rec.act_hist = rng.integers(0, 3000, (rows, bins_a)).tolist()
            rec.grad_hist = rng.integers(0, 3000, (rows, bins_g)).tolist()
        hist.add(rec, rec)
    return hist


@pytest.mark.parametrize("config", [
    FFConfig(depth=50, width=128, steps=5000, batch_size=256, eval_every=100, hist_every=313),
    RNNConfig(seq_len=200, cell="lstm", hidden=128, steps=5000, batch_size=256,
              omega_alpha=1.0, clip="norm", eval_every=100, hist_every=313),
], ids=["ff-max", "rnn-max"])
def test_a_progress_update_stays_under_150_kb_at_the_largest_settings(config):
    from plotly.io.json import to_json_plotly
    snap = _fake_history(config, np.random.default_rng(0)).snapshot(all_hists=False)
    size = len(to_json_plotly([f.to_plotly_json() for f in tf.figures(snap)]))
    print(f"{config.kind}: figures of one progress update {size} bytes")
    assert size < 150_000
    assert len(snap["cols"]) <= ts.MAX_LINE_COLS + 1
    assert len(snap["heat_rows"]) == ts.MAX_HEAT_ROWS and len(snap["hist"]["rows"]) == 30
