"""Grading a class: 200 students' complete submissions through ``python -m coursecode.grade``.

Writes a demo class (:mod:`coursecode.grade.demo`): every student answers every
exercise of the book (right or wrong, at a skill drawn per student), a share of
the students hands in one hostile code answer (an endless loop, a memory bomb,
an output flood, ...), and the files are what ``exercises.export`` writes. Then
times the command line, as an instructor runs it (code answers in parallel child
processes, one per core), and checks the gradebook against the verdicts the demo
expects. Reports wall clock and CPU time (the grader's and its children's) and
writes benchmarks/results/grade.json.

Goal: 200 students graded in under 60 s on a 2-core machine.

    python benchmarks/bench_grade.py [--students 200] [--hostile-share 0.05] [--repeats 2]
"""
from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import LoadSampler, machine_info  # noqa: E402

from coursecode.exercises import UpdateExercise  # noqa: E402
from coursecode.exercises.registry import registry  # noqa: E402
from coursecode.grade import demo  # noqa: E402

GOAL_S = 60.0


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--hostile-share", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--jobs", type=int, help="passed to the grader (default: its own, the number of cores)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "grade.json"))
    args = parser.parse_args(argv)

    exercises = registry()
    n_code = sum(isinstance(ex, UpdateExercise) for ex in exercises.values())
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as tmp:
        subs = Path(tmp) / "submissions"
        log = []
        expected = demo.write_class(subs, args.students, args.seed, args.hostile_share, hostile_log=log)
        hostile = len(log)
        kinds = sorted({what for _, _, what in log})
        size = sum(f.stat().st_size for f in subs.glob("*.json"))
        machine = machine_info()
        print(f"{args.students} students x {len(exercises)} exercises ({n_code} write-the-update), "
              f"{hostile} hostile code answers, {size / 2**20:.1f} MB of answers files; {machine['nproc']} cores")
        for i in range(args.repeats):
            out = Path(tmp) / f"grades-{i}.csv"
            cmd = [sys.executable, "-m", "coursecode.grade", str(subs), "--out", str(out), "--quiet"]
            if args.jobs:
                cmd += ["--jobs", str(args.jobs)]
            c0, w0 = children_cpu(), time.perf_counter()
            with LoadSampler(interval=2.0) as load:
                proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
            wall, cpu = time.perf_counter() - w0, children_cpu() - c0
            if proc.returncode != 0:
                print(proc.stderr)
                raise SystemExit(f"the grader failed with exit status {proc.returncode}")
            with open(out, newline="", encoding="utf-8") as f:
                table = {r["student"]: r for r in csv.DictReader(f)}
            wrong = [(s, k) for s, verdicts in expected.items() for k, v in verdicts.items()
                     if table[s][k] != str(int(v))]
            runs.append({"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "verdicts_as_expected": not wrong,
                         "mismatches": len(wrong), "load_during": load.summary(),
                         "log_lines": len(proc.stderr.splitlines())})
            print(f"run {i + 1}: {wall:.1f} s wall, {cpu:.1f} s CPU (grader and children), "
                  f"{'all verdicts as expected' if not wrong else f'{len(wrong)} verdicts differ'}")
    worst = max(r["wall_s"] for r in runs)
    report = {
        "machine": machine,
        "students": args.students, "exercises": len(exercises), "code_exercises": n_code,
        "answers": args.students * len(exercises), "code_answers": args.students * n_code,
        "hostile_code_answers": hostile, "hostile_kinds": kinds, "hostile_share": args.hostile_share,
        "answers_mb": round(size / 2**20, 2),
        "runs": runs, "worst_wall_s": worst, "goal_wall_s": GOAL_S,
        "goal_met": worst <= GOAL_S and all(r["verdicts_as_expected"] for r in runs),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(f"worst of {len(runs)}: {worst:.1f} s (goal <= {GOAL_S:.0f} s): "
          f"{'met' if report['goal_met'] else 'MISSED'}; wrote {args.out}")
    return 0 if report["goal_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
