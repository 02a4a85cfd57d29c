"""The student's side of handing in: every check is recorded, and exercises.export writes it.

Recorded: the last answer per exercise id, with the verdict and the message of
that check; text, numbers (NaN and infinities as strings: the file is strict
JSON), options, slider settings (from a dict or an explorer's controls), and
functions as their source text with what they use from their module (imports,
plain values, helper functions), never pickled. A lambda is cut out of its line;
a function without source gets a note. Recording never breaks a check and
evaluates nothing. ``export`` writes answers-<chapter>.json (chapter given or
read from the ids), prints one line that is the same on every run, downloads on
Colab, needs no widgets, and every chapter notebook (and its student copy) ends
with the cell that calls it.
"""
from __future__ import annotations

import builtins
import importlib.util
import json
import math
import re
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import numpy as np
import pytest

from coursecode import exercises as E
from coursecode.exercises import record

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = E.registry()
# every chapter notebook "NN_name" (chapter NN) with exercises, and the appendix that has them
CHAPTER_IDS = {p.stem: f"ch{int(p.stem[:2])}" for p in sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))}
CHAPTER_IDS["appendix_beyond_adam"] = "appx"
CHAPTER_IDS = {stem: ch for stem, ch in CHAPTER_IDS.items() if any(k.startswith(ch + "-") for k in REGISTRY)}


@pytest.fixture(autouse=True)
def fresh_log():
    record.clear()
    yield
    record.clear()


def load_module(tmp_path, name, text):
    """A module from a real file, so that inspect finds its functions' source."""
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(text))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def strict_json(text):
    def refuse(name):
        raise ValueError(f"not strict JSON: {name}")

    return json.loads(text, parse_constant=refuse)


# -- recording ------------------------------------------------------------------------------------

def test_every_check_is_recorded_and_the_last_one_wins():
    ex = REGISTRY["ch1-ravine-condition"]
    first = ex.check("0.2")
    assert record.answers()["ch1-ravine-condition"]["answer"] == "0.2"
    assert record.answers()["ch1-ravine-condition"]["correct"] is False
    assert record.answers()["ch1-ravine-condition"]["message"] == first.message
    ex.check("5")
    entry = record.answers()["ch1-ravine-condition"]
    assert (entry["type"], entry["answer"], entry["correct"]) == ("text", "5", True)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry["checked_utc"])
    E.check("ch2-memory", 20)                     # by id, and through grade()
    E.grade({"ch5-beta2": "a"})
    assert list(record.answers()) == ["ch1-ravine-condition", "ch2-memory", "ch5-beta2"]
    assert record.answers()["ch2-memory"] == {**record.answers()["ch2-memory"], "type": "number", "answer": 20}


def test_each_kind_of_answer_is_stored_as_given():
    cases = {
        "ch1-cliff-jump": (3.795, "number", 3.795),
        "ch1-normalize-inputs": (1, "number", 1),                 # an option by its index
        "ch1-saddle-hessian": ("(b)", "text", "(b)"),
        "ch3-kappa": (np.float64(80.0), "number", 80.0),
        "ch2-memory": (float("nan"), "number", "nan"),
        "ch2-stable-lr": (-math.inf, "number", "-inf"),
        "ch2-optimal-beta": (None, "none", None),
        "ch4-first-step": (True, "bool", True),
        "ch1-ravine-largest-lr": ({"problem": "ravine", "optimizer": "gd", "lr": np.float32(0.19)}, "settings",
                                  {"problem": "ravine", "optimizer": "gd", "lr": float(np.float32(0.19))}),
        "ch6-bias-m1": ([1, 2], "other", "[1, 2]"),
        "ch6-nsr-step": (10**400, "other", None),
        "ch6-sparse-bound": (b"3.16", "bytes", "3.16"),
        "ch6-worst-step": (b"\xff", "other", None),
    }
    for key, (answer, kind, stored) in cases.items():
        REGISTRY[key].check(answer)
        entry = record.answers()[key]
        assert entry["type"] == kind, (key, entry)
        if stored is not None:
            assert entry["answer"] == stored, (key, entry)
    assert record.answers()["ch6-nsr-step"]["python_type"] == "int"
    strict_json(json.dumps(record.answers()))


def test_an_explorer_is_recorded_as_its_control_values():
    controls = {"problem": types.SimpleNamespace(value="ravine"), "optimizer": types.SimpleNamespace(value="gd"),
                "lr": types.SimpleNamespace(value=0.19)}
    explorer = types.SimpleNamespace(controls=controls)
    assert REGISTRY["ch1-ravine-largest-lr"].check(explorer).correct
    entry = record.answers()["ch1-ravine-largest-lr"]
    assert entry["type"] == "settings" and entry["answer"] == {"problem": "ravine", "optimizer": "gd", "lr": 0.19}


def test_a_function_is_stored_as_its_source_with_what_it_uses(tmp_path):
    module = load_module(tmp_path, "student_step", """
        import numpy as np
        from math import sqrt as root

        SCALE = 1.0
        SHAPE = (2, 3)

        def _rate(lr):
            return SCALE * lr

        def step(theta, g, lr):
            return np.asarray(theta) - _rate(lr) * g * root(1.0)
    """)
    assert REGISTRY["ch1-gd-step"].check(module.step).correct
    entry = record.answers()["ch1-gd-step"]
    assert entry["type"] == "code" and entry["function"] == "step"
    assert entry["answer"].startswith("def step(theta, g, lr):")
    context = entry["context"]
    for line in ("import numpy as np", "from math import sqrt as root", "SCALE = 1.0", "def _rate(lr):"):
        assert line in context, context
    assert "SHAPE" not in context            # only what the function reads
    assert "notes" not in entry
    assert "pickle" not in json.dumps(entry)


def test_a_lambda_is_cut_out_and_a_function_without_source_gets_a_note():
    REGISTRY["ch1-gd-step"].check(lambda theta, g, lr: theta - lr * g)
    entry = record.answers()["ch1-gd-step"]
    assert entry["function"] == "<lambda>" and entry["answer"] == "lambda theta, g, lr: theta - lr * g"
    namespace = {}
    exec("def step(theta, g, lr):\n    return theta - lr * g\n", namespace)  # no file: no source
    assert REGISTRY["ch1-gd-step"].check(namespace["step"]).correct
    entry = record.answers()["ch1-gd-step"]
    assert entry["answer"] is None and "not available" in entry["notes"][0]
    REGISTRY["ch1-gd-step"].check(print)       # a builtin: no source either
    assert record.answers()["ch1-gd-step"]["type"] == "code"


def test_the_widget_records_what_it_checked(monkeypatch):
    box = REGISTRY["ch3-kappa"].widget()
    box.answer_field.value = "80"
    box.check_button.click()
    assert record.answers()["ch3-kappa"]["answer"] == "80" and record.answers()["ch3-kappa"]["correct"]
    box = REGISTRY["ch1-gd-step"].widget()
    box.answer_field.value = "no_such_function_anywhere"
    box.check_button.click()
    entry = record.answers()["ch1-gd-step"]
    assert entry["type"] == "missing" and entry["answer"] == "no_such_function_anywhere"
    assert entry["correct"] is False and "no function" in entry["message"]


def test_recording_never_breaks_a_check_and_evaluates_nothing(monkeypatch):
    class Hostile:
        def __repr__(self):
            raise RuntimeError("no repr for you")

    def forbidden(*args, **kwargs):
        raise AssertionError("a student's answer was evaluated")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    for answer in (Hostile(), "__import__('os').system('echo pwned')", "x" * 200_000, b"\xff", {"a": object()}):
        feedback = REGISTRY["ch1-ravine-condition"].check(answer)
        assert feedback.correct is False
        assert "ch1-ravine-condition" in record.answers()
    entry = record.answers()["ch1-ravine-condition"]
    assert entry["type"] == "other" and entry["python_type"] == "dict"
    REGISTRY["ch1-ravine-condition"].check("x" * 200_000)
    entry = record.answers()["ch1-ravine-condition"]
    assert len(entry["answer"]) == record.MAX_TEXT and "first" in entry["notes"][0]


def test_paused_checks_are_not_recorded():
    with record.paused():
        REGISTRY["ch1-ravine-condition"].check("5")
    assert record.answers() == {}
    REGISTRY["ch1-ravine-condition"].check("5")
    assert list(record.answers()) == ["ch1-ravine-condition"]


# -- export ---------------------------------------------------------------------------------------

def test_export_writes_the_file_a_grader_reads(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    REGISTRY["ch5-beta2"].check("b")
    REGISTRY["ch5-first-step"].check("0.001")
    REGISTRY["ch1-ravine-condition"].check("5")
    path = E.export(chapter="ch5")
    assert path == "answers-ch5.json"
    assert capsys.readouterr().out == "wrote answers-ch5.json: 3 answers (2 correct when checked)\n"
    data = strict_json((tmp_path / path).read_text(encoding="utf-8"))
    assert data["schema"] == record.SCHEMA and data["schema_version"] == record.SCHEMA_VERSION
    import coursecode

    assert data["coursecode_version"] == coursecode.__version__ and data["chapter"] == "ch5"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["created_utc"])
    assert list(data["answers"]) == ["ch1-ravine-condition", "ch5-first-step", "ch5-beta2"]  # the book's order
    assert data["answers"]["ch5-beta2"]["correct"] is False
    assert not list(tmp_path.glob(".answers-*"))  # the temporary file was renamed


def test_export_names_the_chapter_and_prints_the_same_line_every_time(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert E.export() == "answers-none.json"
    assert E.export(chapter="ch5") == "answers-ch5.json"
    assert capsys.readouterr().out == ("wrote answers-none.json: 0 answers\n"
                                       "wrote answers-ch5.json: 0 answers\n")
    REGISTRY["ch2-memory"].check("20")
    assert E.export() == "answers-ch2.json"
    assert E.export(chapter=7) == "answers-ch7.json"
    REGISTRY["appx-radam-warmup"].check("5")
    assert E.export() == "answers-mixed.json"
    folder = tmp_path / "handin"
    folder.mkdir()
    assert E.export(folder, chapter="appx") == str(folder / "answers-appx.json")
    assert E.export(str(tmp_path / "mine.json")).endswith("mine.json")
    for bad in ("../x", "ch 5", "", 5.5, True):
        with pytest.raises(ValueError, match="chapter"):
            E.export(chapter=bad)
    out = capsys.readouterr().out
    assert "20" not in out.split("answers")[0]  # no timestamp, nothing but the name and the counts


def test_on_colab_the_file_is_also_downloaded(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    downloads = []
    colab = types.ModuleType("google.colab")
    colab.files = types.SimpleNamespace(download=downloads.append)
    google = types.ModuleType("google")
    google.colab = colab
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    E.export(chapter="ch1")
    assert downloads == ["answers-ch1.json"]
    assert "downloads" in capsys.readouterr().out


def test_export_works_without_widgets(tmp_path):
    script = textwrap.dedent("""
        import sys
        sys.modules["ipywidgets"] = None          # importing it fails, as where it is not installed
        from coursecode import exercises
        exercises.registry()["ch1-ravine-condition"].check("5")
        exercises.export(chapter="ch1")
        print(sorted(m for m in ("matplotlib", "ipywidgets") if sys.modules.get(m)))
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["wrote answers-ch1.json: 1 answer (1 correct when checked)", "[]"]
    assert json.loads((tmp_path / "answers-ch1.json").read_text())["answers"]["ch1-ravine-condition"]["correct"]


# -- the chapters ---------------------------------------------------------------------------------

def chapter_notebooks():
    return [ROOT / "chapters" / f"{stem}.ipynb" for stem in CHAPTER_IDS
            if (ROOT / "chapters" / f"{stem}.ipynb").exists()]


def last_code_cell(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"][-1]


def source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.stem)
def test_every_chapter_ends_with_the_export_cell(path):
    nb = json.loads(path.read_text())
    chapter = CHAPTER_IDS[path.stem]
    assert any(k.startswith(chapter + "-") for k in REGISTRY), chapter
    cell = nb["cells"][-1]
    assert cell["cell_type"] == "code", "the export cell is the notebook's last cell"
    text = source(cell)
    assert text.splitlines()[0].startswith("# Hand in your answers")
    assert f'exercises.export(chapter="{chapter}")' in text
    printed = "".join("".join(o.get("text", "")) for o in cell["outputs"] if o["output_type"] == "stream")
    assert re.fullmatch(rf"wrote answers-{chapter}\.json: \d+ answers?( \(\d+ correct when checked\))?\n", printed), \
        printed
    assert "/" not in printed and not re.search(r"\d\d:\d\d", printed)


def test_student_copies_keep_the_export_cell(tmp_path):
    spec = importlib.util.spec_from_file_location("make_student", ROOT / "tools" / "make_student.py")
    ms = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ms)
    notebooks = chapter_notebooks()
    assert ms.main(["--out", str(tmp_path), *map(str, notebooks)]) == 0
    for path in notebooks:
        copy = json.loads((tmp_path / path.name).read_text())
        cell = last_code_cell(copy)
        assert f'exercises.export(chapter="{CHAPTER_IDS[path.stem]}")' in source(cell), path.name
        assert not cell["outputs"]
