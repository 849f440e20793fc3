"""Call Dash callbacks through the real /_dash-update-component endpoint (Flask test client),
as a browser would, and decode the figures it returns (numpy arrays travel as base64
typed arrays). Used by the app tests and by bench/."""
import base64
import json

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
        return response.status_code, json.loads(raw), len(raw)
    except ValueError:
        return response.status_code, raw.decode("utf-8", "replace"), len(raw)


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


def callback_for(client, output_id: str) -> dict:
    """The dependency entry of the callback that draws `output_id` (its first match)."""
    for dep in client.get("/_dash-dependencies").get_json():
        if f"{output_id}.figure" in dep["output"] or f"{output_id}.children" in dep["output"]:
            if dep["inputs"]:
                return dep
    raise KeyError(output_id)


def open_page(client, path: str, query: dict, output_id: str) -> dict:
    """The callback response a browser gets on opening `path?query`: the page's layout for
    that query (as the page router builds it), then its callback with the controls' values."""
    import dash
    page = next(p for p in dash.page_registry.values() if p["path"] == path)
    layout = page["layout"](**{k: str(v) for k, v in query.items()})
    spec = callback_for(client, output_id)
    status, response, _ = post(client, payload(spec, control_values(layout), initial=True))
    assert status == 200, response
    return response
