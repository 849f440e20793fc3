"""The seeded task generators produce exactly the structure their docstrings state."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import tasks


@settings(max_examples=40, deadline=None)
@given(T=st.integers(10, 300), seed=st.integers(0, 2**31 - 1))
def test_temporal_order_structure(T, seed):
    b = tasks.temporal_order(64, T, seed)
    assert b.inputs.shape == (64, T, 6) and b.inputs.dtype == np.float32
    # one-hot at every step
    assert np.array_equal(b.inputs.sum(axis=2), np.ones((64, T), dtype=np.float32))
    symbols = b.inputs.argmax(axis=2)
    w = T // 10
    p0, p1 = b.positions[:, 0], b.positions[:, 1]
    assert np.all((w <= p0) & (p0 < 2 * w))
    assert np.all((T // 2 <= p1) & (p1 < T // 2 + w))
    # A/B (0/1) exactly at the two positions, distractors c..f (2..5) everywhere else
    relevant = symbols < 2
    assert np.array_equal(relevant.sum(axis=1), np.full(64, 2))
    rows = np.arange(64)
    assert relevant[rows, p0].all() and relevant[rows, p1].all()
    v0, v1 = symbols[rows, p0], symbols[rows, p1]
    assert np.array_equal(b.relevant, np.stack([v0, v1], axis=1))
    assert np.array_equal(b.targets, v0 + 2 * v1)


def test_temporal_order_labels_spelled_out():
    # Hand-check the class names against the symbols on a few sequences.
    b = tasks.temporal_order(200, 50, 3)
    names = "AB"
    for seq, y, (p0, p1) in zip(b.inputs.argmax(axis=2), b.targets, b.positions):
        assert tasks.TEMPORAL_ORDER_CLASSES[y] == names[seq[p0]] + names[seq[p1]]
    # all four classes occur, each roughly a quarter of the time
    counts = np.bincount(tasks.temporal_order(4000, 50, 4).targets, minlength=4)
    assert counts.min() > 850


def test_temporal_order_windows_at_T50():
    assert tasks.temporal_order_windows(50) == ((5, 10), (25, 30))
    pos = tasks.temporal_order(5000, 50, 0).positions
    # every position in each window is used (the windows are not narrower than stated)
    assert set(pos[:, 0]) == set(range(5, 10)) and set(pos[:, 1]) == set(range(25, 30))


@settings(max_examples=40, deadline=None)
@given(
    T=st.integers(10, 300),
    seed=st.integers(0, 2**31 - 1),
    target=st.sampled_from(tasks.ADDING_TARGETS),
    placement=st.sampled_from(tasks.ADDING_PLACEMENTS),
)
def test_adding_structure(T, seed, target, placement):
    b = tasks.adding(64, T, seed, target=target, placement=placement)
    assert b.inputs.shape == (64, T, 2) and b.inputs.dtype == np.float32
    values, markers = b.inputs[:, :, 0], b.inputs[:, :, 1]
    assert np.all((values >= 0) & (values < 1))
    assert set(np.unique(markers)) <= {0.0, 1.0}
    assert np.array_equal(markers.sum(axis=1), np.full(64, 2.0, dtype=np.float32))
    (a0, b0), (a1, b1) = tasks.adding_windows(T, placement)
    marked_pos = np.sort(np.nonzero(markers)[1].reshape(64, 2), axis=1)
    assert np.array_equal(marked_pos, b.positions)
    assert np.all((a0 <= b.positions[:, 0]) & (b.positions[:, 0] < b0))
    assert np.all((a1 <= b.positions[:, 1]) & (b.positions[:, 1] < b1))
    total = (values * markers).sum(axis=1)
    expected = total if target == "sum" else total / 2
    np.testing.assert_allclose(b.targets, expected, rtol=1e-6)


def test_adding_halves_means_first_and_second_half():
    b = tasks.adding(2000, 40, 1)
    assert b.positions[:, 0].max() < 20 <= b.positions[:, 1].min()
    assert b.positions[:, 1].max() == 39 and b.positions[:, 0].min() == 0


def test_adding_baseline_is_the_variance_of_the_target():
    for target in tasks.ADDING_TARGETS:
        y = tasks.adding(200_000, 20, 5, target=target).targets
        assert np.var(y) == pytest.approx(tasks.adding_baseline_mse(target), rel=0.02)


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = (tasks.temporal_order(8, 30, s) for s in (7, 7, 8))
    assert np.array_equal(a.inputs, b.inputs) and not np.array_equal(a.inputs, c.inputs)
    x1, y1 = tasks.two_spirals(100, 7)
    x2, y2 = tasks.two_spirals(100, 7)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)


def test_two_spirals_classes_are_balanced_and_interleaved():
    x, y = tasks.two_spirals(1000, 0, noise=0.0)
    assert x.shape == (1000, 2) and np.bincount(y).tolist() == [500, 500]
    # without noise, point and class are a function of (r, θ): class 1 is class 0 rotated by π
    r = np.hypot(x[:, 0], x[:, 1])
    theta = np.arctan2(x[:, 1], x[:, 0])
    expected_theta = 2 * np.pi * tasks.TURNS * r + np.pi * y
    diff = np.angle(np.exp(1j * (theta - expected_theta)))
    np.testing.assert_allclose(diff, 0.0, atol=1e-4)


def test_regression_target_formula():
    x, y = tasks.regression_2d(500, 2, noise=0.0)
    np.testing.assert_allclose(y, np.sin(2 * x[:, 0]) * np.cos(2 * x[:, 1]), rtol=1e-5, atol=1e-6)


def test_bad_arguments_raise():
    with pytest.raises(ValueError):
        tasks.temporal_order(4, 9, 0)
    with pytest.raises(ValueError):
        tasks.adding(4, 20, 0, target="max")
    with pytest.raises(ValueError):
        tasks.adding(4, 20, 0, placement="middle")
