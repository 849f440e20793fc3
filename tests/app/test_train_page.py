"""/train: URL state and validation through the real Dash endpoint, the run loop, the
background training callback run end to end (a real worker process, polled like a browser),
and the watchdog that reports a run whose worker died."""
import json
import signal
import time
from urllib.parse import quote

import numpy as np
import pytest
from plotly.utils import PlotlyJSONEncoder

from app.pages import train
from components import train_figures
from engine.training import PRESETS, FFConfig
from tests.dash_client import callback_spec, decode, payload, post

FF_VALUES = {train.cid("ff", p.name): p.default for p in train.PARAMS["ff"]}
RNN_VALUES = {train.cid("rnn", p.name): p.default for p in train.PARAMS["rnn"]}
CONTROLS = {"train-kind": "ff", **FF_VALUES, **RNN_VALUES}


def text(component) -> str:
    plain = json.loads(json.dumps(component, cls=PlotlyJSONEncoder))
    return json.dumps(plain, ensure_ascii=False)


def pick_body(client, pick) -> dict:
    """A request for the histogram callback (a single output)."""
    spec = next(d for d in client.get("/_dash-dependencies").get_json()
                if d["output"].startswith("train-hist.figure"))
    return payload(spec, {"train-hist-pick": pick})


# ---------------------------------------------------------------- URL and controls


def test_page_serves_and_bad_url_values_get_notices_and_nearest_valid_values(client):
    assert client.get("/train").status_code == 200
    assert client.get("/train?kind=rnn&T=abc&lr=1e999").status_code == 200
    page = text(train.layout(kind="rnn", T="500", lr="abc", cell="transformer", gain="-1"))
    for notice in ("T = 500 is outside 10–200; using 200.", "lr = abc is not a number; using 0.01.",
                   "cell = transformer is not one of rnn, lstm, gru; using rnn.",
                   "gain = -1 is outside 0–3; using 0."):
        assert notice in page
    page = text(train.layout(kind="cnn", depth="7"))
    assert "kind = cnn is not one of ff, rnn; using ff." in page


def test_control_callback_writes_the_canonical_query_and_shows_the_right_panel(client):
    spec = callback_spec(client, "train-kind")
    values = {**CONTROLS, "train-kind": "rnn", "train-rnn-T": 80, "train-rnn-cell": "gru",
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
    spec = callback_spec(client, "train-kind")
    status, response, _ = post(client, payload(spec, {**CONTROLS, field: bad}))
    assert status == 200, response
    assert shown in text(response["response"]["train-status"]["children"])


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_links_reproduce_the_engine_presets(name):
    query = dict(pair.split("=") for pair in train.preset_query(name)[1:].split("&"))
    kind, values, notices = train.parse(query.pop("kind"), query)
    assert notices == []
    config = train.engine_config(kind, values)
    # only the evaluation/histogram schedules differ; they do not change the training
    assert config == PRESETS[name].replace(eval_every=config.eval_every,
                                           hist_every=config.hist_every)
    assert config.steps // config.hist_every <= train.HISTOGRAMS  # the final Store stays small


# ---------------------------------------------------------------- the run loop


def test_stream_run_emits_often_thins_and_returns_every_histogram():
    config = FFConfig(depth=3, width=8, steps=600, batch_size=16, n_train=64, n_val=64,
                      eval_every=20, hist_every=100)
    times, snaps = [], []

    def emit(snap):
        times.append(time.perf_counter())
        snaps.append(snap)

    final = train.stream_run(config, emit, every_s=0.1)
    end = time.perf_counter()
    assert final["done"] == 600 and final["nonfinite"] is None
    # from the first step (torch's first use may take a second) to the end: ≥ 1 emit / 0.2 s
    assert len(times) >= 2 and len(times) >= (end - times[0]) / 0.2, (len(times), times, end)
    assert end - times[-1] < 0.1 + 0.2
    gaps = np.diff(times)
    # never much faster than asked (the times are taken after each snapshot, whose own
    # duration varies by tens of ms on a loaded machine) …
    assert gaps.min() >= 0.05
    assert np.median(gaps) < 0.3      # … and not much slower (steps here take ~1 ms)
    assert [s["done"] for s in snaps] == sorted(s["done"] for s in snaps)
    assert all(len(s["hist"]["steps"]) <= 1 for s in snaps)  # streaming: newest only
    assert final["hist"]["steps"] == [0, 100, 200, 300, 400, 500, 599]
    assert final["cols"] == list(range(0, 600, 3)) + [599]  # stride ⌈600 / 200⌉ = 3
    json.dumps(final, allow_nan=False)


def test_stream_run_at_the_page_rate_emits_at_least_twice_a_second():
    config = FFConfig(depth=3, width=8, steps=100_000, batch_size=16, n_train=64, n_val=64)
    times = []
    train.stream_run(config, lambda snap: times.append(time.perf_counter()),
                     should_stop=lambda: len(times) >= 6)
    assert train.EMIT_EVERY_S <= 0.5 and train.INTERVAL_MS <= 500
    assert len(times) == 6
    assert np.max(np.diff(times)) < 0.5 + 0.25  # one step and one emit of slack


def test_stream_run_stops_when_asked():
    config = FFConfig(depth=3, width=8, steps=100_000, batch_size=16, n_train=64, n_val=64)
    emitted = []
    final = train.stream_run(config, emitted.append, every_s=0.05,
                             should_stop=lambda: len(emitted) >= 3)
    assert len(emitted) == 3
    assert emitted[-1]["done"] <= final["done"] < 100_000


def test_stream_run_of_an_exploding_net_maps_nan_to_json_and_names_the_step():
    emitted = []
    final = train.stream_run(PRESETS["exploding_rnn"], emitted.append)
    assert final["done"] == 2 and final["nonfinite"]["step"] == 1
    assert final["loss"][1] is None or final["loss"][1] in ("inf", "-inf")
    json.dumps(final, allow_nan=False)
    assert "Stopped at step 1 (inf/NaN)" in train.progress_text(final, final=True)
    banner = text(train.run_status(final, [], final=True))
    assert "Exploded at step 1" in banner and "train-banner" in banner


# ---------------------------------------------------------------- the background callback


def background_body(client, kind: str, values: dict, tab: str = "0123abcd", start: int = 1):
    spec = callback_spec(client, "train-start")
    everything = {**CONTROLS, "train-kind": kind, "train-start": start, "train-tab": tab,
                  **{train.cid(kind, k): v for k, v in values.items()}}
    body = payload(spec, everything)
    body["state"] = [{"id": s["id"], "property": s["property"], "value": everything.get(s["id"])}
                     for s in spec["state"]]
    return body


def run_in_background(client, body, timeout: float = 120) -> tuple[dict, list[int]]:
    """Start the job like the browser does, poll until it answers; (final response, sizes
    of the progress-carrying poll responses)."""
    status, handles, _ = post(client, body)
    assert status == 200 and "cacheKey" in handles and "job" in handles, handles
    url = (f"/_dash-update-component?cacheKey={quote(handles['cacheKey'])}"
           f"&job={quote(handles['job'])}")
    sizes, deadline = [], time.time() + timeout
    while time.time() < deadline:
        response = client.post(url, data=json.dumps(body), content_type="application/json")
        assert response.status_code == 200
        data = json.loads(response.get_data())
        if "response" in data:
            return data, sizes
        if "progress" in data:
            sizes.append(len(response.get_data()))
        time.sleep(train.INTERVAL_MS / 1000)
    raise AssertionError("the background run did not finish")


def test_background_run_of_the_exploding_preset_shows_the_banner_at_step_1(client):
    kind, values = train.preset_values("exploding_rnn")
    final, _ = run_in_background(client, background_body(client, kind, values))
    out = final["response"]
    assert "Exploded at step 1:" in text(out["train-run"]["children"])
    assert out["train-progress-text"]["children"].startswith("Stopped at step 1 (inf/NaN)")
    assert out["train-progress"] == {"value": 2, "max": 2000}
    loss = {t["name"]: t for t in decode(out["train-loss"]["figure"]["data"])}
    np.testing.assert_array_equal(loss["loss overflowed"]["x"], [1])


def test_background_run_streams_small_progress_updates_and_keeps_the_histograms(client):
    values = {"depth": 20, "width": 32, "steps": 400, "act": "tanh"}
    final, sizes = run_in_background(client, background_body(client, "ff", values))
    print(f"progress responses: {len(sizes)}, bytes {sizes}")
    assert sizes and max(sizes) < 150_000
    out = final["response"]
    assert out["train-progress-text"]["children"].startswith("Done: 400 of 400 steps")
    hists = out["train-hists"]["data"]
    assert hists["steps"] == list(range(0, 400, 25)) + [399] and hists["kind"] == "ff"
    assert out["train-hist-step"] == {"max": 16, "marks": train.slider_marks(hists["steps"]),
                                      "value": 16}
    assert "Final validation accuracy" in text(out["train-run"]["children"])
    beat = out["train-beat"]["data"]  # the last heartbeat says: this run (Start's 1st click) ended
    assert (beat["run"], beat["final"], beat["step"], beat["total"]) == (1, True, 400, 400)


def test_two_tabs_with_identical_inputs_get_separate_jobs(client):
    kind, values = train.preset_values("exploding_rnn")
    keys = []
    for tab in ("tab-one", "tab-two", "tab-one"):
        body = background_body(client, kind, values, tab=tab)
        status, handles, _ = post(client, body)
        keys.append(handles["cacheKey"].split("~")[0])
        deadline = time.time() + 60  # let each job finish (it overflows at step 1)
        url = (f"/_dash-update-component?cacheKey={quote(handles['cacheKey'])}"
               f"&job={quote(handles['job'])}")
        while time.time() < deadline and "response" not in json.loads(client.post(
                url, data=json.dumps(body), content_type="application/json").get_data()):
            time.sleep(0.3)
    assert keys[0] != keys[1]  # another tab, another job
    assert keys[0] == keys[2]  # the tab id (with the inputs) is the whole difference
    tabs = [next(c.data for c in train.walk(train.layout()) if getattr(c, "id", None) == train.TAB)
            for _ in range(2)]
    assert tabs[0] != tabs[1] and len(tabs[0]) == 32  # each page load: a new random id


def test_run_callback_validates_its_own_inputs():
    progress = []
    out = train.train(progress.append, start=1, tab=None, kind={"$ne": 1},
                      ff={"depth": "1e9", "width": 4, "steps": 3, "lr": "nan", "seed": [1]},
                      rnn="garbage")
    status = text(out[6])
    for notice in ("kind = {'$ne': 1} is not one of ff, rnn; using ff.",
                   "depth = 1e9 is outside 1–50; using 50.", "lr = nan is not a number",
                   "seed = [1] is not a number"):
        assert notice in status
    assert out[9].startswith("Done: 3 of 3 steps")
    assert len(out[10]["rows"]) == train_figures.MAX_HIST_ROWS  # 50 layers, thinned


def test_a_config_the_engine_rejects_becomes_a_notice(monkeypatch):
    def refuse(d):
        raise ValueError("width must be in [1, 512], got 9999")

    monkeypatch.setattr(train, "config_from_dict", refuse)
    out = train.train(lambda _: None, start=1, tab="t", kind="ff", ff={}, rnn={})
    assert "The training engine rejected this configuration: width must be in" in text(out[6])
    assert all(o is train.no_update for o in out[:6])


# ---------------------------------------------------------------- a worker that dies


def run_workers() -> list:
    """The training processes alive now: children of this process (where the app runs) that
    run the same program — the manager's forks, not chromedriver."""
    import psutil
    me = psutil.Process()
    workers = []
    for child in me.children():
        try:
            if child.cmdline() == me.cmdline() and child.status() != psutil.STATUS_ZOMBIE:
                workers.append(child)
        except psutil.NoSuchProcess:  # gone meanwhile (psutil.ZombieProcess is one too)
            pass
    return workers


def watchdog_tick(client, last, polling: bool, watch, run=1, started_ms=1000, stopped_ms=None):
    """One tick of the page's watchdog through the real endpoint: (status, response)."""
    spec = callback_spec(client, train.WATCHDOG)
    states = {(train.BEAT, "data"): last, (train.START, "n_clicks"): run,
              (train.START, "n_clicks_timestamp"): started_ms,
              (train.STOP, "n_clicks_timestamp"): stopped_ms,
              (train.START, "disabled"): polling, (train.WATCH, "data"): watch}
    body = payload(spec, {train.WATCHDOG: 1})
    body["state"] = [{**s, "value": states[s["id"], s["property"]]} for s in spec["state"]]
    status, response, _ = post(client, body)
    return status, response


def test_a_killed_worker_ends_the_poll_and_the_watchdog_reports_its_step(client):
    before = {p.pid for p in run_workers()}
    body = background_body(client, "ff", {"depth": 3, "width": 8, "steps": 5000},
                           tab=f"doomed-{time.time()}")  # a job of its own
    status, handles, _ = post(client, body)
    assert status == 200
    (worker,) = [p for p in run_workers() if p.pid not in before]
    url = (f"/_dash-update-component?cacheKey={quote(handles['cacheKey'])}"
           f"&job={quote(handles['job'])}")

    def poll():
        return client.post(url, data=json.dumps(body), content_type="application/json")

    last, deadline = None, time.time() + 60
    while last is None and time.time() < deadline:  # the first heartbeat
        response = poll()
        last = json.loads(response.get_data()).get("progress", {}).get("train-beat.data")
        time.sleep(train.INTERVAL_MS / 1000)
    assert last["run"] == 1 and not last["final"] and 0 < last["step"] < 5000

    worker.send_signal(signal.SIGKILL)  # as the kernel's OOM killer does: no result, ever
    deadline = time.time() + 5
    while (response := poll()).status_code != 204 and time.time() < deadline:
        time.sleep(train.INTERVAL_MS / 1000)
    # Dash sees the process gone and ends the poll with nothing (the browser re-enables Start)
    assert response.status_code == 204

    status, response = watchdog_tick(client, last, polling=False, watch=None)
    assert status == 200 and set(response["response"]) == {train.WATCH}  # once: wait a tick
    watch = response["response"][train.WATCH]["data"]
    status, response = watchdog_tick(client, last, polling=False, watch=watch)
    out = response["response"]
    assert out[train.PROGRESS_TEXT]["children"] == (
        f"Failed at step {last['step']} of 5000.")
    assert (f"The training worker stopped unexpectedly (failed at step {last['step']})"
            in text(out[train.RUN_STATUS]["children"]))
    assert out[train.START] == {"disabled": False} and out[train.STOP] == {"disabled": True}
    assert out[train.WATCHDOG] == {"disabled": True}  # disarmed until the next Start


def test_the_watchdog_tells_ended_stopped_and_dead_runs_apart():
    def tick(mine, now, watch, polling=True, stopped=False, run=1):
        return train.check_run(mine, run, stopped, polling, watch, now)

    going = {"run": 1, "final": False, "step": 100, "total": 5000, "elapsed": 2.0}
    verdict, watch = tick(going, 0.0, None)
    assert verdict == "running"
    assert tick({**going, "final": True}, 1.0, watch)[0] == "ended"  # finished or overflowed
    assert tick(going, 1.0, watch, polling=False, stopped=True)[0] == "ended"  # Stop pressed
    # DiskcacheManager: Dash ended its poll without a result; the second such tick decides
    verdict, watch2 = tick(going, 1.0, watch, polling=False)
    assert verdict == "running" and tick(going, 2.0, watch2, polling=False)[0] == "failed"
    verdict, watch2 = tick(None, 1.0, None, polling=False)  # died before its first report
    assert tick(None, 2.0, watch2, polling=False)[0] == "failed"
    assert train.failed_status(None)[0] == "Failed before its first step."
    # CeleryManager: Dash polls a lost task forever; the heartbeats stop. Silence allowed:
    # STALE_S plus three mean steps (0.02 s here) …
    limit = train.STALE_S + 3 * 2.0 / 100
    assert tick(going, limit - 0.01, watch)[0] == "running"
    assert tick(going, limit + 0.01, watch)[0] == "failed"
    # … a new heartbeat restarts the clock …
    newer = {**going, "step": 150, "elapsed": 3.0}
    verdict, watch3 = tick(newer, limit + 0.01, watch)
    assert verdict == "running" and tick(newer, 2 * limit - 0.1, watch3)[0] == "running"
    # … slow steps (4 s each) get more …
    slow = {**going, "step": 3, "elapsed": 12.0}
    assert tick(slow, train.STALE_S + 11.0, tick(slow, 0.0, None)[1])[0] == "running"
    # … and a task still waiting in the queue (no heartbeat yet) is never declared dead
    assert tick(None, 10_000.0, tick(None, 0.0, None)[1])[0] == "running"
    # heartbeats of the previous run (Start's 1st click) do not count for the 2nd
    assert train.parse_beat(going, 2) is None and train.parse_beat(going, 1) == going


@pytest.mark.parametrize("last,watch,run,stamps", [
    ({"run": 1, "final": "yes", "step": "nan", "total": None, "elapsed": []}, {"since": "x"},
     1, (1000, 2000)),
    ({"run": 1, "final": False, "step": float("inf"), "total": 5, "elapsed": 1}, [],
     [1], ("a", None)),
    ("garbage", {"run": 1, "seen": None, "since": 1e300, "unpolled": "2"}, None, ({}, [])),
    ([1, 2], 7, {"$gt": 0}, (None, None)),
])
def test_the_watchdog_survives_garbage(client, last, watch, run, stamps):
    for polling in (True, False):
        status, response = watchdog_tick(client, last, polling, watch, run, *stamps)
        assert status in (200, 204), response


# ---------------------------------------------------------------- the histogram slider


def test_histogram_pick_redraws_exactly_those_counts(client):
    rng = np.random.default_rng(1)
    act, grad = rng.integers(0, 50, (3, 60)), rng.integers(1, 50, (3, 40))
    pick = {"kind": "rnn", "step": 75, "rows": [0, 4, 9], "act": act.tolist(),
            "grad": grad.tolist()}
    status, response, _ = post(client, pick_body(client, pick))
    assert status == 200
    fig = response["response"]["train-hist"]["figure"]
    assert "time step: activations and gradients at step 75" in fig["layout"]["title"]["text"]
    traces = decode(fig["data"])
    np.testing.assert_array_equal(traces[0]["y"], [1, 5, 10])
    with np.errstate(divide="ignore"):
        expected = np.where(act > 0, np.log10(act), np.nan).astype(np.float32)
    np.testing.assert_array_equal(traces[0]["z"], expected)
    np.testing.assert_array_equal(traces[1]["z"], np.log10(grad).astype(np.float32))


@pytest.mark.parametrize("pick", [
    None, "x", [], {"kind": "ff"}, {"kind": "ff", "step": 1, "rows": [0], "act": [[1] * 59],
                                    "grad": [[1] * 40]},
    {"kind": "ff", "step": "1", "rows": [0], "act": [[1] * 60], "grad": [[1] * 40]},
    {"kind": "ff", "step": 1, "rows": [0], "act": [[-1] * 60], "grad": [[1] * 40]},
    {"kind": "ff", "step": 1, "rows": list(range(31)), "act": [[1] * 60] * 31,
     "grad": [[1] * 40] * 31},
    {"kind": "ff", "step": 1, "rows": [0], "act": [["a"] * 60], "grad": [[1] * 40]},
    {"kind": "ff", "step": 1, "rows": [0], "act": [[1e300] * 60], "grad": [[1] * 40]},
])
def test_malformed_histogram_picks_get_an_empty_figure_not_an_error(client, pick):
    status, response, size = post(client, pick_body(client, pick))
    assert status == 200, response
    fig = response["response"]["train-hist"]["figure"]
    assert fig["data"] == [] and size < 20_000


def test_the_verdict_reads_non_finite_metrics():
    snap = {"nonfinite": None, "val_metric": [0.5, "inf"], "twin_val_metric": [0.2, None],
            "metric": "mse", "chance": 1 / 6}
    verdict = text(train.run_status(snap, [], final=True))
    assert "Final validation MSE inf (chance 0.167); the LR = 0 twin: —." in verdict
