import numpy as np
from selenium.webdriver.common.keys import Keys

from engine.chain import scalar_chain, scalar_chain_autograd
from tests.browser import helpers
from tests.browser.helpers import (
    browser_errors,
    nudge_slider,
    plotted,
    wait_for_plotted,
)


LINE = "chain rule in numpy aₗ₋₁·σ′(hₗ)·∂aₙ/∂aₗ"  # σ ≠ identity: numpy's chain-rule product
CLOSED = "closed form aₗ₋₁·wⁿ⁻ˡ"                  # σ = identity: the seed's formula


def close_to(expected):
    return helpers.close_to(expected, field="customdata")


def test_chain_page_shows_the_url_state_and_follows_the_slider(gradlab):
    gradlab.driver.get(gradlab.server_url + "/chain?w=1.2&b=0.1&x=0.5&n=25&act=tanh")
    closed = scalar_chain(1.2, 0.1, 0.5, 25, "tanh")
    auto = scalar_chain_autograd(1.2, 0.1, 0.5, 25, "tanh")
    wait_for_plotted(gradlab, "chain-gradients", LINE, close_to(closed.grad_w))
    markers = plotted(gradlab, "chain-gradients")["torch autograd (▲ +, ▼ −)"]
    np.testing.assert_allclose(markers["customdata"], auto.grad_w, rtol=1e-12)
    backprop = plotted(gradlab, "chain-backprop")["torch autograd (▲ +, ▼ −)"]
    np.testing.assert_allclose(backprop["customdata"], auto.backprop, rtol=1e-12)
    acts = plotted(gradlab, "chain-activations")["forward pass in numpy"]
    np.testing.assert_allclose(acts["customdata"], closed.activations, rtol=1e-12)
    # tanh saturates: 1.2·tanh'(h) < 1 per layer, so even w > 1 vanishes here
    assert closed.regime == "vanishing"
    assert gradlab.find_element("#chain-regime").text.lower() == "vanishing"

    nudge_slider(gradlab, "chain-w", presses=3)  # three steps of 0.01 to the right
    moved = scalar_chain(1.23, 0.1, 0.5, 25, "tanh")
    wait_for_plotted(gradlab, "chain-gradients", LINE, close_to(moved.grad_w))
    assert "w=1.23" in gradlab.driver.current_url
    assert "act=tanh" in gradlab.driver.current_url
    assert browser_errors(gradlab) == []


def test_chain_page_bad_url_shows_notice_and_nearest_valid_state(gradlab):
    gradlab.driver.get(gradlab.server_url + "/chain?w=abc&n=99999&act=softmax&b=1e400")
    expected = scalar_chain(0.9, 2.0, 1.0, 200, "identity")
    wait_for_plotted(gradlab, "chain-gradients", CLOSED, close_to(expected.grad_w))
    notices = gradlab.find_element(".url-notices").text
    for text in ("w = abc is not a number; using 0.9.", "n = 99999 is outside 1–200; using 200.",
                 "act = softmax is not one of", "b = 1e400 is outside -2–2; using 2."):
        assert text in notices
    assert "n=200" in gradlab.driver.current_url and "w=0.9" in gradlab.driver.current_url
    assert browser_errors(gradlab) == []


def test_typed_value_box_drives_the_page(gradlab):
    gradlab.driver.get(gradlab.server_url + "/chain?w=0.5&n=20")
    box = gradlab.find_element("#chain-w input[type='number']")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("1.37", Keys.ENTER)
    expected = scalar_chain(1.37, 0.0, 1.0, 20, "identity")
    wait_for_plotted(gradlab, "chain-gradients", CLOSED, close_to(expected.grad_w))
    assert "w=1.37" in gradlab.driver.current_url
    assert browser_errors(gradlab) == []
