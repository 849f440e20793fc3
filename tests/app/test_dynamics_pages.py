"""/dynamics and /cliff through the real Dash endpoint: engine values, validation, never a 500."""
import json

import numpy as np
import pytest
from plotly.utils import PlotlyJSONEncoder

from engine.cliff import compare_clipping, descend_many
from engine.dynamics import (basin_crossing, bifurcation_diagram, gradient_sweep, iterate,
                             sweep_values)
from tests.dash_client import (callback_spec, figure_traces, page_controls, payload, post, route,
                               trace_named)

DYN = page_controls("/dynamics")
CLIFF = page_controls("/cliff")
LIMIT = 160_000  # was 150 kB; + each figure's text alternative and the palette's cues (~3 kB)


def status_text(response, page):
    return json.dumps(response["response"][f"{page}-status"]["children"], ensure_ascii=False)


def f32(a):
    return np.asarray(a, dtype=np.float64).astype(np.float32)


def call(client, page, values, changed=None):
    """The page's callback as the page calls it when it loads, or after `changed` moved."""
    spec = callback_spec(client, f"{page}-{'w' if page == 'dynamics' else 'w0'}")
    return post(client, payload(spec, values, changed, initial=changed is None))


@pytest.mark.parametrize("url,title,notices,controls", [
    ("/dynamics", "One-unit dynamics: fixed points, folds and a gradient spike", [], DYN),
    ("/dynamics?w=abc&lo=3&hi=3", "One-unit dynamics: fixed points, folds and a gradient spike",
     ["w = abc is not a number; using 5.", "lo = hi = 3 is an empty sweep; using -3.5 … -1.5."],
     DYN),
    ("/cliff", "The gradient cliff: clip the step, not the direction", [], CLIFF),
    ("/cliff?view=4d&w0=%00", "The gradient cliff: clip the step, not the direction",
     ["w0 = \x00 is not a number; using 4.6.", "view = 4d is not one of 2d, 3d; using 2d."], CLIFF),
])
def test_pages_render_from_their_urls(client, url, title, notices, controls):
    """The layout the page router renders for the URL (what the browser shows)."""
    page = route(client, url)
    assert page.headings() == [title]
    assert page.url_notices() == notices
    assert {k: v for k, v in page.controls().items() if k in controls} == controls
    prefix = url.split("?")[0].strip("/")
    assert len(page.graphs()) >= 4 and all(g.startswith(prefix + "-") for g in page.graphs())


def test_pages_are_registered():
    import dash
    pages = {p["path"]: p for p in dash.page_registry.values()}
    assert pages["/dynamics"]["order"] == 4 and pages["/dynamics"]["description"]
    assert pages["/cliff"]["description"]


def collect_ids(component, out):
    if isinstance(component, dict):
        if "id" in component.get("props", {}):
            cid = component["props"]["id"]  # a pattern-matching id is a dict: as Dash spells it
            out.append(json.dumps(cid, sort_keys=True) if isinstance(cid, dict) else cid)
        for v in component.get("props", {}).values():
            collect_ids(v, out)
    elif isinstance(component, list):
        for c in component:
            collect_ids(c, out)
    return out


@pytest.mark.parametrize("page", ["dynamics", "cliff"])
def test_component_ids_are_unique(page):
    # regression: a graph and a slider both called "cliff-steps" made the slider read None
    from app.pages import cliff, dynamics
    module = {"dynamics": dynamics, "cliff": cliff}[page]
    tree = json.loads(json.dumps(module.layout(), cls=PlotlyJSONEncoder))
    ids = collect_ids(tree, [])
    assert len(ids) == len(set(ids)) and len(ids) > 10


# ---------------------------------------------------------------- /dynamics

def test_dynamics_callback_returns_engine_values(client):
    values = {**DYN, "dynamics-w": 5.5, "dynamics-b": -2.8, "dynamics-lo": -3.6,
              "dynamics-hi": -2.0, "dynamics-T": 60}
    status, response, size = call(client, "dynamics", values)
    assert status == 200 and size < LIMIT
    cross, slope = basin_crossing("b", 5.5)
    gs = gradient_sweep("b", sweep_values(-3.6, -2.0, 801, around=cross), 5.5, 0.5, 60)
    g = trace_named(figure_traces(response, "dynamics-gradient"), "|∂x_T/∂b|")
    np.testing.assert_array_equal(g["x"], gs.values)
    np.testing.assert_array_equal(g["y"], np.abs(gs.dxT))
    x_T = trace_named(figure_traces(response, "dynamics-final"), "x_T")
    np.testing.assert_array_equal(x_T["y"], f32(gs.x_T))
    d = bifurcation_diagram("b", np.linspace(-3.6, -2.0, 401), 5.5, 0.5)
    up = trace_named(figure_traces(response, "dynamics-bifurcation"), "x∞, b swept up")
    np.testing.assert_array_equal(up["y"], f32(d.forward))
    cur = iterate(np.array([5.5]), np.array([-2.8]), 0.5, 60)
    fan = figure_traces(response, "dynamics-trajectories")
    np.testing.assert_array_equal(trace_named(fan, "current b = -2.8")["y"], f32(cur.x[:, 0]))
    assert len([t for t in fan if t["name"].startswith("b = ")]) == 15
    text = status_text(response, "dynamics")
    lo, hi = d.folds.values
    assert f"b = {lo:.5g} and {hi:.5g}".replace("-", "−") in text
    assert f"{cross:.5g}".replace("-", "−") in text and "basin boundary" in text
    assert (response["response"]["dynamics-query"]["data"]
            == "?w=5.5&b=-2.8&x0=0.5&T=60&act=sigmoid&sweep=b&lo=-3.6&hi=-2")
    assert "dynamics-lo" not in response["response"]  # the range sliders were left alone


def test_pascanu_folds_are_printed(client):
    status, response, _ = call(client, "dynamics", DYN)
    assert status == 200
    assert "b = −2.6556 and −2.3444" in status_text(response, "dynamics")


def test_switching_the_swept_parameter_resets_the_range(client):
    status, response, _ = call(client, "dynamics", {**DYN, "dynamics-sweep": "w",
                                                    "dynamics-b": -3.0}, "dynamics-sweep")
    assert status == 200
    r = response["response"]
    assert (r["dynamics-lo"]["value"], r["dynamics-hi"]["value"]) == (2.0, 12.0)
    assert r["dynamics-query"]["data"].endswith("sweep=w&lo=2&hi=12")
    assert "w = 5.464 and 8.464" in status_text(response, "dynamics")
    gs = gradient_sweep("w", sweep_values(2.0, 12.0, 801, around=basin_crossing("w", -3.0)[0]),
                        -3.0)
    g = trace_named(figure_traces(response, "dynamics-gradient"), "|∂x_T/∂w|")
    np.testing.assert_array_equal(g["y"], np.abs(gs.dxT))


@pytest.mark.parametrize("lo,hi,shown,used", [
    (-1.5, -3.5, "lo = -1.5 is above hi = -3.5; swapped them.", "lo=-3.5&hi=-1.5"),
    (-2.0, -2.0, "lo = hi = -2 is an empty sweep; using -3.5 … -1.5.", "lo=-3.5&hi=-1.5"),
    (-99, "x", "lo = -99 is outside -10–15; using -10.", "lo=-10&hi=-1.5"),
])
def test_dynamics_sweep_range_is_validated(client, lo, hi, shown, used):
    status, response, _ = call(client, "dynamics", {**DYN, "dynamics-lo": lo, "dynamics-hi": hi})
    assert status == 200
    assert shown in status_text(response, "dynamics")
    assert response["response"]["dynamics-query"]["data"].endswith(used)


@pytest.mark.parametrize("field,bad,shown", [
    ("dynamics-w", 1e308, "w = 1e+308 is outside -10–15; using 15."),
    ("dynamics-w", "abc", "w = abc is not a number; using 5."),
    ("dynamics-T", 10**9, "T = 1000000000 is outside 1–200; using 200."),
    ("dynamics-T", 2.5, "T = 2.5 is not a whole number; using 2."),
    ("dynamics-x0", "nan", "x0 = nan is not a number; using 0.5."),
    ("dynamics-act", "relu", "act = relu is not one of sigmoid, tanh, identity; using sigmoid."),
    ("dynamics-sweep", {"$ne": 1}, "sweep = {'$ne': 1} is not one of b, w; using b."),
    ("dynamics-b", [1, 2], "b = [1, 2] is not a number; using -2.5."),
])
def test_dynamics_bad_values_get_a_notice_and_valid_figures(client, field, bad, shown):
    status, response, size = call(client, "dynamics", {**DYN, field: bad})
    assert status == 200, response
    assert shown in status_text(response, "dynamics")
    assert len(figure_traces(response, "dynamics-bifurcation")) >= 4
    assert size < LIMIT


@pytest.mark.parametrize("act,w,b", [("identity", 15.0, 15.0), ("tanh", -10.0, 0.0),
                                     ("identity", 1.0, 0.0), ("tanh", 15.0, -10.0)])
def test_dynamics_extremes_serve(client, act, w, b):
    values = {**DYN, "dynamics-act": act, "dynamics-w": w, "dynamics-b": b, "dynamics-T": 200,
              "dynamics-lo": -10, "dynamics-hi": 15}
    for sweep in ("b", "w"):
        status, response, size = call(client, "dynamics", {**values, "dynamics-sweep": sweep})
        assert status == 200, response
        assert size < LIMIT


def test_dynamics_url_with_bad_values_shows_notices():
    from app.pages import dynamics
    page = json.dumps(dynamics.layout(w="99", T="0", act="softmax", lo="4", hi="-4", sweep="w"),
                      cls=PlotlyJSONEncoder, ensure_ascii=False)
    for text in ("w = 99 is outside -10–15; using 15.", "T = 0 is outside 1–200; using 1.",
                 "act = softmax is not one of", "lo = 4 is above hi = -4; swapped them."):
        assert text in page
    # a bare sweep=w takes the w range
    values, notices = dynamics.PARAMS.parse({"sweep": "w"})
    assert (values["lo"], values["hi"], notices) == (2.0, 12.0, [])


# ---------------------------------------------------------------- /cliff

def test_cliff_callback_returns_engine_values(client):
    values = {**CLIFF, "cliff-lr": 0.05, "cliff-clip": 0.5, "cliff-steps": 80}
    status, response, size = call(client, "cliff", values)
    assert status == 200 and size < LIMIT
    paths = descend_many(4.6, -2.365, 0.05, 80, threshold=0.5)
    surf = figure_traces(response, "cliff-surface")
    for P, name in zip(paths, ("plain GD", "norm-clipped", "value-clipped")):
        t = trace_named(surf, name)
        np.testing.assert_array_equal(t["x"], f32(P.path[:, 0]))
        np.testing.assert_array_equal(t["y"], f32(P.path[:, 1]))
        steps = trace_named(figure_traces(response, "cliff-stepsizes"), name)
        np.testing.assert_array_equal(steps["y"], f32(P.step_norm))
    from app.pages.cliff import display_surface
    S = display_surface()
    (heat,) = [t for t in surf if t["type"] == "heatmap"]
    np.testing.assert_array_equal(heat["z"], f32(np.log10(S.E)))
    assert heat["z"].shape == (120, 120)
    cmp = compare_clipping(paths[0].grad[0], 0.5)
    arrows = figure_traces(response, "cliff-clipping")
    by_value = trace_named(arrows, "by value")
    np.testing.assert_array_equal([by_value["x"][1], by_value["y"][1]], cmp.by_value)
    assert f"{cmp.angle_by_value:.1f}°" in by_value["name"]
    text = status_text(response, "cliff")
    assert "exploding" in text and f"{cmp.norm_raw:.4g}" in text
    assert response["response"]["cliff-query"]["data"] == \
        "?w0=4.6&b0=-2.365&lr=0.05&clip=0.5&steps=80&view=2d"
    assert "cliff-w0" not in response["response"]  # the start sliders were left alone


def test_cliff_3d_view(client):
    status, response, size = call(client, "cliff", {**CLIFF, "cliff-view": "3d"})
    assert status == 200 and size < LIMIT
    from app.pages.cliff import display_surface
    surf = trace_named(figure_traces(response, "cliff-surface"), "E(w, b)")
    assert surf["type"] == "surface"
    np.testing.assert_array_equal(surf["z"], f32(display_surface().E))


def test_a_click_on_the_surface_moves_the_start(client):
    click = {"points": [{"x": 5.01234, "y": -3.00049, "z": -0.4, "curveNumber": 0}]}
    status, response, _ = call(client, "cliff", {**CLIFF, "cliff-surface": click}, "cliff-surface")
    assert status == 200
    r = response["response"]
    assert (r["cliff-w0"]["value"], r["cliff-b0"]["value"]) == (5.012, -3.0)
    plain = trace_named(figure_traces(response, "cliff-surface"), "plain GD")
    expected = descend_many(5.012, -3.0, 0.1, 100)[0]
    np.testing.assert_array_equal(plain["x"], f32(expected.path[:, 0]))
    assert r["cliff-query"]["data"].startswith("?w0=5.012&b0=-3&")


def test_moving_the_start_patches_the_paths_and_leaves_the_surface_in_the_browser(client):
    """A slider that moves the paths sends a Patch of traces 1–4 (paths and start), not the
    120×120 surface; changing the view sends the whole figure."""
    _, full, full_size = call(client, "cliff", CLIFF)
    _, moved, moved_size = call(client, "cliff", {**CLIFF, "cliff-b0": -2.5}, "cliff-b0")
    patch = moved["response"]["cliff-surface"]["figure"]
    assert [op["location"] for op in patch["operations"]] == [["data", i] for i in range(1, 5)]
    expected = descend_many(4.6, -2.5, 0.1, 100)
    for P, trace in zip(expected, figure_traces(moved, "cliff-surface")):
        np.testing.assert_array_equal(trace["y"], f32(P.path[:, 1]))
    assert moved_size < full_size / 3
    _, viewed, _ = call(client, "cliff", {**CLIFF, "cliff-view": "3d"}, "cliff-view")
    assert figure_traces(viewed, "cliff-surface")[0]["type"] == "surface"


@pytest.mark.parametrize("click,shown", [
    ({"points": "x"}, "carried no point"),
    ({"points": []}, "carried no point"),
    ({"points": [{"y": 1}]}, "carried no point"),
    ({"points": [{"x": "abc", "y": -1}]}, "Ignored a click outside the surface: w0 = abc"),
    ({"points": [{"x": 1e308, "y": -1}]}, "Ignored a click outside the surface"),
    ({"points": [{"x": [5], "y": {"a": 1}}]}, "Ignored a click outside the surface"),
    ([1, 2, 3], "carried no point"),
    ("clickData", "carried no point"),
    (12, "carried no point"),
    ({"points": {"0": {"x": 5, "y": -3}}}, "carried no point"),
])
def test_malformed_clicks_get_a_notice_and_a_valid_state(client, click, shown):
    status, response, size = call(client, "cliff", {**CLIFF, "cliff-surface": click},
                                  "cliff-surface")
    assert status == 200, response
    assert shown in status_text(response, "cliff")
    r = response["response"]
    assert "cliff-w0" not in r and r["cliff-query"]["data"].startswith("?w0=4.6&b0=-2.365&")
    assert size < LIMIT


def test_no_click_is_no_notice(client):
    status, response, _ = call(client, "cliff", {**CLIFF, "cliff-surface": None}, "cliff-surface")
    assert status == 200 and "click" not in status_text(response, "cliff")


@pytest.mark.parametrize("field,bad,shown", [
    ("cliff-w0", 99, "w0 = 99 is outside 2–8; using 8."),
    ("cliff-b0", "x", "b0 = x is not a number; using -2.365."),
    ("cliff-lr", -1, "lr = -1 is outside 0.001–1; using 0.001."),
    ("cliff-lr", 1e308, "lr = 1e+308 is outside 0.001–1; using 1."),
    ("cliff-steps", 10**6, "steps = 1000000 is outside 1–300; using 300."),
    ("cliff-clip", None, "clip = None is not a number; using 1."),
    ("cliff-view", "4d", "view = 4d is not one of 2d, 3d; using 2d."),
])
def test_cliff_bad_values_get_a_notice_and_valid_figures(client, field, bad, shown):
    status, response, size = call(client, "cliff", {**CLIFF, field: bad})
    assert status == 200, response
    assert shown in status_text(response, "cliff")
    assert len(figure_traces(response, "cliff-surface")) == 5
    assert size < LIMIT


def test_cliff_url_with_bad_values_shows_notices_and_presets_link_their_state():
    from app.pages import cliff
    page = json.dumps(cliff.layout(w0="1", b0="nope", steps="2.5", view="4d"),
                      cls=PlotlyJSONEncoder, ensure_ascii=False)
    for text in ("w0 = 1 is outside 2–8; using 2.", "b0 = nope is not a number; using -2.365.",
                 "steps = 2.5 is not a whole number; using 2.", "view = 4d is not one of 2d, 3d"):
        assert text in page
    assert "/cliff?w0=5&b0=-3&lr=0.1&clip=1&steps=100&view=2d" in page  # walk_into_wall
    assert "/cliff?w0=4.6&b0=-2.365&lr=0.1&clip=1&steps=100&view=2d" in page  # beside_wall
