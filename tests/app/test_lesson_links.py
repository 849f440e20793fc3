"""Lesson links: `lock=` (parameters shown but not movable) and `hide=` (parameters not shown),
on every page and embed, through the real Dash endpoint.

A pinned parameter keeps the link's value through every interaction: the page's callback takes
it from the link's pins (a Store the layout writes) whatever its control sends — a locked
control re-enabled in the browser, or any JSON posted to /_dash-update-component — and no
reset, click, preset or rule between parameters moves it. The canonical query (mirrored into
the address bar, and the base of the embed link) keeps lock= and hide= and the pinned values.
Bad lock= and hide= values are validated like every other parameter: a notice, never an error.
(In the browser: tests/browser/test_lesson_links.py.)
"""
import json
from urllib.parse import parse_qs, parse_qsl, quote, urlsplit

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from app.pages.train import ids as train_ids
from app.pages.train import params as train_params
from components.params import MAX_TEXT, NO_PINS, ParamSet
from engine.chain import reference_chain
from tests.dash_client import (callback_for, callback_spec, components, figure_traces, payload,
                               post, route, router_body, router_spec, texts, trace_named)

LECTURE = "/chain?w=0.9&n=50&lock=b,x,n,act"  # the README's lecture step: only w moves
CLOSED = "closed form"


def page_module(path: str):
    from app.pages import chain, cliff, dynamics, matrix, rnn
    return {"/chain": chain, "/matrix": matrix, "/rnn": rnn, "/dynamics": dynamics,
            "/cliff": cliff}[path]


def settings_(examples: int):
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.generate], print_blob=False,
                    suppress_health_check=list(HealthCheck))


class Opened:
    """A parameter page opened at a URL, as the browser opens it: the router's layout, its
    controls' values and its pins Store, then its callback (initial, or after a change)."""

    def __init__(self, client, url: str):
        self.client, self.url = client, url
        self.page = route(client, url)
        path = urlsplit(url).path
        self.name = path.rsplit("/", 1)[-1] if not path.startswith("/embed/") else \
            path.split("/")[2].split("-")[0]
        self.pins = self.page.find(f"{self.name}-pins")["data"]
        self.values = {**self.page.controls(), f"{self.name}-pins": self.pins}
        self.spec = callback_for(client, self.graphs()[0])

    def graphs(self) -> list[str]:
        return self.page.graphs()

    def call(self, changes: dict | None = None, changed: str | None = None) -> dict:
        """The callback's answer after `changes` ({component id: value}); `changed` is the
        input the user moved (None: the page's first call)."""
        self.values.update(changes or {})
        body = payload(self.spec, self.values, changed=changed, initial=changed is None)
        status, answer, _ = post(self.client, body)
        assert status == 200, answer
        return answer["response"]

    @staticmethod
    def query(out: dict, name: str) -> dict:
        return {k: v[0] for k, v in parse_qs(out[f"{name}-query"]["data"][1:]).items()}

    def status(self, out: dict) -> list[str]:
        return texts(out[f"{self.name}-status"]["children"])


def control_ids(page) -> set:
    """The ids of every control the page shows (sliders, boxes, dropdowns, checklists)."""
    kinds = {"Slider", "Input", "Dropdown", "Checklist", "RadioItems"}
    return {c["props"]["id"] for c in components(page.content)
            if c["type"] in kinds and isinstance(c["props"].get("id"), str)
            and c["namespace"] == "dash_core_components"}


# ---------------------------------------------------------------- parsing and notices


def test_lock_and_hide_are_parsed_and_validated():
    from app.pages.chain import PARAMS
    values = PARAMS.defaults()
    pins, notices = PARAMS.pins({"lock": " b, x,,b , n,", "hide": "act"}, values)
    assert (pins.lock, pins.hide, notices) == (("b", "x", "n"), ("act",), [])
    assert pins.link == values and "act" in pins and "w" not in pins

    pins, notices = PARAMS.pins({"lock": "q,w", "hide": "zz,yy,b"}, values)
    assert (pins.lock, pins.hide) == (("w",), ("b",))
    assert notices == [
        "lock: no parameter called 'q' on this page; ignored. Its parameters: w, b, x, n, act.",
        "hide: no parameters called 'zz', 'yy' on this page; ignored. Its parameters: w, b, x, "
        "n, act."]
    # a name in both lists is hidden; a repeated key adds to its list; URL order, not the link's
    pins, notices = PARAMS.pins({"lock": ["act", "w"], "hide": "w"}, values)
    assert (pins.lock, pins.hide, notices) == (("act",), ("w",), [])
    # over-long, not text, empty
    long = "w," * 150
    pins, notices = PARAMS.pins({"lock": long, "hide": [1, 2]}, values)
    assert not pins and notices == [
        f"lock = {long[:37]}… is too long (over {MAX_TEXT} characters); ignored.",
        "hide = [1, 2] is not a comma list of parameter names; ignored."]
    assert PARAMS.pins({"lock": "", "hide": ",,"}, values) == (NO_PINS, [])
    # an old name of a parameter (matrix: nn is kappa's) locks the parameter
    from app.pages.matrix import PARAMS as MATRIX
    pins, _ = MATRIX.pins({"lock": "nn"}, MATRIX.defaults())
    assert pins.lock == ("kappa",)


def test_url_notices_name_what_was_ignored(client):
    page = route(client, "/chain?w=abc&lock=q,b&hide=" + "x" * 300)
    assert page.url_notices() == [
        "w = abc is not a number; using 0.9.",
        "lock: no parameter called 'q' on this page; ignored. Its parameters: w, b, x, n, act.",
        f"hide = {'x' * 37}… is too long (over {MAX_TEXT} characters); ignored."]
    page = route(client, "/train?lock=kind,nope")
    assert page.url_notices()[0].startswith("lock: no parameter called 'nope' on this page")


def test_a_forged_pins_store_gives_no_pins_or_valid_ones():
    from app.pages.chain import PARAMS
    for data in (None, 1, "lock=b", [], {"lock": "b"}, {"lock": ["b"], "link": {"b": "x"}},
                 {"lock": ["zz"], "link": {"zz": 1}}, {"lock": [["b"]], "link": {"b": 0}},
                 {"lock": ["b"] * 1000, "link": {"b": 0}}):
        assert PARAMS.read_pins(data) == NO_PINS, data
    # a pinned name whose link value is not valid is dropped (b = 3 is outside −2…2)
    pins = PARAMS.read_pins({"lock": ["b", "w", "x"], "hide": ["n"],
                             "link": {"b": 3, "w": "x", "x": 0.5, "n": 7}})
    assert (pins.lock, pins.hide, pins.link["x"], pins.link["n"]) == (("x",), ("n",), 0.5, 7)


# ---------------------------------------------------------------- the layout


def test_locked_controls_are_disabled_and_say_so(client):
    page = Opened(client, LECTURE).page
    by_id = {c["props"]["id"]: c for c in components(page.content)
             if isinstance(c["props"].get("id"), str)}
    assert by_id["chain-w"]["props"].get("disabled") is not True
    for name in ("b", "x", "n"):
        assert by_id[f"chain-{name}"]["props"]["disabled"] is True
    assert by_id["chain-act"]["props"]["disabled"] is True
    for name in ("b", "x", "n", "act"):
        assert texts(by_id[f"chain-{name}-label"]["props"]["children"])[-1] == " locked"
    assert texts(by_id["chain-w-label"]["props"]["children"]) == ["weight w"]
    assert [c["props"]["data-param"] for c in page.with_class("control-locked")] == \
        ["b", "x", "n", "act"]
    # number boxes are read-only, checklists and radios have every option disabled
    page = route(client, "/train?lock=lr,act")
    box = page.find(train_ids.control("ff", "lr"))
    assert box["readOnly"] is True
    page = route(client, "/rnn?lock=cells,inputs")
    assert all(o["disabled"] for o in page.find("rnn-cells")["options"])
    page = route(client, "/cliff?lock=view")
    assert all(o["disabled"] for o in page.find("cliff-view")["options"])


def test_hidden_controls_are_not_on_the_page(client):
    page = route(client, "/chain?w=1.1&n=7&hide=w,b,x,act")
    assert control_ids(page) == {"chain-n"}
    assert "weight w" not in page.text() and "depth n" in page.text()
    # the callback writes to these controls (a reset, a click, a refreshed label): they stay,
    # but inside an element with the HTML hidden attribute (not shown, not focusable)
    page = route(client, "/rnn?hide=rho,seed")
    assert "rnn-seed" not in control_ids(page)
    (hidden,) = page.with_class("control-hidden")
    assert hidden["props"]["hidden"] is True
    assert "rnn-rho" in {c["props"].get("id") for c in components(hidden)}


def test_without_lock_or_hide_the_layout_is_as_before(client):
    """No lesson link, no change: no locked or hidden control, an empty pins Store, and (the
    golden records, tests/app/test_golden.py) the same controls, notices and queries."""
    for url in ("/chain", "/matrix?eig=1.1", "/rnn", "/dynamics", "/cliff", "/train"):
        page = route(client, url)
        assert not page.with_class("control-locked") and not page.with_class("control-hidden")
        name = url.split("?")[0].strip("/")
        assert page.find(f"{name}-pins")["data"] == {}


# ---------------------------------------------------------------- the callback holds the pins


def test_the_callback_ignores_values_sent_for_locked_parameters(client):
    opened = Opened(client, LECTURE)
    out = opened.call()
    assert opened.query(out, "chain") == {"w": "0.9", "b": "0", "x": "1", "n": "50",
                                          "act": "identity", "lock": "b,x,n,act"}
    # w moves; the locked ones' controls, re-enabled and moved by a student, are ignored
    out = opened.call({"chain-w": 1.2, "chain-b": 1.5, "chain-x": -2.0, "chain-n": 200,
                       "chain-act": "tanh"}, changed="chain-w")
    assert opened.query(out, "chain") == {"w": "1.2", "b": "0", "x": "1", "n": "50",
                                          "act": "identity", "lock": "b,x,n,act"}
    expected = reference_chain(1.2, 0.0, 1.0, 50, "identity")
    grads = figure_traces({"response": out}, "chain-gradients")
    np.testing.assert_array_equal(trace_named(grads, CLOSED)["customdata"], expected.grad_w)
    status = opened.status(out)
    for said in ("b is locked at 0 by this page's link; ignored b = 1.5.",
                 "n is locked at 50 by this page's link; ignored n = 200.",
                 "act is locked at identity by this page's link; ignored act = tanh."):
        assert said in status
    # a change reported from a locked control itself changes nothing either
    out = opened.call({"chain-n": 3}, changed="chain-n")
    assert opened.query(out, "chain")["n"] == "50"


def test_hidden_parameters_keep_their_values(client):
    opened = Opened(client, "/chain?w=1.1&n=7&hide=w,b,x,act")
    out = opened.call({"chain-n": 9}, changed="chain-n")  # the hidden controls send nothing
    assert opened.query(out, "chain") == {"w": "1.1", "b": "0", "x": "1", "n": "9",
                                          "act": "identity", "hide": "w,b,x,act"}
    expected = reference_chain(1.1, 0.0, 1.0, 9, "identity")
    grads = figure_traces({"response": out}, "chain-gradients")
    np.testing.assert_array_equal(trace_named(grads, CLOSED)["customdata"], expected.grad_w)
    assert not [t for t in opened.status(out) if "locked" in t]  # nothing was sent, nothing said


def test_a_reset_does_not_move_a_pinned_parameter(client):
    # /rnn: a new construction resets ρ to its default, unless ρ is pinned
    opened = Opened(client, "/rnn?rho=1.3&lock=rho")
    out = opened.call({"rnn-init": "orthogonal"}, changed="rnn-init")
    assert opened.query(out, "rnn")["rho"] == "1.3" and opened.query(out, "rnn")["init"] == \
        "orthogonal"
    assert "rnn-rho" not in out  # the slider is not moved
    assert not [t for t in opened.status(out) if t.startswith("ρ set to")]
    assert texts(out["rnn-rho-label"]["children"])[-1] == " locked"  # the refreshed label too
    # without the lock the reset happens
    opened = Opened(client, "/rnn?rho=1.3")
    out = opened.call({"rnn-init": "orthogonal"}, changed="rnn-init")
    assert opened.query(out, "rnn")["rho"] == "1" and out["rnn-rho"]["value"] == 1.0
    # /dynamics: a new θ resets the range; a pinned end stays
    opened = Opened(client, "/dynamics?lo=-3&hide=lo")
    out = opened.call({"dynamics-sweep": "w"}, changed="dynamics-sweep")
    query = opened.query(out, "dynamics")
    assert (query["sweep"], query["lo"], query["hi"]) == ("w", "-3", "12")


def test_a_rule_between_parameters_does_not_move_a_pinned_one(client):
    # /dynamics: hi below a locked lo would swap them; instead hi goes back to the link's
    opened = Opened(client, "/dynamics?lock=lo")
    out = opened.call({"dynamics-hi": -4.0}, changed="dynamics-hi")
    query = opened.query(out, "dynamics")
    assert (query["lo"], query["hi"]) == ("-3.5", "-1.5")
    assert out["dynamics-hi"]["value"] == -1.5  # the slider follows
    assert "lo is locked, and that change would move it; using the link's hi = -1.5." in \
        opened.status(out)
    # /matrix: d = 1 has no room for a locked complex pair
    opened = Opened(client, "/matrix?rot=45&lock=rot")
    out = opened.call({"matrix-d": 1}, changed="matrix-d")
    query = opened.query(out, "matrix")
    assert (query["rot"], query["d"]) == ("45", "3")
    assert "rot is locked, and that change would move it; using the link's d = 3." in \
        opened.status(out)


def test_locked_eigenvalues_and_clicks_on_a_locked_start(client):
    opened = Opened(client, "/matrix?eig=1.2,0.5&lock=eig")
    assert all(c["props"]["disabled"] for c in components(opened.page.content)
               if c["type"] == "Slider" and (c["props"]["id"] == "matrix-k"
                                             or c["props"]["id"].startswith("matrix-lam")))
    out = opened.call({"matrix-k": 5, "matrix-lam1": 1.9}, changed="matrix-lam1")
    assert opened.query(out, "matrix")["eig"] == "1.2,0.5"
    assert all(out[f"matrix-lam{i}"]["disabled"] for i in range(1, 9))  # stay disabled
    # /cliff: a click on the surface moves only the start's unlocked coordinate
    opened = Opened(client, "/cliff?lock=w0")
    out = opened.call({"cliff-surface": {"points": [{"x": 5.0, "y": -3.0}]}},
                      changed="cliff-surface.clickData")
    query = opened.query(out, "cliff")
    assert (query["w0"], query["b0"]) == ("4.6", "-3")
    assert out["cliff-w0"]["value"] == 4.6 and out["cliff-b0"]["value"] == -3.0


# ---------------------------------------------------------------- presets and the query


@pytest.mark.parametrize("url,pinned", [
    ("/rnn?rho=1.3&T=40&lock=rho&hide=T", {"rho": "1.3", "T": "40"}),
    ("/cliff?lr=0.05&lock=lr,view&view=3d", {"lr": "0.05", "view": "3d"}),
])
def test_preset_links_keep_the_pins(client, url, pinned):
    page = route(client, url)
    presets = [c for c in page.of_type("Link", "dash_core_components")
               if "preset" in str(c["props"].get("id"))]
    assert presets
    lock, hide = (parse_qs(urlsplit(url).query).get(k, [""])[0] for k in ("lock", "hide"))
    for link in presets:
        query = dict(parse_qsl(urlsplit(link["props"]["href"]).query))
        assert {k: query[k] for k in pinned} == pinned
        assert (query.get("lock", ""), query.get("hide", "")) == (lock, hide)
    text = " ".join(texts(presets[0]["props"]["children"]))
    assert "stays" in text  # the preset says which of its values the link keeps


def test_train_presets_keep_the_pins_and_drop_the_other_model(client):
    page = route(client, "/train?kind=rnn&lr=0.02&lock=kind,lr")
    presets = {c["props"]["id"]: dict(parse_qsl(urlsplit(c["props"]["href"]).query))
               for c in page.of_type("Link", "dash_core_components")
               if "preset" in str(c["props"].get("id"))}
    assert presets and all(q["kind"] == "rnn" for q in presets.values())
    assert "train-preset-vanishing" not in presets  # a feed-forward preset
    assert all(q["lr"] == "0.02" and q["lock"] == "kind,lr" for q in presets.values())


@pytest.mark.parametrize("url,graph", [
    ("/chain?w=1.5&lock=w&hide=act", "chain-gradients"),
    ("/matrix?eig=1.1,0.4&lock=eig,seed&hide=d", "matrix-norms"),
    ("/rnn?cells=gru&lock=cells&hide=h0", "rnn-norms"),
    ("/dynamics?sweep=w&lock=sweep,lo", "dynamics-gradient"),
    ("/cliff?steps=30&hide=steps", "cliff-surface"),
])
def test_the_canonical_query_keeps_lock_and_hide(client, url, graph):
    opened = Opened(client, url)
    out = opened.call()
    written = opened.query(out, opened.name)
    asked = dict(parse_qsl(urlsplit(url).query))
    assert {k: written.get(k) for k in ("lock", "hide")} == \
        {k: asked.get(k) for k in ("lock", "hide")}
    for name in asked:
        if name not in ("lock", "hide"):
            assert written[name] == asked[name], name
    # and reopening the written query gives the same pins and values
    again = Opened(client, urlsplit(url).path + out[f"{opened.name}-query"]["data"])
    assert again.pins == opened.pins


def test_train_enforces_the_pins_in_its_query_and_at_start(client, monkeypatch):
    from app.pages.train import page as train
    url = "/train?kind=ff&depth=20&lr=0.01&lock=depth,kind&hide=lr"
    page = route(client, url)
    pins = page.find(train_ids.PINS)["data"]
    controls = {**page.controls(), train_ids.PINS: pins}
    assert train_ids.control("ff", "lr") not in controls  # hidden: not on the page
    spec = callback_spec(client, train_ids.KIND)
    sent = {**controls, train_ids.KIND: "rnn", train_ids.control("ff", "depth"): 3,
            train_ids.control("ff", "width"): 64}
    status, answer, _ = post(client, payload(spec, sent))
    assert status == 200
    query = dict(parse_qsl(answer["response"][train_ids.QUERY]["data"][1:]))
    assert (query["kind"], query["depth"], query["lr"], query["width"]) == ("ff", "20", "0.01",
                                                                            "64")
    assert (query["lock"], query["hide"]) == ("kind,depth", "lr")
    # Start trains with the link's values, whatever the controls say (the engine's config is
    # caught before any run is queued)
    seen = {}

    def engine_config(kind, values):
        seen.update(kind=kind, **values)
        raise ValueError("caught by the test")

    monkeypatch.setattr(train, "engine_config", engine_config)
    start = next(d for d in client.get("/_dash-dependencies").get_json()
                 if d["inputs"] and d["inputs"][0]["id"] == train_ids.START)
    values = {**sent, train_ids.START: 1, train_ids.STOP: 0, train_ids.TAB: "a" * 32}
    status, answer, _ = post(client, payload(start, values, changed=f"{train_ids.START}.n_clicks"))
    assert status == 200, answer
    assert (seen["kind"], seen["depth"], seen["lr"], seen["width"]) == ("ff", 20, 0.01, 64)


# ---------------------------------------------------------------- embeds


def test_the_embed_honours_lock_and_hide(client):
    url = "/embed/chain-gradients?n=40&controls=1&hide=w,b,x,act"
    page = route(client, url)
    assert control_ids(page) == {"chain-n"}
    assert page.with_class("embed-with-controls")
    opened = Opened(client, url)
    out = opened.call({"chain-n": 12}, changed="chain-n")
    assert opened.query(out, "chain") == {"w": "0.9", "b": "0", "x": "1", "n": "12",
                                          "act": "identity", "hide": "w,b,x,act"}
    # every control hidden, and no controls shown: the figure is still drawn (the pins Store
    # is the callback's input that is always there)
    opened = Opened(client, "/embed/chain-backprop?w=1.2&controls=0&hide=w,b,x,n,act")
    assert control_ids(opened.page) == set()
    out = opened.call()
    assert opened.query(out, "chain")["w"] == "1.2" and out["chain-backprop"]["figure"]["data"]
    page = route(client, "/embed/rnn-norms?lock=T&T=30")
    assert page.find("rnn-T")["disabled"] is True


# ---------------------------------------------------------------- fuzz: never a 500

PATHS = ["/chain", "/matrix", "/rnn", "/dynamics", "/cliff", "/train", "/embed/chain-gradients",
         "/embed/rnn-flow", "/embed/train-loss"]
NAMES = ["w", "b", "x", "n", "act", "eig", "d", "rot", "kappa", "nn", "T", "rho", "init", "cells",
         "seed", "lo", "hi", "sweep", "w0", "b0", "lr", "clip", "steps", "view", "kind", "depth",
         "hidden", "lock", "hide", "controls", "figure"]
PIN_TEXT = st.one_of(
    st.lists(st.sampled_from(NAMES) | st.sampled_from(["", " ", "W", "w ", "q", "é", "%2C"]),
             max_size=8).map(",".join),
    st.text(max_size=30), st.sampled_from(["," * 500, "w," * 120, "x" * 100_000, "%FF", "%00",
                                           "w%2Cb", "[]", "{}", "null", "<script>"]))


@settings_(200)
@given(path=st.sampled_from(PATHS), lock=PIN_TEXT, hide=PIN_TEXT, repeat=st.booleans(),
       raw=st.booleans())
def test_garbage_lock_and_hide_never_fail(client, path, lock, hide, repeat, raw):
    """Any lock= and hide= (unknown names, empty items, duplicates, repeated keys, %-garbage,
    100,000 characters) on every page and embed: the page renders (200), with a notice when a
    name was ignored; then its callback answers 200 with the pins it holds."""
    enc = (lambda s: s) if raw else (lambda s: quote(s, safe=","))
    search = f"?lock={enc(lock)}&hide={enc(hide)}" + (f"&lock={enc(hide)}" if repeat else "")
    status, answer, _ = post(client, router_body(path.split("?")[0], search, router_spec(client)))
    assert status == 200, (path, search[:200], str(answer)[:300])
    content = answer["response"]["_pages_content"]["children"]
    name = path.strip("/").split("/")[-1].split("-")[0]
    store = next((c["props"].get("data") for c in components(content)
                  if c["props"].get("id") == f"{name}-pins"), "absent")
    assert store != "absent"
    graph = next(c["props"]["id"] for c in components(content) if c["type"] == "Graph")
    # /train: its controls' callback (the figures' own is Start, which would queue a run)
    spec = callback_spec(client, train_ids.KIND) if name == "train" else callback_for(client, graph)
    controls = {c["props"]["id"]: c["props"]["value"] for c in components(content)
                if isinstance(c["props"].get("id"), str) and "value" in c["props"]}
    status, out, _ = post(client, payload(spec, {**controls, f"{name}-pins": store},
                                          initial=True))
    assert status == 200, (path, search[:200], str(out)[:300])


@settings_(150)
@given(page=st.sampled_from(["/chain", "/matrix", "/rnn", "/dynamics", "/cliff"]),
       data=st.data())
def test_pinned_values_hold_whatever_the_controls_send(client, page, data):
    """A random lesson link (some parameters locked, some hidden) and then random values at
    every control, one of them the trigger: the answer's query always has the link's values for
    the pinned parameters, and keeps lock= and hide=."""
    params: ParamSet = page_module(page).PARAMS
    names = params.names
    lock = data.draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
    hide = data.draw(st.lists(st.sampled_from([n for n in names if n not in lock] or names),
                              unique=True, max_size=2))
    hide = [n for n in hide if n not in lock]
    if not lock and not hide:
        lock = [names[0]]
    opened = Opened(client, f"{page}?lock={','.join(lock)}&hide={','.join(hide)}")
    link = opened.query(opened.call(), opened.name)
    controls = [k for k in opened.values if k != f"{opened.name}-pins"]
    garbage = st.one_of(st.none(), st.floats(), st.integers(-10**6, 10**6), st.text(max_size=8),
                        st.sampled_from(["tanh", "relu", "w", "3d", "orthogonal", [1.9, 0.1],
                                         ["lstm"], {"points": [{"x": 7.5, "y": -0.5}]}]))
    changes = {k: data.draw(garbage) for k in data.draw(st.lists(st.sampled_from(controls),
                                                                 unique=True, max_size=6))}
    trigger = data.draw(st.sampled_from(controls + [f"{page.strip('/')}-surface"]
                                        if page == "/cliff" else controls))
    if trigger.endswith("-surface"):
        changes[trigger] = data.draw(garbage)
        trigger += ".clickData"
    out = opened.call(changes, changed=trigger)
    written = opened.query(out, opened.name)
    for name in lock + hide:
        assert written[name] == link[name], (name, changes, trigger)
    assert written.get("lock") == link.get("lock") and written.get("hide") == link.get("hide")
    json.dumps(out)  # plain JSON all through
