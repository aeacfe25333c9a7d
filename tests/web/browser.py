"""Headless Chromium driven by Selenium, signed in as a user through the proxy's header.

Debian's chromium and chromium-driver (installed by .ci/run); Selenium is pointed at
/usr/bin/chromedriver and never downloads a driver (SE_OFFLINE). The sign-in header is set
through the DevTools protocol, as the council's proxy would add it to every request.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install '.[test]')"
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not path.exists():
            return f"{path} is missing (apt-get install {package}; .ci/run installs it)"
    return None


@contextmanager
def browser(user: str | None, *, javascript: bool = False, width: int = 1280,
            height: int = 900) -> Iterator[Any]:
    """A Chrome session sending `X-Remote-User: user` with every request. Page scripts
    are off unless asked for: every page must work without JavaScript."""
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not go looking for a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="csc-alerting-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                 f"--window-size={width},{height}"):
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)),
                              options=options)
    try:
        driver.set_page_load_timeout(30)
        # After a click that submits a form, wait for the next page's elements to appear.
        driver.implicitly_wait(5)
        # The page area itself is width x height (a headless window's size includes none
        # of a browser's bars, but Chromium still keeps some height for them).
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        if user is not None:
            driver.execute_cdp_cmd("Network.enable", {})
            driver.execute_cdp_cmd("Network.setExtraHTTPHeaders",
                                   {"headers": {"X-Remote-User": user}})
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
