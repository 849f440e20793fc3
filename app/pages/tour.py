"""/tour?step=N: the story in the seeds' order, one live figure per step.

Each step's prose, equation and "try this" prompt live in tour.md (one `## ` section per
step); the live figure is the step's page embedded with that step's preset state, and
"open in full page" goes to the page in the same state. ← and → move between steps
(assets/gradlab.js); the step is in the URL.
"""
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import dash
from dash import dcc, html, register_page

from components.params import Number, ParamSet
from components.theme import LOOK_FLAGS


@dataclass(frozen=True)
class Step:
    page: str      # the full page's path
    figure: str    # the figure's id on that page
    state: dict    # the page's URL parameters for this step


STEPS = (
    Step("/chain", "chain-gradients", {"w": 0.9, "b": 0, "x": 1, "n": 50, "act": "identity"}),
    Step("/chain", "chain-gradients", {"w": 1, "b": 0.1, "x": 1, "n": 50, "act": "identity"}),
    Step("/chain", "chain-gradients", {"w": 1.1, "b": 0, "x": 1, "n": 50, "act": "identity"}),
    Step("/matrix", "matrix-components",
         {"eig": "1.05,0.9,0.5", "d": 3, "rot": 0, "nn": 0, "n": 60, "act": "identity", "seed": 0}),
    Step("/chain", "chain-gradients", {"w": 2, "b": 0, "x": 0.5, "n": 30, "act": "sigmoid"}),
    Step("/rnn", "rnn-norms", {"act": "tanh", "d": 32, "T": 100, "init": "spectral", "rho": 1.1,
                               "seed": 0, "cells": "rnn,lstm"}),
    Step("/dynamics", "dynamics-gradient",
         {"w": 5, "b": -2.5, "x0": 0.5, "T": 50, "act": "sigmoid", "sweep": "b", "lo": -3.5,
          "hi": -1.5}),
    Step("/cliff", "cliff-surface", {"w0": 4.6, "b0": -2.365, "lr": 0.1, "clip": 1, "steps": 100,
                                     "view": "2d"}),
    Step("/rnn", "rnn-flow", {"act": "tanh", "d": 32, "T": 100, "init": "spectral", "rho": 1.0,
                              "seed": 0, "cells": "rnn,lstm,gru,irnn,orthogonal,residual,layernorm"}),
    Step("/train", "train-heatmap",  # the engine's "vanishing" preset
         {"kind": "ff", "task": "spirals", "depth": 30, "width": 32, "act": "sigmoid",
          "init": "small_normal", "norm": "none", "res": "off", "opt": "sgd", "lr": 0.005,
          "mom": 0.9, "clip": "none", "tau": 1, "steps": 1000, "batch": 64, "seed": 0}),
)
TEXT = Path(__file__).with_name("tour.md").read_text(encoding="utf-8")
SECTIONS = ["## " + s.strip().removeprefix("## ") for s in TEXT.split("\n## ") if s.strip()]
assert len(SECTIONS) == len(STEPS), "tour.md needs one section per step"
PARAMS = ParamSet((Number("step", "step", 1, 1, len(STEPS), integer=True),))

register_page(__name__, path="/tour", name="Guided tour", title="Guided tour · GradLab", order=0.5,
              description="The whole story in ten steps, each with a live figure: from a "
                          "product of numbers to training diagnostics.")


def _look(query: dict) -> dict:
    return {k: "1" for k in LOOK_FLAGS if query.get(k) == "1"}


def layout(**query):
    values, notices = PARAMS.parse(query)
    n = values["step"]
    step = STEPS[n - 1]
    state = urlencode({**step.state, **_look(query)})
    embed = dash.get_relative_path(f"/embed/{step.figure}") + f"?{state}&controls=1"
    full = dash.get_relative_path(step.page) + f"?{state}"

    def step_link(k: int, text: str, cls: str):
        if not 1 <= k <= len(STEPS):
            return html.Span(text, className=f"{cls} disabled")
        href = dash.get_relative_path("/tour") + "?" + urlencode({"step": k, **_look(query)})
        return dcc.Link(text, href=href, className=cls, id=f"tour-{cls}")

    return html.Div(className="page tour", children=[
        html.Div(className="url-notices", children=[html.Ul(className="notice notice-warning",
                 children=[html.Li(t) for t in notices])] if notices else []),
        html.Nav(className="tour-nav", children=[
            step_link(n - 1, "← previous", "tour-prev"),
            html.Span(f"step {n} of {len(STEPS)}", className="tour-count", id="tour-count"),
            step_link(n + 1, "next →", "tour-next"),
        ]),
        html.Div(className="tour-step", children=[
            dcc.Markdown(SECTIONS[n - 1], mathjax=True, className="tour-text"),
            html.Div(className="tour-figure-box", children=[
                html.Iframe(src=embed, className="tour-figure", id="tour-figure",
                            title=f"live figure for step {n}"),
                dcc.Link("open in full page →", href=full, className="tour-full", id="tour-full"),
            ]),
        ]),
        html.P("Keys: ← and → move between steps.", className="tour-keys"),
    ])
