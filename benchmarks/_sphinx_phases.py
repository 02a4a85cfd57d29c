"""A Sphinx extension that writes down when each phase of a build and each document starts.

Loaded only by benchmarks/bench_build.py, which copies this file into the throw-away
clone it builds and lists it in that clone's _config.yml; the book never loads it.
Every mark is (wall-clock time, event, document or None), written as JSON to the file
named by the environment variable BENCH_SPHINX_PHASES when the build finishes.

Handlers that open a phase run first (priority 0), handlers that close one run last
(priority 999), so the work of the other extensions' handlers of the same event falls
inside the phase it belongs to.
"""
from __future__ import annotations

import atexit
import json
import os
import time

_MARKS: list = []


def _mark(event, doc=None):
    _MARKS.append((time.time(), event, doc))


def _write(failed):
    path = os.environ.get("BENCH_SPHINX_PHASES")
    if path:
        with open(path, "w", encoding="utf8") as f:
            json.dump({"marks": _MARKS, "failed": failed}, f)


def _dump(app, exc):
    _mark("build-finished-end")
    _write(exc is not None)
    # Registered last, so it runs first at exit: after Python has waited for the
    # threads still running, before the other exit handlers and the teardown.
    atexit.register(lambda: (_mark("atexit"), _write(exc is not None)))


def _collect_pages(app):
    _mark("finish-start")
    return []


def setup(app):
    _mark("extension-setup")
    app.connect("env-before-read-docs", lambda app, env, docnames: _mark("read-start"), priority=999)
    app.connect("source-read", lambda app, docname, source: _mark("source-read", docname), priority=0)
    app.connect("doctree-read", lambda app, doctree: _mark("doctree-read", app.env.docname), priority=999)
    app.connect("env-updated", lambda app, env: _mark("env-updated"), priority=0)
    app.connect("doctree-resolved", lambda app, doctree, docname: _mark("doctree-resolved", docname), priority=0)
    app.connect("html-collect-pages", _collect_pages, priority=0)
    app.connect("build-finished", lambda app, exc: _mark("build-finished-start"), priority=0)
    app.connect("build-finished", _dump, priority=999)
    return {"parallel_read_safe": False, "parallel_write_safe": True}
