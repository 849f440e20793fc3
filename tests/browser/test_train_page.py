"""/train in a real browser: Start runs a background job whose records stream into the plots,
Stop cancels it, a run whose worker dies is reported as failed, an exploding run shows its
banner, and the histogram slider browses the recorded steps of a finished run."""
import os
import signal
import time

from selenium.webdriver.common.keys import Keys

from app.pages import train
from tests.app.test_train_page import run_workers
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
    time.sleep(2.5)  # several polling intervals and two watchdog ticks: nothing more arrives
    assert (progress(gradlab), loss_points(gradlab)) == stopped
    assert not gradlab.find_elements(f"#{train.PAGE}-failed")  # stopped is not failed
    assert browser_errors(gradlab) == []


def test_a_run_whose_worker_dies_is_reported_as_failed_and_start_comes_back(gradlab):
    before = {p.pid for p in run_workers()}
    start(gradlab, "?kind=ff&depth=5&width=16&steps=5000")  # ≥ 15 s: time to kill it
    until(lambda: progress(gradlab) > 0, 30, "the first records")
    (worker,) = [p for p in run_workers() if p.pid not in before]
    worker.send_signal(signal.SIGKILL)  # as the kernel's OOM killer does: no result, ever
    killed = time.monotonic()

    banner = gradlab.wait_for_element(f"#{train.PAGE}-failed", timeout=10)
    start_button = gradlab.find_element(f"#{train.START}")
    until(start_button.is_enabled, 10, "Start comes back")
    print(f"reported {time.monotonic() - killed:.1f} s after the kill")
    assert time.monotonic() - killed < 6  # a poll (0.4 s) and two watchdog ticks (1 s each)
    assert not gradlab.find_element(f"#{train.STOP}").is_enabled()
    step = progress(gradlab)  # the last step the worker reported
    assert 0 < step < 5000
    assert banner.text.startswith(
        f"The training worker stopped unexpectedly (failed at step {step}).")
    assert gradlab.find_element(f"#{train.PROGRESS_TEXT}").text == (
        f"Failed at step {step} of 5000.")
    if os.environ.get("GRADLAB_SCREENSHOT"):  # e.g. /tmp/train-failed.png, to look at
        gradlab.driver.save_screenshot(os.environ["GRADLAB_SCREENSHOT"])
    assert browser_errors(gradlab) == []

    start_button.click()  # ready again: a new run streams and replaces the banner
    until(lambda: gradlab.find_element(f"#{train.STOP}").is_enabled(), 20, "the new run goes")
    until(lambda: gradlab.find_element(f"#{train.PROGRESS_TEXT}").text.endswith(" left"), 30,
          "the new run reports")
    assert not gradlab.find_elements(f"#{train.PAGE}-failed")
    gradlab.find_element(f"#{train.STOP}").click()
    until(start_button.is_enabled, 20, "Stop ends the new run")


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
