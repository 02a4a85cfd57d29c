"""The PDF edition: what Sphinx's LaTeX builder needs to print this book as a book.

Every transform here runs for the LaTeX builder only (``builders = ("latex",)``);
the HTML book never sees them. The build itself is ``_ext/pdf_build.py``
(``make pdf``); the LaTeX settings (paper, fonts, preamble, file name) are in
``_config.yml``.

Interactive outputs (:class:`StaticInteractiveOutputs`). A chapter's explorers,
players and self-checking exercises store a live widget and a static HTML
fallback in one output; the LaTeX builder would print their ``text/plain``
line ("<pre-computed ... 376 kB of self-contained HTML>"). Before myst-nb picks
a MIME type, the HTML fallback, which coursecode writes in three known shapes,
is turned into what paper can show:

- a pre-computed player (``div.cc-player``: a slider or animation over inline
  PNG frames) becomes a figure of a few of its frames, always including the one
  the page opens with, each labelled with its slider value, and a caption that
  says it is an interactive figure printed as frames;
- an explorer's still picture (``div.cc-explorer-static``) becomes a figure
  with its caption, which says what the explorer does in a running notebook;
- a self-checking exercise (``div.cc-exercise-static``) becomes a box with the
  question, and the "Check button" line becomes a sentence that works on paper.

Any other HTML output is left to myst-nb's priorities (its ``text/plain``).

Book structure (:class:`RootPage`, :class:`BookStructure`), on the assembled book:

- exercise solutions move to a "Solutions" section at the end of their
  chapter, and each exercise names the page of its solution;
- the root page becomes an unnumbered "Preface" chapter without its
  "Contents" list (the PDF has its own table of contents);
- the bibliography page, whose entries Sphinx gathers at the end of the book,
  leaves no empty chapter behind;
- the unnumbered parts after the numbered ones (the appendices) get lettered
  chapters (LaTeX's ``\\appendix``);
- sphinx-proof labels its boxes ``None:...`` in a chapter whose title has an
  apostrophe (it compares the smart-quoted title with the plain one), which left
  two references unresolved; the chapter's section gets the smart-quoted name too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag
from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.texescape import escape as tex_escape

# Where the frames and pictures taken out of HTML outputs go, inside the LaTeX folder.
FRAMES_DIR = "interactive"
# How many frames of a player the PDF prints: a 2 x 2 grid of small frames, or a
# column of three wide ones (wider than WIDE : 1).
GRID_FRAMES, COLUMN_FRAMES, WIDE = 4, 3, 1.8

# The sentence that replaces "The Check button works when the notebook runs ...": for
# an answer (check("your number")) and for a function the student writes (check(step)).
PAPER_CHECK = {
    "answer": ("On paper: work out the answer, then check it in a running notebook (Jupyter, "
               "Binder or Colab), where this question has an answer field and a Check button, "
               "or in Python with"),
    "function": ("On paper: write the function, then check it in a running notebook (Jupyter, "
                 "Binder or Colab), where a Check button runs it on test inputs, or in Python with"),
}
EXPLORER_LIVE = ("In a running notebook (Jupyter, Binder or Colab) this figure is an explorer: "
                 "sliders and menus above it change the settings and the figure follows.")


def _tex(text: str) -> str:
    return tex_escape(" ".join(text.split()), latex_engine="xelatex")


def _data_uri_bytes(uri: str) -> tuple[bytes, str]:
    """(bytes, extension) of a base64 ``data:image/...`` URI."""
    head, _, payload = uri.partition(",")
    ext = ".jpg" if "jpeg" in head else ".png"
    return base64.b64decode(payload), ext


class _Images:
    """Writes pictures into the LaTeX folder, named by their content (as myst-nb names outputs)."""

    def __init__(self, outdir: str):
        self.folder = Path(outdir) / FRAMES_DIR
        self.folder.mkdir(parents=True, exist_ok=True)

    def include(self, data: bytes, ext: str, width: str) -> str:
        name = hashlib.sha256(data).hexdigest() + ext
        path = self.folder / name
        if not path.exists():
            path.write_bytes(data)
        stem = f"{FRAMES_DIR}/{name[:-len(ext)]}"
        return rf"\sphinxincludegraphics[width={width}]{{{{{stem}}}{ext}}}"


def _png_aspect(data: bytes) -> float:
    """Width / height of a PNG (1.0 when the header cannot be read)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        if height:
            return width / height
    return 1.0


def pick_frames(n: int, initial: int, count: int) -> list[int]:
    """``count`` frame indices spread evenly from the first frame to the last, the one
    nearest ``initial`` (the frame a page opens with) replaced by it.

    >>> pick_frames(31, 0, 4), pick_frames(10, 3, 4), pick_frames(2, 1, 4)
    ([0, 10, 20, 30], [0, 3, 6, 9], [0, 1])
    """
    if n <= count:
        return list(range(n))
    picks = sorted({round(i * (n - 1) / (count - 1)) for i in range(count)})
    if initial not in picks:
        nearest = min(picks, key=lambda p: (abs(p - initial), p))
        picks[picks.index(nearest)] = initial
    return sorted(picks)


def _figure(body: str, caption: str) -> nodes.raw:
    """A float with the pictures centred and the caption, not numbered, as a paragraph below."""
    tex = (r"\begin{figure}[htbp]" "\n" r"\centering" "\n" f"{body}\n" r"\par\medskip" "\n"
           r"\begin{minipage}{\linewidth}\small " f"{caption}" "\n" r"\end{minipage}" "\n"
           r"\end{figure}")
    return nodes.raw("", tex, format="latex")


def player_figure(div: Tag, images: _Images) -> nodes.raw | None:
    """A few frames of a pre-computed player, with their slider values, as one figure."""
    script = div.find("script")
    text = script.string if script else ""
    start = text.find("var d = ") if text else -1
    if start < 0:
        return None
    data, _ = json.JSONDecoder().raw_decode(text, start + len("var d = "))
    frames, labels = data["frames"], data["texts"]
    slider = div.find("input", attrs={"type": "range"})
    initial = int(slider["value"]) if slider and slider.has_attr("value") else 0
    label = slider.get("aria-label", "the setting") if slider else "the setting"
    ext = ".jpg" if "jpeg" in data.get("prefix", "") else ".png"
    first = base64.b64decode(frames[initial])
    wide = _png_aspect(first) > WIDE
    picks = pick_frames(len(frames), initial, COLUMN_FRAMES if wide else GRID_FRAMES)
    width = r"0.82\linewidth" if wide else r"0.48\linewidth"
    letters = "abcdefgh"[:len(picks)]
    cells = []
    for letter, index in zip(letters, picks):
        include = images.include(base64.b64decode(frames[index]), ext, r"\linewidth")
        cells.append(rf"\begin{{minipage}}[t]{{{width}}}\centering" "\n" f"{include}\\par\n"
                     rf"{{\small ({letter}) {_tex(labels[index])}}}" "\n" r"\end{minipage}")
    if wide:
        body = "\n\\par\\medskip\n".join(cells)
    else:
        rows = [cells[i:i + 2] for i in range(0, len(cells), 2)]
        body = "\n\\par\\medskip\n".join("\\hfill\n".join(row) for row in rows)
    play = ", and a play button runs through them in order" if div.find("button") else ""
    caption = (rf"\textbf{{Interactive figure, printed as {len(picks)} of its {len(frames)} frames.}} "
               + _tex(f"In the HTML book and in a notebook, a slider over {label} shows all "
                      f"{len(frames)} pre-computed frames, one at a time{play}; "
                      f"({letters[picks.index(initial)]}) is the frame the page opens with."))
    return _figure(body, caption)


def explorer_figure(div: Tag, images: _Images) -> nodes.raw | None:
    """An explorer's still picture, captioned with its settings and what it does live."""
    img = div.find("img")
    if img is None or not img.get("src", "").startswith("data:image"):
        return None
    data, ext = _data_uri_bytes(img["src"])
    aspect = _png_aspect(data)
    width = r"0.9\linewidth" if aspect > WIDE else r"0.7\linewidth"
    em = div.find("em")
    what = em.get_text(" ") if em else img.get("alt", "")
    caption = r"\textbf{Explorer, printed at one setting.} " + _tex(f"{what} {EXPLORER_LIVE}")
    return _figure(images.include(data, ext, width), caption)


def _inline(tag: Tag) -> list[nodes.Node]:
    """Docutils inline nodes for the inline HTML of the exercise fallback."""
    out: list[nodes.Node] = []
    for child in tag.children:
        if isinstance(child, NavigableString):
            out.append(nodes.Text(str(child)))
        elif child.name in ("b", "strong"):
            out.append(nodes.strong("", "", *_inline(child)))
        elif child.name in ("em", "i"):
            out.append(nodes.emphasis("", "", *_inline(child)))
        elif child.name == "code":
            out.append(nodes.literal(child.get_text(), child.get_text()))
        elif child.name == "br":
            out.append(nodes.Text(" "))
        else:
            out.extend(_inline(child))
    return out


def exercise_box(div: Tag, _images: _Images) -> nodes.admonition | None:
    """The question of a self-checking exercise, with a way to check it that works on paper."""
    blocks = [child for child in div.children if isinstance(child, Tag)]
    if not blocks:
        return None
    box = nodes.admonition(classes=["pdf-self-check"])
    box += nodes.title("", "Self-checking exercise: ", *_inline(blocks[0]))
    for block in blocks[1:]:
        checker = next((code for code in block.find_all("code") if ".check(" in code.get_text()), None)
        if checker is not None:  # "The Check button works when the notebook runs ..."
            call = checker.get_text()
            argument = call[call.rindex(".check(") + len(".check("):]
            sentence = PAPER_CHECK["answer" if argument[:1] in "\"'" else "function"]
            box += nodes.paragraph("", "", nodes.emphasis("", sentence + " "),
                                   nodes.literal(call, call), nodes.emphasis("", "."))
        elif block.name in ("ul", "ol"):
            for item in block.find_all("li"):
                box += nodes.paragraph("", "", *_inline(item))
        else:
            box += nodes.paragraph("", "", *_inline(block))
    return box


# The static HTML that coursecode writes for each kind of interactive output: the
# class of its outer <div>, and what the PDF prints instead.
STATIC_SHAPES = {"cc-player": player_figure, "cc-explorer-static": explorer_figure,
                 "cc-exercise-static": exercise_box}


class StaticInteractiveOutputs(SphinxPostTransform):
    """Explorers, players and self-checking exercises, as paper can show them (see the module doc)."""

    builders = ("latex",)
    default_priority = 3  # before myst-nb's SelectMimeType (4) drops the HTML

    def run(self, **kwargs) -> None:
        images = _Images(self.app.builder.outdir)
        for bundle in list(self.document.findall(nodes.container)):
            if bundle.get("nb_element") != "mime_bundle":
                continue
            html = next((child for child in bundle.children if child.get("mime_type") == "text/html"), None)
            div = BeautifulSoup(html.astext(), "html.parser").find("div") if html is not None else None
            make = next((STATIC_SHAPES[c] for c in (div.get("class", []) if div else []) if c in STATIC_SHAPES),
                        None)
            new = make(div, images) if make else None
            if new is not None:
                bundle.replace_self(new)


def _sections_of(start: addnodes.start_of_file) -> nodes.section | None:
    return next((child for child in start.children if isinstance(child, nodes.section)), None)


def _raw(tex: str) -> nodes.raw:
    return nodes.raw("", tex, format="latex")


class RootPage(SphinxPostTransform):
    """The root page as an unnumbered Preface, without its "Contents" list.

    Runs before sphinx-jupyterbook-latex (700) flattens the root page's sections.
    """

    builders = ("latex",)
    default_priority = 690

    def run(self, **kwargs) -> None:
        root = self.config.root_doc
        top = next((s for s in self.document.findall(nodes.section) if s.get("docname") == root), None)
        if top is None:
            return
        title = "Preface"
        position = 1 if top.children and isinstance(top[0], nodes.title) else 0
        top.insert(position, _raw(rf"\chapter*{{{title}}}\addcontentsline{{toc}}{{chapter}}{{{title}}}"
                                  rf"\markboth{{{title}}}{{{title}}}"))
        # "## Contents" over the {tableofcontents} list: the title goes; the toctrees,
        # which hold the whole book, stay for sphinx-jupyterbook-latex to turn into parts.
        for section in list(top.findall(nodes.section)):
            if section is top or section.get("docname") != root or not isinstance(section[0], nodes.title):
                continue
            body = section.children[1:]
            if body and all(isinstance(child, nodes.compound) and "toctree-wrapper" in child["classes"]
                            or "latex-tableofcontents" in child.get("classes", []) for child in body):
                section.remove(section[0])


class BookStructure(SphinxPostTransform):
    """Solutions at the end of each chapter, appendices lettered, the bibliography's
    empty page gone, sphinx-proof's labels fixed (see the module doc)."""

    builders = ("latex",)
    # after sphinx-jupyterbook-latex arranged the parts (700) and Sphinx moved the
    # citations to the end of the book (750)
    default_priority = 760

    def run(self, **kwargs) -> None:
        starts = list(self.document.findall(addnodes.start_of_file))
        for start in starts:
            section = _sections_of(start)
            if section is None or start["docname"] not in self.env.titles:
                continue
            self.name_with_smart_quotes(start["docname"], section)
            self.collect_solutions(start, section)
        self.drop_bibliography_page(starts)
        self.letter_appendices()

    def name_with_smart_quotes(self, docname: str, section: nodes.section) -> None:
        """sphinx-proof finds a box's chapter by the lower-cased title among the names of
        its section, but compares the smart-quoted title ("adam’s properties") with the
        name as typed ("adam's properties"); without a match it labels the box "None:..."."""
        title = self.env.titles[docname].astext().lower()
        if title not in section["names"]:
            section["names"].append(title)

    def collect_solutions(self, start: addnodes.start_of_file, section: nodes.section) -> None:
        from sphinx_exercise.nodes import exercise_enumerable_node, exercise_node, solution_node

        def own(node):  # not inside a document included further down
            parent = node.parent
            while parent is not None and parent is not start:
                if isinstance(parent, addnodes.start_of_file):
                    return False
                parent = parent.parent
            return True

        solutions = [n for n in section.findall(solution_node) if own(n)]
        if not solutions:
            return
        exercises = {n.get("label"): n for n in section.findall(
            lambda n: isinstance(n, (exercise_node, exercise_enumerable_node)))}
        docname = start["docname"]
        collected = nodes.section(ids=["pdf-solutions"], names=["solutions"])
        collected += nodes.title("", "Solutions")
        for solution in solutions:
            solution.parent.remove(solution)
            target = solution.get("target_label", "")
            key = f"pdfsolution:{_label(docname)}:{_label(target)}"
            collected += _raw(rf"\phantomsection\label{{{key}}}")
            collected += solution
            exercise = exercises.get(target)
            if exercise is not None:
                exercise += _raw(r"\par\sphinxAtStartPar{\small\itshape "
                                 rf"\hyperref[{key}]{{Solution on page~\pageref*{{{key}}}.}}}}")
        section += collected

    def drop_bibliography_page(self, starts) -> None:
        from sphinx_jupyterbook_latex.nodes import HiddenCellNode

        domain = self.env.get_domain("cite")
        pages = {key.docname for key in getattr(domain, "bibliographies", {})}
        # what is left of the page: its title, its introduction, the emptied list
        def leftover(node):
            return (isinstance(node, (nodes.title, nodes.paragraph, nodes.target, nodes.comment,
                                      HiddenCellNode))
                    or isinstance(node, nodes.container) and not node.astext().strip())

        for start in starts:
            section = _sections_of(start)
            if start["docname"] in pages and section is not None and all(map(leftover, section.children)):
                start.parent.remove(start)

    def letter_appendices(self) -> None:
        sitemap = getattr(self.config, "external_site_map", None)
        if sitemap is None or not getattr(self.env, "jblatex_captions_to_parts", False):
            return
        parts = sitemap.root.subtrees
        numbered = [bool(part.numbered) for part in parts]
        first = next((i for i, n in enumerate(numbered) if not n and any(numbered[:i])), None)
        if first is None or not parts[first].caption:
            return
        caption = parts[first].caption
        for start in self.document.findall(addnodes.start_of_file):
            if start["docname"] == caption and isinstance(start.parent, nodes.compound):
                wrapper = start.parent
                wrapper.parent.insert(wrapper.parent.index(wrapper), _raw(r"\appendix"))
                return


def _label(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]+", "-", text)


def setup(app: Sphinx) -> dict:
    app.add_post_transform(StaticInteractiveOutputs)
    app.add_post_transform(RootPage)
    app.add_post_transform(BookStructure)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
