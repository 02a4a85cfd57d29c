"""The live-only defects of #22, checked without a front end.

1. Chapter 2's snap box: a live front end shows each slider on its step grid and sends
   the rounded value back; that echo of the optimum must leave the box on and the status
   at the optimal rate.
2. The players' keys: JupyterLab's and Notebook 7's shortcuts listen for keydown on the
   page, so the player's range input handles its keys itself and stops their propagation
   (tests/test_live_jupyterlab.py presses them in a real JupyterLab; test_browser.py in
   the static book).
"""
from __future__ import annotations

import math
import os
import re
from pathlib import Path

import ipywidgets as W
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from coursecode import plots, widgets  # noqa: E402


def frontend_round(control, value):
    """The value a front end sends back: the nearest point of the slider's step grid
    (counted from its minimum; in log10 for a log slider), as ipywidgets' views do."""
    if isinstance(control, W.FloatLogSlider):
        k = round((math.log10(value) - control.min) / control.step)
        return control.base ** (control.min + k * control.step)
    k = round((value - control.min) / control.step)
    return control.min + k * control.step


@pytest.mark.parametrize("form", ["ema", "heavy_ball"])
def test_snap_survives_the_front_ends_rounded_echo(form):
    ex = widgets.momentum_explorer(form=form)
    try:
        alpha, beta_opt, rate = widgets.momentum_optimum(2.0, 10.0)
        ex.update(snap=True)
        lr, beta = ex.controls["lr"], ex.controls["beta"]
        echoed = {name: frontend_round(c, c.value) for name, c in (("lr", lr), ("beta", beta))}
        # the echo is off the optimum, and the optimum's rate is sensitive to it: the
        # rounded pair's own rate reads differently at 3 digits (the 0.399 of the issue)
        lr_alpha = echoed["lr"] * (1 - echoed["beta"]) if form == "ema" else echoed["lr"]
        rounded_rate = float(widgets.momentum_rate(lr_alpha, echoed["beta"], [2.0, 10.0]))
        assert echoed["beta"] != beta_opt and f"{rounded_rate:.3f}" != f"{rate:.3f}"
        # what the front end does after Run All: set each slider to its rounded value,
        # which runs the observers as a user's move would
        lr.value = echoed["lr"]
        beta.value = echoed["beta"]
        assert ex.controls["snap"].value is True, "the echo unchecked the snap box"
        assert f"{rate:.3f}" == "0.382"
        assert f"rate {rate:.3f}" in ex.message and f"predicted rate {rate:.3f} per step" in ex.message
        assert ex.values["beta"] == beta_opt
        # one real step away from the optimum clears it
        beta.value = echoed["beta"] + beta.step
        assert ex.controls["snap"].value is False
        assert f"predicted rate {rate:.3f} per step" not in ex.message
    finally:
        ex.close()


def test_snap_box_off_reads_the_sliders_as_they_are():
    ex = widgets.momentum_explorer(form="heavy_ball")
    try:
        ex.update(snap=True)
        ex.update(snap=False)
        beta = ex.controls["beta"]
        beta.value = frontend_round(beta, beta.value)
        assert ex.values["beta"] == beta.value  # no snapping while the box is off
    finally:
        ex.close()


def test_player_keeps_its_keys_from_the_notebook_shortcuts():
    html = plots.player_html([b"\x89PNG a", b"\x89PNG b", b"\x89PNG c"], ["a", "b", "c"],
                             ["A", "B", "C"], "step")
    assert 'addEventListener("keydown"' in html
    assert "e.stopPropagation()" in html and "e.preventDefault()" in html
    for key in ("ArrowRight", "ArrowLeft", "Home", "End"):
        assert key in html


def test_live_requirements_pin_jupyterlab_outside_binders_file():
    root = Path(__file__).resolve().parents[1]
    live = [ln.strip() for ln in (root / "tests" / "requirements-live.txt").read_text().splitlines()
            if ln.strip() and not ln.startswith("#")]
    assert all("==" in ln for ln in live), live
    assert any(re.fullmatch(r"jupyterlab==4\.6\.\d+", ln) for ln in live), live
    binder = (root / "requirements.txt").read_text().lower()
    assert not re.search(r"^jupyterlab==", binder, re.M), "JupyterLab pinned where Binder reads it"
    make = (root / "Makefile").read_text()
    assert re.search(r"^test:.*\$\(LIVE_STAMP\)", make, re.M), "make test does not install the live pins"


def test_player_keys_in_a_static_page(tmp_path):
    """The book's behaviour is kept: in a plain page the arrow keys, Home and End move
    the player (each once: the slider handles its keys and stops the browser's own move)."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium not found at /usr/bin/chromium")
        pytest.skip("Chromium not found at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    frames = [plots.encode_rgba(np.full((4, 4, 4), (k * 40, 0, 0, 255), np.uint8)) for k in range(5)]
    html = plots.player_html(frames, [f"step {k}" for k in range(5)], [f"frame {k}" for k in range(5)],
                             "step", play_button=False)
    page_file = tmp_path / "player.html"
    # a page-level keydown listener that cancels arrow keys, as a notebook's shortcuts do
    page_file.write_text("<!doctype html><html><body><script>document.addEventListener('keydown',"
                         " e => { if (e.key.startsWith('Arrow')) { e.preventDefault(); window.stolen ="
                         " (window.stolen || 0) + 1; } });</script>" + html + "</body></html>")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(page_file.as_uri())
            slider = page.locator("input[type=range]")
            slider.focus()
            seen = []
            for key in ("ArrowRight", "ArrowRight", "ArrowLeft", "End", "ArrowRight", "Home", "ArrowUp",
                        "PageUp"):
                page.keyboard.press(key)
                seen.append((slider.input_value(), page.locator(".cc-player output").inner_text(),
                             page.locator(".cc-player img").get_attribute("alt")))
            stolen = page.evaluate("() => window.stolen || 0")
        finally:
            browser.close()
    values = [v for v, _, _ in seen]
    assert values == ["1", "2", "1", "4", "4", "0", "1", "4"], seen
    assert all(out == f"step {v}" and alt == f"frame {v}" for v, out, alt in seen), seen
    assert stolen == 0, "the page's keydown listener saw the player's keys"
