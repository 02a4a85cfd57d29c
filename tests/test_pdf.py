"""The PDF edition: `make pdf`'s build, from a clean copy of the repository, is a whole book.

The copy holds what git would commit (tracked files plus new ones that are not
ignored), so nothing from `_build` or a local venv leaks in; the build runs
``_ext/pdf_build.py``, the script behind ``make pdf``, into an empty folder.
Then, on the PDF (read with poppler's pdftotext, pdfinfo and pdfimages) and
on the LaTeX source it was made from:

- a page count in a sane range for the number of chapters;
- parts and chapters in the order of _toc.yml, parts and chapters numbered,
  the appendices lettered; every part caption and chapter title in the text;
- no unresolved reference: no "??" in the text, none reported by LaTeX, and
  no character missing from the fonts;
- every picture of the HTML book's chapter pages (figures, the first frame of
  each player, each explorer's still picture) in the PDF, compared by content;
- no text beyond the margins (long code lines wrap);
- no raw HTML or widget placeholder text; every player, explorer and
  self-checking exercise printed as a figure or a box;
- exercise solutions at the end of their chapter, each exercise with the page
  of its solution.

Needs Debian's TeX Live (PDF_DEBS in the Makefile: XeLaTeX, latexmk, xindy,
fonts) and poppler-utils; `make pdf` and `.ci/run` install them. Without them these tests
are skipped locally, with one line at the end of the run, and fail under CI
(env CI set).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ("xelatex", "latexmk", "xindy", "pdftotext", "pdfinfo", "pdfimages")
BUILD_SECONDS = 600  # the build takes about a minute; a tenfold slowdown is a failure


class _SummaryLine:
    """One line at the end of the run (a pytest plugin registered by the fixture)."""

    def __init__(self, text: str, colour: str):
        self.text, self.colour = text, colour

    def pytest_terminal_summary(self, terminalreporter):
        terminalreporter.write_line(self.text, **{self.colour: True})


def _summary(config, text: str, colour: str = "cyan") -> None:
    if not config.pluginmanager.has_plugin("pdf-summary"):
        config.pluginmanager.register(_SummaryLine(text, colour), "pdf-summary")


def copy_checkout(source: Path, target: Path) -> None:
    """The files a clean checkout of ``source`` would have: git's tracked and unignored ones."""
    listing = subprocess.run(["git", "-C", str(source), "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], capture_output=True, check=True)
    for name in sorted(set(filter(None, listing.stdout.decode().split("\0")))):
        path = source / name
        if path.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / name)


@dataclasses.dataclass
class PdfBuild:
    pdf: Path
    latex_dir: Path
    seconds: float
    pages: int
    text: str            # pdftotext, in reading order
    tex: str             # the LaTeX source
    log: str             # XeLaTeX's log of the last run

    @property
    def toc(self) -> str:
        return self.pdf.with_suffix(".toc").read_text(encoding="utf8")


@pytest.fixture(scope="module")
def pdf(request, tmp_path_factory) -> PdfBuild:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        message = (f"TeX Live or poppler-utils not found ({', '.join(missing)}); `make pdf` installs "
                   "Debian's packages (as root, or prints the sudo apt-get line)")
        if os.environ.get("CI"):
            pytest.fail(message)
        message = f"PDF tests skipped: {message}. On CI a missing TeX Live fails them instead."
        _summary(request.config, message, "yellow")
        pytest.skip(message)
    book = tmp_path_factory.mktemp("pdf") / "book"
    copy_checkout(ROOT, book)
    out = book / "_build" / "latex"
    env = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    started = time.monotonic()
    proc = subprocess.run([sys.executable, str(book / "_ext" / "pdf_build.py"), "--source", str(book),
                           "--out", str(out)], cwd=book, env=env, capture_output=True, text=True,
                          timeout=3 * BUILD_SECONDS)
    seconds = time.monotonic() - started
    if proc.returncode:
        pytest.fail(f"the PDF build failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    sys.path.insert(0, str(ROOT / "_ext"))
    try:
        import pdf_build
    finally:
        sys.path.pop(0)
    path = out / pdf_build.pdf_name(book)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    steps = re.search(r"\((Sphinx [^)]*)\)", proc.stdout)  # pdf_build.py's last line
    _summary(request.config, f"PDF edition: {pages} pages, built from a clean copy in {seconds:.0f} s"
                             + (f" ({steps.group(1)})" if steps else ""))
    return PdfBuild(path, out, seconds, pages, text, path.with_suffix(".tex").read_text(encoding="utf8"),
                    path.with_suffix(".log").read_text(encoding="utf8", errors="replace"))


# -- the book's structure, from _toc.yml and the pages' first headings ------------------

TOC = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf8"))


def _source(docname: str) -> Path:
    return next(ROOT / f"{docname}{suffix}" for suffix in (".md", ".ipynb")
                if (ROOT / f"{docname}{suffix}").exists())


def markdown(docname: str) -> str:
    """A page's MyST text: the file, or a notebook's markdown cells one after the other."""
    path = _source(docname)
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf8"))["cells"]
        return "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return path.read_text(encoding="utf8")


def first_heading(docname: str) -> str:
    """The page's title: its first ``# `` heading."""
    return next(line[2:].strip() for line in markdown(docname).splitlines() if line.startswith("# "))


def directive(docname: str, name: str) -> bool:
    """Whether the page has a ``{name}`` directive (at the start of a line)."""
    return re.search(r"^(?:```+|:::+)\{" + re.escape(name) + r"[}-]", markdown(docname), re.M) is not None


PARTS = [(part["caption"], bool(part.get("numbered")), [entry["file"] for entry in part["chapters"]])
         for part in TOC["parts"]]
CHAPTERS = [doc for _, _, docs in PARTS for doc in docs]


def words(text: str) -> str:
    """Lower-case words and numbers only: markup, maths, quotes and layout do not count."""
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'")
    text = re.sub(r"\\sphinxhyphen\{\}", "-", text)
    text = re.sub(r"\\[A-Za-z]+", " ", text)  # LaTeX commands (the .toc) and TeX in titles
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def test_page_count_in_a_sane_range(pdf):
    low, high = 10 * len(CHAPTERS), 50 * len(CHAPTERS)
    assert low <= pdf.pages <= high, f"{pdf.pages} pages for {len(CHAPTERS)} chapters"


def test_build_time(pdf):
    assert pdf.seconds < BUILD_SECONDS, f"the PDF took {pdf.seconds:.0f} s to build"


def _toc_entries(toc: str) -> list[tuple[str, str, str]]:
    """(level, number, title) of the parts and chapters in the LaTeX .toc file."""
    entries = []
    for level, body in re.findall(r"\\contentsline \{(part|chapter)\}\{(.*)\}\{[^{}]*\}\{[^{}]*\}%", toc):
        part = re.match(r"([IVXLC]+)\\hspace \{1em\}(.*)", body)
        chapter = re.match(r"\\numberline \{([0-9A-Z]+)\}(.*)", body)
        number, title = (part or chapter).groups() if (part or chapter) else ("", body)
        entries.append((level, number, words(title)))
    return entries


def test_parts_and_chapters_in_the_lecture_order(pdf):
    entries = _toc_entries(pdf.toc)
    expected = []
    for caption, numbered, docs in PARTS:
        expected.append(("part", words(caption)))
        expected += [("chapter", words(first_heading(doc))) for doc in docs]
    found = iter([(level, title) for level, _, title in entries])
    missing = [item for item in expected if item not in found]  # an ordered subsequence
    assert not missing, f"not in the PDF's table of contents, in this order: {missing}\n{entries}"
    numbers = {(level, title): number for level, number, title in entries}
    chapter_numbers, letters = [], []
    for caption, numbered, docs in PARTS:
        assert numbers[("part", words(caption))], f"part {caption!r} is not numbered"
        for doc in docs:
            number = numbers[("chapter", words(first_heading(doc)))]
            if numbered:
                chapter_numbers.append(number)
            elif not directive(doc, "bibliography"):
                letters.append(number)
    assert chapter_numbers == [str(i) for i in range(1, len(chapter_numbers) + 1)]
    assert letters == [chr(ord("A") + i) for i in range(len(letters))], "appendices are lettered"


def test_every_part_and_chapter_title_is_in_the_text(pdf):
    text = words(pdf.text)
    titles = [caption for caption, _, _ in PARTS] + [first_heading(doc) for doc in CHAPTERS]
    assert not [title for title in titles if words(title) not in text]


def test_no_unresolved_reference_or_missing_glyph(pdf):
    assert "??" not in pdf.text
    assert not re.findall(r"(?:Reference|Citation) `[^']*' on page \d+ undefined", pdf.log)
    assert "There were undefined references" not in pdf.log
    assert not re.findall(r"Missing character: There is no .*", pdf.log)


# -- figures: every picture of the HTML book is in the PDF --------------------------------

def _html_images(page: Path) -> dict[str, str]:
    """sha256 -> where, for every <img> in the article of an HTML page."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page.read_text(encoding="utf8"), "html.parser")
    article = soup.find("article") or soup
    found = {}
    for img in article.find_all("img"):
        src = img.get("src", "")
        if src.startswith("data:image"):
            data = base64.b64decode(src.partition(",")[2])
        else:
            data = (page.parent / src.split("#")[0]).read_bytes()
        found[hashlib.sha256(data).hexdigest()] = img.get("alt", src)[:80]
    return found


def _latex_images(pdf: PdfBuild) -> list[Path]:
    pattern = r"\\sphinxincludegraphics(?:\[[^\]]*\])?\{\{([^{}]+)\}(\.[A-Za-z]+)\}"
    return [pdf.latex_dir / (stem + ext) for stem, ext in re.findall(pattern, pdf.tex)]


def test_every_figure_of_the_html_is_in_the_pdf(pdf, request):
    built_html = request.getfixturevalue("built_html")  # after `pdf`, which may skip
    included = _latex_images(pdf)
    in_pdf = {hashlib.sha256(path.read_bytes()).hexdigest() for path in included}
    missing = {}
    for doc in CHAPTERS:
        lost = {h: what for h, what in _html_images(built_html / f"{doc}.html").items() if h not in in_pdf}
        if lost:
            missing[doc] = sorted(lost.values())
    assert not missing, f"pictures of the HTML book not in the PDF: {missing}"
    # and the PDF draws every picture the LaTeX source includes
    listing = subprocess.run(["pdfimages", "-list", str(pdf.pdf)], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    drawn = sum(1 for row in listing if row.split()[2] == "image")
    assert drawn >= len(included) > 0


# -- layout ----------------------------------------------------------------------------------

def test_no_text_beyond_the_margins(pdf):
    """Every word inside the text block (the left margin mirrored), code lines included."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf.pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    word = re.compile(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>')
    pages = html.split("<page ")[1:]
    boxes = [(n, float(width), [(float(a), float(b), w) for a, b, w in word.findall(page)])
             for n, page in enumerate(pages, 1)
             for width in re.findall(r'^width="([\d.]+)"', page)]
    left = min(x0 for _, _, words_ in boxes for x0, _, _ in words_)
    beyond = [(n, round(x1, 1), w) for n, width, words_ in boxes for _, x1, w in words_
              if x1 > width - left + 1.0]
    assert not beyond, f"text beyond the right margin (page, x, word): {beyond[:20]}"


# -- interactive outputs and exercises ----------------------------------------------------------

PLACEHOLDERS = (
    "The Check button works when the notebook runs",   # an exercise widget's text/plain
    "of self-contained HTML>",                         # a player's text/plain
    "explorer: live in a running notebook",            # an explorer's text/plain
    "<div class", "<div>", "</div>", "<img src", "<p>", "</p>", "<script", "data:image/",
    "application/vnd.jupyter",
    "VBox(children", "IntSlider(", "FloatSlider(", "Loading widget",
)


def _static_outputs() -> dict[str, int]:
    """How many players, explorers and exercise widgets the chapters' stored outputs hold."""
    counts = {"cc-player": 0, "cc-explorer-static": 0, "cc-exercise-static": 0}
    for doc in CHAPTERS:
        path = _source(doc)
        if path.suffix != ".ipynb":
            continue
        for cell in json.loads(path.read_text(encoding="utf8"))["cells"]:
            for output in cell.get("outputs", []):
                html = "".join(output.get("data", {}).get("text/html", ""))
                for cls in counts:
                    counts[cls] += f'class="{cls}"' in html
    return counts


def test_no_raw_html_or_widget_placeholder(pdf):
    text = " ".join(pdf.text.split())
    assert not [p for p in PLACEHOLDERS if p in text]


def test_every_interactive_output_is_printed(pdf):
    counts = _static_outputs()
    text = " ".join(pdf.text.split())
    assert text.count("Interactive figure, printed as") == counts["cc-player"]
    assert text.count("Explorer, printed at one setting.") == counts["cc-explorer-static"]
    assert text.count("Self-checking exercise:") == counts["cc-exercise-static"]
    assert counts["cc-player"] and counts["cc-explorer-static"] and counts["cc-exercise-static"]


def test_solutions_at_the_end_of_each_chapter(pdf):
    chapters = re.split(r"\\chapter\{", pdf.tex)[1:]
    with_solutions = 0
    for chapter in chapters:
        solutions = [m.start() for m in re.finditer(r"\{Solution to Exercise", chapter)]
        if not solutions:
            continue
        with_solutions += 1
        heading = chapter.find(r"\section{Solutions}")
        assert heading != -1 and min(solutions) > heading, chapter[:80]
        assert not re.search(r"\\section\{", chapter[heading + 1:]), "Solutions is the last section"
        # each solution has a pointer from its exercise
        assert chapter.count("Solution on page") == len(solutions), chapter[:80]
    assert with_solutions == sum(directive(doc, "solution") for doc in CHAPTERS)
