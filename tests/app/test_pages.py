"""Pages and callbacks through the real Dash endpoint: values, validation, never a 500.
(Every page's layout through the page router: tests/app/test_all_pages.py.)"""
import json

import numpy as np
import pytest
from plotly.utils import PlotlyJSONEncoder

from engine.chain import matrix_chain, scalar_chain, scalar_chain_autograd, spectrum
from tests.dash_client import callback_spec, figure_traces, page_controls, payload, post, trace_named

CHAIN = page_controls("/chain")
MATRIX = page_controls("/matrix", act="tanh")


def status_text(response, page):
    return json.dumps(response["response"][f"{page}-status"]["children"], ensure_ascii=False)


def test_chain_callback_returns_engine_values(client):
    spec = callback_spec(client, "chain-w")
    values = {**CHAIN, "chain-w": 1.1, "chain-b": 0.2, "chain-act": "tanh"}
    status, response, _ = post(client, payload(spec, values))
    assert status == 200
    closed = scalar_chain(1.1, 0.2, 1.0, 30, "tanh")
    auto = scalar_chain_autograd(1.1, 0.2, 1.0, 30, "tanh")
    grads = figure_traces(response, "chain-gradients")
    np.testing.assert_array_equal(trace_named(grads, "chain rule")["customdata"], closed.grad_w)
    np.testing.assert_array_equal(trace_named(grads, "torch autograd")["customdata"], auto.grad_w)
    np.testing.assert_array_equal(trace_named(grads, "bound")["y"], closed.grad_w_bound)
    backprop = figure_traces(response, "chain-backprop")
    np.testing.assert_array_equal(trace_named(backprop, "chain rule")["customdata"],
                                  closed.backprop)
    np.testing.assert_array_equal(trace_named(backprop, "torch autograd")["customdata"],
                                  auto.backprop)
    np.testing.assert_array_equal(trace_named(backprop, "bound")["y"], closed.backprop_bound)
    acts = figure_traces(response, "chain-activations")
    np.testing.assert_array_equal(trace_named(acts, "forward pass in numpy")["customdata"],
                                  closed.activations)
    assert response["response"]["chain-query"]["data"] == "?w=1.1&b=0.2&x=1&n=30&act=tanh"
    assert "vanishing" in status_text(response, "chain")  # tanh' < 1 pulls 1.1 below 1


@pytest.mark.parametrize("field,bad,shown", [
    ("chain-w", 1e308, "w = 1e+308 is outside 0–2; using 2."),
    ("chain-w", "abc", "w = abc is not a number; using 0.9."),
    ("chain-w", None, "w = None is not a number; using 0.9."),
    ("chain-w", {"$gt": 1}, "is not a number"),
    ("chain-n", 10**9, "n = 1000000000 is outside 1–200; using 200."),
    ("chain-n", -5, "using 1."),
    ("chain-act", "softmax", "act = softmax is not one of"),
    ("chain-act", ["tanh"], "is not one of"),
    ("chain-x", "nan", "x = nan is not a number; using 1."),
    ("chain-b", "-inf", "b = -inf is outside -2–2; using -2."),
])
def test_chain_bad_values_get_a_notice_and_a_valid_figure(client, field, bad, shown):
    spec = callback_spec(client, "chain-w")
    status, response, size = post(client, payload(spec, {**CHAIN, field: bad}))
    assert status == 200, response
    assert shown in status_text(response, "chain")
    assert len(figure_traces(response, "chain-gradients")) >= 2
    assert size < 150_000


def test_matrix_callback_returns_engine_values(client):
    spec = callback_spec(client, "matrix-k")
    values = {**MATRIX, "matrix-d": 6, "matrix-rot": 30, "matrix-kappa": 1.0, "matrix-seed": 4}
    status, response, _ = post(client, payload(spec, values))
    assert status == 200
    chain = matrix_chain(spectrum((1.05, 0.9, 0.5), 6, 30), 40, "tanh", 1.0, 4)
    grads = figure_traces(response, "matrix-gradients")
    np.testing.assert_array_equal(trace_named(grads, "‖∂aₙ/∂Wₗ‖_F")["y"], chain.weight_grad_norms)
    norms = figure_traces(response, "matrix-norms")
    np.testing.assert_array_equal(trace_named(norms, "‖aₗ‖₂")["y"], chain.activation_norms)
    assert (response["response"]["matrix-query"]["data"]
            == "?eig=1.05%2C0.9%2C0.5&d=6&rot=30&kappa=1&n=40&act=tanh&seed=4")
    disabled = [response["response"][f"matrix-lam{i}"]["disabled"] for i in range(1, 9)]
    assert disabled == [False] * 3 + [True] * 5


@pytest.mark.parametrize("field,bad,shown", [
    ("matrix-k", 99, "k = 99 is outside 1–8; using 8."),
    ("matrix-lam2", "x", "eig = "),
    ("matrix-lam1", 1e308, "values outside -2–2 were clamped"),
    ("matrix-d", 1e6, "d = 1000000.0 is outside 1–16; using 16."),
    ("matrix-rot", 45, None),
    ("matrix-seed", -1, "seed = -1 is outside 0–9999; using 0."),
])
def test_matrix_bad_values(client, field, bad, shown):
    spec = callback_spec(client, "matrix-k")
    values = {**MATRIX, field: bad}
    if field == "matrix-rot":
        values["matrix-d"] = 1
        shown = "A complex pair needs d ≥ 2"
    status, response, size = post(client, payload(spec, values))
    assert status == 200, response
    assert shown in status_text(response, "matrix")
    assert size < 150_000


@pytest.mark.parametrize("body", [
    {},
    {"output": "chain-activations.figure"},
    {"output": "nonexistent.figure", "outputs": {"id": "x", "property": "y"}, "inputs": []},
    {"output": "..chain-activations.figure...chain-backprop.figure...chain-gradients.figure"
               "...chain-status.children...chain-query.data..", "inputs": "notalist"},
    [1, 2, 3],
    "just a string",
])
def test_malformed_requests_get_a_short_4xx(client, body):
    status, response, _ = post(client, body)
    assert 400 <= status < 500
    assert "Traceback" not in str(response) and len(str(response)) < 500


def test_layout_from_url_shows_notice_and_nearest_valid_values(client):
    from app.pages import chain, matrix
    page = json.dumps(chain.layout(w="5", n="1e9", act="nope", x="1.5"), cls=PlotlyJSONEncoder,
                      ensure_ascii=False)
    for text in ("w = 5 is outside 0–2; using 2.", "n = 1e9 is outside 1–200; using 200.",
                 "act = nope is not one of"):
        assert text in page
    page = json.dumps(matrix.layout(eig="0.7,0.2,9,0.1"), cls=PlotlyJSONEncoder, ensure_ascii=False)
    assert "values outside -2–2 were clamped; using 0.7,0.2,2,0.1." in page
