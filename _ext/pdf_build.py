"""Build the PDF edition: ``make pdf`` runs this, and so does tests/test_pdf.py.

    python _ext/pdf_build.py [--source DIR] [--out DIR]

Two steps, as ``jupyter-book build . --builder pdflatex`` takes them: Jupyter
Book's Sphinx build with the LaTeX builder, then latexmk with XeLaTeX (and
xindy for the index) over the .tex it writes. Two differences: the notebooks
are rendered from their stored outputs, not executed again (``make test``'s
strict nbval proves those are what a fresh run prints), and the build keeps its
own doctrees, so the HTML build's cache in ``_build`` is left as it is.

The PDF lands in ``<out>/adam-and-its-variants.pdf`` (``<out>`` is
``_build/latex`` by default; the name comes from ``latex_documents`` in
_config.yml). XeLaTeX's log is ``<out>/latexmk.log``; the script prints its
tail when LaTeX fails.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def pdf_name(source: Path) -> str:
    """The PDF's file name, from ``latex: latex_documents: targetname`` in _config.yml."""
    config = yaml.safe_load((source / "_config.yml").read_text(encoding="utf8"))
    target = config["latex"]["latex_documents"]["targetname"]
    return Path(target).with_suffix(".pdf").name


def sphinx_latex(source: Path, out: Path) -> int:
    """Jupyter Book's Sphinx build, LaTeX builder, stored outputs; returns its status."""
    from jupyter_book.sphinx import build_sphinx

    # autodoc (the API appendix) imports coursecode: the one in the source tree.
    sys.path.insert(0, str(source))
    status = build_sphinx(
        source, out, doctreedir=out / ".doctrees",
        use_external_toc=True, noconfig=True, path_config=str(source / "_config.yml"),
        confoverrides={
            "external_toc_path": (source / "_toc.yml").as_posix(),
            "latex_individualpages": False,
            "nb_execution_mode": "off",
        },
        builder="latex", freshenv=True, keep_going=True,
    )
    return status if isinstance(status, int) else 1


def latexmk(out: Path) -> int:
    """Sphinx's LaTeX Makefile (latexmk, XeLaTeX, xindy); output in latexmk.log."""
    env = dict(os.environ, LATEXOPTS="-interaction=nonstopmode -halt-on-error")
    log = out / "latexmk.log"
    with log.open("w") as stream:
        proc = subprocess.run(["make", "-C", str(out), "all-pdf", "LATEXMKOPTS=-xelatex -silent"],
                              stdout=stream, stderr=subprocess.STDOUT, env=env)
    if proc.returncode:
        print("".join(log.read_text(errors="replace").splitlines(keepends=True)[-40:]), file=sys.stderr)
    return proc.returncode


def build(source: Path = ROOT, out: Path | None = None) -> Path:
    """Build the PDF of the book in ``source`` into ``out``; return its path."""
    source = source.resolve()
    out = (out or source / "_build" / "latex").resolve()
    started = time.monotonic()
    if sphinx_latex(source, out):
        raise SystemExit("the Sphinx LaTeX build failed (see the messages above)")
    middle = time.monotonic()
    if latexmk(out):
        raise SystemExit(f"XeLaTeX failed; the whole log is {out / 'latexmk.log'}")
    pdf = out / pdf_name(source)
    print(f"PDF: {pdf} (Sphinx {middle - started:.0f} s, LaTeX {time.monotonic() - middle:.0f} s)")
    return pdf


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT, help="the book's folder (default: this one)")
    parser.add_argument("--out", type=Path, default=None, help="the LaTeX folder (default: SOURCE/_build/latex)")
    args = parser.parse_args(argv)
    build(args.source, args.out)


if __name__ == "__main__":
    main()
