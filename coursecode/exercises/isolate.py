"""A student's code from its source text, compiled and run in a fresh child process with limits (for grading).

:func:`run_student_source` is what ``python -m coursecode.grade`` uses for the
code answers of an export (``coursecode.exercises.record`` stores functions as
source text). The grader never compiles the text: a child process does, in
this order:

1. the child comes from a fork server, a clean interpreter started for this
   purpose that has imported numpy and this module and nothing of the grader
   (no other student's answers, no open files of the grader's);
2. it starts a session of its own (a timeout kills the whole group), moves to an
   empty temporary directory, empties its environment (``PATH``, ``HOME`` and
   ``TMPDIR`` point to harmless places), points its standard streams at
   ``/dev/null`` and closes every other inherited file descriptor;
3. it sets ``resource`` limits: address space (the memory it has plus
   ``memory_mb``), CPU seconds, the size of a file it writes, no core dumps, a
   few open files, and no new processes (for a user other than root);
4. it compiles the recorded imports and helpers, then the answer, in a fresh
   namespace that already holds ``np``, ``numpy`` and ``math``, takes the
   function by its name and calls it on every case (as
   :func:`coursecode.exercises.sandbox.run_student_function` does); ``print``
   output is kept up to ``output_chars`` characters, and more stops the run.

The parent waits at most ``timeout`` seconds for the result, then kills the
group and removes the directory. What this does not stop: the code still runs
as the grading user and can call the operating system (read the files that user
can read, open network connections, signal that user's processes); grade
untrusted work in a container (see the book's page for instructors).
"""
from __future__ import annotations

import atexit
import builtins
import io
import linecache
import math
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from .answers import short
from .sandbox import Unpicklable, _evaluate, _student_line

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
KEEP_PRINTED = 2000          # characters of printed output kept for the feedback
MAX_RESULT_BYTES = 8 << 20   # a returned value larger than this (pickled) is not sent back
ANSWER_FILE, CONTEXT_FILE = "<your answer>", "<your imports and helpers>"


@dataclass
class SourceRun:
    """What happened: ``status`` (as :meth:`UpdateExercise.judge` reads it), the printed text, the time."""

    status: tuple
    printed: str = ""
    printed_chars: int = 0
    seconds: float = 0.0
    limits: dict = field(default_factory=dict)


class _Flood(BaseException):
    """Raised into the student's code when it prints more than allowed."""


class _Bounded(io.TextIOBase):
    def __init__(self, limit):
        self.limit, self.total, self.kept = int(limit), 0, []

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        have = sum(map(len, self.kept))
        if have < KEEP_PRINTED:
            self.kept.append(text[:KEEP_PRINTED - have])
        self.total += len(text)
        if self.total > self.limit:
            raise _Flood()
        return len(text)


# -- in the child ------------------------------------------------------------------------------

def _confine(job):  # pragma: no cover - runs in the child
    os.setsid()
    os.chdir(job["workdir"])
    os.environ.clear()
    os.environ.update({"PATH": "/usr/bin:/bin", "HOME": job["workdir"], "TMPDIR": job["workdir"],
                       "LANG": "C.UTF-8", **{k: "1" for k in THREAD_VARS}})
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    keep = job["keep_fd"]
    os.closerange(3, keep)
    os.closerange(keep + 1, 4096)
    try:
        import resource
    except ImportError:
        return {}
    try:
        with open("/proc/self/statm") as f:  # Linux: the address space in use now
            in_use = int(f.read().split()[0]) * resource.getpagesize()
    except OSError:  # elsewhere (macOS): the largest resident size so far, a lower bound
        in_use = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    limits = {resource.RLIMIT_AS: in_use + int(job["memory_mb"] * 2**20),
              resource.RLIMIT_CPU: int(math.ceil(job["timeout"])) + 1,
              resource.RLIMIT_FSIZE: 16 << 20, resource.RLIMIT_CORE: 0, resource.RLIMIT_NOFILE: 64}
    if os.geteuid() != 0:
        limits[resource.RLIMIT_NPROC] = 0
    for what, value in limits.items():
        try:
            soft, hard = resource.getrlimit(what)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(what, (value, hard))
        except (ValueError, OSError):  # a limit this system does not let a process set: the others hold
            pass
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large file is an OSError, not a kill
    return {"memory_mb": job["memory_mb"], "in_use_mb": round(in_use / 2**20)}


def _syntax(exc, what):  # pragma: no cover - runs in the child
    line = f"line {exc.lineno}" if exc.lineno else "somewhere"
    code = f": {exc.text.strip()}" if exc.text and exc.text.strip() else ""
    return ("syntax", f"{what} has a syntax error at {line} ({exc.msg}){code}")


def _define(job):  # pragma: no cover - runs in the child
    """("function", f) or a status tuple saying why there is none."""
    source, name, context = job["source"], job["name"], job["context"] or ""
    if not isinstance(source, str) or not source.strip():
        return ("missing", name, [], "no source text was recorded")
    ns = {"__name__": "__answer__", "__builtins__": builtins, "np": np, "numpy": np, "math": math}
    steps = [(context, CONTEXT_FILE, "the imports and helpers recorded with your function")] if context.strip() else []
    steps.append((source, ANSWER_FILE, "your code"))
    for text, filename, what in steps:
        lam = filename == ANSWER_FILE and name == "<lambda>"  # an expression, kept apart by the recorder
        try:
            linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
            code = compile(text.strip() if lam else text, filename, "eval" if lam else "exec")
        except SyntaxError as exc:
            return _syntax(exc, what)
        except (ValueError, MemoryError, RecursionError) as exc:
            return ("syntax", f"{what} could not be compiled ({type(exc).__name__}: {short(str(exc), 80)})")
        try:
            if lam:
                ns[name] = eval(code, ns)  # noqa: S307 - the child process exists to run this
            else:
                exec(code, ns)  # noqa: S102
        except _Flood:
            raise
        except BaseException as exc:  # noqa: B036 - SystemExit at definition time too
            return ("definition", what, type(exc).__name__, short(str(exc), 120), _student_line(exc))
    func = ns.get(name) if isinstance(name, str) else None
    if not callable(func) or isinstance(func, type):
        defined = sorted(k for k, v in ns.items() if callable(v) and not isinstance(v, type)
                         and k not in ("np", "numpy", "math") and not k.startswith("__"))
        return ("missing", name, defined, "")
    return ("function", func)


def _bounded_results(results):  # pragma: no cover - runs in the child
    out = []
    for r in results:
        if r[0] == "ok":
            try:
                size = len(pickle.dumps(r[1]))
            except Exception:
                size = 0
            if size > MAX_RESULT_BYTES:
                r = ("ok", Unpicklable(type(r[1]).__name__, f"too large to send back: {size / 2**20:.0f} MB"), r[2])
        out.append(r)
    return out


def _job(conn):  # pragma: no cover - runs in a child of the fork server
    job = conn.recv()
    job["keep_fd"] = conn.fileno()
    try:
        limits = _confine(job)
    except Exception as exc:
        conn.send(("crashed", f"the grader could not set up the child ({type(exc).__name__}: {exc})"))
        return
    conn.send(("ready", os.getpid(), limits))
    printed = _Bounded(job["output_chars"])
    sys.stdout = sys.stderr = printed
    try:
        made = _define(job)
        status = ("done", _bounded_results(_evaluate(made[1], job["cases"]))) if made[0] == "function" else made
    except _Flood:
        status = ("flood", printed.total)
    except MemoryError:
        status = ("memory", job["memory_mb"])
    if printed.total > printed.limit:
        status = ("flood", printed.total)
    try:
        conn.send(("result", status, "".join(printed.kept), printed.total))
    except Exception as exc:  # e.g. a value that pickled once and not twice
        conn.send(("result", ("crashed", f"the result could not be sent back ({type(exc).__name__})"), "",
                   printed.total))


def _serve(path):  # pragma: no cover - the fork server's loop, in a process of its own
    """Accept a connection per job, fork a child for it, tell the grader how a child ended."""
    import select
    import socket
    from multiprocessing.connection import Connection

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.listen(128)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    jobs = {}
    while True:
        readable, _, _ = select.select([sock, sys.stdin], [], [], 0.05)
        if sys.stdin in readable and not os.read(sys.stdin.fileno(), 1024):
            break  # the grader closed the pipe: it is done (or gone)
        if sock in readable:
            client, _ = sock.accept()
            conn = Connection(client.detach())
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    sock.close()
                    _job(conn)
                except BaseException:  # noqa: B036
                    code = 1
                finally:
                    os._exit(code)
            jobs[pid] = conn
        while jobs:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            conn = jobs.pop(pid, None)
            if conn is not None:
                try:
                    conn.send(("exited", os.waitstatus_to_exitcode(status)))
                except OSError:
                    pass
                conn.close()
    for pid in jobs:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass


# -- in the grader ------------------------------------------------------------------------------

class _ForkServer:
    """A clean interpreter (numpy and this module imported, one BLAS thread) that forks a child per job."""

    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="coursecode-forks-")
        self.path = os.path.join(self.folder, "socket")
        paths = [p or os.getcwd() for p in sys.path]
        code = (f"import sys; sys.path[:0] = {paths!r}; "
                "from coursecode.exercises.isolate import _serve; _serve(sys.argv[1])")
        env = dict(os.environ, **{k: "1" for k in THREAD_VARS})
        self.proc = subprocess.Popen([sys.executable, "-c", code, self.path], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=self.folder,
                                     start_new_session=True)
        line = self.proc.stdout.readline()
        if line.strip() != b"ready":
            self.close()
            raise RuntimeError("the fork server for grading code did not start")
        atexit.register(self.close)

    def connect(self):
        import socket
        from multiprocessing.connection import Connection

        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(self.path)
        return Connection(sock.detach())

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.folder, ignore_errors=True)


_SERVER = []
_SERVER_LOCK = threading.Lock()


def _server():
    with _SERVER_LOCK:
        if not _SERVER or _SERVER[0].proc.poll() is not None:
            _SERVER[:] = [_ForkServer()]
        return _SERVER[0]


def _exited(code):
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        why = {"SIGXCPU": "it used up its CPU time", "SIGKILL": "it was killed (out of memory?)",
               "SIGSEGV": "a segmentation fault", "SIGXFSZ": "it wrote a file that was too large"}.get(name, "")
        return f"the process running your code was stopped by {name}" + (f": {why}" if why else "")
    return f"the process running your code exited with status {code} before it finished"


def _kill(pid):
    try:
        os.killpg(pid, signal.SIGKILL)  # the child leads its own group: what it started goes too
    except OSError:
        pass


def run_student_source(source, name, cases, timeout=2.0, *, context="", memory_mb=256, output_chars=100_000,
                       start_timeout=60.0):
    """Compile ``source`` (and ``context`` before it) in a confined child, call ``name`` on each case.

    Returns a ``SourceRun``. Its ``status`` is ``("done", results)`` as
    :func:`run_student_function` gives, or ``("timeout", s)``, ``("crashed", why)``,
    ``("syntax", why)``, ``("definition", what, error, message, line)``,
    ``("missing", name, names defined, why)``, ``("flood", characters printed)`` or
    ``("memory", limit in MB)``. Never raises for anything in ``source``. Needs
    Linux or macOS (fork and Unix sockets).
    """
    run = SourceRun(("crashed", "the process running your code did not start"))
    if os.name != "posix":  # pragma: no cover
        run.status = ("crashed", "grading code needs Linux or macOS (or WSL, or a container)")
        return run
    workdir = tempfile.mkdtemp(prefix="coursecode-grade-")
    job = {"source": source, "name": name, "context": context, "cases": cases, "timeout": float(timeout),
           "memory_mb": float(memory_mb), "output_chars": int(output_chars), "workdir": workdir}
    conn, pid, t0 = None, None, time.perf_counter()
    try:
        conn = _server().connect()
        conn.send(job)
        if not conn.poll(start_timeout):
            return run
        first = conn.recv()
        if first[0] == "exited":
            run.status = ("crashed", _exited(first[1]))
            return run
        if first[0] != "ready":
            run.status = first
            return run
        _, pid, run.limits = first
        t0 = time.perf_counter()
        if not conn.poll(timeout):
            run.status = ("timeout", float(timeout))
            _kill(pid)
            return run
        message = conn.recv()
        if message[0] == "result":
            _, run.status, run.printed, run.printed_chars = message
        else:
            run.status = ("crashed", _exited(message[1]))
        return run
    except (EOFError, OSError, RuntimeError) as exc:
        run.status = ("crashed", f"the process running your code could not be used ({type(exc).__name__})")
        if pid is not None:
            _kill(pid)
        return run
    finally:
        run.seconds = time.perf_counter() - t0
        if conn is not None:
            conn.close()
        shutil.rmtree(workdir, ignore_errors=True)
