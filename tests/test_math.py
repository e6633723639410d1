"""Equations render as math in a real browser, and keep rendering after instant navigation."""

from __future__ import annotations

import re

import pytest

from browser import CHROMIUM, CHROMIUM_ARGS, Visit, serve
from conftest import chapters_present

RAW_MATH = re.compile(r"\$|\\\(|\\\[")
VISIBLE_TEXT_OUTSIDE_CODE = """() => {
  const walker = document.createTreeWalker(document.querySelector('article'), NodeFilter.SHOW_TEXT);
  const parts = [];
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (el.closest('code, pre, mjx-container, script, style, .highlight')) continue;
    parts.push(walker.currentNode.textContent);
  }
  return parts.join(' ');
}"""


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def base_url(site, site_url):
    with serve(site, port=int(site_url.rsplit(":", 1)[1].strip("/"))) as url:
        yield url


PAGES = [""] + [f"{slug}/" for slug in chapters_present()]


@pytest.mark.parametrize("path", PAGES)
def test_every_equation_is_typeset_and_no_raw_tex_is_left(browser, base_url, path):
    context = browser.new_context()
    visit = Visit(context, base_url + path)
    page = visit.page
    count = page.eval_on_selector_all(".arithmatex", "els => els.length")
    assert count > 0, "no equation on the page"
    assert page.eval_on_selector_all("mjx-merror, [data-mjx-error]", "els => els.length") == 0
    leftover = RAW_MATH.findall(page.evaluate(VISIBLE_TEXT_OUTSIDE_CODE))
    assert not leftover, f"raw TeX delimiters in the text: {leftover}"
    assert not visit.blocked, f"requests to other hosts: {visit.blocked}"
    assert not visit.errors, f"console errors: {visit.errors}"
    context.close()


def test_math_survives_instant_navigation(browser, base_url):
    context = browser.new_context()
    visit = Visit(context, base_url)
    page = visit.page
    page.evaluate("() => { window.sameDocument = true; }")
    page.click("article a[href$='time-distributed/']")  # Material loads it without a reload
    page.wait_for_url("**/time-distributed/")
    visit.wait_for_math()
    assert page.evaluate("() => window.sameDocument === true"), \
        "the click reloaded the page: instant navigation is off, so this test would prove nothing"
    assert page.eval_on_selector_all("article .arithmatex", "els => els.length") > 10
    context.close()
