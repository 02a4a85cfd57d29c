"""Wall-clock and CPU time of `make test` in a fresh clone (long: several minutes).

Clones the repository (committed HEAD) into a temporary folder and runs
`make test` there, as CI does after its installs: the clone uses this
interpreter's virtual environment (VENV=...) and, when it exists, the
ipywidgets 7.7 environment next to the repository (IPYW7=...), and make's
install stamp points at a fresh file, so nothing is installed and the shared
environment is left untouched; PYTHONPATH makes the notebooks import the
clone's coursecode. What is timed is therefore the tests themselves: unit and
parity tests, the book build (from stored outputs), the browser and axe pass,
and strict nbval over every chapter notebook, the portability check, the PDF
and the live JupyterLab test. Goal: <= 20 minutes on a 2-core machine (CI
allows 25 minutes in all, its installs included).

    python benchmarks/bench_test_time.py [--repo PATH] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import LoadSampler, machine_info  # noqa: E402

GOAL_S = 1200.0
DURATION = re.compile(r"^([\d.]+)s (?:setup|call|teardown) +(\S.*)$", re.M)
SUMMARY = re.compile(r"^=+ (.*\d+ (?:passed|failed|error|errors|skipped).*) in ([\d.]+)s", re.M)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default=str(ROOT))
    parser.add_argument("--keep", default=None, help="clone into this directory (must not exist)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "test_time.json"))
    args = parser.parse_args(argv)

    tmp = None
    if args.keep:
        clone = Path(args.keep)
    else:
        tmp = Path(tempfile.mkdtemp(prefix="book-make-test-"))
        clone = tmp / "book"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", args.repo, str(clone)], check=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True,
                            text=True, check=True).stdout.strip()

    venv = Path(sys.prefix)
    stamp = clone / "_build" / ".bench-requirements-stamp"   # newer than requirements.txt: no install
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.touch()
    make_vars = [f"VENV={venv}", f"STAMP={stamp}"]
    # the ipywidgets 7.7 environment of this repository (or of the one whose
    # .venv this is): without it, make would create one in the clone (a download)
    for ipyw7 in (Path(args.repo) / ".venv-ipyw7", Path(sys.prefix).resolve().parent / ".venv-ipyw7"):
        if (ipyw7 / ".installed").exists():
            make_vars.append(f"IPYW7={ipyw7}")
            break
    env = dict(os.environ)
    env["PYTHONPATH"] = str(clone) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    # each pytest run also lists its slowest steps (the book build, the browser pass)
    env["PYTEST_ADDOPTS"] = (env.get("PYTEST_ADDOPTS", "") + " --durations=8").strip()
    cmd = ["make", "test", *make_vars]

    before = machine_info()
    print(f"make test in a fresh clone of {commit[:10]} ({clone}) ...", flush=True)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    w0 = time.perf_counter()
    with LoadSampler() as load:
        proc = subprocess.run(cmd, cwd=clone, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=3 * 3600)
    wall = time.perf_counter() - w0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    after = machine_info()
    log = clone / "_build" / "make-test.log"
    log.write_text(proc.stdout)
    runs = [{"summary": m.group(1), "seconds": float(m.group(2))} for m in SUMMARY.finditer(proc.stdout)]
    slowest = [{"seconds": float(m.group(1)), "step": m.group(2).strip()}
               for m in DURATION.finditer(proc.stdout)]
    print(f"  exit {proc.returncode}; {wall:.0f} s wall, {cpu:.0f} s CPU; load during: {load.summary()}")
    for run in runs:
        print(f"  pytest: {run['summary']} in {run['seconds']:.0f} s")
    for step in sorted(slowest, key=lambda r: -r["seconds"])[:6]:
        print(f"    {step['seconds']:6.1f} s  {step['step']}")

    report = {
        "benchmark": "make test",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "commit": commit,
        "command": " ".join(cmd) + "  (fresh clone; PYTHONPATH=<clone>)",
        "machine_before": before,
        "machine_after": after,
        "returncode": proc.returncode,
        "load_during": load.summary(),
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "pytest_runs": runs,
        "slowest_steps": slowest,
        "output_tail": proc.stdout[-4000:],
        "goal_s": GOAL_S,
        "goal_met": wall <= GOAL_S and proc.returncode == 0,   # a failing make test meets no goal
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)
    return report


if __name__ == "__main__":
    main()
