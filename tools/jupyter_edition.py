#!/usr/bin/env python3
"""The Jupyter editions of the book: chapter notebooks a plain Jupyter front end reads as the HTML book.

    python tools/jupyter_edition.py --edition reader  --out DIR [NOTEBOOK ...]
    python tools/jupyter_edition.py --edition student --out DIR [NOTEBOOK ...]

writes ``DIR/<name>.ipynb`` for every chapter notebook (default: ``chapters/*.ipynb``).
JupyterLab, Notebook 7 and Colab know no MyST, so every MyST construct of a Markdown
cell is resolved the way the HTML book shows it:

* ``{glue:text}`name:fmt``` / ``{glue}`` / ``{glue:md}`` -> the value stored by the executed
  notebook (its glue outputs), formatted by myst-nb's own ``format_plain_text``;
* ``{eq}`` -> "(2.3)", and each labelled display equation carries ``\\tag{2.3}``;
  ``{numref}`` -> "Fig. 2.2"; ``{prf:ref}`` -> "Theorem 2.1"; ``{ref}`` to an exercise ->
  "Exercise 2.2", to a section -> its title and number; ``{doc}`` -> the link text or title;
* ``{cite}`` / ``{cite:p}`` -> "[Kingma and Ba, 2015]", ``{cite:t}`` -> "Kingma and Ba [2015]",
  with a "References" cell at the end listing the cited works;
* ``{exercise}``, ``{prf:...}``, ``{admonition}``, ``{warning}``... -> Markdown with title and number;
  solutions -> a closed ``<details>`` block (reader) or nothing (student).

The numbers come from the Sphinx environment of the built book (the pickle ``make book``
leaves in ``_build/.doctrees``; when it is missing or older than a source, an environment
is built without executing notebooks into ``_build/jupyter/.sphinx``, about a minute).

Reader edition: outputs kept (figures show before running), the glue records and the
live-widget views dropped from them (the static fallback shows, as in the HTML), figure
captions as Markdown cells, hidden inputs folded. Student edition: solutions removed
(tagged cells, ``{solution}`` blocks, gated ``{solution-start}``...``{solution-end}``),
no cell left that defines a function a "write it yourself" exercise checks (except the
exercise's own skeleton, marked "your code"), outputs cleared.

A check over every Markdown cell fails the conversion when any MyST markup is left.
"""
from __future__ import annotations

import argparse
import copy
import json
import pickle
import re
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import make_student  # noqa: E402  (the solution markers: one definition for both tools)

EDITIONS = ("reader", "student")
# What must never be left in a Markdown cell of an edition.
RAW_MYST = re.compile(r"\{glue|\{eq\}|\{numref\}|\{cite|\{ref\}|\{doc\}|\{prf:|\{math\}|\{term\}|\{download\}"
                      r"|^\s*(`{3,}|:{3,})\s*\{|^\(\S+\)=\s*$|\$\$\s*\([\w-]+\)", re.M)

# The first code cell of every chapter: installs coursecode on Colab, and fails loudly when it cannot.
REPO_URL = "https://github.com/adam-course/adaptive-optimizers"
INSTALL_CELL = f'''\
# On Colab: install coursecode from the repository when it is missing (hidden in the book)
try:
    import coursecode
except ImportError:
    import importlib
    import subprocess
    import sys

    REPO = "{REPO_URL}"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", f"git+{{REPO}}"])
    importlib.invalidate_caches()
    try:
        import coursecode
    except ImportError:
        raise ModuleNotFoundError(
            f"coursecode could not be installed from {{REPO}} (pip exit status {{pip.returncode}}): "
            "check the network connection (on Colab: Runtime > Restart session, then Run all again), "
            f"or install it yourself with  pip install git+{{REPO}}  and restart the kernel"
        ) from None'''

BANNER = {
    "reader": ("**Reader edition** of a chapter of *Adam and its variants*, generated from the book's "
               "source: numbers, equations and references read as in the HTML book, and each solution "
               "is folded under its exercise (click the line with the triangle to open it). Run the notebook "
               "(Run All) to make the explorers and exercise checks live."),
    "student": ("**Student edition** of a chapter of *Adam and its variants*: solutions are removed and "
                "outputs cleared. Run All, then answer the exercises: a *Check* button checks an answer, "
                "and a \"write it yourself\" check runs the function you write in the cell marked "
                "*your code*. In code, `coursecode.exercises.registry()[\"exercise-id\"].check(answer)` "
                "does the same."),
}


class ConversionError(ValueError):
    """A construct the converter cannot resolve (an unknown label, a glue name with no value...)."""


# --------------------------------------------------------------------------- the Sphinx environment
_CONFIG = ("_toc.yml", "_config.yml", "references.bib")
_BUILD_SCRIPT = """
import sys
from pathlib import Path
from jupyter_book.sphinx import build_sphinx

root, out = Path(sys.argv[1]), Path(sys.argv[2])
status = build_sphinx(
    root, out / "dummy", use_external_toc=True, noconfig=True, path_config=str(root / "_config.yml"),
    confoverrides={"external_toc_path": (root / "_toc.yml").as_posix(), "latex_individualpages": False,
                   "nb_execution_mode": "off"},
    builder="dummy", warningiserror=False, keep_going=True, freshenv=True, quiet=True)
sys.exit(status if isinstance(status, int) else 1)
"""


def _newest_source(root, sources):
    paths = [root / name for name in _CONFIG] + [Path(p) for p in sources]
    return max(p.stat().st_mtime for p in paths if p.exists())


def build_environment(root, out):
    """Build the book's Sphinx environment without executing notebooks (builder "dummy",
    in a process of its own; about half a minute). Returns the path of the pickle."""
    import subprocess

    out.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([sys.executable, "-c", _BUILD_SCRIPT, str(root), str(out)], cwd=root,
                          capture_output=True, text=True)
    pickle_path = out / ".doctrees" / "environment.pickle"
    if proc.returncode or not pickle_path.exists():
        raise ConversionError(f"the Sphinx environment could not be built:\n{proc.stderr[-3000:]}")
    return pickle_path


def find_environment(root, sources=(), rebuild=False):
    """The pickled environment: _build's (make book) or ours, if newer than the chapters to
    convert and the book's configuration; else a fresh one in _build/jupyter/.sphinx."""
    newest = _newest_source(root, sources or default_sources(root))
    candidates = [root / "_build" / ".doctrees" / "environment.pickle",
                  root / "_build" / "jupyter" / ".sphinx" / ".doctrees" / "environment.pickle"]
    if not rebuild:
        for path in candidates:
            if path.exists() and path.stat().st_mtime >= newest:
                return path
    print("jupyter_edition: building the Sphinx environment (no execution)...", file=sys.stderr)
    return build_environment(root, root / "_build" / "jupyter" / ".sphinx")


class Book:
    """What the HTML shows for labels, numbers and citations, read from the Sphinx environment."""

    def __init__(self, env_path):
        with open(env_path, "rb") as fh:
            env = pickle.load(fh)
        self.fignumbers = env.toc_fignumbers
        self.secnumbers = env.toc_secnumbers
        self.titles = {doc: node.astext() for doc, node in env.titles.items()}
        self.labels = env.domaindata["std"]["labels"]          # label -> (docname, anchor, title)
        self.anonlabels = env.domaindata["std"]["anonlabels"]  # label -> (docname, anchor)
        self.math = env.domaindata["math"]["objects"]          # label -> (docname, number)
        self.proofs = env.proof_list                           # label -> {"realtype", "docname", ...}
        self.exercises = {k: v["docname"] for k, v in env.sphinx_exercise_registry.items()
                          if v.get("type") == "exercise"}
        self.numfig_format = dict(env.config.numfig_format)
        self.citations = {}
        for cit in env.domaindata["cite"]["citations"]:
            self.citations.setdefault(cit.key, cit)

    # numbers -------------------------------------------------------------------------------
    def number(self, docname, kind, anchor):
        try:
            return ".".join(map(str, self.fignumbers[docname][kind][anchor]))
        except KeyError:
            return None

    def equation(self, label):
        if label not in self.math:
            raise ConversionError(f"unknown equation label {label!r}")
        docname = self.math[label][0]
        num = self.number(docname, "displaymath", f"equation-{label}")
        return num if num is not None else str(self.math[label][1])

    def numbered(self, label):
        """(kind, number) of a numbered object (figure, exercise, theorem...) with this label."""
        if label in self.anonlabels:
            docname, anchor = self.anonlabels[label]
        elif label in self.proofs:
            docname, anchor = self.proofs[label]["docname"], label
        else:
            raise ConversionError(f"unknown label {label!r}")
        for kind, table in self.fignumbers.get(docname, {}).items():
            if anchor in table:
                return kind, ".".join(map(str, table[anchor]))
        return None, None

    def section(self, label):
        """The title and the number ("2.10", or "" when unnumbered) of a section label."""
        docname, anchor, title = self.labels[label]
        nums = self.secnumbers.get(docname, {})
        num = nums.get("#" + anchor) or (nums.get("") if anchor == "" else None)
        return title, ".".join(map(str, num)) if num else ""

    def doc(self, target, current):
        docname = (Path(current).parent / target).as_posix() if not target.startswith("/") else target[1:]
        if docname not in self.titles:
            raise ConversionError(f"unknown document {target!r}")
        return docname

    # citations -----------------------------------------------------------------------------
    def cite_label(self, key):
        """("Kingma and Ba", "2015") as sphinxcontrib-bibtex's author_year style shows them."""
        from pybtex.richtext import Text

        if key not in self.citations:
            raise ConversionError(f"unknown citation key {key!r}")
        entry = self.citations[key].entry
        persons = entry.persons.get("author") or entry.persons.get("editor") or []

        def last(person):
            return " ".join(Text.from_latex(part).render_as("text") for part in
                            person.prelast_names + person.last_names)
        if not persons:
            who = key
        elif len(persons) == 1:
            who = last(persons[0])
        elif len(persons) == 2:
            who = f"{last(persons[0])} and {last(persons[1])}"
        else:
            who = f"{last(persons[0])} *et al.*"
        return who, entry.fields.get("year", "n.d.")

    def reference(self, key):
        """The bibliography entry as Markdown (the HTML's plain style)."""
        text = self.citations[key].formatted_entry.text.render_as("markdown")
        return re.sub(r"\s+", " ", text).strip()


# --------------------------------------------------------------------------- glue values
def glue_values(nb):
    """name -> (mime type, value) of every glue output stored in the executed notebook."""
    values = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("scrapbook")
            if not meta:
                continue
            prefix = meta.get("mime_prefix", "application/papermill.record/")
            data = {k[len(prefix):]: v for k, v in out.get("data", {}).items() if k.startswith(prefix)}
            values[meta["name"]] = data
    return values


def format_glue(values, name, fmt, kind):
    from myst_nb.core.variables import format_plain_text

    if name not in values:
        raise ConversionError(f"no glue value named {name!r} in the executed notebook")
    data = values[name]
    if kind == "md":
        if "text/markdown" not in data:
            raise ConversionError(f"glue {name!r} has no Markdown value")
        return data["text/markdown"].strip()
    if "text/plain" not in data:
        raise ConversionError(f"glue {name!r} has no plain-text value")
    return format_plain_text(data["text/plain"], fmt)


# --------------------------------------------------------------------------- Markdown conversion
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|:{3,})\s*\{(?P<name>[A-Za-z0-9_:-]+)\}[ \t]*(?P<arg>.*)$")
_ROLE = re.compile(r"\{(?P<role>[a-z]+(?::[a-z]+)?)\}`(?P<content>[^`]*)`")
_TARGET = re.compile(r"^\((?P<label>[^)\s]+)\)=\s*$")
_DISPLAY = re.compile(r"\$\$(?P<body>.+?)\$\$(?P<label>[ \t]*\([\w:-]+\))?", re.S)
_EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
_ADMONITION_TITLES = {"note": "Note", "warning": "Warning", "important": "Important", "tip": "Tip",
                      "hint": "Hint", "caution": "Caution", "attention": "Attention", "danger": "Danger",
                      "error": "Error", "seealso": "See also"}


class Converter:
    """Converts the Markdown cells of one chapter notebook for one edition."""

    def __init__(self, book, docname, edition, glue):
        if edition not in EDITIONS:
            raise ValueError(f"edition must be one of {EDITIONS}, not {edition!r}")
        self.book, self.docname, self.edition, self.glue = book, docname, edition, glue
        self.cited = []                     # citation keys in order of first citation
        self.exercise_titles = {}           # label -> "Exercise 2.1 (title)"

    # -- roles ---------------------------------------------------------------------------
    def role(self, match):
        role, content = match.group("role"), match.group("content")
        explicit = _EXPLICIT.match(content)
        text, target = (explicit.group("text"), explicit.group("target")) if explicit else (None, content)
        if role in ("glue", "glue:text", "glue:any", "glue:md"):
            name, _, fmt = content.partition(":")
            if role == "glue:md":
                fmt = ""
            return format_glue(self.glue, name.strip(), fmt, "md" if role == "glue:md" else "text")
        if role == "eq":
            return f"({self.book.equation(target)})"
        if role == "numref":
            kind, num = self.book.numbered(target)
            if num is None:
                raise ConversionError(f"{{numref}} to {target!r}, which has no number")
            if text:
                return text.replace("%s", num).replace("{number}", num)
            return self.book.numfig_format.get(kind, "%s").replace("%s", num) if kind in self.book.numfig_format \
                else f"{kind.capitalize()} {num}"
        if role == "prf:ref":
            if target not in self.book.proofs:
                raise ConversionError(f"unknown proof label {target!r}")
            info = self.book.proofs[target]
            _, num = self.book.numbered(target)
            return text or f"{info['realtype'].capitalize()} {num}"
        if role == "ref":
            if text:
                return text
            if target in self.book.exercises:
                return f"Exercise {self.book.numbered(target)[1]}"
            if target in self.book.proofs:
                return f"{self.book.proofs[target]['realtype'].capitalize()} {self.book.numbered(target)[1]}"
            if target not in self.book.labels:
                raise ConversionError(f"unknown label {target!r}")
            title, num = self.book.section(target)
            return f"Section {num} (*{title}*)" if num else f"*{title}*"
        if role == "doc":
            docname = self.book.doc(target, self.docname)
            if text:
                return text
            num = self.book.secnumbers.get(docname, {}).get("")
            title = self.book.titles[docname]
            return f"Chapter {'.'.join(map(str, num))} (*{title}*)" if num else f"*{title}*"
        if role.startswith("cite"):
            keys = [k.strip() for k in content.split(",") if k.strip()]
            for k in keys:
                if k not in self.cited:
                    self.cited.append(k)
            labels = [self.book.cite_label(k) for k in keys]
            if role in ("cite:t", "cite:ts", "cite:ct"):
                return ", ".join(f"{who} [{year}]" for who, year in labels)
            return "[" + ", ".join(f"{who}, {year}" for who, year in labels) + "]"
        if role == "math":
            return f"${content}$"
        raise ConversionError(f"unknown role {{{role}}}")

    def inline(self, text):
        return _ROLE.sub(self.role, text)

    # -- display math ----------------------------------------------------------------------
    def display_math(self, match):
        body, label = match.group("body"), match.group("label")
        if not label:
            return match.group(0)
        label = label.strip()[1:-1]
        num = self.book.equation(label)
        return f'<a id="equation-{label}"></a>\n\n$$\n{body.strip()}\n\\tag{{{num}}}\n$$'

    # -- directives ------------------------------------------------------------------------
    def directive(self, name, arg, options, body):
        """Markdown for one directive (body already converted); None drops it."""
        label = options.get("label")
        if name == "exercise":
            num = self.book.numbered(label)[1] if label else None
            if num is None:
                raise ConversionError(f"exercise {arg!r} without a numbered label")
            title = f"Exercise {num}" + (f" ({arg})" if arg else "")
            self.exercise_titles[label] = title
            head = f"**Exercise {num}**" + (f" ({arg})" if arg else "")
            return f'<a id="{label}"></a>\n\n{head}\n\n{body}'.rstrip()
        if name == "solution":
            if self.edition == "student":
                return None
            return self.details(self.solution_summary(arg), body)
        if name.startswith("prf:"):
            kind = name[4:]
            if kind == "proof":
                return f"*Proof.* {body.lstrip()} $\\blacksquare$".rstrip()
            num = self.book.numbered(label)[1] if label else None
            head = f"**{kind.capitalize()}{' ' + num if num else ''}**" + (f" ({arg})" if arg else "")
            anchor = f'<a id="{label}"></a>\n\n' if label else ""
            return f"{anchor}{head}\n\n{body}".rstrip()
        if name == "admonition":
            return f"**{arg}**\n\n{body}".rstrip()
        if name in _ADMONITION_TITLES:
            title = _ADMONITION_TITLES[name] + (f": {arg}" if arg else "")
            return f"**{title}**\n\n{body}".rstrip()
        if name == "math":
            num = f"\n\\tag{{{self.book.equation(label)}}}" if label else ""
            return f"$$\n{body.strip()}{num}\n$$"
        raise ConversionError(f"unknown directive {{{name}}}")

    def solution_summary(self, label):
        label = label.strip()
        if label not in self.exercise_titles:
            if label not in self.book.exercises:
                raise ConversionError(f"solution to an unknown exercise {label!r}")
            self.exercise_titles[label] = f"Exercise {self.book.numbered(label)[1]}"
        return f"Solution to {self.exercise_titles[label]}"

    @staticmethod
    def details(summary, body):
        return f"<details>\n<summary>{summary}</summary>\n\n{body.strip()}\n\n</details>"

    def blocks(self, lines):
        """Convert a list of lines: directives (recursively), targets; returns text."""
        out, i = [], 0
        while i < len(lines):
            line = lines[i]
            m = _FENCE.match(line)
            if m and m.group("name") not in ("solution-start", "solution-end"):
                end = make_student._fence_end(lines, i, m.group("fence"))
                inner = lines[i + 1:end]
                options = {}
                while inner and re.match(r"^:[\w-]+:", inner[0]):
                    key, _, value = inner[0][1:].partition(":")
                    options[key.strip()] = value.strip()
                    inner = inner[1:]
                body = self.blocks(inner).strip("\n")
                text = self.directive(m.group("name"), m.group("arg").strip(), options, body)
                if text is not None:
                    out.append(text + "\n")
                i = end + 1
                continue
            if m:
                raise ConversionError("{solution-start}/{solution-end} inside another block")
            t = _TARGET.match(line)
            if t:
                out.append(f'<a id="{t.group("label")}"></a>\n')
                i += 1
                continue
            out.append(line)
            i += 1
        return "".join(l if l.endswith("\n") else l + "\n" for l in out)

    def markdown(self, text):
        text = _DISPLAY.sub(self.display_math, text)
        text = self.blocks(text.splitlines())
        text = self.inline(text)
        text = re.sub(r"\n{3,}", "\n\n", text).strip("\n")
        return text


def check_no_myst(text, where=""):
    """Raise ConversionError when MyST markup is left in Markdown ``text``."""
    m = RAW_MYST.search(text)
    if m:
        line = text[:m.start()].count("\n") + 1
        raise ConversionError(f"{where}raw MyST left at line {line}: {text.splitlines()[line - 1][:80]!r}")


# --------------------------------------------------------------------------- the notebook
def update_functions():
    """exercise id -> name of the function a "write it yourself" exercise checks."""
    from coursecode.exercises import registry
    from coursecode.exercises.update import UpdateExercise

    return {k: v.function_name for k, v in registry().items() if isinstance(v, UpdateExercise)}


def _defines(source, name):
    return re.search(rf"^\s*def {re.escape(name)}\s*\(|^{re.escape(name)}\s*=\s*lambda\b", source, re.M)


def _is_skeleton(source):
    return re.search(r"your code", source, re.I) is not None


def _cell_id(base, suffix):
    return f"{base}-{suffix}"[:64]


def _figure_caption(conv, cell):
    fig = (cell.metadata.get("mystnb") or {}).get("figure") or {}
    caption, name = fig.get("caption"), fig.get("name")
    if not caption:
        return None
    kind, num = conv.book.numbered(name) if name else (None, None)
    head = conv.book.numfig_format.get("figure", "Fig. %s").replace("%s", num) if num else "Figure"
    anchor = f'<a id="{name}"></a>' if name else ""
    return f"{anchor}**{head}.** {conv.markdown(caption)}"


def _clean_outputs(outputs):
    """The stored outputs a reader sees before running: no glue records, no widget views."""
    kept = []
    for out in outputs:
        if out.get("metadata", {}).get("scrapbook"):
            continue
        out = copy.deepcopy(out)
        data = out.get("data")
        if data is not None:
            data.pop("application/vnd.jupyter.widget-view+json", None)
            if not data:
                continue
        kept.append(out)
    return kept


def convert_notebook(nb, book, docname, edition, checked=None, keep_outputs=False, banner=True):
    """The ``edition`` of notebook ``nb`` (nbformat node; not changed). ``checked`` maps the
    update exercises' ids to their function names (default: from coursecode's registry).
    ``keep_outputs`` keeps the outputs of the student edition's cells; ``banner=False``
    leaves out the cell that names the edition."""
    nb = copy.deepcopy(nb)
    checked = update_functions() if checked is None else checked
    conv = Converter(book, docname, edition, glue_values(nb))
    cells, gate = [], None
    used = {ex for ex in checked for c in nb.cells if c.cell_type == "code" and f'"{ex}"' in c.source}
    names = {checked[ex] for ex in used}

    for cell in nb.cells:
        tags = list(cell.metadata.get("tags") or [])
        if cell.cell_type == "markdown":
            lines = cell.source.splitlines()
            # the gated form of a solution: {solution-start} ... {solution-end}, across cells
            pieces, current, i = [], [], 0
            while i < len(lines):
                m = _FENCE.match(lines[i])
                if m and m.group("name") in ("solution-start", "solution-end"):
                    pieces.append((gate, current))
                    current = []
                    if m.group("name") == "solution-start":
                        if gate is not None:
                            raise ConversionError("nested {solution-start}")
                        gate = m.group("arg").strip()
                    elif gate is None:
                        raise ConversionError("a {solution-end} without a {solution-start}")
                    else:
                        gate = None
                    i = make_student._fence_end(lines, i, m.group("fence")) + 1
                    continue
                current.append(lines[i])
                i += 1
            pieces.append((gate, current))
            texts = []
            for g, part in pieces:
                body = "\n".join(part).strip("\n")
                if not body.strip():
                    continue
                if g is not None or "solution" in tags:
                    if edition == "student":
                        continue
                    label = g or ""
                    body = conv.markdown(body)
                    body = conv.details(conv.solution_summary(label) if label else "Solution", body)
                    texts.append(body)
                else:
                    texts.append(conv.markdown(body))
            text = "\n\n".join(t for t in texts if t.strip())
            if not text.strip():
                continue
            new = nbformat.v4.new_markdown_cell(text)
            new.id = cell.id
            if tags:
                new.metadata["tags"] = [t for t in tags if t != "solution"] or None
                if new.metadata["tags"] is None:
                    del new.metadata["tags"]
            check_no_myst(text, f"{docname}, cell {cell.id}: ")
            cells.append(new)
            continue

        if cell.cell_type != "code":
            cells.append(cell)
            continue
        # a code cell
        in_solution = gate is not None or "solution" in tags
        if in_solution and edition == "student":
            continue
        if edition == "student":
            for name in names:
                if _defines(cell.source, name) and not _is_skeleton(cell.source):
                    raise ConversionError(f"{docname}, cell {cell.id}: defines {name}(), which an exercise "
                                          "checks, and is not a solution cell nor a skeleton")
        new = copy.deepcopy(cell)
        if in_solution or "hide-input" in tags or "remove-input" in tags:
            new.metadata.setdefault("jupyter", {})["source_hidden"] = True
        new.metadata.pop("execution", None)
        if edition == "student" and not keep_outputs:
            new.outputs, new.execution_count = [], None
        else:
            new.outputs = _clean_outputs(cell.outputs)
        cells.append(new)
        caption = _figure_caption(conv, cell)
        if caption:
            check_no_myst(caption, f"{docname}, caption of cell {cell.id}: ")
            cap = nbformat.v4.new_markdown_cell(caption)
            cap.id = _cell_id(cell.id, "caption")
            cells.append(cap)
    if gate is not None:
        raise ConversionError("a {solution-start} is never closed by a {solution-end}")

    if conv.cited:
        refs = "\n".join(f"- <a id=\"cite-{k}\"></a>{book.reference(k)}" for k in conv.cited)
        ref_cell = nbformat.v4.new_markdown_cell(f"## References\n\n{refs}")
        ref_cell.id = "references"
        cells.append(ref_cell)
    if banner:
        note = nbformat.v4.new_markdown_cell(BANNER[edition])
        note.id = f"{edition}-edition"
        note.metadata["tags"] = [f"{edition}-banner"]
        cells.insert(1 if cells and cells[0].cell_type == "markdown" else 0, note)

    meta = {k: v for k, v in nb.metadata.items() if k in ("kernelspec", "language_info")}
    out = nbformat.v4.new_notebook(cells=cells, metadata=meta)
    out.nbformat, out.nbformat_minor = 4, max(5, nb.get("nbformat_minor", 5))
    return out


# --------------------------------------------------------------------------- checks over files
def problems(nb, edition, keep_outputs=False):
    """What is wrong with an edition notebook, as a list of messages (empty when good)."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            m = RAW_MYST.search(cell.source)
            if m:
                found.append(f"cell {i}: raw MyST {m.group(0)!r}")
        tags = cell.metadata.get("tags") or []
        if edition == "student":
            if "solution" in tags:
                found.append(f"cell {i}: a solution-tagged cell")
            if "Solution to" in cell.source or "<details>" in cell.source:
                found.append(f"cell {i}: a solution")
            if cell.cell_type == "code" and not keep_outputs and (cell.outputs or cell.execution_count):
                found.append(f"cell {i}: outputs in the student edition")
        elif cell.cell_type == "markdown" and "<details" in cell.source:
            if "<details open" in cell.source:
                found.append(f"cell {i}: an open <details>")
    return found


# --------------------------------------------------------------------------- command line
def default_sources(root=ROOT):
    return sorted((root / "chapters").glob("*.ipynb"))


def convert_files(sources, out, edition, root=ROOT, env=None, quiet=False, keep_outputs=False, banner=True):
    book = Book(env or find_environment(root, sources))
    checked = update_functions()
    out.mkdir(parents=True, exist_ok=True)
    status = 0
    for path in sources:
        path = Path(path)
        docname = path.resolve().relative_to(root).with_suffix("").as_posix()
        try:
            nb = nbformat.read(path, as_version=4)
            result = convert_notebook(nb, book, docname, edition, checked, keep_outputs, banner)
            bad = problems(result, edition, keep_outputs)
            if bad:
                raise ConversionError("; ".join(bad[:5]))
        except (ConversionError, make_student.SolutionError) as exc:
            print(f"jupyter_edition: {path}: {exc}; no {edition} edition written", file=sys.stderr)
            status = 1
            continue
        nbformat.validate(result)
        (out / path.name).write_text(json.dumps(result, indent=1, ensure_ascii=False, sort_keys=True) + "\n",
                                     encoding="utf-8")
        if not quiet:
            print(f"{path} -> {out / path.name}")
    return status


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="chapter notebooks (default: chapters/*.ipynb)")
    parser.add_argument("--edition", choices=EDITIONS, required=True)
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--env", type=Path, help="a pickled Sphinx environment (default: found or built)")
    parser.add_argument("--rebuild-env", action="store_true", help="build the Sphinx environment afresh")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    sources = args.notebooks or default_sources()
    env = args.env or find_environment(ROOT, sources, rebuild=args.rebuild_env)
    status = convert_files(sources, args.out, args.edition, env=env, quiet=args.quiet)
    if not args.quiet:
        print(f"{args.edition} edition in {args.out} ({time.perf_counter() - start:.1f} s)")
    return status


if __name__ == "__main__":
    sys.exit(main())
