"""Open every page of the built book in headless Chromium, with the network
blocked, and check what a reader would see.

The HTML is served from _build/html on 127.0.0.1 (an ephemeral port); every
request to any other host is aborted and recorded.  For every page:
no console errors and no uncaught page errors; no request leaves the machine;
all math typeset by the local MathJax (no raw TeX left in the text); every
<img> decoded; on notebook pages, the Binder, Colab, Live Code (Thebe) and
download links point at this repository and this notebook.

Accessibility, on the same visit: axe-core (bundled by the pinned PyPI package
axe-playwright-python, injected into the page: no CDN) runs on every page and
no critical or serious violation may come from the book's own content; the
few that the theme or Sphinx cause are allow-listed below (AXE_THEME_ALLOWED),
each by rule id AND by a CSS selector of the theme's elements, with the reason.
Every <img> has a descriptive alt text as the reader's browser sees it; every
pre-computed slider is in the tab order and moves with the arrow keys (frame,
alt, aria-valuetext follow). One chapter is also opened in the theme's light
and dark modes: its figures keep an opaque light background with dark lines.
The full axe report goes to _build/axe-report.json.

Needs Debian's Chromium at /usr/bin/chromium (never a Playwright-downloaded
browser).  Without it the tests are skipped, except under CI (env CI set),
where a missing browser is a failure.  Screenshots of every page (and of one
chapter in light and dark mode) are written to _build/screenshots/ for a
human look.
"""

from __future__ import annotations

import dataclasses
import functools
import http.server
import io
import json
import os
import re
import threading
import time
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
AXE_REPORT = ROOT / "_build" / "axe-report.json"

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
        message = ("Chromium not found at /usr/bin/chromium; "  # conftest.CHROMIUM_MISSING
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
    axe: dict | None = None       # {"contrast": ..., "violations": [...]}, None on a redirect page
    players: list | None = None   # one keyboard check per pre-computed slider / animation
    seconds: dict | None = None   # wall time of the visit and of its axe run


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
  const alts = images.map(img => ({src: (img.getAttribute('src') || '').slice(0, 80),
                                   alt: img.getAttribute('alt')}));
  return {count: images.length, broken: broken, alts: alts};
}
"""

LINKS_JS = r"""
() => Array.from(document.querySelectorAll('a[href]')).map(a => ({
  href: a.href, raw: a.getAttribute('href'), cls: a.className, title: a.title || ''
}))
"""

# --------------------------------------------------------------- axe-core

# Violations that the theme (pydata-sphinx-theme / sphinx-book-theme) or Sphinx
# itself causes, not the book's content. An entry applies to one axe rule id AND
# only to elements matching its CSS selector (and, if given, its computed
# style), so the same rule still fails anywhere else (the book's own HTML,
# figures, widgets, players). Only critical
# and serious violations fail the test; every violation, allowed or not, is
# listed in _build/axe-report.json.
AXE_THEME_ALLOWED = [
    {
        "rule": "color-contrast",
        "selector": ".admonition :is(a.reference, a.reference *)",
        "style": {"color": "rgb(23, 109, 232)"},   # sphinx-book-theme's #176de8, nothing else
        "reason": "Sphinx's cross-reference links in sphinx-book-theme's link colour (#176de8) "
                  "on the 10% tints that sphinx-exercise and sphinx-proof give their boxes "
                  "(exercise, theorem, lemma, proposition: #ecf3ff, #ebfae6, #edf2f6): contrast "
                  "4.24-4.4, just under 4.5; the book sets neither colour (a CSS rule in "
                  "_static/ darkening links inside .admonition would fix it)",
    },
    {
        "rule": "aria-required-children",
        "selector": "div.citation-list[role='list']",
        "reason": "Sphinx/docutils write the bibliography as <div role='list'> of "
                  "<div role='doc-biblioentry'>; axe 4.12 treats doc-biblioentry as deprecated "
                  "and then sees the entries' links as the list's children",
    },
]

# color-contrast is most of axe's time: it looks at every element with text
# (thousands of code-token and MathJax spans per chapter). Its outcome depends
# only on the text's colour, size, weight, shadow and opacity and on the
# backgrounds behind it, so it is run on one visible element per distinct
# combination of those (on every page, code included), and on every element
# that an allow-list entry would excuse kept apart from those it would not.
# Every other rule runs on the whole page.
AXE_CONTRAST_SAMPLE_JS = r"""
(allowed) => {
  const selectors = allowed.filter(a => a.rule === 'color-contrast').map(a => a.selector);
  const backgroundOf = (el) => {
    const parts = [];
    for (let e = el; e; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.backgroundImage !== 'none') parts.push('image:' + cs.backgroundImage.slice(0, 80));
      if (cs.opacity !== '1') parts.push('opacity:' + cs.opacity);
      if (cs.backgroundColor !== 'rgba(0, 0, 0, 0)') {
        parts.push(cs.backgroundColor);
        if (!cs.backgroundColor.startsWith('rgba')) break;   // opaque: nothing behind counts
      }
    }
    return parts.join('|');
  };
  const keys = new Set();
  let texts = 0;
  for (const el of document.body.querySelectorAll('*')) {
    if (!Array.from(el.childNodes).some(c => c.nodeType === 3 && c.textContent.trim())) continue;
    if (!el.getClientRects().length) continue;   // not rendered (a collapsed block)
    texts++;
    const cs = getComputedStyle(el);
    const key = [cs.color, cs.fontSize, cs.fontWeight, cs.textShadow, backgroundOf(el),
                 selectors.map(sel => el.matches(sel) ? 1 : 0).join('')].join(';');
    if (!keys.has(key)) { keys.add(key); el.setAttribute('data-axe-contrast', ''); }
  }
  axe.configure({rules: [{id: 'color-contrast', selector: '[data-axe-contrast]'}]});
  return {elements_with_text: texts, checked_for_contrast: keys.size};
}
"""

AXE_RUN_JS = r"""
async (allowed) => {
  // preload: false, or axe fetches the stylesheets itself and resolves the
  // theme's `@import "../basic.css"` against the page (a 404 in the console).
  const results = await axe.run(document, {resultTypes: ['violations'], preload: false});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => {
      let el = null;
      if (n.target.length === 1) { try { el = document.querySelector(n.target[0]); } catch (e) {} }
      const entry = allowed.find(a => a.rule === v.id && el && el.matches(a.selector) &&
        Object.entries(a.style || {}).every(([k, value]) => getComputedStyle(el)[k] === value));
      const checks = [].concat(n.any || [], n.all || [], n.none || []);
      return {target: n.target, html: (n.html || '').slice(0, 200),
              message: checks.length ? checks[0].message.slice(0, 300) : '',
              allowed: entry ? entry.reason : null};
    }),
  }));
}
"""


def _axe_script() -> str:
    from axe_playwright_python.base import AXE_SCRIPT  # axe.min.js, bundled in the wheel

    return AXE_SCRIPT


def _axe_version() -> str:
    match = re.search(r"axe v([\d.]+)", _axe_script()[:200])
    return match.group(1) if match else "?"


def _run_axe(page) -> dict:
    page.evaluate(_axe_script())
    contrast = page.evaluate(AXE_CONTRAST_SAMPLE_JS, AXE_THEME_ALLOWED)
    violations = page.evaluate(AXE_RUN_JS, AXE_THEME_ALLOWED)
    return {"contrast": contrast, "violations": violations}


# ------------------------------------------------------------ the sliders

PLAYER_STATE_JS = r"""
(i) => {
  const root = document.querySelectorAll('.cc-player')[i];
  const input = root.querySelector('input[type=range]');
  const img = root.querySelector('img');
  const out = root.querySelector('output');
  const controls = root.querySelector('.cc-player-controls');
  const rect = root.getBoundingClientRect();
  return {id: root.id, visible: rect.width > 0 && rect.height > 0,
          controls_hidden: controls ? controls.hidden : null,
          label: input ? input.getAttribute('aria-label') : null,
          valuetext: input ? input.getAttribute('aria-valuetext') : null,
          value: input ? input.value : null, max: input ? input.max : null,
          focused: document.activeElement === input,
          tabindex: input ? input.tabIndex : null,
          src: img ? img.getAttribute('src') : '', alt: img ? img.getAttribute('alt') : null,
          output: out ? out.textContent : null};
}
"""


def _check_players(page) -> list[dict]:
    """Focus each slider, leave and re-enter it with Shift+Tab / Tab, press an arrow key."""
    results = []
    count = page.evaluate("() => document.querySelectorAll('.cc-player').length")
    for i in range(count):
        before = page.evaluate(PLAYER_STATE_JS, i)
        result = {"id": before["id"], "visible": before["visible"], "label": before["label"],
                  "controls_hidden": before["controls_hidden"]}
        if before["visible"] and before["label"] is not None:
            slider = page.locator(".cc-player input[type=range]").nth(i)
            slider.scroll_into_view_if_needed()
            slider.focus()
            page.keyboard.press("Shift+Tab")
            page.keyboard.press("Tab")           # back into the slider: it is in the tab order
            reached = page.evaluate(PLAYER_STATE_JS, i)["focused"]
            key = "ArrowLeft" if before["value"] == before["max"] else "ArrowRight"
            page.keyboard.press(key)
            after = page.evaluate(PLAYER_STATE_JS, i)
            result.update({
                "reached_with_tab": reached, "key": key,
                "value": [before["value"], after["value"]],
                "valuetext": [before["valuetext"], after["valuetext"]],
                "output": after["output"],
                "frame_changed": after["src"] != before["src"],
                "alt": after["alt"],
            })
        results.append(result)
    return results


def _redirect_target(path: Path) -> str | None:
    match = re.search(r'http-equiv="refresh"\s+content="\d+;\s*url=([^"]+)"',
                      path.read_text(encoding="utf8"), flags=re.I)
    return match.group(1) if match else None


def _visit(browser, base_url: str, built_html: Path, rel: str) -> PageReport:
    t0 = time.perf_counter()
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
    def console(msg):
        # Chromium asks every site for /favicon.ico on its own; the book has
        # none, and that 404 is the browser's request, not the page's.
        if msg.type == "error" and not (msg.location or {}).get("url", "").endswith("/favicon.ico"):
            console_errors.append(msg.text)

    page.on("console", console)
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
        # the page it redirects to is visited on its own
        t_axe = time.perf_counter()
        axe = None if redirect else _run_axe(page)
        t_axe = time.perf_counter() - t_axe
        players = _check_players(page)
    finally:
        context.close()
    seconds = {"visit": round(time.perf_counter() - t0, 2), "axe": round(t_axe, 2)}
    return PageReport(rel, console_errors, page_errors, blocked, failed, math, images,
                      links, thebe_config, download_status, axe, players, seconds)


@pytest.fixture(scope="module")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


# Pages are visited by this many browsers at once, each in a thread of its own
# with its own Playwright instance (the sync API is not thread-safe). axe-core
# is CPU-bound, so more than one per core gains nothing.
BROWSER_WORKERS = max(1, min(2, os.cpu_count() or 1))


def _visit_all(chromium_path: Path, base_url: str, built_html: Path, pages: list[str]) -> list[PageReport]:
    from concurrent.futures import ThreadPoolExecutor

    from playwright.sync_api import sync_playwright

    def worker(chunk: list[str]) -> list[PageReport]:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS)
            try:
                return [_visit(chromium, base_url, built_html, rel) for rel in chunk]
            finally:
                chromium.close()

    workers = min(BROWSER_WORKERS, len(pages))
    with ThreadPoolExecutor(workers) as pool:
        chunks = list(pool.map(worker, [pages[k::workers] for k in range(workers)]))
    return sorted((r for chunk in chunks for r in chunk), key=lambda r: r.path)


@pytest.fixture(scope="module")
def reports(chromium_path, server, built_html) -> list[PageReport]:
    pages = sorted(
        str(p.relative_to(built_html)) for p in built_html.rglob("*.html")
        if "_static" not in p.parts and "_sources" not in p.parts
    )
    assert pages, "no HTML pages were built"
    out = _visit_all(chromium_path, server, built_html, pages)
    AXE_REPORT.parent.mkdir(parents=True, exist_ok=True)
    AXE_REPORT.write_text(json.dumps(
        {"axe_core": _axe_version(), "allowed": AXE_THEME_ALLOWED,
         "seconds": {r.path: r.seconds for r in out},
         "pages": {r.path: r.axe for r in out if r.axe is not None}}, indent=1) + "\n")
    return out


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
        # Binder and Colab open the reader edition (jupyter/reader/), which a plain Jupyter
        # front end reads as the HTML does; the download button keeps the MyST source.
        reader = "jupyter/reader/" + source.rsplit("/", 1)[-1]
        binder = f"{BINDER}/v2/gh/{ORG_REPO}/{BRANCH}?urlpath=tree/{reader}"
        colab = f"{COLAB}/github/{ORG_REPO}/blob/{BRANCH}/{reader}"
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


# ----------------------------------------------------------- accessibility


def test_axe_finds_no_serious_violation_in_the_book(reports):
    checked = [r for r in reports if r.axe is not None]
    assert checked and all(r.axe["contrast"]["checked_for_contrast"] for r in checked), (
        [(r.path, r.axe["contrast"]) for r in checked])
    bad = []
    for r in checked:
        for v in r.axe["violations"]:
            if v["impact"] not in ("critical", "serious"):
                continue
            for node in v["nodes"]:
                if not node["allowed"]:
                    bad.append(f"{r.path}: [{v['impact']}] {v['id']} ({v['help']}) at "
                               f"{' > '.join(node['target'])}: {node['message']}\n    {node['html']}")
    assert not bad, (f"{len(bad)} critical/serious axe-core violation(s) not caused by the theme "
                     f"(all of them: {AXE_REPORT}):\n" + "\n".join(bad[:40]))


AXE_PROBE_HTML = """<!doctype html><html lang="en"><head><title>probe</title></head><body><main>
<h1>Probe</h1>
<div class="admonition exercise" style="background: #ecf3ff">
  <p>See <a class="reference internal" href="#x" style="color: #176de8">(1.1)</a>, a theme link.</p>
  <p>See <a class="reference internal" href="#x" id="own-link" style="color: #8aa8d8">(1.2)</a>.</p>
</div>
<p id="own-text" style="color: #aaaaaa; background: #ffffff">Faint text of the book's own.</p>
</main></body></html>"""


def test_axe_allow_list_does_not_excuse_the_books_own_violations(browser):
    # The theme's link colour on an exercise box is excused; the same box with a
    # link in another colour, or faint text anywhere, is not.
    page = browser.new_page()
    try:
        page.set_content(AXE_PROBE_HTML)
        result = _run_axe(page)
    finally:
        page.close()
    nodes = [(n["target"][0], bool(n["allowed"])) for v in result["violations"]
             if v["id"] == "color-contrast" for n in v["nodes"]]
    assert ("#own-link", False) in nodes and ("#own-text", False) in nodes, nodes
    assert any(allowed for _, allowed in nodes), nodes


def test_every_image_has_a_descriptive_alt_in_the_browser(reports):
    from test_accessibility import alt_problem

    bad = []
    for r in reports:
        for image in r.images["alts"]:
            problem = alt_problem(image["alt"], image["src"])
            if problem:
                bad.append(f"{r.path}: <img src={image['src'][:60]!r}>: {problem}")
    assert not bad, "\n".join(bad)


def test_sliders_work_from_the_keyboard(reports):
    players = [(r.path, p) for r in reports for p in (r.players or [])]
    if not players:
        pytest.skip("no pre-computed slider or animation in the book yet")
    checked = 0
    for path, p in players:
        where = f"{path} #{p['id']}"
        assert p["label"], f"{where}: the range input has no aria-label"
        assert p["controls_hidden"] is False, f"{where}: the controls stayed hidden (script did not run)"
        if not p["visible"]:
            continue  # inside a collapsed block (a hidden solution, say)
        checked += 1
        assert p["reached_with_tab"], f"{where}: Tab does not reach the slider"
        assert p["value"][0] != p["value"][1], f"{where}: {p['key']} did not move the slider: {p['value']}"
        assert p["frame_changed"], f"{where}: {p['key']} moved the slider but not the picture"
        assert p["valuetext"][1] and p["valuetext"][1] != p["valuetext"][0], (
            f"{where}: aria-valuetext did not follow the slider: {p['valuetext']}")
        assert p["output"] == p["valuetext"][1], f"{where}: shown value {p['output']!r}"
        assert p["alt"], f"{where}: frame without alt text"
    assert checked, "no visible slider to try"


# Dark mode: the theme keeps its colour mode in localStorage ("mode", "theme")
# and sets <html data-theme>. Figures are matplotlib PNGs on white; they must
# stay light with dark lines (the theme dims images a little in dark mode).
DARK_MODE_PAGE = "chapters/01_landscape.html"

FIGURES_JS = r"""
() => Array.from(document.querySelectorAll('.cell_output img'))
  .filter(img => img.naturalWidth > 150 && img.naturalHeight > 100)
  .slice(0, 3).map((img, k) => { img.setAttribute('data-a11y-shot', String(k)); return k; })
"""


def _luminance(rgb):
    import numpy as np

    c = np.asarray(rgb, dtype=float) / 255.0
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return c @ np.array([0.2126, 0.7152, 0.0722])


def _figure_contrast(png: bytes) -> dict:
    """Background luminance (most common colour), darkest 1% of pixels, their contrast ratio."""
    import numpy as np
    from PIL import Image

    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3)
    colours, counts = np.unique(rgb, axis=0, return_counts=True)
    background = float(_luminance(colours[np.argmax(counts)]))
    dark = float(np.percentile(_luminance(rgb), 1))
    return {"background": round(background, 3), "dark": round(dark, 3),
            "contrast": round((background + 0.05) / (dark + 0.05), 2)}


def test_figures_stay_readable_in_dark_mode(browser, server, built_html):
    if not (built_html / DARK_MODE_PAGE).exists():
        pytest.skip(f"{DARK_MODE_PAGE} not built")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    seen = {}
    for mode in ("light", "dark"):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=mode)
        context.add_init_script(
            f"localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}');")
        context.route("**/*", lambda route: route.continue_()
                      if urlsplit(route.request.url).hostname == "127.0.0.1" else route.abort())
        page = context.new_page()
        try:
            page.goto(f"{server}/{DARK_MODE_PAGE}", wait_until="load", timeout=60_000)
            assert page.evaluate("document.documentElement.dataset.theme") == mode
            body = page.evaluate("getComputedStyle(document.body).backgroundColor")
            body_rgb = [int(x) for x in re.findall(r"\d+", body)[:3]]
            shots = page.evaluate(FIGURES_JS)
            assert shots, f"{DARK_MODE_PAGE}: no figure found"
            figures = []
            for k in shots:
                img = page.locator(f"img[data-a11y-shot='{k}']")
                img.scroll_into_view_if_needed()
                figures.append(_figure_contrast(img.screenshot()))
                if k == 0:
                    page.screenshot(path=str(SCREENSHOTS / f"{mode}-mode__{DARK_MODE_PAGE.replace('/', '__')[:-5]}.png"))
            seen[mode] = {"page_background": float(_luminance(body_rgb)), "figures": figures}
        finally:
            context.close()
    assert seen["light"]["page_background"] > 0.8, seen["light"]
    assert seen["dark"]["page_background"] < 0.1, f"dark mode did not switch: {seen['dark']}"
    for mode, result in seen.items():
        for k, fig in enumerate(result["figures"]):
            assert fig["background"] > 0.45, f"{mode} mode, figure {k}: background not light: {fig}"
            assert fig["contrast"] >= 7, f"{mode} mode, figure {k}: lines too faint: {fig}"
