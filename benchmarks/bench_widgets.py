"""Redraw time of every explorer: what one slider move costs (compute + redraw + encode).

For each explorer in ``coursecode.widgets.registry()``: build it, then time
``update(**values)`` at seeded random control values (every control changes at
each update, the worst case: no result is cached) and at single-slider moves
(one control at a time, what dragging a slider does). Reports the median and the
95th percentile of the wall-clock time and of the process CPU time (the second
is what the code costs; the first also counts other programs sharing the CPU),
and writes benchmarks/results/widgets.json.

Goal: median <= 50 ms and p95 <= 100 ms per redraw on a 2-core machine.

    python benchmarks/bench_widgets.py [--repeats 60] [--seed 0]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import ipywidgets as W  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coursecode import widgets  # noqa: E402

GOAL_MEDIAN_MS, GOAL_P95_MS = 50.0, 100.0


def random_value(control, rng):
    """A value the control can take, drawn from ``rng``."""
    if isinstance(control, W.Dropdown):
        options = [o[1] if isinstance(o, (tuple, list)) else o for o in control.options]
        return options[rng.integers(len(options))]
    if isinstance(control, W.Checkbox):
        return bool(rng.integers(2))
    if isinstance(control, W.FloatLogSlider):
        return float(control.base ** rng.uniform(control.min, control.max))
    return float(rng.uniform(control.min, control.max))


def time_updates(explorer, settings):
    wall, cpu = [], []
    for values in settings:
        w0, c0 = time.perf_counter(), time.process_time()
        explorer.update(**values)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return np.array(wall) * 1e3, np.array(cpu) * 1e3


def summary(ms):
    return {"median_ms": round(float(np.median(ms)), 1), "p95_ms": round(float(np.percentile(ms, 95)), 1),
            "max_ms": round(float(np.max(ms)), 1)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=60, help="updates per explorer and kind")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "widgets.json"))
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    results = {}
    for name, factory in widgets.registry().items():
        t0 = time.perf_counter()
        ex = factory()
        build_ms = (time.perf_counter() - t0) * 1e3
        sliders = [k for k, c in ex.controls.items() if not isinstance(c, (W.Dropdown, W.Checkbox))]
        # every control random: each update computes afresh
        random_all = [{k: random_value(c, rng) for k, c in ex.controls.items()} for _ in range(args.repeats)]
        # one slider at a time, as when a reader drags it
        one = []
        for i in range(args.repeats):
            k = sliders[i % len(sliders)]
            one.append({k: random_value(ex.controls[k], rng)})
        ex.update(**random_all[0])  # warm up: first scenes, caches of the problem
        wall_all, cpu_all = time_updates(ex, random_all)
        wall_one, cpu_one = time_updates(ex, one)
        results[name] = {
            "build_ms": round(build_ms, 1),
            "all_controls_random": {"wall": summary(wall_all), "cpu": summary(cpu_all)},
            "one_slider_moves": {"wall": summary(wall_one), "cpu": summary(cpu_one)},
        }
        ex.close()
        r = results[name]["all_controls_random"]
        print(f"{name:10s} build {build_ms:7.0f} ms | all random: median {r['wall']['median_ms']:5.1f} "
              f"p95 {r['wall']['p95_ms']:5.1f} ms wall, median {r['cpu']['median_ms']:5.1f} "
              f"p95 {r['cpu']['p95_ms']:5.1f} ms cpu | one slider: median "
              f"{results[name]['one_slider_moves']['wall']['median_ms']:5.1f} ms wall")
    load = os.getloadavg() if hasattr(os, "getloadavg") else (math.nan,) * 3
    report = {
        "goal": {"median_ms": GOAL_MEDIAN_MS, "p95_ms": GOAL_P95_MS},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_1_5_15": [round(x, 2) for x in load]},
        "repeats": args.repeats, "seed": args.seed,
        "explorers": results,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
