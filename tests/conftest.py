"""Shared fixtures: the book is built once per test session.

`book_build` runs the equivalent of ``jupyter-book build . --all -W -n
--keep-going`` into ``_build/html`` (the same place ``make book`` writes).
``--all`` re-reads every page, so every warning is reported even when nothing
changed since the last build.
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


# The build the tests run: `jupyter-book build . --all -W -n --keep-going`, plus
# one override that the CLI cannot express: notebooks are rendered from their
# stored outputs instead of being executed a second time.  That is sound here
# because the same `make test` runs strict nbval (every stored output equals a
# fresh run) and test_notebooks_were_run_top_to_bottom (no cell left unrun);
# `make book` still executes and caches every notebook.  It halves the time of
# a cold CI run.  BOOK_TEST_EXECUTE=cache (or force) executes them instead.
BUILD_SCRIPT = """
import sys
from pathlib import Path
from jupyter_book.sphinx import build_sphinx

root, mode = Path(sys.argv[1]), sys.argv[2]
status = build_sphinx(
    root, root / "_build" / "html",
    use_external_toc=True, noconfig=True, path_config=str(root / "_config.yml"),
    confoverrides={
        "external_toc_path": (root / "_toc.yml").as_posix(),
        "latex_individualpages": False,
        "nitpicky": True,
        "nb_execution_mode": mode,
    },
    builder="html", warningiserror=True, keep_going=True, freshenv=True,
)
sys.exit(status if isinstance(status, int) else 1)
"""


def run_book_build() -> BuildResult:
    # Start from an empty HTML folder so no page of an earlier build (a removed
    # chapter, say) is tested; doctrees and the notebook cache are kept.
    shutil.rmtree(HTML_DIR, ignore_errors=True)
    mode = os.environ.get("BOOK_TEST_EXECUTE", "off")
    cmd = [sys.executable, "-c", BUILD_SCRIPT, str(ROOT), mode]
    # Some test modules set MPLBACKEND=Agg for themselves; a notebook kernel
    # started by this build must use the inline backend, as a reader's does.
    env = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=2400,
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


CHROMIUM_MISSING = "Chromium not found at /usr/bin/chromium"


def pytest_terminal_summary(terminalreporter):
    """One line, not one per test, when the browser tests were skipped for want of Chromium."""
    skipped = terminalreporter.stats.get("skipped", [])
    if any(CHROMIUM_MISSING in str(getattr(report, "longrepr", "")) for report in skipped):
        terminalreporter.write_line(
            f"browser tests skipped: {CHROMIUM_MISSING}. Install Debian's Chromium to run them: "
            "sudo apt-get install -y chromium (on CI a missing Chromium fails them instead)", yellow=True)
