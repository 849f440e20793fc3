"""/train in a real browser: Start streams a run into the plots, a second tab joins the same
run and keeps it when the first one stops, a full pool shows the queue position, a run whose
process dies is reported as failed, an exploding run shows its banner, and the histogram
slider browses the recorded steps of a finished run. With GRADLAB_SCREENSHOT_DIR set, the
queued, running, shared, finished and failed states are saved there to be looked at."""
import os
import signal
import time

from selenium.webdriver.common.keys import Keys

from app.pages.train import ids, params
from app.runs import manager
from tests.app.test_train_page import LONG, _config, run_processes
from tests.browser.helpers import browser_errors, nudge_slider, plotted


def until(condition, timeout: float, message: str):
    from dash.testing.wait import until as dash_until
    return dash_until(condition, timeout=timeout, msg=message)


def progress(duo) -> int:
    return int(float(duo.find_element(f"#{ids.PROGRESS}").get_attribute("value") or 0))


def progress_text(duo) -> str:
    return duo.find_element(f"#{ids.PROGRESS_TEXT}").text


def loss_points(duo) -> int:
    run = plotted(duo, ids.GRAPHS["loss"]).get("run")
    return 0 if run is None else len(run["x"])


def shot(duo, name: str) -> None:
    folder = os.environ.get("GRADLAB_SCREENSHOT_DIR")
    if folder:
        duo.driver.save_screenshot(os.path.join(folder, f"train-{name}.png"))


def start(duo, query: str):
    duo.driver.get(duo.server_url + "/train" + query)
    button = duo.wait_for_element(f"#{ids.START}")
    until(lambda: button.is_enabled(), 10, "Start is enabled on load")
    assert not duo.find_element(f"#{ids.STOP}").is_enabled()
    button.click()


def test_a_run_streams_into_the_page_and_stop_cancels_it(gradlab, runs):
    start(gradlab, "?kind=ff&depth=20&width=32&act=tanh&steps=5000")
    stop = gradlab.find_element(f"#{ids.STOP}")
    until(lambda: stop.is_enabled(), 20, "Stop is enabled while the run goes")
    assert not gradlab.find_element(f"#{ids.START}").is_enabled()
    until(lambda: progress(gradlab) > 0 and loss_points(gradlab) > 0, 30, "the first records")
    shot(gradlab, "running")
    first = (progress(gradlab), loss_points(gradlab))
    until(lambda: progress(gradlab) > first[0] and loss_points(gradlab) > first[1], 30,
          "the plots grow while the run goes")
    assert "of 5000" in progress_text(gradlab)
    assert gradlab.find_element(f"#{ids.PROGRESS}").get_attribute("max") == "5000"

    stop.click()
    until(lambda: gradlab.find_element(f"#{ids.START}").is_enabled(), 20, "Start comes back")
    assert not stop.is_enabled()
    assert "nobody else watched, so the run is cancelled" in \
        gradlab.find_element(f"#{ids.RUN_INFO}").text
    stopped = (progress(gradlab), loss_points(gradlab))
    assert 0 < stopped[0] < 5000
    time.sleep(2.5)  # several polling intervals: nothing more arrives
    assert (progress(gradlab), loss_points(gradlab)) == stopped
    assert not gradlab.find_elements(f"#{ids.FAILED}")  # stopped is not failed
    assert browser_errors(gradlab) == []


def test_a_second_tab_joins_the_run_and_keeps_it_when_the_first_stops(gradlab, runs):
    query = "?kind=ff&depth=3&width=8&steps=5000&batch=16"
    start(gradlab, query)
    until(lambda: progress(gradlab) > 0, 30, "the first tab's run streams")
    first = gradlab.driver.current_window_handle
    gradlab.driver.switch_to.new_window("tab")
    start(gradlab, query)
    info = lambda: gradlab.find_element(f"#{ids.RUN_INFO}").text  # noqa: E731
    until(lambda: "joined a run another tab started" in info(), 20, "the second tab joins")
    until(lambda: "Shared: 1 other tab watches this run." in info(), 20, "it is shared")
    until(lambda: progress(gradlab) > 0, 20, "the joined tab sees the stream from step 0")
    assert plotted(gradlab, ids.GRAPHS["loss"])["run"]["x"][0] == 0
    shot(gradlab, "shared")
    assert runs.get("executions") == 1

    gradlab.driver.switch_to.window(first)
    gradlab.find_element(f"#{ids.STOP}").click()
    until(lambda: "The run goes on for 1 other tab." in info(), 20, "the first tab leaves")
    gradlab.driver.switch_to.window(gradlab.driver.window_handles[-1])
    before = progress(gradlab)
    until(lambda: progress(gradlab) > before, 20, "the second tab's run goes on")
    assert gradlab.find_element(f"#{ids.STOP}").is_enabled()
    assert browser_errors(gradlab) == []


def test_a_full_pool_shows_the_queue_position_until_the_run_starts(gradlab, runs):
    # two other runs fill the pool of two (tests/conftest.py), each watched by "someone"
    others = [manager.start(_config({**LONG, "seed": s}), f"{s:032x}", f"10.9.0.{s}").id
              for s in (11, 12)]
    deadline = time.monotonic() + 60
    while len(runs.get("running") or []) < 2:
        assert time.monotonic() < deadline, "the pool never filled"
        for s, rid in zip((11, 12), others):
            manager.poll(rid, f"{s:032x}")
        time.sleep(0.25)
    start(gradlab, "?kind=ff&depth=3&width=8&steps=300&batch=16")
    until(lambda: progress_text(gradlab).startswith("Queued: 0 runs ahead of yours"), 10,
          "the queue position shows")
    shot(gradlab, "queued")
    manager.stop(others[0], f"{11:032x}")  # a place frees up
    until(lambda: "steps done" in progress_text(gradlab) or
          progress_text(gradlab).startswith("Done"), 60, "the queued run starts")
    until(lambda: progress_text(gradlab).startswith("Done: 300 of 300"), 60, "and finishes")
    shot(gradlab, "finished")
    manager.stop(others[1], f"{12:032x}")
    assert browser_errors(gradlab) == []


def test_a_run_whose_process_dies_is_reported_as_failed_and_start_comes_back(gradlab, runs):
    start(gradlab, "?kind=ff&depth=5&width=16&steps=5000")  # ≥ 15 s: time to kill it
    until(lambda: progress(gradlab) > 0, 30, "the first records")
    (worker,) = run_processes()
    worker.send_signal(signal.SIGKILL)  # as the kernel's OOM killer does: no result, ever

    # reported, however long a loaded machine takes (how fast is bench/'s business): the
    # generous deadlines only stop a test that would otherwise wait forever
    banner = gradlab.wait_for_element(f"#{ids.FAILED}", timeout=60)
    start_button = gradlab.find_element(f"#{ids.START}")
    until(start_button.is_enabled, 60, "Start comes back")
    assert not gradlab.find_element(f"#{ids.STOP}").is_enabled()
    assert banner.text.startswith("The run failed. The training worker stopped unexpectedly")
    assert progress_text(gradlab).startswith("Failed at step ")
    shot(gradlab, "failed")
    assert browser_errors(gradlab) == []

    start_button.click()  # ready again: a new run streams and replaces the banner
    until(lambda: gradlab.find_element(f"#{ids.STOP}").is_enabled(), 20, "the new run goes")
    until(lambda: progress_text(gradlab).endswith(" left"), 30, "the new run reports")
    assert not gradlab.find_elements(f"#{ids.FAILED}")
    gradlab.find_element(f"#{ids.STOP}").click()
    until(start_button.is_enabled, 20, "Stop ends the new run")


def test_an_exploding_run_shows_the_red_banner_with_the_step(gradlab, runs):
    start(gradlab, params.preset_query("exploding_rnn"))
    banner = gradlab.wait_for_element(f"#{ids.BANNER}", timeout=60)
    assert banner.text.startswith("Exploded at step 1:")
    until(lambda: progress_text(gradlab).startswith("Stopped at step 1 (inf/NaN)"), 20, "ended")
    loss = plotted(gradlab, ids.GRAPHS["loss"])
    assert list(loss["loss overflowed"]["x"]) == [1]
    assert browser_errors(gradlab) == []


def test_after_a_run_the_slider_browses_the_recorded_histograms(gradlab, runs):
    start(gradlab, "?kind=ff&depth=5&width=16&steps=60")  # histograms every 4 steps, and 59
    until(lambda: progress_text(gradlab).startswith("Done: 60"), 60, "the run ends")
    title = lambda: gradlab.driver.execute_script(  # noqa: E731
        "return document.querySelector('#train-hist .gtitle').textContent")
    until(lambda: title().endswith("at step 59"), 10, "the newest histograms")
    nudge_slider(gradlab, ids.SLIDER, presses=2, key=Keys.ARROW_LEFT)
    until(lambda: title().endswith("at step 52"), 10, "the slider picks step 52")
    assert "layer" in title()
    assert browser_errors(gradlab) == []
