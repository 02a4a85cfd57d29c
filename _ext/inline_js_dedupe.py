"""Stop Sphinx 7 from writing inline ``<script>`` blocks twice.

Root cause (Sphinx < 8.2.2, fixed upstream by sphinx-doc/sphinx#13402):
``Sphinx.add_js_file(None, body=...)`` called *after* the HTML builder was
created stores the script in the registry and also hands it to
``StandaloneHTMLBuilder.add_js_file`` with ``filename=None``.  When the
builder later re-reads the registry (``prepare_writing``) it passes the same
script with ``filename=''``.  ``None != ''``, so the de-duplication check in
``add_js_file`` misses it and the script is emitted twice.

sphinx-thebe adds ``const THEBE_JS_URL = ...`` exactly this way (in
``env-before-read-docs``), so every page declared the constant twice and
Chromium reported ``Identifier 'THEBE_JS_URL' has already been declared``.
sphinx-togglebutton's inline config suffered the same way (harmless ``var``).

The fix is the upstream one: normalise ``None`` to ``''`` in the builder's
``add_js_file`` so both routes create equal assets.  It is installed on the
builder instance as soon as the builder exists, before any extension adds
an inline script.
"""

from __future__ import annotations

import functools

from sphinx.application import Sphinx


def _normalise_builder(app: Sphinx) -> None:
    builder = app.builder
    original = getattr(builder, "add_js_file", None)
    if original is None or getattr(original, "_inline_js_dedupe", False):
        return

    @functools.wraps(original)
    def add_js_file(filename, **kwargs):
        return original(filename or "", **kwargs)

    add_js_file._inline_js_dedupe = True
    builder.add_js_file = add_js_file
    # Scripts already registered through app.add_js_file before this point were
    # added by builder.init() with filename '' already; nothing to rewrite.


def setup(app: Sphinx) -> dict:
    # priority 1: run before every other builder-inited handler
    # (sphinx-togglebutton adds its inline script there).
    app.connect("builder-inited", _normalise_builder, priority=1)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
