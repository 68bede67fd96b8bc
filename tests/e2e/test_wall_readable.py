"""The wall read from 4 m and the leader's laptop, measured in Chromium: type sizes, the height used, and no
figure or label cut off. Sizes are those of ui.wall.SIZES (on 1920×1080) times the screen's scale."""

from __future__ import annotations

import pytest
from e2e_support import KIOSK, OVERFLOWING

from sample_data import DEMO_WALL_DEVICE_TOKEN
from ui.wall import DESK_FACTOR, SIZES

VISIBLE_TEXTS = """
() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const element = node.parentElement;
    if (!node.textContent.trim() || !element || element.closest('script, style, noscript')) continue;
    if (!element.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || box.bottom <= 0 || box.top >= innerHeight) continue;
    const kind = element.closest('[data-testid=stMetricValue]') ? 'figure'
      : element.closest('[data-testid=stMetricLabel], .wall-alert, [data-testid=stVegaLiteChart]') ? 'label'
      : 'text';
    found.push({text: node.textContent.trim().slice(0, 40), kind, size: parseFloat(getComputedStyle(element).fontSize),
                bottom: box.bottom});
  }
  return found;
}
"""
WORDS_BROKEN_ACROSS_LINES = """
() => {
  const broken = [];
  for (const label of document.querySelectorAll('[data-testid=stMetricLabel] p, .wall-status, h1')) {
    const node = [...label.childNodes].find((child) => child.nodeType === 3);
    if (!node) continue;
    for (const match of node.textContent.matchAll(/[A-Za-z]+/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
      if (lines.size > 1) broken.push(match[0]);
    }
  }
  return broken;
}
"""
LOWEST_BOTTOM = (
    "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain] *')]"
    ".filter((e) => e.checkVisibility()).map((e) => e.getBoundingClientRect().bottom))"
)


def open_screen(browser, base_url: str, path: str, width: int, height: int):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(base_url + path, wait_until="networkidle")
    page.wait_for_selector("[data-testid='stMetric']", timeout=60_000)
    page.wait_for_selector("[data-testid='stVegaLiteChart'] svg text", timeout=60_000)
    page.wait_for_timeout(2500)
    return page


def too_small(texts: list[dict], scale: float) -> list[dict]:
    """The texts smaller than the wall's minimum for their kind."""
    least = {"figure": SIZES.figure, "label": SIZES.label, "text": SIZES.text}
    return [text for text in texts if text["size"] < least[text["kind"]] * scale - 0.5]


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize(("width", "height", "scale"), [(1920, 1080, 1), (3840, 2160, 2)])
def test_kiosk_wall_is_readable_from_4_m_and_fills_the_screen(
    browser, app_server, artifacts, language, width, height, scale
):
    page = open_screen(browser, app_server, f"{KIOSK}&lang={language}", width, height)
    page.screenshot(path=str(artifacts / f"wall-readable-{language}-{width}x{height}.png"))
    texts = page.evaluate(VISIBLE_TEXTS)
    assert {text["kind"] for text in texts} == {"figure", "label", "text"}
    assert too_small(texts, scale) == []
    scroll_height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    assert scroll_height <= height
    assert page.evaluate(LOWEST_BOTTOM) >= 0.95 * height, "an empty band at the bottom of the screen"
    assert page.evaluate(OVERFLOWING) == []
    page.close()


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize(("width", "height"), [(1280, 800), (1366, 768), (1440, 900)])
def test_overview_on_a_laptop_with_the_sidebar_open_cuts_off_no_figure(
    browser, app_server, artifacts, language, width, height
):
    page = open_screen(browser, app_server, f"/?lang={language}&device={DEMO_WALL_DEVICE_TOKEN}", width, height)
    page.screenshot(path=str(artifacts / f"overview-laptop-{language}-{width}x{height}.png"))
    assert page.get_by_test_id("stSidebar").is_visible()
    assert page.evaluate(OVERFLOWING) == []
    assert page.evaluate(WORDS_BROKEN_ACROSS_LINES) == []
    figures = page.locator("[data-testid='stMetricValue']").all_inner_texts()
    assert figures and all(figure.strip() for figure in figures)
    assert too_small(page.evaluate(VISIBLE_TEXTS), DESK_FACTOR * 0.6) == []
    page.close()
