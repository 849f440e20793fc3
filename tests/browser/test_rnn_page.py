import numpy as np

from components.rnn_figures import MEASURED
from engine.cells import gradient_flow
from engine.rnn import bptt
from tests.browser.helpers import (
    browser_errors,
    close_to,
    nudge_slider,
    plotted,
    wait_for_plotted,
)


def test_rnn_page_shows_the_url_state_and_follows_the_slider(gradlab):
    gradlab.driver.get(gradlab.server_url + "/rnn?act=tanh&d=8&T=40&init=singular&rho=1.5"
                                            "&seed=2&cells=rnn,lstm")
    r = bptt("tanh", 8, 40, "singular", 1.5, 2)
    wait_for_plotted(gradlab, "rnn-norms", MEASURED, close_to(r.jacobian_norms))
    bound = next(t for name, t in plotted(gradlab, "rnn-norms").items() if name.startswith("bound"))
    np.testing.assert_allclose(bound["y"], r.bound, rtol=1e-12)
    flow = gradient_flow(("rnn", "lstm"), "tanh", 8, 40, "singular", 1.5, 2)
    curves = plotted(gradlab, "rnn-flow")
    np.testing.assert_allclose(curves["vanilla RNN"]["y"], flow["rnn"], rtol=1e-12)
    np.testing.assert_allclose(curves["LSTM"]["y"], flow["lstm"], rtol=1e-12)
    assert gradlab.find_element("#rnn-regime").text.lower() == r.regime

    nudge_slider(gradlab, "rnn-rho", presses=5)  # 1.5 → 1.55
    moved = bptt("tanh", 8, 40, "singular", 1.55, 2)
    wait_for_plotted(gradlab, "rnn-norms", MEASURED, close_to(moved.jacobian_norms))
    assert "rho=1.55" in gradlab.driver.current_url
    assert "cells=rnn%2Clstm" in gradlab.driver.current_url

    gradlab.find_element("#rnn-cells input[value='gru']").click()
    gru = gradient_flow(("gru",), "tanh", 8, 40, "singular", 1.55, 2)["gru"]
    wait_for_plotted(gradlab, "rnn-flow", "GRU", close_to(gru))
    assert "cells=rnn%2Clstm%2Cgru" in gradlab.driver.current_url
    assert browser_errors(gradlab) == []


def test_rnn_page_bad_url_shows_notice_and_nearest_valid_state(gradlab):
    gradlab.driver.get(gradlab.server_url + "/rnn?act=softmax&d=999&T=12&rho=abc&cells=rnn,bogus")
    r = bptt("tanh", 64, 12, "spectral", 1.1, 0)
    wait_for_plotted(gradlab, "rnn-norms", MEASURED, close_to(r.jacobian_norms))
    notices = gradlab.find_element(".url-notices").text
    for text in ("act = softmax is not one of identity, sigmoid, tanh, relu; using tanh.",
                 "d = 999 is outside 1–64; using 64.", "rho = abc is not a number; using 1.1.",
                 "cells: bogus is not one of"):
        assert text in notices
    assert set(plotted(gradlab, "rnn-flow")) == {"vanilla RNN"}
    url = gradlab.driver.current_url
    assert "d=64" in url and "act=tanh" in url and url.endswith("cells=rnn")
    assert browser_errors(gradlab) == []


def test_preset_link_shows_the_worked_example(gradlab):
    gradlab.driver.get(gradlab.server_url + "/rnn")
    gradlab.wait_for_element("#rnn-preset-halving").click()
    wait_for_plotted(gradlab, "rnn-norms", MEASURED, close_to(0.5 ** np.arange(11)))
    assert "‖∂h_10/∂h_0‖₂ = 0.0009766" in gradlab.find_element("#rnn-status").text
    gradlab.find_element("#rnn-preset-doubling").click()
    wait_for_plotted(gradlab, "rnn-norms", MEASURED, close_to(2.0 ** np.arange(11)))
    assert "‖∂h_10/∂h_0‖₂ = 1024" in gradlab.find_element("#rnn-status").text
    assert gradlab.find_element("#rnn-regime").text.lower() == "exploding"
    assert "rho=2&" in gradlab.driver.current_url
    assert browser_errors(gradlab) == []
