"""The text alternatives of /dynamics and /cliff, read back against their figures' data
(tests/app/test_summaries.py calls these with the figures the page's callback sent).

The sweep figures mark the basin boundary, the folds and the current θ with vertical lines;
what each line is comes from its label (the figures' annotations) and from the current orbit,
never from a line style, which is the figures' business.
"""
import re

import numpy as np

from engine.activations import sigma_prime
from engine.regime import CHAIN_BAND, regime
from tests.app.said import Said, named, values

DIGITS = 5  # app/pages/dynamics.py: the map's values
CROSSING_LABELS = ("x₀ on the basin boundary", "x₀ = unstable x* here")


def _lines(fig: dict) -> tuple[float | None, list[float], list[float]]:
    """(basin boundary, folds, every vertical line's x) of a sweep figure."""
    notes = fig["layout"].get("annotations", [])
    crossing = next((a["x"] for a in notes if a.get("text") in CROSSING_LABELS), None)
    folds = sorted(a["x"] for a in notes if str(a.get("text", "")).startswith("fold"))
    return crossing, folds, [s["x0"] for s in fig["layout"].get("shapes", [])]


def _marks(s: Said, fig: dict, p: str, current: float) -> None:
    crossing, folds, lines = _lines(fig)
    s.word("vertical lines mark")
    if crossing is not None:
        s.then(f"the basin boundary {p}* =", crossing, DIGITS)
    for i, v in enumerate(folds):
        s.then(f"at {p} =" if i == 0 else "and" if i == len(folds) - 1 else ",", v, DIGITS)
    s.then(f"the current {p} =", current, DIGITS)
    assert current in lines


def check_dynamics(figs: dict, said: dict, state: dict) -> None:
    traces = figs["trajectories"]["traces"]
    current = named(traces, "current")
    p, value = current["name"].split()[1], float(current["name"].split("= ")[1])
    fan = [t for t in traces if str(t.get("name", "")).startswith(f"{p} = ")]
    thetas = [float(t["name"].split("= ")[1]) for t in fan]
    x = values(current)
    ends = np.array([values(t)[-1] for t in fan])
    s = Said(said["trajectories"])
    s.then("xₜ for", len(fan), None)
    s.then(f"values of {p} from", min(thetas), DIGITS)
    s.then("to", max(thetas), DIGITS)
    s.then(f"current {p} =", value, DIGITS)
    s.then("x₀ =", x[0], DIGITS)
    s.then("x_T =", x[-1], DIGITS)
    s.then("in", len(x) - 1, None)
    finite = ends[np.isfinite(ends)]
    if finite.size:
        s.then("end between", finite.min(), DIGITS)
        s.then("and", finite.max(), DIGITS)
    if finite.size < ends.size:
        s.then(";", ends.size - finite.size, None)
    s.done()

    traces = figs["cobweb"]["traces"]
    path = values(named(traces, "cobweb"), "x")[::2]  # x₀ x₀ x₁ x₁ …: the orbit x₀ … x_T
    roots = sorted([(v, "stable") for v in values(named(traces, "stable x*"), "x")]
                   + [(v, "unstable") for v in values(named(traces, "unstable x*"), "x")])
    s = Said(said["cobweb"])
    s.then("from x₀ =", path[0], DIGITS)
    for i, (v, kind) in enumerate(roots):
        s.then("x* =" if i == 0 else "and" if i == len(roots) - 1 else ",", v, DIGITS, atol=1e-9)
        s.word(f"({kind})")
    if not roots:
        s.word("no fixed point")
    s.then("x_T =", path[-1], DIGITS)
    with np.errstate(all="ignore"):  # |w·σ′(xₜ₋₁)| along the drawn orbit
        rate = float(np.exp(np.mean(np.log(np.abs(
            state["w"] * sigma_prime(state["act"], path[:-1].astype(float)))))))
    s.then("averaging", rate)
    s.word(f"per step: {regime(rate, CHAIN_BAND)}")
    s.done()

    fig = figs["final"]
    line = named(fig["traces"], "x_T")
    b, xT = values(line, "x"), values(line)
    T = int(re.search(r"T = (\d+)", fig["layout"]["title"]["text"]).group(1))
    s = Said(said["final"])
    s.then("T =", T, None)
    s.then(f"against {p} from", b[0], DIGITS)
    s.then("to", b[-1], DIGITS)
    s.then(":", xT[0], DIGITS)
    s.then("left end and", xT[-1], DIGITS)
    _marks(s, fig, p, value)
    s.done()

    fig = figs["gradient"]
    line = fig["traces"][0]
    b, size = values(line, "x"), values(line)
    s = Said(said["gradient"])
    s.then("log scale:", size[0], gap=True)
    s.then("left end and", size[-1], gap=True)
    crossing, _, _ = _lines(fig)
    if np.isfinite(size).any():
        s.then("largest", np.nanmax(size), DIGITS)
        s.then(f"at {p} =", b[np.nanargmax(size)], DIGITS)
    if crossing is not None and np.isfinite(size).any():
        off = b[np.nanargmax(size)] - crossing
        if off == 0:
            s.word(f"at the basin boundary {p}*")
        else:
            s.then(",", abs(off), 2)
            s.word(f"{'below' if off < 0 else 'above'} the basin boundary {p}*")
    if s.has("not finite at"):  # a gap in the log line: inf/NaN (or 0, which is not counted)
        assert 0 < s.read("not finite at") <= np.sum(np.isnan(size))
        s.then("of", size.size, None)
    _marks(s, fig, p, value)
    s.done()

    traces = figs["bifurcation"]["traces"]
    up, down = (named(traces, f"x∞, {p} swept {way}") for way in ("up", "down"))
    theta, up, down = values(up, "x"), values(up), values(down)
    folds = values(named(traces, "folds"), "x")
    s = Said(said["bifurcation"])
    for i, v in enumerate(sorted(folds)):
        s.then(f"at {p} =" if i == 0 else "and" if i == len(folds) - 1 else ",", v, DIGITS)
    if not folds.size:
        s.word("no fold in this range")
    both = np.isfinite(up) & np.isfinite(down)
    with np.errstate(invalid="ignore"):
        apart = both & (np.abs(up - down) > 1e-6 * (1 + np.abs(up)))
    if apart.any():
        s.then(f"between {p} =", theta[apart].min(), DIGITS)
        s.then("and", theta[apart].max(), DIGITS)
        s.word("hysteresis")
    elif both.any():
        s.word("no hysteresis")
    bad = int(np.sum(~np.isfinite(up)))
    if bad:
        s.then("no finite value at", bad, None)
        s.then("of", up.size, None)
    s.done()


METHODS = ("plain GD", "norm-clipped", "value-clipped")


def check_cliff(figs: dict, said: dict, view: str) -> None:
    traces = figs["surface"]["traces"]
    surface = traces[0]
    w, b = values(surface, "x"), values(surface, "y")
    E = values(surface, "z")
    E = 10.0 ** E if view == "2d" else E  # 2-D: log10 E as float32
    s = Said(said["surface"])
    for word, extreme in (("from", np.nanmin(E)), ("to", np.nanmax(E))):
        s.then(word, extreme)
        at_w, at_b = s.read("(w, b) = (" if word == "from" else "at ("), s.read(",")
        cell = E[np.argmin(np.abs(b - at_b)), np.argmin(np.abs(w - at_w))]
        assert abs(cell - extreme) <= 1e-5 * extreme and \
            np.min(np.abs(w - at_w)) <= 5e-4 * abs(at_w) + 1e-12, (at_w, at_b, cell, extreme)
    axes = figs["surface"]["layout"]
    axes = axes["scene"] if view == "3d" else axes
    shown = axes["xaxis"]["range"], axes["yaxis"]["range"]  # the map as drawn, its margin too
    start = named(traces, "start")
    s.then("From the start (", values(start, "x")[0])
    s.then(",", values(start, "y")[0])
    for name in METHODS:
        path = named(traces, name)
        end_w, end_b = values(path, "x")[-1], values(path, "y")[-1]
        s.then(f"{name} {'ends ' if name == METHODS[0] else ''}at (", end_w)
        s.then(",", end_b)
        (w_lo, w_hi), (b_lo, b_hi) = shown
        outside = not (w_lo <= end_w <= w_hi and b_lo <= end_b <= b_hi)
        assert s.text.startswith("), outside the map", s.at) == outside, s.text
    s.done()

    fig = figs["stepsizes"]
    cap = fig["layout"]["shapes"][0]["y0"]
    steps = {name: values(named(fig["traces"], name)) for name in METHODS}
    s = Said(said["stepsizes"])
    s.then("lr·threshold =", cap)
    plain = steps["plain GD"]
    big = float(np.nanmax(plain))
    s.then("largest step is", big)
    k = int(s.read("at iteration"))
    assert abs(plain[k] - big) <= 1e-6 * big
    if s.has("clipping never acted"):
        assert big <= cap * (1 + 1e-6)
        s.word("stable")
    else:
        s.then(",", big / cap)
        s.word(f"times the cap: {'exploding' if big >= 10 * cap else 'stable'}")
        s.then("largest steps are", np.nanmax(steps["norm-clipped"]))
        s.then("and", np.nanmax(steps["value-clipped"]))
    s.done()

    traces = figs["clipping"]["traces"]
    thr = values(traces[0], "x")[0]  # the circle ‖g‖ = threshold, from angle 0
    arrow = {name: np.array([values(named(traces, name), "x")[-1],
                             values(named(traces, name), "y")[-1]])
             for name in ("raw", "by norm", "by value")}
    norm = {name: float(np.hypot(*g)) for name, g in arrow.items()}
    s = Said(said["clipping"])
    if s.has("neither clipping changes it"):
        s.then("‖g‖ =", norm["raw"])
        s.then("the threshold", thr)
        assert norm["raw"] <= thr
    else:
        s.then("the threshold", thr)
        s.then("‖g‖ =", norm["raw"])
        s.then(",", norm["raw"] / thr)
        s.then("‖g‖ =", norm["by norm"])
        s.then("‖g‖ =", norm["by value"])
        u, v = arrow["raw"], arrow["by value"]
        angle = np.degrees(np.arctan2(abs(u[0] * v[1] - u[1] * v[0]), u @ v))
        s.then("turned", angle, 3)
    s.done()

    losses = {name: values(named(figs["loss"]["traces"], name)) for name in METHODS}
    s = Said(said["loss"])
    s.then("from E =", losses["plain GD"][0])
    s.then("after", losses["plain GD"].size - 1, None)
    for name in METHODS:
        s.then(f"{name} at", losses[name][-1], gap=True)
    for name in METHODS:
        if s.has(f"{name} not finite"):
            stopped = np.flatnonzero(np.isnan(steps[name]))
            s.then(f"{name} not finite from iteration", stopped[0], None)
    s.done()
