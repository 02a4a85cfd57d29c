"""coursecode.plots: one colour-blind-safe style, alt text, offline animations and sliders.

The figure helpers run headless (Agg); the HTML they return for the static book
is self-contained (no network reference), small, and its player works in a
browser: a headless-Chromium check (skipped without /usr/bin/chromium, except
under CI) loads it with the network blocked, moves the slider with the keyboard
and presses Play.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib as mpl  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import coursecode as cc  # noqa: E402
from coursecode import plots  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture()
def runs():
    p = cc.ravine()
    return p, {"GD": cc.run(cc.gd(0.15), p, [-1.0, 0.6], 40),
               "Adam": cc.run(cc.adam(0.1), p, [-1.0, 0.6], 40),
               "GD, lr 0.3": cc.run(cc.gd(0.3), p, [-1.0, 0.6], 40)}


def test_every_public_name_is_on_the_package():
    for name in plots.__all__:
        assert hasattr(plots, name), name
    # the module alt_text holds the function alt_text: the package's name is the function
    assert callable(plots.alt_text) and plots.alt_text.__name__ == "alt_text"


def test_series_differ_in_colour_line_and_marker():
    styles = [plots.series_style(i) for i in range(len(plots.PALETTE))]
    for key in ("color", "linestyle", "marker"):
        values = [repr(s[key]) for s in styles]
        assert len(set(values)) == len(values)
    assert plots.PALETTE[:3] == ["#0072B2", "#D55E00", "#009E73"]  # Okabe & Ito


def test_style_is_opaque_white_for_dark_mode():
    with mpl.rc_context(plots.STYLE):
        assert mpl.rcParams["figure.facecolor"] == "white"
        assert mpl.rcParams["savefig.facecolor"] == "white"


def test_existing_helpers_still_draw(runs):
    p, r = runs
    with mpl.rc_context(plots.STYLE):
        fig, axes = plt.subplots(2, 3)
        plots.trajectories(p, r, ax=axes[0, 0], title="ravine")
        plots.loss_curves(r, ax=axes[0, 1], gap_to=0.0)
        online = {"Adam": cc.run(cc.adam(0.1, beta1=0.0, beta2=0.1), cc.reddi_cycle(3.0), [0.0], 30)}
        plots.regret_curves(online, ax=axes[0, 2])
        plots.step_sizes(np.abs(np.random.default_rng(0).normal(size=(20, 2))) + 0.1, ax=axes[1, 0])
        plots.histogram([np.arange(10.0), np.arange(5.0)], ax=axes[1, 1], labels=["a", "b"])
        plots.curves({"x": np.arange(1, 5.0)}, ax=axes[1, 2])
        data = plots.png_bytes(fig)
        plt.close(fig)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"


def test_alt_text_describes_a_trajectories_figure(runs):
    p, r = runs
    text = plots.alt_text(p, r, title="Three runs")
    assert text.startswith("Three runs.")
    assert "ravine" in text and "minimizer at (0, 0)" in text and "start at (-1, 0.6)" in text
    for label in r:
        assert label in text
    assert "GD, lr 0.3 diverges at step" in text   # |1 - 0.3 * 10| = 2: it blows up
    assert "f − f* =" in text


def test_curves_alt_text():
    text = plots.curves_alt_text({"GD": [4.0, 1.0, 0.25], "bad": [1.0, np.nan]}, what="loss gap")
    assert "loss gap" in text and "logarithmic" in text
    assert "GD falls from 4 to 0.25 over 2 steps" in text
    assert "bad stays from 1 to 1" in text and "undefined after step 0" in text


def test_encode_and_image_html():
    rgba = np.zeros((10, 20, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    assert plots.encode_rgba(rgba, "jpeg")[:2] == b"\xff\xd8"
    assert plots.encode_rgba(rgba, "png", colors=16)[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="fmt"):
        plots.encode_rgba(rgba, "gif")
    fig = Figure(figsize=(1, 1), dpi=20)
    fig.add_subplot().plot([0, 1])
    page = plots.image_html(fig, 'a "quoted" <alt>', caption="cap")
    assert 'alt="a &quot;quoted&quot; &lt;alt&gt;"' in page and "<figcaption>cap</figcaption>" in page


def _frame(a):
    fig = Figure(figsize=(2.0, 1.5), dpi=40)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, a])
    ax.set_ylim(-3, 3)
    return fig


def test_precomputed_slider_is_self_contained():
    values = [-2.0, -1.0, 0.0, 1.0, 2.0]
    page = plots.precomputed_slider(_frame, values, "slope", alt=lambda a: f"A line of slope {a:g}.",
                                    initial=1.0)
    assert isinstance(page, str) and page._repr_html_() == str(page)
    assert repr(page).startswith("<pre-computed slider with 5 frames of 'slope'")
    assert 'type="range"' in page and 'min="0"' in page and 'max="4"' in page and 'value="3"' in page
    assert 'aria-label="slope"' in page and 'aria-valuetext="slope = 1"' in page
    assert 'alt="A line of slope 1."' in page
    assert "http" not in page and "<script src" not in page
    assert page.count("iVBORw0KGgo") == 1 + len(values)
    assert " hidden " in page  # the controls appear only when the script runs


def test_precomputed_slider_rejects_bad_input():
    with pytest.raises(ValueError, match="empty"):
        plots.precomputed_slider(_frame, [], "x")
    with pytest.raises(ValueError, match="Figure or PNG"):
        plots.precomputed_slider(lambda v: "not a figure", [1], "x")
    with pytest.raises(ValueError, match="same length"):
        plots.player_html([b"\x89PNG"], ["a", "b"], ["a"], "x")


def test_animation_is_small_offline_and_reproducible(runs):
    p, r = runs
    first = plots.animate(p, r, frames=20, title="ravine")
    second = plots.animate(p, r, frames=20, title="ravine")
    assert "http" not in first and "<script src" not in first
    assert 'type="range"' in first and "Play" in first
    assert len(first) < 300_000
    strip = lambda s: re.sub(r"cc-player-[0-9a-f]+-\d+", "ID", s)  # noqa: E731
    assert strip(first) == strip(second)  # same frames, same bytes: stable notebook outputs
    assert "diverges at step" in first    # the alt text says what the picture shows


def test_default_animation_stays_well_under_a_megabyte(runs):
    p, r = runs
    page = plots.animate(p, r)
    assert len(page) < 700_000


def _chromium_or_skip():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium not found at /usr/bin/chromium")
        pytest.skip("Chromium not found at /usr/bin/chromium")
    return pytest.importorskip("playwright.sync_api")


def test_player_works_in_a_browser_offline():
    sync_api = _chromium_or_skip()
    page_html = plots.precomputed_slider(_frame, [0.0, 1.0, 2.0], "slope", initial=0.0)
    anim_html = plots.animate(cc.bowl(), {"GD": cc.run(cc.gd(0.1), cc.bowl(), [1.0, 1.0], 10)}, frames=5,
                              interval=20)
    doc = f"<!doctype html><html><body>{page_html}{anim_html}</body></html>"
    errors, requests = [], []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.route("**/*", lambda route: (requests.append(route.request.url), route.abort()))
        page.set_content(doc)
        players = page.locator(".cc-player")
        assert players.count() == 2
        slider = players.nth(0).locator("input[type=range]")
        assert slider.is_visible()  # the script un-hid the controls
        before = players.nth(0).locator("img").get_attribute("src")
        slider.focus()
        page.keyboard.press("ArrowRight")
        assert slider.get_attribute("aria-valuetext") == "slope = 1"
        assert players.nth(0).locator("output").inner_text() == "slope = 1"
        assert players.nth(0).locator("img").get_attribute("src") != before
        players.nth(1).locator("button").click()  # play the animation to its end
        page.wait_for_function(
            "() => document.querySelectorAll('.cc-player')[1].querySelector('input').value === '4'",
            timeout=5000)
        browser.close()
    assert errors == []
    assert requests == []
