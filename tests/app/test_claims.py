"""Every quantitative sentence a reader sees, held against the data of the figure beside it.

Each test opens a page (or a tour step's embedded page) as the browser does, through the real
callback endpoint (tests/dash_client.open_page), reads the sentence the page prints and checks
every number and every qualitative claim in it ("falls", "flat", "above one") against the
numbers the figures carry. A sentence typed by hand next to a figure that shows something else
fails here: that is how the tour's first step was wrong (it said the first layer gets 0.006 of
the last one's gradient beside a figure in which every layer got the same).
"""
import json
import re

import numpy as np
import pytest

from app.pages import tour
from components.layout import walk
from components.text import NUMBER, numbers_in, parse_number
from tests.dash_client import figure_traces, open_page, trace_named

DIGITS = 4  # components.text.fmt's default: a printed number is good to 4 significant digits


def claimed(text: str, before: str) -> float:
    """The number printed right after the phrase `before` in `text`."""
    match = re.search(re.escape(before) + r"\s*(" + NUMBER.pattern + ")", text)
    assert match, f"no number after {before!r} in: {text}"
    return parse_number(match.group(1))


def agrees(shown: float, value: float, digits: int = DIGITS) -> bool:
    """`shown` is `value` printed to `digits` significant digits."""
    return shown == float(f"{value:.{digits}g}")


def tour_text(n: int) -> str:
    """The prose of tour step n exactly as its page carries it."""
    page = tour.layout(step=str(n))
    return next(c.children for c in walk(page) if "tour-text" in (getattr(c, "className", "") or ""))


def step_figures(client, n: int) -> dict:
    """The response of the page that tour step n embeds, opened in the step's state."""
    step = tour.STEPS[n - 1]
    return open_page(client, step.page, step.state, step.figure)


def embedded(client, n: int) -> list[dict]:
    step = tour.STEPS[n - 1]
    return figure_traces(step_figures(client, n), step.figure)


def status_text(response, page: str) -> str:
    return json.dumps(response["response"][f"{page}-status"]["children"], ensure_ascii=False)


# ------------------------------------------------------------------ the tour, step by step


def test_step1_the_first_layer_receives_what_the_embedded_line_shows(client):
    """The regression test for the old step 1: the ratio it prints is read off the figure the
    step embeds (first layer over last layer of its line), whatever that figure is."""
    text, step = tour_text(1), tour.STEPS[0]
    line = embedded(client, 1)[1]  # the line beside the autograd markers
    layers, value = np.asarray(line["x"]), np.asarray(line["customdata"])
    ratio = value[layers == 1][0] / value[layers == step.state["n"]][0]
    sentence = next(s for s in re.split(r"(?<=\.)\s", text) if "receive" in s)
    assert any(agrees(number, ratio) for number in numbers_in(sentence)), (sentence, ratio)
    assert ratio < 0.01  # "vanishing": the line falls toward the input
    assert np.all(np.diff(value) > 0)


def test_step1_the_weight_gradient_is_flat_at_the_printed_value(client):
    grads = trace_named(figure_traces(step_figures(client, 1), "chain-gradients"), "closed form")
    value = grads["customdata"]
    np.testing.assert_allclose(value, value[0], rtol=1e-12)  # "at every layer"
    assert agrees(claimed(tour_text(1), "$w^{\\,n-1}x$ ="), value[0])


def test_step2_the_factor_is_flat_and_the_bias_moves_activations_and_gradient(client):
    text, response = tour_text(2), step_figures(client, 2)
    backprop = trace_named(figure_traces(response, "chain-backprop"), "closed form")["customdata"]
    np.testing.assert_array_equal(backprop, 1.0)  # "a flat line"
    acts = trace_named(figure_traces(response, "chain-activations"), "closed form")["customdata"]
    assert agrees(claimed(text, "$a_n = x + n\\,b$ ="), acts[-1])
    grads = trace_named(figure_traces(response, "chain-gradients"), "closed form")["customdata"]
    assert agrees(claimed(text, "from"), grads[0]) and agrees(claimed(text, "at the first layer to"),
                                                               grads[-1])
    assert np.all(np.diff(grads) > 0)  # "grows with them"


def test_step3_the_factor_explodes_toward_the_input_and_the_weight_gradient_is_flat(client):
    text, response = tour_text(3), step_figures(client, 3)
    backprop = trace_named(figure_traces(response, "chain-backprop"), "closed form")["customdata"]
    assert agrees(claimed(text, "the factor reaching the input is $w^n$ ="), backprop[0])
    assert np.all(np.diff(backprop) < 0)  # grows toward the input layers
    grads = trace_named(figure_traces(response, "chain-gradients"), "closed form")["customdata"]
    np.testing.assert_allclose(grads, grads[0], rtol=1e-12)
    assert agrees(claimed(text, "$w^{\\,n-1}x$ ="), grads[0])


def test_step4_the_largest_eigenvalue_takes_over_by_the_printed_factor(client):
    text = tour_text(4)
    measured = {t["name"]: t["y"] for t in embedded(client, 4) if "|c|" not in t["name"]}
    last = sorted(((curve[-1], name) for name, curve in measured.items()), reverse=True)
    lead = claimed(text, "the component along\n$\\lambda$ =")
    assert last[0][1] == f"λ = {lead:g}"
    assert agrees(claimed(text, "is"), last[0][0] / last[1][0])


def test_step5_the_sigmoid_factor_sits_under_its_bound(client):
    text = tour_text(5)
    traces = embedded(client, 5)
    bound = trace_named(traces, "bound")["y"]
    factor = trace_named(traces, "chain rule")["customdata"]
    assert agrees(claimed(text, "at the input the bound is $(\\gamma|w|)^n$ ="), bound[0])
    assert agrees(claimed(text, "the factor itself is"), factor[0])
    assert np.all(np.abs(factor) <= bound) and trace_named(traces, "bound")["name"].endswith("¼")


def test_step6_the_bound_allows_growth_but_the_gradient_vanishes(client):
    text = tour_text(6)
    traces = embedded(client, 6)
    bound, measured = trace_named(traces, "bound")["y"], trace_named(traces, "measured")["y"]
    factor = bound[1]  # (γ‖W‖₂)^(T−k) at T − k = 1
    assert agrees(claimed(text, "$\\gamma\\,\\|W_h\\|_2$ ="), factor) and factor > 1  # "above one"
    T = tour.STEPS[5].state["T"]
    assert agrees(claimed(text, "$\\|\\partial h_T/\\partial h_0\\|_2$ ="), measured[-1])
    assert measured[-1] < 1e-10  # "vanishes"
    assert agrees(claimed(text, "vanishes, at"), measured[-1] ** (1 / T))


def test_step7_the_spike_sits_at_the_crossing_the_text_names(client):
    text, step = tour_text(7), tour.STEPS[6]
    figure = step_figures(client, 7)["response"][step.figure]["figure"]
    curve = figure_traces(step_figures(client, 7), step.figure)[0]
    b, size = np.asarray(curve["x"], float), np.asarray(curve["y"], float)
    # the figure marks the crossing with a dashed line; the text names the same b*
    (crossing,) = [shape["x0"] for shape in figure["layout"]["shapes"]
                   if shape["line"]["dash"] == "dash"]
    assert agrees(claimed(text, "is the unstable fixed point at $b^*$ ="), crossing)
    at = np.flatnonzero(b == crossing)[0]  # the sweep's grid holds b* itself
    assert agrees(abs(claimed(text, "$\\partial x_T/\\partial b$ =")), size[at])
    assert agrees(claimed(text, "the spike peaks at"), np.nanmax(size))
    assert abs(b[np.nanargmax(size)] - crossing) < 1e-3  # "close beside it"
    assert agrees(claimed(text, "at most"), max(size[0], size[-1]))
    assert np.nanmax(size) > 1e3 * max(size[0], size[-1])  # a spike


def test_step8_plain_descent_takes_the_printed_step_and_clipping_caps_it(client):
    text, step = tour_text(8), tour.STEPS[7]
    traces = {t["name"]: np.asarray(t["y"], float) for t in embedded(client, 8)}
    cap = step.state["lr"] * step.state["clip"]
    big = np.nanmax(traces["plain GD"])
    assert agrees(claimed(text, "largest step is"), big, digits=4)
    assert agrees(claimed(text, "threshold}$ ="), cap)
    assert agrees(claimed(text, f"{claimed(text, 'largest step is')},"), big / cap)
    assert np.nanmax(traces["norm-clipped"]) <= cap * (1 + 1e-6)  # float32 on the wire
    assert np.nanmax(traces["value-clipped"]) <= cap * np.sqrt(2) * (1 + 1e-6)


def test_step9_each_cells_gradient_at_the_first_step(client):
    text = tour_text(9)
    first = {t["name"]: t["y"][0] for t in embedded(client, 9) if t.get("legendgroup")}
    assert agrees(claimed(text, "$\\|\\partial L/\\partial h_0\\|$ is"), first["vanilla RNN"])
    assert agrees(claimed(text, "its gradient falls to"), first["LSTM"])
    best = min((name for name in first if name != "vanilla RNN"),
               key=lambda name: abs(np.log10(first[name])))
    assert f"for the {best} cell" in text and agrees(claimed(text, "RNN and"), first[best])
    assert first["LSTM"] < 1e-10 < first[best]  # the LSTM's gates "half shut"


# ------------------------------------------------------------------ the pages' own sentences


def text_of(response, component_id: str) -> str:
    """The text of the component with this id inside the page's status box."""
    def find(node):
        if isinstance(node, dict):
            props = node.get("props", {})
            if props.get("id") == component_id:
                return props.get("children")
            return next((f for f in map(find, [props.get("children")]) if f is not None), None)
        if isinstance(node, list):
            return next((f for f in map(find, node) if f is not None), None)
        return None
    status = next(v["children"] for k, v in response["response"].items() if k.endswith("-status"))
    found = find(status)
    assert found is not None, component_id
    return found if isinstance(found, str) else json.dumps(found, ensure_ascii=False)


@pytest.mark.parametrize("query", [
    {}, {"w": 1.2, "b": 0.1, "x": 0.5, "n": 25, "act": "tanh"},
    {"w": 2, "x": 0.5, "n": 30, "act": "sigmoid"}, {"w": 1.5, "b": -0.3, "n": 80, "act": "leaky_relu"},
    {"w": 1, "b": 0.1, "n": 50},
])
def test_chain_status_is_the_backprop_figure(client, query):
    response = open_page(client, "/chain", query, "chain-backprop")
    text = text_of(response, "chain-summary")
    line = figure_traces(response, "chain-backprop")[1]
    layers, factor = np.asarray(line["x"]), np.asarray(line["customdata"])
    n = layers[-1]
    assert agrees(claimed(text, "reaching layer 1 is ∂aₙ/∂a₁ ="), factor[layers == 1][0])
    assert agrees(claimed(text, "end to end ∂aₙ/∂x ="), factor[0])
    # the geometric mean of the n per-layer factors telescopes to |∂a_n/∂a_0|^(1/n)
    assert agrees(claimed(text, "per-layer factor |w·σ′(h)| ≈"), abs(factor[0]) ** (1 / n))
    regime = response["response"]["chain-status"]["children"][0]["props"]["children"][0]
    g = abs(factor[0]) ** (1 / n)
    expected = "vanishing" if g < 0.99 else "exploding" if g > 1.01 else "stable"
    assert regime["props"]["children"] == expected


@pytest.mark.parametrize("query", [{}, {"eig": "0.9,0.5", "n": 100, "act": "tanh", "kappa": 2},
                                   {"eig": "1.1", "d": 4, "rot": 40, "n": 30}])
def test_matrix_status_is_the_gradient_and_eigenvalue_figures(client, query):
    response = open_page(client, "/matrix", query, "matrix-gradients")
    text = text_of(response, "matrix-summary")
    plane = trace_named(figure_traces(response, "matrix-plane"), "λᵢ")
    assert agrees(claimed(text, "spectral radius ρ ="), np.max(np.hypot(plane["x"], plane["y"])))
    state = trace_named(figure_traces(response, "matrix-gradients"), "‖∂aₙ/∂aₗ‖₂")["y"]
    n = len(state) - 1
    assert agrees(claimed(text, "‖∂aₙ/∂a₀‖₂^(1/n) ≈"), state[0] ** (1 / n))


def test_dynamics_sentences_are_the_figures(client):
    response = open_page(client, "/dynamics", {}, "dynamics-gradient")
    # fixed points: the cobweb's markers (filled = stable) with their multipliers
    cobweb = figure_traces(response, "dynamics-cobweb")
    roots = sorted([(x, s, "stable") for x, s in zip(trace_named(cobweb, "stable x*")["x"],
                                                   trace_named(cobweb, "stable x*")["customdata"])]
                   + [(x, s, "unstable") for x, s in zip(trace_named(cobweb, "unstable x*")["x"],
                                                        trace_named(cobweb, "unstable x*")["customdata"])])
    text = text_of(response, "dynamics-fixed-points")
    for x, slope, kind in roots:
        printed = f"{x:.5g}".replace("-", "−") if abs(x) > 1e-9 else "0"
        assert f"{printed} ({kind}, w·σ'(x*) = " in text
        assert agrees(claimed(text, f"{printed} ({kind}, w·σ'(x*) ="), slope, digits=5)
    # folds: the bifurcation diagram's diamonds
    folds = trace_named(figure_traces(response, "dynamics-bifurcation"), "folds")["x"]
    text = text_of(response, "dynamics-folds")
    assert agrees(claimed(text, "b ="), folds[0], 5) and agrees(claimed(text, "and"), folds[1], 5)
    # the crossing: the gradient figure's dashed line, its value there and the peak
    figure = response["response"]["dynamics-gradient"]["figure"]
    (crossing,) = [s["x0"] for s in figure["layout"]["shapes"] if s["line"]["dash"] == "dash"]
    curve = figure_traces(response, "dynamics-gradient")[0]
    b, size = np.asarray(curve["x"], float), np.asarray(curve["y"], float)
    text = text_of(response, "dynamics-crossing")
    assert agrees(claimed(text, "fixed point at b* ="), crossing, 5)
    assert agrees(claimed(text, "Σₜ₌₀ᵀ⁻¹ mᵗ ="), size[b == crossing][0], 5)
    assert agrees(claimed(text, "on the plotted grid is"), np.nanmax(size), 5)
    assert agrees(claimed(text, "grid is " + f"{np.nanmax(size):.5g},"),
                  crossing - b[np.nanargmax(size)], 2)
    # the badge: the current trajectory's end
    current = trace_named(figure_traces(response, "dynamics-trajectories"), "current")["y"]
    assert agrees(claimed(text_of(response, "dynamics-summary"), "x_T ="), current[-1], 5)


@pytest.mark.parametrize("query", [{"w": -5, "b": 3, "lo": 3, "hi": 4.2}, {"sweep": "w", "b": -2.5}])
def test_dynamics_crossing_sentence_holds_for_each_parameter_and_sign(client, query):
    """∂x_T/∂θ at θ* is Σ mᵗ for θ = b and σ(x₀)·Σ mᵗ for θ = w, signed: for w < 0 the
    multipliers alternate (an absolute sum would overstate it twelvefold at w = −5)."""
    response = open_page(client, "/dynamics", query, "dynamics-gradient")
    figure = response["response"]["dynamics-gradient"]["figure"]
    (crossing,) = [s["x0"] for s in figure["layout"]["shapes"] if s["line"]["dash"] == "dash"]
    curve = figure_traces(response, "dynamics-gradient")[0]
    at = np.asarray(curve["y"], float)[np.asarray(curve["x"], float) == crossing][0]
    text = text_of(response, "dynamics-crossing")
    m = claimed(text, "multiplier m = w·σ'(x₀) =")
    T = 50
    p = query.get("sweep", "b")
    total = (m ** T - 1) / (m - 1)
    printed = claimed(text, "Σₜ₌₀ᵀ⁻¹ mᵗ =")
    assert agrees(abs(printed), at, 5)
    if p == "b":
        assert np.isclose(printed, total, rtol=1e-3)  # m is printed to 5 digits
    else:
        assert "σ(x₀)·Σₜ₌₀ᵀ⁻¹" in text and np.isclose(printed, total / (1 + np.exp(-0.5)), rtol=1e-3)
    if m < 0:
        assert "2-cycle" in text and abs(printed) < (abs(m) ** T - 1) / (abs(m) - 1) / 10


def test_cliff_sentences_are_the_figures(client):
    response = open_page(client, "/cliff", {}, "cliff-stepsizes")
    steps = {t["name"]: np.asarray(t["y"], float) for t in figure_traces(response, "cliff-stepsizes")}
    loss = {t["name"]: np.asarray(t["y"], float) for t in figure_traces(response, "cliff-loss")}
    status = json.dumps(response["response"]["cliff-status"]["children"], ensure_ascii=False)
    big = np.nanmax(steps["plain GD"])
    assert agrees(claimed(status, "largest step is"), big)
    assert f"at iteration {int(np.nanargmax(steps['plain GD']))}:" in status
    assert agrees(claimed(status, "lr·threshold ="), 0.1)
    assert agrees(claimed(status, f"iteration {int(np.nanargmax(steps['plain GD']))}:"), big / 0.1)
    assert agrees(claimed(text_of(response, "cliff-start"), "E ="), loss["plain GD"][0])
    for name, curve in loss.items():
        assert agrees(claimed(status, f"{name}: E"), curve[0])
        assert agrees(claimed(status, f"{name}: E {claimed(status, f'{name}: E'):.4g} →"), curve[-1])


@pytest.mark.parametrize("query", [{}, {"act": "sigmoid"}, {"act": "identity", "init": "orthogonal"},
                                   {"act": "relu", "rho": 1.6, "T": 300, "d": 16}])
def test_rnn_status_is_the_jacobian_figure(client, query):
    response = open_page(client, "/rnn", query, "rnn-norms")
    text = text_of(response, "rnn-summary")
    traces = figure_traces(response, "rnn-norms")
    lags = np.asarray(trace_named(traces, "measured")["x"])
    measured = np.asarray(trace_named(traces, "measured")["y"], float)
    bound = np.asarray(trace_named(traces, "bound")["y"], float)
    T = lags[-1]
    assert agrees(claimed(text, f"end to end ‖∂h_{T}/∂h_0‖₂ ="), measured[-1])
    assert agrees(claimed(text, f"‖∂h_{T}/∂h_0‖₂^(1/{T}) ≈"), (measured[-1] / measured[0]) ** (1 / T))
    factor = bound[1] ** (1 / lags[1])  # (γ‖W_h‖₂)^(T−k) at the first plotted lag
    assert agrees(claimed(text, "= " + text.split("γ‖W_h‖₂ = ")[1].split(" = ")[0] + " ="), factor)
    assert ("> 1: the bound allows growth" in text) == (factor > np.exp(0.05))
    assert ("< 1: the bound forces decay" in text) == (factor < np.exp(-0.05))
    if factor < 1:  # the bound holds and forces decay
        assert np.all(measured <= bound * (1 + 1e-9))
