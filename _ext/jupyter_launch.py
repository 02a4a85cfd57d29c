"""Binder and Colab buttons open the reader edition of a chapter, not its MyST source.

sphinx-book-theme builds the launch URLs from ``repository.url``, ``path_to_book`` and
the page's path (``.../blob/main/chapters/02_momentum.ipynb``). A plain Jupyter front
end shows that notebook's MyST markup raw, so for every page whose notebook has a
reader edition in ``jupyter/reader/`` (tools/jupyter_edition.py, ``make jupyter``) the
path in the Binder and Colab URLs is replaced by ``jupyter/reader/<name>.ipynb``. This
runs after the theme has made its buttons (priority 501); other buttons, the download
button and Thebe are unchanged.
"""
from __future__ import annotations

from pathlib import Path

READER_DIR = "jupyter/reader"


def _rewrite(buttons, source, target):
    count = 0
    for button in buttons or []:
        if not isinstance(button, dict):
            continue
        url = button.get("url")
        if isinstance(url, str) and button.get("text") in ("Binder", "Colab") and url.endswith(source):
            button["url"] = url[: -len(source)] + target
            count += 1
        count += _rewrite(button.get("buttons"), source, target)
    return count


def point_launch_buttons_at_reader_edition(app, pagename, templatename, context, doctree):
    if not pagename.startswith("chapters/"):
        return
    name = Path(pagename).name + ".ipynb"
    if not (Path(app.srcdir) / READER_DIR / name).exists():
        return
    book_rel = (app.config.html_theme_options or {}).get("path_to_docs", "").strip("/")
    source = f"{book_rel + '/' if book_rel else ''}{pagename}.ipynb"
    _rewrite(context.get("header_buttons"), source, f"{READER_DIR}/{name}")


def setup(app):
    app.connect("html-page-context", point_launch_buttons_at_reader_edition, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
