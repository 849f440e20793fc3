"""Live sessions in two real browsers: the lecturer's tab (dash_duo's Chromium) leads, a
second headless Chromium follows the follow link. Every check of a figure holds the data the
follower's browser plotted against the engine for the lead's state, read from the lead's URL."""
import time
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pytest
from dash.testing.wait import until
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from components.rnn_figures import MEASURED
from engine.chain import scalar_chain
from engine.rnn import bptt
from tests.browser.conftest import pytest_setup_options
from tests.browser.helpers import browser_errors, nudge_slider, plotted

CLOSED = "closed form aₗ₋₁·wⁿ⁻ˡ"  # /chain's gradient line for σ = identity (its default)


class Tab:
    """The second browser, with the few dash_duo helpers the shared helpers use."""

    def __init__(self):
        options = pytest_setup_options()
        options.set_capability("goog:loggingPrefs", {"browser": "SEVERE"})
        self.driver = webdriver.Chrome(options=options)

    def find_element(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def get_logs(self):
        return [e for e in self.driver.get_log("browser") if "favicon" not in e["message"]]

    def quit(self):
        self.driver.quit()


@pytest.fixture
def follower():
    tab = Tab()
    yield tab
    tab.quit()


def query_of(tab) -> dict:
    return dict(parse_qsl(urlsplit(tab.driver.current_url).query))


def chain_expected(query: dict):
    from app.pages.chain import PARAMS
    values, _ = PARAMS.parse(query)
    return scalar_chain(values["w"], values["b"], values["x"], values["n"], values["act"])


def rnn_expected(query: dict):
    from app.pages.rnn import PARAMS
    args = PARAMS.engine_args(PARAMS.parse(query)[0])
    args.pop("cells")
    return bptt(**args)


def shows(tab, graph_id: str, name: str, field: str, expected, timeout: float = 10) -> None:
    """Wait until `tab` plots the named trace of `graph_id` with `field` equal to `expected`."""
    expected = np.asarray(expected, dtype=float)

    def ready():
        trace = plotted(tab, graph_id).get(name)
        return trace is not None and len(trace[field]) == len(expected) and np.allclose(
            trace[field], expected, rtol=1e-12, atol=0)
    until(ready, timeout=timeout)


def mode(tab) -> str:
    return tab.driver.execute_script(
        "var b = document.getElementById('live-banner'); return b && !b.hidden ? "
        "b.getAttribute('data-live-mode') : null;")


def applied(tab) -> str:
    return tab.driver.execute_script(
        "return document.documentElement.getAttribute('data-live-applied');")


def go_live(lead) -> str:
    """Press Go live; check the dialog is a real, labelled, keyboard-closable dialog; the
    follow link it shows."""
    lead.find_element("[data-live-go]").click()
    until(lambda: lead.driver.execute_script(
        "var d = document.getElementById('live-dialog'); return d && d.open;"), timeout=10)
    dialog = lead.find_element("#live-dialog")
    assert dialog.get_attribute("aria-labelledby") == "live-dialog-title"
    assert lead.find_element("#live-dialog-title").text == "Follow this lecture live"
    assert lead.driver.execute_script(
        "return document.getElementById('live-dialog').contains(document.activeElement);")
    url = lead.find_element("#live-dialog .live-url").get_attribute("href")
    until(lambda: lead.driver.execute_script(
        "var i = document.querySelector('#live-dialog .live-qr'); return i.complete && "
        "i.naturalWidth > 0;"), timeout=10)
    lead.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    until(lambda: not lead.driver.execute_script(
        "return document.getElementById('live-dialog').open;"), timeout=5)
    # focus goes back to the button that opened it
    assert lead.driver.switch_to.active_element.get_attribute("data-live-go") == "1"
    return url


def test_a_follower_sees_the_lead_across_pages_explores_and_rejoins(gradlab, follower):
    lead = gradlab
    lead.driver.get(lead.server_url + "/chain?w=0.9&n=30")
    lead.wait_for_element("#chain-gradients .js-plotly-plot")
    url = go_live(lead)
    assert mode(lead) == "lead"

    follower.driver.get(url)  # the follow link opens on the lead's page and state
    until(lambda: mode(follower) == "following", timeout=10)
    assert urlsplit(follower.driver.current_url).path == "/chain"
    shows(follower, "chain-gradients", CLOSED, "customdata", chain_expected({"w": 0.9, "n": 30}).grad_w)

    # the lead moves a slider: the follower's figure shows the lead's new value
    nudge_slider(lead, "chain-w", presses=4)
    until(lambda: query_of(lead).get("w") == "0.94", timeout=10)
    shows(follower, "chain-gradients", CLOSED, "customdata", chain_expected(query_of(lead)).grad_w)
    assert follower.find_element("#chain-w [role='slider']").get_attribute("aria-valuenow") == "0.94"
    assert applied(follower) == "control"  # the one slider moved, the page not rendered again

    # the lead goes to another page and moves there: the follower goes along
    lead.find_element(".navbar a[href='/rnn']").click()
    lead.wait_for_element("#rnn-norms .js-plotly-plot")
    nudge_slider(lead, "rnn-rho", presses=3)
    until(lambda: query_of(lead).get("rho") == "1.13", timeout=10)
    shows(follower, "rnn-norms", MEASURED, "y", rnn_expected(query_of(lead)).jacobian_norms,
          timeout=15)
    assert urlsplit(follower.driver.current_url).path == "/rnn"
    assert applied(follower) in ("navigate", "control")  # to /rnn, then its ρ

    # "explore on my own": the follower's own moves stick while the lead moves on
    follower.find_element("[data-live-action='explore']").click()
    until(lambda: mode(follower) == "exploring", timeout=5)
    nudge_slider(follower, "rnn-rho", presses=2, key=Keys.ARROW_LEFT)  # 1.13 → 1.11
    own = rnn_expected({**query_of(lead), "rho": "1.11"}).jacobian_norms
    shows(follower, "rnn-norms", MEASURED, "y", own)
    nudge_slider(lead, "rnn-rho", presses=2)
    until(lambda: query_of(lead).get("rho") == "1.15", timeout=10)
    time.sleep(2.5)  # more than two polls' worth: a follower would have moved by now
    assert query_of(follower).get("rho") == "1.11"
    shows(follower, "rnn-norms", MEASURED, "y", own, timeout=1)

    # "rejoin": back to the lead's state
    follower.find_element("[data-live-action='rejoin']").click()
    until(lambda: mode(follower) == "following", timeout=5)
    shows(follower, "rnn-norms", MEASURED, "y", rnn_expected(query_of(lead)).jacobian_norms)
    assert query_of(follower).get("rho") == "1.15"

    # an embed snippet made while following carries the page's state, not the role
    follower.find_element("[data-embed-figure='rnn-norms']").click()
    snippet = follower.driver.execute_script(
        "return document.querySelector(\"[data-embed-figure='rnn-norms']\")"
        ".closest('.figure-box').querySelector('.embed-snippet').value;")
    assert "rho=1.15" in snippet and "live" not in snippet

    # a preset (several controls at once), a tour step, a new look: the follower goes along
    lead.find_element("[id^='rnn-preset-']").click()
    until(lambda: query_of(lead).get("T") == "10", timeout=10)
    shows(follower, "rnn-norms", MEASURED, "y", rnn_expected(query_of(lead)).jacobian_norms)
    lead.find_element(".navbar a[href='/tour']").click()
    lead.wait_for_text_to_equal("#tour-count", "step 1 of 10")
    lead.find_element("#tour-next").click()
    lead.wait_for_text_to_equal("#tour-count", "step 2 of 10")
    until(lambda: follower.driver.execute_script(
        "var c = document.getElementById('tour-count'); return c && c.textContent;")
        == "step 2 of 10", timeout=10)
    lead.find_element("[data-look-toggle='present']").click()  # a reload of the lead's page
    until(lambda: follower.driver.execute_script(
        "return document.documentElement.classList.contains('gl-present');"), timeout=10)
    assert query_of(follower) == {"step": "2", "present": "1"} and mode(follower) == "following"
    assert mode(lead) == "lead"  # the role survives the lead's reload

    # the roles never show in a URL or in an embed snippet
    for tab in (lead, follower):
        assert "live" not in tab.driver.current_url and "#" not in tab.driver.current_url
    assert browser_errors(lead) == []
    assert follower.get_logs() == []


def test_a_bad_follow_link_says_so_and_links_home(gradlab):
    gradlab.driver.get(gradlab.server_url + "/live/abcdefgh")
    assert "does not exist or has expired" in gradlab.find_element("h1").text
    assert gradlab.find_element("main a").get_attribute("pathname") == "/"
    gradlab.driver.get(gradlab.server_url + "/live/abcdefgh/lead#whatever")
    assert "does not exist or has expired" in gradlab.find_element("h1").text


def test_the_dialog_and_every_banner_pass_axe(gradlab):
    axe = pytest.importorskip("tests.browser.axe")
    if not axe.AXE.exists():
        pytest.skip("axe-core is not installed (.ci/install)")
    lead = gradlab
    lead.driver.get(lead.server_url + "/chain?present=1")
    axe.settle(lead.driver)
    lead.find_element("[data-live-go]").click()
    until(lambda: lead.driver.execute_script(
        "var d = document.getElementById('live-dialog'); return d && d.open;"), timeout=10)
    found = {"dialog": axe.violations(lead.driver)}
    lead.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    found["lead banner"] = axe.violations(lead.driver)
    sid = lead.driver.execute_script(
        "return JSON.parse(sessionStorage.getItem('gradlab-live')).id;")
    for mode_ in ("following", "exploring", "ended"):  # as a follower's tab would be
        lead.driver.execute_script(
            "sessionStorage.setItem('gradlab-live', JSON.stringify(arguments[0]));",
            {"role": "follow", "id": sid, "mode": mode_})
        lead.driver.refresh()
        axe.settle(lead.driver)
        until(lambda: mode(lead) == mode_, timeout=10)
        found[mode_] = axe.violations(lead.driver)
    assert not any(found.values()), axe.report(found)
