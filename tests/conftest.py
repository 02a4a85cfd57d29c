"""Shared fixtures: the book is built once per test session.

`book_build` runs ``jupyter-book build . --all -W -n --keep-going`` into
``_build/html`` (the same place ``make book`` writes).  ``--all`` re-reads
every page, so every warning is reported even when nothing changed since the
last build; executed notebooks still come from the jupyter-cache in
``_build/.jupyter_cache``, so a rebuild without notebook changes is quick.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD_DIR = ROOT / "_build"
HTML_DIR = BUILD_DIR / "html"

# A Sphinx warning or error looks like "path:line: WARNING: text" or
# "WARNING: text".  The ipykernel log line "[IPKernelApp] WARNING | ..." that a
# kernel prints on start-up is not a Sphinx warning and is not matched.
SPHINX_PROBLEM = re.compile(r"(?:^|\s)(WARNING|ERROR|CRITICAL|SEVERE):\s")


@dataclasses.dataclass
class BuildResult:
    returncode: int
    output: str
    html_dir: Path

    @property
    def problems(self) -> list[str]:
        ansi = re.compile(r"\x1b\[[0-9;]*m")
        lines = (ansi.sub("", line) for line in self.output.splitlines())
        return [line for line in lines if SPHINX_PROBLEM.search(line)]


def run_book_build() -> BuildResult:
    # Start from an empty HTML folder so no page of an earlier build (a removed
    # chapter, say) is tested; doctrees and the notebook cache are kept.
    shutil.rmtree(HTML_DIR, ignore_errors=True)
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    cmd = [
        str(jupyter_book), "build", str(ROOT),
        "--builder", "html", "--all", "-W", "-n", "--keep-going",
    ]
    env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500,
    )
    return BuildResult(proc.returncode, proc.stdout + "\n" + proc.stderr, HTML_DIR)


@pytest.fixture(scope="session")
def book_build() -> BuildResult:
    """Build the book once for the whole session (slow the first time)."""
    return run_book_build()


@pytest.fixture(scope="session")
def built_html(book_build: BuildResult) -> Path:
    """The HTML output directory, or a failure if the build produced nothing."""
    index = book_build.html_dir / "index.html"
    if not index.exists():
        pytest.fail("the book did not build:\n" + book_build.output[-5000:])
    return book_build.html_dir
