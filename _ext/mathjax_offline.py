"""Serve MathJax from the book itself, and only the parts of it that the pages use.

sphinx-mathjax-offline ships the whole MathJax 3 distribution (24 MB: every
combined component, SVG and MathML output, the full bundles) and copies all of
it into ``_static/mathjax``. The pages load one combined component,
``tex-chtml.js`` (TeX input, HTML output, the contextual menu), which fetches
at most these on demand:

- ``input/tex/extensions/``: TeX packages loaded by ``autoload`` when a page uses
  one of their macros (``\\boldsymbol``, ``\\cancel``, ...);
- ``output/chtml/fonts/``: the web fonts of the HTML output;
- ``ui/`` and ``a11y/``: the lazy parts of the menu and its accessibility
  options (explorer, speech); ``sre/``: the speech-rule engine they call.

This extension copies just those (about 7 MB) from the installed
sphinx-mathjax-offline package. tests/test_browser.py opens every page with the
network blocked and fails on any missing file or unrendered formula.
"""
from __future__ import annotations

import importlib
import os

from sphinx.application import Sphinx
from sphinx.util.fileutil import copy_asset

# Paths inside the MathJax distribution that a page can request, as explained above.
KEEP = ("tex-chtml.js", "input/tex/extensions", "output/chtml", "ui", "a11y", "sre")


def mathjax_source() -> str:
    """The MathJax distribution that sphinx-mathjax-offline installs."""
    package = importlib.import_module("sphinx-mathjax-offline")
    return os.path.join(os.path.dirname(os.path.abspath(package.__file__)), "static", "mathjax")


def _copy(app: Sphinx, exc: Exception | None) -> None:
    if exc is not None or app.builder.format != "html":
        return
    source, target = mathjax_source(), os.path.join(app.outdir, "_static", "mathjax")
    for part in KEEP:
        src = os.path.join(source, part)
        dst = os.path.join(target, part)
        if os.path.isdir(src):
            copy_asset(src, dst)
        else:
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            copy_asset(src, os.path.dirname(dst))


def setup(app: Sphinx) -> dict:
    app.config.mathjax_path = "mathjax/tex-chtml.js"
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
