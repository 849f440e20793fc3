"""Properties every page must have, checked over the page registry so new pages are covered."""
import dash
import pytest

from components.layout import walk
from tests.dash_client import payload, post


def all_pages():
    import app  # noqa: F401  registers the pages
    return [p for p in dash.page_registry.values()]


@pytest.mark.parametrize("page", all_pages(), ids=lambda p: p["path"])
def test_component_ids_are_unique(page):
    # Dash with debug off does not report duplicates: a graph and a slider sharing an id
    # silently break the slider.
    from app import dash_app
    layout = page["layout"]() if callable(page["layout"]) else page["layout"]
    ids = [str(c.id) for c in walk([dash_app.layout(), layout])
           if getattr(c, "id", None) is not None]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


GARBAGE = {"w": "1e999", "n": "-1", "act": "<script>", "eig": ",,,", "T": "nan", "d": "[]",
           "seed": "1.5", "cells": "rnn,rnn,bogus", "view": "4d", "sweep": "z", "lo": "9",
           "hi": "-9", "steps": "1e308", "unknown": "x" * 5000}


@pytest.mark.parametrize("page", all_pages(), ids=lambda p: p["path"])
def test_layout_survives_any_query(page, client):
    status = client.get(page["path"] + "?" + "&".join(f"{k}={v}" for k, v in GARBAGE.items()))
    assert status.status_code == 200
    if callable(page["layout"]):
        page["layout"](**GARBAGE)  # the router calls layout(**query): it must not raise


def test_every_callback_answers_empty_inputs_without_a_server_error(client):
    deps = client.get("/_dash-dependencies").get_json()
    checked = 0
    for spec in deps:
        if spec.get("clientside_function") or spec["inputs"][0]["id"].startswith("_pages"):
            continue
        status, body, _ = post(client, payload(spec, {}))
        assert status in (200, 204) or 400 <= status < 500, (spec["output"], status)
        assert "Traceback" not in str(body)
        checked += 1
    assert checked >= 5
