"""A class to try the grader on: right, wrong and hostile submissions for every exercise of the book.

    python -m coursecode.grade.demo DEMO --students 30     # writes DEMO/student000.json, ...
    python -m coursecode.grade DEMO --out grades.csv --feedback feedback/ --figure class.png

Each student answers every exercise of the registry (the book's, the appendix's
and any chapter added later), each answer right with a probability drawn per
student; a share of the students also hands in one hostile code answer (an
endless loop, a memory bomb, an output flood, a syntax error, ...). Right code
answers are the exercises' own reference functions as source text, with what
they import, exactly as ``exercises.export`` records a function; the files are
in the format ``export`` writes. The benchmark and the tests use it too.
"""
from __future__ import annotations

import argparse
import itertools
import json
import random
from pathlib import Path

import numpy as np

from ..exercises import ChoiceExercise, NumericExercise, SliderTask, UpdateExercise, record
from ..exercises.registry import registry

HOSTILE = {
    "endless loop": "def {name}(*args):\n    while True:\n        pass\n",
    "memory bomb": "def {name}(*args):\n    return np.ones((60000, 60000))\n",
    "growing list": "def {name}(*args):\n    grow = []\n    while True:\n        grow.append(' ' * 10**7)\n",
    "exception at definition time": "import a_module_that_does_not_exist\n\ndef {name}(*args):\n    return args[0]\n",
    "endless loop at definition time": "while True:\n    pass\n",
    "syntax error": "def {name}(*args)\n    return args[0]\n",
    "missing function": "def not_{name}(*args):\n    return args[0]\n",
    "output flood": "def {name}(*args):\n    while True:\n        print('flood ' * 100)\n",
    "exits the process": "import os\n\ndef {name}(*args):\n    os._exit(3)\n",
    "raises SystemExit": "def {name}(*args):\n    raise SystemExit(1)\n",
}


def _entry(kind, answer, **more):
    return {"type": kind, "answer": answer, **more}


def _settings_that_pass(ex):
    """The task's recorded solution, or the first setting on a small grid that passes."""
    if ex.solution is not None:
        return dict(ex.solution)
    numbers = sorted(set(np.round(np.concatenate([np.linspace(0, 0.99, 34), np.geomspace(1e-3, 10, 41)]), 6)))
    grids = [[(name, float(v)) for v in numbers] if kind == "number" else [(name, v) for v in kind]
             for name, kind in ex.controls.items()]
    with record.paused():
        for combo in itertools.islice(itertools.product(*grids), 20000):
            values = dict(combo)
            if ex.check(values).correct:
                return values
    return None


def right_answer(ex, _cache={}):  # noqa: B006 - a cache of what never changes
    """An entry (as ``export`` writes it) that the exercise accepts, or None when none is known."""
    if ex.id not in _cache:
        if isinstance(ex, NumericExercise):
            entry = _entry("text", repr(ex.answer))
        elif isinstance(ex, ChoiceExercise):
            entry = _entry("text", ex.letters[next(i for i, (_, ok, _) in enumerate(ex.options) if ok)])
        elif isinstance(ex, SliderTask):
            found = _settings_that_pass(ex)
            entry = _entry("settings", found) if found is not None else None
        elif isinstance(ex, UpdateExercise):
            entry = record.code_record(ex.reference)
        else:
            entry = None
        _cache[ex.id] = entry
    return _cache[ex.id]


def wrong_answer(ex, rng):
    """An entry the exercise rejects."""
    if isinstance(ex, NumericExercise):
        return _entry("number", ex.answer + (1 + 10 * abs(ex.answer)) * rng.choice([-1, 1]))
    if isinstance(ex, ChoiceExercise):
        return _entry("text", rng.choice([ex.letters[i] for i, (_, ok, _) in enumerate(ex.options) if not ok]))
    if isinstance(ex, SliderTask):
        return _entry("settings", {})
    if isinstance(ex, UpdateExercise):
        body = rng.choice(["return args[0]", "return None", "return args[0] * 2"])
        return _entry("code", f"def {ex.function_name}(*args):\n    {body}\n", function=ex.function_name,
                      context="")
    return _entry("none", None)


def hostile_answer(ex, what):
    return _entry("code", HOSTILE[what].format(name=ex.function_name), function=ex.function_name, context="")


def submission(answers, chapter="mixed", version=None, when="2025-01-01T00:00:00Z"):
    """A whole file as ``export`` writes it, around ``answers`` ({id: entry})."""
    import coursecode

    return {"schema": record.SCHEMA, "schema_version": record.SCHEMA_VERSION, "chapter": chapter,
            "coursecode_version": version or coursecode.__version__, "created_utc": when,
            "answers": {k: {"kind": "demo", **v, "correct": None, "message": "", "checked_utc": when}
                        for k, v in answers.items()}}


def write_class(folder, students=30, seed=0, hostile_share=0.1, hostile_log=None):
    """Write ``students`` submissions to ``folder``; returns {student: {id: expected verdict}}.

    ``hostile_log``, a list, receives ``(student, exercise id, what)`` for each hostile answer.
    """
    rng = random.Random(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    exercises = registry()
    code_ids = [k for k, ex in exercises.items() if isinstance(ex, UpdateExercise)]
    expected = {}
    for i in range(students):
        name = f"student{i:03d}"
        skill = rng.uniform(0.4, 1.0)
        answers, verdicts = {}, {}
        for key, ex in exercises.items():
            good = right_answer(ex) if rng.random() < skill else None
            answers[key] = good if good is not None else wrong_answer(ex, rng)
            verdicts[key] = good is not None
        if code_ids and rng.random() < hostile_share:
            key = rng.choice(code_ids)
            what = rng.choice(sorted(HOSTILE))
            answers[key] = hostile_answer(exercises[key], what)
            verdicts[key] = False
            if hostile_log is not None:
                hostile_log.append((name, key, what))
        when = f"2025-01-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z"
        (folder / f"{name}.json").write_text(json.dumps(submission(answers, when=when), indent=1) + "\n",
                                             encoding="utf-8")
        expected[name] = verdicts
    return expected


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m coursecode.grade.demo", description=__doc__.splitlines()[0])
    p.add_argument("folder")
    p.add_argument("--students", type=int, default=30)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--hostile-share", type=float, default=0.1)
    args = p.parse_args(argv)
    write_class(args.folder, args.students, args.seed, args.hostile_share)
    print(f"wrote {args.students} submissions to {args.folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
