"""The text alternatives of /chain, /matrix and /rnn, read back against their figures' data
(tests/app/test_summaries.py calls these with the figures the page's callback sent).

Each check recomputes, from the plotted traces only, what the sentence states: the values at
the ends, the ratio across the depth, where values stopped being finite, the regime word (the
band of engine/regime.py applied to the plotted factor), the agreement of the two computations,
the extremes of a heatmap and the cells where they sit.
"""
import numpy as np

from engine.regime import CHAIN_BAND, regime
from engine.rnn import REGIME_BAND
from tests.app.said import Said, check_agreement, legend, named, restored, values


def _pair(traces):
    """(reference line, autograd markers) of a chain figure, signed values in customdata."""
    torch = ("torch", "forward pass in torch")
    marks = [t for t in traces if str(t.get("name", "")).startswith(torch)]
    line = [t for t in traces if t.get("customdata") is not None and t.get("yaxis") != "y2"
            and not str(t.get("name", "")).startswith(torch)]
    return line[0], marks[0]


def check_chain(figs: dict, said: dict) -> None:
    line, marks = _pair(figs["activations"]["traces"])
    x, a = values(line, "x").astype(int), values(line, "customdata")
    n = int(x[-1])
    s = Said(said["activations"])
    s.then("on a log scale:", a[0])
    s.then("at layer", 0, None)
    s.then("and", a[-1])
    s.then("at layer", n, None)
    bad = np.flatnonzero(~np.isfinite(a))
    if bad.size:
        s.then("inf/NaN from layer", x[bad[0]], None)
    check_agreement(s, a, values(marks, "customdata"))
    s.done()

    line, marks = _pair(figs["backprop"]["traces"])
    x, bp = values(line, "x").astype(int), values(line, "customdata")
    s = Said(said["backprop"])
    if n > 1:
        s.then("reaching layer", 1, None)
        s.then("is", bp[x == 1][0])
        s.then("times layer", n, None)
        assert bp[-1] == 1  # "times layer n's": the factor is 1 there
        s.then("(layer", 0, None)
        s.then("gets", bp[0])
    else:
        s.then("(γ|w|)ⁿ⁻ˡ:", bp[-1])
        s.then("at layer", 1, None)
        s.then("and", bp[0])
        s.then("(layer", 0, None)
    bad = np.flatnonzero(~np.isfinite(bp))
    if bad.size:
        s.then("not finite from layer", x[bad].max(), None)
    if np.isfinite(bp[0]):
        rate = abs(bp[0]) ** (1 / n)  # the n factors telescope: |∂aₙ/∂a₀|^(1/n)
    else:  # their geometric mean over the layers the figure can still tell apart
        with np.errstate(all="ignore"):
            ratios = np.abs(bp[:-1] / bp[1:])
        rate = float(np.exp(np.mean(np.log(ratios[np.isfinite(ratios)]))))
    s.then("about", rate)
    s.word(f"per layer: {regime(rate, CHAIN_BAND)}")
    check_agreement(s, bp, values(marks, "customdata"))
    s.done()

    traces = figs["gradients"]["traces"]
    line, marks = _pair(traces)
    g = values(line, "customdata")
    s = Said(said["gradients"])
    if n == 1:
        s.then("ⁿ⁻ˡ:", g[0])
    else:
        s.then("ⁿ⁻ˡ:", g[-1])
        s.then("at layer", n, None)
        s.then("and", g[0])
        s.then("at layer", 1, None)
        if np.isfinite(g[0]) and np.isfinite(g[-1]) and g[-1] != 0:
            s.then("so layer", 1, None)
            s.then("gets", abs(g[0] / g[-1]))
            s.then("of layer", n, None)
    bad = ~np.isfinite(g)
    if bad.any():
        s.then(";", int(bad.sum()), None)
        s.then("of", n, None)
        s.then("meets at layer", values(line, "x")[bad].max(), None)
    check_agreement(s, g, values(marks, "customdata"))
    s.done()


def check_matrix(figs: dict, said: dict, linear: bool) -> None:
    traces = figs["norms"]["traces"]
    a = restored(traces, named(traces, "‖aₗ‖₂"), "‖aₗ‖")
    n = len(a) - 1
    s = Said(said["norms"])
    s.then("per layer:", a[0])
    s.then("at layer", 0, None)
    s.then("and", a[n])
    s.then("at layer", n, None)
    peak = int(np.argmax(np.where(np.isfinite(a), a, -np.inf)))
    if 0 < peak < n:
        s.then("on the way:", a[peak])
        s.then("at layer", peak, None)
    bad = np.flatnonzero(~np.isfinite(a))
    if bad.size:
        s.then("inf/NaN from layer", bad[0], None)
        shaded = [r["x0"] + 0.5 for r in figs["norms"]["layout"].get("shapes", [])
                  if r.get("type") == "rect"]  # where the entries overflowed (mark_overflow)
        if s.has("the entries of aₗ themselves"):
            s.then("themselves from layer", shaded[0], None)
    s.done()

    traces = figs["gradients"]["traces"]
    state = values(named(traces, "‖∂aₙ/∂aₗ‖₂"))
    weight = values(named(traces, "‖∂aₙ/∂Wₗ‖_F"))
    rho = values(named(traces, "ρ^(n−l)"))[n - 1]  # ρ^(n−l) at l = n − 1
    with np.errstate(all="ignore"):
        ratios = state[:-1] / state[1:]
        rate = float(np.exp(np.mean(np.log(ratios[np.isfinite(ratios)]))))
    s = Said(said["gradients"])
    s.then("(ρ =", rho)
    s.then("):", state[n])
    s.then("at layer", n, None)
    s.then("and", state[0])
    s.then("at layer", 0, None)
    s.then("about", rate)
    s.word(f"per layer: {regime(rate, CHAIN_BAND)}")
    s.then("‖∂aₙ/∂Wₗ‖_F is", weight[0])
    if n > 1:
        s.then("at layer", 1, None)
        s.then("and", weight[-1])
        s.then("at layer", n, None)
    if not np.isfinite(weight).all():
        s.then("not finite at", int(np.sum(~np.isfinite(weight))), None)
        s.then("of", n, None)
    s.done()

    traces = [t for t in figs["components"]["traces"] if t.get("legendgroup") is not None]
    measured = [t for t in traces if not t["name"].endswith("|c|·|λ|ˡ")]
    names = [legend(t["name"]) for t in measured]
    M = np.stack([values(t) for t in measured], axis=1)
    s = Said(said["components"])
    finite = np.flatnonzero(np.isfinite(M).all(axis=1))
    L = int(finite[-1])
    s.then("at layer", L, None)
    top = _name(s, "the one along ", names)
    assert M[L].max() in M[L, top]  # (eigenvalues repeat: a name may be several lines')
    s.then(",", M[L].max())
    if len(names) > 1:
        second = np.sort(M[L])[-2]
        if s.has("; the next, along"):  # no ratio: the next is 0 (or not finite)
            assert second in M[L, _name(s, "; the next, along ", names)]
            s.then("is", second)
        else:
            s.then(",", M[L].max() / second)
            nxt = _name(s, "times the next, along ", names)
            assert second in M[L, nxt]
    if L < n:
        s.then("not finite after layer", L, None)
    if linear:
        P = np.stack([values(t) for t in traces if t["name"].endswith("|c|·|λ|ˡ")], axis=1)
        check_agreement(s, M, P, where="values")
        if s.has("farthest apart along"):
            with np.errstate(all="ignore"):
                scale = np.maximum(np.abs(M), np.abs(P))
                rel = np.where(scale > 0, np.abs(M - P) / scale, 0.0)
            j = _name(s, "farthest apart along ", names)
            layer = int(s.read("at layer"))
            assert np.nanmax(rel) in rel[layer, j] and np.nanmax(rel) >= 0.01
    s.done()

    plane = named(figs["plane"]["traces"], "λᵢ")
    re_, im = values(plane, "x"), values(plane, "y")
    radius = float(np.max(np.hypot(re_, im)))
    s = Said(said["plane"])
    if len(re_) == 1:
        s.then("λ =", re_[0], 3)
    else:
        s.then("The", len(re_), None)
    s.then("ρ =", radius)
    outside = int(np.sum(np.hypot(re_, im) > 1 + 1e-12))
    if len(re_) > 1 and outside:
        s.then("(the circle of that radius),", outside, None)
    if (im > 1e-12).any():
        j = np.flatnonzero(im > 1e-12)[0]
        s.then("angle ±", np.degrees(np.arctan2(im[j], re_[j])))
    s.done()


def _name(s: Said, before: str, names: list[str]) -> list[int]:
    """Which legend entries the sentence names after `before` (the longest name that fits,
    and every line of that name)."""
    s.word(before)
    fits = [name for name in names if s.text.startswith(name, s.at)]
    assert fits, f"none of {names} after {before!r} in: {s.text}"
    best = max(fits, key=len)
    s.word(best)
    return [i for i, name in enumerate(names) if name == best]


def check_rnn(figs: dict, said: dict, act: str) -> None:
    traces = figs["norms"]["traces"]
    main = named(traces, "measured")
    lags = values(main, "x").astype(int)
    J = restored(traces, main, "‖∂h_T/∂h_k‖₂")
    bound = values(named(traces, "bound"))
    T = int(lags[-1])
    s = Said(said["norms"])
    s.then("(γ‖W_h‖₂)^(T−k):", J[0])
    s.then("at", 0, None)
    bad = np.flatnonzero(~np.isfinite(J))
    if bad.size == 0:
        s.then("and", J[-1])
        s.then("at", T, None)
        L = len(J) - 1
    else:  # the first non-finite lag among those drawn, or the one just before it
        first = s.read("inf/NaN from")
        assert lags[bad[0] - 1] < first <= lags[bad[0]]
        L = bad[0] - 1
        assert lags[L] == first - 1, "the overflow test state is drawn without thinning"
    with np.errstate(divide="ignore"):
        rate = float(np.exp((np.log(J[L]) - np.log(J[0])) / lags[L]))
    s.then("about", rate)
    s.word(f"per step: {regime(rate, REGIME_BAND)}")
    s.then("γ‖W_h‖₂ =", bound[1] ** (1 / lags[1]))
    s.done()

    heat = figs["heatmap"]["traces"][0]
    steps = values(heat, "x").astype(int)
    with np.errstate(over="ignore"):
        C = 10.0 ** values(heat, "z")  # log10 as float32: ~1e−6 of a value
    s = Said(said["heatmap"])
    for word, extreme in (("from", np.nanmin(C)), ("to", np.nanmax(C))):
        s.then(word, extreme)
        t, k = s.read("at t ="), s.read("k =")
        at = C[steps == t][:, steps == k][0, 0]
        assert abs(at - extreme) <= 1e-5 * extreme, (t, k, at, extreme)
    s.then("back to h₀, is", C[-1, 0], gap=True)
    lower = (steps[:, None] >= steps[None, :]) & (steps[:, None] > 0)
    blank = np.isnan(C) & lower
    if s.has("blank where not finite"):
        t = s.read("not finite, from t =")
        first = steps[np.flatnonzero(blank.any(axis=1))[0]]
        assert t == first or (s.has("exactly zero") and t > first)
    else:
        assert not blank.any() or s.has("blank where exactly zero")
    s.done()

    lines = [t for t in figs["singular"]["traces"] if str(t.get("name", "")).startswith("s")]
    first, last = values(lines[0]), values(lines[-1])
    last = np.where(np.isfinite(first), np.nan_to_num(last, nan=0.0), last)  # a gap: s_d = 0
    lags = values(lines[0], "x").astype(int)
    s = Said(said["singular"])
    s.then("all", first[0])
    s.then("at", 0, None)
    ok = np.flatnonzero(np.isfinite(first) & np.isfinite(last))
    at = int(ok[-1]) if ok.size else 0
    if at > 0:
        s.then("; at", lags[at], None)
        if len(lines) == 1:
            s.then("s₁, is", first[at])
        else:
            s.then("s₁, is", first[at])
            s.then(f"{lines[-1]['name']},", last[at])  # the smallest: s_d, the last line drawn
            if last[at] > 0:
                s.then("a spread of", first[at] / last[at])
    if not np.isfinite(first).all():
        s.then("not finite from", lags[np.flatnonzero(~np.isfinite(first))[0]], None)
    s.done()

    s = Said(said["modes"])
    if act != "identity":
        assert s.text.startswith("No eigen-components here: they need a linear RNN")
    else:
        traces = figs["modes"]["traces"]
        modes = [t for t in traces if str(t.get("name", "")).startswith("λ")]
        total = values(named(traces, "total"))
        lags = values(modes[0], "x").astype(int)
        # a gap in a mode's line is a magnitude of 0 (underflow) or one past overflow, when
        # the total is not finite either
        M = np.nan_to_num(np.stack([values(t) for t in modes], axis=1), nan=0.0)
        row = int(np.flatnonzero(np.isfinite(total))[-1])
        s.then("u‖: at", lags[row], None)
        j = _name(s, "the mode ", [legend(t["name"]) for t in modes])
        assert M[row].max() in M[row, j]
        s.then(", at", M[row].max())
        s.then("the total", total[row])
    s.done()

    traces = figs["flow"]["traces"]
    cells = [t for t in traces if t.get("legendgroup") and t.get("yaxis") != "y2"]
    s = Said(said["flow"])
    if not cells:
        assert s.text.startswith("No cell is ticked")
        s.done()
        return
    curves = [restored(traces, t, f"‖∂L/∂h_k‖ ({t['name']})") for t in cells]
    steps = values(cells[0], "x").astype(int)
    s.then("so", curves[0][-1])
    s.then("at k =", steps[-1], None)
    for i, (t, curve) in enumerate(zip(cells, curves)):  # "a, b and c"
        s.then("what reaches h₀ is" if i == 0 else "and" if i == len(cells) - 1 else ",",
               curve[0], gap=True)
        s.word(f" through the {t['name']}")
    at_start = np.array([c[0] if np.isfinite(c[0]) else -np.inf for c in curves])
    if len(cells) > 1 and np.isfinite(at_start).any():
        best = _name(s, "the most reaches back through the ", [t["name"] for t in cells])
        assert at_start[best] == at_start.max()
    for t, curve in zip(cells, curves):
        bad = np.flatnonzero(~np.isfinite(curve))
        if bad.size:
            s.word(f"through the {t['name']} not finite")
            s.then("from k =", steps[bad[-1]], None)
    s.done()
