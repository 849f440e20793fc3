"""/train through the real Dash endpoint: URL state and validation, and training runs a hall
can share — identical Starts are one run (counted), a finished run is replayed, Stop detaches
one tab and cancels only the last, a bounded pool with queue positions, per-tab and
per-client limits, budgets, a dead run process reported, run processes at low priority.

Runs are real: the local pool (app/runs/supervisor.py) starts as the first Start asks for it
and trains in its own processes; each test gets a fresh store and pool (the `runs` fixture).

Why one long module (~460 lines): the page's URL state and its shared runs are one behaviour
seen from the tab (tests/train_tab.py's Tab), with one fixture for the store and pool.
"""
import json
import os
import signal
import time

import numpy as np
import pytest
from plotly.utils import PlotlyJSONEncoder

from app import settings
from app.pages.train import ids, params, view
from app.pages.train import page as train
from app.runs import execute, manager, supervisor
from engine.training import PRESETS, Run, config_from_dict
from tests.dash_client import (callback_spec, decode, finite_count, payload, post, route,
                               strict_loads)
from tests.train_tab import Tab, run_processes

FF_VALUES = {ids.control("ff", p.name): p.default for p in params.PARAMS["ff"]}
RNN_VALUES = {ids.control("rnn", p.name): p.default for p in params.PARAMS["rnn"]}
CONTROLS = {ids.KIND: "ff", **FF_VALUES, **RNN_VALUES}
SMALL = {"kind": "ff", "depth": 3, "width": 8, "steps": 400, "batch": 16}  # ~1 s with its twin
LONG = {"kind": "ff", "depth": 3, "width": 8, "steps": 5000, "batch": 16}  # ~15 s: time to act


def text(component) -> str:
    plain = json.loads(json.dumps(component, cls=PlotlyJSONEncoder))
    return json.dumps(plain, ensure_ascii=False)


# ---------------------------------------------------------------- URL and controls


def test_page_renders_and_bad_url_values_get_notices_and_nearest_valid_values(client):
    for url in ("/train", "/train?kind=rnn&T=abc&lr=1e999"):  # as the page router renders it
        page = route(client, url)
        assert page.headings() == ["Train and diagnose: vanishing or exploding?"]
        assert page.graphs() == list(ids.GRAPHS.values())
        assert {ids.START, ids.STOP} <= {b["props"].get("id") for b in page.of_type("Button")
                                     if not isinstance(b["props"].get("id"), dict)}
    assert page.url_notices() == ["T = abc is not a number; using 50.",
                                  "lr = 1e999 is outside 0–10; using 10."]
    assert page.controls()[ids.KIND] == "rnn"
    assert page.controls()[ids.control("rnn", "T")] == 50
    assert page.controls()[ids.control("rnn", "lr")] == 10
    page = text(train.layout(kind="rnn", T="500", lr="abc", cell="transformer", gain="-1"))
    for notice in ("T = 500 is outside 10–200; using 200.", "lr = abc is not a number; using 0.01.",
                   "cell = transformer is not one of rnn, lstm, gru; using rnn.",
                   "gain = -1 is outside 0–3; using 0."):
        assert notice in page
    page = text(train.layout(kind="cnn", depth="7"))
    assert "kind = cnn is not one of ff, rnn; using ff." in page


def test_control_callback_writes_the_canonical_query_and_shows_the_right_panel(client):
    spec = callback_spec(client, ids.KIND)
    values = {**CONTROLS, ids.KIND: "rnn", "train-rnn-T": 80, "train-rnn-cell": "gru",
              "train-rnn-lr": 0.003}
    status, response, _ = post(client, payload(spec, values))
    assert status == 200
    out = response["response"]
    assert out["train-query"]["data"] == (
        "?kind=rnn&task=temporal_order&T=80&cell=gru&hidden=32&act=tanh&rinit=orthogonal&gain=1"
        "&alpha=0&opt=sgd&lr=0.003&mom=0&clip=none&tau=1&steps=500&batch=32&seed=0")
    assert out["train-rnn-panel"]["style"] == {}
    assert out["train-ff-panel"]["style"] == {"display": "none"}


@pytest.mark.parametrize("field,bad,shown", [
    ("train-ff-depth", 1e9, "depth = 1000000000.0 is outside 1–50; using 50."),
    ("train-ff-lr", "abc", "lr = abc is not a number; using 0.05."),
    ("train-ff-lr", None, "lr = None is not a number; using 0.05."),
    ("train-ff-act", {"$gt": 1}, "is not one of sigmoid, tanh, relu"),
    ("train-ff-steps", -3, "steps = -3 is outside 1–5000; using 1."),
    ("train-ff-tau", "inf", "tau = inf is outside 0.0001–10000; using 10000."),
    ("train-kind", ["ff"], "kind = ['ff'] is not one of ff, rnn; using ff."),
])
def test_control_callback_bad_values_get_a_notice(client, field, bad, shown):
    spec = callback_spec(client, ids.KIND)
    status, response, _ = post(client, payload(spec, {**CONTROLS, field: bad}))
    assert status == 200, response
    assert shown in text(response["response"]["train-status"]["children"])


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_links_reproduce_the_engine_presets(name):
    query = dict(pair.split("=") for pair in params.preset_query(name)[1:].split("&"))
    kind, values, notices = params.parse(query.pop("kind"), query)
    assert notices == []
    config = params.engine_config(kind, values)
    # only the evaluation/histogram schedules differ; they do not change the training
    assert config == PRESETS[name].replace(eval_every=config.eval_every,
                                           hist_every=config.hist_every)
    assert config.steps // config.hist_every <= params.HISTOGRAMS  # the final Store stays small


def test_preset_stories_print_their_presets_numbers_and_the_nan_step():
    assert params.STORIES["vanishing"].startswith(f"{PRESETS['vanishing'].depth}-layer sigmoid")
    assert f"T = {PRESETS['temporal_order_sgd'].seq_len}," in params.STORIES["temporal_order_sgd"]
    assert f"gain {PRESETS['exploding_rnn'].rec_gain:g}:" in params.STORIES["exploding_rnn"]
    run = Run(PRESETS["exploding_rnn"])  # "NaN at step 1": the second update
    records = [run.step() for _ in range(2)]
    assert records[0].first_nonfinite_step is None and records[1].first_nonfinite_step == 1


# ---------------------------------------------------------------- one run, streamed


def test_a_run_streams_its_snapshots_and_ends_with_every_histogram(runs, client):
    tab = Tab(client, SMALL)
    out = tab.start()
    assert tab.polling() and out[ids.START]["disabled"] and not out[ids.STOP]["disabled"]
    versions = []
    tab.until(lambda t: versions.append(t.ref and t.ref["version"]) or not t.polling(), 60, "done")
    assert tab.progress().startswith("Done: 400 of 400 steps in")
    assert [v for v in versions if v is not None] == sorted(v for v in versions if v is not None)
    loss = decode(tab.out[ids.GRAPHS["loss"]]["figure"]["data"])
    assert {t["name"] for t in loss} >= {"run", "LR = 0 twin"}
    shown = tab.out[ids.SHOWN]["data"]
    hists = manager.histograms(shown["id"])
    assert hists["steps"][0] == 0 and hists["steps"][-1] == 399 and len(hists["steps"]) <= 17
    assert not tab.out[ids.SLIDER]["disabled"] and tab.out[ids.SLIDER]["max"] == len(hists["steps"]) - 1
    marks = tab.out[ids.SLIDER]["marks"]
    assert marks["0"] == "0" and marks[str(len(hists["steps"]) - 1)] == "399"
    assert not tab.out[ids.START]["disabled"] and tab.out[ids.STOP]["disabled"]
    # every figure of the finished run plots data (before a run they are empty by design)
    plotted = {graph: max((finite_count(t) for t in decode(tab.out[graph]["figure"]["data"])),
                          default=0) for graph in ids.GRAPHS.values()}
    assert all(plotted.values()), plotted
    stored = runs.get(f"final:{manager.run_id(params.engine_config('ff', params.parse('ff', {k: str(v) for k, v in SMALL.items()})[1]).to_dict())}")
    json.dumps(stored, allow_nan=False)  # strict JSON: NaN would be refused here


def test_a_run_that_overflows_streams_strict_json_and_says_where(runs, client):
    """The engine's exploding preset overflows at its second update: every poll and every
    snapshot's figures are still strict JSON (Tab parses them as JSON.parse does), and the
    page says at which step the values stopped being finite."""
    query = dict(pair.split("=") for pair in params.preset_query("exploding_rnn")[1:].split("&"))
    tab = Tab(client, query)
    tab.start()
    tab.until(lambda t: not t.polling(), 120, "done")
    assert tab.progress().startswith("Stopped at step 1 (inf/NaN)")
    assert "Exploded at step 1: " in tab.status()
    stored = runs.get(f"final:{tab.out[ids.SHOWN]['data']['id']}")
    json.dumps(stored, allow_nan=False)  # strict JSON: NaN would be refused here


def test_a_runs_figures_are_built_once_and_take_each_tabs_look(runs, client):
    light = Tab(client, SMALL, referer="http://localhost/train")
    dark = Tab(client, {**SMALL, "dark": 1, "present": 1}, address="10.0.0.7",
               referer="http://localhost/train?dark=1&present=1")
    light.start(), dark.start()
    light.until(lambda t: not t.polling(), 60, "done")
    dark.until(lambda t: not t.polling(), 60, "done")
    a, b = (t.out[ids.GRAPHS["loss"]]["figure"] for t in (light, dark))
    assert a["data"] == b["data"]  # the same figure, built once where the run executed
    assert a["layout"]["template"]["layout"]["paper_bgcolor"] == "white"
    assert b["layout"]["template"]["layout"]["paper_bgcolor"] == "#14181f"
    assert b["layout"]["template"]["layout"]["font"]["size"] == 20  # presenter type


def test_the_same_config_and_seed_give_the_same_numbers():
    config = config_from_dict({**params.engine_config("ff", params.parse("ff", {})[1]).to_dict(),
                               "steps": 30})
    a, b = Run(config), Run(config)
    for _ in range(30):
        ra, rb = a.step(), b.step()
        assert ra.to_dict() == rb.to_dict()


# ---------------------------------------------------------------- a hall shares


@pytest.mark.parametrize("runs", ["disk", "redis"], indirect=True)
def test_identical_starts_are_one_run_and_a_finished_one_is_replayed(runs, client):
    tabs = [Tab(client, SMALL, address=f"10.0.0.{i}") for i in range(3)]
    for tab in tabs:
        tab.start()
    assert len({tab.ref["id"] for tab in tabs}) == 1
    assert "joined a run another tab started" in tabs[2].info()
    tabs[0].poll()
    assert "Shared: 2 other tabs watch this run." in tabs[0].info()
    for tab in tabs:
        tab.until(lambda t: not t.polling(), 60, "done")
        assert tab.progress().startswith("Done: 400 of 400")
    assert runs.get("executions") == 1  # three Starts, one computation
    late = Tab(client, SMALL, address="10.0.0.9")
    late.start()  # after the end: replayed from the store
    assert late.progress().startswith("Done: 400 of 400") and not late.polling()
    assert late.info().startswith("Replayed:")
    assert late.out[ids.SHOWN]["data"] == tabs[0].out[ids.SHOWN]["data"]
    assert late.out[ids.SLIDER]["marks"] == tabs[0].out[ids.SLIDER]["marks"]
    np.testing.assert_array_equal(
        decode(late.out[ids.GRAPHS["loss"]]["figure"]["data"])[0]["y"],
        decode(tabs[0].out[ids.GRAPHS["loss"]]["figure"]["data"])[0]["y"])
    assert runs.get("executions") == 1


@pytest.mark.parametrize("runs", ["disk", "redis"], indirect=True)
def test_stop_detaches_one_tab_and_the_run_ends_only_when_nobody_watches(runs, client):
    a, b = Tab(client, LONG), Tab(client, LONG, address="10.0.0.2")
    a.start(), b.start()
    a.until(lambda t: t.ref and t.ref["version"] > 0, 60, "the run streams")
    a.stop()
    assert not a.polling() and "The run goes on for 1 other tab." in a.info()
    done = b.poll()[ids.PROGRESS]["value"]
    b.until(lambda t: t.out[ids.PROGRESS]["value"] > done + 50, 30, "b's run goes on")
    assert b.polling() and "running" == runs.get(f"run:{b.ref['id']}")["status"]
    b.stop()
    assert "nobody else watched, so the run is cancelled" in b.info()
    rid = runs.get(f"viewer:{b.tab}")
    deadline = time.monotonic() + 10
    run = None
    while time.monotonic() < deadline:
        run = runs.get(f"run:{manager.run_id(_config(LONG))}")
        if run["status"] == "cancelled":
            break
        time.sleep(0.2)
    assert run["status"] == "cancelled" and run["reason"] == \
        "Cancelled: its last viewer pressed Stop."
    assert rid is None  # the tab is attached to nothing


def _config(query: dict) -> dict:
    kind, values, _ = params.parse(query["kind"], {k: str(v) for k, v in query.items()})
    return params.engine_config(kind, values).to_dict()


def test_a_tab_has_one_run_and_leaving_it_cancels_it(runs, client):
    tab = Tab(client, LONG)
    tab.start()
    first = tab.ref["id"]
    tab.values[ids.control("ff", "seed")] = 7  # other settings, another run
    tab.start()
    assert tab.ref["id"] != first
    assert runs.get(f"run:{first}")["reason"] == "Cancelled: its last viewer started another run."


# ---------------------------------------------------------------- a bounded pool


def test_the_pool_runs_at_most_max_runs_and_shows_queue_positions(runs, client):
    assert settings.MAX_RUNS == 2  # tests/conftest.py
    tabs = [Tab(client, {**LONG, "seed": s}, address=f"10.1.0.{s}") for s in range(4)]
    for tab in tabs:
        tab.start()
    tabs[0].until(lambda t: len(runs.get("running") or []) == 2, 60, "two run")
    for tab in tabs:
        tab.poll()
    assert [t.progress().split(":")[0] for t in tabs[2:]] == ["Queued", "Queued"]
    assert tabs[2].progress().startswith("Queued: 0 runs ahead of yours")
    assert tabs[3].progress().startswith("Queued: 1 run ahead of yours")
    assert len(run_processes()) == 2
    tabs[0].stop()  # its run is cancelled; the oldest queued one takes its place
    tabs[2].until(lambda t: "steps done" in t.progress(), 60, "the first queued run starts")
    tabs[3].poll()
    assert tabs[3].progress().startswith("Queued: 0 runs ahead of yours")
    assert len(run_processes()) <= 2


def test_a_client_address_has_a_few_runs_then_a_message_not_a_process(runs, client):
    assert settings.RUNS_PER_CLIENT == 2
    tabs = [Tab(client, {**LONG, "seed": s}, address="10.2.0.1") for s in range(3)]
    tabs[0].start(), tabs[1].start()
    out = tabs[2].start()
    assert not tabs[2].polling() and tabs[2].ref is None
    assert "Your address already has 2 training runs queued or running" in tabs[2].status()
    assert out[ids.START]["disabled"] is False
    other = Tab(client, {**LONG, "seed": 2}, address="10.2.0.2")
    other.start()
    assert other.polling()  # another address may
    tabs[2].start()  # the run `other` started (seed 2): joining is no new run, so allowed
    assert tabs[2].polling() and "joined a run another tab started" in tabs[2].info()


def test_a_full_queue_is_refused_with_a_message(runs, monkeypatch):
    monkeypatch.setattr(settings, "QUEUE_LIMIT", 1)
    monkeypatch.setattr(manager, "_submit", lambda rid: None)  # nothing executes: all wait
    assert manager.start(_config({**LONG, "seed": 1}), "a" * 32, "x").status == "queued"
    view_ = manager.start(_config({**LONG, "seed": 2}), "b" * 32, "y")
    assert view_.status == "refused" and view_.reason.startswith("The training queue is full (1 ")


def test_tabs_that_stop_polling_are_dropped_and_their_run_cancelled(runs, monkeypatch):
    monkeypatch.setattr(manager, "_submit", lambda rid: None)
    clock = [1000.0]
    monkeypatch.setattr(manager, "now", lambda: clock[0])
    rid = manager.start(_config(LONG), "a" * 32, "x").id
    manager.start(_config(LONG), "b" * 32, "y")
    clock[0] += manager.VIEWER_TIMEOUT_S - 1
    manager.poll(rid, "b" * 32)  # b is still there; a has gone quiet
    clock[0] += 2
    manager.tidy(runs)
    run = runs.get(f"run:{rid}")
    assert run["status"] == "queued" and list(run["viewers"]) == ["b" * 32]
    clock[0] += manager.VIEWER_TIMEOUT_S + 1
    manager.tidy(runs)
    run = runs.get(f"run:{rid}")
    assert run["status"] == "cancelled" and "nobody is watching" in run["reason"]
    assert rid not in (runs.get("queue") or []) and rid not in (runs.get("active") or [])


# ---------------------------------------------------------------- budgets, failures, priority


@pytest.mark.parametrize("limit,value,reason", [
    ("RUN_TIME_LIMIT_S", 0, "exceeded its time budget of 0 s"),
    ("RUN_MEMORY_MB", 1, "exceeded its memory budget of 1 MB"),
])
def test_a_run_over_its_budget_is_ended_and_reported(runs, monkeypatch, limit, value, reason):
    monkeypatch.setattr(manager, "_submit", lambda rid: None)
    rid = manager.start(_config(LONG), "a" * 32, "x").id
    monkeypatch.setattr(settings, limit, value)
    assert execute.execute(rid, runs) == "failed"  # in this process, at its first check
    v = manager.poll(rid, "a" * 32)
    assert v.status == "failed" and reason in v.reason
    assert runs.get(f"final:{rid}") is None  # a failed run is not replayed


def test_the_pool_kills_a_run_process_that_outgrows_its_memory(runs, monkeypatch):
    monkeypatch.setattr(manager, "_submit", lambda rid: None)
    rid = manager.start(_config(LONG), "a" * 32, "x").id
    pool = supervisor.Pool(runs, "here")
    hog = supervisor.subprocess.Popen(
        [supervisor.sys.executable, "-c", "x = bytearray(200 * 2**20); import time; "
                                          "[time.sleep(0.1) for _ in range(600)]"])
    pool.children[rid] = (hog, time.monotonic())
    manager.claim(runs, rid, hog.pid, "here")
    monkeypatch.setattr(settings, "RUN_MEMORY_MB", 50)
    deadline = time.monotonic() + 20
    while rid in pool.children and time.monotonic() < deadline:
        time.sleep(0.2)
        pool.enforce_budgets()
    assert hog.poll() is not None  # killed
    assert runs.get(f"run:{rid}")["reason"] == "Ended: the run exceeded its memory budget of 50 MB."


def test_a_killed_run_process_is_reported_failed_and_start_comes_back(runs, client):
    tab = Tab(client, LONG)
    tab.start()
    tab.until(lambda t: t.ref and t.ref["version"] > 0, 60, "the run streams")
    (worker,) = run_processes()
    worker.send_signal(signal.SIGKILL)  # as the kernel's OOM killer does: no word, ever
    # reported, however long a loaded machine takes (how fast is bench/'s business): the
    # generous deadline only stops a test that would otherwise wait forever
    tab.until(lambda t: not t.polling(), 60, "the failure is reported")
    assert "The run failed." in tab.status() and "stopped unexpectedly" in tab.status()
    assert tab.progress().startswith("Failed at step ")
    assert not tab.out[ids.START]["disabled"]


def test_run_processes_run_at_lower_cpu_priority_than_the_web_workers(runs, client):
    tab = Tab(client, LONG)
    tab.start()
    tab.until(lambda t: t.ref and t.ref["version"] > 0, 60, "the run streams")
    (worker,) = run_processes()
    assert worker.nice() == os.nice(0) + supervisor.NICE
    assert os.sched_getscheduler(worker.pid) == os.SCHED_IDLE  # only CPU nobody else wants


def test_an_unreachable_store_is_a_message_not_an_error(client, monkeypatch):
    def broken():
        raise ConnectionError("redis is down")
    monkeypatch.setattr("app.runs.manager.shared_store", broken)
    tab = Tab(client, SMALL)
    tab.start()
    assert "Training is unavailable right now" in tab.status() and not tab.polling()


@pytest.mark.parametrize("query", [
    "", "?run=abc", "?run=" + "0" * 20, "?run=" + "0" * 20 + "&tab=" + "0" * 32 + "&have=x",
    "?run=" + "0" * 20 + "&tab=zz&have=99999999999999999999&seen=%7Bnope",
    "?run=%00%FF&tab=" + "a" * 5000 + "&seen=" + "[" * 5000, "?have=-5&seen=[1,2,3]",
])
def test_garbage_polls_get_an_answer_not_an_error(runs, client, query):
    answer = client.get("/runs/poll" + query)
    assert answer.status_code in (200, 204)
    if answer.status_code == 200:
        news = strict_loads(answer.get_data())
        assert news["figures"] is None and len(news["out"]) == len(train.RUN_OUTPUTS)
        assert news["out"][-3] is True  # polling off: there is nothing to follow


@pytest.mark.parametrize("path", ["/runs/x/figures/1.json", "/runs/" + "0" * 20 + "/figures/0.json",
                                  "/runs/" + "z" * 20 + "/figures/3.json",
                                  "/runs/" + "0" * 19 + "g/figures/1.json"])
def test_unknown_figures_are_a_short_404(runs, client, path):
    answer = client.get(path)
    assert answer.status_code == 404 and len(answer.get_data()) < 300


def test_an_unchanged_poll_is_a_bodiless_204_and_figures_are_immutable(runs, client):
    tab = Tab(client, LONG)
    tab.start()
    tab.until(lambda t: t.ref and t.ref["version"] > 0, 60, "the run streams")
    query = f"?run={tab.ref['id']}&tab={tab.tab}&have={10**6}&seen={json.dumps(tab.ref['seen'])}"
    answer = client.get("/runs/poll" + query)
    assert answer.status_code == 204 and answer.get_data() == b""
    version = runs.get(f"snap:{tab.ref['id']}")["version"]
    figures = client.get(f"/runs/{tab.ref['id']}/figures/{version}.json")
    assert figures.status_code == 200 and "immutable" in figures.headers["Cache-Control"]
    assert len(strict_loads(figures.get_data())) == len(ids.GRAPHS)
    tab.stop()


# ---------------------------------------------------------------- the histogram slider


def slide(client, k, shown) -> dict:
    """The step slider of a finished run, moved to its k-th recorded step."""
    spec = next(d for d in client.get("/_dash-dependencies").get_json()
                if "train-hist.figure" in d["output"] and d["inputs"][0]["id"] == ids.SLIDER)
    status, response, size = post(client, payload(spec, {ids.SLIDER: k, ids.SHOWN: shown}))
    assert status == 200, response
    assert size < 60_000
    return response["response"]["train-hist"]["figure"]


def test_the_step_slider_draws_exactly_the_recorded_counts(runs, client):
    tab = Tab(client, {**SMALL, "kind": "rnn", "T": 12, "hidden": 16})
    tab.start()
    tab.until(lambda t: not t.polling(), 60, "done")
    shown = tab.out[ids.SHOWN]["data"]
    hist = manager.histograms(shown["id"])
    fig = slide(client, 2, shown)
    assert f"time step: activations and gradients at step {hist['steps'][2]}" in \
        fig["layout"]["title"]["text"]
    traces = decode(fig["data"])
    np.testing.assert_array_equal(traces[0]["y"], np.asarray(hist["rows"]) + 1)
    act = np.asarray(hist["act"][2], float)
    with np.errstate(divide="ignore"):
        expected = np.where(act > 0, np.log10(act), np.nan).astype(np.float32)
    np.testing.assert_array_equal(traces[0]["z"], expected)


@pytest.mark.parametrize("k,shown", [
    (None, None), ("x", {"id": "nope"}), (3, "garbage"), (10**12, {"id": ["x"]}),
    (float("nan"), {"id": "z" * 100}), (-5, {"id": "a" * 20, "kind": "transformer"}),
])
def test_a_slider_without_a_finished_run_gets_an_empty_figure(client, k, shown):
    fig = slide(client, k, shown)
    assert fig["data"] == []


def test_the_verdict_reads_non_finite_metrics():
    facts = {"nonfinite": None, "val_last": "inf", "twin_val_last": None, "metric": "mse",
             "chance": 1 / 6}
    v = manager.RunView(id="x", status="done", summary=facts)
    verdict = text(view.run_status(v, []))
    assert "Final validation MSE inf (chance 0.167); the LR = 0 twin: —." in verdict
