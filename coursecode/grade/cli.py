"""``python -m coursecode.grade SUBMISSIONS --out grades.csv [--feedback DIR] [--figure FILE]``.

Reads every student's answers (:mod:`coursecode.grade.collect`), grades them again
(:mod:`coursecode.grade.engine`) and writes the gradebook, the feedback pages and
the summary (:mod:`coursecode.grade.reports`). Problems with a submission are
logged, one line each, on standard error and noted in the CSV; they never stop
the grading of the others. Exit status: 0 when the gradebook was written, 2 for
a usage error (no such folder, an output inside SUBMISSIONS, an unknown exercise).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import coursecode
from ..exercises.answers import short
from ..exercises.registry import registry
from . import collect, engine, reports


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS
        return os.cpu_count() or 1


def parser():
    p = argparse.ArgumentParser(prog="python -m coursecode.grade",
                                description="Grade the answers files that exercises.export wrote: a gradebook CSV, "
                                            "feedback pages and a class summary.")
    p.add_argument("submissions", metavar="SUBMISSIONS",
                   help="a folder with one <student>.json per student, or one folder per student")
    p.add_argument("--out", default="grades.csv", help="the gradebook CSV to write (default: grades.csv)")
    p.add_argument("--feedback", metavar="DIR", help="write one HTML feedback page per student into DIR")
    p.add_argument("--figure", metavar="FILE", help="write the class summary figure (.png, .svg or .pdf)")
    p.add_argument("--exercises", metavar="IDS",
                   help="comma-separated exercise ids or chapters (ch5, appx) or 'all'; default: every exercise "
                        "of the chapters found in the submissions")
    p.add_argument("--jobs", type=int, default=_cores(),
                   help="code answers graded at the same time (default: the number of cores)")
    p.add_argument("--timeout", type=float, help="seconds per code answer (default: the exercise's own, 2 s)")
    p.add_argument("--memory", type=float, default=256, metavar="MB",
                   help="memory a code answer may use on top of what it starts with (default: 256 MB)")
    p.add_argument("--max-output", type=int, default=100_000, metavar="CHARS",
                   help="characters a code answer may print before it is stopped (default: 100000)")
    p.add_argument("--student-pattern", metavar="REGEX",
                   help="take the student's id from the file or folder name with this regular expression "
                        "(its first group), e.g. '^([^_]+)_' for an LMS download's 'name_12345_...' folders")
    p.add_argument("--quiet", action="store_true", help="no progress line and no summary table")
    return p


def choose_exercises(spec, subs, every):
    """{id: exercise} in the book's order, from --exercises or the chapters of the submissions."""
    if spec:
        wanted = [s.strip() for s in spec.split(",") if s.strip()]
        if wanted == ["all"]:
            return dict(every)
        chosen, unknown = set(), []
        for item in wanted:
            match = {k for k in every if k == item or k.split("-", 1)[0] == item}
            if not match:
                unknown.append(item)
            chosen |= match
        if unknown:
            raise ValueError(f"no exercise or chapter called {', '.join(map(repr, unknown))}")
        return {k: ex for k, ex in every.items() if k in chosen}
    chapters = set().union(*(s.chapters for s in subs)) if subs else set()
    return {k: ex for k, ex in every.items() if k.split("-", 1)[0] in chapters}


class Bar:
    """A progress line on standard error: redrawn in place on a terminal, every tenth otherwise."""

    def __init__(self, stream, quiet):
        self.stream, self.quiet, self.last = stream, quiet, -1
        self.tty = hasattr(stream, "isatty") and stream.isatty()

    def __call__(self, done, total, seconds):
        if self.quiet or not total:
            return
        if self.tty:
            filled = int(30 * done / total)
            self.stream.write(f"\rgrading [{'#' * filled}{'.' * (30 - filled)}] {done}/{total} students, "
                              f"{seconds:.0f} s" + ("\n" if done == total else ""))
            self.stream.flush()
            return
        tenth = 10 * done // total
        if tenth != self.last:
            self.last = tenth
            self.stream.write(f"grading: {done}/{total} students, {seconds:.0f} s\n")
            self.stream.flush()


def _count(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


def _inside(path, folder):
    try:
        Path(path).resolve().relative_to(Path(folder).resolve())
    except ValueError:
        return False
    return True


def main(argv=None, stdout=None, stderr=None):
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    p = parser()
    args = p.parse_args(argv)

    def log(line):
        stderr.write(line + "\n")

    root = Path(args.submissions)
    if not root.is_dir():
        log(f"error: {args.submissions} is not a folder")
        return 2
    for option, value in (("--out", args.out), ("--feedback", args.feedback), ("--figure", args.figure)):
        if value and _inside(value, root):
            log(f"error: {option} {value} lies inside SUBMISSIONS, which grading never changes")
            return 2
    for value in (args.out, args.figure):
        if value:
            folder = Path(value).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                log(f"error: cannot create the folder {folder} ({type(exc).__name__})")
                return 2
            if not os.access(folder, os.W_OK):
                log(f"error: cannot write into {folder}")
                return 2
    every = registry()
    subs, skipped = collect.collect(root, set(every), coursecode.__version__, args.student_pattern)
    for line in skipped:
        log(line)
    try:
        exercises = choose_exercises(args.exercises, subs, every)
    except ValueError as exc:
        log(f"error: {exc}")
        return 2
    if not subs:
        log(f"no submissions in {args.submissions}: the gradebook has a header row only")
    for sub in subs:
        for note in sub.notes + sub.private:
            log(f"{sub.student}: {note}")
    results = engine.grade_submissions(subs, exercises, jobs=max(1, args.jobs), timeout=args.timeout,
                                       memory_mb=args.memory, output_chars=args.max_output,
                                       progress=Bar(stderr, args.quiet))
    for sub in subs:
        for key in exercises:
            r = results[sub.student][key]
            if r.abnormal:
                log(f"{sub.student}: {key}: {short(r.message, 200)}")
    ids = list(exercises)
    reports.write_csv(args.out, subs, results, ids)
    done = [f"wrote {args.out}: {_count(len(subs), 'student')}, {_count(len(ids), 'exercise')}"]
    if args.feedback:
        reports.write_pages(args.feedback, subs, results, exercises, f"coursecode {coursecode.__version__}")
        done.append(f"wrote {_count(len(subs), 'feedback page')} to {args.feedback}")
    rows = reports.summary(subs, results, ids)
    if args.figure:
        alt = reports.write_figure(args.figure, rows)
        done.append(f"wrote {args.figure}: {alt}")
    if not args.quiet and ids and subs:
        stdout.write("\n".join(reports.summary_lines(rows)) + "\n")
    stdout.write("\n".join(done) + "\n")
    return 0
