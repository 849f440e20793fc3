"""Which points a figure shows when there are too many to send: pure index arithmetic, shared by
the figure builders and by the training snapshot (which is built where a run executes, with no
plotting library loaded)."""
import numpy as np


def spread(n: int, at_most: int) -> np.ndarray:
    """Indices 0..n−1, or at_most of them spread evenly (first and last always kept)."""
    return np.unique(np.round(np.linspace(0, n - 1, min(n, at_most))).astype(int))


def steps_shown(T: int, cap: int) -> np.ndarray:
    """The steps 0..T a plot shows: all of them if T ≤ cap, else every s-th step,
    s = ⌈T / cap⌉, and T itself."""
    stride = max(1, -(-T // cap))
    return np.unique(np.r_[np.arange(0, T + 1, stride), T])


def thinning_note(steps: np.ndarray) -> str:
    """'1 step in s shown' when `steps` skips some, else ''."""
    stride = steps[1] - steps[0] if len(steps) > 1 else 1
    return f"1 step in {stride} shown" if stride > 1 else ""


def columns(done: int, total: int, cap: int) -> list[int]:
    """Steps 0..done−1 to show: every s-th, s = ⌈total / cap⌉ (so a column stays put while
    the run grows), and the newest step."""
    if done <= 0:
        return []
    stride = max(1, -(-total // cap))
    return sorted(set(range(0, done, stride)) | {done - 1})
