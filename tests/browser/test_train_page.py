"""/train in a real browser: Start runs a background job whose records stream into the plots,
Stop cancels it, an exploding run shows its banner, and the histogram slider browses the
recorded steps of a finished run."""
import time

from selenium.webdriver.common.keys import Keys

from app.pages import train
from tests.browser.helpers import browser_errors, nudge_slider, plotted


def until(condition, timeout: float, message: str):
    from dash.testing.wait import until as dash_until
    return dash_until(condition, timeout=timeout, msg=message)


def progress(duo) -> int:
    return int(float(duo.find_element(f"#{train.PROGRESS}").get_attribute("value") or 0))


def loss_points(duo) -> int:
    run = plotted(duo, train.GRAPHS["loss"]).get("run")
    return 0 if run is None else len(run["x"])


def start(duo, query: str):
    duo.driver.get(duo.server_url + "/train" + query)
    button = duo.wait_for_element(f"#{train.START}")
    until(lambda: button.is_enabled(), 10, "Start is enabled on load")
    assert not duo.find_element(f"#{train.STOP}").is_enabled()
    button.click()


def test_a_run_streams_into_the_page_and_stop_cancels_it(gradlab):
    # long enough to be stopped half-way (about 20 ms a step with the twin)
    start(gradlab, "?kind=ff&depth=20&width=32&act=tanh&steps=5000")
    stop = gradlab.find_element(f"#{train.STOP}")
    until(lambda: stop.is_enabled(), 20, "Stop is enabled while the run goes")
    assert not gradlab.find_element(f"#{train.START}").is_enabled()
    until(lambda: progress(gradlab) > 0 and loss_points(gradlab) > 0, 30, "the first records")
    first = (progress(gradlab), loss_points(gradlab))
    until(lambda: progress(gradlab) > first[0] and loss_points(gradlab) > first[1], 30,
          "the plots grow while the run goes")
    assert "of 5000" in gradlab.find_element(f"#{train.PROGRESS_TEXT}").text
    assert gradlab.find_element(f"#{train.PROGRESS}").get_attribute("max") == "5000"

    stop.click()
    until(lambda: gradlab.find_element(f"#{train.START}").is_enabled(), 20, "Start comes back")
    assert not stop.is_enabled()
    stopped = (progress(gradlab), loss_points(gradlab))
    assert 0 < stopped[0] < 5000
    time.sleep(2.5)  # several polling intervals: nothing more arrives
    assert (progress(gradlab), loss_points(gradlab)) == stopped
    assert browser_errors(gradlab) == []


def test_an_exploding_run_shows_the_red_banner_with_the_step(gradlab):
    start(gradlab, train.preset_query("exploding_rnn"))
    banner = gradlab.wait_for_element("#train-banner", timeout=60)
    assert banner.text.startswith("Exploded at step 1:")
    assert gradlab.find_element(f"#{train.PROGRESS_TEXT}").text.startswith(
        "Stopped at step 1 (inf/NaN)")
    loss = plotted(gradlab, train.GRAPHS["loss"])
    assert list(loss["loss overflowed"]["x"]) == [1]
    assert browser_errors(gradlab) == []


def test_after_a_run_the_slider_browses_the_recorded_histograms(gradlab):
    start(gradlab, "?kind=ff&depth=5&width=16&steps=60")  # histograms every 4 steps, and 59
    until(lambda: gradlab.find_element(f"#{train.PROGRESS_TEXT}").text.startswith("Done: 60"),
          60, "the run ends")
    title = lambda: gradlab.driver.execute_script(  # noqa: E731
        "return document.querySelector('#train-hist .gtitle').textContent")
    until(lambda: title().endswith("at step 59"), 10, "the newest histograms")
    nudge_slider(gradlab, train.SLIDER, presses=2, key=Keys.ARROW_LEFT)
    until(lambda: title().endswith("at step 52"), 10, "the slider picks step 52")
    assert "layer" in title()
    assert browser_errors(gradlab) == []
