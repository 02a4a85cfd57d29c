"""Run every benchmark of the book and print one table of results (`make bench`).

Sections, each writing its JSON to benchmarks/results/:

  build    cold build of a fresh clone with every notebook executed, the time
           of each notebook, unchanged rebuilds (bench_build.py -> build.json)
  pages    weight of every page and of the whole site, measured on the HTML
           of that cold build (bench_pages.py -> pages.json)
  widgets  redraw time of every explorer, median and p95 (bench_widgets.py ->
           widgets.json)
  core     coursecode's batched runs and one Adam step (bench_core.py ->
           core.json)
  grade    `python -m coursecode.grade` on 200 students' complete
           submissions, code answers in child processes (bench_grade.py ->
           grade.json)
  test     `make test` in a fresh clone; long, so only with --test-time
           (bench_test_time.py -> test_time.json)

Then benchmarks/results/summary.json and summary.md: the table for the
README, with the machine (nproc, CPU model, load averages) it came from.
Every time is reported as wall clock and CPU time: on a shared machine the
wall clock also counts waiting for a core.

    python benchmarks/run_all.py [--only build,pages,widgets,core,grade] [--test-time]
    python benchmarks/run_all.py --summary-only     # rebuild the table from the JSON files
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

from _machine import machine_info  # noqa: E402

SECTIONS = ("build", "pages", "widgets", "core", "grade")


def _load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _mark(ok) -> str:
    return "met" if ok else ("**missed**" if ok is not None else "n/a")


def _during(report: dict, key: str | None = None) -> str:
    """'load 1.9 mean, 3.2 max during the run' from a LoadSampler summary, else ''."""
    section = report.get(key, {}) if key else report
    load = section.get("load_during") or {}
    if not load.get("samples"):
        return ""
    return f"; load {load['mean_1min']:.1f} mean, {load['max_1min']:.1f} max"


def _load_text(machine: dict | None) -> str:
    if not machine:
        return "?"
    load = machine.get("load_average_1_5_15") or machine.get("load_average_1_5_15_before")
    return "/".join(f"{x:.1f}" for x in load) if load else "?"


def summary_rows() -> list[tuple[str, str, str, str]]:
    """(measure, result, goal, status) rows from the JSON files present."""
    rows = []
    build = _load("build")
    if build:
        cold = build["cold"]
        rows.append(("Cold build, fresh clone, all notebooks executed",
                     f"{cold['wall_s']:.0f} s wall, {cold['cpu_s']:.0f} s CPU "
                     f"({build['notebooks_executed']} notebooks{_during(build, 'cold')})",
                     "<= 120 s", _mark(build["goals_met"]["cold"])))
        for nb in build["notebooks"]:
            cpu = f", {nb['kernel_cpu_s']:.1f} s kernel CPU" if "kernel_cpu_s" in nb else ""
            rows.append((f"- execute `{Path(nb['notebook']).name}`", f"{nb['execution_wall_s']:.1f} s wall{cpu}",
                         "<= 15 s", _mark(nb["execution_wall_s"] <= build["goals"]["notebook_wall_s"])))
        if build.get("unchanged_rebuild_median_wall_s") is not None:
            rows.append(("Unchanged rebuild (median of "
                         f"{len(build['unchanged_rebuilds'])})",
                         f"{build['unchanged_rebuild_median_wall_s']:.1f} s wall, "
                         f"{build['unchanged_rebuild_median_cpu_s']:.1f} s CPU",
                         "<= 15 s", _mark(build["goals_met"]["unchanged_rebuild"])))
    pages = _load("pages")
    if pages:
        h = pages["heaviest_page"]
        rows.append(("Heaviest page (HTML + its images + embedded data)",
                     f"{h['total_bytes'] / 1e6:.2f} MB (`{h['page']}`)", "<= 2 MB",
                     _mark(pages["goals_met"]["heaviest_page"])))
        site = pages["site"]
        top = ", ".join(f"{k} {v:.1f}" for k, v in list(site["by_folder_mb"].items())[:3])
        rows.append(("Whole site (`_build/html`)", f"{site['mb']:.1f} MB ({top} MB)", "<= 40 MB",
                     _mark(pages["goals_met"]["site"])))
    widgets = _load("widgets")
    if widgets:
        goal = widgets["goal"]
        for name, r in widgets["explorers"].items():
            w, c = r["all_controls_random"]["wall"], r["all_controls_random"]["cpu"]
            ok = w["median_ms"] <= goal["median_ms"] and w["p95_ms"] <= goal["p95_ms"]
            rows.append((f"Explorer `{name}` redraw (median / p95)",
                         f"{w['median_ms']:.0f} / {w['p95_ms']:.0f} ms wall, "
                         f"{c['median_ms']:.0f} / {c['p95_ms']:.0f} ms CPU",
                         f"<= {goal['median_ms']:.0f} / {goal['p95_ms']:.0f} ms", _mark(ok)))
    core = _load("core")
    if core:
        a, b = core["batching"], core["adam_step"]
        rows.append((f"Batched runs: {a['runs']:,} Adam runs x {a['steps']:,} steps, one call vs one by one",
                     f"{a['speedup_wall']:.0f}x wall, {a['speedup_cpu']:.0f}x CPU", f">= {a['goal_speedup']:.0f}x",
                     _mark(core["goals_met"]["batching"])))
        for name, r in core.get("steps", {"adam": b}).items():
            aim = f" (aim {r['aim_ratio']:g}x)" if r.get("aim_ratio") else ""
            rows.append((f"One {name} step on {r['parameters']:.0e} parameters / copying its "
                         f"{r.get('arrays_copied', 4)} arrays (same process, interleaved, median of {r['reps']})",
                         f"{r['ratio_wall']:.2f}x wall, {r['ratio_cpu']:.2f}x CPU "
                         f"({r['step_wall_ms']:.0f} / {r['floor_wall_ms']:.0f} ms)",
                         f"<= {r['goal_ratio']:.0f}x{aim}", _mark(r["ratio_wall"] <= r["goal_ratio"])))
    grade = _load("grade")
    if grade:
        rows.append((f"Grading {grade['students']} students x {grade['exercises']} exercises "
                     f"({grade['code_answers']:,} code answers, {grade['hostile_code_answers']} hostile)",
                     f"{grade['worst_wall_s']:.0f} s wall (worst of {len(grade['runs'])}), "
                     f"{max(r['cpu_s'] for r in grade['runs']):.0f} s CPU"
                     + "".join(f"; run {i + 1}: {r['mismatches']} verdicts not as expected"
                               for i, r in enumerate(grade["runs"]) if r.get("mismatches")),
                     f"<= {grade['goal_wall_s']:.0f} s", _mark(grade["goal_met"])))
    test = _load("test_time")
    if test:
        rows.append(("`make test`, fresh clone (no installs)",
                     f"{test['wall_s'] / 60:.1f} min wall, {test['cpu_s'] / 60:.1f} min CPU "
                     f"(exit {test['returncode']}{_during(test)})",
                     f"<= {test.get('goal_s', 1200.0) / 60:.0f} min", _mark(test["goal_met"])))
    return rows


def machine_line() -> str:
    m = None
    for name in ("build", "test_time", "pages"):
        data = _load(name)
        if data:
            m = data.get("machine_before") or data.get("machine")
            break
    m = m or machine_info()
    return (f"{m['nproc']} cores ({m['cpu_model']}), {m.get('memory_gib', '?')} GiB, "
            f"Python {m['python']}; load average (1/5/15 min) {_load_text(m)} at the start; the machine "
            "was shared with other work, so wall times include waiting for a core (the load during the "
            "long runs is given in their rows)")


def profile_table() -> str:
    """Where the cold build's time went: Sphinx's phases, then each document's read and write."""
    build = _load("build")
    prof = (build or {}).get("profile")
    if not prof:
        return ""
    lines = ["| phase of the cold build | wall s |", "| --- | --- |"]
    lines += [f"| {p['phase']} | {_num(p['wall_s'])} |" for p in prof["phases"]]
    lines += ["", "| document | read s | of which executing s (kernel CPU s) | rest of read s | write s |",
              "| --- | --- | --- | --- | --- |"]
    for r in prof["documents"]:
        cpu = f" ({r['kernel_cpu_s']:.1f})" if r.get("kernel_cpu_s") is not None else ""
        lines.append(f"| `{r['document']}` | {_num(r['read_s'])} | "
                     f"{_num(r.get('execution_s'))}{cpu if r.get('execution_s') is not None else ''} | "
                     f"{_num(r.get('read_other_s'))} | {_num(r['write_s'])} |")
    if prof.get("failed_while_reading"):
        lines.append(f"\nFailed while reading: {', '.join(prof['failed_while_reading'])}.")
    return "\n".join(lines) + "\n"


def _num(x) -> str:
    return "-" if x is None else f"{x:.1f}"


def page_table() -> str:
    pages = _load("pages")
    if not pages:
        return ""
    lines = ["| page | HTML (of which embedded data) | images | total |", "| --- | --- | --- | --- |"]
    for p in sorted(pages["pages"], key=lambda p: -p["total_bytes"]):
        lines.append(f"| `{p['page']}` | {p['html_bytes'] / 1e6:.2f} MB ({p['embedded_bytes'] / 1e6:.2f}) "
                     f"| {p['images']} files, {p['image_bytes'] / 1e6:.2f} MB | {p['total_bytes'] / 1e6:.2f} MB |")
    return "\n".join(lines) + "\n"


def write_summary() -> str:
    rows = summary_rows()
    lines = ["| measure | result | goal | |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    text = "\n".join(lines) + "\n"
    prof = profile_table()
    if prof:
        text += ("\nWhere the cold build's time goes (wall clock; reading a notebook includes executing "
                 "it; a document's write time includes resolving its references):\n\n" + prof)
    pages = page_table()
    if pages:
        text += "\nWeight of every page:\n\n" + pages
    machine = machine_line()
    (RESULTS / "summary.md").write_text(f"Machine: {machine}.\n\n{text}")
    (RESULTS / "summary.json").write_text(json.dumps(
        {"date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine,
         "rows": [dict(zip(("measure", "result", "goal", "status"), r)) for r in rows]}, indent=2) + "\n")
    return f"Machine: {machine}.\n\n{text}"


def run_script(name: str, *args: str) -> int:
    cmd = [sys.executable, str(HERE / name), *args]
    print(f"\n+ {' '.join(cmd[1:])}", flush=True)
    return subprocess.run(cmd, cwd=ROOT).returncode


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections out of {','.join(SECTIONS)}")
    parser.add_argument("--test-time", action="store_true", help="also time `make test` in a fresh clone")
    parser.add_argument("--summary-only", action="store_true", help="only rebuild the table from the JSON files")
    parser.add_argument("--keep-clone", action="store_true", help="keep the cold-build clone (its _build/html)")
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections {unknown}")

    status = 0
    if not args.summary_only:
        RESULTS.mkdir(parents=True, exist_ok=True)
        html_dir, clone = ROOT / "_build" / "html", None
        if "build" in sections:
            import bench_build

            report = bench_build.main([])
            status |= report["cold"]["returncode"] != 0
            html_dir = Path(report["html_dir"])
            clone = html_dir.parents[1]
        if "pages" in sections:
            import bench_pages

            print(f"\n+ page weights of {html_dir}", flush=True)
            try:
                bench_pages.main(["--html", str(html_dir)])
            except Exception as exc:         # a failed build leaves no complete site to weigh
                print(f"page weights not measured: {exc!r}", file=sys.stderr)
                status = 1
        if clone is not None and not args.keep_clone:
            shutil.rmtree(clone.parent if clone.parent.name.startswith("book-cold-build-") else clone,
                          ignore_errors=True)
        if "widgets" in sections:
            status |= run_script("bench_widgets.py") != 0
        if "core" in sections:
            status |= run_script("bench_core.py") != 0
        if "grade" in sections:
            status |= run_script("bench_grade.py") != 0
        if args.test_time:
            import bench_test_time

            bench_test_time.main([])
    print("\n" + write_summary())
    print(f"wrote {RESULTS / 'summary.md'} and summary.json")
    return int(status)


if __name__ == "__main__":
    sys.exit(main())
