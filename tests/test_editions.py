"""The Jupyter editions (tools/jupyter_edition.py, make jupyter): plain notebooks that read as the HTML book.

Checked as files, over the committed editions in jupyter/reader/ and jupyter/student/:
they equal a fresh conversion (so they follow the chapters); no Markdown cell holds raw
MyST; the student edition holds no solution (no "Solution to", no solution-tagged cell,
no solution code) and no output, the reader edition folds every solution in a closed
<details> and keeps the figures; glued numbers are in the text as myst-nb formats them;
equation, figure and exercise numbers are those of the built HTML (two chapters); the
HTML's Binder and Colab buttons open the reader edition. The Colab install cell is the
canonical one in every chapter and fails loudly. Executed headless, the student edition
of chapter 2 has no "write it yourself" function its checks could find: every such
check fails until the student's code is there.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "jupyter_edition.py"
COMMITTED = ROOT / "jupyter"
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
TWO = ["02_momentum", "05_adam"]          # chapters compared with the HTML in detail

spec = importlib.util.spec_from_file_location("jupyter_edition", TOOL)
je = importlib.util.module_from_spec(spec)
sys.path.insert(0, str(ROOT / "tools"))
spec.loader.exec_module(je)

MYST_LEFT = ["{glue", "{eq}", "{numref}", "{cite", "```{", ":::{", "{ref}", "{doc}", "{prf:", "{math}",
             "{solution", "{exercise", "{admonition"]


def edition_files(edition):
    return sorted((COMMITTED / edition).glob("*.ipynb"))


def read(path):
    return nbformat.read(path, as_version=4)


# ------------------------------------------------------------------ the install cell (no build needed)
def test_every_chapter_starts_with_the_canonical_install_cell():
    assert CHAPTERS
    wrong = []
    for path in CHAPTERS:
        code = [c for c in read(path).cells if c.cell_type == "code"]
        if not code or code[0].source != je.INSTALL_CELL or "remove-cell" not in (code[0].metadata.get("tags") or []):
            wrong.append(path.name)
    assert not wrong, f"first code cell is not tools/jupyter_edition.py's INSTALL_CELL (tag remove-cell): {wrong}"


def test_the_install_cell_names_the_configured_repository():
    config = (ROOT / "_config.yml").read_text()
    url = re.search(r"^repository:\s*\n\s+url:\s*(\S+)", config, re.M).group(1)
    assert je.REPO_URL == url
    assert url in je.INSTALL_CELL


def test_a_failed_install_stops_with_a_clear_error():
    # coursecode cannot be imported and pip fails (no network is used): the cell raises at once,
    # naming the repository and what to do; it does not print and go on
    script = textwrap.dedent("""
        import subprocess, sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "coursecode" or name.startswith("coursecode."):
                    raise ModuleNotFoundError("No module named 'coursecode'")
        sys.meta_path.insert(0, Block())
        calls = []
        def fake_run(cmd, *a, **k):
            calls.append(cmd)
            return subprocess.CompletedProcess(cmd, 1)
        subprocess.run = fake_run
        source = sys.stdin.read()
        try:
            exec(compile(source, "install-cell", "exec"), {})
        except ModuleNotFoundError as exc:
            assert calls and calls[0][1:4] == ["-m", "pip", "install"], calls
            print("RAISED:", exc)
        else:
            print("NO ERROR")
    """)
    proc = subprocess.run([sys.executable, "-c", script], input=je.INSTALL_CELL, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("RAISED: coursecode could not be installed from " + je.REPO_URL), proc.stdout
    assert "pip exit status 1" in proc.stdout and "pip install git+" + je.REPO_URL in proc.stdout


# ------------------------------------------------------------------ the converter on small inputs
def test_leftover_markup_fails_the_conversion():
    for text in ["a {glue:text}`x:.2f` b", "see {eq}`e`", "```{note}\nx\n```", "(sec-a)=", "$$ x $$ (eq-a)"]:
        with pytest.raises(je.ConversionError, match="raw MyST"):
            je.check_no_myst(text)
    je.check_no_myst("plain $x$ and $$y$$ and `code`")


# ------------------------------------------------------------------ the editions, regenerated
@pytest.fixture(scope="module")
def html_dir(request):
    """The built HTML: the session's build (conftest), or EDITIONS_HTML=<a build's html folder>
    to check against an existing build (its .doctrees next to it)."""
    given = os.environ.get("EDITIONS_HTML")
    return Path(given) if given else request.getfixturevalue("built_html")


@pytest.fixture(scope="module")
def regenerated(html_dir, tmp_path_factory):
    """Both editions converted afresh with the environment of that build."""
    env = html_dir.parent / ".doctrees" / "environment.pickle"
    out = tmp_path_factory.mktemp("editions")
    for edition in je.EDITIONS:
        status = je.convert_files(je.default_sources(), out / edition, edition, env=env, quiet=True)
        assert status == 0, f"the {edition} edition could not be made"
    return out


@pytest.mark.parametrize("edition", je.EDITIONS)
def test_committed_editions_equal_a_fresh_conversion(regenerated, edition):
    fresh = {p.name: p.read_text(encoding="utf-8") for p in (regenerated / edition).glob("*.ipynb")}
    committed = {p.name: p.read_text(encoding="utf-8") for p in edition_files(edition)}
    assert sorted(committed) == sorted(fresh), "the editions list other chapters: run make jupyter"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"jupyter/{edition}/ is out of date for {stale}: run make jupyter"
    assert sorted(fresh) == sorted(p.name for p in CHAPTERS)


@pytest.mark.parametrize("edition", je.EDITIONS)
def test_no_raw_myst_in_any_markdown_cell(edition):
    files = edition_files(edition)
    assert files, f"jupyter/{edition}/ is empty: run make jupyter"
    for path in files:
        nb = read(path)
        assert not je.problems(nb, edition), (path.name, je.problems(nb, edition))
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "markdown":
                left = [m for m in MYST_LEFT if m in cell.source]
                assert not left, f"{edition}/{path.name}, cell {i}: {left}"


def _solution_code(path):
    """Sources of the solution code cells of a chapter (tagged, or inside {solution-start/end})."""
    found, gated = [], False
    for cell in read(path).cells:
        if cell.cell_type == "markdown":
            for m in re.finditer(r"\{(solution-start|solution-end)\}", cell.source):
                gated = m.group(1) == "solution-start"
        elif gated or "solution" in (cell.metadata.get("tags") or []):
            found.append(cell.source)
    return found


def test_student_edition_has_no_solution_and_no_output():
    for path in edition_files("student"):
        nb = read(path)
        text = json.dumps([c.source for c in nb.cells])
        assert "Solution to" not in text and "<details" not in text, path.name
        for cell in nb.cells:
            assert "solution" not in (cell.metadata.get("tags") or []), path.name
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, path.name
        sources = {c.source for c in nb.cells}
        for solution in _solution_code(ROOT / "chapters" / path.name):
            assert solution not in sources, f"{path.name}: solution code {solution.splitlines()[0]!r}"


def test_reader_edition_folds_every_solution_and_keeps_the_figures():
    for path in edition_files("reader"):
        source = read(ROOT / "chapters" / path.name)
        nb = read(path)
        md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        solutions = sum(len(re.findall(r"^\s*(?:`{3,}|:{3,})\{solution(?:-start)?\}", c.source, re.M))
                        for c in source.cells if c.cell_type == "markdown")
        assert md.count("<summary>Solution to") >= solutions, path.name
        assert md.count("<details>") == md.count("</details>") == md.count("<summary>"), path.name
        assert "<details open" not in md
        for m in re.finditer(r"Solution to", md):
            assert md[max(0, m.start() - 30):m.start()].endswith("<details>\n<summary>"), path.name
        for cell in nb.cells:  # solution code is kept, folded
            if cell.cell_type == "code" and "solution" in (cell.metadata.get("tags") or []):
                assert cell.metadata["jupyter"]["source_hidden"] is True
        pictures = sum("image/png" in o.get("data", {}) for c in source.cells if c.cell_type == "code"
                       for o in c.outputs)
        kept = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code"
                   for o in c.outputs)
        assert kept == pictures, path.name
        for c in nb.cells:
            for o in c.get("outputs", []):
                assert "scrapbook" not in o.get("metadata", {})
                assert "application/vnd.jupyter.widget-view+json" not in o.get("data", {})


@pytest.mark.parametrize("name", TWO)
def test_glued_values_are_in_the_text(name):
    from myst_nb.core.variables import format_plain_text

    source = read(ROOT / "chapters" / f"{name}.ipynb")
    values = je.glue_values(source)
    edition = {c.id: c.source for c in read(COMMITTED / "reader" / f"{name}.ipynb").cells}
    checked = 0
    for cell in source.cells:
        if cell.cell_type != "markdown":
            continue
        for m in re.finditer(r"\{glue:text\}`([^`:]+):?([^`]*)`([^{$`\n]{8,})", cell.source):
            value = format_plain_text(values[m.group(1)]["text/plain"], m.group(2))
            follow = m.group(3)[:12]
            assert value + follow in edition[cell.id], (name, m.group(0), value)
            checked += 1
    assert checked >= 10, (name, checked)


def _html_numbers(html_path):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html_path.read_text(encoding="utf-8"), "html.parser")
    eqs, figs, exercises = {}, {}, {}
    for eqno in soup.select("span.eqno"):
        math = eqno.find_parent(["div", "span"], class_="math")
        if math is not None and (math.get("id") or "").startswith("equation-"):
            eqs[math["id"][len("equation-"):]] = eqno.get_text().replace("#", "").strip()
    for fig in soup.select("figure[id]"):
        number = fig.select_one("span.caption-number")
        if number:
            figs[fig["id"]] = number.get_text().strip()
    for ex in soup.select("div.exercise[id]"):
        exercises[ex["id"]] = re.match(r"Exercise [\d.]+", ex.select_one("p.admonition-title").get_text()
                                       .strip()).group(0)
    return eqs, figs, exercises


@pytest.mark.parametrize("name", TWO)
def test_numbers_match_the_html(html_dir, name):
    eqs, figs, exercises = _html_numbers(html_dir / "chapters" / f"{name}.html")
    assert eqs and figs and exercises, name
    text = "\n".join(c.source for c in read(COMMITTED / "reader" / f"{name}.ipynb").cells)
    for label, shown in eqs.items():                                  # "(2.1)"
        m = re.search(rf'<a id="equation-{re.escape(label)}"></a>\s*\$\$.*?\\tag\{{([\d.]+)\}}\s*\$\$', text, re.S)
        assert m and f"({m.group(1)})" == shown, (name, label, shown)
    for label, shown in figs.items():                                 # "Fig. 2.1"
        assert f'<a id="{label}"></a>**{shown}.**' in text, (name, label, shown)
    for label, shown in exercises.items():                            # "Exercise 2.1"
        assert re.search(rf'<a id="{re.escape(label)}"></a>\s*\*\*{shown}\*\*', text), (name, label, shown)
    # every {eq} reference of the source reads as the HTML's number
    source = "\n".join(c.source for c in read(ROOT / "chapters" / f"{name}.ipynb").cells
                       if c.cell_type == "markdown")
    for label in set(re.findall(r"\{eq\}`([^`]+)`", source)):
        if label in eqs:
            assert eqs[label] in text


def test_launch_buttons_open_the_reader_edition(html_dir):
    page = (html_dir / "chapters" / "02_momentum.html").read_text(encoding="utf-8")
    links = re.findall(r'href="(https://(?:mybinder\.org|colab\.research\.google\.com)[^"]*)"', page)
    assert len(links) >= 2, links
    for link in links:
        assert link.endswith("jupyter/reader/02_momentum.ipynb"), link


# ------------------------------------------------------------------ a student runs chapter 2
CHECK_CELL = """
import json
from coursecode.exercises import registry
from coursecode.exercises.update import UpdateExercise
result = {}
for ex_id in %s:
    ex = registry()[ex_id]
    box = ex.widget()
    feedback = ex.check(ex._read_field(box.answer_field))
    result[ex_id] = [feedback.correct, feedback.message]
print(json.dumps(result))
"""


def test_student_checks_fail_until_the_student_writes_the_function(tmp_path):
    import nbclient

    nb = read(COMMITTED / "student" / "02_momentum.ipynb")
    used = {m for c in nb.cells if c.cell_type == "code" for m in re.findall(r'"(ch2-[a-z-]+)"', c.source)}
    ids = sorted(used & set(je.update_functions()) | {"ch2-momentum-step"})  # step(): no cell at all
    assert {"ch2-heavy-ball-step", "ch2-nesterov-step"} <= set(ids), ids
    nb.cells.append(nbformat.v4.new_code_cell(CHECK_CELL % json.dumps(ids)))
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "chapters")}}).execute()
    out = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    result = json.loads(out.strip().splitlines()[-1])
    for ex_id, (correct, message) in result.items():
        assert not correct, (ex_id, message)
    # no cell defines step(): the check says so
    assert "no function 'step' in this notebook yet" in result["ch2-momentum-step"][1]
