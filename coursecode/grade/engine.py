"""Grading every answer again: typed answers with ``check`` in this process, code in confined child processes.

A typed answer (text, a number, an option, slider settings) is read back from
JSON and passed to the exercise's ``check``, which never evaluates it. A code
answer is source text: :func:`coursecode.exercises.run_student_source` compiles
and calls it in a child process with a time, memory and output limit, and the
exercise's ``judge`` turns what happened into feedback. Code answers run in
parallel (``jobs`` child processes at a time); each student is counted as done
when their last answer is graded, for the progress report.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..exercises import record
from ..exercises.answers import Feedback, short
from ..exercises.isolate import run_student_source
from ..exercises.update import UpdateExercise

WHAT = {"NumericExercise": "a number", "ChoiceExercise": "one of the options",
        "SliderTask": "the explorer's settings", "UpdateExercise": "a function"}


@dataclass
class Result:
    """One exercise of one student: ``correct`` is True, False, or None (not answered)."""

    correct: bool | None
    message: str = ""
    answer: str = ""          # what was handed in, as text for the feedback page
    printed: str = ""         # what the code printed (the first characters)
    then: bool | None = None  # the verdict in the notebook, when it was checked
    abnormal: bool = False    # the code did not run to the end (time, memory, output, compile, crash)


def _shown(entry):
    kind, value = entry.get("type"), entry.get("answer")
    if kind == "code":
        return value if isinstance(value, str) else "(no source text)"
    if kind == "settings" and isinstance(value, dict):
        return ", ".join(f"{k} = {short(v, 30)}" for k, v in value.items())
    if kind == "none":
        return "(no answer)"
    return short(value, 200) if not isinstance(value, str) else value[:2000]


def _value(entry):
    """The answer as ``check`` takes it, or a Feedback when it cannot be checked again."""
    kind, value = entry.get("type"), entry.get("answer")
    if kind == "malformed":
        return Feedback(False, f"This answer is not in the form exercises.export writes ({entry.get('why')}), "
                               "so it could not be graded.")
    if kind == "missing":
        return Feedback(False, f"When you checked, the notebook had no function named {short(value)!s}: "
                               "define the function, run its cell, check again and export again.")
    if kind == "other":
        return Feedback(False, f"The answer handed in was a {short(entry.get('python_type', '?'), 30)} "
                               f"({short(value, 60)}), which is not an answer this exercise reads.")
    if kind == "number" and value in ("nan", "inf", "-inf"):
        return float(value)
    if kind == "none":
        return None
    if kind == "bytes" and isinstance(value, str):
        return value.encode("utf-8")
    return value


def check_typed(ex, entry):
    """Feedback on a typed answer (everything but code), checked in this process."""
    if entry.get("type") == "code":
        return Feedback(False, f"The answer handed in was a function; this exercise asks for "
                               f"{WHAT.get(type(ex).__name__, 'another kind of answer')}.")
    value = _value(entry)
    if isinstance(value, Feedback):
        return value
    with record.paused():
        return ex.check(value)


ABNORMAL = {"timeout", "crashed", "syntax", "definition", "missing", "flood", "memory"}


def check_code(ex, entry, timeout=None, memory_mb=256, output_chars=100_000):
    """(Feedback, printed text, abnormal?) for a code answer, run from its source text in a child."""
    source, name = entry.get("answer"), entry.get("function")
    if not isinstance(source, str) or not source.strip():
        why = "; ".join(map(str, entry.get("notes") or [])) or "no source text was recorded"
        return Feedback(False, f"There is no code to grade: {short(why, 240)}."), "", True
    if not isinstance(name, str) or not name:
        name = ex.function_name
    context = entry.get("context") if isinstance(entry.get("context"), str) else ""
    run = run_student_source(source, name, ex.cases, ex.timeout if timeout is None else timeout,
                             context=context, memory_mb=memory_mb, output_chars=output_chars)
    feedback = ex.judge(run.status)  # judging compares results: it checks (and records) nothing
    out_of_memory = run.status[0] == "done" and any(r[:2] == ("raised", "MemoryError") for r in run.status[1])
    return feedback, run.printed, run.status[0] in ABNORMAL or out_of_memory


class Progress:
    """Students done out of all, reported to a callback ``(done, total, seconds)`` from any thread."""

    def __init__(self, total, callback=None):
        self.total, self.done, self.callback = total, 0, callback
        self.lock, self.t0 = threading.Lock(), time.perf_counter()

    def student_done(self):
        with self.lock:
            self.done += 1
            if self.callback:
                self.callback(self.done, self.total, time.perf_counter() - self.t0)


def grade_submissions(subs, exercises, *, jobs=2, timeout=None, memory_mb=256, output_chars=100_000,
                      progress=None):
    """``{student: {exercise id: Result}}`` for the ids in ``exercises`` (a dict id -> exercise)."""
    results = {sub.student: {} for sub in subs}
    pending, lock = {}, threading.Lock()
    bar = Progress(len(subs), progress)
    tasks = []
    for sub in subs:
        mine, count = results[sub.student], 0
        for key, ex in exercises.items():
            entry = sub.answers.get(key)
            if entry is None:
                mine[key] = Result(None, "Not answered.")
                continue
            then = entry.get("correct") if isinstance(entry.get("correct"), bool) else None
            if isinstance(ex, UpdateExercise) and entry.get("type") == "code":
                mine[key] = Result(None, "", _shown(entry), then=then)
                tasks.append((sub.student, key, ex, entry))
                count += 1
                continue
            try:
                feedback = check_typed(ex, entry)
            except Exception as exc:  # check never raises; this is the grader's own safety net
                feedback = Feedback(False, f"This answer could not be graded ({type(exc).__name__}).")
            mine[key] = Result(bool(feedback.correct), feedback.message, _shown(entry), then=then)
        pending[sub.student] = count
        if not count:
            bar.student_done()

    def work(task):
        student, key, ex, entry = task
        try:
            feedback, printed, abnormal = check_code(ex, entry, timeout, memory_mb, output_chars)
        except Exception as exc:  # the grader's safety net: one answer never stops the class
            feedback, printed, abnormal = Feedback(False, f"This answer could not be graded "
                                                          f"({type(exc).__name__}: {short(str(exc), 80)})."), "", True
        result = results[student][key]
        result.correct, result.message, result.printed, result.abnormal = (bool(feedback.correct), feedback.message,
                                                                          printed, abnormal)
        with lock:
            pending[student] -= 1
            last = pending[student] == 0
        if last:
            bar.student_done()

    if tasks:
        with ThreadPoolExecutor(max_workers=max(1, int(jobs))) as pool:  # code: judge() records nothing
            list(pool.map(work, tasks))
    return results
