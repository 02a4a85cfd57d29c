"""Open every page of the built book in headless Chromium, with the network
blocked, and check what a reader would see.

The HTML is served from _build/html on 127.0.0.1 (an ephemeral port); every
request to any other host is aborted and recorded.  For every page:
no console errors and no uncaught page errors; no request leaves the machine;
all math typeset by the local MathJax (no raw TeX left in the text); every
<img> decoded; on notebook pages, the Binder, Colab, Live Code (Thebe) and
download links point at this repository and this notebook.

Needs Debian's Chromium at /usr/bin/chromium (never a Playwright-downloaded
browser).  Without it the tests are skipped, except under CI (env CI set),
where a missing browser is a failure.  Screenshots of every page are written
to _build/screenshots/ for a human look.
"""

from __future__ import annotations

import dataclasses
import functools
import http.server
import os
import re
import threading
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
SCREENSHOTS = ROOT / "_build" / "screenshots"

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf8"))
REPO_URL = CONFIG["repository"]["url"].rstrip("/")
BRANCH = CONFIG["repository"].get("branch", "main")
ORG_REPO = REPO_URL.split("github.com/")[1]
BINDER = CONFIG["launch_buttons"]["binderhub_url"].rstrip("/")
COLAB = CONFIG["launch_buttons"]["colab_url"].rstrip("/")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature from the base class
        pass


@pytest.fixture(scope="module")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        message = ("Chromium not found at /usr/bin/chromium; "
                   "install Debian chromium: apt-get install -y chromium")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="module")
def server(chromium_path, built_html):
    handler = functools.partial(_QuietHandler, directory=str(built_html))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@dataclasses.dataclass
class PageReport:
    path: str  # relative to the HTML root, e.g. "chapters/intro.html"
    console_errors: list[str]
    page_errors: list[str]
    blocked: list[str]
    failed: list[str]
    math: dict
    images: dict
    links: list[dict]
    thebe_config: str | None
    download_status: int | None


MATH_REPORT_JS = r"""
async () => {
  if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
    await window.MathJax.startup.promise;
  }
  const maths = Array.from(document.querySelectorAll('.math'));
  const unrendered = maths.filter(el => !el.querySelector('mjx-container'))
                          .map(el => el.textContent.trim().slice(0, 100));
  const skip = 'pre, code, script, style, textarea, mjx-container, .highlight';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      const parent = node.parentElement;
      return parent && parent.closest(skip) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
    }
  });
  // $$, \( \) \[ \], \begin{...}, or $...$ holding a TeX command, ^, _ or {
  // (so "$5 and $10" in prose is not flagged).
  const rawTex = /\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\$[^$\s][^$\n]*[\\^_{][^$\n]*\$/;
  const raw = [];
  let node;
  while ((node = walker.nextNode())) {
    if (rawTex.test(node.textContent)) raw.push(node.textContent.trim().slice(0, 120));
  }
  return {
    mathjax: Boolean(window.MathJax && window.MathJax.startup),
    elements: maths.length,
    containers: document.querySelectorAll('mjx-container').length,
    unrendered: unrendered,
    raw: raw,
  };
}
"""

IMAGE_REPORT_JS = r"""
async () => {
  const images = Array.from(document.images);
  const broken = [];
  for (const img of images) {
    img.loading = 'eager';
    try { await img.decode(); } catch (e) { /* judged below */ }
    if (!img.complete || img.naturalWidth === 0) broken.push(img.getAttribute('src'));
  }
  return {count: images.length, broken: broken};
}
"""

LINKS_JS = r"""
() => Array.from(document.querySelectorAll('a[href]')).map(a => ({
  href: a.href, raw: a.getAttribute('href'), cls: a.className, title: a.title || ''
}))
"""


def _redirect_target(path: Path) -> str | None:
    match = re.search(r'http-equiv="refresh"\s+content="\d+;\s*url=([^"]+)"',
                      path.read_text(encoding="utf8"), flags=re.I)
    return match.group(1) if match else None


def _visit(browser, base_url: str, built_html: Path, rel: str) -> PageReport:
    console_errors: list[str] = []
    page_errors: list[str] = []
    blocked: list[str] = []
    failed: list[str] = []

    context = browser.new_context(viewport={"width": 1280, "height": 900})

    def route(route):
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda err: page_errors.append(str(err)))
    page.on("requestfailed",
            lambda req: failed.append(req.url) if urlsplit(req.url).hostname == "127.0.0.1" else None)
    try:
        redirect = _redirect_target(built_html / rel)
        page.goto(f"{base_url}/{rel}", wait_until="load", timeout=60_000)
        if redirect:
            # e.g. index.html -> chapters/intro.html: check the page it lands on
            target = urljoin(f"{base_url}/{rel}", redirect)
            page.wait_for_url(target, wait_until="load", timeout=60_000)
        math = page.evaluate(MATH_REPORT_JS)
        images = page.evaluate(IMAGE_REPORT_JS)
        links = page.evaluate(LINKS_JS)
        thebe_config = page.evaluate(
            "() => { const s = document.querySelector('script[type=\"text/x-thebe-config\"]');"
            " return s ? s.textContent : null; }")
        download_status = None
        download = [link for link in links if "btn-download-source-button" in link["cls"]]
        if download:
            download_status = page.request.get(download[0]["href"]).status
        page.wait_for_timeout(200)  # let late console messages arrive
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / (rel.replace("/", "__")[:-5] + ".png")))
    finally:
        context.close()
    return PageReport(rel, console_errors, page_errors, blocked, failed, math, images,
                      links, thebe_config, download_status)


@pytest.fixture(scope="module")
def reports(chromium_path, server, built_html) -> list[PageReport]:
    from playwright.sync_api import sync_playwright

    pages = sorted(
        str(p.relative_to(built_html)) for p in built_html.rglob("*.html")
        if "_static" not in p.parts and "_sources" not in p.parts
    )
    assert pages, "no HTML pages were built"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS)
        try:
            return [_visit(browser, server, built_html, rel) for rel in pages]
        finally:
            browser.close()


def _notebook_pages(built_html: Path, reports: list[PageReport]):
    for report in reports:
        source = Path(report.path).with_suffix(".ipynb")
        if (built_html / "_sources" / source).exists():
            yield report, source.as_posix()


def test_every_page_was_opened(reports, built_html):
    names = {r.path for r in reports}
    assert "chapters/intro.html" in names and "chapters/bibliography.html" in names


def test_no_console_errors(reports):
    bad = {r.path: r.console_errors for r in reports if r.console_errors}
    assert not bad, f"console errors: {bad}"


def test_no_page_errors(reports):
    bad = {r.path: r.page_errors for r in reports if r.page_errors}
    assert not bad, f"uncaught page errors: {bad}"


def test_pages_need_no_network(reports):
    bad = {r.path: r.blocked for r in reports if r.blocked}
    assert not bad, f"requests to other hosts (blocked): {bad}"
    failed = {r.path: r.failed for r in reports if r.failed}
    assert not failed, f"local requests that failed: {failed}"


def test_math_is_rendered(reports):
    with_math = [r for r in reports if r.math["elements"]]
    assert any(r.path == "chapters/intro.html" for r in with_math), "intro has math"
    for r in with_math:
        assert r.math["mathjax"], f"{r.path}: math on the page but MathJax did not start"
        assert not r.math["unrendered"], f"{r.path}: math not typeset: {r.math['unrendered']}"
        assert r.math["containers"] >= r.math["elements"], f"{r.path}: {r.math}"
    raw = {r.path: r.math["raw"] for r in reports if r.math["raw"]}
    assert not raw, f"raw TeX left in the text: {raw}"


def test_images_load(reports):
    bad = {r.path: r.images["broken"] for r in reports if r.images["broken"]}
    assert not bad, f"images that did not decode: {bad}"


def test_repository_button(reports):
    for r in reports:
        repo_links = [link for link in r.links if "btn-source-repository-button" in link["cls"]]
        assert repo_links, f"{r.path}: no repository button"
        assert all(link["raw"] == REPO_URL for link in repo_links), repo_links


def test_launch_links_of_notebook_pages(reports, built_html):
    for r, source in _notebook_pages(built_html, reports):
        hrefs = [link["raw"] for link in r.links]
        binder = f"{BINDER}/v2/gh/{ORG_REPO}/{BRANCH}?urlpath=tree/{source}"
        colab = f"{COLAB}/github/{ORG_REPO}/blob/{BRANCH}/{source}"
        assert binder in hrefs, f"{r.path}: no Binder link {binder}"
        assert colab in hrefs, f"{r.path}: no Colab link {colab}"
        assert r.download_status == 200, f"{r.path}: notebook download returned {r.download_status}"
        downloads = [link["href"] for link in r.links if "btn-download-source-button" in link["cls"]]
        assert downloads[0].endswith(f"/_sources/{source}"), downloads
        assert r.thebe_config and f'repo: "{ORG_REPO}"' in r.thebe_config, r.thebe_config
        assert f'ref: "{BRANCH}"' in r.thebe_config


def test_launch_links_are_well_formed_everywhere(reports):
    for r in reports:
        for link in r.links:
            raw = link["raw"]
            if raw.startswith(BINDER) or raw.startswith(COLAB):
                assert ORG_REPO in raw and raw.endswith(".ipynb"), f"{r.path}: {raw}"
