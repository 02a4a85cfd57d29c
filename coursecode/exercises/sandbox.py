"""Running a student's function on fixed inputs, under a time limit, so that nothing it does stops the grader.

:func:`run_student_function` reports what happened to each call: the value
returned (or a stand-in when it cannot cross the process boundary), the inputs it
changed in place, or the exception and the student's line that raised it. An
endless loop is stopped at the time limit, a crash of the process is reported,
and in the child process a student's ``print`` goes nowhere.
"""
from __future__ import annotations

import copy
import io
import multiprocessing
import pickle
import sys
import sysconfig
import threading
import traceback
import warnings
from dataclasses import dataclass

import numpy as np

from .answers import short


def _can_fork():
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


_LIBRARY = ("coursecode", "site-packages", "dist-packages", sysconfig.get_paths()["stdlib"])


def _student_line(exc):
    """'line N: code' of the innermost frame outside coursecode and the installed libraries, if any."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not any(part in (f.filename or "") for part in _LIBRARY)]
    if not frames:
        return ""
    f = frames[-1]
    return f"line {f.lineno}: {f.line.strip()}" if f.line else f"line {f.lineno}"


def _same(a, b):
    try:
        return bool(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True))
    except Exception:
        return a is b


@dataclass
class Unpicklable:
    """What a call returned when the value itself cannot cross the process boundary."""

    type_name: str
    text: str


def _portable(out):
    """The returned value, or a stand-in when it cannot cross a process boundary."""
    try:
        pickle.dumps(out)
        return out
    except Exception:
        return Unpicklable(type(out).__name__, short(repr(out), 60))


def _evaluate(func, cases):
    """Call ``func(*case)`` for each case: ("ok", value, mutated) or ("raised", type, msg, line)."""
    results = []
    for case in cases:
        args = copy.deepcopy(case)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # overflow in a student's wrong step is not our error
                with np.errstate(all="ignore"):
                    out = func(*args)
            mutated = [i for i, (a, b) in enumerate(zip(args, case)) if not _same(a, b)]
            results.append(("ok", _portable(out), mutated))
        except BaseException as exc:  # noqa: B036 - SystemExit, KeyboardInterrupt from a student too
            results.append(("raised", type(exc).__name__, short(str(exc), 120), _student_line(exc)))
    return results


def _child(func, cases, conn):  # pragma: no cover - runs in the forked process
    sys.stdout = sys.stderr = io.StringIO()  # a student's print must not reach the parent's streams
    try:
        conn.send(("done", _evaluate(func, cases)))
    except BaseException as exc:  # noqa: B036
        try:
            conn.send(("crashed", f"{type(exc).__name__}: {short(str(exc), 120)}"))
        except Exception:
            pass
    finally:
        conn.close()


def run_student_function(func, cases, timeout=2.0):
    """Call ``func`` on each case under a time limit.

    Returns ``("done", results)`` (see ``_evaluate``), ``("timeout", seconds)`` or
    ``("crashed", why)``. On Linux the calls run in a forked child that is killed at
    the time limit; elsewhere in a daemon thread (which cannot be killed: it is
    abandoned and the message says so).
    """
    if _can_fork():
        ctx = multiprocessing.get_context("fork")
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(func, cases, send), daemon=True)
        with warnings.catch_warnings():
            # Python >= 3.12 warns that forking a multi-threaded process (a Jupyter
            # kernel) may deadlock; the child only runs the student's function under
            # the time limit, so a deadlock is reported as a timeout.
            warnings.simplefilter("ignore", DeprecationWarning)
            proc.start()
        send.close()
        try:
            if receive.poll(timeout):
                try:
                    return receive.recv()
                except (EOFError, OSError):
                    return ("crashed", "the process running your function stopped without a result")
            return ("timeout", timeout)
        finally:
            if proc.is_alive():
                proc.kill()
            proc.join(2)
            receive.close()
    box = {}
    worker = threading.Thread(target=lambda: box.setdefault("r", _evaluate(func, cases)), daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        return ("timeout", timeout)
    return ("done", box["r"])
