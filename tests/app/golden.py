"""Golden figure data: what every page shows for a set of URLs, as digests, so a refactor can
prove that users see the same figures, prose and controls as before.

For each state (a page, its URL query, optionally a look) the page is opened as a browser
opens it: the page router's layout for the query, then the page's callback with the controls'
values. Recorded: the controls' values and the URL's notices from the layout, every text of
the status area, the canonical query, and per figure its title, axis titles, trace names and a
digest of the whole figure (data and layout, typed arrays decoded to float64; the template
only as a digest of its own, so a look is checked where a state asks for one).

    python -m tests.app.golden --write pages|train   # record (only on purpose, once reviewed)

/train's figures are recorded apart (golden_train_figures.json): those of short deterministic
runs, built from their snapshots as a run process builds them.
"""
import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np

from tests.dash_client import callback_for, control_values, decode, payload, post

GOLDEN = Path(__file__).with_name("golden_figures.json")
GOLDEN_TRAIN = Path(__file__).with_name("golden_train_figures.json")

# Every URL of the README, every page's defaults, the tour's states, the presets, and edges:
# overflow, replaced inputs, complex pairs, non-normality, every RNN cell, the 3-D cliff.
STATES = [
    ("/chain", "w=0.9&b=0&x=1&n=30&act=identity"),
    ("/matrix", "eig=1.05,0.9,0.5&n=40&act=tanh&seed=0"),
    ("/rnn", "act=tanh&d=32&T=100&init=spectral&rho=1.1&seed=0&cells=rnn,lstm"),
    ("/dynamics", "w=5&b=-2.5&sweep=b&lo=-3.5&hi=-1.5"),
    ("/cliff", "w0=4.6&b0=-2.365&lr=0.1&clip=1"),
    ("/chain", ""), ("/matrix", ""), ("/rnn", ""), ("/dynamics", ""), ("/cliff", ""),
    ("/chain", "w=1&b=0.1&x=1&n=50&act=identity"),
    ("/chain", "w=1.1&b=0&x=1&n=50&act=identity"),
    ("/chain", "w=2&b=0&x=0.5&n=30&act=sigmoid"),
    ("/chain", "w=2&b=2&x=2&n=200&act=relu"),
    ("/chain", "w=abc&n=5000&act=softmax"),
    ("/matrix", "eig=1.05,0.9,0.5&d=3&rot=0&nn=0&n=60&act=identity&seed=0"),
    ("/matrix", "eig=1.2,0.8&d=4&rot=30&nn=1.5&n=100&act=identity&seed=3"),
    ("/matrix", "eig=2,2,2&d=1&rot=45&n=200&act=relu&seed=1"),
    ("/matrix", "eig=1.1"),
    ("/rnn", "act=tanh&d=32&T=100&init=spectral&rho=1&seed=0"
             "&cells=rnn,lstm,gru,irnn,orthogonal,residual,layernorm,attention"),
    ("/rnn", "act=identity&d=1&T=10&init=spectral&rho=0.5&seed=0&inputs=zero&h0=random&cells=rnn"),
    ("/rnn", "act=relu&d=16&T=500&init=orthogonal&seed=2&cells="),
    ("/rnn", "act=identity&d=8&T=60&init=identity&rho=3&seed=5&cells=rnn,gru"),
    ("/rnn", "init=singular&rho=banana"),
    ("/dynamics", "w=5&b=-2.5&x0=0.5&T=50&act=sigmoid&sweep=b&lo=-3.5&hi=-1.5"),
    ("/dynamics", "w=8&b=-1&x0=0.2&T=80&act=sigmoid&sweep=w"),
    ("/dynamics", "w=3&b=0&x0=0.3&T=40&act=tanh&sweep=b&lo=1&hi=-1"),
    ("/dynamics", "w=0.5&b=0.2&act=identity&lo=2&hi=2"),
    ("/dynamics", "w=-6&b=1&x0=0.1&T=120&act=tanh&sweep=b&lo=-4&hi=4"),
    ("/cliff", "w0=4.6&b0=-2.365&lr=0.1&clip=1&steps=100&view=2d"),
    ("/cliff", "w0=5&b0=-3&lr=0.1&clip=1&steps=100"),
    ("/cliff", "w0=3&b0=-4&lr=1&clip=0.01&steps=300&view=3d"),
    ("/cliff", "w0=99&lr=x"),
    # looks: the same state in dark and in presenter mode
    ("/chain", "w=0.9&dark=1"), ("/rnn", "T=20&present=1"), ("/cliff", "dark=1&present=1"),
]
LOOK_FLAGS = ("dark", "present")


def _plain(value):
    """JSON-ready with floats exact: typed arrays decoded, numbers as repr'd float64."""
    value = decode(value)
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float, np.number)):
        f = float(value)
        return "NaN" if math.isnan(f) else repr(f)
    return value


def digest(value) -> str:
    text = json.dumps(_plain(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# Another CPU may round a matrix product or an SVD differently in the last bit (BLAS kernels
# are chosen per CPU), so besides the exact digest a figure is recorded as its structure (every
# string, key, shape and non-finite position: exact) and its numbers (per array: samples, sum
# and sum of |·|, held to RTOL). The exact digest decides on the recording machine.
RTOL, SAMPLES = 1e-6, 16


def _is_number(v) -> bool:
    return v is None or (isinstance(v, (int, float, np.number)) and not isinstance(v, bool))


def _numeric(value) -> bool:
    """A (nested) list of numbers (None: a gap): one data array."""
    if isinstance(value, list):
        return bool(value) and all(_numeric(v) if isinstance(v, list) else _is_number(v)
                                   for v in value)
    return False


def _summary(values) -> list:
    a = np.array(values, dtype=np.float64).ravel()  # None → NaN
    finite = np.isfinite(a)
    mask = hashlib.sha256(np.isnan(a).tobytes() + np.isposinf(a).tobytes()).hexdigest()[:12]
    picks = np.unique(np.linspace(0, a.size - 1, min(SAMPLES, a.size)).round().astype(int))
    show = [float(v) if np.isfinite(v) else repr(float(v)) for v in a[picks]]
    return [a.size, mask, *show, float(a[finite].sum()), float(np.abs(a[finite]).sum())]


def fingerprint(value, path: str = "", numbers: dict | None = None):
    """(structure digest, {path: summary}) of a figure: numbers stand as "#" in the structure."""
    top = numbers is None
    numbers = {} if top else numbers

    def walk(v, at):
        v = decode(v)
        if isinstance(v, np.ndarray):
            v = v.tolist()
        if isinstance(v, dict):
            return {k: walk(x, f"{at}.{k}") for k, x in v.items()}
        if isinstance(v, tuple):
            v = list(v)
        if _numeric(v):
            numbers[at] = _summary(v)
            return f"#{np.shape(v)}"
        if isinstance(v, list):
            return [walk(x, f"{at}[{i}]") for i, x in enumerate(v)]
        if _is_number(v) and v is not None:
            numbers[at] = _summary([v])
            return "#"
        return v

    structure = walk(value, path)
    text = json.dumps(structure, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16], numbers


def same_numbers(new: dict, old: dict) -> list[str]:
    """The paths whose numbers differ beyond rounding (RTOL of the array's largest value)."""
    bad = [p for p in old.keys() ^ new.keys()]
    for p in old.keys() & new.keys():
        a, b = old[p], new[p]
        if a[:2] != b[:2] or len(a) != len(b):
            bad.append(p)
            continue
        scale = max([abs(v) for v in a[2:] if isinstance(v, float)] + [0.0])
        for x, y in zip(a[2:], b[2:]):
            if isinstance(x, str) or isinstance(y, str):
                ok = x == y
            else:
                ok = abs(x - y) <= RTOL * max(abs(x), 1e-6 * scale)
            if not ok:
                bad.append(p)
                break
    return sorted(bad)


def same_figure(new: dict, old: dict) -> list[str]:
    """What differs between two recorded figures: [] when they are the same figure."""
    if new == old:
        return []
    head = [k for k in ("title", "x", "y", "traces", "structure", "template") if new.get(k) != old.get(k)]
    return head + same_numbers(new["numbers"], old["numbers"])


def texts(node) -> list[str]:
    """Every string of a rendered component tree (as the callback returns it), in order."""
    if isinstance(node, str):
        return [node] if node.strip() else []
    if isinstance(node, (int, float)) and not isinstance(node, bool):
        return [str(node)]
    if isinstance(node, list):
        return [t for n in node for t in texts(n)]
    if isinstance(node, dict):
        return texts(node.get("props", {}).get("children"))
    return texts(getattr(node, "children", None)) if hasattr(node, "children") else []


def _title(part) -> str | None:
    if isinstance(part, dict):
        title = part.get("title")
        return title.get("text") if isinstance(title, dict) else title
    return None


def snapshot(client, path: str, query: str) -> dict:
    import dash
    from urllib.parse import parse_qsl
    from dash import dcc
    from components.layout import walk
    args = dict(parse_qsl(query, keep_blank_values=True))
    page = next(p for p in dash.page_registry.values() if p["path"] == path)
    layout = page["layout"](**args)
    controls = control_values(layout)
    graphs = [c.id for c in walk(layout) if isinstance(c, dcc.Graph)]
    notices = [t for c in walk(layout) if "url-notices" in (getattr(c, "className", "") or "")
               for t in texts(c.children)]
    spec = callback_for(client, graphs[0])
    referrer = f"http://localhost{path}?{query}"
    status, response, _ = post(client, payload(spec, controls, initial=True),
                               environ={"HTTP_REFERER": referrer})
    assert status == 200, response
    out = response["response"]
    page_id = path.strip("/")
    shot = {"controls": {k: _plain(v) for k, v in sorted(controls.items())},
            "url_notices": notices,
            "status": texts(out[f"{page_id}-status"]["children"]),
            "query": out[f"{page_id}-query"]["data"], "figures": {}}
    look = any(f"{flag}=1" in query for flag in LOOK_FLAGS)
    for graph in graphs:
        figure = dict(out[graph]["figure"])
        layout_ = dict(figure.get("layout", {}))
        template = layout_.pop("template", None)
        shot["figures"][graph] = {
            **figure_digest({**figure, "layout": layout_}),
            **({"template": digest(template)} if look else {}),
        }
    return shot


# /train's figures are built from a run's snapshot (components/train_figures.py): short,
# deterministic runs (a preset or config, steps) and their figures, streaming and final.
TRAIN_RUNS = [
    ("vanishing", {}, 40), ("exploding_rnn", {}, 5),
    ("temporal_order_clip_omega", {"seq_len": 20, "hidden": 16}, 25),
    (None, {"kind": "ff", "task": "regression", "depth": 6, "width": 8, "norm": "batch",
            "residual": True, "clip": "value", "clip_threshold": 0.5}, 30),
    (None, {"kind": "rnn", "task": "adding", "cell": "lstm", "seq_len": 15, "hidden": 16}, 20),
]


def figure_digest(figure: dict) -> dict:
    """A built figure (plotly JSON) as the golden record keeps it (its template apart)."""
    layout_ = dict(figure.get("layout", {}))
    layout_.pop("template", None)
    body = {"data": figure["data"], "layout": layout_}
    structure, numbers = fingerprint(body)
    return {"title": _title(layout_), "x": _title(layout_.get("xaxis")),
            "y": _title(layout_.get("yaxis")),
            "traces": [f"{t.get('type', 'scatter')}: {t.get('name')}" for t in figure["data"]],
            "digest": digest(body), "structure": structure, "numbers": numbers}


def train_history(preset, changes: dict, steps: int):
    """(config, History) of a short deterministic run and its LR = 0 twin, stepped to the end
    in this process as a run process would (snapshots every 5 steps)."""
    from components.train_snapshot import History
    from engine.training import PRESETS, Run, config_from_dict, lr_zero_twin
    base = PRESETS[preset].to_dict() if preset else {}
    config = config_from_dict({**base, **changes, "steps": steps, "eval_every": 5,
                               "hist_every": 5})
    main, twin = Run(config), Run(lr_zero_twin(config))
    history = History(main.info)
    while not main.done:
        history.add(main.step(), None if twin.done else twin.step())
    return config, history


def train_figures_shot() -> dict:
    """Every /train figure for the runs of TRAIN_RUNS (streaming and final snapshots, the
    histogram slider's first step), and the figures before a run."""
    from components import train_figures
    from components.figures import portable
    from components.train_snapshot import pick_hist
    out = {"empty": [figure_digest(f) for f in train_figures.empty_figures()],
           "waiting": [figure_digest(f)
                       for f in train_figures.empty_figures(train_figures.WAITING)]}
    for preset, changes, steps in TRAIN_RUNS:
        config, history = train_history(preset, changes, steps)
        history.elapsed = 1.5  # the wall time is the machine's, not the figure's
        label = preset or f"{config.kind}-{changes.get('task')}"
        for all_hists in (False, True):
            snap = history.snapshot(all_hists=all_hists)
            figs = [portable(f) for f in train_figures.figures(snap)]
            out[f"{label}/{'final' if all_hists else 'streaming'}"] = [figure_digest(f)
                                                                       for f in figs]
        out[f"{label}/hist 0"] = figure_digest(portable(train_figures.hist_figure(
            pick_hist(snap["hist"], 0), snap["kind"])))
    return out


def capture(client) -> dict:
    return {f"{path}?{query}": snapshot(client, path, query) for path, query in STATES}


if __name__ == "__main__":
    which = sys.argv[sys.argv.index("--write") + 1] if "--write" in sys.argv else None
    if which == "train":
        data, target = train_figures_shot(), GOLDEN_TRAIN
    else:
        from app import server
        client = server.test_client()
        assert client.get("/").status_code == 200
        data, target = capture(client), GOLDEN
    if which:
        target.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {len(data)} entries to {target}")
    else:
        print(json.dumps(data, indent=1, ensure_ascii=False)[:3000])
