import numpy as np

from engine.dynamics import basin_crossing, gradient_sweep, iterate, sweep_values
from tests.browser.helpers import (
    browser_errors,
    close_to,
    nudge_slider,
    plotted,
    wait_for_plotted,
)

GRADIENT = "|∂x_T/∂b|"


def sweep(w, lo=-3.5, hi=-1.5, x0=0.5, T=50, act="sigmoid"):
    cross, _ = basin_crossing("b", w, x0, act)
    return gradient_sweep("b", sweep_values(lo, hi, 801, around=cross), w, x0, T, act)



def test_dynamics_page_shows_the_url_state_and_follows_the_slider(gradlab):
    gradlab.driver.get(gradlab.server_url + "/dynamics?w=5&b=-2.5&x0=0.5&T=50&act=sigmoid"
                                            "&sweep=b&lo=-3.5&hi=-1.5")
    gs = sweep(5.0)
    wait_for_plotted(gradlab, "dynamics-gradient", GRADIENT, close_to(np.abs(gs.dxT)))
    final = plotted(gradlab, "dynamics-final")["x_T"]
    np.testing.assert_allclose(final["y"], gs.x_T, rtol=1e-6)  # sent as float32
    current = iterate(np.array([5.0]), np.array([-2.5]), 0.5, 50).x[:, 0]
    fan = plotted(gradlab, "dynamics-trajectories")
    np.testing.assert_allclose(fan["current b = -2.5"]["y"], current, rtol=1e-6)
    assert len([n for n in fan if n.startswith("b = ")]) == 15
    folds = gradlab.find_element("#dynamics-folds").text
    assert "b = −2.6556 and −2.3444" in folds
    assert "b* = −2.6123" in gradlab.find_element("#dynamics-crossing").text

    nudge_slider(gradlab, "dynamics-w", presses=3)  # 5 → 5.03
    moved = sweep(5.03)
    wait_for_plotted(gradlab, "dynamics-gradient", GRADIENT, close_to(np.abs(moved.dxT)))
    gradlab.wait_for_contains_text("#dynamics-folds", "w = 5.03")
    assert "w=5.03" in gradlab.driver.current_url and "sweep=b" in gradlab.driver.current_url
    assert browser_errors(gradlab) == []


def test_dynamics_page_bad_url_shows_notice_and_nearest_valid_state(gradlab):
    gradlab.driver.get(gradlab.server_url + "/dynamics?w=abc&T=999&act=relu&lo=-1.5&hi=-3.5")
    gs = sweep(5.0, T=200)
    wait_for_plotted(gradlab, "dynamics-gradient", GRADIENT, close_to(np.abs(gs.dxT)))
    notices = gradlab.find_element(".url-notices").text
    for text in ("w = abc is not a number; using 5.", "T = 999 is outside 1–200; using 200.",
                 "act = relu is not one of sigmoid, tanh, identity; using sigmoid.",
                 "lo = -1.5 is above hi = -3.5; swapped them."):
        assert text in notices
    url = gradlab.driver.current_url
    assert "T=200" in url and "lo=-3.5&hi=-1.5" in url and "act=sigmoid" in url
    assert browser_errors(gradlab) == []


def test_switching_the_swept_parameter_moves_the_range_sliders(gradlab):
    gradlab.driver.get(gradlab.server_url + "/dynamics?b=-3&w=7")
    wait_for_plotted(gradlab, "dynamics-gradient", GRADIENT, lambda t: len(t["y"]) > 800)
    gradlab.select_dcc_dropdown("#dynamics-sweep", value="w")
    cross, _ = basin_crossing("w", -3.0)
    gw = gradient_sweep("w", sweep_values(2.0, 12.0, 801, around=cross), -3.0)
    wait_for_plotted(gradlab, "dynamics-gradient", "|∂x_T/∂w|", close_to(np.abs(gw.dxT)))
    gradlab.wait_for_contains_text("#dynamics-folds", "w = 5.464 and 8.464")
    assert "sweep=w&lo=2&hi=12" in gradlab.driver.current_url
    handle = gradlab.find_element("#dynamics-hi [role='slider']")
    assert handle.get_attribute("aria-valuenow") == "12"
    assert browser_errors(gradlab) == []
