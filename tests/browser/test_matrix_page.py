import numpy as np
from selenium.webdriver.common.keys import Keys

from engine.chain import matrix_chain, spectrum
from tests.browser.helpers import (
    browser_errors,
    close_to,
    nudge_slider,
    plotted,
    wait_for_plotted,
)

GRADIENT = "‖∂aₙ/∂Wₗ‖_F"



def test_matrix_page_shows_the_url_state_and_follows_the_controls(gradlab):
    gradlab.driver.get(gradlab.server_url + "/matrix?eig=1.05,0.9,0.5&n=40&act=tanh&seed=0")
    chain = matrix_chain(spectrum((1.05, 0.9, 0.5), 3), 40, "tanh", 0.0, 0)  # d = len(eig)
    wait_for_plotted(gradlab, "matrix-gradients", GRADIENT, close_to(chain.weight_grad_norms))
    norms = plotted(gradlab, "matrix-norms")["‖aₗ‖₂"]
    np.testing.assert_allclose(norms["y"], chain.activation_norms, rtol=1e-12)
    plane = plotted(gradlab, "matrix-plane")["λᵢ"]
    np.testing.assert_allclose(np.sort(plane["x"]), [0.5, 0.9, 1.05], rtol=1e-12)

    nudge_slider(gradlab, "matrix-lam1", presses=10, key=Keys.ARROW_LEFT)  # 1.05 → 0.95
    moved = matrix_chain(spectrum((0.95, 0.9, 0.5), 3), 40, "tanh", 0.0, 0)
    wait_for_plotted(gradlab, "matrix-gradients", GRADIENT, close_to(moved.weight_grad_norms))
    assert "eig=0.95%2C0.9%2C0.5" in gradlab.driver.current_url

    nudge_slider(gradlab, "matrix-k")  # a fourth eigenvalue (its slider shows 0.5) joins
    four = matrix_chain(spectrum((0.95, 0.9, 0.5, 0.5), 3), 40, "tanh", 0.0, 0)
    wait_for_plotted(gradlab, "matrix-gradients", GRADIENT, close_to(four.weight_grad_norms))
    gradlab.wait_for_element("#matrix-lam4 [role='slider']:not([data-disabled])")
    assert "eig=0.95%2C0.9%2C0.5%2C0.5" in gradlab.driver.current_url
    assert browser_errors(gradlab) == []


def test_matrix_page_bad_url_shows_notice(gradlab):
    gradlab.driver.get(gradlab.server_url + "/matrix?eig=abc&d=99&nn=-1&n=0")
    chain = matrix_chain(spectrum((1.05, 0.9, 0.5), 16), 1, "identity", 0.0, 0)
    wait_for_plotted(gradlab, "matrix-gradients", GRADIENT, close_to(chain.weight_grad_norms))
    notices = gradlab.find_element(".url-notices").text
    for text in ("eig = abc has a value that is not a number; using 1.05,0.9,0.5.",
                 "d = 99 is outside 1–16; using 16.", "kappa = -1 is outside 0–3; using 0.",
                 "n = 0 is outside 1–200; using 1."):
        assert text in notices
    assert "d=16" in gradlab.driver.current_url
    assert "kappa=0" in gradlab.driver.current_url  # nn, κ's older name, is still read
    assert browser_errors(gradlab) == []
