"""Lesson links in a real Chromium: a lecture step that only lets students move w
(/chain?…&lock=b,x,n,act), an embed with no control but the depth slider (hide=), and the embed
box's checkboxes that write lock=, hide= and controls= into the link and the snippet.
(The server side, every page: tests/app/test_lesson_links.py.)"""
from urllib.parse import parse_qs, urlsplit

from dash.testing.wait import until
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from engine.chain import reference_chain
from tests.browser import axe
from tests.browser.helpers import browser_errors, close_to, nudge_slider, wait_for_plotted

LECTURE = "/chain?w=0.9&b=0&x=1&n=50&act=identity&lock=b,x,n,act"
CLOSED = "closed form aₗ₋₁·wⁿ⁻ˡ"  # σ = identity: the gradients' closed form


def query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def grads(*state):
    return close_to(reference_chain(*state).grad_w, field="customdata")


def test_locked_sliders_do_not_move_by_keyboard_and_w_does(gradlab):
    driver = gradlab.driver
    driver.get(gradlab.server_url + LECTURE)
    wait_for_plotted(gradlab, "chain-gradients", CLOSED, grads(0.9, 0.0, 1.0, 50, "identity"))
    for name in ("b", "x", "n"):
        thumb = gradlab.find_element(f"#chain-{name} [role='slider']")
        # out of the tab order, and says so; its label says "locked"; its typed box is disabled
        assert thumb.get_attribute("tabindex") is None
        until(lambda: thumb.get_attribute("aria-disabled") == "true", 5)
        assert gradlab.find_element(f"#chain-{name}-label").text.endswith("locked")
        assert gradlab.find_element(f"#chain-{name} input[type='number']").get_attribute(
            "disabled") is not None
        before = thumb.get_attribute("aria-valuenow")
        ActionChains(driver).click(thumb).send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT,
                                                    Keys.END).perform()
        assert thumb.get_attribute("aria-valuenow") == before
    assert gradlab.find_element("#chain-act").get_attribute("disabled") is not None
    # tabbing through the page never lands on a locked control
    driver.find_element("css selector", "#chain-w [role='slider']").click()
    reached = []
    for _ in range(6):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        reached.append(driver.execute_script(
            "const e = document.activeElement, c = e.closest('.control');"
            "return c ? c.getAttribute('data-param') : e.tagName"))
    assert not {"b", "x", "n", "act"} & set(reached), reached

    # w moves, and the figures hold the engine's values with the locked ones unchanged
    nudge_slider(gradlab, "chain-w", presses=3)
    wait_for_plotted(gradlab, "chain-gradients", CLOSED, grads(0.93, 0.0, 1.0, 50, "identity"))
    until(lambda: query(driver.current_url).get("w") == "0.93", 5)
    assert query(driver.current_url) == {"w": "0.93", "b": "0", "x": "1", "n": "50",
                                         "act": "identity", "lock": "b,x,n,act"}
    assert browser_errors(gradlab) == []


def test_hide_removes_the_controls(gradlab):
    driver = gradlab.driver
    driver.get(gradlab.server_url + "/embed/chain-gradients?w=1.1&n=20&controls=1&hide=w,b,x,act")
    wait_for_plotted(gradlab, "chain-gradients", CLOSED, grads(1.1, 0.0, 1.0, 20, "identity"))
    for name in ("w", "b", "x", "act"):
        assert driver.find_elements("css selector", f"#chain-{name}") == []
    assert gradlab.find_element("#chain-n").is_displayed()
    nudge_slider(gradlab, "chain-n", presses=2, key=Keys.ARROW_LEFT)
    wait_for_plotted(gradlab, "chain-gradients", CLOSED, grads(1.1, 0.0, 1.0, 18, "identity"))
    until(lambda: query(driver.current_url).get("n") == "18", 5)
    assert query(driver.current_url) == {"w": "1.1", "b": "0", "x": "1", "n": "18",
                                         "act": "identity", "hide": "w,b,x,act", "controls": "1"}
    assert browser_errors(gradlab) == []


def test_the_embed_box_checkboxes_write_the_link_and_the_snippet(gradlab):
    driver = gradlab.driver
    driver.get(gradlab.server_url + "/chain?w=1.05&n=12&lock=act")
    wait_for_plotted(gradlab, "chain-gradients", CLOSED, grads(1.05, 0.0, 1.0, 12, "identity"))
    gradlab.find_element("[data-embed-figure='chain-gradients']").click()
    box = "#chain-gradients-embed-link"
    link = lambda: gradlab.find_element(box).get_attribute("value")  # noqa: E731
    snippet = lambda: gradlab.find_element("#chain-gradients-embed-snippet").get_attribute(  # noqa: E731
        "value")
    assert query(link()) == {"w": "1.05", "b": "0", "x": "1", "n": "12", "act": "identity",
                             "lock": "act"}
    show = gradlab.find_element(".embed-box:not([hidden]) [data-embed-option='controls']")
    params = gradlab.find_element(".embed-box:not([hidden]) .embed-params")
    assert not show.is_selected() and not params.is_displayed()
    # by keyboard: Space ticks the focused checkbox
    driver.execute_script("arguments[0].focus()", show)
    ActionChains(driver).send_keys(Keys.SPACE).perform()
    until(lambda: query(link()).get("controls") == "1", 5)
    assert params.is_displayed()
    pin = lambda key, name: gradlab.find_element(  # noqa: E731
        f".embed-box:not([hidden]) input[data-pin='{key}'][value='{name}']")
    assert pin("lock", "act").is_selected() and not pin("lock", "w").is_selected()
    for key, name in (("lock", "b"), ("lock", "x"), ("hide", "act")):
        driver.execute_script("arguments[0].focus()", pin(key, name))
        ActionChains(driver).send_keys(Keys.SPACE).perform()
    until(lambda: query(link()).get("hide") == "act", 5)
    assert query(link())["lock"] == "b,x"  # act is hidden now: hide wins
    # and its "lock" shows ticked but cannot be changed while it is hidden
    assert pin("lock", "act").is_selected() and not pin("lock", "act").is_enabled()
    assert f'src="{link()}"' in snippet()
    # the checkboxes are named for screen readers: "lock b (bias b)"
    assert driver.execute_script(
        "return arguments[0].closest('label').textContent", pin("lock", "b")).strip() == \
        "lock b (bias b)"
    # the open box passes axe (WCAG 2.1 AA)
    found = {"embed box": axe.violations(driver)}
    assert not found["embed box"], axe.report(found)

    # the link opens the figure with b and x locked and no activation control
    embed = link()
    driver.get(embed)
    wait_for_plotted(gradlab, "chain-gradients", CLOSED, grads(1.05, 0.0, 1.0, 12, "identity"))
    assert driver.find_elements("css selector", "#chain-act") == []
    assert gradlab.find_element("#chain-b-label").text.endswith("locked")
    assert gradlab.find_element("#chain-w [role='slider']").get_attribute("tabindex") == "0"
    assert browser_errors(gradlab) == []


def test_a_locked_page_passes_axe_in_every_look(gradlab):
    found = {}
    for look in ("", "&dark=1", "&present=1", "&dark=1&present=1"):
        for url in (LECTURE + look, "/train?lock=lr,act,kind,res&hide=width" + look,
                    "/rnn?lock=cells,init&hide=rho" + look):
            gradlab.driver.get(gradlab.server_url + url)
            axe.settle(gradlab.driver)
            found[url] = axe.violations(gradlab.driver)
    assert not any(found.values()), axe.report(found)


def test_the_pins_store_does_not_run_the_callback_again_at_load(gradlab):
    """/cliff sends its surface once and then patches it: the page's callback must run once at
    load, with or without a lesson link (a pins Store mounted without data sets it, which
    would run the callback again, the Store its trigger, and patch a surface not yet drawn)."""
    driver = gradlab.driver
    for url in ("/cliff?w0=4.6&b0=-2.365", "/cliff?w0=4.6&b0=-2.365&lock=w0"):
        driver.get(gradlab.server_url + url)
        axe.settle(driver)
        until(lambda: driver.execute_script(
            "const gd = document.querySelector('#cliff-surface .js-plotly-plot');"
            "return !!(gd && gd._fullData && gd._fullData.length)"), 10)
        assert browser_errors(gradlab) == [], url
    assert gradlab.find_element("#cliff-w0-label").text.endswith("locked")
