"""Headless Chromium for dash[testing]'s dash_duo (Debian's chromium + chromium-driver)."""
import pytest


def pytest_setup_options():
    from selenium.webdriver.chrome.options import Options
    options = Options()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--window-size=1400,1000",
                 # offline, like a lecture hall without internet: every host but this
                 # machine fails to resolve, so a CDN dependency would show as a failure
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1, EXCLUDE localhost"):
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    return options


@pytest.fixture
def gradlab(dash_duo):
    """dash_duo serving the real GradLab app."""
    from app import dash_app
    dash_duo.start_server(dash_app)
    return dash_duo
