"""The three ways GradLab is used: projected (tour, presenter mode), opened, embedded."""
import functools
import http.server
import threading

import pytest
from dash.testing.wait import until
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from app.pages import embed, tour
from engine.chain import scalar_chain
from tests.browser import helpers
from tests.browser.helpers import browser_errors, plotted, wait_for_plotted


TANH_LINE = "chain rule in numpy aₗ₋₁·σ′(hₗ)·∂aₙ/∂aₗ"


def close_to(expected):
    return helpers.close_to(expected, field="customdata")


def in_tour_frame(duo):
    duo.driver.switch_to.default_content()
    duo.driver.switch_to.frame(duo.find_element("#tour-figure"))


def test_tour_steps_show_their_preset_and_arrow_keys_move(gradlab):
    gradlab.driver.get(gradlab.server_url + "/tour?step=1")
    gradlab.wait_for_text_to_equal("#tour-count", "step 1 of 10")
    in_tour_frame(gradlab)
    wait_for_plotted(gradlab, "chain-backprop", "closed form wⁿ⁻ˡ",
                     close_to(scalar_chain(0.9, 0, 1, 50, "identity").backprop))
    gradlab.driver.switch_to.default_content()

    gradlab.find_element("body").send_keys(Keys.ARROW_RIGHT)
    gradlab.wait_for_text_to_equal("#tour-count", "step 2 of 10")
    assert "step=2" in gradlab.driver.current_url
    in_tour_frame(gradlab)
    wait_for_plotted(gradlab, "chain-backprop", "closed form wⁿ⁻ˡ",
                     close_to(scalar_chain(1.0, 0.1, 1, 50, "identity").backprop))
    gradlab.driver.switch_to.default_content()

    gradlab.find_element("body").send_keys(Keys.ARROW_LEFT)
    gradlab.wait_for_text_to_equal("#tour-count", "step 1 of 10")
    assert browser_errors(gradlab) == []


def test_every_tour_step_loads_its_live_figure(gradlab):
    for n, step in enumerate(tour.STEPS, start=1):
        gradlab.driver.switch_to.default_content()
        gradlab.driver.get(gradlab.server_url + f"/tour?step={n}")
        gradlab.wait_for_text_to_equal("#tour-count", f"step {n} of {len(tour.STEPS)}")
        in_tour_frame(gradlab)
        gradlab.wait_for_element(f".embed-target #{step.figure} .js-plotly-plot", timeout=20)
        if step.page != "/train":  # a training figure stays empty until Start is pressed
            until(lambda: any(len(t["y"]) or len(t["customdata"])
                              for t in plotted(gradlab, step.figure).values()), timeout=20)
    gradlab.driver.switch_to.default_content()
    assert browser_errors(gradlab) == []


def test_every_figure_embeds_without_chrome(gradlab):
    for figure in sorted(embed.figure_owners()):
        gradlab.driver.get(gradlab.server_url + f"/embed/{figure}")
        gradlab.wait_for_element(f".embed-target #{figure} .js-plotly-plot", timeout=20)
        assert not gradlab.find_element(".navbar").is_displayed()
        visible = [g for g in gradlab.driver.find_elements(By.CSS_SELECTOR, ".js-plotly-plot")
                   if g.is_displayed()]
        assert len(visible) == 1, figure
        assert not gradlab.find_element(".controls").is_displayed()
    assert browser_errors(gradlab) == []


@pytest.fixture
def other_origin(tmp_path):
    """A static file server on another port of this machine: a different origin."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_embed_snippet_renders_on_another_origin(gradlab, other_origin):
    folder, origin = other_origin
    gradlab.driver.get(gradlab.server_url + "/chain?w=1.2&n=20&act=tanh")
    expected = scalar_chain(1.2, 0, 1, 20, "tanh").grad_w
    wait_for_plotted(gradlab, "chain-gradients", TANH_LINE, close_to(expected))
    gradlab.find_element("[data-embed-figure='chain-gradients']").click()
    snippet = gradlab.find_element("#chain-gradients").find_element(
        By.XPATH, "..//textarea[contains(@class, 'embed-snippet')]").get_attribute("value")
    assert snippet.startswith('<iframe src="' + gradlab.server_url + "/embed/chain-gradients?")
    (folder / "course.html").write_text(f"<html><body><h1>Course page</h1>{snippet}</body></html>")
    (folder / "favicon.ico").write_bytes(b"")  # the course site's own, not ours

    gradlab.driver.get(origin + "/course.html")
    gradlab.driver.switch_to.frame(gradlab.driver.find_element(By.TAG_NAME, "iframe"))
    wait_for_plotted(gradlab, "chain-gradients", TANH_LINE, close_to(expected))
    gradlab.driver.switch_to.default_content()
    assert browser_errors(gradlab) == []


def figure_layout(duo, path: str, graph: str = "chain-gradients"):
    """A value of the rendered figure's full layout (None while the page is reloading)."""
    return duo.driver.execute_script(
        "var g = document.querySelector(arguments[0] + ' .js-plotly-plot');"
        "var v = g && g._fullLayout;"
        "arguments[1].split('.').forEach(function (k) { v = v && v[k]; });"
        "return v === undefined ? null : v;", f"#{graph}", path)


def test_presenter_and_dark_looks_follow_the_toggles(gradlab):
    gradlab.driver.get(gradlab.server_url + "/chain?w=0.8")
    gradlab.wait_for_element("#chain-gradients .js-plotly-plot")
    gradlab.find_element("[data-look-toggle='present']").click()
    gradlab.wait_for_element("html.gl-present")
    assert "present=1" in gradlab.driver.current_url and "w=0.8" in gradlab.driver.current_url
    until(lambda: figure_layout(gradlab, "font.size") == 20, timeout=10)

    gradlab.find_element("[data-look-toggle='dark']").click()
    gradlab.wait_for_element("html.gl-dark.gl-present")
    until(lambda: figure_layout(gradlab, "paper_bgcolor") == "#14181f", timeout=10)

    gradlab.find_element(".navbar a[href='/matrix']").click()  # the look travels with you
    gradlab.wait_for_element("#matrix-gradients .js-plotly-plot")
    until(lambda: "present=1" in gradlab.driver.current_url and "dark=1" in gradlab.driver.current_url,
          timeout=5)
    assert browser_errors(gradlab) == []


def test_pages_load_only_from_this_server(gradlab):
    """Offline: everything (Dash, plotly.js, MathJax, CSS) comes from the app itself; other
    hosts do not resolve in these tests, so a CDN request would also fail loudly."""
    ready = {"/": ".page-list", "/tour": "#tour-figure"}
    for path in ("/", "/chain", "/matrix", "/rnn", "/dynamics", "/cliff", "/tour", "/train"):
        gradlab.driver.get(gradlab.server_url + path)
        gradlab.wait_for_element(".navbar")
        gradlab.wait_for_element(ready.get(path, ".js-plotly-plot"))
        urls = gradlab.driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)")
        assert urls and all(u.startswith(gradlab.server_url) for u in urls), path
    assert browser_errors(gradlab) == []
