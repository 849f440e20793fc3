"""The PyTorch scripts (components/torch_code.py) against the pages they reproduce.

Each script runs in a subprocess (sys.executable), as a reader runs it, and every number it
prints is held to the figure data the page sends for the same URL, decoded as the browser gets
it (tests/dash_client.open_page: the routed layout's controls, then the page's callback; /train:
the figures its run process builds from a run's snapshot): ≤ 1e-6 relative, inf and NaN
exactly where the page has them. A state is a URL query, parsed as the route parses it
(app/code_route.parse: the page's own ParamSet).
"""
import ast
import json
import math
import os
import re
import subprocess
import sys
from urllib.parse import parse_qsl

import numpy as np
import pytest

from app.code_route import address, parse
from components.torch_code import PAGES, script
from components.torch_code_train import train_config
from tests.dash_client import decode, figure_traces, open_page

RTOL = 1e-6
LINE = re.compile(r"([A-Za-z_]\w*)\[(\d+)\] = (\S+)")
STATES = {
    "chain": ["", "w=1.5&b=0&x=1&n=50&act=tanh", "w=2&b=0&x=0.5&n=30&act=sigmoid",
              "w=2&b=2&x=2&n=200&act=relu",  # grows to ~1e60
              "w=1.2&b=-0.5&x=1&n=80&act=leaky_relu", "w=1&b=0.1&x=1&n=50&act=identity"],
    "matrix": ["", "eig=1.05,0.9,0.5&n=40&act=tanh&seed=0",
               "eig=1.2,0.8&d=4&rot=30&kappa=1.5&n=100&act=identity&seed=3",
               # chaotic: a torch forward pass leaves numpy's path by layer 40 (the script
               # follows the page's numpy path; its own would be 1e33 off)
               "eig=0.88&d=12&rot=157&kappa=2.4&n=200&act=tanh&seed=0",
               # ‖∂a_n/∂W_l‖_F is inf on the page (squares of entries > 1e154), so in the script
               "eig=1.5,1.2&d=16&rot=30&kappa=3&n=200&act=leaky_relu&seed=1",
               "eig=2,2,2&d=1&rot=0&n=200&act=relu&seed=1"],
    "rnn": ["", "act=tanh&d=32&T=100&init=spectral&rho=1&seed=0"
                "&cells=rnn,lstm,gru,irnn,orthogonal,residual,layernorm,attention",
            "act=identity&d=1&T=10&init=spectral&rho=0.5&seed=0&inputs=zero&h0=random&cells=rnn",
            "act=relu&d=16&T=500&init=orthogonal&seed=2&cells=",  # thinned: every 3rd step
            "act=identity&d=8&T=60&init=identity&rho=3&seed=5&cells=rnn,gru",
            "act=identity&d=64&T=500&init=spectral&rho=3&seed=0&cells=rnn",  # ‖∂L/∂h_k‖ = inf
            "act=tanh&d=64&T=500&init=spectral&rho=3&seed=0&cells=rnn,attention",  # chaotic
            "act=sigmoid&d=16&T=200&init=singular&rho=2&seed=7&inputs=zero&cells=gru,residual"],
    "train": ["kind=ff&depth=4&width=8&steps=12&batch=16",
              "kind=ff&task=regression&depth=6&width=8&norm=batch&res=on&clip=value&tau=0.5"
              "&act=relu&init=he&steps=10",
              "kind=ff&norm=layer&opt=adam&lr=0.01&init=orthogonal&clip=norm&tau=0.1"
              "&act=sigmoid&steps=8&seed=3",
              "kind=rnn&T=20&hidden=16&steps=10",
              "kind=rnn&task=adding&cell=lstm&T=15&hidden=16&clip=norm&steps=8",
              "kind=rnn&cell=gru&rinit=normal&gain=1.5&T=12&hidden=16&steps=6&opt=adam",
              "kind=rnn&T=20&hidden=16&alpha=0.1&clip=norm&steps=6",  # Pascanu's Ω
              # the exploding_rnn preset, 5 steps: huge at step 0, NaN at step 1, stopped
              "kind=rnn&task=adding&T=30&act=relu&gain=2&mom=0.9&batch=64&steps=5"],
}
CASES = [(page, q) for page in PAGES for q in STATES[page]]


def values_of(page: str, q: str) -> dict:
    values, notices = parse(page, dict(parse_qsl(q, keep_blank_values=True)))
    assert notices == [], notices  # every state above is a valid URL
    return values


def run_script(source: str, folder) -> dict[str, dict[int, float]]:
    """Run a script as a reader would; {name: {index: value}} of what it prints."""
    path = folder / "gradlab_script.py"
    path.write_text(source, encoding="utf-8")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "error"}
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          timeout=120, cwd=folder, env=env)
    assert done.returncode == 0 and not done.stderr, done.stderr[-3000:]
    out: dict[str, dict[int, float]] = {}
    for line in done.stdout.splitlines():
        match = LINE.fullmatch(line)
        assert match, f"not `name[index] = value`: {line!r}"
        out.setdefault(match[1], {})[int(match[2])] = float(match[3])
    return out


def trace(traces: list[dict], name: str) -> dict | None:
    return next((t for t in traces if t.get("name") == name), None)


def shown(traces: list[dict], line: str, marks: str | None = None, y: str = "y") -> dict:
    """{x: value} of the trace `line` as the figure carries it. Points a log axis cannot draw are
    gaps (NaN) in the line and markers of their own (components.figures.add_unplottable: "<marks>
    = 0 exactly" along the bottom, "<marks> overflowed" along the top with +inf, −inf or NaN):
    they are put back from the markers; a gap without a marker stays None (0 or not finite)."""
    t = trace(traces, line)
    assert t is not None, (line, [u.get("name") for u in traces])
    values = np.asarray(t[y], dtype=np.float64)
    out = {int(x): (None if np.isnan(v) and marks else float(v)) for x, v in zip(t["x"], values)}
    if marks:
        zero, bad = trace(traces, f"{marks} = 0 exactly"), trace(traces, f"{marks} overflowed")
        for x in (zero or {}).get("x", []):
            out[int(x)] = 0.0
        for x, text in zip(*[(bad or {}).get(k, []) for k in ("x", "customdata")]):
            out[int(x)] = {"+inf": math.inf, "−inf": -math.inf, "NaN": math.nan}[text]
    return out


def agree(printed: dict[int, float], figure: dict, what: str) -> None:
    """Every point of the figure is printed, equal to RTOL; inf/NaN where the figure has them."""
    for x, want in figure.items():
        assert x in printed, (what, x)
        got = printed[x]
        if want is None:
            ok = got == 0 or not math.isfinite(got)
        elif math.isnan(want):
            ok = math.isnan(got)
        elif math.isinf(want):
            ok = got == want
        else:
            ok = abs(got - want) <= RTOL * abs(want)
        assert ok, f"{what} at {x}: script {got!r}, page {want!r}"


def full_range(printed: dict[int, float], lo: int, hi: int, what: str) -> None:
    assert sorted(printed) == list(range(lo, hi + 1)), what


def train_figures(values: dict) -> dict[str, list[dict]]:
    """The /train figures a run process stores for this configuration (app/runs/execute.py): the
    run beside its LR = 0 twin, every step, then the final snapshot's figures as strict JSON."""
    from app.pages.train.ids import GRAPHS
    from app.pages.train.params import engine_config
    from components import train_figures as figures
    from components.figures import figures_json
    from components.train_snapshot import History
    from engine.training import Run, lr_zero_twin
    config = engine_config(values["kind"], {k: v for k, v in values.items() if k != "kind"})
    main, twin = Run(config), Run(lr_zero_twin(config))
    history = History(main.info)
    while not main.done:
        history.add(main.step(), None if twin.done else twin.step())
    built = json.loads(figures_json(figures.figures(history.snapshot(all_hists=True))))
    return {name: decode(f["data"]) for name, f in zip(GRAPHS, built)}


@pytest.fixture(scope="module")
def client():
    from app import server
    c = server.test_client()
    assert c.get("/").status_code == 200  # sets up the page router
    return c


def page_traces(client, page: str, q: str, graph: str) -> list[dict]:
    query = dict(parse_qsl(q, keep_blank_values=True))
    return figure_traces(open_page(client, f"/{page}", query, graph), graph)


# ---------------------------------------------------------------------------- the numbers

@pytest.mark.parametrize("q", STATES["chain"])
def test_chain_script_prints_the_gradient_figure(client, q, tmp_path):
    v = values_of("chain", q)
    printed = run_script(script("chain", v), tmp_path)["grad_w"]
    full_range(printed, 1, v["n"], "grad_w")
    traces = page_traces(client, "chain", q, "chain-gradients")
    # the autograd markers carry the signed values; the line (the closed form for σ = identity,
    # numpy's chain rule otherwise) agrees with them to rounding
    agree(printed, shown(traces, "torch autograd (▲ +, ▼ −)", y="customdata"), "autograd")
    line = next(t["name"] for t in traces if t["name"].startswith(("closed form", "chain rule")))
    agree(printed, shown(traces, line, y="customdata"), line)


@pytest.mark.parametrize("q", STATES["matrix"])
def test_matrix_script_prints_the_gradient_figure(client, q, tmp_path):
    v = values_of("matrix", q)
    printed = run_script(script("matrix", v), tmp_path)
    full_range(printed["grad_W"], 1, v["n"], "grad_W")
    full_range(printed["grad_a"], 0, v["n"], "grad_a")
    traces = page_traces(client, "matrix", q, "matrix-gradients")
    agree(printed["grad_W"], shown(traces, "‖∂aₙ/∂Wₗ‖_F", "‖∂aₙ/∂Wₗ‖_F"), "‖∂aₙ/∂Wₗ‖_F")
    agree(printed["grad_a"], shown(traces, "‖∂aₙ/∂aₗ‖₂"), "‖∂aₙ/∂aₗ‖₂")


@pytest.mark.parametrize("q", STATES["rnn"])
def test_rnn_script_prints_the_jacobian_and_remedies_figures(client, q, tmp_path):
    from components.rnn_figures import CELL_LABELS, MEASURED
    v = values_of("rnn", q)
    printed = run_script(script("rnn", v), tmp_path)
    assert set(printed) == {"jacobian_norm"} | {f"flow_{c}" for c in v["cells"]}
    norms = page_traces(client, "rnn", q, "rnn-norms")
    full_range(printed["jacobian_norm"], 0, v["T"], "jacobian_norm")
    agree(printed["jacobian_norm"], shown(norms, MEASURED, "‖∂h_T/∂h_k‖₂"), "‖∂h_T/∂h_k‖₂")
    flow = page_traces(client, "rnn", q, "rnn-flow")
    for cell in v["cells"]:
        full_range(printed[f"flow_{cell}"], 0, v["T"], cell)
        label = CELL_LABELS[cell]
        agree(printed[f"flow_{cell}"], shown(flow, label, f"‖∂L/∂h_k‖ ({label})"), cell)


@pytest.mark.parametrize("q", STATES["train"])
def test_train_script_trains_the_same_run(q, tmp_path):
    v = values_of("train", q)
    printed = run_script(script("train", v), tmp_path)
    figures = train_figures(v)
    loss, grads = figures["loss"], figures["grads"]
    steps = sorted(printed["loss"])
    assert steps == list(range(len(steps))) and 0 < len(steps) <= v["steps"]
    agree(printed["loss"], shown(loss, "run", "loss"), "loss")
    assert max(int(x) for x in trace(loss, "run")["x"]) == steps[-1]  # stopped where the run did
    if "omega" in printed:
        agree(printed["omega"], shown(loss, "Ω (regulariser, unweighted)", "Ω"), "Ω")
    # the weight groups the figure draws (at most 6 of them), by their names
    groups = [t["name"] for t in grads if f"grad_{t['name'].replace(' ', '_')}" in printed]
    assert groups
    for name in groups:
        agree(printed[f"grad_{name.replace(' ', '_')}"], shown(grads, name, name), name)
    total = next(t["name"] for t in grads if t["name"].startswith("all parameters"))
    agree(printed["grad_all"], shown(grads, total, total), "‖∂E/∂θ‖")


def test_the_exploding_preset_really_explodes(tmp_path):
    """The inf/NaN case above is one: NaN (or inf) at step 1, where the page's run stops too."""
    printed = run_script(script("train", values_of("train", STATES["train"][-1])), tmp_path)
    assert sorted(printed["loss"]) == [0, 1]
    assert math.isfinite(printed["loss"][0]) and not math.isfinite(printed["loss"][1])


# ---------------------------------------------------------------------------- the text

@pytest.mark.parametrize("page,q", CASES, ids=[f"{p}?{q}" for p, q in CASES])
def test_a_script_imports_only_numpy_and_torch_and_names_its_url(page, q):
    v = values_of(page, q)
    url = address(page, v)
    source = script(page, v, address=url)
    tree = ast.parse(source)
    imported = {a.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, (ast.Import, ast.ImportFrom))
                for a in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module)])}
    assert imported <= {"numpy", "torch"}, imported
    assert f"    {url}\n" in ast.get_docstring(tree, clean=False), url  # the canonical URL
    compile(source, "gradlab.py", "exec")


@pytest.mark.parametrize("page,q", [(p, q) for p, q in CASES if p != "train"]
                         + [(p, "") for p in PAGES if p != "train"])
def test_the_address_a_script_names_is_the_one_the_page_shows(client, page, q):
    """The URL in the docstring is the query the page's callback writes to the address bar."""
    v = values_of(page, q)
    shown = open_page(client, f"/{page}", dict(parse_qsl(q, keep_blank_values=True)),
                      f"{page}-status")  # the page's callback
    assert address(page, v) == f"/{page}" + shown["response"][f"{page}-query"]["data"]


def test_the_train_mapping_is_the_pages_engine_config():
    from app.pages.train.params import engine_config
    for q in STATES["train"] + ["kind=ff", "kind=rnn", "kind=rnn&cell=lstm&alpha=3&res=on"]:
        values, _ = parse("train", dict(parse_qsl(q, keep_blank_values=True)))
        page = engine_config(values["kind"], {k: x for k, x in values.items() if k != "kind"})
        mine = train_config(values)
        assert mine.replace(eval_every=page.eval_every, hist_every=page.hist_every) == page


def test_notices_become_comments_that_cannot_break_out():
    """A notice quotes the raw input: whatever it holds stays inside comment lines."""
    evil = "w = 1\nimport os; os.system('x')\r\x0bprint(1)\u2028\u2029\x85 is not a number"
    source = script("chain", values_of("chain", ""), [evil, "second"])
    head = source.split('"""', 1)[0]
    assert head.count("\n") == 3 and all(line.startswith("#") for line in head.splitlines())
    tree = ast.parse(source)
    assert not any(isinstance(n, ast.Import) and n.names[0].name == "os" for n in ast.walk(tree))
    assert ast.get_docstring(tree).startswith("GradLab /chain")


def test_an_unknown_page_has_no_script():
    with pytest.raises(ValueError):
        script("dynamics", {})
