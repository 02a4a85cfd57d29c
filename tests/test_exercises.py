"""coursecode.exercises: every exercise checked with right, wrong and garbage answers.

Garbage (empty, text, NaN, inf, lists, dicts, huge numbers, code, None, bytes,
objects) always gets a message and never a traceback; nothing typed is
evaluated; a student's function that raises, loops forever, prints, returns the
wrong thing or changes its input gets specific feedback. The widgets check what
the fields hold when Check is pressed. One registry holds every chapter's and the
appendix's exercises, and grading imports no plotting library.
"""
from __future__ import annotations

import ast
import builtins
import importlib
import math
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("MPLBACKEND", "Agg")

import ipywidgets as W  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from coursecode import exercises as E  # noqa: E402
from coursecode import widgets  # noqa: E402
from coursecode.exercises import sandbox  # noqa: E402

# the module, which the function of the same name hides as an attribute of the package
REGISTRY_MODULE = importlib.import_module("coursecode.exercises.registry")

REGISTRY = E.registry()
IDS = list(REGISTRY)

GARBAGE = [None, "", "   ", "abc", "five", "nan", "NaN", "inf", "-inf", float("nan"), float("inf"),
           -float("inf"), 1e308 * 10, 10**400, "1e999", [1, 2], [], (5,), {"a": 1}, {}, {5}, True, False,
           3 + 4j, np.array([5.0]), "x" * 100_000, b"\xff\xfe", object(), "1/0", "5; import os",
           "__import__('os').system('echo pwned')", "lambda: 5", "exec('x=1')", "2**1000", "1,5",
           type("Cls", (), {}), print]


def right_answers(ex):
    """Answers that must be accepted, derived from the exercise (or None if unknown)."""
    if isinstance(ex, E.NumericExercise):
        return [ex.answer, repr(ex.answer), f"  {ex.answer!r}  "]
    if isinstance(ex, E.ChoiceExercise):
        i = next(k for k, (_, ok, _) in enumerate(ex.options) if ok)
        return [ex.letters[i], ex.letters[i].upper(), f"({ex.letters[i]})", i, ex.options[i][0],
                ex.labels()[i]]
    if isinstance(ex, E.UpdateExercise):
        return [ex.reference]
    if isinstance(ex, E.SliderTask):
        return [ex.solution] if ex.solution is not None else None
    raise AssertionError(f"unknown kind {type(ex)}")


def wrong_answers(ex):
    if isinstance(ex, E.NumericExercise):
        far = 1 + 10 * abs(ex.answer)  # outside any tolerance around the answer
        return [ex.answer + far, ex.answer - far, str(ex.answer + far)]
    if isinstance(ex, E.ChoiceExercise):
        return [ex.letters[k] for k, (_, ok, _) in enumerate(ex.options) if not ok]
    if isinstance(ex, E.UpdateExercise):
        return [lambda *args: None, lambda *args: args[0], lambda *args: "theta",
                lambda *args: 1 / 0]
    if isinstance(ex, E.SliderTask):
        return []
    raise AssertionError


def test_ids_have_a_chapter_prefix_and_chapter_one_is_there():
    assert all(re.fullmatch(r"(ch\d+|appx)-[a-z0-9-]+", i) for i in IDS)
    assert len(IDS) == len(set(IDS))
    ch1 = {"ch1-ravine-condition", "ch1-ravine-max-lr", "ch1-normalize-inputs", "ch1-saddle-hessian",
           "ch1-cliff-jump", "ch1-ravine-largest-lr", "ch1-saddle-start", "ch1-gd-step"}
    assert ch1 <= set(IDS)
    kinds = {type(REGISTRY[i]) for i in ch1}
    assert kinds == {E.NumericExercise, E.ChoiceExercise, E.SliderTask, E.UpdateExercise}
    order = [(REGISTRY[i].chapter is None, REGISTRY[i].chapter or 0) for i in IDS]
    assert order == sorted(order)  # chapter by chapter, the appendix last


# -- the one registry ------------------------------------------------------------------------

def test_the_registry_holds_every_homework_module_in_order():
    modules = REGISTRY_MODULE.homework_modules()
    names = [m.__name__.rpartition(".")[2] for m in modules]
    chapters = sorted((n for n in names if n.startswith("ch")), key=lambda n: int(n[2:]))
    assert names == chapters + ["appx"] and chapters[:9] == [f"ch{k}" for k in range(1, 10)]
    assert chapters == [f"ch{k}" for k in range(1, len(chapters) + 1)]       # no chapter left out
    expected = [ex.id for m in modules for ex in m.exercises()]
    assert IDS == expected
    results = E.grade({"appx-radam-warmup": "5", "ch1-ravine-condition": "5"})
    assert all(r.correct for r in results.values()), results


def test_the_registry_refuses_a_repeated_or_misnamed_id(monkeypatch):
    def module(name, *ids):
        return SimpleNamespace(__name__=f"coursecode.homework.{name}",
                               exercises=lambda: [E.NumericExercise(i, "t", "p", answer=1) for i in ids])

    def build(*modules):
        monkeypatch.setattr(REGISTRY_MODULE, "homework_modules", lambda: list(modules))
        return REGISTRY_MODULE._build()

    assert list(build(module("ch1", "ch1-a"), module("appx", "appx-a"))) == ["ch1-a", "appx-a"]
    with pytest.raises(ValueError, match="ids look like 'ch2-some-name'"):
        build(module("ch1", "ch1-a"), module("ch2", "ch1-a"))
    with pytest.raises(ValueError, match="ids look like 'appx-some-name'"):
        build(module("appx", "ch1-b"))
    with pytest.raises(ValueError, match="Two exercises have the id 'ch1-a'"):
        build(module("ch1", "ch1-a", "ch1-a"))
    with pytest.raises(TypeError, match="no exercises"):
        build(SimpleNamespace(__name__="coursecode.homework.helpers"))


GRADE_IN_A_SCRIPT = textwrap.dedent("""
    import sys
    import coursecode, coursecode.learning, coursecode.exercises as e

    def step(theta, g, lr):
        return theta - lr * g

    answers = {"ch1-ravine-condition": "5", "ch1-saddle-hessian": "b", "ch1-gd-step": step,
               "ch1-ravine-largest-lr": {"problem": "ravine", "optimizer": "gd", "lr": 0.19},
               "ch1-saddle-start": {"problem": "saddle", "optimizer": "gd", "lr": 0.1, "x0": -1.2, "y0": 0.0},
               "appx-radam-warmup": "5", "appx-lion-step": e.registry()["appx-lion-step"].reference}
    results = e.grade(answers)
    assert all(r.correct for r in results.values()), {k: r.message for k, r in results.items()}
    assert e.check("ch2-memory", "20").correct
    kinds = {type(x).__name__ for x in e.registry().values() if x.id in answers}
    assert kinds == {"NumericExercise", "ChoiceExercise", "UpdateExercise", "SliderTask"}, kinds
    # the book's static fallback needs no widget either
    assert all("cc-exercise-static" in x.static_html() for x in e.registry().values())
    loaded = sorted(m for m in ("matplotlib", "ipywidgets", "coursecode.widgets", "coursecode.plots")
                    if m in sys.modules)
    print("graded", len(results), "answers of", len(kinds), "kinds; loaded:", loaded)
    assert 'matplotlib' not in sys.modules and 'ipywidgets' not in sys.modules, loaded
    assert not loaded, loaded
""")


def test_grading_in_a_plain_script_imports_no_plotting_library():
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    proc = subprocess.run([sys.executable, "-c", GRADE_IN_A_SCRIPT], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "loaded: []" in proc.stdout


@pytest.mark.parametrize("exercise_id", IDS)
def test_right_answers_are_accepted(exercise_id):
    ex = REGISTRY[exercise_id]
    answers = right_answers(ex)
    if answers is None:
        pytest.skip(f"{exercise_id} records no solution")
    for answer in answers:
        feedback = ex.check(answer)
        assert feedback.correct, (answer, feedback.message)
        assert feedback.message


@pytest.mark.parametrize("exercise_id", IDS)
def test_wrong_answers_are_rejected_with_a_reason(exercise_id):
    ex = REGISTRY[exercise_id]
    for answer in wrong_answers(ex):
        feedback = ex.check(answer)
        assert not feedback.correct, (answer, feedback.message)
        assert len(feedback.message) > 15


@pytest.mark.parametrize("exercise_id", IDS)
def test_garbage_gets_feedback_and_nothing_is_evaluated(exercise_id, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("a student's answer was evaluated")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    ex = REGISTRY[exercise_id]
    for answer in GARBAGE:
        feedback = ex.check(answer)
        assert isinstance(feedback, E.Feedback)
        assert feedback.correct is False, (answer, feedback.message)
        assert isinstance(feedback.message, str) and feedback.message


# -- numbers ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [("5", 5.0), (" 0.2 ", 0.2), ("2e-1", 0.2), ("1/5", 0.2),
                                         (" -3 / 4 ", -0.75), ("\u22120.5", -0.5), (".5", 0.5), (7, 7.0),
                                         (np.float32(0.5), 0.5), (np.int64(3), 3.0)])
def test_parse_number_reads_plain_numbers(text, value):
    assert E.parse_number(text) == (pytest.approx(value), "")


@pytest.mark.parametrize("text, phrase", [("", "empty"), (None, "No answer"), ("nan", "NaN"),
                                          ("inf", "infinite"), (10**400, "too large"), ("1/0", "divides by zero"),
                                          ("2**3", "not a number"), ("x" * 61, "too long"), ([1], "not a list"),
                                          (True, "True or False"), (1j, "complex")])
def test_parse_number_explains_what_is_not_a_number(text, phrase):
    value, why = E.parse_number(text)
    assert value is None and phrase in why


def test_numeric_feedback_is_specific():
    ex = REGISTRY["ch1-ravine-condition"]
    assert "λmin / λmax" in ex.check("0.2").message
    assert "λmax" in ex.check("10").message
    assert "ellipses" in ex.check(str(math.sqrt(5))).message
    assert ex.check("10/2").correct
    lr = REGISTRY["ch1-ravine-max-lr"]
    assert "2/λmin" in lr.check(1).message
    assert "too large" in lr.check("0.3").message
    assert "too small" in lr.check("0.05").message
    assert "best fixed step" in lr.check("1/6").message


def test_choice_accepts_letters_text_and_index_only():
    ex = REGISTRY["ch1-saddle-hessian"]
    assert ex.check("b").correct and ex.check(" (B) ").correct and ex.check(1).correct
    assert ex.check("One positive, one negative.").correct
    assert "minimum" in ex.check("a").message
    assert "no option number 7" in ex.check(7).message
    assert "not one of the options" in ex.check("z").message


def test_ids_must_be_unique_and_prefixed():
    with pytest.raises(ValueError, match="exactly one"):
        E.ChoiceExercise("ch1-x", "t", "p", [("a", True, ""), ("b", True, "")])
    assert not E.check("no-such-id", "5").correct
    assert not E.check(None, "5").correct


# -- slider tasks ----------------------------------------------------------------------------

def test_ravine_largest_lr_task():
    ex = REGISTRY["ch1-ravine-largest-lr"]
    base = {"problem": "ravine", "optimizer": "gd"}
    assert ex.check({**base, "lr": 0.19}).correct
    assert ex.check({**base, "lr": "0.185"}).correct
    assert "diverges" in ex.check({**base, "lr": 0.25}).message
    assert "oscillates" in ex.check({**base, "lr": 0.2}).message
    assert "larger learning rate" in ex.check({**base, "lr": 0.1}).message
    assert "choose 'ravine'" in ex.check({**base, "problem": "bowl", "lr": 0.19}).message
    assert "choose 'gd'" in ex.check({**base, "optimizer": "adam", "lr": 0.19}).message
    assert "missing" in ex.check({"problem": "ravine"}).message
    assert "must be one of" in ex.check({**base, "problem": "moon", "lr": 0.19}).message
    assert "lr:" in ex.check({**base, "lr": "fast"}).message


def test_saddle_start_task():
    ex = REGISTRY["ch1-saddle-start"]
    base = {"problem": "saddle", "optimizer": "gd", "lr": 0.1, "x0": -1.2}
    assert ex.check({**base, "y0": 0.0}).correct
    assert ex.check({**base, "y0": 1e-15}).correct  # what a slider at "0" may really hold
    assert "minimum" in ex.check({**base, "y0": 0.3}).message
    assert "diverged" in ex.check({**base, "lr": 5.0, "y0": 0.0}).message
    assert "not yet at the saddle" in ex.check({**base, "lr": 1e-4, "y0": 0.0}).message


def test_slider_task_reads_an_explorer():
    ex = REGISTRY["ch1-ravine-largest-lr"]
    explorer = widgets.build("landscape", problem="ravine", optimizer="gd", lr=0.19)
    assert ex.check(explorer).correct
    explorer.update(lr=0.3)
    assert not ex.check(explorer).correct
    explorer.close()


# -- write the update ------------------------------------------------------------------------

def step(theta, g, lr):
    return theta - lr * g


def test_gd_step_right_and_typical_mistakes():
    ex = REGISTRY["ch1-gd-step"]
    assert ex.check(step).correct

    def printing(theta, g, lr):
        print("hello from the student")
        return theta - lr * g

    def inplace(theta, g, lr):
        theta -= lr * g
        return theta

    def uphill(theta, g, lr):
        return theta + lr * g

    def no_return(theta, g, lr):
        theta - lr * g  # noqa: B018

    def typo(theta, g, lr):
        return thetaa - lr * g  # noqa: F821

    def flat(theta, g, lr):
        return np.ravel(theta - lr * g)

    def quits(theta, g, lr):
        sys.exit(3)

    assert ex.check(printing).correct
    assert "in place" in ex.check(inplace).message
    assert "uphill" in ex.check(uphill).message
    assert "return statement" in ex.check(no_return).message
    message = ex.check(typo).message
    assert "NameError" in message and "thetaa" in message and "line" in message
    assert "shape" in ex.check(flat).message
    assert "SystemExit" in ex.check(quits).message
    assert "not text" in ex.check("def step(theta, g, lr): return theta - lr * g").message
    assert "not a class" in ex.check(dict).message
    assert "TypeError" in ex.check(lambda theta: theta).message  # wrong number of arguments


def test_a_function_that_never_returns_is_stopped(monkeypatch):
    ex = REGISTRY["ch1-gd-step"]
    monkeypatch.setattr(ex, "timeout", 0.5)

    def forever(theta, g, lr):
        while True:
            pass

    feedback = ex.check(forever)
    assert not feedback.correct and "longer than 0.5 s" in feedback.message


def test_the_thread_fallback_also_times_out(monkeypatch):
    monkeypatch.setattr(sandbox, "_can_fork", lambda: False)
    status = E.run_student_function(lambda: sum(range(10)), [()], timeout=1.0)
    assert status == ("done", [("ok", 45, [])])
    stop = []

    def slow():
        while not stop:
            pass

    assert E.run_student_function(slow, [()], timeout=0.2) == ("timeout", 0.2)
    stop.append(True)


# -- widgets -----------------------------------------------------------------------------------

def test_numeric_widget_checks_the_field():
    box = REGISTRY["ch1-ravine-condition"].widget()
    assert isinstance(box, W.VBox)
    box.answer_field.value = "0.2"
    box.check_button.click()
    assert "Not yet" in box.feedback.value and "λmin / λmax" in box.feedback.value
    box.answer_field.value = " 5 "
    box.check_button.click()
    assert "Correct" in box.feedback.value


def test_choice_widget_uses_radio_buttons():
    ex = REGISTRY["ch1-normalize-inputs"]
    box = ex.widget()
    assert isinstance(box.answer_field, W.RadioButtons) and box.answer_field.value is None
    box.check_button.click()
    assert "No option chosen" in box.feedback.value
    box.answer_field.value = ex.labels()[1]
    box.check_button.click()
    assert "Correct" in box.feedback.value


def test_slider_task_widget_checks_its_explorer():
    box = REGISTRY["ch1-ravine-largest-lr"].widget()
    box.check_button.click()
    assert "Not yet" in box.feedback.value  # it starts on the bowl
    box.explorer.update(problem="ravine", optimizer="gd", lr=0.19)
    box.check_button.click()
    assert "Correct" in box.feedback.value
    box.explorer.close()


def test_update_widget_looks_the_function_up_by_name(monkeypatch):
    box = REGISTRY["ch1-gd-step"].widget()
    main = sys.modules["__main__"]
    monkeypatch.delattr(main, "step", raising=False)
    box.check_button.click()
    assert "no function 'step'" in box.feedback.value
    monkeypatch.setattr(main, "step", step, raising=False)
    box.check_button.click()
    assert "Correct" in box.feedback.value
    box.answer_field.value = "os.system('x')"
    box.check_button.click()
    assert "not a function name" in box.feedback.value


@pytest.mark.parametrize("exercise_id", IDS)
def test_every_exercise_has_a_widget_and_a_static_fallback(exercise_id):
    ex = REGISTRY[exercise_id]
    bundle = ex._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"]
    assert exercise_id in bundle["text/html"] and "http" not in bundle["text/html"]
    assert "Check" in bundle["text/plain"]
    if not isinstance(ex, E.SliderTask):  # a slider task's widget builds an explorer: tested above
        box = ex.widget()
        box.check_button.click()
        assert "Not yet" in box.feedback.value or "Correct" in box.feedback.value


def test_grade_for_autograding():
    results = E.grade({"ch1-ravine-condition": "5", "ch1-ravine-max-lr": "0.5", "nope": 1})
    assert [r.correct for r in results.values()] == [True, False, False]
    assert "Correct" in results["ch1-ravine-condition"].to_html()


def test_static_pages_never_hint_at_an_answer():
    """The example call on a static page is a placeholder, never an option or a number that could be right."""
    for ex in E.registry().values():
        html_text = ex.static_html()
        call = re.search(r"\.check\(([^)]*)\)", html_text).group(1)
        assert call in ("&quot;your number&quot;", "&quot;your letter&quot;", "explorer") or \
            call == getattr(ex, "function_name", None), (ex.id, call)


def test_update_widget_says_a_template_is_not_written_yet(monkeypatch):
    box = REGISTRY["ch1-gd-step"].widget()

    def template(theta, g, lr):
        raise NotImplementedError("step is not written yet: replace this line with your code")

    monkeypatch.setattr(sys.modules["__main__"], "step", template, raising=False)
    box.check_button.click()
    assert "not written yet" in box.feedback.value and "Correct" not in box.feedback.value



def _templates():
    """Every 'your code' cell of the chapters that defines a function (not a solution)."""
    import nbformat

    for path in sorted((Path(__file__).resolve().parent.parent / "chapters").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if (cell.cell_type == "code" and "your code" in cell.source.lower() and "def " in cell.source
                    and "solution" not in cell.metadata.get("tags", [])):
                yield path.name, ast.parse(cell.source)


def test_every_write_it_yourself_template_raises_until_written():
    """Run All must neither make a check pass nor stop before the student writes anything: a
    template's body raises NotImplementedError, and nothing in its cell calls it."""
    found = list(_templates())
    assert len(found) >= 10
    for name, tree in found:
        (func,) = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
        raises = [node for node in func.body if isinstance(node, ast.Raise)]
        assert raises and "NotImplementedError" in ast.unparse(raises[-1]), (name, func.name)
        called = {n.id for node in tree.body if node is not func for n in ast.walk(node) if isinstance(n, ast.Name)}
        assert func.name not in called, f"{name}: the template cell calls {func.name}, which raises"


def test_chapter_checks_of_a_template_run_until_written():
    """A chapter's own check of a function the student writes (a cell that calls it, outside a
    solution) wraps the call in ``until_written()``: in the student edition, where the template
    still raises, Run All goes on."""
    import nbformat

    checked = 0
    for path in sorted((Path(__file__).resolve().parent.parent / "chapters").glob("*.ipynb")):
        templates = set()
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code" or "solution" in cell.metadata.get("tags", []):
                continue
            tree = ast.parse(cell.source)
            if "your code" in cell.source.lower() and "def " in cell.source:
                templates |= {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
                continue
            for node in tree.body:
                if isinstance(node, ast.FunctionDef):
                    continue
                names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
                if names & templates:
                    checked += 1
                    assert isinstance(node, ast.With) and "until_written" in ast.unparse(node.items[0]), (
                        path.name, ast.unparse(node)[:80])
    assert checked >= 5
