"""/train: train a deep feed-forward net or an RNN live and diagnose its gradients.

URL parameters (all optional; a bad value gets a notice and the nearest valid value). `kind`
chooses the model; the other parameters are those of that model (the rest are ignored):

    kind    ff (feed-forward) | rnn (recurrent)                               default ff

  kind=ff (two spirals or 2-D regression):
    task    spirals | regression                                              default spirals
    depth   hidden layers, whole number 1–50                                  default 10
    width   units per layer, whole number 2–128                               default 32
    act     sigmoid | tanh | relu                                             default tanh
    init    zeros | small_normal | large_normal | xavier | he | orthogonal    default xavier
    norm    none | batch | layer                                              default none
    res     residual connections: off | on                                    default off

  kind=rnn (Pascanu's long-term-dependency tasks):
    task    temporal_order | adding                                           default temporal_order
    T       sequence length, whole number 10–200                              default 50
    cell    rnn | lstm | gru                                                  default rnn
    hidden  hidden units, whole number 16–128                                 default 32
    act     identity | sigmoid | tanh | relu (vanilla cell only)              default tanh
    rinit   recurrent init: orthogonal | normal | identity                    default orthogonal
    gain    recurrent gain (≈ spectral radius at init), 0–3                   default 1
    alpha   weight α of Pascanu's regulariser Ω, 0–10 (0 = off)                default 0

  both (defaults ff / rnn):
    opt     sgd | adam                                                        default sgd
    lr      learning rate, 0–10                                               default 0.05 / 0.01
    mom     momentum (SGD), 0–0.99                                            default 0.9 / 0
    clip    gradient clipping: none | norm | value                            default none
    tau     clipping threshold τ, 0.0001–10000                                default 1
    steps   training steps, whole number 1–5000                               default 500
    batch   batch size, whole number 1–256                                    default 64 / 32
    seed    whole number 0–9999                                               default 0

e.g. /train?kind=ff&task=spirals&depth=30&width=32&act=sigmoid&init=small_normal&norm=none&res=off
     &opt=sgd&lr=0.005&mom=0.9&clip=none&tau=1&steps=1000&batch=64&seed=0   (the vanishing preset)

A run executes as a Dash background callback (its own process, or a Celery worker) together with
its LR = 0 twin. Every EMIT_EVERY_S seconds it sends the page a snapshot — figures built from the
records thinned to ≤ 200 steps per line and ≤ 120 × 50 heatmap cells (about 25–115 KB per
progress response) — the browser polls every INTERVAL_MS, and Stop kills the process. The final
response adds the histograms of every recorded step, kept in a memory Store so the step slider
redraws them without rerunning. A worker that dies (killed, out of memory) never answers: a
watchdog (check_run) then reports the run as failed and gives the page back its Start button.
Runs are never kept in module globals; each page load carries a random tab id that enters the
job's cache key, so two people starting the same run do not share (or steal) each other's
results.
"""
from __future__ import annotations

import math
import secrets
import time
from pathlib import Path
from typing import Callable, Optional

import dash
import numpy as np
from dash import Input, Output, State, callback, dcc, html, no_update, register_page

from components import train_figures
from components.controls import control_id, control_panel, dropdown, number_box, slider
from components.layout import (graph, markdown_file, mirror_query_to_url, notice_list, page_frame,
                               walk)
from components.params import Choice, Number, ParamSet
from engine.activations import ACTIVATIONS
from engine.training import (CELLS, CLIPS, FF_TASKS, INITS, NORMS, OPTIMIZERS, PRESETS,
                             REC_INITS, RNN_TASKS, SMALL_STD, FFConfig, RNNConfig, Run,
                             config_from_dict, lr_zero_twin)

PAGE = "train"
HERE = Path(__file__).parent
FF, RNN = FFConfig(), RNNConfig()  # the engine's defaults are the page's defaults


def training_params(defaults) -> tuple:
    """The optimiser and run parameters both models share (their defaults differ)."""
    return (
        Choice("opt", "optimiser", defaults.optimizer, OPTIMIZERS),
        Number("lr", "learning rate", defaults.lr, 0.0, 10.0),
        Number("mom", "momentum (SGD only)", defaults.momentum, 0.0, 0.99, 0.01),
        Choice("clip", "gradient clipping", defaults.clip, CLIPS),
        Number("tau", "clipping threshold τ", defaults.clip_threshold, 1e-4, 1e4),
        Number("steps", "training steps", defaults.steps, 1, 5000, integer=True),
        Number("batch", "batch size", defaults.batch_size, 1, 256, integer=True),
        Number("seed", "seed", defaults.seed, 0, 9999, integer=True),
    )


KIND = Choice("kind", "model", "ff", ("ff", "rnn"))
PARAMS = {
    "ff": ParamSet((
        Choice("task", "task", FF.task, FF_TASKS),
        Number("depth", "hidden layers", FF.depth, 1, 50, integer=True),
        Number("width", "units per layer", FF.width, 2, 128, integer=True),
        Choice("act", "activation σ", FF.activation, ("sigmoid", "tanh", "relu")),
        Choice("init", "weight initialisation", FF.init, INITS),
        Choice("norm", "normalisation", FF.norm, NORMS),
        Choice("res", "residual connections", "off", ("off", "on")),
        *training_params(FF),
    )),
    "rnn": ParamSet((
        Choice("task", "task", RNN.task, RNN_TASKS),
        Number("T", "sequence length T", RNN.seq_len, 10, 200, integer=True),
        Choice("cell", "cell", RNN.cell, CELLS),
        Number("hidden", "hidden units", RNN.hidden, 16, 128, integer=True),
        Choice("act", "activation σ (vanilla cell only)", RNN.activation, ACTIVATIONS),
        Choice("rinit", "recurrent initialisation", RNN.rec_init, REC_INITS),
        Number("gain", "recurrent gain (≈ spectral radius)", RNN.rec_gain, 0.0, 3.0, 0.01),
        Number("alpha", "Ω weight α (0 = off)", RNN.omega_alpha, 0.0, 10.0),
        *training_params(RNN),
    )),
}
ENGINE_NAMES = {"act": "activation", "res": "residual", "opt": "optimizer", "mom": "momentum",
                "tau": "clip_threshold", "batch": "batch_size", "T": "seq_len",
                "rinit": "rec_init", "gain": "rec_gain", "alpha": "omega_alpha"}
NUMBER_BOXES = {"lr", "tau", "alpha"}  # typed, not slid: they span decades
PROSE = {"small_std": SMALL_STD, "line_steps": train_figures.MAX_LINE_COLS,  # train_equations.md
         "heat_steps": train_figures.MAX_HEAT_COLS, "heat_rows": train_figures.MAX_HEAT_ROWS,
         "hist_rows": train_figures.MAX_HIST_ROWS}
EVALUATIONS, HISTOGRAMS = 50, 16  # per run, about: eval_every and hist_every follow steps
EMIT_EVERY_S = 0.4  # the run sends a snapshot this often …
INTERVAL_MS = 400   # … and the browser asks for it this often
WATCHDOG_MS = 1000  # how often the page asks whether its run is still alive (check_run)
STALE_S = 10.0      # silence, beyond three mean step times, after which a run counts as dead
LABELS = {
    "kind": {"ff": "feed-forward (deep MLP)", "rnn": "recurrent (RNN / LSTM / GRU)"},
    "task": {"spirals": "two spirals (classes)", "regression": "2-D regression",
             "temporal_order": "temporal order (4 classes)", "adding": "adding problem"},
    "init": {"zeros": "zeros", "small_normal": f"small normal N(0, {SMALL_STD:g}²)",
             "large_normal": "large normal N(0, 1)", "xavier": "Xavier (Glorot)",
             "he": "He (Kaiming)", "orthogonal": "orthogonal"},
    "res": {"off": "off", "on": "on: h ← h + σ(N(Wh + b)), layers 2…L"},
    "clip": {"none": "none", "norm": "norm: g ← g·min(1, τ/‖g‖)",
             "value": "value: gᵢ ← clamp(gᵢ, −τ, τ)"},
    "rinit": {"orthogonal": "orthogonal × gain", "normal": "normal N(0, 1/H) × gain",
              "identity": "identity × gain"},
}
STORIES = {
    "vanishing": "30-layer sigmoid, small init: does not train",
    "he_relu": "the same 30 layers with ReLU and He init: trains",
    "exploding_rnn": "ReLU RNN, recurrent gain 2: NaN at step 1",
    "exploding_rnn_clipped": "the same RNN with the gradient norm clipped to 1: trains",
    "temporal_order_sgd": "temporal order, T = 50, plain SGD: stays at chance",
    "temporal_order_clip_omega": "the same with clipping + Ω: learns it",
    "temporal_order_lstm": "an LSTM with clipping: learns it in fewer steps",
}

GRAPHS = {name: f"{PAGE}-{name}" for name in
          ("loss", "metric", "heatmap", "grads", "weights", "hist")}
STATUS, QUERY = f"{PAGE}-status", f"{PAGE}-query"
START, STOP = f"{PAGE}-start", f"{PAGE}-stop"
PROGRESS, PROGRESS_TEXT, RUN_STATUS = f"{PAGE}-progress", f"{PAGE}-progress-text", f"{PAGE}-run"
HISTS, PICK, SLIDER, TAB = f"{PAGE}-hists", f"{PAGE}-hist-pick", f"{PAGE}-hist-step", f"{PAGE}-tab"
BEAT, WATCH, WATCHDOG = f"{PAGE}-beat", f"{PAGE}-watch", f"{PAGE}-watchdog"
PANELS = {kind: f"{PAGE}-{kind}-panel" for kind in PARAMS}

register_page(__name__, path="/train", name="Train", title="Train and diagnose · GradLab",
              order=6, description="Train a deep net or an RNN live: exploding runs turn inf/NaN, "
                                   "vanishing ones do not learn; per-layer gradient norms and a "
                                   "learning-rate-0 twin tell which.")


# ====================================================================== values and configs


def cid(kind: str, name: str) -> str:
    """Component id of a model's control: train-ff-depth, train-rnn-T, …"""
    return control_id(f"{PAGE}-{kind}", name)


def parse(kind, raw) -> tuple[str, dict, list[str]]:
    """(kind, valid values of that model's parameters, notices) from untrusted input."""
    kind, notice = KIND.parse(kind)
    values, notices = PARAMS[kind].parse(raw)
    return kind, values, ([notice] if notice else []) + notices


def parse_panels(kind, ff, rnn) -> tuple[str, dict, list[str]]:
    """parse() for the callbacks, which get both models' controls: the kind picks which."""
    return parse(kind, ff if KIND.parse(kind)[0] == "ff" else rnn)


def query(kind: str, values: dict) -> str:
    return f"?kind={kind}&" + PARAMS[kind].query(values)[1:]


def engine_config(kind: str, values: dict):
    """The engine config of valid page values; raises ValueError if the engine refuses it.
    Evaluation and histogram schedules follow the number of steps (they do not change the
    training itself: evaluation uses a fixed validation set and no randomness)."""
    d = {ENGINE_NAMES.get(name, name): value for name, value in values.items()}
    if kind == "ff":
        d["residual"] = d["residual"] == "on"
    steps = values["steps"]
    d.update(kind=kind, eval_every=max(1, math.ceil(steps / EVALUATIONS)),
             hist_every=max(1, math.ceil(steps / HISTOGRAMS)))
    return config_from_dict(d)


def preset_values(name: str) -> tuple[str, dict]:
    """(kind, page values) of an engine preset."""
    config = PRESETS[name].to_dict()
    kind = config["kind"]
    values = {p.name: config[ENGINE_NAMES.get(p.name, p.name)] for p in PARAMS[kind]}
    if kind == "ff":
        values["res"] = "on" if values["res"] else "off"
    return kind, values


def preset_query(name: str) -> str:
    return query(*preset_values(name))


# ====================================================================== the run loop


def stream_run(config, emit: Callable[[dict], None], every_s: float = EMIT_EVERY_S,
               should_stop: Optional[Callable[[], bool]] = None) -> dict:
    """Train `config` and its LR = 0 twin in lockstep until the run ends (steps done or the
    first inf/NaN; the twin is not run on alone) or should_stop() says so. emit(snapshot) —
    train_figures.History.snapshot with only the newest histograms — after the first step
    and then every `every_s` seconds; returns the final snapshot with every histogram."""
    start = time.perf_counter()
    run, twin = Run(config), Run(lr_zero_twin(config))
    history = train_figures.History(run.info)
    last_emit = -math.inf
    while not run.done:
        if should_stop is not None and should_stop():
            break
        history.add(run.step(), None if twin.done else twin.step())
        now = time.perf_counter()
        history.elapsed = now - start
        if now - last_emit >= every_s and not run.done:
            last_emit = now
            emit(history.snapshot(all_hists=False))
    history.elapsed = time.perf_counter() - start
    return history.snapshot(all_hists=True)


# ====================================================================== what the page shows


def progress_text(snap: dict, final: bool) -> str:
    done, total, elapsed = snap["done"], snap["total"], snap["elapsed"]
    if snap["nonfinite"]:
        return f"Stopped at step {snap['nonfinite']['step']} (inf/NaN) after {elapsed:.1f} s."
    if final:
        return f"Done: {done} of {total} steps in {elapsed:.1f} s."
    left = elapsed / max(done, 1) * (total - done)
    return f"{done} of {total} steps done · {elapsed:.1f} s · about {left:.0f} s left"


def run_status(snap: dict, notices: list[str], final: bool):
    """The red banner when the run overflowed, the verdict when it ended, and the notices."""
    parts = [notice_list(notices)]
    bad = snap["nonfinite"]
    if bad:
        parts.append(html.Div(className="notice notice-overflow train-banner", role="alert",
                              id=f"{PAGE}-banner", children=[
            html.Strong(f"Exploded at step {bad['step']}: "),
            f"{train_figures.NONFINITE_WHAT[bad['what']]} became inf/NaN. The run stops there "
            "(no update is applied after it). Remedies: clip the gradient norm, lower the "
            "learning rate or the recurrent gain.",
        ]))
    if final and snap["val_metric"] and not bad:
        metric, twin = train_figures.as_array([snap["val_metric"][-1],
                                               snap["twin_val_metric"][-1]])
        name = train_figures.METRIC_LABELS[snap["metric"]]
        fmt = (lambda v: "—" if math.isnan(v) else f"{v:.3g}")
        parts.append(html.P(className="train-verdict", id=f"{PAGE}-verdict", children=(
            f"Final {name} {fmt(metric)} (chance {snap['chance']:.3g}); the LR = 0 twin: "
            f"{fmt(twin)}.")))
    return parts


def hist_store(snap: dict) -> dict:
    return {"kind": snap["kind"], **snap["hist"]}


def slider_marks(steps: list[int]) -> dict:
    return {str(i): str(steps[i]) for i in train_figures.spread(len(steps), 6)}


def beat(run: int, final: bool, snap: dict | None = None) -> dict:
    """The run's heartbeat for the watchdog: which run (Start's click count), how far, whether
    it has ended. Every progress snapshot carries a new one (its elapsed time differs)."""
    snap = snap or {"done": 0, "total": 0, "elapsed": 0.0}
    return {"run": run, "final": final, "step": snap["done"], "total": snap["total"],
            "elapsed": snap["elapsed"]}


def parse_beat(raw, run) -> dict | None:
    """Run number `run`'s heartbeat out of untrusted browser data; None if there is none
    (no report from this run yet, or not a heartbeat)."""
    try:
        ok = raw["run"] == run and isinstance(raw["final"], bool) and all(
            isinstance(raw[k], (int, float)) and not isinstance(raw[k], bool)
            and 0 <= raw[k] < 1e12 for k in ("step", "total", "elapsed"))
    except (TypeError, KeyError, IndexError):
        return None
    return raw if ok else None


def render(snap: dict, notices: list[str], final: bool, run: int) -> list:
    """Every output of the run callback (progress or final) from one snapshot."""
    figures = [f.to_plotly_json() for f in train_figures.figures(snap)]
    out = [*figures, run_status(snap, notices, final), snap["done"], snap["total"],
           progress_text(snap, final)]
    if not final:  # histograms at other steps arrive with the final snapshot
        return [*out, None, 0, {}, beat(run, final, snap)]
    n = len(snap["hist"]["steps"])
    return [*out, hist_store(snap), max(n - 1, 0), slider_marks(snap["hist"]["steps"]),
            beat(run, final, snap), max(n - 1, 0)]


def check_run(mine: dict | None, run, stopped: bool, polling: bool, watch,
              now: float) -> tuple[str, dict]:
    """The watchdog's verdict on run number `run` — "running", "ended" (finished, overflowed or
    stopped by the user) or "failed" (its worker died) — and its memory for the next tick.
    `mine` is the run's newest heartbeat (parse_beat), `polling` whether Dash still polls the
    job (Start is disabled), `watch` the memory of the previous tick, `now` the server's clock.

    A worker killed by a signal or the OOM killer writes no result, so the page is never told
    that the run ended; what Dash does instead depends on the background-callback manager."""
    if stopped or (mine and mine["final"]):
        return "ended", {}
    seen = mine and mine["elapsed"]
    if not (isinstance(watch, dict) and watch.get("run") == run and watch.get("seen") == seen
            and isinstance(watch.get("since"), (int, float))
            and isinstance(watch.get("unpolled"), int)):  # a new run, a new beat, or garbage
        watch = {"run": run, "seen": seen, "since": now, "unpolled": 0}
    # DiskcacheManager: Dash finds the job's process gone and ends its poll without a result
    # (an empty 204): Start comes back, nothing else. Checked on two ticks, so that a final
    # response whose `running` reset lands a moment before its outputs is not mistaken for it.
    if not polling:
        watch = {**watch, "unpolled": watch["unpolled"] + 1}
        return ("failed" if watch["unpolled"] >= 2 else "running"), watch
    # CeleryManager: a task lost with its worker stays PENDING and Dash polls it forever, but
    # the heartbeats stop. (Before the first one the task may just be waiting in the queue.)
    if mine and now - watch["since"] > STALE_S + 3 * mine["elapsed"] / max(mine["step"], 1):
        return "failed", watch
    return "running", watch


def failed_status(mine: dict | None) -> tuple[str, html.Div]:
    """Progress text and red banner of a run whose worker died after its report `mine`."""
    where = f"at step {mine['step']}" if mine else "before its first step"
    of = f" of {mine['total']}" if mine else ""
    return f"Failed {where}{of}.", html.Div(
        className="notice notice-overflow train-banner", role="alert", id=f"{PAGE}-failed",
        children=[
            html.Strong(f"The training worker stopped unexpectedly (failed {where}). "),
            ("It ended without a result: its process was killed (e.g. for lack of memory) or "
             "failed. The plots show the run up to its last report; press Start to run it "
             "again."),
        ])


# ====================================================================== layout


def control(kind: str, param, value):
    if isinstance(param, Choice):
        return dropdown(f"{PAGE}-{kind}", param, value, LABELS.get(param.name))
    if param.name in NUMBER_BOXES:
        return number_box(f"{PAGE}-{kind}", param, value)
    return slider(f"{PAGE}-{kind}", param, value, updatemode="mouseup")


def preset_links():
    return html.Div(className="control train-presets", children=[
        html.Label("Presets (each a story; press Start)"),
        html.Ul([html.Li([dcc.Link(name.replace("_", " "), id=f"{PAGE}-preset-{name}",
                                   href=dash.get_relative_path(f"/{PAGE}") + preset_query(name)),
                          html.Span(f": {STORIES[name]}")]) for name in PRESETS]),
    ])


def shown(visible: bool) -> dict:
    return {} if visible else {"display": "none"}


def layout(**query_args):
    kind, values, notices = parse(query_args.get("kind", "ff"), query_args)
    panels = []
    for k, params in PARAMS.items():
        vals = values if k == kind else params.defaults()
        panels.append(html.Div(id=PANELS[k], style=shown(k == kind),
                               children=[control(k, p, vals[p.name]) for p in params]))
    controls = control_panel([preset_links(),
                              dropdown(PAGE, KIND, kind, LABELS["kind"]), *panels])
    run_bar = html.Div(className="train-run", style={"gridColumn": "1 / -1"}, children=[
        html.Div(className="train-buttons", children=[
            html.Button("Start", id=START, n_clicks=0, className="train-start"),
            html.Button("Stop", id=STOP, n_clicks=0, disabled=True, className="train-stop"),
            html.Progress(id=PROGRESS, value=0, max=1, className="train-progress"),
            html.Span("Not started.", id=PROGRESS_TEXT, className="train-progress-text"),
        ]),
        html.Div(id=RUN_STATUS, className="train-run-status", role="status"),
    ])
    graphs = {}
    for (name, graph_id), fig in zip(GRAPHS.items(), train_figures.figures(None)):
        graphs[name] = graph(graph_id, height=420 if name in ("heatmap", "hist") else 380)
        next(c for c in walk(graphs[name]) if isinstance(c, dcc.Graph)).figure = fig  # "Start"
    wide = {"gridColumn": "1 / -1"}
    hist = html.Div(style=wide, children=[
        graphs["hist"],
        html.Div(className="control train-hist-step", children=[
            html.Label("Histograms at training step (any recorded step, once a run has ended)",
                       htmlFor=SLIDER),
            dcc.Slider(id=SLIDER, min=0, max=0, step=1, value=0, marks={}, disabled=True,
                       updatemode="drag", allow_direct_input=False),
        ]),
    ])
    return page_frame(
        "Train and diagnose: vanishing or exploding?",
        markdown_file(HERE / "train.md", className="intro"),
        notices, controls, [run_bar, graphs["loss"], graphs["metric"],
                            html.Div(graphs["heatmap"], style=wide), graphs["grads"],
                            graphs["weights"], hist], STATUS, QUERY,
        below=html.Div([
            markdown_file(HERE / "train_equations.md", PROSE, className="equations"),
            dcc.Store(id=TAB, data=secrets.token_hex(16)),
            dcc.Store(id=HISTS), dcc.Store(id=PICK), dcc.Store(id=BEAT), dcc.Store(id=WATCH),
            dcc.Interval(id=WATCHDOG, interval=WATCHDOG_MS, disabled=True),
        ]),
    )


# ====================================================================== callbacks

CONTROLS = {kind: {p.name: cid(kind, p.name) for p in params} for kind, params in PARAMS.items()}


@callback(
    Output(QUERY, "data"), Output(STATUS, "children"),
    *[Output(PANELS[k], "style") for k in PARAMS],
    inputs=dict(kind=Input(control_id(PAGE, "kind"), "value"),
                **{k: {n: Input(i, "value") for n, i in ids.items()}
                   for k, ids in CONTROLS.items()}),
)
def update_controls(kind, ff, rnn):
    kind, values, notices = parse_panels(kind, ff, rnn)
    return query(kind, values), notice_list(notices), *[shown(k == kind) for k in PARAMS]


RUN_OUTPUTS = [*[Output(g, "figure") for g in GRAPHS.values()], Output(RUN_STATUS, "children"),
               Output(PROGRESS, "value"), Output(PROGRESS, "max"),
               Output(PROGRESS_TEXT, "children"), Output(HISTS, "data"),
               Output(SLIDER, "max"), Output(SLIDER, "marks"), Output(BEAT, "data")]


@callback(
    output=[*RUN_OUTPUTS, Output(SLIDER, "value")],
    inputs=dict(start=Input(START, "n_clicks")),
    state=dict(tab=State(TAB, "data"), kind=State(control_id(PAGE, "kind"), "value"),
               **{k: {n: State(i, "value") for n, i in ids.items()}
                  for k, ids in CONTROLS.items()}),
    background=True,
    progress=RUN_OUTPUTS,
    # Start also arms the watchdog; it stays armed after the poll ends, to tell how the run
    # ended, and disarms itself.
    running=[(Output(START, "disabled"), True, False), (Output(STOP, "disabled"), False, True),
             (Output(SLIDER, "disabled"), True, False),
             (Output(WATCHDOG, "disabled"), False, False)],
    cancel=[Input(STOP, "n_clicks")],
    interval=INTERVAL_MS,
    prevent_initial_call=True,
)
def train(set_progress, start, tab, kind, ff, rnn):
    """Validate, build the engine config, stream the run. `tab` (this page load's random id)
    is unused here: it only makes the job's cache key differ between browser tabs."""
    kind, values, notices = parse_panels(kind, ff, rnn)
    try:
        config = engine_config(kind, values)
    except ValueError as err:
        notices.append(f"The training engine rejected this configuration: {err}")
        return ([no_update] * len(GRAPHS) + [notice_list(notices)] + [no_update] * 6
                + [beat(start, final=True), no_update])
    final = stream_run(config, lambda snap: set_progress(render(snap, notices, False, start)))
    return render(final, notices, True, start)


@callback(
    Output(PROGRESS_TEXT, "children", allow_duplicate=True),
    Output(RUN_STATUS, "children", allow_duplicate=True),
    Output(START, "disabled"), Output(STOP, "disabled"), Output(WATCHDOG, "disabled"),
    Output(WATCH, "data"),
    Input(WATCHDOG, "n_intervals"),
    State(BEAT, "data"), State(START, "n_clicks"), State(START, "n_clicks_timestamp"),
    State(STOP, "n_clicks_timestamp"), State(START, "disabled"), State(WATCH, "data"),
    prevent_initial_call=True,
)
def watchdog(_, last, run, started_ms, stopped_ms, polling, watch):
    """Every WATCHDOG_MS while armed: report a run whose worker died and give back Start."""
    stamps = (started_ms, stopped_ms)
    stopped = all(isinstance(t, (int, float)) for t in stamps) and stopped_ms > started_ms
    mine = parse_beat(last, run)
    verdict, watch = check_run(mine, run, stopped, bool(polling), watch, time.time())
    if verdict == "running":
        return no_update, no_update, no_update, no_update, no_update, watch
    if verdict == "ended":
        return no_update, no_update, no_update, no_update, True, watch
    return *failed_status(mine), False, True, True, watch


# The slider picks one recorded step out of the Store in the browser, so only that step's
# histograms travel back to the server to be drawn.
dash.clientside_callback(
    """function (k, hists) {
        if (!hists || !hists.steps || !hists.steps.length) {
            return window.dash_clientside.no_update;
        }
        var i = Math.max(0, Math.min(hists.steps.length - 1, Math.round(k) || 0));
        return {kind: hists.kind, step: hists.steps[i], rows: hists.rows,
                act: hists.act[i], grad: hists.grad[i]};
    }""",
    Output(PICK, "data"), Input(SLIDER, "value"), State(HISTS, "data"),
    prevent_initial_call=True,
)


def parse_pick(raw) -> tuple[dict | None, str]:
    """A valid histogram pick {step, rows, act, grad} and its kind, or (None, kind) for
    anything malformed."""
    try:
        kind = raw["kind"] if raw["kind"] in PARAMS else "ff"
        step = raw["step"]
        if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= 10**6:
            return None, kind
        rows = np.asarray(raw["rows"], dtype=float)
        n = len(train_figures.HIST_ACT_EDGES) - 1, len(train_figures.HIST_GRAD_LOG10_EDGES) - 1
        act, grad = (np.asarray(raw[key], dtype=float) for key in ("act", "grad"))
    except (TypeError, ValueError, KeyError, IndexError):
        return None, "ff"
    ok = (rows.ndim == 1 and 1 <= len(rows) <= train_figures.MAX_HIST_ROWS
          and np.all((rows >= 0) & (rows < 1000) & (rows == np.round(rows)))
          and act.shape == (len(rows), n[0]) and grad.shape == (len(rows), n[1])
          and all(np.all(np.isfinite(a) & (a >= 0) & (a < 2**31) & (a == np.round(a)))
                  for a in (act, grad)))
    if not ok:
        return None, kind
    return {"step": step, "rows": rows.astype(int), "act": act.astype(np.int64),
            "grad": grad.astype(np.int64)}, kind


@callback(Output(GRAPHS["hist"], "figure", allow_duplicate=True), Input(PICK, "data"),
          prevent_initial_call=True)
def redraw_histograms(pick):
    pick, kind = parse_pick(pick)
    return train_figures.hist_figure(pick, kind)


mirror_query_to_url(QUERY)
