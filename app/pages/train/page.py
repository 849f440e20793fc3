"""/train: train a deep feed-forward net or an RNN live and diagnose its gradients.

The parameters are in params.py (its docstring lists them). A run is shared by every tab that
starts the same configuration (app/runs): Start attaches this tab to it — joining it in flight,
replaying it once finished, or queueing it for the pool; the tab then polls it about once a
second and draws each new snapshot (figures built once per snapshot and look, for every tab);
Stop detaches the tab, and the run is cancelled only when no tab watches it. A finished run's
histograms come with its final snapshot, kept in a memory Store, so the step slider redraws
them without a server round trip for the data.
"""
from __future__ import annotations

import logging
import re
import secrets
from pathlib import Path

import dash
from dash import Input, Output, State, callback, ctx, dcc, html, no_update, register_page

from app.clients import client_address
from app.pages.train import view
from app.pages.train.ids import (GRAPHS, KIND, PAGE, PINS, POLL, PROGRESS, PROGRESS_TEXT, QUERY,
                                 RUN, RUN_INFO, RUN_STATUS, SHOWN, SLIDER, START, STATUS, STOP,
                                 TAB, TEMPLATE, control, panel)
from app.look import requested_look
from app.pages.train.params import (KIND as KIND_PARAM, NO_TRAIN_PINS, PARAMS, STORIES,
                                    engine_config, parse, parse_panels, pins, preset_query,
                                    preset_values, query, read_pins)
from app.runs import manager
from components import train_figures
from components.controls import control as param_control, control_panel, locked, tag_param
from components.figures import portable
from components.layout import (code_export, graph, markdown_file, mirror_query_to_url,
                               notice_list, page_frame, summary_id, walk)
from components.theme import Look, template_json, with_look
from components.train_snapshot import NO_RUN, WAITING, hist_sentence, pick_hist
from components.train_snapshot import (MAX_HEAT_COLS, MAX_HEAT_ROWS, MAX_HIST_ROWS,
                                       MAX_LINE_COLS)
from engine.training import PRESETS, SMALL_STD

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
POLL_MS = 1000  # a tab asks for its run's news this often (a run publishes every second)
PROSE = {"small_std": SMALL_STD, "line_steps": MAX_LINE_COLS, "heat_steps": MAX_HEAT_COLS,
         "heat_rows": MAX_HEAT_ROWS, "hist_rows": MAX_HIST_ROWS}  # equations.md
TAB_ID = re.compile(r"[0-9a-f]{32}")

register_page(__name__, path="/train", name="Train", title="Train and diagnose · GradLab",
              order=6, description="Train a deep net or an RNN live: exploding runs turn inf/NaN, "
                                   "vanishing ones do not learn; per-layer gradient norms and a "
                                   "learning-rate-0 twin tell which.")


# ====================================================================== layout


def preset_links(pinned=NO_TRAIN_PINS):
    """The presets; under a lesson link, each keeps its pins (a preset of the other model is
    left out when the link locks the model)."""
    links = {name: preset_query(name, pinned) for name in PRESETS}

    def text(name):  # and the pinned values this preset would have set otherwise
        kind, values = preset_values(name)
        part = pinned.part(kind)
        kept = [f"{n} stays {PARAMS[kind][n].format(part.link[n])}" for n in part.names
                if values[n] != part.link[n]]
        label = name.replace("_", " ")
        return [label, html.Span(f" ({', '.join(kept)})", className="preset-pinned")] if kept \
            else label

    return html.Div(className="control train-presets", children=[
        html.Label("Presets (each a story; press Start)"),
        html.Ul([html.Li([dcc.Link(text(name), id=f"{PAGE}-preset-{name}",
                                   href=dash.get_relative_path(f"/{PAGE}") + links[name]),
                          html.Span(f": {STORIES[name]}")])
                 for name in PRESETS if links[name] is not None]),
    ])


def pinned_control(page: str, param, value, pinned):
    """A parameter's control under the link's pins: as it is, locked, or (hidden) None."""
    if pinned.hidden(param.name):
        return None
    piece = param_control(page, param, value)
    tag_param(piece, param.name, param.label)
    return locked(piece) if param.name in pinned else piece


def shown(visible: bool) -> dict:
    return {} if visible else {"display": "none"}


def layout(**query_args):
    kind, values, notices = parse(query_args.get("kind", "ff"), query_args)
    pinned, said = pins(query_args, kind, values)
    notices += said
    panels = []
    for k, params in PARAMS.items():
        vals = values if k == kind else params.defaults()
        panels.append(html.Div(id=panel(k), style=shown(k == kind),
                               children=[c for c in (pinned_control(f"{PAGE}-{k}", p, vals[p.name],
                                                                    pinned) for p in params)
                                         if c is not None]))
    model = pinned_control(PAGE, KIND_PARAM, kind, pinned)
    controls = control_panel([preset_links(pinned), *([model] if model else []), *panels,
                              code_export(PAGE), dcc.Store(id=PINS, data=pinned.store())])
    run_bar = html.Div(className="train-run", style={"gridColumn": "1 / -1"}, children=[
        html.Div(className="train-buttons", children=[
            html.Button("Start", id=START, n_clicks=0, className="train-start"),
            html.Button("Stop", id=STOP, n_clicks=0, disabled=True, className="train-stop"),
            html.Progress(id=PROGRESS, value=0, max=1, className="train-progress"),
            html.Span("Not started.", id=PROGRESS_TEXT, className="train-progress-text"),
        ]),
        html.P(id=RUN_INFO, className="train-run-info"),
        html.Div(id=RUN_STATUS, className="train-run-status", role="status"),
    ])
    graphs = {}
    look = Look(query_args.get("dark") == "1", query_args.get("present") == "1")
    for (name, graph_id), fig in zip(GRAPHS.items(), train_figures.empty_figures()):
        graphs[name] = graph(graph_id, height=420 if name in ("heatmap", "hist") else 380)
        next(c for c in walk(graphs[name]) if isinstance(c, dcc.Graph)).figure = with_look(fig, look)
        # the text alternative of the empty figure (an embed of it shows this too)
        next(c for c in walk(graphs[name])
             if getattr(c, "id", None) == summary_id(graph_id)).children = NO_RUN
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
        markdown_file(HERE / "intro.md", className="intro"),
        notices, controls, [run_bar, graphs["loss"], graphs["metric"],
                            html.Div(graphs["heatmap"], style=wide), graphs["grads"],
                            graphs["weights"], hist], STATUS, QUERY,
        below=html.Div([
            markdown_file(HERE / "equations.md", PROSE, className="equations"),
            dcc.Store(id=TAB, data=secrets.token_hex(16)),  # this page load: one viewer
            dcc.Store(id=RUN), dcc.Store(id=SHOWN),
            # the page's look as a plotly template: the browser gives it to fetched figures
            dcc.Store(id=TEMPLATE, data=template_json(*look)),
            dcc.Interval(id=POLL, interval=POLL_MS, disabled=True),
        ]),
    )


# ====================================================================== callbacks

CONTROLS = {kind: {p.name: control(kind, p.name) for p in params}
            for kind, params in PARAMS.items()}


@callback(
    Output(QUERY, "data"), Output(STATUS, "children"),
    *[Output(panel(k), "style") for k in PARAMS],
    # a hidden parameter's controls are not on the page: optional inputs; the pins Store is one
    inputs=dict(kind=Input(KIND, "value", allow_optional=True),
                **{k: {n: Input(i, "value", allow_optional=True) for n, i in ids.items()}
                   for k, ids in CONTROLS.items()},
                pins=Input(PINS, "data")),
)
def update_controls(kind, ff, rnn, pins=None):
    pinned = read_pins(pins)
    kind, values, notices = parse_panels(kind, ff, rnn, pinned)
    return (query(kind, values, pinned), notice_list(notices),
            *[shown(k == kind) for k in PARAMS])


# The figures, then their text alternatives (assets/gradlab.js pollRun counts on that order),
# then the rest; the tab's run reference last.
RUN_OUTPUTS = [*[Output(g, "figure") for g in GRAPHS.values()],
               *[Output(summary_id(g), "children") for g in GRAPHS.values()],
               Output(RUN_STATUS, "children"), Output(RUN_INFO, "children"),
               Output(PROGRESS, "value"), Output(PROGRESS, "max"),
               Output(PROGRESS_TEXT, "children"), Output(SHOWN, "data"), Output(SLIDER, "max"),
               Output(SLIDER, "marks"), Output(SLIDER, "value"), Output(SLIDER, "disabled"),
               Output(START, "disabled"), Output(STOP, "disabled"), Output(POLL, "disabled"),
               Output(RUN, "data")]


@callback(
    *RUN_OUTPUTS,
    inputs=dict(start=Input(START, "n_clicks"), stop=Input(STOP, "n_clicks")),
    state=dict(ref=State(RUN, "data"), tab=State(TAB, "data"),
               kind=State(KIND, "value", allow_optional=True),
               **{k: {n: State(i, "value", allow_optional=True) for n, i in ids.items()}
                  for k, ids in CONTROLS.items()},
               pins=State(PINS, "data")),
    prevent_initial_call=True,
)
def run_control(start, stop, ref, tab, kind, ff, rnn, pins=None):
    """Start (attach this tab to the run of these settings) and Stop (detach it). The poll
    that follows the run is not a callback: see poll_run and assets/gradlab.js pollRun."""
    if not (isinstance(tab, str) and TAB_ID.fullmatch(tab)):
        return run_outputs(manager.refused("This page lost its tab id: reload it."), [], have=-1)
    rid = ref.get("id") if isinstance(ref, dict) else None
    have = ref.get("version") if isinstance(ref, dict) else -1
    have = have if isinstance(have, int) and not isinstance(have, bool) else -1
    try:
        if ctx.triggered_id == STOP:
            return run_outputs(manager.stop(rid, tab), [], have=have, stopped=True)
        kind, values, notices = parse_panels(kind, ff, rnn, read_pins(pins))
        try:
            config = engine_config(kind, values)
        except ValueError as err:
            notices.append(f"The training engine rejected this configuration: {err}")
            return run_outputs(manager.refused("Nothing was started."), notices, have=-1)
        return run_outputs(manager.start(config.to_dict(), tab, client_address()), notices,
                      have=-1, fresh=True)
    except Exception:  # noqa: BLE001  the store unreachable (Redis down, disk full): say so
        log.exception("the runs store failed")
        return run_outputs(UNAVAILABLE, [], have=-1)


UNAVAILABLE = manager.refused("Training is unavailable right now: the run store cannot be "
                              "reached. The other pages still work.")


def poll_run(rid, tab, have, seen_before) -> tuple[list | None, str | None]:
    """The poll of a tab that follows run `rid` (GET runs/poll, about once a second per tab):
    the page's run outputs — with the figures left out — and, when a newer snapshot exists,
    its version (the tab fetches its figures from GET runs/<rid>/figures/<version>.json,
    the run's stored JSON text, the same bytes for every tab). None when nothing changed."""
    if not (isinstance(tab, str) and TAB_ID.fullmatch(tab)):
        return run_outputs(manager.refused("This page lost its tab id: reload it."), [], have=-1,
                      inline=False), None
    try:
        polled = manager.poll(rid, tab, have)
    except Exception:  # noqa: BLE001
        log.exception("the runs store failed")
        return run_outputs(UNAVAILABLE, [], have=-1, inline=False), None
    if polled.active and not polled.new and seen(polled) == seen_before:
        return None, None  # nothing new since this tab's last poll
    return run_outputs(polled, [], have=have, inline=False), polled.version if polled.new else None


def seen(v) -> list:
    """What the tab shows of a run besides its snapshot: unchanged, a poll sends nothing."""
    return [v.status, v.ahead, v.running, v.viewers]


def run_outputs(v, notices: list[str], have: int, stopped: bool = False, fresh: bool = False,
                inline: bool = True) -> list:
    """Every run output of the page from one RunView. A new snapshot's figures were built once,
    where the run executes, for every viewer: here (inline) they only take this tab's look; a
    poll leaves them out and the browser fetches them itself."""
    attached = v.active and not stopped
    stored = manager.figures(v.id, v.version) if v.new and inline else None
    # the figures' sentences travel with the snapshot they describe (train_snapshot.sentences)
    said = (v.summary or {}).get("sentences") or [""] * len(GRAPHS)  # "": a run stored before
    if stored is not None:
        look = requested_look()
        figures, sentences = [with_look(f, look) for f in stored], said
    elif fresh and v.active:  # a new run, nothing streamed yet: clear the previous one's plots
        look = requested_look()
        figures = [with_look(f, look) for f in train_figures.empty_figures(train_figures.WAITING)]
        sentences = [WAITING] * len(GRAPHS)
    else:
        figures = [no_update] * len(GRAPHS)
        # a poll sends the new snapshot's sentences; the browser fetches its figures
        sentences = said if v.new and not inline else [no_update] * len(GRAPHS)
    hist = [no_update] * 5
    if v.status == "done" and v.hist_steps is not None:
        steps = v.hist_steps
        last = max(len(steps) - 1, 0)
        hist = [{"id": v.id, "kind": v.summary["kind"]}, last, view.slider_marks(steps), last,
                False]
    elif fresh:
        hist = [None, 0, {}, 0, True]
    ref = ({"id": v.id, "version": max(v.version, have), "seen": seen(v)} if attached
           else None)
    return [*figures, *sentences, view.run_status(v, notices), view.run_info(v, stopped), v.done,
            max(v.total, 1), view.progress_text(v), *hist, attached, not attached,
            not attached, ref]


# The poll: a plain GET per tab and second (app/pages/train/routes.py), not a Dash callback,
# and a GET of the figures only when the run has published new ones.
dash.clientside_callback(
    dash.ClientsideFunction(namespace="gradlab", function_name="pollRun"),
    *[Output(o.component_id, o.component_property, allow_duplicate=True) for o in RUN_OUTPUTS],
    Input(POLL, "n_intervals"), State(RUN, "data"), State(TAB, "data"), State(TEMPLATE, "data"),
    prevent_initial_call=True,
)


@callback(Output(GRAPHS["hist"], "figure", allow_duplicate=True),
          Output(summary_id(GRAPHS["hist"]), "children", allow_duplicate=True),
          Input(SLIDER, "value"), State(SHOWN, "data"), prevent_initial_call=True)
def redraw_histograms(k, shown):
    """The step slider of a finished run: its histograms at the k-th recorded step, read from
    the store once (only the tabs that move the slider ask for them), and their sentence."""
    kind = shown.get("kind") if isinstance(shown, dict) else "ff"
    pick = picked_histograms(k, shown)
    figure = train_figures.hist_figure(pick, kind if pick or kind in ("ff", "rnn") else "ff")
    return with_look(portable(figure), requested_look()), hist_sentence(pick, kind)


def picked_histograms(k, shown) -> dict | None:
    """The finished run's histograms at its k-th recorded step (clamped), None without them."""
    rid = shown.get("id") if isinstance(shown, dict) else None
    hist = manager.histograms(rid) if rid else None
    if not hist or not hist["steps"]:
        return None
    k = int(k) if isinstance(k, (int, float)) and not isinstance(k, bool) and k == k else 0
    return pick_hist(hist, min(max(k, 0), len(hist["steps"]) - 1))


mirror_query_to_url(QUERY)
