"""Call Dash callbacks through the real /_dash-update-component endpoint (Flask test client),
as a browser would, and decode the figures it returns (numpy arrays travel as base64
typed arrays). Used by the app tests and by bench/.

Pages are opened through Dash's page router (`route`): the callback the browser makes on
arriving at a URL, whose answer is the page's real layout. A GET of a page path only returns
the index shell, the same for every path (a page whose layout raises still gets its 200).
Every JSON answer is parsed as a browser's JSON.parse parses it (`strict_loads`).
"""
import base64
import json
from dataclasses import dataclass

import numpy as np

DTYPES = {"f8": np.float64, "f4": np.float32, "i4": np.int32, "i2": np.int16, "i1": np.int8,
          "u4": np.uint32, "u2": np.uint16, "u1": np.uint8}


def callback_spec(client, first_input: str) -> dict:
    """The dependency entry of the callback whose first input has this component id."""
    for dep in client.get("/_dash-dependencies").get_json():
        if dep["inputs"] and dep["inputs"][0]["id"] == first_input and dep["output"]:
            return dep
    raise KeyError(first_input)


def _outputs(spec) -> list[dict]:
    out = []
    for part in spec["output"].strip(".").split("..."):
        component, prop = part.rsplit(".", 1)
        out.append({"id": component, "property": prop})
    return out


def payload(spec: dict, values: dict | None = None, changed: str | None = None,
            initial: bool = False) -> dict:
    """A request body: `values` maps input component id → value (absent ids are sent as None).
    `changed` is the input the user moved (default: the first), as "id" (its value changed) or
    "id.property"; `initial=True` is the call a page makes when it loads, with nothing changed."""
    values = values or {}
    inputs = [{"id": i["id"], "property": i["property"], "value": values.get(i["id"])}
              for i in spec["inputs"]]
    outputs = _outputs(spec)
    return {
        "output": spec["output"],
        # a multi-output callback ("..a.x...b.y..") takes a list, a single one a plain object
        "outputs": outputs if spec["output"].startswith("..") else outputs[0],
        "inputs": inputs,
        "changedPropIds": [] if initial else [
            changed if changed and "." in changed else f"{changed or inputs[0]['id']}.value"],
        "state": [{"id": s["id"], "property": s["property"], "value": values.get(s["id"])}
                  for s in spec.get("state", [])],
    }


def post(client, body, environ: dict | None = None) -> tuple[int, dict | str, int]:
    """(status, decoded JSON or text, response bytes); `environ` e.g. the REMOTE_ADDR."""
    response = client.post("/_dash-update-component", data=json.dumps(body),
                           content_type="application/json", environ_base=environ or {})
    raw = response.get_data()
    try:
        return response.status_code, strict_loads(raw), len(raw)
    except ValueError:  # not JSON at all (a short error text); NaN tokens fail in strict_loads
        return response.status_code, raw.decode("utf-8", "replace"), len(raw)


class NotStrictJSON(AssertionError):
    """A JSON answer with a NaN/Infinity token (not a ValueError: a caller catching "not JSON"
    must not swallow it)."""


def strict_loads(raw):
    """JSON as a browser's JSON.parse reads it. Python's json module writes and reads the
    non-standard tokens NaN, Infinity and -Infinity by default; here they fail the test."""
    def refuse(token):
        raise NotStrictJSON(f"{token} in a JSON answer (a browser's JSON.parse rejects it): "
                            f"{raw[:200]!r}")
    return json.loads(raw, parse_constant=refuse)


def decode(value):
    """Turn plotly's {'dtype', 'bdata', 'shape'} typed-array specs back into numpy arrays."""
    if isinstance(value, dict) and "bdata" in value and "dtype" in value:
        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=DTYPES[value["dtype"]])
        shape = value.get("shape")
        if shape:
            arr = arr.reshape([int(s) for s in str(shape).split(",")])
        return arr
    if isinstance(value, dict):
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def figure_traces(response: dict, graph_id: str) -> list[dict]:
    """The figure's traces; for a Patch, the traces it assigns (in order)."""
    figure = response["response"][graph_id]["figure"]
    if "__dash_patch_update" in figure:
        return decode([op["params"]["value"] for op in figure["operations"]
                       if op["operation"] == "Assign" and op["location"][:1] == ["data"]])
    return decode(figure["data"])


def trace_named(traces: list[dict], prefix: str) -> dict:
    return next(t for t in traces if t.get("name", "").startswith(prefix))


def control_values(layout) -> dict:
    """{component id: value} of every control in a page layout (what the browser sends as
    the callback's inputs when the page loads)."""
    from components.layout import walk
    return {c.id: c.value for c in walk(layout)
            if isinstance(getattr(c, "id", None), str) and hasattr(c, "value")}


def page_layout(path: str, **query):
    """The layout the page router builds for `path?query` (values as the URL would carry them)."""
    import dash

    import app.main  # noqa: F401  registers the pages
    page = next(p for p in dash.page_registry.values() if p["path"] == path)
    return page["layout"](**{k: str(v) for k, v in query.items()})


def page_controls(path: str, **query) -> dict:
    """{control id: value} of the page at `path?query`: what its controls send. Tests and
    benchmarks describe a state by its URL, never by copying control ids."""
    return control_values(page_layout(path, **query))


def callback_for(client, output_id: str) -> dict:
    """The dependency entry of the callback that draws `output_id` (its first match)."""
    for dep in client.get("/_dash-dependencies").get_json():
        if f"{output_id}.figure" in dep["output"] or f"{output_id}.children" in dep["output"]:
            if dep["inputs"]:
                return dep
    raise KeyError(output_id)


def open_page(client, path: str, query: dict, output_id: str) -> dict:
    """The callback response a browser gets on opening `path?query`: the page's layout for
    that query from the page router, then its callback with the controls' values."""
    from urllib.parse import urlencode
    page = route(client, path, "?" + urlencode(query) if query else "")
    spec = callback_for(client, output_id)
    status, response, _ = post(client, payload(spec, page.controls(), initial=True))
    assert status == 200, response
    return response


# ---------------------------------------------------------------- the page router

ROUTER_OUTPUT = "_pages_content.children"
# Dash 4's router callback (dash/dash.py enable_pages), as /_dash-dependencies lists it
_ROUTER_DEFAULT = {
    "output": ".._pages_content.children..._pages_store.data..",
    "inputs": [{"id": "_pages_location", "property": "pathname"},
               {"id": "_pages_location", "property": "search"}],
    "state": [],
}


def router_spec(client) -> dict:
    """The page router's dependency entry (it exists after the app's first request)."""
    for dep in client.get("/_dash-dependencies").get_json():
        if ROUTER_OUTPUT in dep["output"]:
            return dep
    raise KeyError(ROUTER_OUTPUT)


def router_body(pathname: str, search: str = "", spec: dict | None = None) -> dict:
    """The page router's request when the browser is at `pathname` + `search` (it renders the
    page): every input and state of `spec` (default: Dash 4's pathname and search) that is a
    property of the page's dcc.Location gets the browser's value for it."""
    spec = spec or _ROUTER_DEFAULT
    location = {"pathname": pathname, "search": search, "hash": "",
                "href": f"http://localhost{pathname}{search}"}

    def value(dep):
        return location.get(dep["property"]) if dep["id"] == "_pages_location" else None

    return {
        "output": spec["output"],
        "outputs": _outputs(spec),
        "inputs": [{**i, "value": value(i)} for i in spec["inputs"]],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [{**s, "value": value(s)} for s in spec.get("state", [])],
    }


def components(tree):
    """Every component (a {"type", "namespace", "props"} dict) in a layout's JSON, depth first,
    including components held by props other than children."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            if "type" in node and "props" in node:
                yield node
                stack.extend(reversed(list(node["props"].values())))
            else:
                stack.extend(reversed(list(node.values())))


def texts(tree) -> list[str]:
    """The text a reader sees: every string child (Markdown sources included)."""
    found, stack = [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            found.append(str(node))
        elif isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            stack.append(node.get("props", {}).get("children") if "props" in node else None)
    return found


def ids(tree) -> set:
    """Every string component id in a layout's JSON."""
    return {c["props"]["id"] for c in components(tree) if isinstance(c["props"].get("id"), str)}


@dataclass
class Routed:
    """A page as the router renders it: the layout JSON the page container shows, and the
    document title the router sets."""
    path: str
    content: object
    title: str

    def of_type(self, type_: str, namespace: str | None = None) -> list[dict]:
        return [c for c in components(self.content) if c["type"] == type_
                and (namespace is None or c["namespace"] == namespace)]

    def headings(self) -> list[str]:
        return [" ".join(texts(h["props"].get("children"))) for h in self.of_type("H1")]

    def graphs(self) -> list[str]:
        return [g["props"]["id"] for g in self.of_type("Graph", "dash_core_components")]

    def controls(self) -> dict:
        """{component id: value} of every control, as the browser sends them when the page
        loads (the JSON counterpart of control_values)."""
        return {c["props"]["id"]: c["props"]["value"] for c in components(self.content)
                if isinstance(c["props"].get("id"), str) and "value" in c["props"]}

    def find(self, component_id: str) -> dict:
        return next(c["props"] for c in components(self.content)
                    if c["props"].get("id") == component_id)

    def with_class(self, name: str) -> list[dict]:
        return [c for c in components(self.content)
                if name in str(c["props"].get("className", "")).split()]

    def url_notices(self) -> list[str]:
        """The notices the URL's parameters got (the page frame's url-notices box)."""
        return [t for box in self.with_class("url-notices") for t in texts(box)]

    def text(self) -> str:
        return "\n".join(texts(self.content))


def route(client, path: str, search: str = "") -> Routed:
    """What the browser shows at `path` (a "?query" in it, or `search`): Dash's page router
    callback, posted as the browser posts it, must answer 200 with strict JSON."""
    pathname, _, query = path.partition("?")
    search = search or ("?" + query if query else "")
    status, answer, _ = post(client, router_body(pathname, search, router_spec(client)))
    assert status == 200, f"router at {pathname}{search}: {status} {str(answer)[:500]}"
    out = answer["response"]
    return Routed(pathname + search, out["_pages_content"]["children"],
                  out["_pages_store"]["data"]["title"])


# ---------------------------------------------------------------- figures' data

PLOTTED = ("y", "z", "r", "values")  # a trace's plotted (dependent) values; x alone plots nothing


def finite_count(trace: dict) -> int:
    """How many finite values a decoded trace plots."""
    count = 0
    for key in PLOTTED:
        if key not in trace or trace[key] is None:
            continue
        try:
            values = np.asarray(trace[key], dtype=np.float64)
        except (TypeError, ValueError):
            continue  # categorical
        count += int(np.isfinite(values).sum())
    return count


def page_figures(client, page: Routed, environ: dict | None = None) -> dict:
    """{graph id: decoded traces} for every figure the page's callbacks draw when it loads:
    each server callback that outputs a figure of the page and runs at load (not
    prevent_initial_call), called with the routed layout's control values."""
    graphs = set(page.graphs())
    figures = {}
    for spec in client.get("/_dash-dependencies").get_json():
        if spec.get("clientside_function") or spec.get("prevent_initial_call") \
                or spec.get("background"):
            continue
        drawn = [o["id"] for o in _outputs(spec)
                 if o["property"].split("@")[0] == "figure" and o["id"] in graphs]
        if not drawn:
            continue
        status, response, _ = post(client, payload(spec, page.controls(), initial=True), environ)
        assert status == 200, f"{page.path} {spec['output'][:80]}: {str(response)[:500]}"
        for graph in drawn:
            figures[graph] = {"traces": figure_traces(response, graph),
                              "layout": response["response"][graph]["figure"].get("layout", {})}
    return figures
