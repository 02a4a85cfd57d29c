"""python -m coursecode.grade, end to end through the command line: right, wrong and hostile submissions.

Right and wrong answers for every exercise of the book grade to 1 and 0; hostile
code (an endless loop, a memory bomb, an exception or an endless loop at
definition time, a syntax error, a missing function name, an output flood, an
exit, a crash) and bad input (not JSON, not UTF-8, not an answers file, unknown
ids, answers of the wrong type, another coursecode version, two submissions for
one student, an empty folder, a notebook, links, pipes and stray files) each become one
line in the log and in that student's notes or feedback, and a 0 or an empty
cell; the other students are graded, and nothing in SUBMISSIONS changes. Code
runs in a child process that has none of the grader's state. An export written
by a notebook kernel grades back to the verdicts its widgets showed.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from coursecode import exercises as E
from coursecode.exercises import run_student_source
from coursecode.grade import demo

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = E.registry()
STEP = "def step(theta, g, lr):\n    return theta - lr * g\n"


def grade(args, env=None, cwd=None, timeout=600):
    """Run the command line; (exit status, stdout, stderr)."""
    full_env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "coursecode.grade", *map(str, args)], capture_output=True,
                          text=True, env=full_env, cwd=cwd or ROOT, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def state(folder):
    """Every file under ``folder`` with its bytes' hash, size and modification time."""
    out = {}
    for p in sorted(Path(folder).rglob("*")):
        st = p.lstat()
        out[str(p.relative_to(folder))] = (st.st_mtime_ns, st.st_size, st.st_mode,
                                           hashlib.sha256(p.read_bytes()).hexdigest()
                                           if p.is_file() and not p.is_symlink() else None)
    return out


def write(folder, name, answers, **kw):
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(demo.submission(answers, **kw)), encoding="utf-8")
    return path


def code(source, name="step", context=""):
    return {"type": "code", "answer": source, "function": name, "context": context}


# -- right and wrong ------------------------------------------------------------------------------

def test_right_and_wrong_answers_for_every_exercise(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    right = {k: demo.right_answer(ex) for k, ex in REGISTRY.items()}
    assert all(v is not None for v in right.values()), [k for k, v in right.items() if v is None]
    import random

    rng = random.Random(1)
    wrong = {k: demo.wrong_answer(ex, rng) for k, ex in REGISTRY.items()}
    write(subs, "alice.json", right)
    write(subs, "bob.json", wrong, when="2025-02-01T00:00:00Z")
    write(subs, "carol.json", {"ch1-ravine-condition": {"type": "text", "answer": "5"},
                               "ch1-gd-step": code(STEP)}, chapter="ch1")
    before = state(subs)
    status, stdout, stderr = grade([subs, "--out", out / "grades.csv", "--feedback", out / "feedback",
                                    "--figure", out / "class.png", "--exercises", "all"])
    assert status == 0, stderr
    table = rows(out / "grades.csv")
    n = len(REGISTRY)
    assert table["alice"]["total"] == str(n) and table["alice"]["possible"] == str(n)
    assert table["alice"]["percent"] == "100.0"
    assert all(table["alice"][k] == "1" for k in REGISTRY)
    assert all(table["bob"][k] == "0" for k in REGISTRY) and table["bob"]["total"] == "0"
    carol = table["carol"]
    assert carol["ch1-ravine-condition"] == carol["ch1-gd-step"] == "1" and carol["total"] == "2"
    assert all(carol[k] == "" for k in REGISTRY if k not in ("ch1-ravine-condition", "ch1-gd-step"))
    with open(out / "grades.csv", encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert header == ["student", *REGISTRY, "total", "possible", "percent", "notes"]
    pages = sorted(p.name for p in (out / "feedback").iterdir())
    assert pages == ["alice.html", "bob.html", "carol.html"]
    bob = (out / "feedback" / "bob.html").read_text()
    assert "0 of" in bob and "not right" in bob and '<html lang="en">' in bob
    assert (out / "class.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "wrote" in stdout and "share right" in stdout and "grading: 3/3 students" in stderr
    assert state(subs) == before


def test_the_default_columns_are_the_chapters_handed_in(tmp_path):
    write(tmp_path / "subs", "alice.json", {"ch5-beta2": {"type": "text", "answer": "a"}}, chapter="ch5")
    status, _, stderr = grade([tmp_path / "subs", "--out", tmp_path / "g.csv", "--quiet"])
    assert status == 0, stderr
    alice = rows(tmp_path / "g.csv")["alice"]
    assert [k for k in alice if k.startswith("ch")] == [k for k in REGISTRY if k.startswith("ch5-")]
    assert alice["ch5-beta2"] == "1" and alice["ch5-adam-step"] == "" and "grading" not in stderr


# -- hostile code ---------------------------------------------------------------------------------

HOSTILE = {
    "loop": ("def step(theta, g, lr):\n    while True:\n        pass\n", "took longer than 1 s"),
    "bomb": ("def step(theta, g, lr):\n    return np.ones((60000, 60000))\n", "ran out of memory"),
    "grow": ("def step(theta, g, lr):\n    grow = []\n    while True:\n        grow.append(' ' * 10**7)\n",
             "ran out of memory"),
    "defexc": ("import no_such_module_anywhere\n" + STEP, "before any call, raised ModuleNotFoundError"),
    "defloop": ("while True:\n    pass\n" + STEP, "took longer than 1 s"),
    "syntax": ("def step(theta, g, lr)\n    return theta\n", "syntax error at line 1"),
    "missing": ("def stepp(theta, g, lr):\n    return theta\n", "no function named step (it defines stepp)"),
    "flood": ("def step(theta, g, lr):\n    while True:\n        print('spam ' * 50)\n", "printed"),
    "exit": ("import os\ndef step(theta, g, lr):\n    os._exit(3)\n", "exited with status 3"),
    "crash": ("import ctypes\ndef step(theta, g, lr):\n    return ctypes.string_at(0)\n", "SIGSEGV"),
    "sysexit": ("raise SystemExit(2)\n" + STEP, "raised SystemExit"),
}


def test_hostile_code_is_a_clear_line_and_a_zero_and_grading_goes_on(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    typed = {"ch1-ravine-condition": {"type": "text", "answer": "5"}}
    for name, (source, _) in HOSTILE.items():
        write(subs, f"{name}.json", {**typed, "ch1-gd-step": code(source)}, chapter="ch1")
    snoop = textwrap.dedent("""
        import os, sys
        def step(theta, g, lr):
            print("secret:", os.environ.get("GRADER_SECRET"), "| grader loaded:", "coursecode.grade" in sys.modules,
                  "| cwd:", os.getcwd(), "| files:", sorted(os.listdir(".")))
            open("left-behind.txt", "w").write("x")
            return theta - lr * g
    """)
    write(subs, "snoop.json", {**typed, "ch1-gd-step": code(snoop)}, chapter="ch1")
    write(subs, "good.json", {**typed, "ch1-gd-step": code(STEP)}, chapter="ch1")
    before = state(subs)
    status, _, stderr = grade([subs, "--out", out / "g.csv", "--feedback", out / "fb", "--timeout", 1,
                               "--memory", 128, "--max-output", 5000, "--jobs", 2],
                              env={"GRADER_SECRET": "hunter2"})
    assert status == 0, stderr
    table = rows(out / "g.csv")
    assert table["good"]["ch1-gd-step"] == "1" and table["good"]["total"] == "2"
    for name, (_, phrase) in HOSTILE.items():
        assert table[name]["ch1-gd-step"] == "0", name
        assert table[name]["ch1-ravine-condition"] == "1", name           # the rest is graded
        page = (out / "fb" / f"{name}.html").read_text()
        assert phrase in page.replace("&#x27;", "'"), (name, page[-1500:])
        assert sum(1 for line in stderr.splitlines() if line.startswith(f"{name}: ch1-gd-step: ")) == 1, name
    page = (out / "fb" / "snoop.html").read_text()
    assert table["snoop"]["ch1-gd-step"] == "1"
    assert "secret: None" in page and "hunter2" not in page and "grader loaded: False" in page
    assert "files: []" in page and str(subs) not in page
    assert state(subs) == before


def test_the_child_process_has_limits_and_leaves_nothing_behind():
    ex = REGISTRY["ch1-gd-step"]
    source = ("import os\ndef step(theta, g, lr):\n    print(os.getcwd())\n    open('junk', 'w').write('x')\n"
              "    return theta - lr * g\n")
    run = run_student_source(source, "step", ex.cases, timeout=5)
    assert run.status[0] == "done" and ex.judge(run.status).correct
    workdir = run.printed.splitlines()[0]
    assert "coursecode-grade-" in workdir and not os.path.exists(workdir)
    assert run.limits["memory_mb"] == 256
    lam = run_student_source("lambda theta, g, lr: theta - lr * g", "<lambda>", ex.cases)
    assert ex.judge(lam.status).correct
    run = run_student_source(STEP, "step", ex.cases, context="import numpy as np\nSCALE = )")
    assert "imports and helpers recorded with your function has a syntax error" in ex.judge(run.status).message


# -- bad input ------------------------------------------------------------------------------------

def test_bad_input_never_stops_the_grader(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    five = {"ch1-ravine-condition": {"type": "text", "answer": "5"}}
    write(subs, "good.json", five, chapter="ch1")
    (subs / "notjson.json").write_text("{this is not json", encoding="utf-8")
    (subs / "latin1.json").write_bytes('{"ch1-ravine-condition": "fünf"}'.encode("latin-1"))
    (subs / "alist.json").write_text("[1, 2, 3]")
    (subs / "empty.json").write_text("")
    (subs / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    write(subs, "unknown.json", {**five, "ch99-nope": {"type": "text", "answer": "1"},
                                 "=cmd|' /C calc'!A0": {"type": "text", "answer": "1"}})
    write(subs, "wrongtype.json", {
        "ch1-ravine-condition": {"type": "number", "answer": [1, 2]},
        "ch1-gd-step": {"type": "code", "answer": 123},
        "ch1-cliff-jump": {"type": "a-type-nobody-knows", "answer": "3.8"},
        "ch1-ravine-largest-lr": {"type": "settings", "answer": "fast"},
        "ch1-normalize-inputs": {"type": "code", "answer": STEP, "function": "step"},
    })
    (subs / "wrongtype.json").write_text((subs / "wrongtype.json").read_text().replace(
        '"ch1-saddle-hessian"', '"x"'))
    data = demo.submission(five, version="0.0.1")
    data["schema_version"] = 99
    data["answers"]["ch1-saddle-hessian"] = "b"             # not an entry
    (subs / "oldversion.json").write_text(json.dumps(data))
    write(subs, "dave.json", five, when="2025-01-01T00:00:00Z")
    write(subs, "dave/answers-ch1.json", {"ch1-ravine-condition": {"type": "text", "answer": "0.2"}},
          when="2025-03-01T00:00:00Z")
    (subs / "dave" / "notes.txt").write_text("hello")
    (subs / "erin").mkdir()
    (subs / "frank.ipynb").write_text("{}")
    (subs / "gina.json").write_text(json.dumps({"ch1-ravine-condition": "5", "ch1-saddle-hessian": "a"}))
    (subs / "readme.txt").write_text("stray")
    (subs / ".DS_Store").write_bytes(b"\x00\x01")
    (subs / "link.json").symlink_to(subs / "good.json")
    os.mkfifo(subs / "pipe.json")                           # reading it would wait forever
    (subs / "copy.json").write_bytes((subs / "good.json").read_bytes())
    before = state(subs)
    status, _, stderr = grade([subs, "--out", out / "g.csv", "--feedback", out / "fb", "--exercises", "ch1"])
    assert status == 0, stderr
    table = rows(out / "g.csv")
    log = stderr.splitlines()

    def noted(student, phrase):
        assert phrase in table[student]["notes"], (student, table[student]["notes"])
        assert sum(1 for line in log if line.startswith(f"{student}: ") and phrase in line) == 1, (student, log)

    assert table["good"]["total"] == "1"
    noted("notjson", "is not JSON (line 1, column 2")
    noted("latin1", "is not UTF-8 text (byte 0xfc")
    noted("alist", "is JSON but not an answers file (a list)")
    noted("empty", "empty.json is empty")
    noted("deep", "could not be read as JSON (RecursionError)")
    for student in ("notjson", "latin1", "alist", "empty", "deep"):
        assert all(table[student][k] == "" for k in REGISTRY if k.startswith("ch1-"))
    noted("unknown", "2 unknown exercise ids ignored")
    assert table["unknown"]["ch1-ravine-condition"] == "1"
    assert not table["unknown"]["notes"].startswith(("=", "+", "-", "@"))
    wrong = table["wrongtype"]
    assert [wrong[k] for k in ("ch1-ravine-condition", "ch1-gd-step", "ch1-cliff-jump", "ch1-ravine-largest-lr",
                               "ch1-normalize-inputs")] == ["0"] * 5
    page = (out / "fb" / "wrongtype.html").read_text().replace("&#x27;", "'")
    for phrase in ("Give one number, not a list", "There is no code to grade", "unknown type",
                   "not a str", "was a function; this exercise asks for one of the options"):
        assert phrase in page, phrase
    noted("oldversion", "was written by coursecode '0.0.1'; graded with")
    noted("oldversion", "answers format version 99")
    assert table["oldversion"]["ch1-ravine-condition"] == "1" and table["oldversion"]["ch1-saddle-hessian"] == "0"
    noted("dave", "two submissions for dave")
    noted("dave", "ch1-ravine-condition is answered in dave/answers-ch1.json and in dave.json: the later check "
                  "(dave/answers-ch1.json) is graded")
    assert table["dave"]["ch1-ravine-condition"] == "0"      # the later check counts
    noted("dave", "dave/notes.txt ignored")
    noted("erin", "no answers file in erin/")
    noted("frank", "frank.ipynb is a notebook")
    noted("gina", "plain {id: answer} file")
    assert table["gina"]["ch1-ravine-condition"] == "1" and table["gina"]["ch1-saddle-hessian"] == "0"
    noted("copy", "byte-identical to a file of good")
    assert "byte-identical" not in (out / "fb" / "copy.html").read_text()   # for the instructor only
    for line in ("skipped readme.txt", "skipped .DS_Store", "skipped link.json (a symbolic link",
                 "skipped pipe.json (not a regular file)"):
        assert any(entry.startswith(line) for entry in log), line
    assert "link" not in table
    assert state(subs) == before


def test_an_empty_folder_and_usage_errors(tmp_path):
    (tmp_path / "subs").mkdir()
    status, _, stderr = grade([tmp_path / "subs", "--out", tmp_path / "g.csv"])
    assert status == 0 and "no submissions" in stderr
    assert (tmp_path / "g.csv").read_text().strip() == "student,total,possible,percent,notes"
    status, _, stderr = grade([tmp_path / "nowhere", "--out", tmp_path / "h.csv"])
    assert status == 2 and "is not a folder" in stderr and not (tmp_path / "h.csv").exists()
    status, _, stderr = grade([tmp_path / "subs", "--out", tmp_path / "subs" / "g.csv"])
    assert status == 2 and "inside SUBMISSIONS" in stderr and not list((tmp_path / "subs").iterdir())
    status, _, stderr = grade([tmp_path / "subs", "--out", tmp_path / "g.csv", "--exercises", "ch1,ch77"])
    assert status == 2 and "ch77" in stderr


def test_student_ids_from_lms_folder_names(tmp_path):
    five = {"ch1-ravine-condition": {"type": "text", "answer": "5"}}
    write(tmp_path / "subs", "jdoe_12345_assignsubmission_file_/answers-ch1.json", five)
    write(tmp_path / "subs", "asmith_67890_assignsubmission_file_/answers-ch1.json", five)
    status, _, stderr = grade([tmp_path / "subs", "--out", tmp_path / "g.csv", "--student-pattern", "^([^_]+)_"])
    assert status == 0, stderr
    assert sorted(rows(tmp_path / "g.csv")) == ["asmith", "jdoe"]


def test_grading_loads_no_plotting_library_unless_the_figure_is_asked_for(tmp_path):
    write(tmp_path / "subs", "alice.json", {"ch1-gd-step": code(STEP)}, chapter="ch1")
    script = textwrap.dedent(f"""
        import sys
        from coursecode.grade.cli import main
        assert main([{str(tmp_path / 'subs')!r}, "--out", {str(tmp_path / 'g.csv')!r}, "--quiet"]) == 0
        print(sorted(m for m in ("matplotlib", "ipywidgets", "coursecode.plots", "coursecode.widgets")
                     if m in sys.modules))
    """)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"
    assert rows(tmp_path / "g.csv")["alice"]["ch1-gd-step"] == "1"


def test_a_demo_class_grades_to_the_expected_verdicts(tmp_path):
    expected = demo.write_class(tmp_path / "subs", students=6, seed=3, hostile_share=0.5)
    status, _, stderr = grade([tmp_path / "subs", "--out", tmp_path / "g.csv", "--timeout", 1, "--quiet"])
    assert status == 0, stderr
    table = rows(tmp_path / "g.csv")
    for student, verdicts in expected.items():
        assert {k: table[student][k] for k in verdicts} == {k: str(int(v)) for k, v in verdicts.items()}, student


# -- from a notebook kernel to the gradebook --------------------------------------------------------

KERNEL_CELLS = [
    "import numpy as np\nfrom coursecode import exercises\nregistry = exercises.registry()\nshown = {}",
    # a helper and a constant, used by the function: the export must carry them
    "SCALE = 1.0\n\ndef scaled(lr):\n    return SCALE * lr\n\n"
    "def step(theta, g, lr):\n    return np.asarray(theta) - scaled(lr) * g",
    "def rmsprop_step(theta, g, s, lr, rho, eps):\n    s = rho * s + (1 - rho) * g**2\n"
    "    return theta - lr * g / np.sqrt(s) + eps, s  # eps in the wrong place",
    # the widgets, as a student clicks them
    "def click(key, value):\n    box = registry[key].widget()\n    box.answer_field.value = value\n"
    "    box.check_button.click()\n"
    "    shown[key] = '\\u2714 Correct.' in box.feedback.value",
    "click('ch1-gd-step', 'step')\nclick('ch4-rmsprop-step', 'rmsprop_step')\nclick('ch1-ravine-condition', '0.2')\n"
    "click('ch1-ravine-condition', '5')\nclick('ch1-cliff-jump', '1/0')\nclick('ch3-kappa', '80')",
    "box = registry['ch1-normalize-inputs'].widget()\nbox.answer_field.value = box.answer_field.options[1]\n"
    "box.check_button.click()\nshown['ch1-normalize-inputs'] = '\\u2714' in box.feedback.value",
    # and without widgets
    "shown['ch5-beta2'] = registry['ch5-beta2'].check('e').correct\n"
    "shown['ch2-memory'] = registry['ch2-memory'].check(b'20').correct\n"
    "shown['ch2-nesterov-step'] = registry['ch2-nesterov-step'].check(\n"
    "    lambda theta, v, g, lr, beta: (theta, v)).correct\n"
    "shown['ch1-ravine-largest-lr'] = registry['ch1-ravine-largest-lr'].check("
    "{'problem': 'ravine', 'optimizer': 'gd', 'lr': 0.19}).correct",
    "import json\nprint(json.dumps(shown))",
    "exercises.export(chapter='ch1')",
]


def test_an_export_from_a_notebook_kernel_grades_to_the_verdicts_the_widgets_gave(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in KERNEL_CELLS])
    work = tmp_path / "student"
    work.mkdir()
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(work)}}).execute()
    shown = json.loads(nb.cells[-2].outputs[0]["text"])
    printed = nb.cells[-1].outputs[0]["text"]
    assert printed.startswith(f"wrote answers-ch1.json: {len(shown)} answers")
    exported = json.loads((work / "answers-ch1.json").read_text())
    assert {k: e["correct"] for k, e in exported["answers"].items()} == shown
    assert shown["ch1-gd-step"] and not shown["ch4-rmsprop-step"] and shown["ch1-ravine-condition"]
    assert shown["ch2-memory"] and exported["answers"]["ch2-memory"]["type"] == "bytes"
    step = exported["answers"]["ch1-gd-step"]
    assert "def scaled(lr):" in step["context"] and "SCALE = 1.0" in step["context"]
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.json").write_bytes((work / "answers-ch1.json").read_bytes())
    status, _, stderr = grade([subs, "--out", tmp_path / "g.csv", "--feedback", tmp_path / "fb",
                               "--exercises", ",".join(shown)])
    assert status == 0, stderr
    alice = rows(tmp_path / "g.csv")["alice"]
    assert {k: alice[k] for k in shown} == {k: str(int(v)) for k, v in shown.items()}
    assert "graded differently" not in alice["notes"]
    messages = (tmp_path / "fb" / "alice.html").read_text()
    import html

    for key, entry in exported["answers"].items():
        assert html.escape(entry["message"]) in messages, key   # the same feedback as in the notebook
