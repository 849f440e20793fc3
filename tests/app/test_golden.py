"""Users see what they saw before a refactor: every state of tests/app/golden.py (the README's
URLs, defaults, tour states, presets, edges, looks) reproduces the recorded figures, prose,
controls and canonical query (tests/app/golden_figures.json, recorded from e4c3982, before the
code-health refactor; its figures re-recorded since, for the changes listed in RERECORDED),
except for the deliberate changes listed here with their reasons. Figures match exactly on the
recording machine, and to rounding (golden.RTOL) on another CPU."""
import json

import pytest

from tests.app.golden import (GOLDEN, GOLDEN_TRAIN, STATES, same_figure, snapshot,
                              train_figures_shot)

RECORDED = json.loads(GOLDEN.read_text(encoding="utf-8"))
# κ's URL name was `nn`: now `kappa` (and its control matrix-kappa); `nn` is still read, so
# the recorded URLs that say nn= must still give the same figures.
RENAMED = {"matrix-nn": "matrix-kappa"}
COMPLEX_PAIR = "A complex pair needs d ≥ 2; using real eigenvalues."
CHANGED = {
    # The complex-pair rule moved into the matrix ParamSet's check, so the URL's layout applies
    # it as the callback did (it said so only in the status area, and kept rot=45 in the URL
    # and on the slider while drawing real eigenvalues). The figures are unchanged.
    "/matrix?eig=2,2,2&d=1&rot=45&n=200&act=relu&seed=1": {
        "controls": {"matrix-rot": "0.0"},
        "url_notices": [COMPLEX_PAIR],
        "status": ["exploding", " spectral radius ρ = 2; measured gradient factor per layer "
                                "‖∂aₙ/∂a₀‖₂^(1/n) ≈ 2"],
        "query": "?eig=2%2C2%2C2&d=1&rot=0&kappa=0&n=200&act=relu&seed=1",
    },
}
# Deliberate changes of the figures themselves, re-recorded in golden_figures.json and
# golden_train_figures.json (the figures only: controls, notices, status and queries stay as
# recorded), each with its reason. A re-record keeps every number of the old recording that the
# new figure still holds to rounding, so what is listed is all that moved.
RERECORDED = {
    # Accessibility (WCAG 2.1 AA; tests/components/test_cues.py): the Okabe–Ito palette in every
    # template (a colorway per background), named colours with 3:1 on both backgrounds, text in
    # the template's ink, and no two legend entries told apart by colour alone. Only style keys
    # changed: colours (zero lines' too), line dashes, marker symbols, modes (markers added to
    # the /matrix eigen-components and the /dynamics hysteresis bands, with marker size, outline
    # width and maxdisplayed), label boxes' bgcolor, the bands' opacity (removed: at 0.45 they
    # were below 2:1), annotation colours removed; and the templates of the looks' states.
    # Checked when re-recorded: every figure of every state, those keys stripped, is the same
    # JSON as before (data, layout, names, hover texts: bit-identical), but for the note below.
    "palette": ("color", "fillcolor", "bgcolor", "zerolinecolor", "dash", "symbol", "mode",
                "opacity", "marker.size", "marker.maxdisplayed", "marker.line.width",
                "template"),
    # /rnn eigen-components for a nonlinear σ: the note in four short lines (its long middle
    # line ran off a half-width figure, cut at "diag(σ′(aₜ))W,"); the same words.
    "rnn-modes note": ("layout.annotations[0].text",),
}


def expected(state: str) -> dict:
    """The recording of `state`, with the deliberate changes applied."""
    shot = dict(RECORDED[state])
    shot["controls"] = {RENAMED.get(k, k): v for k, v in shot["controls"].items()}
    shot["query"] = shot["query"].replace("&nn=", "&kappa=")
    for part, value in CHANGED.get(state, {}).items():
        shot[part] = {**shot[part], **value} if part == "controls" else value
    return shot


def test_every_state_is_recorded():
    assert sorted(RECORDED) == sorted(f"{path}?{query}" for path, query in STATES)


@pytest.mark.parametrize("path,query", STATES, ids=[f"{p}?{q}" for p, q in STATES])
def test_state_reproduces_its_figures(client, path, query):
    want = expected(f"{path}?{query}")
    shot = snapshot(client, path, query)
    for part in ("controls", "url_notices", "status", "query"):
        assert shot[part] == want[part], part
    assert shot["figures"].keys() == want["figures"].keys()
    for graph, figure in want["figures"].items():
        assert same_figure(shot["figures"][graph], figure) == [], graph


def test_training_figures_reproduce_theirs():
    """/train's figures for short deterministic runs (streaming and final snapshots, the
    histogram slider, before a run), as recorded before the figures became plain data."""
    recorded = json.loads(GOLDEN_TRAIN.read_text(encoding="utf-8"))
    shot = train_figures_shot()
    assert shot.keys() == recorded.keys()
    for key, figures in recorded.items():
        if isinstance(figures, dict):
            figures, now = [figures], [shot[key]]
        else:
            now = shot[key]
        assert len(now) == len(figures), key
        for i, (new, old) in enumerate(zip(now, figures)):
            assert same_figure(new, old) == [], (key, i)


def test_rounding_on_another_cpu_passes_and_a_real_change_does_not():
    """The fallback for a machine whose BLAS rounds the last bit differently: a figure whose
    exact digest differs still matches if its numbers agree to RTOL; 0.1 % off does not."""
    figure = RECORDED["/rnn?"]["figures"]["rnn-norms"]

    def scaled(factor):
        numbers = {path: s[:2] + [v * factor if isinstance(v, float) else v for v in s[2:]]
                   for path, s in figure["numbers"].items()}
        return {**figure, "digest": "another cpu", "numbers": numbers}

    assert same_figure(scaled(1 + 1e-12), figure) == []
    assert same_figure(scaled(1 + 1e-3), figure) != []
