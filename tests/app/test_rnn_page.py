"""/rnn through the real Dash endpoint: engine values out, validation, presets, size."""
import json
from urllib.parse import parse_qsl

import numpy as np
import pytest
from plotly.utils import PlotlyJSONEncoder

from components.layout import walk
from components.rnn_figures import MEASURED, TOTAL
from components.text import fmt
from engine.cells import CELLS, gradient_flow
from engine.rnn import PRESETS, bptt, gradient_modes
from tests.dash_client import (callback_spec, figure_traces, page_controls, payload, post, route,
                               trace_named)

RNN = page_controls("/rnn")


def call(client, values, changed=None, initial=False):
    """The page's callback after `changed` moved (default: the first input, act), or as the
    page calls it when it loads (initial=True)."""
    return post(client, payload(callback_spec(client, "rnn-act"), values, changed, initial))


def status_text(response):
    return json.dumps(response["response"]["rnn-status"]["children"], ensure_ascii=False)


TITLE = "RNN through time: the same matrix at every step"
GRAPHS = ["rnn-norms", "rnn-heatmap", "rnn-flow", "rnn-singular", "rnn-modes"]


def test_rnn_page_renders_from_its_urls(client):
    """The layout the page router renders (what the browser shows) for the README's URL and a
    bad one: the page's title and graphs, the URL's values in the controls."""
    page = route(client, "/rnn?act=tanh&d=32&T=100&init=spectral&rho=1.1&seed=0&cells=rnn,lstm")
    assert page.headings() == [TITLE] and page.graphs() == GRAPHS
    assert page.url_notices() == []
    assert {k: v for k, v in page.controls().items() if k in RNN} == RNN
    page = route(client, "/rnn?d=abc&cells=x,y")
    assert page.headings() == [TITLE] and page.graphs() == GRAPHS
    assert page.url_notices() == [
        "d = abc is not a number; using 32.",
        "cells: x, y are not one of rnn, lstm, gru, irnn, orthogonal, residual, layernorm, "
        "attention; using rnn,lstm."]
    assert page.controls()["rnn-d"] == 32 and page.controls()["rnn-cells"] == ["rnn", "lstm"]


def test_callback_returns_engine_values(client):
    values = {**RNN, "rnn-act": "sigmoid", "rnn-d": 6, "rnn-T": 40, "rnn-init": "singular",
              "rnn-rho": 2.5, "rnn-seed": 3, "rnn-h0": "zero", "rnn-cells": ["gru", "rnn"]}
    status, response, _ = call(client, values)
    assert status == 200
    r = bptt("sigmoid", 6, 40, "singular", 2.5, 3, "random", "zero")
    norms = figure_traces(response, "rnn-norms")
    np.testing.assert_array_equal(trace_named(norms, MEASURED)["y"], r.jacobian_norms)
    np.testing.assert_array_equal(trace_named(norms, "bound")["y"], r.bound)
    assert r.bound[1] == pytest.approx(0.25 * 2.5)  # γ = 1/4 for the sigmoid, ‖W‖₂ = 2.5
    (heat,) = figure_traces(response, "rnn-heatmap")
    np.testing.assert_array_equal(heat["z"], np.log10(r.contribution_map).astype(np.float32))
    sv = figure_traces(response, "rnn-singular")
    np.testing.assert_array_equal(trace_named(sv, "s₁")["y"], r.singular_values[:, 0])
    np.testing.assert_array_equal(trace_named(sv, "s₆")["y"], r.singular_values[:, 5])
    flow = gradient_flow(("rnn", "gru"), "sigmoid", 6, 40, "singular", 2.5, 3, "random", "zero")
    curves = figure_traces(response, "rnn-flow")
    np.testing.assert_array_equal(trace_named(curves, "vanilla RNN")["y"], flow["rnn"])
    np.testing.assert_array_equal(trace_named(curves, "GRU")["y"], flow["gru"])
    assert [c["name"] for c in curves] == ["vanilla RNN", "GRU"]  # the cells' order, not clicks
    assert figure_traces(response, "rnn-modes") == []  # sigmoid: a note, no data
    assert (response["response"]["rnn-query"]["data"]
            == "?act=sigmoid&d=6&T=40&init=singular&rho=2.5&seed=3&inputs=random&h0=zero"
               "&cells=rnn%2Cgru")
    text = status_text(response)
    assert r.regime == "vanishing"  # γ = 1/4 pulls ‖W‖₂ = 2.5 below 1
    assert ('"children": "vanishing", "id": "rnn-regime", '
            '"className": "badge badge-vanishing"') in text
    assert f"‖∂h_40/∂h_0‖₂ = {fmt(r.jacobian_norms[40])}" in text
    assert "γ‖W_h‖₂ = 0.25·2.5 = 0.625 (< 1: the bound forces decay)" in text


def test_linear_rnn_shows_its_eigen_components(client):
    status, response, _ = call(client, {**RNN, "rnn-act": "identity", "rnn-d": 5, "rnn-T": 30,
                                        "rnn-rho": 0.9})
    assert status == 200
    r = bptt("identity", 5, 30, "spectral", 0.9, 0)
    modes = gradient_modes(r.W, r.readout, 30)
    traces = figure_traces(response, "rnn-modes")
    np.testing.assert_array_equal(traces[0]["y"], modes.magnitudes[:, 0])
    assert traces[0]["name"].startswith("λ₁ = ")
    np.testing.assert_array_equal(trace_named(traces, TOTAL)["y"], r.contribution_map[30, ::-1])


@pytest.mark.parametrize("field,bad,shown", [
    ("rnn-d", 1e9, "d = 1000000000.0 is outside 1–64; using 64."),
    ("rnn-d", "abc", "d = abc is not a number; using 32."),
    ("rnn-T", -3, "T = -3 is outside 1–500; using 1."),
    ("rnn-T", None, "T = None is not a number; using 100."),
    ("rnn-rho", "inf", "rho = inf is outside 0–3; using 3."),
    ("rnn-rho", {"$gt": 1}, "is not a number; using 1.1."),
    ("rnn-seed", 2.5, "seed = 2.5 is not a whole number; using 2."),
    ("rnn-act", "softmax", "act = softmax is not one of identity, sigmoid, tanh, relu"),
    ("rnn-act", "leaky_relu", "act = leaky_relu is not one of"),
    ("rnn-init", ["spectral"], "init = ['spectral'] is not one of"),
    ("rnn-inputs", "noise", "inputs = noise is not one of random, zero; using random."),
    ("rnn-h0", 0, "h0 = 0 is not one of random, zero"),
    ("rnn-cells", ["rnn", "transformer"], "cells: transformer is not one of"),
    ("rnn-cells", "lstm", None),
    ("rnn-cells", {"a": 1}, "is not a list of names"),
    ("rnn-cells", None, "cells = None is not a list"),
])
def test_bad_values_get_a_notice_and_valid_figures(client, field, bad, shown):
    status, response, size = call(client, {**RNN, field: bad})
    assert status == 200, response
    if shown is None:  # a bare name is a one-item list
        assert "notice" not in status_text(response)
        assert [t["name"] for t in figure_traces(response, "rnn-flow")] == ["LSTM"]
    else:
        assert shown in status_text(response)
    assert len(figure_traces(response, "rnn-norms")) >= 2
    assert size < 150_000


def test_an_empty_cell_list_is_valid(client):
    status, response, _ = call(client, {**RNN, "rnn-cells": []})
    assert status == 200 and figure_traces(response, "rnn-flow") == []
    assert response["response"]["rnn-query"]["data"].endswith("&cells=")
    assert "notice" not in status_text(response)


def test_maximum_settings_stay_under_150_kb(client):
    status, response, size = call(client, {**RNN, "rnn-act": "identity", "rnn-d": 64,
                                           "rnn-T": 500, "rnn-rho": 3, "rnn-cells": list(CELLS)})
    assert status == 200 and size < 150_000
    (heat,) = figure_traces(response, "rnn-heatmap")
    assert heat["z"].shape == (101, 101)
    assert len(figure_traces(response, "rnn-flow")) >= len(CELLS)


@pytest.mark.parametrize("preset,shown", [("halving", "‖∂h_10/∂h_0‖₂ = 0.0009766"),
                                          ("doubling", "‖∂h_10/∂h_0‖₂ = 1024")])
def test_presets_show_the_worked_example(client, preset, shown):
    from app.pages import rnn
    query = dict(parse_qsl(rnn.PARAMS.preset_query(PRESETS[preset])[1:], keep_blank_values=True))
    p = PRESETS[preset]
    assert query == {"act": "identity", "d": "1", "T": "10", "init": "identity",
                     "rho": format(p["scale"], "g"), "seed": "0", "inputs": "zero",
                     "h0": "random", "cells": "rnn,lstm"}
    values = {f"rnn-{k}": v for k, v in query.items()}
    values["rnn-cells"] = query["cells"].split(",")
    status, response, _ = call(client, values)
    assert status == 200 and shown in status_text(response)
    norms = trace_named(figure_traces(response, "rnn-norms"), MEASURED)["y"]
    assert norms[10] == p["scale"] ** 10
    regime = "vanishing" if preset == "halving" else "exploding"
    assert f'"children": "{regime}", "id": "rnn-regime"' in status_text(response)
    page = json.dumps(rnn.layout(), cls=PlotlyJSONEncoder, ensure_ascii=False)
    assert f'"href": "/rnn{rnn.PARAMS.preset_query(PRESETS[preset])}"' in page


def test_layout_from_url_shows_notices_and_nearest_valid_values(client):
    from app.pages import rnn
    page = json.dumps(rnn.layout(d="500", T="0", act="gelu", rho="-1", cells="rnn,bogus,gru",
                                 inputs="many"), cls=PlotlyJSONEncoder, ensure_ascii=False)
    for text in ("d = 500 is outside 1–64; using 64.", "T = 0 is outside 1–500; using 1.",
                 "act = gelu is not one of identity, sigmoid, tanh, relu; using tanh.",
                 "rho = -1 is outside 0–3; using 0.",
                 "cells: bogus is not one of rnn, lstm, gru, irnn, orthogonal, residual, "
                 "layernorm, attention; using rnn,gru.",
                 "inputs = many is not one of random, zero"):
        assert text in page
    assert '"value": ["rnn", "gru"]' in page and '"value": 64' in page


# ---------------------------------------------------------------- the attention cell

def test_attention_cell_from_the_url_plots_the_engines_curve(client):
    from app.pages import rnn
    url = "/rnn?act=tanh&d=12&T=60&init=spectral&rho=1.1&seed=4&cells=rnn,attention"
    routed = route(client, url)  # what the browser renders at this URL
    assert routed.headings() == [TITLE] and routed.url_notices() == []
    layout = rnn.layout(**dict(parse_qsl(url.split("?")[1])))
    page = json.dumps(layout, cls=PlotlyJSONEncoder, ensure_ascii=False)
    assert '"value": ["rnn", "attention"]' in page and "is not one of" not in page
    assert '{"label": "attention", "value": "attention"}' in page  # a choice of the checklist
    # the page's first call carries the values the URL put into the controls
    values = {c.id: c.value for c in walk(layout)
              if isinstance(getattr(c, "id", None), str) and c.id in RNN}
    assert {k: v for k, v in routed.controls().items() if k in RNN} == values
    assert values == {**RNN, "rnn-d": 12, "rnn-T": 60, "rnn-seed": 4,
                      "rnn-cells": ["rnn", "attention"]}
    status, response, _ = call(client, values, initial=True)
    assert status == 200
    flow = gradient_flow(("rnn", "attention"), "tanh", 12, 60, "spectral", 1.1, 4)
    curves = figure_traces(response, "rnn-flow")
    assert [c["name"] for c in curves] == ["vanilla RNN", "attention"]
    np.testing.assert_array_equal(trace_named(curves, "attention")["y"], flow["attention"])
    np.testing.assert_array_equal(trace_named(curves, "vanilla RNN")["y"], flow["rnn"])
    assert trace_named(curves, "attention")["y"][60] == pytest.approx(1.0)
    assert response["response"]["rnn-query"]["data"].endswith("&cells=rnn%2Cattention")
    assert "notice" not in status_text(response)


# ---------------------------------------------------------------- ρ follows the construction

@pytest.mark.parametrize("init,rho", [("spectral", 1.1), ("singular", 1.1), ("orthogonal", 1.0),
                                      ("identity", 1.0)])
def test_a_url_without_rho_gets_its_inits_default(client, init, rho):
    from app.pages import rnn
    assert rnn.RHO_DEFAULTS[init] == rho
    values, notices = rnn.PARAMS.parse({"init": init, "d": "8"})
    assert values["rho"] == rho and notices == []
    by_id = {c.id: c for c in walk(rnn.layout(init=init))
             if isinstance(getattr(c, "id", None), str)}  # not the CSV buttons' pattern ids
    assert by_id["rnn-rho"].value == rho and by_id["rnn-init"].value == init
    label = by_id["rnn-rho-label"]
    assert label.children == rnn.RHO_LABELS[init] and label.htmlFor == "rnn-rho"
    # a rho that is given is kept; one that is not a number falls back to the init's default
    assert rnn.PARAMS.parse({"init": init, "rho": "1.37"})[0]["rho"] == 1.37
    values, notices = rnn.PARAMS.parse({"init": init, "rho": "abc"})
    assert values["rho"] == rho and notices == [f"rho = abc is not a number; using {rho:g}."]
    # the callback parses the same way: a bad rho from the page falls back alike
    status, response, _ = call(client, {**RNN, "rnn-d": 8, "rnn-T": 20, "rnn-init": init,
                                        "rnn-rho": "abc"}, changed="rnn-rho")
    assert status == 200
    assert f"rho = abc is not a number; using {rho:g}." in status_text(response)
    r = bptt("tanh", 8, 20, init, rho, 0)
    np.testing.assert_array_equal(
        trace_named(figure_traces(response, "rnn-norms"), MEASURED)["y"], r.jacobian_norms)
    assert f"&init={init}&rho={rho:g}&" in response["response"]["rnn-query"]["data"]


def test_orthogonal_without_rho_keeps_every_norm_where_rho_1_1_grew():
    from app.pages import rnn
    values, _ = rnn.PARAMS.parse({"init": "orthogonal"})
    r = bptt("identity", 16, 200, "orthogonal", values["rho"], 9)  # σ = identity, W = 1·Q
    np.testing.assert_allclose(r.jacobian_norms, 1.0, atol=1e-10)  # no growth: the remedy
    grown = bptt("identity", 16, 200, "orthogonal", rnn.PARAMS["rho"].default, 9)
    assert grown.jacobian_norms[200] == pytest.approx(1.1 ** 200, rel=1e-8)  # what 1.1 showed


@pytest.mark.parametrize("init,rho,shown", [
    ("orthogonal", 1.0, "ρ set to 1 for the orthogonal construction W_h = ρ·Q: every singular "
                        "value is ρ, so ρ = 1 keeps gradient norms"),
    ("identity", 1.0, "ρ set to 1 for the identity construction W_h = ρ·I: every eigenvalue and "
                      "singular value is ρ, so ρ = 1 keeps gradient norms"),
    ("singular", 1.1, "ρ set to 1.1 for the singular construction ‖W_h‖₂ = ρ: the largest "
                      "singular value is ρ, so below ρ = 1/γ the bound (γρ)^(T−k) forces decay"),
    ("spectral", 1.1, "ρ set to 1.1 for the spectral construction ρ(W_h) = ρ: the spectral "
                      "radius"),
])
def test_choosing_an_init_moves_the_rho_slider_to_its_default(client, init, rho, shown):
    from app.pages import rnn
    values = {**RNN, "rnn-d": 8, "rnn-T": 30, "rnn-init": init, "rnn-rho": 1.7}
    status, response, _ = call(client, values, changed="rnn-init")
    assert status == 200
    out = response["response"]
    assert out["rnn-rho"] == {"value": rho}  # the slider moves
    assert out["rnn-rho-label"] == {"children": rnn.RHO_LABELS[init]}
    assert shown in status_text(response) and "; move ρ " in status_text(response)
    assert '"className": "notice notice-warning"' in status_text(response)
    assert f"&init={init}&rho={rho:g}&" in out["rnn-query"]["data"]
    r = bptt("tanh", 8, 30, init, rho, 0)  # the figures are drawn at the new ρ, not at 1.7
    np.testing.assert_array_equal(trace_named(figure_traces(response, "rnn-norms"), MEASURED)["y"],
                                  r.jacobian_norms)
    assert (r.spectral_radius if init == "spectral" else r.w_norm) == pytest.approx(rho)
    if init in ("orthogonal", "identity"):  # every singular value is ρ = 1
        assert r.spectral_radius == pytest.approx(1.0)


@pytest.mark.parametrize("changed", ["rnn-rho", "rnn-act", "rnn-cells", None])
def test_other_controls_leave_the_rho_slider_alone(client, changed):
    from app.pages import rnn
    values = {**RNN, "rnn-d": 8, "rnn-T": 30, "rnn-init": "orthogonal", "rnn-rho": 1.3}
    status, response, _ = call(client, values, changed=changed, initial=changed is None)
    assert status == 200
    out = response["response"]
    assert "rnn-rho" not in out  # no_update: the slider stays under the user's hand
    assert out["rnn-rho-label"] == {"children": rnn.RHO_LABELS["orthogonal"]}
    assert "ρ set to" not in status_text(response) and "notice" not in status_text(response)
    assert "&init=orthogonal&rho=1.3&" in out["rnn-query"]["data"]
    if changed == "rnn-cells":  # the Jacobian plots do not depend on the cells compared
        return
    r = bptt("tanh", 8, 30, "orthogonal", 1.3, 0)
    np.testing.assert_array_equal(trace_named(figure_traces(response, "rnn-norms"), MEASURED)["y"],
                                  r.jacobian_norms)


def test_ticking_a_cell_sends_the_remedies_plot_alone(client):
    """The other four figures do not depend on the cells: the browser keeps and does not
    repaint them; the remedies plot holds the cells now ticked, by autograd."""
    values = {**RNN, "rnn-d": 8, "rnn-T": 30, "rnn-cells": ["rnn", "gru"]}
    status, response, _ = call(client, values, changed="rnn-cells")
    assert status == 200
    out = response["response"]
    assert not {"rnn-norms", "rnn-heatmap", "rnn-singular", "rnn-modes"} & out.keys()
    flow = {t["name"]: t["y"] for t in figure_traces(response, "rnn-flow") if "y" in t}
    expected = gradient_flow(("rnn", "gru"), "tanh", 8, 30, "spectral", 1.1, 0)
    np.testing.assert_array_equal(flow["vanilla RNN"], expected["rnn"])
    np.testing.assert_array_equal(flow["GRU"], expected["gru"])


def test_a_bad_init_from_the_page_falls_back_and_resets_rho_to_its_default(client):
    status, response, _ = call(client, {**RNN, "rnn-init": "xavier", "rnn-rho": 2.0, "rnn-d": 4,
                                        "rnn-T": 10}, changed="rnn-init")
    assert status == 200
    text = status_text(response)
    assert "init = xavier is not one of spectral, singular, orthogonal, identity; using " \
           "spectral." in text
    assert "ρ set to 1.1 for the spectral construction" in text
    assert response["response"]["rnn-rho"] == {"value": 1.1}


def test_the_equations_cite_the_engines_numbers():
    from app.pages import rnn
    from engine.cells import ATTENTION_VALUE_SCALE, RESIDUAL_ALPHA
    text = " ".join(next(c.children for c in walk(rnn.layout())
                         if "equations" in (getattr(c, "className", "") or "")).split())
    assert "{{" not in text
    half, double = bptt(**PRESETS["halving"]), bptt(**PRESETS["doubling"])
    assert half.jacobian_norms[10] == 1 / 1024 and double.jacobian_norms[10] == 1024
    assert ("one unit for $T$ = 10 steps: a factor of 0.5 per step leaves "
            "$\\partial h_T/\\partial h_0$ = 0.0009766, a factor of 2 gives 1024.") in text
    assert f"$\\alpha$ = {RESIDUAL_ALPHA:g})" in text
    assert f"$\\beta$ = {ATTENTION_VALUE_SCALE:g}," in text
    assert "a path of length one" in text
