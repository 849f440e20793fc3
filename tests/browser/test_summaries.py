"""The figures' text alternatives in a real browser: a parameter page's follow its controls,
and /train's arrive with each snapshot's figures through assets/gradlab.js pollRun (the one
path the app tests cannot drive: tests/train_tab.Tab only imitates it) and follow the
histogram slider."""
from selenium.webdriver.common.keys import Keys

from app.pages import chain
from app.pages.train import ids
from components.layout import summary_id
from components.train_snapshot import NO_RUN
from tests.browser.helpers import browser_errors, nudge_slider
from tests.browser.test_train_page import progress_text, start, until


def text(duo, graph_id: str) -> str:
    return duo.driver.execute_script(  # "" until the page has rendered the element
        f"var e = document.getElementById('{summary_id(graph_id)}'); "
        "return e ? e.textContent : '';")


def test_a_parameter_pages_sentences_follow_its_controls(gradlab):
    gradlab.driver.get(gradlab.server_url + "/chain?w=0.9&n=30")
    until(lambda: "layer 30" in text(gradlab, "chain-backprop"), 10, "the sentence arrives")
    nudge_slider(gradlab, "chain-n", presses=3, key=Keys.ARROW_RIGHT)
    values, _ = chain.PARAMS.parse({"w": "0.9", "n": "33"})
    until(lambda: text(gradlab, "chain-backprop") == chain.view(**values).summaries["backprop"],
          10, "the sentence follows the depth slider")
    assert browser_errors(gradlab) == []


def test_a_runs_sentences_arrive_with_its_figures_and_follow_the_slider(gradlab, runs):
    gradlab.driver.get(gradlab.server_url + "/train")
    until(lambda: text(gradlab, ids.GRAPHS["loss"]) == NO_RUN, 10, "no run yet")
    start(gradlab, "?kind=ff&depth=5&width=16&steps=60")  # histograms every 4 steps, and 59
    until(lambda: progress_text(gradlab).startswith("Done: 60"), 60, "the run ends")
    until(lambda: "at step 59" in text(gradlab, ids.GRAPHS["loss"]), 10, "the final sentences")
    for name in ("grads", "weights", "hist"):
        assert "at step 59" in text(gradlab, ids.GRAPHS[name]), name
    assert text(gradlab, ids.GRAPHS["metric"]).startswith("Validation accuracy")
    nudge_slider(gradlab, ids.SLIDER, presses=2, key=Keys.ARROW_LEFT)
    until(lambda: text(gradlab, ids.GRAPHS["hist"]).startswith("Histograms per layer at step 52"),
          10, "the histograms' sentence follows the slider")
    assert browser_errors(gradlab) == []
