"""Figures for the book, in one colour-blind-safe style.

Every series differs by colour (Okabe & Ito's palette) *and* by line style and
marker, so figures read in grey scale and for colour-blind readers. Figures have
an opaque white background, which keeps them readable in the theme's dark mode.
Alt text is set where the figure is shown (myst-nb cell metadata), since it
describes what the figure shows in that chapter; :func:`alt_text` and
:func:`curves_alt_text` write a first draft of it from the data.

Everything that moves in the static book is pre-rendered: :func:`animate` and
:func:`precomputed_slider` return self-contained HTML (frames as base64 PNG, a
small inline script, a keyboard-accessible ``<input type="range">``), with no
CDN and no kernel, kept small (low dpi, 64-colour frames).

The package, one idea a module (every public name is here too, as ``plots.NAME``):

* ``figures``: the style (:data:`PALETTE`, ``STYLE``, :func:`use_style`,
  :func:`series_style`, :func:`cycle`) and the figures (:func:`contour`,
  :func:`trajectories`, :func:`curves`, :func:`loss_curves`, :func:`regret_curves`,
  :func:`step_sizes`, :func:`histogram`);
* ``alt_text``: alt text drafted from the data (:func:`alt_text`, :func:`curves_alt_text`);
* ``player``: pictures as bytes and HTML (:func:`encode_rgba`, :func:`png_bytes`,
  :class:`HTMLFragment`, :func:`image_html`) and what moves offline
  (:func:`player_html`, :func:`precomputed_slider`, :func:`animate`).
"""
from __future__ import annotations

from . import figures
from .alt_text import alt_text, curves_alt_text
from .figures import (LINESTYLES, MARKERS, STYLE, contour, curves, cycle, histogram, loss_curves, regret_curves,
                      series_style, step_sizes, trajectories, use_style)
from .player import (HTMLFragment, animate, encode_rgba, image_html, player_html, png_bytes,
                     precomputed_slider)

# autodoc reads a table's documentation from a comment on its assignment in this file
#: Okabe & Ito's palette (2008, "Color universal design"), distinguishable with any colour vision.
PALETTE = figures.PALETTE

# The order of the API page (autodoc documents the names listed here, in this order).
__all__ = [
    "PALETTE", "LINESTYLES", "MARKERS", "STYLE", "use_style", "series_style", "contour", "trajectories",
    "curves", "loss_curves", "regret_curves", "step_sizes", "histogram", "alt_text", "curves_alt_text",
    "encode_rgba", "png_bytes", "HTMLFragment", "image_html", "player_html", "precomputed_slider", "animate",
    "cycle",
]
