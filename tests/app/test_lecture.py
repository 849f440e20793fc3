"""Embedding, the tour, the looks and the response headers, through the real app."""
import json

import numpy as np
import pytest
from plotly.utils import PlotlyJSONEncoder

from app.pages import embed, tour
from components.layout import walk
from tests.dash_client import callback_spec, figure_traces, payload, post

FIGURES = sorted(embed.figure_owners())


def test_every_figure_of_every_page_can_be_embedded():
    pages = {page["path"] for page in embed.figure_owners().values()}
    assert {"/chain", "/matrix", "/rnn", "/dynamics", "/cliff"} <= pages
    assert len(FIGURES) >= 20


@pytest.mark.parametrize("figure", FIGURES)
def test_embed_layout_shows_exactly_that_figure(client, figure):
    assert client.get(f"/embed/{figure}?controls=1").status_code == 200
    frame = embed.layout(figure=figure, controls="0")
    assert frame.className == "embed"
    boxes = [c for c in walk(frame) if "figure-box" in (getattr(c, "className", "") or "")]
    targets = [b for b in boxes if "embed-target" in b.className]
    assert len(targets) == 1 and targets[0].children[0].id == figure
    assert all("embed-hidden" in b.className for b in boxes if b is not targets[0])


def test_embed_keeps_the_page_state_and_controls_flag():
    frame = embed.layout(figure="chain-gradients", controls="1", w="1.3", n="12")
    assert frame.className == "embed embed-with-controls"
    sliders = {c.id: c.value for c in walk(frame) if getattr(c, "id", None) in ("chain-w", "chain-n")}
    assert sliders == {"chain-w": 1.3, "chain-n": 12}


def test_unknown_embed_figure_says_which_exist():
    text = json.dumps(embed.layout(figure="nope"), cls=PlotlyJSONEncoder)
    assert "There is no figure called 'nope'" in text and "chain-gradients" in text


def test_tour_steps_embed_their_figure_in_their_state():
    assert len(tour.STEPS) == len(tour.SECTIONS) == 10
    for n, step in enumerate(tour.STEPS, start=1):
        page = tour.layout(step=str(n))
        frame = next(c for c in walk(page) if getattr(c, "id", None) == "tour-figure")
        assert frame.src.startswith(f"/embed/{step.figure}?") and frame.src.endswith("controls=1")
        full = next(c for c in walk(page) if getattr(c, "id", None) == "tour-full")
        assert full.href.startswith(step.page + "?")
        assert step.figure in embed.figure_owners()
        assert embed.figure_owners()[step.figure]["path"] == step.page


def test_tour_carries_the_look_and_rejects_bad_steps():
    page = tour.layout(step="99", present="1")
    notices = [c.children for c in walk(page) if type(c).__name__ == "Li"]
    assert notices == ["step = 99 is outside 1–10; using 10."]
    frame = next(c for c in walk(page) if getattr(c, "id", None) == "tour-figure")
    assert "present=1" in frame.src and "dark" not in frame.src


def test_looks_follow_the_page_url_of_the_callback(client):
    spec = callback_spec(client, "chain-w")
    values = {"chain-w": 0.9, "chain-b": 0, "chain-x": 1, "chain-n": 5, "chain-act": "identity"}
    plain = post(client, payload(spec, values))[1]
    body = json.dumps(payload(spec, values))
    dark = client.post("/_dash-update-component", data=body, content_type="application/json",
                       headers={"Referer": "http://x/chain?w=0.9&dark=1&present=1"}).get_json()
    layout = lambda r: r["response"]["chain-gradients"]["figure"]["layout"]  # noqa: E731
    assert layout(plain)["template"]["layout"]["paper_bgcolor"] == "white"
    assert layout(dark)["template"]["layout"]["paper_bgcolor"] == "#14181f"
    assert layout(dark)["template"]["layout"]["font"]["size"] == 20
    # the data do not depend on the look
    np.testing.assert_array_equal(figure_traces(plain, "chain-gradients")[1]["y"],
                                  figure_traces(dark, "chain-gradients")[1]["y"])
