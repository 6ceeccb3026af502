"""The endpoint's query page in headless Chromium over kg serve, as a person uses it: an example
fills the form in one click, the form runs the query, the result is a table; no request
leaves the site, axe-core finds no WCAG 2 A/AA violation, and on a 390 px phone nothing
scrolls sideways but the table, inside its own box."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_browser import browser, check_page, server, visit

pytestmark = pytest.mark.stores
ROOT = Path(__file__).resolve().parents[1]
__all__ = ["browser", "server"]  # the fixtures, shared with test_browser


def overflow(driver: object) -> int:
    """How many pixels the page is wider than the window (0: no sideways scroll)."""
    return int(
        driver.execute_script(  # type: ignore[attr-defined]
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_an_example_runs_from_the_page(
    browser: object, server: str, tmp_path: Path, width: int
) -> None:
    from selenium.webdriver.common.by import By

    browser.set_window_size(width, 1600)  # type: ignore[attr-defined]
    try:
        visit(browser, server + "/query", tmp_path / "query.png")
        browser.find_element(By.TAG_NAME, "summary").click()  # type: ignore[attr-defined]
        check_page(browser, server)
        assert overflow(browser) <= 0
        links = browser.find_elements(By.CSS_SELECTOR, "a[href^='/query?example=']")  # type: ignore[attr-defined]
        assert len(links) == len(list((ROOT / "queries").glob("*.rq")))
        links[0].click()
        area = browser.find_element(By.ID, "query")  # type: ignore[attr-defined]
        assert "SELECT" in area.get_attribute("value") or "ASK" in area.get_attribute("value")
        browser.find_element(By.CSS_SELECTOR, "form button").click()  # type: ignore[attr-defined]
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(browser, 60).until(  # a bounded wait: the answer comes from a worker
            expected_conditions.presence_of_element_located((By.ID, "result"))
        )
        browser.save_screenshot(str(tmp_path / "result.png"))  # type: ignore[attr-defined]
        check_page(browser, server)
        assert overflow(browser) <= 0
        cells = browser.find_elements(By.CSS_SELECTOR, "#results td")  # type: ignore[attr-defined]
        assert cells, "the example's result has rows"
    finally:
        browser.set_window_size(1280, 1600)  # type: ignore[attr-defined]
