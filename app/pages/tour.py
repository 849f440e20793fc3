"""/tour?step=N: the story in the seeds' order, one live figure per step.

Each step's prose, equation and "try this" prompt live in tour.md (one `## ` section per
step); the live figure is the step's page embedded with that step's preset state, and
"open in full page" goes to the page in the same state. ← and → move between steps
(assets/gradlab.js); the step is in the URL.

A number in the prose that depends on the step's state is never typed: tour.md writes
{{name}}, and the step's `facts` computes it from the engine for that state, through the
page's own functions (tests/app/test_claims.py holds each sentence against the figure data).
"""
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable
from urllib.parse import urlencode

import dash
import numpy as np
from dash import dcc, html, register_page

from components.params import Number, ParamSet
from components.text import fill, fmt
from components.theme import LOOK_FLAGS


def chain_facts(state) -> dict:
    from app.pages.chain import PARAMS
    from engine.chain import reference_chain
    c = reference_chain(**PARAMS.engine_args(PARAMS.parse(state)[0]))
    return {"w": state["w"], "n": state["n"], "first": c.backprop[1], "input": c.backprop[0],
            "grad": c.grad_w[0], "a_n": c.activations[-1], "grad_first": c.grad_w[0],
            "grad_last": c.grad_w[-1], "bound": c.backprop_bound[0]}


def matrix_facts(state) -> dict:
    from app.pages.matrix import PARAMS
    from engine.chain import matrix_chain_from_eigenvalues
    v, _ = PARAMS.parse(state)
    chain = matrix_chain_from_eigenvalues(**PARAMS.engine_args(v))
    last = chain.eigen_coordinates[-1]
    order = np.argsort(-last)
    return {"eig": ", ".join(fmt(e) for e in v["eig"]), "n": v["n"],
            "lead": chain.eigenvalues[order[0]].real, "ratio": last[order[0]] / last[order[1]]}


def _rnn(state):
    from app.pages.rnn import PARAMS
    values, _ = PARAMS.parse(state)
    args = PARAMS.engine_args(values)
    return values, args.pop("cells"), args


def bptt_facts(state) -> dict:
    from engine.rnn import bptt
    _, _, args = _rnn(state)
    r = bptt(**args)
    return {"bound_factor": r.bound_factor, "end": r.jacobian_norms[-1], "rate": r.rate}


def remedy_facts(state) -> dict:
    from components.rnn_figures import CELL_LABELS
    from engine.cells import gradient_flow
    values, cells, args = _rnn(state)
    first = {cell: curve[0] for cell, curve in gradient_flow(cells, **args).items()}
    best = min((c for c in first if c != "rnn"), key=lambda c: abs(np.log10(first[c])))
    return {"T": values["T"], "rnn": first["rnn"], "lstm": first["lstm"], "best": first[best],
            "best_cell": CELL_LABELS[best]}


def dynamics_facts(state) -> dict:
    from app.pages.dynamics import PARAMS
    from engine.dynamics import explore
    values, _ = PARAMS.parse(state)
    sweep = explore(**PARAMS.engine_args(values)).sweep
    return {"x0": values["x0"], "crossing": sweep.crossing, "at_crossing": sweep.crossing_gradient,
            "peak": sweep.peak, "edge": max(abs(sweep.dxT[0]), abs(sweep.dxT[-1]))}


def cliff_facts(state) -> dict:
    from app.pages.cliff import PARAMS
    from engine.cliff import descend_from
    r = descend_from(**PARAMS.engine_args(PARAMS.parse(state)[0]))
    return {"big": r.largest_step, "cap": r.cap, "ratio": r.ratio}


@dataclass(frozen=True)
class Step:
    page: str      # the full page's path
    figure: str    # the figure's id on that page
    state: dict    # the page's URL parameters for this step
    facts: Callable[[dict], dict] | None = None  # the {{name}}s of its prose, from the engine


STEPS = (
    Step("/chain", "chain-backprop", {"w": 0.9, "b": 0, "x": 1, "n": 50, "act": "identity"},
         chain_facts),
    Step("/chain", "chain-backprop", {"w": 1, "b": 0.1, "x": 1, "n": 50, "act": "identity"},
         chain_facts),
    Step("/chain", "chain-backprop", {"w": 1.1, "b": 0, "x": 1, "n": 50, "act": "identity"},
         chain_facts),
    Step("/matrix", "matrix-components",
         {"eig": "1.05,0.9,0.5", "d": 3, "rot": 0, "kappa": 0, "n": 60, "act": "identity", "seed": 0},
         matrix_facts),
    Step("/chain", "chain-backprop", {"w": 2, "b": 0, "x": 0.5, "n": 30, "act": "sigmoid"},
         chain_facts),
    Step("/rnn", "rnn-norms", {"act": "tanh", "d": 32, "T": 100, "init": "spectral", "rho": 1.1,
                               "seed": 0, "cells": "rnn,lstm"}, bptt_facts),
    Step("/dynamics", "dynamics-gradient",
         {"w": 5, "b": -2.5, "x0": 0.5, "T": 50, "act": "sigmoid", "sweep": "b", "lo": -3.5,
          "hi": -1.5}, dynamics_facts),
    Step("/cliff", "cliff-stepsizes", {"w0": 4.6, "b0": -2.365, "lr": 0.1, "clip": 1,
                                       "steps": 100, "view": "2d"}, cliff_facts),
    Step("/rnn", "rnn-flow", {"act": "tanh", "d": 32, "T": 100, "init": "spectral", "rho": 1.0,
                              "seed": 0, "cells": "rnn,lstm,gru,irnn,orthogonal,residual,layernorm,attention"},
         remedy_facts),
    Step("/train", "train-heatmap",  # the engine's "vanishing" preset
         {"kind": "ff", "task": "spirals", "depth": 30, "width": 32, "act": "sigmoid",
          "init": "small_normal", "norm": "none", "res": "off", "opt": "sgd", "lr": 0.005,
          "mom": 0.9, "clip": "none", "tau": 1, "steps": 1000, "batch": 64, "seed": 0}),
)
TEXT = Path(__file__).with_name("tour.md").read_text(encoding="utf-8")
SECTIONS = ["## " + s.strip().removeprefix("## ") for s in TEXT.split("\n## ") if s.strip()]
assert len(SECTIONS) == len(STEPS), "tour.md needs one section per step"


@lru_cache(maxsize=None)
def step_text(n: int) -> str:
    """Step n's markdown with every {{name}} replaced by the engine's value for its state
    (computed once per process: a step's state is fixed)."""
    step = STEPS[n - 1]
    facts = step.facts(step.state) if step.facts else {}
    return fill(SECTIONS[n - 1], facts)
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
            return html.Span(text, className=f"{cls} disabled", **{"aria-disabled": "true"})
        href = dash.get_relative_path("/tour") + "?" + urlencode({"step": k, **_look(query)})
        return dcc.Link(text, href=href, className=cls, id=cls)

    return html.Div(className="page tour", children=[
        html.Div(className="url-notices", children=[html.Ul(className="notice notice-warning",
                 children=[html.Li(t) for t in notices])] if notices else []),
        html.Nav(className="tour-nav", **{"aria-label": "Tour steps"}, children=[
            step_link(n - 1, "← previous", "tour-prev"),
            html.Span(f"step {n} of {len(STEPS)}", className="tour-count", id="tour-count"),
            step_link(n + 1, "next →", "tour-next"),
        ]),
        html.Div(className="tour-step", children=[
            dcc.Markdown(step_text(n), mathjax=True, className="tour-text"),
            html.Div(className="tour-figure-box", children=[
                html.Iframe(src=embed, className="tour-figure", id="tour-figure",
                            title=f"live figure for step {n}"),
                dcc.Link("open in full page →", href=full, className="tour-full", id="tour-full"),
            ]),
        ]),
        html.P("Keys: ← and → move between steps.", className="tour-keys"),
    ])
