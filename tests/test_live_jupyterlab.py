"""The chapters as students run them: a real JupyterLab, Run All, then the widgets used.

A JupyterLab 4.6 (pinned in tests/requirements-live.txt, not in requirements.txt, which
Binder reads) is started on 127.0.0.1 with a random free port and a token, in a
temporary root folder that holds copies of every notebook of the student edition
(``jupyter/student/``) and of two chapters of the reader edition (``jupyter/reader/``).
Its kernel is this virtual environment's ``python3``; its settings, data and runtime
folders are temporary too, so nothing of a user's own JupyterLab takes part. Debian's
Chromium (headless, driven by Playwright) opens each notebook (two pages at a time),
runs it with the menu Run > Run All Cells, waits for the kernel to be idle, and checks:

- no cell ended in an error and every code cell ran;
- no raw MyST in the rendered page (``{glue``, ``{eq}``, ``{numref}``, ``{cite``,
  ``\u0060\u0060\u0060{``, ``:::{``), neither as text nor as a fenced block of a ``{directive}``;
- every widget output (explorers, exercises) rendered as a live widget: the widget's
  DOM, not its text repr, not the static fallback of the HTML book;
- one slider move of an explorer (a click on its handle, then ArrowRight twice) changes
  its picture (the image's src), and the keys stay with the slider (no cell change);
- chapter 2's "snap to the optimal (γ*, β*)" box is still on after Run All, and its
  status reads the optimal rate 0.382 (the front end's rounded echo, #22);
- a pre-computed player moves with the arrow keys inside JupyterLab (#22);
- on each page, the first exercise of each kind gives the feedback coursecode gives for a
  right, a wrong and a garbage answer typed into (or clicked in) the widget: a number
  (garbage: "banana"), multiple choice (garbage: nothing chosen), "write it yourself"
  (garbage: "1 + 2" as the function's name) and, where a page shows one, a slider task
  (menus and slider readouts set to its solution; no garbage can be set with sliders);
  the right answers come from coursecode.homework's exercise objects;
- a "write it yourself" check (student edition) answers "... is not written yet" (its template
  raises NotImplementedError)
  after Run All, a wrong function typed into a new cell above it fails, and the chapter's
  solution (its solution cell in chapters/, else the exercise's reference) typed into
  that cell passes.

Timing: about 3.5 minutes for 17 notebooks on 2 busy cores (each page's seconds are
printed by test_every_page_was_run).

The server is stopped by the fixture, also when a test fails (its whole process group,
after its kernels). Without Chromium or JupyterLab the tests are skipped with one line,
except under CI (env CI set), where they fail. ``LIVE_SHOTS=DIR`` saves screenshots: a
reader page with glued numbers and a folded solution, a student exercise answered
wrongly and then rightly. ``LIVE_STUDENT_DIR``/``LIVE_READER_DIR`` point the test at
other copies of the editions (to try a generated edition before it is committed), and
``LIVE_ONLY=02_,05_`` runs only the notebooks whose names contain one of those parts.
"""
from __future__ import annotations

import ast
import concurrent.futures
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
STUDENT = Path(os.environ.get("LIVE_STUDENT_DIR") or ROOT / "jupyter" / "student")
READER = Path(os.environ.get("LIVE_READER_DIR") or ROOT / "jupyter" / "reader")
READER_PAGES = ("02_momentum.ipynb", "05_adam.ipynb")
SHOTS = os.environ.get("LIVE_SHOTS")
LAB_VERSION = "4.6."
RAW_MYST = ("{glue", "{eq}", "{numref}", "{cite", "```{", ":::{")
WORKERS = 2            # pages at a time: one per core
RUN_TIMEOUT = 180_000  # ms, one notebook's Run All
SNAP_CHAPTER = "02_momentum.ipynb"
EXPLORER = ".widget-vbox:has(> img.widget-image)"  # an explorer's widget: controls, picture, status


def _unavailable(message):
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the server ---------------------------------------------------------------------------

SETTINGS = {
    # every cell in the DOM (no windowing), so every output can be read
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    # no news or update pop-ups over the notebook
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
}


def _notebooks():
    if not STUDENT.is_dir():
        pytest.skip(f"no student edition yet at {STUDENT} (tools/jupyter_edition.py writes it): "
                    "live JupyterLab test skipped")
    student = sorted(STUDENT.glob("*.ipynb"))
    reader = [READER / name for name in READER_PAGES]
    missing = [str(p) for p in reader if not p.exists()]
    if not student or missing:
        pytest.fail(f"editions incomplete: {len(student)} student notebooks in {STUDENT}; missing {missing}")
    pages = [("student", p) for p in student] + [("reader", p) for p in reader]
    only = [n for n in os.environ.get("LIVE_ONLY", "").split(",") if n]  # to try a few pages
    return [(e, p) for e, p in pages if not only or any(n in p.name for n in only)]


@pytest.fixture(scope="module")
def lab():
    """A JupyterLab on 127.0.0.1 serving copies of the notebooks: (base url, token, pages)."""
    if not CHROMIUM.exists():
        _unavailable("Chromium not found at /usr/bin/chromium; install Debian chromium: "
                     "apt-get install -y chromium")
    try:
        import jupyterlab
    except ImportError:
        _unavailable("JupyterLab not installed in this environment: make test installs it "
                     "(pip install -r tests/requirements-live.txt)")
    if not jupyterlab.__version__.startswith(LAB_VERSION):
        pytest.fail(f"JupyterLab {jupyterlab.__version__}, not the pinned {LAB_VERSION}x: "
                    "pip install -r tests/requirements-live.txt")
    pages = _notebooks()
    tmp = Path(tempfile.mkdtemp(prefix="cc-live-"))
    root = tmp / "root"
    for edition, path in pages:
        (root / edition).mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, root / edition / path.name)
    for rel, value in SETTINGS.items():
        (tmp / "settings" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / "settings" / rel).write_text(json.dumps(value))
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "JUPYTER_PATH")}
    env.update(JUPYTER_CONFIG_DIR=str(tmp / "config"), JUPYTER_DATA_DIR=str(tmp / "data"),
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"), IPYTHONDIR=str(tmp / "ipython"))
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--port-retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--expose-app-in-browser", "--LabApp.news_url=None", "--allow-root"]
    log = open(tmp / "server.log", "wb")
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5):
                    break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    pytest.fail("JupyterLab did not start:\n" + (tmp / "server.log").read_text()[-3000:])
                time.sleep(0.5)
        yield {"base": base, "token": token, "pages": pages, "tmp": tmp}
    finally:
        _stop(proc, base, token)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


def _api(base, token, path, method="GET"):
    req = urllib.request.Request(f"{base}{path}?token={token}", method=method)
    with urllib.request.urlopen(req, timeout=10) as r:
        body = r.read()
    return json.loads(body) if body else None


def _stop(proc, base, token):
    """Shut the kernels down, then end the server's process group (TERM, then KILL)."""
    try:
        for kernel in _api(base, token, "/api/kernels") or []:
            _api(base, token, f"/api/kernels/{kernel['id']}", "DELETE")
    except Exception:  # the server may be gone already
        pass
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue


# -- what the page is asked ----------------------------------------------------------------

READY_JS = """() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!(k && k.status === 'idle' && k.connectionStatus === 'connected' && w.content
            && w.content.widgets.length); }"""

IDLE_JS = """() => { const w = window.jupyterapp.shell.currentWidget;
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  const cells = w.content.widgets.filter(c => c.model.type === 'code');
  const busy = cells.some(c => c.model.executionCount === null && c.promptNode
                                && c.promptNode.textContent.includes('*'));
  const started = cells.some(c => c.model.executionCount !== null);
  const loading = Array.from(document.querySelectorAll('.jp-OutputArea-output'))
                       .some(e => e.textContent.includes('Loading widget'));
  return !!(k && k.status === 'idle' && !busy && started && !loading); }"""

CELLS_JS = """() => window.jupyterapp.shell.currentWidget.content.widgets.map((c, i) => {
  const m = c.model, code = m.type === 'code';
  const out = code ? m.outputs.toJSON() : [];
  const view = o => o.data && o.data['application/vnd.jupyter.widget-view+json'];
  return {
    index: i, type: m.type, count: code ? m.executionCount : null,
    first: m.sharedModel.getSource().split('\\n')[0].slice(0, 100),
    errors: out.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue),
    widgets: out.filter(view).length,
    explorers: out.filter(o => view(o) && String(o.data['text/plain'] || '').includes('explorer: live')).length,
    rendered: Array.from(c.node.querySelectorAll('.jp-OutputArea-output'))
                   .filter(e => Array.from(e.children).some(x => x.classList.contains('jupyter-widgets'))).length,
    broken: Array.from(c.node.querySelectorAll('.jp-OutputArea-output'))
                 .filter(e => /Error displaying widget|Loading widget|model not found/.test(e.textContent)).length,
  }; })"""

# Text a reader sees: rendered Markdown and outputs (not the code in the editors).
RAW_JS = """(patterns) => {
  const found = [];
  document.querySelectorAll('.jp-MarkdownOutput, .jp-OutputArea-output').forEach(e => {
    const text = e.textContent;
    patterns.forEach(p => { const k = text.indexOf(p);
      if (k >= 0) found.push(p + ' in: ' + text.slice(Math.max(0, k - 60), k + 60).replace(/\\s+/g, ' ')); });
    e.querySelectorAll('code[class*="language-{"]').forEach(c =>
      found.push('a fenced ' + c.className + ' block: ' + c.textContent.slice(0, 60)));
  });
  document.querySelectorAll('.jp-MarkdownCell .jp-InputArea-editor').forEach(e => {
    if (e.offsetParent !== null) found.push('an unrendered Markdown cell: ' + e.textContent.slice(0, 60));
  });
  return found; }"""

STATIC_JS = """() => ({
  fallbacks: document.querySelectorAll('.jp-OutputArea .cc-explorer-static, .jp-OutputArea .cc-exercise-static').length,
  reprs: Array.from(document.querySelectorAll('.jp-OutputArea-output[data-mime-type="text/plain"]'))
              .map(e => e.textContent).filter(t => /explorer: live in a running notebook|The Check button works/.test(t)).length,
  images: document.querySelectorAll('.jp-OutputArea img.widget-image').length })"""

PLAYER_JS = """(i) => { const r = document.querySelectorAll('.jp-OutputArea .cc-player')[i];
  const input = r.querySelector('input[type=range]'), img = r.querySelector('img');
  return {value: input.value, max: input.max, valuetext: input.getAttribute('aria-valuetext'),
          src: img.src.length + ':' + img.src.slice(-48), focused: document.activeElement === input,
          active: window.jupyterapp.shell.currentWidget.content.activeCellIndex}; }"""


KERNEL_IDLE_JS = ("() => window.jupyterapp.shell.currentWidget.sessionContext.session"
                  ".kernel.status === 'idle'")
COUNT_JS = "(i) => window.jupyterapp.shell.currentWidget.content.widgets[i].model.executionCount"


def _wait_idle(page, timeout=RUN_TIMEOUT):
    page.wait_for_function(IDLE_JS, timeout=timeout, polling=250)


def _exercises():
    """Every exercise of coursecode.homework by id."""
    from coursecode.exercises import registry
    return registry()


def _kind(ex):
    from coursecode.exercises import kinds, update
    for cls, name in ((update.UpdateExercise, "write it yourself"), (kinds.SliderTask, "slider task"),
                      (kinds.NumericExercise, "number"), (kinds.ChoiceExercise, "multiple choice")):
        if isinstance(ex, cls):
            return name
    return type(ex).__name__


def _expected(ex, answer):
    """The feedback text coursecode gives ``answer`` (``_check``: nothing is recorded in
    this process, where other tests read coursecode.exercises.record)."""
    feedback = ex._check(answer)
    return f"{'✔ Correct.' if feedback.correct else '✘ Not yet.'} {feedback.message}".strip()


def _solution_code(ex):
    """The chapter's own solution of a "write it yourself" exercise (the def in a cell
    tagged solution of chapters/), else the reference of the exercise object."""
    name = ex.function_name
    match = re.match(r"ch(\d+)-", ex.id)
    notebooks = (sorted((ROOT / "chapters").glob(f"{int(match.group(1)):02d}_*.ipynb")) if match
                 else sorted((ROOT / "chapters").glob("appendix_*.ipynb")))
    for nb in notebooks:
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] != "code" or "solution" not in cell.get("metadata", {}).get("tags", []):
                continue
            source = "".join(cell["source"])
            try:
                tree = ast.parse(source)
            except SyntaxError:
                continue
            for node in tree.body:
                if isinstance(node, ast.FunctionDef) and node.name == name:
                    return ast.get_source_segment(source, node) + "\n"
    module = ex.id.split("-")[0]
    return (f"from coursecode.homework import {module} as _hw\n"
            f"{name} = [e for e in _hw.exercises() if e.id == {ex.id!r}][0].reference\n")


def _open_lab(page, lab, workspace):
    """Load JupyterLab itself (no notebook) in ``page``, in a workspace of its own."""
    page.goto(f"{lab['base']}/lab/workspaces/{workspace}?token={lab['token']}&reset")
    page.wait_for_function("() => !!window.jupyterapp", timeout=90_000)
    page.evaluate("() => window.jupyterapp.restored.then(() => true)")


class Page:
    """One notebook open in a JupyterLab page: Run All, then the checks; findings in ``report``."""

    def __init__(self, page, lab, edition, path):
        self.lab, self.page, self.edition, self.name = lab, page, edition, path.name
        self.path = f"{edition}/{path.name}"
        self.report = {"page": self.path, "edition": edition, "name": path.name,
                       "exercises": [], "problems": []}

    # -- the steps -------------------------------------------------------------------------
    def run(self):
        start = time.time()
        listener = lambda e: self.report["problems"].append(f"page error: {e}")  # noqa: E731
        self.page.on("pageerror", listener)
        try:
            steps = [self.open_and_run_all, self.collect, self.snap_box, self.screenshot_reader,
                     self.player, self.slider, self.exercise_checks]
            for step in steps:
                t = time.time()
                step()
                self.report.setdefault("step_seconds", {})[step.__name__] = round(time.time() - t, 1)
        except Exception as exc:  # noqa: BLE001 - recorded, asserted by the tests
            self.report["crash"] = f"{type(exc).__name__}: {str(exc)[:800]}"
            self.shot(f"failure-{self.edition}-{self.name}.png")
        finally:
            self.report["seconds"] = round(time.time() - start, 1)
            self.page.remove_listener("pageerror", listener)
            try:  # shut the kernel down and close the notebook without a "save?" dialog
                self.page.evaluate("""async () => { const w = window.jupyterapp.shell.currentWidget;
                    await w.sessionContext.shutdown(); w.context.model.dirty = false; w.dispose(); }""")
            except Exception:  # noqa: BLE001 - the worker reloads JupyterLab after a crash
                pass
        return self.report

    def open_and_run_all(self):
        page = self.page
        page.evaluate("(path) => window.jupyterapp.commands.execute('docmanager:open', {path})"
                      ".then(() => true)", self.path)
        page.wait_for_function(f"() => {{ const w = window.jupyterapp.shell.currentWidget;"
                               f" return w && w.context && w.context.path === {json.dumps(self.path)}"
                               f" && ({READY_JS})(); }}", timeout=90_000, polling=250)
        page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
        _wait_idle(page)
        page.wait_for_timeout(1000)  # the front end's echo of widget values, if any
        _wait_idle(page)

    def collect(self):
        cells = self.page.evaluate(CELLS_JS)
        code = [c for c in cells if c["type"] == "code"]
        self.report["errors"] = [f"cell {c['index']} ({c['first']}): {e}" for c in code for e in c["errors"]]
        self.report["unrun"] = [f"cell {c['index']} ({c['first']})" for c in code if c["count"] is None]
        self.report["widgets"] = sum(c["widgets"] for c in code)
        self.report["explorers"] = sum(c["explorers"] for c in code)
        self.report["not_rendered"] = [f"cell {c['index']} ({c['first']}): {c['widgets']} widget outputs, "
                                       f"{c['rendered']} rendered, {c['broken']} broken"
                                       for c in code if c["rendered"] < c["widgets"] or c["broken"]]
        self.report["raw_myst"] = self.page.evaluate(RAW_JS, list(RAW_MYST))
        self.report.update(self.page.evaluate(STATIC_JS))

    def snap_box(self):
        if self.name != SNAP_CHAPTER:
            return
        box = self.page.locator(".widget-checkbox", has_text="snap to the optimal")
        explorer = self.page.locator(EXPLORER).filter(has=box).first
        status = explorer.locator(":scope > .widget-html").last.inner_text()
        self.report["snap"] = {"checked": box.locator("input").is_checked(), "status": status,
                               "readouts": explorer.locator(".widget-readout").all_inner_texts()}

    def player(self):
        page = self.page
        players = page.locator(".jp-OutputArea .cc-player")
        if not players.count():
            return
        slider = players.first.locator("input[type=range]")
        slider.scroll_into_view_if_needed()
        slider.focus()  # (JupyterLab makes the player's cell the active one)
        before = page.evaluate(PLAYER_JS, 0)
        key = "ArrowLeft" if before["value"] == before["max"] else "ArrowRight"
        page.keyboard.press(key)
        page.wait_for_timeout(200)
        after = page.evaluate(PLAYER_JS, 0)
        page.keyboard.press("End")
        end = page.evaluate(PLAYER_JS, 0)
        self.report["player"] = {"key": key, "before": before, "after": after, "end": end}

    def slider(self):
        page = self.page
        if not page.locator(f".jp-OutputArea {EXPLORER}").count():
            return
        explorer = page.locator(f".jp-OutputArea {EXPLORER}").first
        image = explorer.locator(":scope > img.widget-image")
        handle = explorer.locator(".noUi-handle").first
        readout = explorer.locator(".widget-readout").first
        handle.scroll_into_view_if_needed()
        src, value = image.get_attribute("src"), readout.inner_text()
        handle.click()  # as a student would: click the handle, then use the keys
        active = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.activeCellIndex")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        moved_cell = active != page.evaluate("() => window.jupyterapp.shell.currentWidget.content.activeCellIndex")
        changed = True
        try:
            page.wait_for_function("([img, src]) => img.getAttribute('src') !== src",
                                   arg=[image.element_handle(), src], timeout=15_000)
        except Exception:  # noqa: BLE001 - reported
            changed = False
        self.report["slider"] = {"readout": [value, readout.inner_text()], "image_changed": changed,
                                 "moved_the_cell_cursor": moved_cell}

    # -- exercises -------------------------------------------------------------------------
    def exercise_box(self, ex_id):
        page = self.page
        prompt = page.locator(".widget-html-content", has_text=f"({ex_id})")
        return page.locator(".widget-vbox").filter(has=prompt).filter(
            has=page.locator("button", has_text="Check")).first

    def check(self, box):
        """Press Check and read the new feedback (pressed once more if none came in 15 s:
        rare, on a loaded machine; counted in the report)."""
        feedback = box.locator(":scope > .widget-html").last
        before = feedback.evaluate("e => e.textContent")
        for attempt in range(2):
            box.locator(":scope > .widget-hbox button").first.click()
            try:
                self.page.wait_for_function("([e, t]) => e.textContent.trim() && e.textContent !== t",
                                            arg=[feedback.element_handle(), before], timeout=15_000)
                break
            except Exception:  # noqa: BLE001 - the same feedback again: read it as it is
                self.report.setdefault("check_pressed_again", []).append(" ".join(before.split())[:120])
        return " ".join(feedback.inner_text().split())

    def type_answer(self, field, text):
        """Type into a widget's text field, and let the value reach the kernel before Check
        is pressed: ipywidgets throttles each widget's updates on its own, so a click on the
        button could overtake the field's last value."""
        field.fill(text)
        field.press("Tab")
        self.page.wait_for_timeout(400)
        self.page.wait_for_function(KERNEL_IDLE_JS, timeout=30_000, polling=100)

    def exercise_checks(self):
        on_page = self.page.evaluate(
            "() => Array.from(document.querySelectorAll('.jp-OutputArea .widget-html-content'))"
            ".map(e => (e.textContent.match(/\\(((?:ch\\d+|appx)-[\\w-]+)\\)/) || [])[1]).filter(Boolean)")
        seen = set()
        exercises = _exercises()
        for ex_id in dict.fromkeys(on_page):
            ex = exercises.get(ex_id)
            if ex is None:
                self.report["problems"].append(f"exercise {ex_id} shown but not in coursecode.homework")
                continue
            kind = _kind(ex)
            if kind in seen or (kind == "write it yourself" and self.edition == "reader"):
                continue  # (the reader edition runs the solutions: its functions are defined)
            seen.add(kind)
            method = {"number": self.numeric, "multiple choice": self.choice,
                      "write it yourself": self.write_it, "slider task": self.slider_task}[kind]
            result = {"id": ex_id, "kind": kind, "answers": []}
            self.report["exercises"].append(result)
            method(ex, self.exercise_box(ex_id), result)

    def answer(self, result, label, shown, expected, ok):
        result["answers"].append({"answer": label, "shown": shown, "expected": expected, "correct": ok})

    def numeric(self, ex, box, result):
        field = box.locator("input[type=text]").first
        box.scroll_into_view_if_needed()
        wrong = f"{ex.answer * 3 + 1:.6g}"
        for label, text in (("garbage", "banana"), ("wrong", wrong), ("right", f"{ex.answer:.12g}")):
            self.type_answer(field, text)
            shown = self.check(box)
            self.answer(result, label, shown, _expected(ex, text), label == "right")
            if self.edition == "student" and self.name == SNAP_CHAPTER and label != "garbage":
                self.shot(f"student-exercise-{label}.png", box)

    def choice(self, ex, box, result):
        radios = box.locator(".widget-radio-box label")
        right = next(i for i, (_, ok, _) in enumerate(ex.options) if ok)
        wrong = next(i for i, (_, ok, _) in enumerate(ex.options) if not ok)
        box.scroll_into_view_if_needed()
        shown = self.check(box)  # nothing chosen
        self.answer(result, "garbage (nothing chosen)", shown, _expected(ex, None), False)
        for label, i in (("wrong", wrong), ("right", right)):
            radios.nth(i).click()
            self.page.wait_for_timeout(400)  # the choice reaches the kernel first (see type_answer)
            self.page.wait_for_function(KERNEL_IDLE_JS, timeout=30_000, polling=100)
            shown = self.check(box)
            self.answer(result, label, shown, _expected(ex, ex.labels()[i]), label == "right")

    def write_it(self, ex, box, result):
        page = self.page
        field = box.locator("input[type=text]").first
        box.scroll_into_view_if_needed()
        shown = self.check(box)  # after Run All: the student has written nothing
        # the exercise's template raises NotImplementedError until the student writes it
        self.answer(result, "nothing written yet", shown, "is not written yet", False)
        self.type_answer(field, "1 + 2")
        shown = self.check(box)
        self.answer(result, "garbage", shown, "is not a function name", False)
        self.type_answer(field, ex.function_name)
        # a new code cell above the exercise's cell (the notebook's "insert a cell above"),
        # typed into as a student would
        index = page.evaluate("(el) => { const nb = window.jupyterapp.shell.currentWidget.content;"
                              " const i = nb.widgets.findIndex(c => c.node.contains(el));"
                              " nb.activeCellIndex = i; nb.mode = 'command'; return i; }",
                              box.element_handle())
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:insert-cell-above').then(() => true)")
        editor = page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".cm-content")
        for label, code in (("wrong (returns its first argument)",
                             f"def {ex.signature}:\n    return {ex.arg_names[0]}\n"),
                            ("right (the chapter's solution)", _solution_code(ex))):
            count = page.evaluate(COUNT_JS, index)
            editor.click()
            page.keyboard.press("Control+a")
            page.keyboard.insert_text(code)
            page.keyboard.press("Shift+Enter")
            page.wait_for_function(f"([i, before]) => ({COUNT_JS})(i) !== null && ({COUNT_JS})(i) !== before"
                                   " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                                   ".kernel.status === 'idle'", arg=[index, count], timeout=30_000, polling=100)
            errors = page.evaluate("(i) => window.jupyterapp.shell.currentWidget.content.widgets[i].model"
                                   ".outputs.toJSON().filter(o => o.output_type === 'error')"
                                   ".map(o => o.ename + ': ' + o.evalue)", index)
            if errors:
                self.report["problems"].append(f"the typed cell ({label}) raised {errors}")
            shown = self.check(box)
            right = label.startswith("right")
            self.answer(result, label, shown, "✔ Correct. Your" if right else "✘ Not yet.", right)
        self.report["typed_cell"] = page.evaluate(
            "(i) => window.jupyterapp.shell.currentWidget.content.widgets[i].model.sharedModel.getSource()", index)

    def slider_task(self, ex, box, result):
        from coursecode import widgets
        from coursecode.widgets.controls import option_label

        box.scroll_into_view_if_needed()
        shown = self.check(box)  # the start settings
        self.answer(result, "wrong (the start settings)", shown,
                    _expected(ex, {**widgets.build(ex.explorer, **ex.start).values}), False)
        if ex.solution is None:
            return
        reference = widgets.build(ex.explorer)
        for name, value in sorted(ex.solution.items(), key=lambda kv: isinstance(kv[1], str), reverse=True):
            control = reference.controls[name]
            index = list(reference.controls).index(name)
            widget = box.locator(".widget-vbox").first.locator(
                ".widget-dropdown, .widget-slider, .widget-checkbox").nth(index)
            if isinstance(value, str):
                widget.locator("select").select_option(label=option_label(control, value))
            else:
                readout = widget.locator(".widget-readout")
                readout.click()
                page = self.page
                page.keyboard.press("Control+a")
                page.keyboard.insert_text(f"{value:g}")
                page.keyboard.press("Enter")
            self.page.wait_for_timeout(300)
        shown = self.check(box)
        # the typed values land on the sliders' step grid (lr 0.19 reads 0.191): the verdict only
        self.answer(result, "right (the exercise's solution)", shown, "✔ Correct.", True)

    # -- screenshots -----------------------------------------------------------------------
    def shot(self, name, locator=None):
        if not SHOTS:
            return
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        try:
            (locator or self.page).screenshot(path=str(Path(SHOTS) / name))
        except Exception:  # noqa: BLE001 - a screenshot is for people, not a check
            pass

    def screenshot_reader(self):
        """The end of chapter 2's last section (glued numbers) and its first exercise with
        the folded solution, in a tall window without the file browser."""
        if not SHOTS or self.edition != "reader" or self.name != SNAP_CHAPTER:
            return
        page = self.page
        toggle = "() => window.jupyterapp.commands.execute('application:toggle-left-area').then(() => true)"
        page.set_viewport_size({"width": 1400, "height": 1500})
        page.evaluate(toggle)
        try:
            heading = page.locator(".jp-MarkdownOutput h2", has_text="Exercises").first
            heading.evaluate("e => e.scrollIntoView({block: 'center'})")
            page.wait_for_timeout(500)
            self.shot("reader-glued-numbers-folded-solution.png")
        finally:
            page.evaluate(toggle)
            page.set_viewport_size({"width": 1400, "height": 1000})


def _visit(lab, pages, worker):
    """One browser, one JupyterLab page: the notebooks one after the other (JupyterLab is
    loaded again after a notebook whose run stopped)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.set_default_timeout(30_000)
            _open_lab(page, lab, f"worker{worker}")
            out = []
            for edition, path in pages:
                out.append(Page(page, lab, edition, path).run())
                if "crash" in out[-1]:
                    _open_lab(page, lab, f"worker{worker}")
            return out
        finally:
            browser.close()


@pytest.fixture(scope="module")
def reports(lab):
    """Every page run and checked, two at a time (each worker has its own Playwright)."""
    _exercises()  # built once, before the threads
    pages = lab["pages"]
    # the longest first, spread over the workers
    pages = sorted(pages, key=lambda p: -p[1].stat().st_size)
    chunks = [pages[i::WORKERS] for i in range(WORKERS)]
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        out = [r for chunk in pool.map(lambda a: _visit(lab, *a), zip(chunks, range(WORKERS))) for r in chunk]
    out = sorted(out, key=lambda r: r["page"])
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        (Path(SHOTS) / "live-report.json").write_text(json.dumps(out, indent=1, ensure_ascii=False))
    return out


def _failures(reports, check):
    bad = []
    for r in reports:
        if "crash" in r:
            bad.append(f"{r['page']}: the run stopped: {r['crash']}")
            continue
        bad += [f"{r['page']}: {m}" for m in check(r)]
    return bad


# -- the tests -----------------------------------------------------------------------------

def test_kernel_is_this_environments_python(lab):
    specs = _api(lab["base"], lab["token"], "/api/kernelspecs")
    assert specs["default"] == "python3"
    resources = specs["kernelspecs"]["python3"]["resources"]
    assert resources, specs
    from jupyter_client.kernelspec import KernelSpecManager
    assert Path(KernelSpecManager().get_kernel_spec("python3").resource_dir).resolve().is_relative_to(
        Path(sys.prefix).resolve()), "the python3 kernelspec is not this environment's"


def test_every_page_was_run(reports, lab):
    assert sorted(r["page"] for r in reports) == sorted(f"{e}/{p.name}" for e, p in lab["pages"])
    print("seconds per page:", {r["page"]: r["seconds"] for r in reports})


def test_run_all_ends_without_an_error(reports):
    bad = _failures(reports, lambda r: [f"error in {e}" for e in r["errors"]]
                    + [f"not run: {c}" for c in r["unrun"]] + r["problems"])
    assert not bad, "\n".join(bad)


def test_no_raw_myst_in_the_rendered_page(reports):
    bad = _failures(reports, lambda r: r["raw_myst"])
    assert not bad, "\n".join(bad)


def test_every_explorer_and_exercise_is_a_live_widget(reports):
    bad = _failures(reports, lambda r: r["not_rendered"]
                    + ([f"{r['fallbacks']} static fallbacks shown"] if r["fallbacks"] else [])
                    + ([f"{r['reprs']} text reprs shown"] if r["reprs"] else [])
                    + ([f"{r['explorers']} explorers but {r['images']} live pictures"]
                       if r["images"] < r["explorers"] else []))
    assert not bad, "\n".join(bad)
    assert sum(r.get("explorers", 0) for r in reports), "no explorer on any page"
    # as many live explorers as the chapter shows (its stored outputs in chapters/)
    for r in reports:
        source = ROOT / "chapters" / r["name"]
        if source.exists() and "crash" not in r:
            shown = source.read_text().count("explorer: live in a running notebook")
            assert r["explorers"] >= shown, f"{r['page']}: {r['explorers']} live explorers, chapter has {shown}"


def test_a_slider_move_redraws_the_explorer(reports):
    moved = [r for r in reports if r.get("slider")]
    bad = _failures(moved, lambda r: [] if r["slider"]["image_changed"] and
                    r["slider"]["readout"][0] != r["slider"]["readout"][1]
                    and not r["slider"]["moved_the_cell_cursor"]
                    else [f"click on the handle and ArrowRight twice: {r['slider']}"])
    assert not bad, "\n".join(bad)
    assert moved, "no explorer slider found"
    missing = [r["page"] for r in reports if r.get("explorers") and not r.get("slider")]
    assert not missing, f"explorers but no slider tried: {missing}"


def test_snap_box_stays_on_after_run_all(reports):
    snapped = [r for r in reports if r["name"] == SNAP_CHAPTER]
    assert snapped, f"{SNAP_CHAPTER} not among the pages"
    for r in snapped:
        assert "crash" not in r, r["crash"]
        snap = r["snap"]
        assert snap["checked"], f"{r['page']}: the snap box unchecked itself: {snap}"
        assert "predicted rate 0.382 per step" in snap["status"], f"{r['page']}: {snap['status']}"


def test_players_move_with_the_arrow_keys(reports):
    played = [r for r in reports if r.get("player")]
    assert played, "no pre-computed player on any page"

    def check(r):
        p = r["player"]
        out = []
        if not p["after"]["focused"]:
            out.append("the player's slider lost the focus to the notebook")
        if p["after"]["value"] == p["before"]["value"] or p["after"]["src"] == p["before"]["src"]:
            out.append(f"{p['key']} did not move the player: {p['before']} -> {p['after']}")
        if p["after"]["active"] != p["before"]["active"]:
            out.append(f"{p['key']} moved the notebook's active cell")
        if p["end"]["value"] != p["end"]["max"]:
            out.append(f"End did not go to the last frame: {p['end']}")
        return out
    bad = _failures(played, check)
    assert not bad, "\n".join(bad)


def test_each_exercise_kind_answers_right_wrong_and_garbage(reports):
    kinds = {}
    bad = []
    for r in reports:
        if "crash" in r:
            bad.append(f"{r['page']}: the run stopped: {r['crash']}")
            continue
        for ex in r["exercises"]:
            kinds.setdefault(ex["kind"], []).append(r["page"])
            for a in ex["answers"]:
                mark = "✔ Correct." if a["correct"] else "✘ Not yet."
                if not a["shown"].startswith(mark) or a["expected"] not in a["shown"]:
                    bad.append(f"{r['page']} {ex['id']} ({ex['kind']}), {a['answer']}: shown "
                               f"{a['shown']!r}, expected {a['expected']!r}")
    assert not bad, "\n".join(bad)
    expected = {"number", "multiple choice", "write it yourself"}
    assert expected <= set(kinds), f"exercise kinds tried: {kinds}"
    student_pages = {r["page"] for r in reports if r["edition"] == "student"}
    for kind in expected:
        assert set(kinds[kind]) & student_pages, f"{kind} never tried in the student edition"


def test_write_it_yourself_fails_until_the_code_is_typed(reports):
    tried = [(r, ex) for r in reports if r["edition"] == "student" for ex in r.get("exercises", [])
             if ex["kind"] == "write it yourself"]
    assert tried, "no write-it-yourself exercise in the student edition"
    for r, ex in tried:
        first = ex["answers"][0]
        assert first["shown"].startswith("✘ Not yet.") and "is not written yet" in first["shown"], (
            f"{r['page']} {ex['id']}: right after Run All the check said {first['shown']!r}")
        assert ex["answers"][-1]["shown"].startswith("✔ Correct."), ex["answers"][-1]
