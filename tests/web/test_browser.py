"""The pages in a real browser (headless Chromium, page scripts off): a manager takes an
alert, a performance lead silences, an administrator retries a dead notice; keyboard and
screen-reader basics; nobody sees a child id they are not entitled to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.browser import browser, missing
from tests.web.conftest import ADMIN, LEAD, STROUD, VIEWER, Served, child_ids, team_children

reason = missing()
pytestmark = pytest.mark.skipif(reason is not None, reason=f"browser tests: {reason}")


@pytest.fixture
def as_user(served: Served) -> Iterator[Any]:
    """Open a browser as a user: as_user(name) -> driver (closed after the test)."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        def open_as(user: str | None, **options: Any) -> Any:
            return stack.enter_context(browser(user, **options))
        yield open_as


def _by(driver: Any, css: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, css)


def _go(driver: Any, element: Any) -> None:
    """Click a link or submit button and wait until the next page has replaced this one."""
    from selenium.webdriver.support.expected_conditions import staleness_of
    from selenium.webdriver.support.wait import WebDriverWait

    page = driver.find_element("tag name", "html")
    element.click()
    WebDriverWait(driver, 15).until(staleness_of(page))


def _all(driver: Any, css: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(driver.find_elements(By.CSS_SELECTOR, css))


def test_a_manager_marks_a_childs_alert_as_being_handled(served: Served, as_user: Any) -> None:
    """Stroud's manager opens the alerts, follows a Stroud child's alert by its link, says
    who is handling it with a note, and sees it on the page and in the history."""
    driver = as_user(STROUD)
    driver.get(served.url + "/alerts")
    assert _by(driver, "h1").text == "Open alerts"
    captions = [c.text for c in _all(driver, "table caption")]
    assert any(c.startswith("Stroud Safeguarding") for c in captions)
    assert child_ids(driver.page_source) <= team_children()["Stroud Safeguarding"]
    link = next(a for a in _all(driver, "td a") if "cp-over-2y" in a.get_attribute("href")
                and "Stroud" in a.get_attribute("href"))
    _go(driver, link)
    assert _by(driver, "h1").text.startswith("Children on a child protection plan")
    assert _by(driver, ".caption").text == "Stroud Safeguarding"
    handled_by = _by(driver, "#handled_by")
    handled_by.clear()
    handled_by.send_keys("Sam Patel")
    _by(driver, "#note").send_keys("Review conference on 14 October")
    _go(driver, _by(driver, "button[value='set']"))
    summary = _by(driver, ".summary").text
    assert "Sam Patel: Review conference on 14 October" in summary
    assert f"set by {STROUD}" in summary
    history = _by(driver, ".timeline").text
    assert f"{STROUD}: being handled by Sam Patel: Review conference on 14 October" in history


def test_a_performance_lead_adds_and_ends_a_silence(served: Served, as_user: Any) -> None:
    """The form says what is wrong in words, keeps what was typed, then adds the silence
    with the lead as author; 'End now' ends it."""
    driver = as_user(LEAD)
    driver.get(served.url + "/silences")
    _by(driver, "#rule").send_keys("three-period-decline")
    _by(driver, "#reason").send_keys("Recording backlog in Cotswolds")
    _go(driver, _by(driver, "form.panel button[type='submit']"))
    error = _by(driver, ".error-summary")
    assert error.get_attribute("role") == "alert"
    assert "Enter when the silence ends" in error.text
    assert _by(driver, "#rule").get_attribute("value") == "three-period-decline"
    _by(driver, "#until").send_keys("2w")
    _go(driver, _by(driver, "form.panel button[type='submit']"))
    banner = _by(driver, ".notice-banner").text
    assert banner.startswith("Silence ") and banner.endswith(" added.")
    silence_id = banner.split()[1]
    row = next(r for r in _all(driver, "tbody tr") if "Recording backlog" in r.text)
    assert "rule = three-period-decline" in row.text and LEAD in row.text
    assert "ACTIVE" in row.text.upper()
    _go(driver, _by(driver, f"form[action$='/silences/{silence_id}/expire'] button"))
    row = next(r for r in _all(driver, "tbody tr") if "Recording backlog" in r.text)
    assert "ENDED" in row.text.upper()


def test_an_administrator_sends_a_dead_notice_again(served: Served, as_user: Any) -> None:
    """The outbox's dead notices have a checkbox each and a button to send them again."""
    driver = as_user(ADMIN)
    driver.get(served.url + "/outbox")
    assert "Dead" in _by(driver, "nav.subnav a[aria-current='page']").text
    box = _by(driver, f"input[name='id'][value='{served.dead_id}']")
    label = _by(driver, f"label[for='retry-{served.dead_id}']")
    assert "Retry notice to stroud-safeguarding-manager" in label.get_attribute("textContent")
    box.click()  # a checkbox: the page stays
    _go(driver, _by(driver, "form button[type='submit']"))
    assert "queued again and sent" in _by(driver, ".notice-banner").text
    entry = next(e for e in served.store.outbox() if e.id == served.dead_id)
    assert entry.status == "sent"


def test_a_viewer_sees_counts_a_trend_chart_and_why_it_fired(served: Served,
                                                            as_user: Any) -> None:
    """A viewer entitled to no team sees no child id, the children's alerts as counts, and
    an alert page with the trend (chart and table) and the explain text."""
    driver = as_user(VIEWER)
    driver.get(served.url + "/alerts?team=Gloucestershire&severity=high")
    assert child_ids(driver.page_source) == set()
    link = next(a for a in _all(driver, "td a")
                if "significantly-worse-than-target" in a.get_attribute("href"))
    _go(driver, link)
    chart = _by(driver, "svg.chart")
    assert chart.get_attribute("role") == "img"
    assert "Trend of" in _by(driver, "svg.chart title").get_attribute("textContent")
    headings = [h.text for h in _all(driver, "h2")]
    assert "Trend" in headings and "Why it fired" in headings
    assert "FIRED" in driver.page_source
    assert 'id="handled_by"' not in driver.page_source  # a viewer cannot take an alert
    driver.get(served.url + "/alerts")
    assert child_ids(driver.page_source) == set()
    assert "Children's alerts you see as counts" in driver.page_source


def test_keyboard_and_screen_reader_basics(served: Served, as_user: Any) -> None:
    """The first Tab reaches 'Skip to main content'; the current page is marked in the
    navigation; every form control has a label; tables have captions and headers."""
    from selenium.webdriver.common.keys import Keys

    driver = as_user(LEAD)
    for path in ("/alerts", "/silences", "/outbox", "/runs", "/sources"):
        driver.get(served.url + path)
        assert driver.find_element("tag name", "html").get_attribute("lang") == "en-GB"
        _by(driver, "body").send_keys(Keys.TAB)
        assert driver.switch_to.active_element.text == "Skip to main content"
        current = _by(driver, "nav.nav a[aria-current='page']")
        assert current.get_attribute("href").endswith(path)
        for control in _all(driver, "main input:not([type='hidden']), main select, "
                                    "main textarea"):
            control_id = control.get_attribute("id")
            assert control_id and _all(driver, f"label[for='{control_id}']"), (path,
                                                                                control_id)
        for table in _all(driver, "main table"):
            assert _all(table, "caption") if hasattr(table, "find_elements") else True
            assert table.find_elements("css selector", "th[scope='col']")


def test_without_signing_in_the_browser_is_asked_to_sign_in(served: Served,
                                                            as_user: Any) -> None:
    """No header: a page saying how to sign in, and nothing else."""
    driver = as_user(None)
    driver.get(served.url + "/alerts")
    assert _by(driver, "h1").text == "Sign in to see this page"
    assert child_ids(driver.page_source) == set()
    assert 'class="nav' not in driver.page_source


def test_another_teams_childs_alert_is_not_found(served: Served, as_user: Any) -> None:
    """Gloucester's manager opening a Stroud child's alert address gets a plain 'Page not
    found' page, which names no child."""
    from urllib.parse import quote

    identity = next(a.identity for a in served.store.alerts(firing_only=True).values()
                    if a.child_level and a.area == "Stroud Safeguarding")
    driver = as_user("gloucester.tm@example.gov.uk")
    driver.get(f"{served.url}/alerts/{quote(identity, safe='')}")
    assert _by(driver, "h1").text == "Page not found"
    assert child_ids(driver.page_source) == set()
