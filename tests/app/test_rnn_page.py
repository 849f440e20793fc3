"""/rnn through the real Dash endpoint: engine values out, validation, presets, size."""
import json
from urllib.parse import parse_qsl

import numpy as np
import pytest
from plotly.utils import PlotlyJSONEncoder

from components.rnn_figures import MEASURED, TOTAL
from engine.rnn import CELLS, PRESETS, bptt, gradient_flow, gradient_modes
from tests.dash_client import callback_spec, figure_traces, payload, post, trace_named

RNN = {"rnn-act": "tanh", "rnn-d": 32, "rnn-T": 100, "rnn-init": "spectral", "rnn-rho": 1.1,
       "rnn-seed": 0, "rnn-inputs": "random", "rnn-h0": "random", "rnn-cells": ["rnn", "lstm"]}


def call(client, values):
    return post(client, payload(callback_spec(client, "rnn-act"), values))


def status_text(response):
    return json.dumps(response["response"]["rnn-status"]["children"], ensure_ascii=False)


def test_rnn_page_serves(client):
    for path in ("/rnn", "/rnn?act=tanh&d=32&T=100&init=spectral&rho=1.1&seed=0&cells=rnn,lstm",
                 "/rnn?d=abc&cells=x,y"):
        assert client.get(path).status_code == 200


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
    np.testing.assert_array_equal(trace_named(sv, "σ₁")["y"], r.singular_values[:, 0])
    np.testing.assert_array_equal(trace_named(sv, "σ₆")["y"], r.singular_values[:, 5])
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
    assert f"‖∂h_40/∂h_0‖₂ = {r.jacobian_norms[40]:.4g}" in text
    assert "γ‖W_h‖₂ = 0.25·2.5 = 0.625 (vanishing)" in text


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
    query = dict(parse_qsl(rnn.preset_query(preset)[1:], keep_blank_values=True))
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
    assert f'"href": "/rnn{rnn.preset_query(preset)}"' in page


def test_layout_from_url_shows_notices_and_nearest_valid_values(client):
    from app.pages import rnn
    page = json.dumps(rnn.layout(d="500", T="0", act="gelu", rho="-1", cells="rnn,bogus,gru",
                                 inputs="many"), cls=PlotlyJSONEncoder, ensure_ascii=False)
    for text in ("d = 500 is outside 1–64; using 64.", "T = 0 is outside 1–500; using 1.",
                 "act = gelu is not one of identity, sigmoid, tanh, relu; using tanh.",
                 "rho = -1 is outside 0–3; using 0.",
                 "cells: bogus is not one of rnn, lstm, gru, irnn, orthogonal, residual, "
                 "layernorm; using rnn,gru.", "inputs = many is not one of random, zero"):
        assert text in page
    assert '"value": ["rnn", "gru"]' in page and '"value": 64' in page
