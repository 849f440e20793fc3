"""Bad input, generated: thousands of hostile requests at every callback and every page URL.

Every callback in `dash_app.callback_map` (the pages' callbacks, the clientside ones, Dash's
page router and the training run's Start/Stop/poll callback: enumerated, so a
new callback is covered without touching this file) and every page and /embed/<figure> URL
get payloads a browser would never send: wrong types, NaN and ±Infinity (as the JSON tokens
Python emits and as strings), 1e308, huge and negative integers, 100,000-character strings,
JSON nested up to 100,000 levels, missing and extra fields, unknown outputs, non-JSON bodies,
wrong content types, garbage handles and Referer headers.

The answer is always one of
  * 200 with strict JSON (no NaN/Infinity tokens, which a browser's JSON.parse rejects), every
    figure a plotly figure (a data list and a layout dict), and, when exactly one control got
    a value its parameter rejects, that parameter's own notice in the response;
  * 204;
  * 4xx with a short body: no traceback, no file path; only for requests that are malformed
    as requests (a well-formed request with bad values is answered with 200 and a notice);
and never a 5xx. Each request must take the server under a second: its CPU time, which the
load of a shared machine does not inflate (the test client runs the request in the test's
thread); slow requests are collected and reported together by the last test, so one slow
setting fails once, and the results cache is switched off so that it is slow every time.

Hypothesis is derandomized (the same examples on every run and machine), keeps no database and
does not shrink (an example may take a second; the failure shows the abbreviated request). A
valid payload at the training callback's Start queues a real run in a store of the fuzz's own;
the per-client limit bounds how many. The file takes about 35 s on the 2-core machine.

Why one long module (~850 lines): the strategies, the payload builders and the ledger of every
request's CPU time are shared by all its tests, and the ledger's test must run after them all.
"""
import gc
import inspect
import json
import logging
import math
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, quote

import dash
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from app import dash_app, server
from components.controls import control_id
from components.layout import walk
from components.params import ParamSet
from tests.conftest import isolated_runs
from tests.dash_client import payload

LIMIT_S = 1.0        # every request, also the slowest setting a bad value clamps to
SHORT_BODY = 300     # bytes of a 4xx answer
ENDPOINT = dash_app.config.requests_pathname_prefix + "_dash-update-component"
FIGURE_PROPS = {"figure"}
ROOT = Path(__file__).resolve().parents[2]
# what a traceback or a debugger page shows
LEAKS = re.compile(r"Traceback \(most recent|File \"[^\"]*\", line|site-packages/|Werkzeug Debugger"
                   r"|__debugger__|" + re.escape(str(ROOT)))


def _settings(examples: int):
    # no shrinking: an example can take a second, and minimising one took minutes; the
    # failure message shows the (abbreviated) request instead
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.generate], report_multiple_bugs=False,
                    suppress_health_check=list(HealthCheck), print_blob=False)


# ------------------------------------------------------------------ what the app declares


def _registered_callbacks() -> list[str]:
    # Dash adds the page router and merges the pages' callbacks on the first request
    assert server.test_client().get("/").status_code == 200
    return sorted(dash_app.callback_map)


CALLBACKS = _registered_callbacks()
CLIENTSIDE = {k for k, v in dash_app.callback_map.items() if "callback" not in v}
# the app's own callbacks validate every value (components/params.py); Dash's page router
# expects what the browser sends and may refuse the rest
OURS = {k for k, v in dash_app.callback_map.items()
        if "callback" in v and inspect.unwrap(v["callback"]).__module__.startswith("app.")}


def _short_id(output: str) -> str:
    parts = [p for p in output.strip(".").split("...") if p]
    head = parts[0].split("@")[0] if parts else output
    return head[:40] + (f"+{len(parts) - 1}" if len(parts) > 1 else "")


def _pages():
    return [(page, sys.modules[page["module"]]) for page in dash.page_registry.values()]


def _control_params() -> dict[str, object]:
    """Component id → the parameter (components/params.py) that validates that control.

    Pages name their controls control_id(PAGE, name) for each parameter of their ParamSet
    PARAMS; a page with several models (a dict of ParamSets, the first the default) names them
    control_id(f"{PAGE}-{model}", name), and only the default model's controls are live in
    the default layout."""
    found = {}
    for _, module in _pages():
        page, params = getattr(module, "PAGE", None), getattr(module, "PARAMS", None)
        if page is None:
            continue
        if isinstance(params, ParamSet):
            found.update({control_id(page, p.name): p for p in params})
        elif isinstance(params, dict) and params:
            model, first = next(iter(params.items()))
            found.update({control_id(f"{page}-{model}", p.name): p for p in first})
    return found


def _url_params(module) -> dict[str, list]:
    """URL name → the parameter(s) that validate it on this page (for a page with several
    models only the names every model validates, with each model's parameter)."""
    params = getattr(module, "PARAMS", None)
    if isinstance(params, ParamSet):
        return {p.name: [p] for p in params}
    if isinstance(params, dict) and params:
        sets = list(params.values())
        common = set.intersection(*(set(s.names) for s in sets))
        return {name: [s[name] for s in sets] for name in common}
    return {}


def _baseline() -> dict[tuple[str, str], object]:
    """(component id, property) → its value in the pages' default layouts: the valid request
    a browser sends on page load, into which the bad values go."""
    values = {}
    for page, _ in _pages():
        if not callable(page["layout"]) or page.get("path_template"):
            continue
        for component in walk([dash_app.layout(), page["layout"]()]):
            component_id = getattr(component, "id", None)
            if isinstance(component_id, str):
                for prop in component._prop_names:
                    value = getattr(component, prop, None)
                    if value is not None and not hasattr(value, "to_plotly_json"):
                        values.setdefault((component_id, prop), value)
    return values


CONTROL_PARAMS = _control_params()
BASELINE = _baseline()


# ------------------------------------------------------------------ hostile values


RAW = {}  # marker → Raw


class Raw(str):
    """JSON text json.dumps cannot write, spliced into the request text where this marker
    string stands (see encode)."""

    def __new__(cls, name: str):
        self = super().__new__(cls, f"__raw_{name}__")
        RAW[str(self)] = self
        return self


class Deep(Raw):
    """JSON nested `depth` levels (json.dumps would hit the recursion limit)."""

    def __new__(cls, depth: int, open_: str = "["):
        self = super().__new__(cls, f"deep{open_}{depth}")
        self.depth, self.open = depth, open_
        # the server's JSON parser may stop at its recursion limit: then the whole body is a
        # malformed request (400), not a value the callback could answer with a notice
        self.refusable = depth >= 500
        return self

    def text(self) -> str:
        if self.open == "[":
            return "[" * self.depth + "]" * self.depth
        return '{"a":' * self.depth + "1" + "}" * self.depth

    def value(self):
        """What the server decodes (for the notice the parameter would give), capped: every
        depth past a few levels reads the same in a notice."""
        node = 1 if self.open == "{" else []
        for _ in range(min(self.depth, 50)):
            node = [node] if self.open == "[" else {"a": node}
        return node

    def __repr__(self):
        return f"<JSON nested {self.depth} levels>"


class Huge(Raw):
    """An integer of `digits` digits: past 4300 Python refuses to read it from text, and the
    server refuses the whole body (400)."""

    def __new__(cls, digits: int):
        self = super().__new__(cls, f"huge{digits}")
        self.digits, self.refusable = digits, digits > 4300
        return self

    def text(self) -> str:
        return "1" + "0" * (self.digits - 1)

    def value(self):
        return 10 ** (self.digits - 1) if not self.refusable else None

    def __repr__(self):
        return f"<an integer of {self.digits} digits>"


LONG = "x" * 100_000
EXTREMES = [
    None, True, False, 0, -1, 1, 2, 10**30, -10**30, 2**63, -2**63 - 1, 10**400, Huge(4000),
    Huge(5000),
    1e308, -1e308, 1.7976931348623157e308, 5e-324, -0.0, 0.5, math.nan, math.inf, -math.inf,
    "", " ", "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "-Infinity", "1e999", "-1e999",
    "1e308", "1e-400", "0x10", "1_000", "٣", "１２", "  7  ", "1,2,3", ",,,", "null", "true",
    "[]", "{}", LONG, "9" * 5000, "<script>alert(1)</script>", "\x00", "\ud800", "\U0001f600" * 50,
    "'; DROP TABLE x; --", "../../etc/passwd", "%s%n%x", "{{7*7}}", "\u202eabc", "a\nb\rc",
    [], {}, [1, 2], [None], [math.nan], ["1"], [[1]], {"$gt": 1}, {"__proto__": {"x": 1}},
    list(range(1000)), [LONG] * 3, {"a": {"b": {"c": None}}}, ["rnn", "lstm"], ["rnn"] * 300,
    {"points": []}, {"points": [{}]}, {"points": "x"}, {"points": [{"x": 1e308, "y": "nan"}]},
    {"points": [{"x": None, "y": None, "curveNumber": -1, "pointIndex": 10**30}]},
    Deep(50), Deep(200, "{"), Deep(999), Deep(1000), Deep(100_000),
]
# integers as JSON carries them: Python refuses to read more than 4300 digits (see Huge)
integers = st.integers(-10**40, 10**40)
json_scalars = (st.none() | st.booleans() | integers | st.floats() | st.text(max_size=12))
json_trees = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                          max_leaves=12)
BAD = st.one_of(st.sampled_from(EXTREMES), integers, st.floats(), st.text(max_size=16),
                json_trees)


def near_valid(param) -> st.SearchStrategy:
    """Values at and around a parameter's valid set (its edges, default, options, numbers as
    text): the engine's extremes are reached through valid values too."""
    options = getattr(param, "options", None)
    out = [st.just(param.default)]
    if options:
        out += [st.sampled_from(options), st.lists(st.sampled_from(options), max_size=8),
                st.sampled_from([o.upper() for o in options] + [",".join(options)])]
    lo, hi = getattr(param, "lo", None), getattr(param, "hi", None)
    if lo is not None:
        numbers = st.floats(min_value=lo, max_value=hi) | st.sampled_from([lo, hi, (lo + hi) / 2])
        out += [numbers, numbers.map(repr), st.sampled_from([lo - 1, hi + 1, hi * 10 + 1])]
        out += [st.lists(numbers, min_size=1, max_size=20)]
    return st.one_of(out)


def value_for(target) -> st.SearchStrategy:
    param = CONTROL_PARAMS.get(target[0]) if target[1] == "value" else None
    base = BASELINE.get(target[:2])
    choices = [BAD, BAD]
    if param is not None:
        choices.append(near_valid(param))
    if isinstance(base, list) and base:
        choices.append(st.lists(st.sampled_from(base) | BAD, max_size=len(base) + 2))
    return st.one_of(choices)


def refusable(value) -> bool:
    return bool(getattr(value, "refusable", False))


def server_value(value):
    return value.value() if isinstance(value, Raw) else value


def encode(body) -> bytes:
    """The request text, as Python's json writes it (NaN and Infinity as bare tokens), with
    each Raw marker replaced by the JSON text it stands for."""
    text = re.sub(r'"(__raw_[^"]+__)"', lambda m: RAW[m[1]].text(), json.dumps(body))
    return text.encode("utf-8", "surrogatepass")


# ------------------------------------------------------------------ sending and judging


@dataclass
class Ledger:
    """Every request of the module: how many, and the slow ones (reported at the end)."""

    count: int = 0
    notices: int = 0  # expected notices found
    slow: list = field(default_factory=list)
    by_test: dict = field(default_factory=dict)


LEDGER = Ledger()


class _Errors(logging.Handler):
    """The app's log of the last exception it turned into a 400 (for the failure messages;
    only the last: a kept traceback keeps every frame of its request alive)."""

    def __init__(self):
        super().__init__()
        self.record = None

    def emit(self, record):
        self.record = record

    def last(self) -> str:
        return logging.Formatter().format(self.record)[-2500:] if self.record else ""


@pytest.fixture(scope="module")
def app_errors():
    logger = logging.getLogger("app")
    handler, propagate = _Errors(), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False  # thousands of expected 400s: kept here, not in pytest's capture
    yield handler
    logger.removeHandler(handler)
    logger.propagate = propagate


@pytest.fixture(scope="module")
def quiet_app(client, app_errors, tmp_path_factory):
    """The app as the fuzz sees it: no results cache (each request computes, so a slow
    setting is slow every time and a failure replays), and a runs store and pool of its own
    (a valid payload at the run callback queues a real run; the per-client limit bounds them,
    and the pool is stopped with its runs at the end)."""
    with pytest.MonkeyPatch.context() as mp, \
            isolated_runs(tmp_path_factory.mktemp("fuzz-runs"), mp):
        cache = sys.modules.get("app.cache")
        if cache is not None and hasattr(getattr(cache, "RESULTS", None), "size"):
            mp.setattr(cache.RESULTS, "size", 0)
        # the garbage collector then skips everything loaded so far (torch, dash, the test
        # session): a collection inside a timed request costs what the request costs
        gc.collect()
        gc.freeze()
        try:
            yield client
        finally:
            gc.unfreeze()
    for test, count in LEDGER.by_test.items():
        print(f"{test}: {count} requests")
    print(f"test_fuzz: {LEDGER.count} requests in total, {LEDGER.notices} expected notices seen")


def _strict_json(raw: bytes):
    def reject(token):
        raise ValueError(f"{token} in the JSON answer (a browser's JSON.parse rejects it)")
    return json.loads(raw, parse_constant=reject)


def send(client, what: str, method: str, url: str, **kwargs):
    """One request through the test client, which runs it in this thread: its CPU time is
    the server's work, unaffected by whatever else the (shared, 2-core) machine is doing."""
    wall, cpu = time.perf_counter(), time.thread_time()
    response = client.open(url, method=method, **kwargs)
    raw = response.get_data()
    wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
    LEDGER.count += 1
    LEDGER.by_test[what] = LEDGER.by_test.get(what, 0) + 1
    if cpu > LIMIT_S:
        LEDGER.slow.append((round(cpu, 2), round(wall, 2), what, url[:120],
                            kwargs.get("data", b"")))
    return response, raw


def check_answer(response, raw: bytes, app_errors, malformed_ok: bool, context: str,
                 expect_json: bool = True):
    """The rules every answer follows; returns the decoded JSON of a 200 (else None)."""
    status = response.status_code
    where = f"{context}\nstatus {status}: {raw[:400]!r}\n{app_errors.last()}"
    assert status < 500, where
    assert not LEAKS.search(raw.decode("utf-8", "replace")), where
    if status == 204:
        return None
    if status >= 400:
        assert malformed_ok, "a well-formed request with bad values must be answered: " + where
        assert len(raw) < SHORT_BODY, where
        return None
    assert status == 200, where
    return _strict_json(raw) if expect_json else None


def check_callback_answer(spec, answer, context: str):
    if answer is None:
        return
    assert isinstance(answer.get("response"), dict), context
    declared = _declared(spec)
    for component_id, props in answer["response"].items():
        assert isinstance(props, dict), context
        for prop, value in props.items():
            assert (component_id, prop) in declared, (context, component_id, prop)
            if prop in FIGURE_PROPS:
                assert isinstance(value, dict), (context, component_id)
                if "__dash_patch_update" in value:  # a Patch: operations on the shown figure
                    assert isinstance(value.get("operations"), list), (context, component_id)
                    continue
                assert isinstance(value.get("data"), list), (context, component_id)
                assert isinstance(value.get("layout"), dict), (context, component_id)
                assert all(isinstance(trace, dict) for trace in value["data"]), (context, component_id)


def text_of(answer) -> str:
    return json.dumps(answer, ensure_ascii=False)


def strings_in(tree) -> set[str]:
    found, stack = set(), [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            found.add(node)
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            stack.extend(node.values())
    return found


# ------------------------------------------------------------------ callback requests


@pytest.fixture(scope="module")
def specs(quiet_app):
    deps = quiet_app.get(dash_app.config.requests_pathname_prefix + "_dash-dependencies")
    by_output = {d["output"]: d for d in deps.get_json()}
    assert set(by_output) == set(CALLBACKS), "the dependencies the browser sees are the map"
    return by_output


def _request_outputs(spec):
    """The `outputs` field of the browser's request (none for a no-output callback)."""
    return [] if spec.get("no_output") else payload(spec)["outputs"]


def _declared(spec) -> set:
    outputs = _request_outputs(spec)
    return {(o["id"], o["property"].split("@")[0])
            for o in (outputs if isinstance(outputs, list) else [outputs])}


def targets_of(spec) -> list[tuple[str, str, str]]:
    """(id, property, 'inputs'|'state') for everything the request carries a value for."""
    return ([(i["id"], i["property"], "inputs") for i in spec["inputs"]]
            + [(s["id"], s["property"], "state") for s in spec.get("state", [])])


def request_body(spec, values: dict, trigger: tuple | None) -> dict:
    """The browser's request for this callback: every input and state with its value
    (default: the value in the page's default layout), `trigger` as the changed prop."""
    body = {"output": spec["output"], "outputs": _request_outputs(spec),
            "changedPropIds": [], "inputs": [], "state": []}
    for part in ("inputs", "state"):
        body[part] = [{"id": t[0], "property": t[1],
                       "value": values.get(t[:2], BASELINE.get(t[:2]))}
                      for t in targets_of(spec) if t[2] == part]
    if trigger is not None:
        body["changedPropIds"] = [f"{trigger[0]}.{trigger[1]}"]
    return body


def post_callback(client, spec, body, app_errors, malformed_ok, context, what,
                  query="", headers=None):
    data = encode(body) if not isinstance(body, bytes) else body
    if len(data) > server.config["MAX_CONTENT_LENGTH"]:
        malformed_ok = True  # 413: refused unread
    response, raw = send(client, what, "POST", ENDPOINT + query, data=data,
                         content_type="application/json", headers=headers or {})
    answer = check_answer(response, raw, app_errors, malformed_ok, context)
    if spec is not None and response.status_code == 200:
        check_callback_answer(spec, answer, context)
    return response.status_code, answer


@st.composite
def bad_values(draw, spec):
    """One control with a bad value (most often) or several; the first one triggers."""
    targets = targets_of(spec)
    if not targets:
        return {}, None
    if draw(st.integers(0, 2)):
        chosen = [draw(st.sampled_from(targets))]
    else:
        chosen = draw(st.lists(st.sampled_from(targets), min_size=1, max_size=len(targets),
                               unique=True))
    values = {t[:2]: draw(value_for(t)) for t in chosen}
    inputs = [t for t in targets if t[2] == "inputs"]
    trigger = next((t for t in chosen if t[2] == "inputs"), inputs[0] if inputs else None)
    return values, trigger


REFERERS = st.sampled_from([None, "", "http://localhost/chain?present=1&dark=1", "http://[",
                            "http://[::1", "javascript:alert(1)", "http://x/?dark=" + LONG,
                            "\x00", "http://x/?present=%FF&dark=1&dark=1", "//", "?present=1"])


def _ids(outputs):
    return [_short_id(o) for o in outputs]


@pytest.mark.parametrize("output", CALLBACKS, ids=_ids(CALLBACKS))
def test_every_callback_answers_bad_values_with_a_figure_and_a_notice(quiet_app, specs,
                                                                      app_errors, output):
    """Well-formed requests (the browser's own, from the default layout) with bad values in
    one or more inputs or states: the app's callbacks answer 200 (or 204), never an error; a
    lone bad value at a control that a parameter validates shows that parameter's notice.
    Dash's own callbacks (router, cancel) and the clientside ones: no 5xx, short 4xx."""
    spec = specs[output]
    client = quiet_app
    clientside = output in CLIENTSIDE
    strict = output in OURS
    what = f"values[{_short_id(output)}]"

    # what the browser sends on page load, and with every value missing: answered, untimed
    # first (a page's first request may load torch kernels)
    for values in ({}, {t[:2]: None for t in targets_of(spec)}):
        body = request_body(spec, values, (targets_of(spec) or [None])[0])
        post_callback(client, spec, body, app_errors, not strict, f"{output}: {values}", what)

    examples = 10 if clientside else 40
    if output.startswith(".._pages_content"):
        examples = 20  # the router's URL inputs are fuzzed by test_router_* below

    @_settings(examples)
    @given(plan=bad_values(spec), referer=REFERERS)
    def one(plan, referer):
        values, trigger = plan
        body = request_body(spec, values, trigger)
        malformed_ok = not strict or any(refusable(v) for v in values.values())
        context = f"{output}\nvalues {_show(values)}\ntrigger {trigger}\nreferer {referer!r}"
        headers = {"Referer": referer} if referer is not None else None
        status, answer = post_callback(client, spec, body, app_errors, malformed_ok, context,
                                       what, headers=headers)
        if len(values) == 1 and status == 200 and trigger and trigger[:2] in values:
            (target, value), = values.items()
            param = CONTROL_PARAMS.get(target[0]) if target[1] == "value" else None
            if param is not None and target == trigger[:2]:
                _, notice = param.parse(server_value(value))
                if notice:
                    assert notice in strings_in(answer), (f"no notice {notice!r}\n{context}\n"
                                                          f"{text_of(answer)[:1500]}")
                    LEDGER.notices += 1

    one()


def _show(values) -> str:
    shown = {}
    for key, value in values.items():
        text = repr(value)
        shown[key] = text if len(text) <= 200 else text[:200] + f"… ({len(text)} chars)"
    return repr(shown)


# --- malformed requests -----------------------------------------------------------------

TOP_KEYS = ["output", "outputs", "inputs", "state", "changedPropIds"]
UNKNOWN_OUTPUTS = ["nope.children", "..nope.children...also.figure..", "", ".", "..", "....",
                   "a" * 5000, "chain-status.children", "_pages_content.children",
                   "train-hist.figure@deadbeef", "{\"type\":\"x\"}.children"]


@st.composite
def mutated(draw, spec):
    """The browser's request with 1–3 things broken about it (fields, entries, outputs)."""
    body = request_body(spec, {}, (targets_of(spec) or [None])[0])
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["drop", "replace", "extra", "entry", "unknown_output",
                                     "changed", "outputs"]))
        if kind == "drop" and body:
            body.pop(draw(st.sampled_from(sorted(body))), None)
        elif kind == "replace":
            body[draw(st.sampled_from(TOP_KEYS))] = draw(BAD)
        elif kind == "extra":
            body[draw(st.text(max_size=10) | st.sampled_from(["__proto__", "constructor"]))] \
                = draw(BAD)
        elif kind == "entry":
            part = draw(st.sampled_from(["inputs", "state"]))
            entries = body.get(part)
            if not isinstance(entries, list):
                entries = body[part] = []
            action = draw(st.sampled_from(["drop", "dup", "unknown", "bad", "field"]))
            if action == "drop" and entries:
                entries.pop(draw(st.integers(0, len(entries) - 1)))
            elif action == "dup" and entries:
                entries.append(dict(entries[draw(st.integers(0, len(entries) - 1))]))
            elif action == "unknown":
                entries.append({"id": draw(st.text(max_size=8) | json_trees),
                                "property": draw(st.text(max_size=8)), "value": draw(BAD)})
            elif action == "bad":
                entries.append(draw(BAD))
            elif entries:
                entry = entries[draw(st.integers(0, len(entries) - 1))]
                if isinstance(entry, dict):
                    key = draw(st.sampled_from(["id", "property", "value", "extra"]))
                    if draw(st.booleans()):
                        entry.pop(key, None)
                    else:
                        entry[key] = draw(BAD | st.sampled_from([{"type": "x", "index": 1},
                                                                  {"index": ["ALL"]}]))
        elif kind == "unknown_output":
            body["output"] = draw(st.sampled_from(UNKNOWN_OUTPUTS) | st.text(max_size=20))
        elif kind == "changed":
            body["changedPropIds"] = draw(
                st.lists(st.sampled_from(["nope.value", "", ".", "a.b.c"]) | st.text(max_size=20),
                         max_size=3) | BAD)
        elif kind == "outputs":
            body["outputs"] = draw(st.sampled_from([
                [], {}, {"id": "nope", "property": "children"},
                [{"id": "nope", "property": "children"}] * 3, None, "x"]) | BAD)
    return body


HANDLE_QUERIES = st.sampled_from([
    "", "?cacheKey=x&job=1", "?cacheKey=" + "A" * 3000, "?job=1", "?cancelJob=1&cancelJob=2",
    "?oldJob=1", "?endId=x.y.z", "?cacheKey=%FF&job=%00", "?cacheKey=&job=",
])


@pytest.mark.parametrize("output", CALLBACKS, ids=_ids(CALLBACKS))
def test_every_callback_answers_malformed_requests_without_a_server_error(
        quiet_app, specs, app_errors, output):
    """Missing, extra and broken fields, unknown outputs, odd entries, garbage job handles:
    200/204 or a short 4xx, never a 5xx or a traceback."""
    spec = specs[output]
    what = f"malformed[{_short_id(output)}]"
    examples = 10 if output in CLIENTSIDE else 100

    @_settings(examples)
    @given(body=mutated(spec), query=HANDLE_QUERIES)
    def one(body, query):
        context = f"{output}\nbody {_show(body)[:1500]}\nquery {query}"
        post_callback(quiet_app, spec, body, app_errors, True, context, what, query=query)

    one()


RAW_BODIES = [b"", b" ", b"{", b"}", b"null", b"true", b"1", b"1e999", b"NaN", b"[]", b"{}",
              b'"string"', b"\xff\xfe\x00", b"\x00" * 100, b'{"output": NaN}',
              b'{"output": "x", "inputs": Infinity}', b"[" * 100_000, b'{"a":' * 50_000,
              b'{"output": "' + b"x" * 100_000 + b'"}', b"x" * (2 << 20),
              b'{"inputs": [' + b"1," * 200_000 + b"1]}", b"output=x&inputs=y",
              b'{"output": "a", "output": "b"}', b"\xef\xbb\xbf{}", b"1" * 5000]
CONTENT_TYPES = ["application/json", "text/plain", "application/x-www-form-urlencoded",
                 "multipart/form-data; boundary=x", "application/json; charset=utf-16", "",
                 "application/octet-stream", "application/json; charset=latin-1"]


@_settings(400)
@given(body=st.sampled_from(RAW_BODIES) | st.binary(max_size=200)
       | json_trees.map(lambda v: json.dumps(v).encode()),
       content_type=st.sampled_from(CONTENT_TYPES),
       method=st.sampled_from(["POST", "POST", "POST", "PUT", "PATCH", "DELETE", "GET"]))
def test_the_callback_endpoint_answers_any_body(quiet_app, app_errors, body, content_type,
                                                method):
    """Not JSON, not an object, wrong content type, other methods, too large: never a 5xx."""
    response, raw = send(quiet_app, "raw bodies", method, ENDPOINT, data=body,
                         content_type=content_type)
    context = f"{method} {content_type!r} body {body[:300]!r} ({len(body)} bytes)"
    page = method == "GET"  # a GET is the pages' route: the index page
    answer = check_answer(response, raw, app_errors, True, context, expect_json=not page)
    if answer is not None:
        assert isinstance(answer, dict), context


# ------------------------------------------------------------------ URLs


def _page_paths() -> list[tuple[str, object]]:
    """(path, the module whose parameters the URL carries) for every page and embed route."""
    from app.pages import embed

    out = [(page["path"], module) for page, module in _pages() if not page.get("path_template")]
    for figure, owner in sorted(embed.figure_owners().items()):
        out.append((f"/embed/{figure}", sys.modules[owner["module"]]))
    out += [("/embed/" + quote("nope<script>"), None), ("/nope", None), ("/embed/", None)]
    return out


PAGE_PATHS = _page_paths()
URL_NAMES = sorted({name for _, module in PAGE_PATHS if module is not None
                    for name in _url_params(module)}
                   | {"kind", "figure", "controls", "present", "dark", "", "__class__", "query"})
URL_TEXT = st.sampled_from([
    "", "nan", "NaN", "inf", "-inf", "Infinity", "1e308", "-1e308", "1e999", str(10**30),
    str(-10**30), "9" * 5000, "0x10", "1_0", "٣", "[]", "{}", "null", "true", "1,2,3", ",,,",
    "1,nan,inf", "-1", "0", "1", "2", "0.5", "rnn,lstm,bogus", "tanh", "identity", "ff", "rnn",
    "%FF%FE", "%00", "%", "%%", "%zz", "<script>alert(1)</script>", '"><img src=x onerror=1>',
    "x" * 100_000, "a&b=c", "é", "\U0001f600", "+", "=", "&", "#frag",
]) | st.text(max_size=12) | st.floats().map(repr) | st.integers().map(str)


def _encode_pair(key: str, value: str, raw: bool) -> str:
    if raw:  # as typed into the address bar: %-sequences and separators stay as they are
        return f"{key}={value}"
    return f"{quote(key, safe='')}={quote(value, safe='')}"


@st.composite
def queries(draw):
    pairs = draw(st.lists(st.tuples(st.sampled_from(URL_NAMES) | st.text(max_size=8), URL_TEXT),
                          max_size=6))
    raw = draw(st.booleans())
    text = "&".join(_encode_pair(k, v, raw) for k, v in pairs)
    shape = draw(st.sampled_from(["?{}", "?{}", "?{}&", "?&&{}", "{}", "??{}", "?{};x=1"]))
    return shape.format(text)


def _expected_notices(module, search: str) -> list[str]:
    """The parameters of the page that must show a notice for this query string, parsed as
    Dash's page router parses it (parse_qs; a repeated key becomes a list)."""
    if module is None or not search.startswith("?"):
        return []
    parsed = {k: v[0] if len(v) == 1 else v
              for k, v in parse_qs(search[1:], keep_blank_values=True).items()}
    if "figure" in parsed:
        return []  # /embed: a `figure` in the query replaces the one in the path
    params = _url_params(module)
    return [name for name, value in parsed.items() if name in params
            and all(p.parse(value)[1] for p in params[name])]


ROUTER = next(k for k in CALLBACKS if "_pages_content.children" in k)


def _router_body(pathname, search) -> dict:
    return {"output": ROUTER,
            "outputs": [{"id": "_pages_content", "property": "children"},
                        {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": pathname},
                       {"id": "_pages_location", "property": "search", "value": search}],
            "changedPropIds": ["_pages_location.search"], "state": []}


@_settings(300)
@given(page=st.sampled_from(PAGE_PATHS), query=queries())
def test_router_renders_every_page_for_any_query(quiet_app, specs, app_errors, page, query):
    """The page router (the callback that renders a page's layout(**query) in the browser):
    always 200 with the page, and a notice for each bad parameter value."""
    (path, module), search = page, query
    context = f"router {path}{search[:300]!r} ({len(search)} chars)"
    spec = specs[ROUTER]
    status, answer = post_callback(quiet_app, spec, _router_body(path, search), app_errors,
                                   False, context, "router")
    assert status == 200, context
    content = answer["response"]["_pages_content"]["children"]
    shown = notices_in(content)
    for name in _expected_notices(module, search):
        assert any(n.startswith((f"{name} ", f"{name}:")) for n in shown), \
            (name, context, shown, text_of(content)[:1000])
        LEDGER.notices += 1


def notices_in(tree) -> list[str]:
    """The texts of the warning notices (components/layout.py notice_list) in a layout."""
    found, stack = [], [(tree, False)]
    while stack:
        node, inside = stack.pop()
        if isinstance(node, str) and inside:
            found.append(node)
        elif isinstance(node, list):
            stack.extend((n, inside) for n in node)
        elif isinstance(node, dict):
            props = node.get("props", node)
            inside = inside or "notice-warning" in str(props.get("className", ""))
            stack.extend((v, inside) for k, v in props.items() if k == "children")
    return found


@_settings(60)
@given(pathname=BAD, search=BAD)
def test_router_answers_any_location(quiet_app, app_errors, pathname, search):
    """The router's two inputs as any JSON (dcc.Location sends strings; Dash's router may
    refuse anything else with a short 4xx): never a 5xx."""
    spec = {"output": ROUTER}
    context = f"router pathname {_show({'p': pathname})} search {_show({'s': search})}"
    post_callback(quiet_app, spec, _router_body(pathname, search), app_errors, True, context,
                  "router")


RUN_PARAMS = ["run", "tab", "have", "seen"]


@_settings(150)
@given(pairs=st.lists(st.tuples(st.sampled_from(RUN_PARAMS) | st.text(max_size=6), URL_TEXT),
                      max_size=5),
       run=st.sampled_from(["", "0" * 20, "f" * 20, "x", "../..", "%00"]),
       version=st.integers(-10**20, 10**20))
def test_the_run_poll_and_figure_urls_answer_any_query(quiet_app, app_errors, pairs, run,
                                                       version):
    """GET runs/poll and runs/<id>/figures/<v>.json (the /train page's poll, outside Dash's
    callbacks): 200 with strict JSON, 204, or a short 404; never a 5xx."""
    query = "&".join(_encode_pair(k, v, False) for k, v in pairs)
    response, raw = send(quiet_app, "GET runs", "GET", f"/runs/poll?{query}")
    answer = check_answer(response, raw, app_errors, False, f"GET runs/poll?{query[:300]}")
    if answer is not None:
        assert set(answer) == {"out", "figures"} and answer["figures"] is None
    response, raw = send(quiet_app, "GET runs", "GET", f"/runs/{run}/figures/{version}.json")
    assert response.status_code in (200, 404) and len(raw) < SHORT_BODY or \
        response.mimetype == "text/html", raw[:200]


@_settings(300)
@given(page=st.sampled_from(PAGE_PATHS), query=queries())
def test_every_page_url_serves_the_app_for_any_query(quiet_app, app_errors, page, query):
    """GET of every page and embed URL with any query: the Dash index page, 200, no
    traceback, the URL only ever escaped into the HTML."""
    (path, _), search = page, query
    url = dash_app.config.requests_pathname_prefix.rstrip("/") + path + search
    response, raw = send(quiet_app, "GET pages", "GET", url)
    context = f"GET {url[:300]!r} ({len(url)} chars)"
    # A "query" without its "?" lengthens the path; Flask's path converter matches no line
    # break, so such a path is no page: a short 404, as for any unknown URL Flask refuses.
    not_a_page = re.search(r"%0[AD]", url.partition("?")[0], re.I) is not None
    check_answer(response, raw, app_errors, not_a_page, context, expect_json=False)
    if not_a_page and response.status_code == 404:
        return
    assert response.status_code == 200, context
    assert response.mimetype == "text/html", context
    html = raw.decode("utf-8", "replace")
    assert "<script>alert(1)" not in html and "<img src=x" not in html, context


# ------------------------------------------------------------------ time


def test_every_request_took_under_a_second():
    """Collected over the module (run last): every request above took the server under
    LIMIT_S of CPU time (its wall time on an idle machine)."""
    if LEDGER.count == 0:
        pytest.skip("no request was sent: run it with the rest of the module")
    slow = sorted(LEDGER.slow, key=lambda s: s[0], reverse=True)
    assert not slow, f"{len(slow)} of {LEDGER.count} requests took over {LIMIT_S} s:\n" + \
        "\n\n".join(f"{cpu} s CPU ({wall} s wall) {what} {url}\n{_request_summary(body)}"
                    for cpu, wall, what, url, body in slow[:6])


def _request_summary(body: bytes) -> str:
    """The inputs of a callback request, each abbreviated (the figures' ids are long)."""
    try:
        data = json.loads(body)
        return "changed " + repr(data.get("changedPropIds")) + "\n" + "\n".join(
            f"  {i.get('id')}.{i.get('property')} = {_show({0: i.get('value')})[4:-1]}"
            for i in data.get("inputs", []) + data.get("state", []))
    except (ValueError, TypeError, AttributeError):
        return repr(body[:300])
