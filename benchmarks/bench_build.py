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
  everything cached.

The clone imports its own `coursecode` (PYTHONPATH points at it) and uses this
interpreter's environment (the project's .venv), so installing packages is not
part of the time. The built HTML stays in the clone for bench_pages.py unless
`--cleanup`.

Goals (2-core machine): cold build <= 120 s; each notebook <= 15 s; unchanged
rebuild <= 15 s.

    python benchmarks/bench_build.py [--rebuilds 3] [--repo PATH] [--keep DIR]
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


def build(clone: Path, python: str, sample_kernels: bool = False) -> dict:
    """Run `jupyter-book build . --builder html` in the clone; wall, CPU, output tail."""
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["PYTHONPATH"] = str(clone) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    cmd = [str(Path(python).parent / "jupyter-book"), "build", ".", "--builder", "html"]
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
            "kernel_cpu_s": sampler.in_start_order() if sampler else None,
            "output_tail": output[-3000:]}


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
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "build.json"))
    args = parser.parse_args(argv)

    if args.keep:
        clone = Path(args.keep)
    else:
        clone = Path(tempfile.mkdtemp(prefix="book-cold-build-")) / "book"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", args.repo, str(clone)], check=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True,
                            text=True, check=True).stdout.strip()
    notebooks = sorted(p.relative_to(clone).as_posix() for p in (clone / "chapters").glob("*.ipynb"))
    python = sys.executable

    machine_before = machine_info()
    print(f"cold build of {commit[:10]} ({len(notebooks)} notebooks) in {clone} ...", flush=True)
    with LoadSampler() as load:
        cold = build(clone, python, sample_kernels=True)
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
