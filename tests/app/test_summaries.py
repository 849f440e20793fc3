"""Every figure of every parameter page has a text alternative that says what it shows now,
and every number in it is the figure's.

Each state is opened as a browser opens it (tests/dash_client.open_page: the page router's
layout for the URL, then the page's callback); each figure's sentence is its
`<figure id>-summary` output in that same response, and the checks of summary_chains.py and
summary_maps.py hold every number of it against the traces of the figure beside it (a number
nobody accounts for fails, see said.Said). The states: every URL of tests/app/golden.py (the
README's, each page's defaults, presets, edges, looks) and more edges (depth 1, d = 1, T = 1,
zero eigenvalues, a pair at 90°, every RNN cell and construction, the 3-D cliff); overflow,
which no control reaches (float64 holds 2²⁰⁰ and 3⁵⁰⁰), through the pages' views with values
beyond the controls.
"""
from urllib.parse import parse_qsl

import pytest

from app.pages import chain, cliff, dynamics, matrix, rnn
from components.figures import portable
from components.layout import summary_id
from tests.app.golden import STATES
from tests.app.said import figure_data
from tests.app.summary_chains import check_chain, check_matrix, check_rnn
from tests.app.summary_maps import check_cliff, check_dynamics
from tests.dash_client import callback_for, components, open_page, payload, post, route

PAGES = {"chain": chain, "matrix": matrix, "rnn": rnn, "dynamics": dynamics, "cliff": cliff}
MORE = [
    ("/chain", "n=1"), ("/chain", "w=0&n=5"), ("/chain", "w=1.5&b=-0.3&n=80&act=leaky_relu"),
    ("/chain", "w=1.2&b=0.1&x=-0.5&n=25&act=tanh"), ("/chain", "w=2&x=-2&n=200"),
    ("/chain", "w=0.5&b=1&x=0&n=40&act=sigmoid"),
    ("/matrix", "eig=1.1&d=1"), ("/matrix", "eig=1&d=4&rot=90&n=50"), ("/matrix", "eig=0&n=3"),
    ("/matrix", "eig=0.9,0.5&n=100&act=tanh&kappa=2"), ("/matrix", "eig=-0.5&rot=120&d=3"),
    ("/matrix", "eig=1.05,0.95,0.9,0.5&d=16&kappa=3&n=200&seed=7"),
    ("/matrix", "eig=1.3,0.7&n=60&act=sigmoid&kappa=1"),
    ("/rnn", "act=sigmoid&init=singular"), ("/rnn", "act=identity&T=1&d=1"),
    ("/rnn", "inputs=zero&h0=zero&T=20"), ("/rnn", "act=identity&T=300&d=16&rho=1.1"),
    ("/rnn", "act=relu&init=identity&rho=1&T=50&cells=irnn,residual,attention"),
    ("/rnn", "act=identity&init=orthogonal&rho=0.9&d=2&T=40&cells=orthogonal,layernorm"),
    ("/dynamics", "act=tanh&w=-3&b=0.5"), ("/dynamics", "T=1"),
    ("/dynamics", "act=identity&w=1.5&b=0.5&T=200&sweep=w&lo=-2&hi=3"),
    ("/dynamics", "sweep=w&act=tanh&b=-0.5&lo=0&hi=10"), ("/dynamics", "w=12&b=-6&x0=-2&T=120"),
    ("/dynamics", "act=identity&w=15&b=15&x0=5&T=200"),
    ("/cliff", "view=3d"), ("/cliff", "clip=10"), ("/cliff", "w0=2&b0=0&lr=1&steps=300"),
    ("/cliff", "w0=8&b0=-5&lr=0.001&steps=1"), ("/cliff", "w0=5&b0=-3&clip=0.1&view=3d"),
]
CASES = list(dict.fromkeys(STATES + MORE))


def check(page: str, figs: dict, said: dict, values: dict) -> None:
    """The sentences of one page state against its figures (figure name → figure data)."""
    assert set(said) == set(figs) == {f.name for f in PAGES[page].PAGE.figures}
    if page == "chain":
        check_chain(figs, said)
    elif page == "matrix":
        check_matrix(figs, said, linear=values["act"] == "identity")
    elif page == "rnn":
        check_rnn(figs, said, values["act"])
    elif page == "dynamics":
        check_dynamics(figs, said, values)
    else:
        check_cliff(figs, said, values["view"])


@pytest.mark.parametrize("path,query", CASES, ids=[f"{p}?{q}" for p, q in CASES])
def test_every_figure_says_what_it_shows(client, path, query):
    page = path.strip("/")
    args = dict(parse_qsl(query, keep_blank_values=True))
    first = PAGES[page].PAGE.figure_id(PAGES[page].PAGE.figures[0].name)
    out = open_page(client, path, args, first)["response"]
    figs, said = {}, {}
    for f in PAGES[page].PAGE.figures:
        graph = PAGES[page].PAGE.figure_id(f.name)
        figs[f.name] = figure_data(out[graph]["figure"])
        said[f.name] = out[summary_id(graph)]["children"]
    values, _ = PAGES[page].PARAMS.parse(args)
    check(page, figs, said, values)


# Beyond the controls: values that overflow float64 (overflow is physics: the sentences say
# where it began), through the pages' own views.
OVERFLOWING = [
    ("chain", dict(w=10.0, b=0.0, x=1.0, n=400, act="identity"), "inf/NaN from layer"),
    ("chain", dict(w=8.0, b=0.5, x=1.0, n=400, act="relu"), "inf/NaN from layer"),
    ("matrix", dict(eig=(10.0, 0.5), d=2, rot=0.0, kappa=0.0, n=400, act="identity", seed=0),
     "inf/NaN from layer"),
    ("rnn", dict(act="identity", d=8, T=200, init="identity", rho=50.0, seed=0, inputs="random",
                 h0="random", cells=("rnn", "lstm")), "inf/NaN from"),
    ("dynamics", dict(w=50.0, b=0.0, x0=0.5, T=250, act="identity", sweep="w", lo=40.0,
                      hi=60.0), "end not finite"),
]


@pytest.mark.parametrize("page,values,clause", OVERFLOWING,
                         ids=[f"{p}-{i}" for i, (p, _, _) in enumerate(OVERFLOWING)])
def test_overflow_is_said_where_it_began(page, values, clause):
    drawn = PAGES[page].view(**values)
    figs = {name: figure_data(portable(f)) for name, f in drawn.figures.items()}
    check(page, figs, drawn.summaries, values)
    assert any(clause in text for text in drawn.summaries.values()), drawn.summaries


# ---------------------------------------------------------------- the wiring


@pytest.mark.parametrize("page", PAGES)
def test_the_callback_sends_every_figures_summary_to_the_element_beside_it(client, page):
    """The page's callback outputs each figure's sentence into the element its figure box
    names as its description (components.layout.graph)."""
    p = PAGES[page].PAGE
    routed = route(client, f"/{page}")
    spec = callback_for(client, p.figure_id(p.figures[0].name))
    boxes = {next(c["props"]["id"] for c in components(box) if c["type"] == "Graph"):
             box["props"] for box in routed.with_class("figure-box")}
    for f in p.figures:
        graph = p.figure_id(f.name)
        assert f"{summary_id(graph)}.children" in spec["output"], graph
        assert boxes[graph]["aria-describedby"] == summary_id(graph)
        assert routed.find(summary_id(graph)) is not None


def test_a_figure_that_is_not_redrawn_keeps_its_sentence_and_the_others_follow(client):
    """Ticking a cell on /rnn redraws only the remedies plot: only its sentence is sent."""
    routed = route(client, "/rnn")
    spec = callback_for(client, "rnn-norms")
    controls = {**routed.controls(), "rnn-cells": ["rnn", "gru"]}
    status, answer, _ = post(client, payload(spec, controls, changed="rnn-cells"))
    assert status == 200, answer
    out = answer["response"]
    assert "through the GRU" in out[summary_id("rnn-flow")]["children"]
    assert not {summary_id(f"rnn-{n}") for n in ("norms", "heatmap", "singular", "modes")} & set(out)


def test_a_patched_surface_still_gets_its_whole_sentence(client):
    """Moving the learning rate sends the cliff's surface as a Patch (its 120×120 grid stays in
    the browser); the sentence is sent whole, for the new paths."""
    routed = route(client, "/cliff")
    spec = callback_for(client, "cliff-surface")
    controls = {**routed.controls(), "cliff-lr": 0.05}
    status, answer, _ = post(client, payload(spec, controls, changed="cliff-lr"))
    assert status == 200, answer
    out = answer["response"]
    assert "__dash_patch_update" in out["cliff-surface"]["figure"]
    assert out[summary_id("cliff-surface")]["children"] == cliff.view(
        **cliff.PARAMS.parse({"lr": "0.05"})[0]).summaries["surface"]
