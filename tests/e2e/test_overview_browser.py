"""The overview in a real browser: real figures, Chinese drawn as characters, a kept screenshot."""

from __future__ import annotations

from data_layer import clock
from data_layer.briefing import briefing_with_previous
from data_layer.db import connect
from data_layer.i18n import format_number
from sample_data import DEMO_WALL_DEVICE_TOKEN

GLYPHS_DIFFER = """
() => {
  const font = getComputedStyle(document.querySelector('h1')).fontFamily;
  const draw = (text) => {
    const canvas = document.createElement('canvas');
    canvas.width = 80; canvas.height = 80;
    const context = canvas.getContext('2d');
    context.font = `64px ${font}`;
    context.fillText(text, 0, 64);
    return Array.from(context.getImageData(0, 0, 80, 80).data).join(',');
  };
  return draw('指') !== draw('挥') && draw('指') !== draw('\\uFFFF');
}
"""


def open_overview(browser, base_url: str, language: str, width: int = 1920, height: int = 1080):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(f"{base_url}/?lang={language}&device={DEMO_WALL_DEVICE_TOKEN}", wait_until="networkidle")
    page.wait_for_selector("[data-testid='stMetric']", timeout=60_000)
    page.wait_for_timeout(1500)
    return page


def test_overview_shows_real_figures_in_chinese(browser, app_server, sample_url, artifacts):
    page = open_overview(browser, app_server, "zh")
    today, _ = briefing_with_previous(connect(sample_url), clock.today())
    text = page.inner_text("body")
    assert "疫情防控指挥大屏" in text
    assert format_number(today["checkpoints"]["persons"], "zh_CN") in text
    assert format_number(today["enterprises"]["reopened"], "zh_CN") in text
    page.screenshot(path=str(artifacts / "overview-zh-1920x1080.png"))
    assert page.evaluate(GLYPHS_DIFFER), "Chinese characters are drawn as identical boxes"
    page.close()


def test_overview_switches_to_english(browser, app_server, artifacts):
    page = open_overview(browser, app_server, "en")
    assert "People checked" in page.inner_text("body")
    page.screenshot(path=str(artifacts / "overview-en-1920x1080.png"))
    page.close()


def test_app_serves_its_own_chinese_font(browser, app_server):
    """A wall screen without any CJK font still draws Chinese: the page loads the font the app serves."""
    page = open_overview(browser, app_server, "zh")
    faces = page.evaluate("""async () => {
        const faces = await document.fonts.load('32px CommandPostSans', '指挥大屏');
        return faces.map((face) => face.status);
    }""")
    assert faces and all(status == "loaded" for status in faces)
    response = page.request.get(f"{app_server}/app/static/NotoSansSC-CommandPost-Regular.woff2")
    assert response.status == 200
    assert len(response.body()) > 500_000
    page.close()
