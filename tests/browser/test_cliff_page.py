import numpy as np
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.action_builder import ActionBuilder

from engine.cliff import descend_many
from tests.browser.helpers import (
    browser_errors,
    nudge_slider,
    plotted,
    wait_for_plotted,
)

# where (w, b) sits on the page: plotly's own axis mapping plus the plot area's offset
DATA_TO_PAGE = """
const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');
const L = gd._fullLayout, box = gd.getBoundingClientRect();
return [box.left + L.margin.l + L.xaxis.l2p(arguments[1]),
        box.top + L.margin.t + L.yaxis.l2p(arguments[2])];
"""
HEATMAP = """
const gd = document.querySelector('#cliff-surface .js-plotly-plot');
const t = gd && gd._fullData.find(t => t.type === 'heatmap');
return t ? {z: Array.from(t.z, row => Array.from(row)), x: Array.from(t.x), y: Array.from(t.y)}
         : null;
"""


def path_close_to(expected, axis=0):
    return lambda trace: len(trace["x"]) == len(expected) and np.allclose(
        trace["x" if axis == 0 else "y"], expected, rtol=1e-6, atol=0)


def test_cliff_page_shows_the_url_state_and_follows_the_controls(gradlab):
    gradlab.driver.get(gradlab.server_url + "/cliff?w0=4.6&b0=-2.365&lr=0.1&clip=1&steps=100"
                                            "&view=2d")
    plain, norm, value = descend_many(4.6, -2.365, 0.1, 100, threshold=1.0)
    wait_for_plotted(gradlab, "cliff-surface", "norm-clipped", path_close_to(norm.path[:, 0]))
    drawn = plotted(gradlab, "cliff-surface")
    np.testing.assert_allclose(drawn["plain GD"]["y"], plain.path[:, 1], rtol=1e-6)
    np.testing.assert_allclose(drawn["value-clipped"]["x"], value.path[:, 0], rtol=1e-6)
    steps = plotted(gradlab, "cliff-stepsizes")
    np.testing.assert_allclose(steps["plain GD"]["y"], plain.step_norm, rtol=1e-6)
    assert steps["plain GD"]["y"][0] > 10 * steps["norm-clipped"]["y"].max()  # off the wall
    from app.pages.cliff import display_surface
    heat = gradlab.driver.execute_script(HEATMAP)
    np.testing.assert_allclose(heat["z"], np.log10(display_surface().E), rtol=1e-6)
    assert gradlab.find_element("#cliff-regime").text.lower() == "exploding"

    nudge_slider(gradlab, "cliff-lr", presses=2, key="\ue012")  # ← ←: lr 0.1 → 0.098
    moved = descend_many(4.6, -2.365, 0.098, 100, threshold=1.0)[1]
    wait_for_plotted(gradlab, "cliff-surface", "norm-clipped", path_close_to(moved.path[:, 0]))
    assert "lr=0.098" in gradlab.driver.current_url
    # the move sent a Patch of the paths: the surface the browser had is still drawn
    heat = gradlab.driver.execute_script(HEATMAP)
    np.testing.assert_allclose(heat["z"], np.log10(display_surface().E), rtol=1e-6)
    assert browser_errors(gradlab) == []


def test_a_click_on_the_surface_moves_the_start(gradlab):
    gradlab.driver.get(gradlab.server_url + "/cliff")
    default = descend_many(4.6, -2.365, 0.1, 100)[0]
    wait_for_plotted(gradlab, "cliff-surface", "plain GD", path_close_to(default.path[:, 0]))
    target = (5.5, -3.5)
    graph = gradlab.find_element("#cliff-surface")
    gradlab.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", graph)
    x, y = gradlab.driver.execute_script(DATA_TO_PAGE, "#cliff-surface", *target)
    actions = ActionBuilder(gradlab.driver)
    actions.pointer_action.move_to_location(int(x), int(y))
    actions.perform()
    ActionChains(gradlab.driver).pause(0.3).click().perform()
    # the start moves to the clicked cell's centre, rounded to the slider step
    gradlab.wait_for_contains_text("#cliff-start", "Start (w₀, b₀) = (5.", timeout=10)
    w0 = float(gradlab.find_element("#cliff-w0 [role='slider']").get_attribute("aria-valuenow"))
    b0 = float(gradlab.find_element("#cliff-b0 [role='slider']").get_attribute("aria-valuenow"))
    assert abs(w0 - 5.5) < 0.03 and abs(b0 + 3.5) < 0.03  # one display cell is 0.05 × 0.04
    moved = descend_many(w0, b0, 0.1, 100)[0]
    wait_for_plotted(gradlab, "cliff-surface", "plain GD", path_close_to(moved.path[:, 0]))
    assert f"w0={w0:g}&b0={b0:g}" in gradlab.driver.current_url
    assert browser_errors(gradlab) == []


def test_presets_and_the_3d_view(gradlab):
    gradlab.driver.get(gradlab.server_url + "/cliff?view=3d")
    gradlab.wait_for_element("#cliff-surface .js-plotly-plot")
    wait_for_plotted(gradlab, "cliff-surface", "E(w, b)", lambda t: True)
    gradlab.find_element("#cliff-preset-walk_into_wall").click()
    walk = descend_many(5.0, -3.0, 0.1, 100)
    wait_for_plotted(gradlab, "cliff-surface", "plain GD", path_close_to(walk[0].path[:, 0]))
    assert "w0=5&b0=-3" in gradlab.driver.current_url and "view=2d" in gradlab.driver.current_url
    gradlab.find_element("#cliff-view input[value='3d']").click()
    wait_for_plotted(gradlab, "cliff-surface", "E(w, b)", lambda t: True)
    assert "view=3d" in gradlab.driver.current_url
    assert browser_errors(gradlab) == []


def test_cliff_page_bad_url_shows_notice_and_nearest_valid_state(gradlab):
    gradlab.driver.get(gradlab.server_url + "/cliff?w0=99&b0=x&lr=-1&view=4d&steps=2.5")
    expected = descend_many(8.0, -2.365, 0.001, 2)[1]
    wait_for_plotted(gradlab, "cliff-surface", "norm-clipped", path_close_to(expected.path[:, 0]))
    notices = gradlab.find_element(".url-notices").text
    for text in ("w0 = 99 is outside 2–8; using 8.", "b0 = x is not a number; using -2.365.",
                 "lr = -1 is outside 0.001–1; using 0.001.",
                 "view = 4d is not one of 2d, 3d; using 2d.",
                 "steps = 2.5 is not a whole number; using 2."):
        assert text in notices
    assert "w0=8&b0=-2.365&lr=0.001" in gradlab.driver.current_url
    assert browser_errors(gradlab) == []
