"""Training runs: Ω against hand computation, clipping bounds, overflow detection, the
vanishing/He stories, determinism, the lr = 0 twin and the records. Short runs only.

Why one module for the package engine/training/ (~450 lines): nearly every test drives whole short
runs through `Run`, which touch config, models, Ω and the run loop together.
"""
import json
import math

import numpy as np
import pytest
import torch

from engine import training as tr
from engine.training import FFConfig, RNNConfig, RecurrentNet, Run, omega

torch.set_num_threads(1)


def run_to_end(cfg) -> tuple:
    """(the run after its last step, the StepRecord of every step it took)."""
    run, records = Run(cfg), []
    while not run.done:
        records.append(run.step())
    return run, records


def _forward_with_state_grads(model, x, y):
    out, states = model(x)
    loss = torch.nn.functional.mse_loss(out[:, 0], y)
    flat = [t for st in states for t in st]
    g = torch.autograd.grad(loss, flat, retain_graph=True, allow_unused=True)
    n = len(states[0])
    return states, [tuple(g[k * n : (k + 1) * n]) for k in range(len(states))]


def _one_unit(activation, w, B=3, T=4, seed=0):
    torch.manual_seed(seed)
    m = RecurrentNet(1, 1, 1, "rnn", activation)
    with torch.no_grad():
        m.W_in.fill_(0.7)
        m.W_rec.fill_(w)
        m.b.fill_(0.1)
        m.readout.weight.fill_(1.3)
        m.readout.bias.fill_(0.0)
    x = torch.randn(B, T, 1)
    y = torch.randn(B)
    return m, x, y


# --------------------------------------------------------------------------- Ω


@pytest.mark.parametrize("w", [0.5, -2.0, 1.0])
def test_omega_one_unit_linear_is_T_times_abs_w_minus_1_squared(w):
    # x_{k+1} = w x_k + …  ⇒  ∂x_{k+1}/∂x_k = w, so every term is (|w| − 1)², T of them.
    m, x, y = _one_unit("identity", w, T=4)
    states, grads = _forward_with_state_grads(m, x, y)
    om = omega(m, x, states, grads)
    assert float(om.detach()) == pytest.approx(4 * (abs(w) - 1) ** 2, abs=1e-6)
    # dΩ/dw = T · 2(|w| − 1) · sign(w): the gradient reaches W_rec through the VJP
    (gw,) = torch.autograd.grad(om, m.W_rec)
    assert float(gw) == pytest.approx(4 * 2 * (abs(w) - 1) * math.copysign(1, w), abs=1e-4)


def test_omega_one_unit_tanh_uses_the_slope_at_the_next_state():
    # ∂x_{k+1}/∂x_k = w (1 − x_{k+1}²): term_k = (|w| (1 − x_{k+1}²) − 1)², averaged over the batch
    w = 1.5
    m, x, y = _one_unit("tanh", w, B=3, T=5)
    states, grads = _forward_with_state_grads(m, x, y)
    xs = torch.cat([s[0] for s in states], dim=1).detach().double().numpy()  # (B, T)
    expected = ((w * (1 - xs**2) - 1) ** 2).sum() / 3
    assert float(omega(m, x, states, grads).detach()) == pytest.approx(expected, rel=1e-5)


def test_omega_two_unit_linear_against_numpy():
    # Everything by hand: forward, ∂E/∂x_k by the chain rule, then the formula.
    W = np.array([[0.9, -0.4], [0.3, 1.2]])
    U = np.array([[0.5], [-0.8]])
    v = np.array([0.7, -1.1])
    B, T = 4, 6
    rng = np.random.default_rng(0)
    u = rng.standard_normal((B, T, 1))
    y = rng.standard_normal(B)
    m = RecurrentNet(1, 2, 1, "rnn", "identity").double()
    with torch.no_grad():
        m.W_rec.copy_(torch.tensor(W))
        m.W_in.copy_(torch.tensor(U))
        m.b.zero_()
        m.readout.weight.copy_(torch.tensor(v[None, :]))
        m.readout.bias.zero_()
    x_t = torch.tensor(u)
    states, grads = _forward_with_state_grads(m, x_t, torch.tensor(y))
    # numpy: x_t = W x_{t−1} + U u_t; E = mean (v·x_T − y)²
    xs = np.zeros((T + 1, B, 2))
    for t in range(T):
        xs[t + 1] = xs[t] @ W.T + u[:, t] @ U.T
    g = np.zeros((T + 1, B, 2))
    g[T] = (2.0 / B) * ((xs[T] @ v - y)[:, None]) * v[None, :]
    for k in range(T - 1, 0, -1):
        g[k] = g[k + 1] @ W
    np.testing.assert_allclose(torch.stack([s[0] for s in grads]).numpy(), g[1:], rtol=1e-10)
    ratio = np.linalg.norm(g[1:] @ W, axis=2) / np.linalg.norm(g[1:], axis=2)  # (T, B)
    expected = ((ratio - 1) ** 2).sum() / B
    om = omega(m, x_t, states, grads)
    assert float(om.detach()) == pytest.approx(expected, rel=1e-10)
    (gw,) = torch.autograd.grad(om, m.W_rec)
    assert float(gw.abs().sum()) > 1e-3
    # and the autograd gradient matches a finite difference of the hand formula in W
    def omega_np(Wp):
        r = np.linalg.norm(g[1:] @ Wp, axis=2) / np.linalg.norm(g[1:], axis=2)
        return ((r - 1) ** 2).sum() / B  # g held constant, as in the paper

    eps = 1e-6
    fd = np.zeros_like(W)
    for i in range(2):
        for j in range(2):
            Wp, Wm = W.copy(), W.copy()
            Wp[i, j] += eps
            Wm[i, j] -= eps
            fd[i, j] = (omega_np(Wp) - omega_np(Wm)) / (2 * eps)
    np.testing.assert_allclose(gw.numpy(), fd, rtol=1e-5, atol=1e-8)


def test_omega_works_for_gated_cells_and_reaches_their_recurrent_weights():
    for cell in ("lstm", "gru"):
        torch.manual_seed(1)
        m = RecurrentNet(3, 5, 1, cell)
        x, y = torch.randn(4, 7, 3), torch.randn(4)
        states, grads = _forward_with_state_grads(m, x, y)
        om = omega(m, x, states, grads)
        (gw,) = torch.autograd.grad(om, m.w_rec())
        assert math.isfinite(float(om.detach())) and float(om.detach()) > 0
        assert float(gw.abs().sum()) > 0


def test_omega_changes_only_the_recurrent_gradient_in_a_run():
    base = RNNConfig(task="adding", seq_len=12, hidden=8, steps=1, clip="norm", clip_threshold=1e6)
    a = Run(base).step()
    b = Run(base.replace(omega_alpha=1.0)).step()
    a_names = Run(base).info.group_names
    i_rec = a_names.index("W_rec")
    assert b.omega is not None and b.omega > 0 and a.omega is None
    assert b.loss == a.loss
    for i, name in enumerate(a_names):
        if i == i_rec:
            assert abs(b.grad_norms[i] - a.grad_norms[i]) > 1e-4
        else:
            assert b.grad_norms[i] == pytest.approx(a.grad_norms[i], rel=1e-6)


# --------------------------------------------------------------------------- clipping


def _flat(params: dict) -> np.ndarray:
    return np.concatenate([v.ravel().astype(np.float64) for v in params.values()])


@pytest.mark.parametrize(
    "cfg",
    [
        FFConfig(depth=4, width=16, activation="relu", init="large_normal", steps=5),
        RNNConfig(task="adding", seq_len=20, hidden=16, activation="relu", rec_gain=1.5, steps=5),
    ],
)
def test_norm_clipping_bounds_the_sgd_step_by_lr_times_threshold(cfg):
    lr, thr = 0.5, 0.01
    run = Run(cfg.replace(optimizer="sgd", momentum=0.0, lr=lr, clip="norm", clip_threshold=thr))
    for _ in range(5):
        before = _flat(run.params_numpy())
        rec = run.step()
        step = np.linalg.norm(_flat(run.params_numpy()) - before)
        assert rec.clipped and rec.grad_norm_total > 10 * thr  # clipping was really needed
        assert step <= lr * thr * (1 + 1e-3)  # 1e-3: float32 rounding of the difference
        assert step == pytest.approx(lr * thr, rel=1e-3)  # rescaled to the threshold, not below


def test_norm_clipping_holds_for_gradients_whose_float32_square_overflows():
    # linear RNN, W_rec = 1.8·I, T = 50: loss and gradients are finite but ‖g‖ ~ 1e26, so
    # Σ g² would overflow float32 — the step must still be exactly lr·τ, not 0 or NaN.
    cfg = RNNConfig(task="adding", seq_len=50, hidden=8, activation="identity", rec_init="identity",
                    rec_gain=1.8, steps=1, lr=0.1, clip="norm", clip_threshold=1.0)
    run = Run(cfg)
    before = _flat(run.params_numpy())
    rec = run.step()
    assert rec.first_nonfinite_step is None and rec.grad_norm_total > 1e20
    assert np.linalg.norm(_flat(run.params_numpy()) - before) == pytest.approx(0.1, rel=1e-3)


def test_without_clipping_the_same_step_is_far_larger():
    cfg = FFConfig(depth=4, width=16, activation="relu", init="large_normal", steps=1, lr=0.5, momentum=0.0)
    run = Run(cfg)
    before = _flat(run.params_numpy())
    rec = run.step()
    step = np.linalg.norm(_flat(run.params_numpy()) - before)
    assert step == pytest.approx(0.5 * rec.grad_norm_total, rel=1e-4)
    assert step > 100 * 0.5 * 0.01


def test_value_clipping_bounds_every_coordinate():
    lr, thr = 0.5, 1e-3
    cfg = FFConfig(depth=4, width=16, activation="relu", init="large_normal", steps=3, lr=lr,
                   momentum=0.0, clip="value", clip_threshold=thr)
    run = Run(cfg)
    for _ in range(3):
        before = _flat(run.params_numpy())
        rec = run.step()
        after = _flat(run.params_numpy())
        delta = np.abs(after - before)
        assert rec.clipped
        # float32 weights: the difference itself carries a rounding error of ~eps·|w|
        slack = 2 * np.finfo(np.float32).eps * np.abs(after).max()
        assert delta.max() <= lr * thr + slack
        assert delta.max() == pytest.approx(lr * thr, rel=1e-3)


# --------------------------------------------------------------------------- overflow


def test_forward_overflow_is_caught_at_step_0_without_raising():
    # linear RNN, W_rec = 100·I: ‖x_T‖ ~ 100^50 overflows float32 in the very first forward pass
    cfg = RNNConfig(task="adding", seq_len=50, hidden=8, activation="identity", rec_init="identity",
                    rec_gain=100.0, steps=10)
    run, records = run_to_end(cfg)
    assert run.first_nonfinite_step == 0 and len(records) == 1
    assert records[0].nonfinite == "loss" and not math.isfinite(records[0].loss)
    # the same net with W_rec = 0.9·I has a finite first step (0.9^50 shrinks instead)
    ok, ok_records = run_to_end(cfg.replace(rec_gain=0.9, steps=1))
    assert ok.first_nonfinite_step is None and _finite(ok_records[0])


@pytest.mark.parametrize(
    "gain, lr, what",
    [(2.35, 0.01, None), (2.6, 0.01, "loss"), (2.48, 0.01, "grad"), (2.35, 100.0, "weights")],
)
def test_overflow_names_what_overflowed(gain, lr, what):
    # linear RNN, W_rec = gain·I, T = 50: x_T ~ gain^50, E ~ gain^100, ∂E/∂W larger still.
    # 2.6: E itself overflows; 2.48: E ~ 6e36 is finite but a gradient entry is not;
    # 2.35 with lr = 100: E ~ 4e34 and ‖g‖ ~ 1e37 are finite, the step lr·g is not.
    cfg = RNNConfig(task="adding", seq_len=50, hidden=8, activation="identity", rec_init="identity",
                    rec_gain=gain, steps=3, lr=lr)
    run = Run(cfg)
    init = run.params_numpy()
    rec = run.step()
    assert rec.nonfinite == what
    assert math.isfinite(rec.loss) == (what != "loss")
    if what is None:
        assert _finite(rec) and rec.first_nonfinite_step is None and not run.done
        return
    assert rec.first_nonfinite_step == 0 and run.done
    assert math.isfinite(rec.grad_norm_total) == (what == "weights")
    params = run.params_numpy()
    if what == "weights":
        assert not all(np.isfinite(v).all() for v in params.values())
    else:  # no update was applied
        assert all(np.array_equal(params[n], v) for n, v in init.items())


def _finite(rec) -> bool:
    vals = [rec.loss, rec.grad_norm_total, *rec.weight_norms, *rec.grad_norms]
    return all(math.isfinite(v) for v in vals)


def test_exploding_preset_names_the_first_nonfinite_step():
    cfg = tr.PRESETS["exploding_rnn"]
    run, records = run_to_end(cfg)
    k = run.first_nonfinite_step
    assert k is not None and k >= 1
    assert len(records) == k + 1  # stopped cleanly right there
    assert all(_finite(r) and r.first_nonfinite_step is None for r in records[:k])
    bad = records[k]
    assert bad.first_nonfinite_step == k and bad.nonfinite in ("loss", "grad", "weights")
    if bad.nonfinite == "weights":
        assert _finite(bad)  # loss and gradients were finite; the update overflowed
    else:
        assert not _finite(bad)
    # replay: after exactly k updates every weight is still finite
    run = Run(cfg)
    for _ in range(k):
        run.step()
    assert all(np.isfinite(v).all() for v in run.params_numpy().values())
    assert run.step().first_nonfinite_step == k
    assert run.done
    # the clipped twin of the story does not overflow over the same steps
    clipped, _ = run_to_end(tr.PRESETS["exploding_rnn_clipped"].replace(steps=3 * (k + 1)))
    assert clipped.first_nonfinite_step is None


# --------------------------------------------------------------------------- the stories


def test_vanishing_preset_early_layers_get_orders_of_magnitude_less_gradient():
    cfg = tr.PRESETS["vanishing"].replace(steps=5)
    for rec in run_to_end(cfg)[1]:
        first, last = rec.grad_norms[0], rec.grad_norms[cfg.depth - 1]  # layer 1, layer L
        assert last > 0 and first * 100 <= last
        assert rec.state_grad_norms[0] * 100 <= rec.state_grad_norms[-1]


def test_he_relu_preset_keeps_early_layer_gradients_comparable():
    cfg = tr.PRESETS["he_relu"].replace(steps=5)
    for rec in run_to_end(cfg)[1]:
        first, last = rec.grad_norms[0], rec.grad_norms[cfg.depth - 1]
        assert last / 100 < first < last * 100
        assert rec.state_grad_norms[-1] / 100 < rec.state_grad_norms[0]


def test_vanilla_rnn_gradient_decays_back_in_time():
    rec = Run(tr.PRESETS["temporal_order_sgd"]).step()
    g = rec.state_grad_norms
    assert len(g) == tr.PRESETS["temporal_order_sgd"].seq_len
    assert g[0] * 100 < g[-1]


# --------------------------------------------------------------------------- determinism, twin


def _records(cfg):
    return [json.dumps(r.to_dict()) for r in run_to_end(cfg)[1]]


@pytest.mark.parametrize(
    "cfg",
    [
        FFConfig(depth=5, width=16, norm="batch", residual=True, optimizer="adam", lr=1e-2, steps=6,
                 hist_every=3, eval_every=2),
        RNNConfig(seq_len=15, hidden=8, cell="rnn", clip="norm", omega_alpha=0.5, steps=6, eval_every=2),
        RNNConfig(task="adding", seq_len=15, hidden=8, cell="lstm", optimizer="adam", lr=1e-2, steps=4),
    ],
)
def test_same_seed_same_run_other_seed_other_run(cfg):
    assert _records(cfg) == _records(cfg)
    assert _records(cfg) != _records(cfg.replace(seed=cfg.seed + 1))


@pytest.mark.parametrize(
    "cfg",
    [
        FFConfig(depth=3, width=8, norm="batch", optimizer="sgd", momentum=0.9, lr=0.1, steps=5),
        RNNConfig(seq_len=12, hidden=8, cell="gru", optimizer="adam", lr=0.05, clip="norm",
                  omega_alpha=1.0, steps=5),
    ],
)
def test_lr_zero_twin_keeps_its_weights_and_sees_the_same_data(cfg):
    init = Run(cfg).params_numpy()
    run, twin = Run(cfg), Run(tr.lr_zero_twin(cfg))
    records, twin_records = [], []
    while not run.done:  # in lockstep, as the app's run process steps them
        records.append(run.step())
        twin_records.append(twin.step())
    assert twin.info.config["lr"] == 0.0 and run.info.config["lr"] == cfg.lr
    for name, w in init.items():
        np.testing.assert_array_equal(twin.params_numpy()[name], w)
    assert any(not np.array_equal(run.params_numpy()[n], w) for n, w in init.items())
    # step 0: same init, same batch ⇒ same loss and gradients
    assert twin_records[0].loss == records[0].loss
    assert twin_records[0].grad_norms == records[0].grad_norms
    # every step sees the same batch as the run would: the twin's loss is the loss of the
    # initial weights on batch s, which a fresh lr=0 run reproduces exactly
    assert [r.loss for r in twin_records] == [r.loss for r in run_to_end(tr.lr_zero_twin(cfg))[1]]
    assert len({tuple(r.weight_norms) for r in twin_records}) == 1


# --------------------------------------------------------------------------- records


def test_records_shapes_histograms_and_json():
    cfg = FFConfig(depth=6, width=16, steps=7, batch_size=20, eval_every=3, hist_every=5)
    recs = run_to_end(cfg)[1]
    assert [r.step for r in recs] == list(range(7))
    assert [r.val_metric is not None for r in recs] == [True, False, False, True, False, False, True]
    assert [r.act_hist is not None for r in recs] == [True, False, False, False, False, True, True]
    for r in recs:
        assert len(r.weight_norms) == len(r.grad_norms) == 7  # 6 layers + output
        assert len(r.state_grad_norms) == 6
        json.loads(json.dumps(r.to_dict()))
    h = recs[0]
    assert len(h.act_hist) == len(h.grad_hist) == 6
    for counts in h.act_hist:
        assert len(counts) == len(tr.HIST_ACT_EDGES) - 1
        assert sum(counts) == 20 * 16  # every activation counted once (outliers in end bins)
    for counts in h.grad_hist:
        assert len(counts) == len(tr.HIST_GRAD_LOG10_EDGES) - 1
        assert sum(counts) == 20 * 16
    assert 0.0 <= recs[-1].val_metric <= 1.0


def test_rnn_records_are_per_time_step():
    cfg = RNNConfig(seq_len=20, hidden=8, cell="lstm", steps=1, batch_size=4)
    rec = Run(cfg).step()
    info = Run(cfg).info
    assert len(rec.state_grad_norms) == 20 and len(info.state_labels) == 20
    assert len(rec.act_hist) == 20 and sum(rec.act_hist[0]) == 4 * 16  # (h, c) of 8 units each
    assert rec.rec_weight_norm > 0 and info.metric == "accuracy" and info.chance == 0.25


def test_config_validation_and_round_trip():
    for cfg in tr.PRESETS.values():
        assert tr.config_from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    bad = [
        dict(kind="ff", depth=51),
        dict(kind="ff", depth=0),
        dict(kind="ff", activation="softsign"),
        dict(kind="ff", init="uniform"),
        dict(kind="ff", lr=-1.0),
        dict(kind="ff", lr=float("nan")),
        dict(kind="ff", residual="yes"),
        dict(kind="ff", colour="red"),
        dict(kind="rnn", cell="transformer"),
        dict(kind="rnn", seq_len=5),
        dict(kind="rnn", steps=2.5),
        dict(kind="cnn"),
    ]
    for d in bad:
        with pytest.raises(ValueError):
            tr.config_from_dict(d)


def test_every_preset_runs_and_streams():
    for name, cfg in tr.PRESETS.items():
        run = Run(cfg.replace(steps=2))
        for _ in range(2):
            json.dumps(run.step().to_dict())


# --------------------------------------------------------------------------- preset outcomes
# (the temporal-order presets take 10–16 s each and are measured by bench/bench_presets.py)


def test_vanishing_preset_does_not_train_and_he_relu_does():
    van, van_records = run_to_end(tr.PRESETS["vanishing"])
    he, he_records = run_to_end(tr.PRESETS["he_relu"])
    assert van_records[-1].val_metric <= 0.6  # chance is 0.5
    assert he_records[-1].val_metric >= 0.9
    # the fixed-edge gradient histograms show it too: layer 1's |∂E/∂h| sits decades lower
    edges = np.array(van.info.hist_grad_log10_edges)
    centre = (edges[:-1] + edges[1:]) / 2

    def median_log10(counts):
        c = np.cumsum(counts)
        return centre[np.searchsorted(c, c[-1] / 2)]

    h = van_records[0].grad_hist
    assert median_log10(h[0]) <= median_log10(h[-1]) - 2
    h = he_records[0].grad_hist
    assert abs(median_log10(h[0]) - median_log10(h[-1])) <= 1


def test_exploding_clipped_preset_beats_the_constant_predictor():
    run, records = run_to_end(tr.PRESETS["exploding_rnn_clipped"])
    assert run.first_nonfinite_step is None
    assert records[-1].val_metric < 0.25 * run.info.chance  # MSE < ¼ Var y
