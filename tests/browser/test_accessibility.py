"""WCAG 2.1 AA in a real Chromium: axe-core finds nothing on any page, tour step or embed, in
any look; the keyboard alone drives /chain; each figure's numbers leave as a table and a CSV
equal to what the engine computed."""
import csv
import io
import time
from pathlib import Path

import numpy as np
import pytest
from dash.testing.wait import until
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from engine.chain import scalar_chain
from tests.browser import axe
from tests.browser.helpers import browser_errors, close_to, plotted, wait_for_plotted

PAGES = ("/", "/chain", "/matrix", "/rnn", "/dynamics", "/cliff", "/train")
LOOKS = {"light": "", "dark": "dark=1", "presenter": "present=1"}


def _tour_steps():
    from app.pages.tour import STEPS
    return [f"/tour?step={n}" for n in range(1, len(STEPS) + 1)]


def _embeds():
    import app.main  # noqa: F401  the pages are registered
    from app.pages.embed import figure_owners
    return [f"/embed/{figure}" for figure in sorted(figure_owners())] + [
        "/embed/chain-gradients?controls=1", "/embed/rnn-flow?controls=1"]


def _with_look(path: str, look: str) -> str:
    if not look:
        return path
    return path + ("&" if "?" in path else "?") + look


@pytest.mark.parametrize("look", LOOKS)
def test_axe_finds_no_violation_anywhere(gradlab, look):
    """Every page, every tour step and every /embed/<figure> (with and without its controls),
    in this look: no WCAG 2.1 A/AA violation of any impact."""
    found, audited = {}, 0
    for path in (*PAGES, *_tour_steps(), *_embeds()):
        url = _with_look(path, LOOKS[look])
        gradlab.driver.get(gradlab.server_url + url)
        axe.settle(gradlab.driver)
        found[url] = axe.violations(gradlab.driver)
        audited += 1
    assert audited >= 40
    assert not any(found.values()), axe.report(found)


def test_axe_checks_the_open_figure_tools_and_an_open_dropdown(gradlab):
    """What only appears on demand: the data table, the embed box, an open dropdown menu."""
    gradlab.driver.get(gradlab.server_url + "/rnn")
    axe.settle(gradlab.driver)
    gradlab.find_element("[data-table-figure='rnn-norms']").click()
    gradlab.find_element("[data-embed-figure='rnn-norms']").click()
    gradlab.find_element("#rnn-act").click()
    gradlab.wait_for_element(".dash-dropdown-content, [role='listbox']")
    found = {"/rnn": axe.violations(gradlab.driver)}
    assert not found["/rnn"], axe.report(found)


def _focused(duo) -> str:
    """What has the focus, described: the control's id (or its container's), else its text."""
    return duo.driver.execute_script("""
      const e = document.activeElement;
      const owner = e.closest('[id]');
      return (e.getAttribute('role') || e.tagName.toLowerCase()) + '#' + (owner ? owner.id : '')
             + ':' + (e.textContent || '').trim().slice(0, 20);""")


def _tab_until(duo, predicate, limit: int = 60) -> list[str]:
    seen = []
    for _ in range(limit):
        ActionChains(duo.driver).send_keys(Keys.TAB).perform()  # from wherever the focus is
        seen.append(_focused(duo))
        if predicate(seen[-1]):
            return seen
    raise AssertionError(f"not reached in {limit} tabs: {seen}")


def test_keyboard_alone_drives_the_chain_page(gradlab):
    """Tab order: skip link, menu, look toggles, then the controls in panel order; the skip link
    moves the focus to the figures; arrow keys, Home and End move a slider, and the figures
    then hold the engine's values for the new state; the focus ring is visible."""
    driver = gradlab.driver
    driver.get(gradlab.server_url + "/chain?w=0.9&b=0&x=1&n=30&act=identity")
    wait_for_plotted(gradlab, "chain-gradients", "closed form aₗ₋₁·wⁿ⁻ˡ",
                     close_to(scalar_chain(0.9, 0, 1, 30).grad_w, field="customdata"))
    first = _tab_until(gradlab, lambda f: True, limit=1)  # from the top of a fresh page
    assert first[0].startswith("a#") and "Skip to figures" in first[0]
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    until(lambda: driver.execute_script("return document.activeElement.id") == "figures", 5)

    driver.refresh()
    axe.settle(driver)
    order = _tab_until(gradlab, lambda f: f.startswith("slider#chain-w"))
    assert any("Presenter" in f for f in order) and any("Dark" in f for f in order)
    outline = driver.execute_script(
        "return getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), "no visible focus ring on the slider"

    # the controls follow in panel order (each: its typed-value box, then its thumb): b, x, n,
    # then the activation
    rest = _tab_until(gradlab, lambda f: f.startswith(("input#chain-act", "button#chain-act")))
    ids = [f.split("#")[1].split(":")[0] for f in rest]
    firsts = [i for n, i in enumerate(ids) if i not in ids[:n]]
    assert firsts == ["chain-b", "chain-x", "chain-n", "chain-act"]

    # w: End → 2, then ← five times → 1.95; n: Home → 1, then → four times → 5
    driver.find_element("css selector", "#chain-w [role='slider']").click()
    thumb = driver.switch_to.active_element
    thumb.send_keys(Keys.END)
    for _ in range(5):
        thumb.send_keys(Keys.ARROW_LEFT)
    n_thumb = driver.find_element("css selector", "#chain-n [role='slider']")
    driver.execute_script("arguments[0].focus()", n_thumb)
    n_thumb.send_keys(Keys.HOME)
    for _ in range(4):
        n_thumb.send_keys(Keys.ARROW_RIGHT)
    expected = scalar_chain(1.95, 0, 1, 5)
    wait_for_plotted(gradlab, "chain-gradients", "closed form aₗ₋₁·wⁿ⁻ˡ",
                     close_to(expected.grad_w, field="customdata"))
    backprop = plotted(gradlab, "chain-backprop")["closed form wⁿ⁻ˡ"]
    np.testing.assert_allclose(backprop["customdata"], expected.backprop, rtol=1e-12)
    assert "w=1.95" in driver.current_url and "n=5" in driver.current_url

    # the activation dropdown by keyboard: Enter opens it (the focus moves into its options),
    # arrows move to a choice, Enter takes it
    trigger = driver.find_element("css selector", "#chain-act")
    driver.execute_script("arguments[0].focus()", trigger)
    ActionChains(driver).send_keys(Keys.ENTER).perform()
    focused = 'return document.activeElement.type === "radio" && document.activeElement.value'
    until(lambda: driver.execute_script(focused), 5)
    for _ in range(12):  # to the option "tanh", wherever it sits in the list, one key at a time
        now = driver.execute_script(focused)
        if now == "tanh":
            break
        ActionChains(driver).send_keys(Keys.ARROW_DOWN).perform()
        until(lambda: driver.execute_script(focused) not in (now, False), 5)
    ActionChains(driver).send_keys(Keys.ENTER).perform()
    until(lambda: "act=tanh" in driver.current_url, 5)
    tanh = scalar_chain(1.95, 0, 1, 5, "tanh")
    wait_for_plotted(gradlab, "chain-gradients", "chain rule in numpy aₗ₋₁·σ′(hₗ)·∂aₙ/∂aₗ",
                     close_to(tanh.grad_w, field="customdata"))
    assert browser_errors(gradlab) == []


def _csv_rows(text: str):
    lines = text.splitlines()
    header = [line for line in lines if line.startswith("#")]
    rows = list(csv.DictReader(io.StringIO("\n".join(l for l in lines if not l.startswith("#")))))
    return header, rows


def test_csv_download_and_data_table_hold_the_plotted_numbers(gradlab, tmp_path):
    """The CSV button saves (through dcc.Download) every trace's plotted points with named
    columns and the page's parameters in a header; the values are the engine's; the data
    table shows the same rows; both work on an embed too."""
    driver = gradlab.driver
    driver.get(gradlab.server_url + "/chain?w=1.1&b=0&x=1&n=12&act=identity")
    expected = scalar_chain(1.1, 0, 1, 12)
    wait_for_plotted(gradlab, "chain-gradients", "closed form aₗ₋₁·wⁿ⁻ˡ",
                     close_to(expected.grad_w, field="customdata"))
    gradlab.find_element("[data-table-figure='chain-gradients']").click()
    table = gradlab.find_element("#chain-gradients-table table")
    assert "Gradient" in table.find_element("css selector", "caption").text

    gradlab.find_element("#\\{\\\"figure\\\"\\:\\\"chain-gradients\\\"\\,\\\"type\\\"\\:\\\"figure-csv-button\\\"\\}").click()
    target = Path(gradlab.download_path) / "chain-gradients.csv"
    until(target.exists, timeout=10)
    header, rows = _csv_rows(target.read_text(encoding="utf-8"))
    assert any("w=1.1" in h and "n=12" in h for h in header)
    columns = list(rows[0])
    assert columns[:3] == ["series", "layer l", "|∂a_n/∂w_l|"] and "value" in columns
    closed = [r for r in rows if r["series"] == "closed form aₗ₋₁·wⁿ⁻ˡ"]
    np.testing.assert_allclose([float(r["value"]) for r in closed], expected.grad_w, rtol=1e-12)
    np.testing.assert_allclose([float(r["layer l"]) for r in closed], np.arange(1, 13))
    body = table.find_elements("css selector", "tbody tr")
    assert len(body) == len(rows)

    # SVG for slides, beside the modebar's PNG
    gradlab.find_element("[data-svg-figure='chain-gradients']").click()
    svg = Path(gradlab.download_path) / "chain-gradients.svg"
    until(svg.exists, timeout=10)
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<svg")

    # an embed: the same CSV from the figure alone
    driver.get(gradlab.server_url + "/embed/chain-backprop?w=0.5&n=8")
    wait_for_plotted(gradlab, "chain-backprop", "closed form wⁿ⁻ˡ",
                     close_to(scalar_chain(0.5, 0, 1, 8).backprop, field="customdata"))
    text = driver.execute_script("return window.dash_clientside.gradlab.figureCsvText('chain-backprop')")
    header, rows = _csv_rows(text)
    closed = [float(r["value"]) for r in rows if r["series"] == "closed form wⁿ⁻ˡ"]
    np.testing.assert_allclose(closed, 0.5 ** np.arange(8, -1, -1), rtol=1e-15)
    assert browser_errors(gradlab) == []


def test_figure_summaries_reach_the_live_region_once_settled(gradlab):
    """Each figure's sentence sits beside it (aria-describedby); the page's one live region
    repeats them after the figures settle, not per slider step."""
    driver = gradlab.driver
    driver.get(gradlab.server_url + "/chain?w=0.9&n=50")
    axe.settle(driver)
    until(lambda: driver.find_element("css selector", "#chain-gradients-summary").text, 10)
    box = driver.find_element("css selector", "#chain-gradients").find_element(
        "xpath", "ancestor::div[contains(@class,'figure-box')]")
    assert box.get_attribute("aria-describedby") == "chain-gradients-summary"
    until(lambda: driver.find_element("css selector", "#figure-announcer")
          .get_attribute("textContent"), 10)
    region = driver.find_element("css selector", "#figure-announcer")
    assert region.get_attribute("aria-live") == "polite"
    said = region.get_attribute("textContent")
    for figure in ("chain-activations", "chain-backprop", "chain-gradients"):
        assert driver.find_element("css selector", f"#{figure}-summary").text in said
    # a burst of slider steps: the region changes once, after the burst
    thumb = driver.find_element("css selector", "#chain-w [role='slider']")
    thumb.click()
    changes = driver.execute_script("""
      window.__said = 0;
      new MutationObserver(() => window.__said++).observe(
        document.getElementById('figure-announcer'), {childList: true, characterData: true, subtree: true});
      return 0;""")
    for _ in range(6):
        thumb.send_keys(Keys.ARROW_RIGHT)
        time.sleep(0.15)
    time.sleep(2.5)
    changes = driver.execute_script("return window.__said")
    assert 1 <= changes <= 2, changes


def test_pytorch_code_button_shows_the_script_for_the_state_on_screen(gradlab):
    """"PyTorch code for this setup" fetches app/code_route.py's script for the page's current
    query (moved sliders included) into a box to copy or download."""
    from urllib.request import urlopen
    driver = gradlab.driver
    driver.get(gradlab.server_url + "/chain?w=1.1&n=12&act=tanh")
    axe.settle(driver)
    thumb = driver.find_element("css selector", "#chain-n [role='slider']")
    thumb.click()
    thumb.send_keys(Keys.ARROW_RIGHT)
    until(lambda: "n=13" in driver.current_url, 5)
    button = gradlab.find_element("[data-code-page='chain']")
    button.click()
    text = driver.find_element("css selector", "#chain-code-text")
    until(lambda: "import torch" in text.get_attribute("value"), 10)
    query = driver.current_url.split("?", 1)[1]
    with urlopen(f"{gradlab.server_url}/code/chain.py?{query}") as answer:
        assert text.get_attribute("value") == answer.read().decode("utf-8")
    assert "n=13" in text.get_attribute("value") and button.get_attribute("aria-expanded") == "true"
    link = driver.find_element("css selector", "#chain-code .code-download")
    assert link.get_attribute("href").endswith(f"/code/chain.py?{query}")
    assert browser_errors(gradlab) == []


def test_preset_links_and_buttons_work_by_enter(gradlab):
    """A preset link and a figure's "data" button, reached by Tab and taken by Enter."""
    from components.rnn_figures import MEASURED
    driver = gradlab.driver
    driver.get(gradlab.server_url + "/rnn")
    axe.settle(driver)
    _tab_until(gradlab, lambda f: "rnn-preset-halving" in f)
    ActionChains(driver).send_keys(Keys.ENTER).perform()
    wait_for_plotted(gradlab, "rnn-norms", MEASURED, close_to(0.5 ** np.arange(11)))
    table = driver.find_element("css selector", "#rnn-norms-table")
    driver.execute_script("arguments[0].focus()",
                          driver.find_element("css selector", "[data-table-figure='rnn-norms']"))
    ActionChains(driver).send_keys(Keys.ENTER).perform()
    until(lambda: table.is_displayed() and table.find_elements("css selector", "tbody tr"), 5)
    assert browser_errors(gradlab) == []
