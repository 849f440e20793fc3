"""What the figure tests ask of a built figure."""
import numpy as np


def trace(fig, name):
    matches = [t for t in fig.data if t.name == name]
    assert len(matches) == 1, [t.name for t in fig.data]
    return matches[0]


def f32(a):
    return np.asarray(a, dtype=np.float64).astype(np.float32)


def shape_xs(fig):
    return sorted(s.x0 for s in fig.layout.shapes)


def texts(fig):
    return " | ".join(a.text for a in fig.layout.annotations)
