"""Embedding, the tour, the looks and the response headers, through the real app."""
import json

import numpy as np
import pytest
from plotly.utils import PlotlyJSONEncoder

from app.pages import embed, tour
from components.layout import walk
from tests.dash_client import callback_spec, components, figure_traces, payload, post, route

FIGURES = sorted(embed.figure_owners())


def test_every_figure_of_every_page_can_be_embedded():
    pages = {page["path"] for page in embed.figure_owners().values()}
    assert {"/chain", "/matrix", "/rnn", "/dynamics", "/cliff"} <= pages
    assert len(FIGURES) >= 20


@pytest.mark.parametrize("controls", ["0", "1"])
@pytest.mark.parametrize("figure", FIGURES)
def test_embed_shows_exactly_that_figure(client, figure, controls):
    """/embed/<figure> as the page router renders it: the owning page's layout (its title and
    every graph, so its callback runs unchanged) with only that figure's box shown."""
    owner = embed.figure_owners()[figure]
    full = route(client, owner["path"])
    page = route(client, f"/embed/{figure}", f"?controls={controls}")
    assert page.title == "GradLab figure"
    (root,) = page.with_class("embed")
    assert root["props"]["className"] == ("embed embed-with-controls" if controls == "1"
                                          else "embed")
    assert page.headings() == full.headings() and len(page.headings()) == 1
    assert page.graphs() == full.graphs() and figure in page.graphs()
    boxes = page.with_class("figure-box")
    shown = [b for b in boxes if "embed-target" in b["props"]["className"].split()]
    assert len(shown) == 1 and [g["props"]["id"] for g in components(shown[0])
                                if g["type"] == "Graph"] == [figure]
    assert all("embed-hidden" in b["props"]["className"].split() for b in boxes
               if b is not shown[0])


def test_embed_keeps_the_page_state_and_controls_flag():
    frame = embed.layout(figure="chain-gradients", controls="1", w="1.3", n="12")
    assert frame.className == "embed embed-with-controls"
    sliders = {c.id: c.value for c in walk(frame) if getattr(c, "id", None) in ("chain-w", "chain-n")}
    assert sliders == {"chain-w": 1.3, "chain-n": 12}


def test_unknown_embed_figure_says_which_exist(client):
    text = json.dumps(embed.layout(figure="nope"), cls=PlotlyJSONEncoder)
    assert "There is no figure called 'nope'" in text and "chain-gradients" in text
    page = route(client, "/embed/nope")  # as the browser gets it
    assert page.graphs() == [] and page.text().startswith("There is no figure called 'nope'.")


@pytest.mark.parametrize("n", range(1, len(tour.STEPS) + 1))
def test_tour_steps_render_through_the_router(client, n):
    """/tour?step=N as the browser gets it: the step's heading and prose, its live figure (an
    iframe of /embed/<figure> in the step's state) and the link to the full page."""
    step = tour.STEPS[n - 1]
    page = route(client, "/tour", f"?step={n}")
    assert page.title == "Guided tour · GradLab" and page.url_notices() == []
    assert page.find("tour-count")["children"] == f"step {n} of {len(tour.STEPS)}"
    (prose,) = page.with_class("tour-text")
    heading = tour.SECTIONS[n - 1].splitlines()[0]
    assert heading.startswith(f"## {n} · ") and prose["props"]["children"].startswith(heading)
    assert "{{" not in prose["props"]["children"]  # every {{name}} filled from the engine
    frame = page.find("tour-figure")
    assert frame["src"].startswith(f"/embed/{step.figure}?") and frame["src"].endswith("controls=1")
    assert page.find("tour-full")["href"].startswith(step.page + "?")
    # the embedded figure is really there: the embed renders the step's page with it shown
    path, _, query = frame["src"].partition("?")
    embedded = route(client, path, "?" + query)
    assert step.figure in embedded.graphs() and embedded.url_notices() == []


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
