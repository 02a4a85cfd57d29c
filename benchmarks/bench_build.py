"""Cold build of the book from a clean clone, every notebook executed; then unchanged rebuilds.

What `make book` does on a fresh checkout: `jupyter-book build . --builder html`
with `execute_notebooks: cache` (from _config.yml), so every notebook is run
once and its outputs stored in `_build/.jupyter_cache`. Measured here:

- the cold build, in a fresh `git clone` of the repository (committed state of
  HEAD, not the work tree): wall-clock time and CPU time (this process's
  children: the build and every notebook kernel it started);
- each notebook's execution time, as jupyter-cache records it
  (`execution_seconds`, wall clock), and the CPU time of the kernel that ran it
  (sampled with psutil while the build runs: kernels run one after the other,
  so the k-th kernel started ran the k-th notebook executed);
- an unchanged rebuild (`--rebuilds` times, median): same command again,
  everything cached;
- a profile of the cold build: Sphinx's phases (start-up, reading the sources, which
  includes executing the notebooks, resolving, writing the HTML, finishing, the
  build-finished handlers) and, per document, the time to read it (for a notebook:
  its execution, as jupyter-cache records it, and the rest: parsing, glue, images)
  and to write it. The times come from a small extension (_sphinx_phases.py) that
  the clone's _config.yml loads for these builds only.

The chapters are whatever the commit holds: a notebook that is listed in _toc.yml
but missing is only a warning; one that fails to execute fails the build, and the
profile names it. `--worktree` builds the work tree as it is (tracked and untracked,
not ignored files) instead of HEAD, to profile chapters that are not committed yet.

The clone imports its own `coursecode` (PYTHONPATH points at it) and uses this
interpreter's environment (the project's .venv), so installing packages is not
part of the time. The built HTML stays in the clone for bench_pages.py unless
`--cleanup`.

Goals (2-core machine): cold build <= 120 s; each notebook <= 15 s; unchanged
rebuild <= 15 s.

    python benchmarks/bench_build.py [--rebuilds 3] [--repo PATH] [--keep DIR] [--worktree]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import LoadSampler, machine_info  # noqa: E402

GOAL_COLD_S, GOAL_NOTEBOOK_S, GOAL_REBUILD_S = 120.0, 15.0, 15.0


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


class KernelSampler(threading.Thread):
    """Polls the descendants of one process; remembers each ipykernel's CPU time."""

    def __init__(self, pid: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.kernels: dict[int, dict] = {}
        self._stop_event = threading.Event()

    def run(self):
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop_event.is_set():
            try:
                children = root.children(recursive=True)
            except psutil.NoSuchProcess:
                break
            for proc in children:
                try:
                    if proc.pid not in self.kernels:
                        cmd = " ".join(proc.cmdline())
                        if "ipykernel" not in cmd:
                            continue
                        self.kernels[proc.pid] = {"started": proc.create_time(), "cpu_s": 0.0}
                    t = proc.cpu_times()
                    self.kernels[proc.pid]["cpu_s"] = t.user + t.system + t.children_user + t.children_system
                except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                    pass
            self._stop_event.wait(self.interval)

    def stop(self):
        self._stop_event.set()
        self.join(timeout=5)

    def in_start_order(self) -> list[float]:
        return [k["cpu_s"] for k in sorted(self.kernels.values(), key=lambda k: k["started"])]


def build(clone: Path, python: str, sample_kernels: bool = False, phases: Path | None = None) -> dict:
    """Run `jupyter-book build . --builder html` in the clone; wall, CPU, output tail."""
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["PYTHONPATH"] = str(clone) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["BENCH_SPHINX_PHASES"] = str(phases) if phases else ""
    cmd = [str(Path(python).parent / "jupyter-book"), "build", ".", "--builder", "html"]
    launched = time.time()
    cpu0, w0 = _children_cpu(), time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=clone, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    sampler = KernelSampler(proc.pid) if sample_kernels else None
    if sampler:
        sampler.start()
    output, _ = proc.communicate(timeout=3600)
    wall = time.perf_counter() - w0
    if sampler:
        sampler.stop()
    cpu = _children_cpu() - cpu0
    return {"returncode": proc.returncode, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "launched": launched, "ended": launched + wall,
            "kernel_cpu_s": sampler.in_start_order() if sampler else None,
            "output_tail": output[-3000:]}


def copy_worktree(repo: Path, dest: Path) -> None:
    """The work tree as it is: tracked and untracked files that git does not ignore."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=repo,
                           capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, files):
        src = repo / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def add_phase_timer(clone: Path) -> None:
    """Load _sphinx_phases.py in the clone's builds (its _config.yml only; the repository is not touched)."""
    import yaml

    folder = clone / "_bench_ext"
    folder.mkdir(exist_ok=True)
    shutil.copy2(Path(__file__).with_name("_sphinx_phases.py"), folder / "_sphinx_phases.py")
    config_path = clone / "_config.yml"
    config = yaml.safe_load(config_path.read_text(encoding="utf8")) or {}
    sphinx = config.setdefault("sphinx", {}) or {}
    config["sphinx"] = sphinx
    sphinx["local_extensions"] = {**(sphinx.get("local_extensions") or {}), "_sphinx_phases": "_bench_ext"}
    exclude = config.setdefault("exclude_patterns", []) or []
    config["exclude_patterns"] = [*exclude, "_bench_ext"]
    config_path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf8")


def profile(marks_file: Path, cold: dict, per_nb: list[dict]) -> dict | None:
    """Sphinx's phases and each document's read and write time from the extension's marks."""
    if not marks_file.exists():
        return None
    data = json.loads(marks_file.read_text(encoding="utf8"))
    marks = data["marks"]
    first = {}
    for t, event, _ in marks:
        first.setdefault(event, t)
    bounds = [("start-up: Python, jupyter-book, Sphinx and the extensions imported", cold["launched"],
               first.get("extension-setup")),
              ("set-up: configuration, builder, environment", first.get("extension-setup"), first.get("read-start")),
              ("reading the sources (notebooks executed here)", first.get("read-start"), first.get("env-updated")),
              ("resolving: environment saved, consistency, references", first.get("env-updated"),
               first.get("doctree-resolved")),
              ("writing the HTML pages", first.get("doctree-resolved"), first.get("finish-start")),
              ("finishing: indices, images, static files, search index", first.get("finish-start"),
               first.get("build-finished-start")),
              ("build-finished handlers (extensions' post-processing)", first.get("build-finished-start"),
               first.get("build-finished-end")),
              ("after the build: jupyter-book's report, waiting for threads", first.get("build-finished-end"),
               first.get("atexit")),
              ("exit: exit handlers, interpreter teardown", first.get("atexit"), cold["ended"])]
    phases = [{"phase": name, "wall_s": round(b - a, 2) if a is not None and b is not None else None}
              for name, a, b in bounds]

    docs: dict[str, dict] = {}
    read_open, write_order = {}, []
    for t, event, doc in marks:
        if event == "source-read":
            read_open[doc] = t
        elif event == "doctree-read" and doc in read_open:
            docs.setdefault(doc, {})["read_s"] = round(t - read_open.pop(doc), 3)
        elif event == "doctree-resolved":
            write_order.append((t, doc))
    ends = [t for t, _ in write_order[1:]] + [first.get("finish-start")]
    for (t, doc), end in zip(write_order, ends):
        if end is not None:
            docs.setdefault(doc, {})["write_s"] = round(end - t, 3)
    execution = {Path(row["notebook"]).with_suffix("").as_posix(): row for row in per_nb}
    rows = []
    for doc, times in docs.items():
        row = {"document": doc, "read_s": times.get("read_s"), "write_s": times.get("write_s")}
        nb = execution.get(doc)
        if nb is not None:
            row["execution_s"] = nb["execution_wall_s"]
            if "kernel_cpu_s" in nb:
                row["kernel_cpu_s"] = nb["kernel_cpu_s"]
            if row["read_s"] is not None:
                row["read_other_s"] = round(row["read_s"] - nb["execution_wall_s"], 3)
        rows.append(row)
    rows.sort(key=lambda r: -((r["read_s"] or 0) + (r["write_s"] or 0)))
    return {"phases": phases, "documents": rows, "failed_while_reading": sorted(read_open),
            "build_failed": data.get("failed", False)}


def print_profile(prof: dict | None) -> None:
    if not prof:
        print("  (no profile: the phase timer wrote nothing)")
        return
    print("  where the cold build's time goes (wall seconds):")
    for p in prof["phases"]:
        print(f"    {p['phase']:64s} {p['wall_s'] if p['wall_s'] is not None else float('nan'):6.1f}")
    print(f"    {'document':38s} {'read':>6s} {'execute':>8s} {'rest':>6s} {'write':>6s}")
    for r in prof["documents"]:
        def f(key):
            return f"{r[key]:.1f}" if r.get(key) is not None else "-"
        print(f"    {r['document']:38s} {f('read_s'):>6s} {f('execution_s'):>8s} {f('read_other_s'):>6s} "
              f"{f('write_s'):>6s}")
    if prof["failed_while_reading"]:
        print(f"    failed while reading: {', '.join(prof['failed_while_reading'])}")


def notebook_times(clone: Path) -> list[dict]:
    """Each executed notebook's record in the clone's jupyter cache, in execution order."""
    from jupyter_cache import get_cache

    cache = get_cache(str(clone / "_build" / ".jupyter_cache"))
    rows = []
    for record in sorted(cache.list_cache_records(), key=lambda r: (r.created, r.pk)):
        uri = Path(record.uri)
        try:
            uri = uri.relative_to(clone)
        except ValueError:
            pass
        rows.append({"notebook": uri.as_posix(),
                     "execution_wall_s": round(float((record.data or {}).get("execution_seconds", float("nan"))), 2)})
    return rows


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default=str(ROOT), help="repository to clone (default: this one)")
    parser.add_argument("--rebuilds", type=int, default=3, help="unchanged rebuilds (median reported)")
    parser.add_argument("--keep", default=None, help="clone into this directory (must not exist)")
    parser.add_argument("--cleanup", action="store_true", help="remove the clone afterwards")
    parser.add_argument("--worktree", action="store_true",
                        help="build a copy of the work tree as it is, not a clone of HEAD")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "build.json"))
    args = parser.parse_args(argv)

    if args.keep:
        clone = Path(args.keep)
    else:
        clone = Path(tempfile.mkdtemp(prefix="book-cold-build-")) / "book"
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=args.repo, capture_output=True,
                            text=True, check=True).stdout.strip()
    if args.worktree:
        clone.mkdir(parents=True)
        copy_worktree(Path(args.repo), clone)
        commit += " + work tree"
    else:
        subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", args.repo, str(clone)], check=True)
    add_phase_timer(clone)
    marks_file = clone / "_build" / "sphinx-phases.json"
    notebooks = sorted(p.relative_to(clone).as_posix() for p in (clone / "chapters").glob("*.ipynb"))
    python = sys.executable

    machine_before = machine_info()
    print(f"cold build of {commit[:10]} ({len(notebooks)} notebooks) in {clone} ...", flush=True)
    with LoadSampler() as load:
        cold = build(clone, python, sample_kernels=True, phases=marks_file)
    cold["load_during"] = load.summary()
    print(f"  cold build: {cold['wall_s']:.1f} s wall, {cold['cpu_s']:.1f} s CPU, "
          f"exit {cold['returncode']}", flush=True)
    if cold["returncode"] != 0:
        print(cold["output_tail"], file=sys.stderr)

    per_nb = notebook_times(clone)
    kernel_cpu = cold.pop("kernel_cpu_s") or []
    if len(kernel_cpu) == len(per_nb):
        for row, cpu in zip(per_nb, kernel_cpu):
            row["kernel_cpu_s"] = round(cpu, 2)
    for row in per_nb:
        print(f"  {row['notebook']:40s} {row['execution_wall_s']:6.1f} s wall"
              + (f" {row['kernel_cpu_s']:6.1f} s kernel CPU" if "kernel_cpu_s" in row else ""))

    prof = profile(marks_file, cold, per_nb)
    print_profile(prof)
    for key in ("launched", "ended"):
        cold.pop(key)

    rebuilds = []
    for i in range(args.rebuilds):
        r = build(clone, python)
        rebuilds.append({k: r[k] for k in ("returncode", "wall_s", "cpu_s")})
        print(f"  unchanged rebuild {i + 1}: {r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU", flush=True)
    machine_after = machine_info()

    worst = max((row["execution_wall_s"] for row in per_nb), default=float("nan"))
    rebuild_wall = statistics.median(r["wall_s"] for r in rebuilds) if rebuilds else None
    rebuild_cpu = statistics.median(r["cpu_s"] for r in rebuilds) if rebuilds else None
    report = {
        "benchmark": "book build",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "commit": commit,
        "command": "jupyter-book build . --builder html (execute_notebooks: cache) in a fresh git clone",
        "machine_before": machine_before,
        "machine_after": machine_after,
        "notebooks_in_repo": notebooks,
        "cold": cold,
        "notebooks": per_nb,
        "notebooks_executed": len(per_nb),
        "profile": prof,
        "unchanged_rebuilds": rebuilds,
        "unchanged_rebuild_median_wall_s": rebuild_wall,
        "unchanged_rebuild_median_cpu_s": rebuild_cpu,
        "goals": {"cold_wall_s": GOAL_COLD_S, "notebook_wall_s": GOAL_NOTEBOOK_S,
                  "unchanged_rebuild_wall_s": GOAL_REBUILD_S},
        "goals_met": {
            "cold": cold["returncode"] == 0 and cold["wall_s"] <= GOAL_COLD_S,
            "every_notebook": bool(per_nb) and worst <= GOAL_NOTEBOOK_S,
            "unchanged_rebuild": rebuild_wall is not None and rebuild_wall <= GOAL_REBUILD_S,
        },
        "html_dir": str(clone / "_build" / "html"),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    saved = dict(report)
    saved["cold"] = {k: v for k, v in cold.items() if k != "output_tail"}
    saved["html_dir"] = "(the clone's _build/html; removed)" if args.cleanup else report["html_dir"]
    out.write_text(json.dumps(saved, indent=2) + "\n")
    print(f"wrote {out}")
    if args.cleanup:
        shutil.rmtree(clone.parent if not args.keep else clone, ignore_errors=True)
    return report


if __name__ == "__main__":
    main()
