"""/train's six text alternatives, held against the figures they describe.

A run's figures and their sentences are built from one snapshot where the run executes
(components/train_snapshot.py `sentences`, stored beside the figures' JSON with the snapshot's
other facts) and reach the page together: inline when Start answers, or by the poll
(assets/gradlab.js pollRun; tests/train_tab.Tab does what it does). Here: snapshots of short
deterministic runs built as a run process builds them (the runs of tests/app/golden.py and
more), streaming and final; then real runs through the page's pool, whose summaries must be the
ones of the figures the tab shows; the histogram slider; the page before any run and its embeds.
"""
import re
import time

import numpy as np
import pytest

from app.pages.train import ids, params
from app.pages.train import page as train
from app.runs import manager
from components import train_figures
from components.figures import portable
from components.layout import summary_id
from components.train_snapshot import NO_RUN, WAITING, hist_sentence, pick_hist, summary
from engine.regime import CHAIN_BAND, regime
from tests.app.golden import TRAIN_RUNS, train_history
from tests.app.said import Said, figure_data, named, values
from tests.dash_client import callback_spec, decode, payload, post, route
from tests.train_tab import Tab

NAMES = list(ids.GRAPHS)  # loss, metric, heatmap, grads, weights, hist: the page's order
RUNS = TRAIN_RUNS + [
    ("he_relu", {"depth": 8, "width": 16}, 30), ("exploding_rnn_clipped", {}, 12),
    ("temporal_order_lstm", {"seq_len": 20, "hidden": 8}, 15),
    (None, {"kind": "ff", "task": "regression", "depth": 3, "width": 4, "steps": 1}, 1),
]


def check_train(figs: dict, said: dict, kind: str) -> None:
    """The six sentences of one snapshot against its six figures."""
    unit = "layer" if kind == "ff" else "time step"
    traces = figs["loss"]["traces"]
    steps = values(named(traces, "run"), "x").astype(int)
    run, twin = values(named(traces, "run")), values(named(traces, "LR = 0 twin"))
    s = Said(said["loss"])
    if len(steps) > 1:
        s.then("went from", run[0], gap=True)
        s.then("at step", steps[0], None)
        s.then("to", run[-1], gap=True)
    else:
        s.then("is", run[-1], gap=True)
    s.then("at step", steps[-1], None)
    s.then("the twin's is", twin[-1], gap=True)
    if s.has("times the twin's"):
        s.then("(", run[-1] / twin[-1], 3)
    if s.has("Ω is"):
        s.then("Ω is", values(named(traces, "Ω"))[-1], gap=True)
    shaded = [r["x0"] + 0.5 for r in figs["loss"]["layout"].get("shapes", [])
              if r.get("type") == "rect"]  # the inf/NaN step (train_figures._overflow)
    if shaded:
        s.then("At step", shaded[0], None)
        s.word("became inf/NaN")
    s.done()

    traces = figs["metric"]["traces"]
    s = Said(said["metric"])
    after = values(named(traces, "run"), "x").astype(int)
    if after.size == 0:
        s.word("no evaluation yet")
    else:
        level = next(t for t in traces if str(t["name"]).startswith(("chance", "best constant")))
        run, twin = values(named(traces, "run")), values(named(traces, "LR = 0 twin"))
        s.then("chance at" if level["name"].startswith("chance") else "constant at",
               values(level)[0], 3)
        s.then("after", after[-1], None)
        s.then("the run's is", run[-1], 3, gap=True)
        s.then("the twin's", twin[-1], 3, gap=True)
        if after.size > 1:
            s.then("was", run[0], 3, gap=True)
            s.then("after", after[0], None)
    s.done()

    heat = figs["heatmap"]["traces"][0]
    cols, rows = values(heat, "x").astype(int), values(heat, "y").astype(int)
    with np.errstate(over="ignore"):
        V = 10.0 ** values(heat, "z")  # log10 as float32; 0 and inf/NaN are blank
    s = Said(said["heatmap"])
    for word, extreme in (("from", np.nanmin(V)), ("to", np.nanmax(V))):
        s.then(word, extreme)
        row, col = s.read(f"at {unit}"), s.read("step")
        at = V[rows == row][:, cols == col][0, 0]
        assert abs(at - extreme) <= 1e-5 * extreme, (row, col, at, extreme)
    assert s.has("blank where") == bool(np.isnan(V).any())
    if s.has(f"{unit} 1 gets"):
        last = np.nan_to_num(V[:, -1], nan=0.0) if s.has("exactly zero") else V[:, -1]
        share = last[0] / last[-1]
        factor = share ** (1 / (rows[-1] - 1))
        s.then("At step", cols[-1], None)
        s.then(f"{unit}", 1, None)
        s.then("gets", share)
        s.then(f"of {unit}", rows[-1], None)
        s.then("'s,", factor)
        s.word(f"per {unit}: {regime(factor, CHAIN_BAND)}")
    if shaded:
        s.then("inf/NaN at step", shaded[0], None)
    s.done()

    for name in ("grads", "weights"):
        traces = figs[name]["traces"]
        groups = [t for t in traces if t.get("legendgroup") and t.get("yaxis") != "y2"]
        steps = values(groups[0], "x").astype(int)
        s = Said(said[name])
        s.then("at step", steps[-1], None)
        for t in groups:
            s.then(f"{t['name']} at", values(t)[-1], gap=True)
        if name == "grads":
            total = values(named(traces, "all parameters"))
            s.then("all parameters", total[-1], gap=True)
            if len(steps) > 1 and np.isfinite(total).any():
                s.then("so far is", np.nanmax(total))
                assert total[steps == s.read("at step")][0] == np.nanmax(total)
            if s.has("τ ="):
                s.then("τ =", values(named(traces, "clipped to τ"))[0])
        else:
            if s.has("‖W_rec‖₂ ="):
                s.then("‖W_rec‖₂ =", values(named(traces, "‖W_rec‖₂"))[-1])
            if len(steps) > 1:
                change = [values(t)[-1] / values(t)[0] for t in groups]
                size = np.abs(np.log(change))
                s.then("since step", steps[0], None)
                names = [t["name"] for t in groups]
                i = next(i for i, n in enumerate(names) if s.text.startswith(f" is {n},", s.at))
                s.word(f" is {names[i]},")
                assert abs(size[i] - np.nanmax(size)) <= 1e-6  # the most changed group
                s.then("", change[i])
        if shaded:
            s.then("inf/NaN at step", shaded[0], None)
        s.done()

    check_hist(figs["hist"], said["hist"], unit)


def check_hist(fig: dict, text: str, unit: str) -> None:
    s = Said(text)
    if not fig["traces"]:
        assert text == NO_RUN
        return
    act, grad = fig["traces"][0], fig["traces"][1]
    rows = values(act, "y").astype(int)
    step = int(re.search(r"at step (\d+)", fig["layout"]["title"]["text"]).group(1))
    s.then("at step", step, None)
    for j in sorted({0, len(rows) - 1}):
        with np.errstate(over="ignore"):
            counts = {k: np.nan_to_num(10.0 ** values(t, "z")[j], nan=0.0)
                      for k, t in (("act", act), ("grad", grad))}
        if counts["grad"].sum() == 0:
            s.word(f"{unit} {rows[j]} has no finite values", nocase=True)
            continue
        centre = values(grad, "x")
        shown = s.read(f"{unit} {rows[j]}'s gradients peak in the bin around", nocase=True)
        k = int(np.argmin(np.abs(np.log10(shown) - centre)))
        assert abs(10 ** centre[k] - shown) <= 0.05 * shown  # 2 digits
        assert counts["grad"][k] >= counts["grad"].max() * (1 - 1e-5)
        shown = s.read("its activations around h =")
        k = int(np.argmin(np.abs(values(act, "x") - shown)))
        assert abs(values(act, "x")[k] - shown) <= 5e-3 * max(abs(shown), 0.01)
        assert counts["act"][k] >= counts["act"].max() * (1 - 1e-5)
    s.done()


def snapshots(preset, changes, steps):
    _, history = train_history(preset, changes, steps)
    return [history.snapshot(all_hists=False), history.snapshot(all_hists=True)]


@pytest.mark.parametrize("preset,changes,steps", RUNS,
                         ids=[f"{p or c['kind']}-{n}" for p, c, n in RUNS])
def test_a_snapshots_sentences_are_its_figures(preset, changes, steps):
    for snap in snapshots(preset, changes, steps):
        figs = [figure_data(portable(f)) for f in train_figures.figures(snap)]
        check_train(dict(zip(NAMES, figs)), dict(zip(NAMES, summary(snap)["sentences"])),
                    snap["kind"])


def shown(tab) -> tuple[dict, dict]:
    """(figures, sentences) the tab shows, by figure name."""
    figs = {n: {"traces": decode(tab.out[g]["figure"]["data"]),
                "layout": tab.out[g]["figure"]["layout"]} for n, g in ids.GRAPHS.items()}
    return figs, {n: tab.out[summary_id(g)]["children"] for n, g in ids.GRAPHS.items()}


SMALL = {"kind": "ff", "depth": 3, "width": 8, "steps": 400, "batch": 16}


def test_a_real_run_shows_the_sentences_of_the_figures_it_shows(runs, client):
    tab = Tab(client, SMALL)
    tab.start()
    assert all(tab.out[summary_id(g)]["children"] == WAITING for g in ids.GRAPHS.values())
    checked, deadline = set(), time.monotonic() + 60
    while tab.polling():  # every snapshot the tab draws comes with its own sentences
        assert time.monotonic() < deadline, tab.progress()
        time.sleep(0.2)
        tab.poll()
        version = tab.ref and tab.ref["version"]
        if version and version not in checked and tab.out[ids.GRAPHS["loss"]]["figure"]["data"]:
            checked.add(version)
            check_train(*shown(tab), "ff")
    assert tab.progress().startswith("Done: 400 of 400 steps")
    check_train(*shown(tab), "ff")


def test_an_exploding_run_says_where_it_overflowed(runs, client):
    query = dict(pair.split("=") for pair in
                 params.preset_query("exploding_rnn")[1:].split("&"))
    tab = Tab(client, query)
    tab.start()
    tab.until(lambda t: not t.polling(), 120, "done")
    figs, said = shown(tab)
    check_train(figs, said, "rnn")
    assert "At step 1 the training loss became inf/NaN" in said["loss"]


def test_the_step_slider_describes_the_histograms_it_draws(runs, client):
    tab = Tab(client, {**SMALL, "kind": "rnn", "T": 12, "hidden": 16, "steps": 60})
    tab.start()
    tab.until(lambda t: not t.polling(), 60, "done")
    # one callback draws the figure and says its sentence (one store read per move)
    spec = next(d for d in client.get("/_dash-dependencies").get_json()
                if summary_id(ids.GRAPHS["hist"]) in d["output"]
                and d["inputs"][0]["id"] == ids.SLIDER)
    hist = manager.histograms(tab.out[ids.SHOWN]["data"]["id"])
    for k in (0, 2, len(hist["steps"]) - 1):
        body = {ids.SLIDER: k, ids.SHOWN: tab.out[ids.SHOWN]["data"]}
        _, answer, _ = post(client, payload(spec, body))
        text = answer["response"][summary_id(ids.GRAPHS["hist"])]["children"]
        assert text == hist_sentence(pick_hist(hist, k), "rnn")
        check_hist(figure_data(answer["response"][ids.GRAPHS["hist"]]["figure"]), text,
                   "time step")
    _, answer, _ = post(client, payload(spec, {ids.SLIDER: 1, ids.SHOWN: "garbage"}))
    assert answer["response"][summary_id(ids.GRAPHS["hist"])]["children"] == NO_RUN


def test_before_a_run_the_page_and_its_embeds_say_there_is_none(client):
    for url in ("/train", *[f"/embed/{g}" for g in ids.GRAPHS.values()]):
        page = route(client, url)
        for g in ids.GRAPHS.values():
            assert page.find(summary_id(g))["children"] == NO_RUN, (url, g)


def test_every_run_output_has_its_figures_sentence_and_the_poll_sends_them():
    outputs = [(o.component_id, o.component_property) for o in train.RUN_OUTPUTS]
    graphs = list(ids.GRAPHS.values())
    # pollRun (assets/gradlab.js) counts on this order: 6 figures, then their 6 sentences
    assert outputs[:12] == [(g, "figure") for g in graphs] + \
        [(summary_id(g), "children") for g in graphs]


def test_the_start_callback_outputs_the_sentences(client):
    spec = callback_spec(client, ids.START)
    for g in ids.GRAPHS.values():
        assert f"{summary_id(g)}.children" in spec["output"]
