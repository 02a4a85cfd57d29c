"""Speed of the coursecode core: batched runs, and one Adam step against the memory floor.

(a) Batching. 10,000 Adam trajectories x 1,000 steps on ``cc.ravine()`` in one
    batched ``cc.run`` (``record_grads=False``), against the same runs one by one
    (timed on a sample of ``--sample`` runs and extrapolated). Goal: >= 50x.
(b) One ``opt.step`` of Adam, AdamW and AMSGrad on 10^7 float64 parameters against
    the memory floor: a numpy copy of the arrays the step has to touch (theta, g and
    the state's arrays: m, v, and v_max for AMSGrad), timed in the same process,
    interleaved with the step. Goal: step / floor <= 2 for each (aim: 1.7, so that
    the goal holds on a busier machine). One core's work against one core's copy.

Machines running other programs make single timings noisy, so every number is a
median over repetitions, and both wall-clock and process CPU time are reported
(CPU time is what the code costs; wall time also counts waiting for the CPU).
Writes benchmarks/results/core.json.

    python benchmarks/bench_core.py [--sample 100] [--reps 15] [--quick]
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

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import coursecode as cc  # noqa: E402

GOAL_BATCH_SPEEDUP, GOAL_STEP_OVER_FLOOR = 50.0, 2.0
AIM_STEP_OVER_FLOOR = 1.7      # the margin that keeps the goal on a busier machine
STEP_OPTIMIZERS = {"adam": cc.adam, "adamw": cc.adamw, "amsgrad": cc.amsgrad}


def timed(fn):
    """(wall seconds, CPU seconds, result) of one call."""
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w0, time.process_time() - c0, out


def batching(n_runs, steps, sample, seed):
    rng = np.random.default_rng(seed)
    problem = cc.ravine()
    theta0 = rng.uniform(-1.2, 1.2, (n_runs, 2))
    opt = cc.adam(lr=1e-2)

    wall_b, cpu_b, traj = timed(lambda: cc.run(opt, problem, theta0, steps, record_grads=False))
    assert traj.thetas.shape == (steps + 1, n_runs, 2) and not traj.diverged

    idx = rng.choice(n_runs, size=sample, replace=False)
    walls, cpus = [], []
    for i in idx:
        w, c, one = timed(lambda i=i: cc.run(opt, problem, theta0[i], steps, record_grads=False))
        walls.append(w)
        cpus.append(c)
        # the batch is exactly the runs one by one
        np.testing.assert_allclose(one.thetas, traj.thetas[:, i], rtol=1e-12, atol=1e-15)
    per_run_wall, per_run_cpu = float(np.median(walls)), float(np.median(cpus))
    return {
        "runs": n_runs, "steps": steps, "sample": sample,
        "batched_wall_s": wall_b, "batched_cpu_s": cpu_b,
        "one_by_one_median_run_wall_s": per_run_wall, "one_by_one_median_run_cpu_s": per_run_cpu,
        "one_by_one_extrapolated_wall_s": per_run_wall * n_runs,
        "one_by_one_extrapolated_cpu_s": per_run_cpu * n_runs,
        "speedup_wall": per_run_wall * n_runs / wall_b,
        "speedup_cpu": per_run_cpu * n_runs / cpu_b,
        "goal_speedup": GOAL_BATCH_SPEEDUP,
    }


def adam_step(n, reps, seed, name="adam"):
    rng = np.random.default_rng(seed)
    theta, g = rng.standard_normal(n), rng.standard_normal(n)
    opt = STEP_OPTIMIZERS[name]()
    state = opt.init(theta)
    theta, state = opt.step(theta, g, state)           # m, v no longer zero
    arrays = (theta, g) + tuple(v for v in state if isinstance(v, np.ndarray))

    def floor():
        return [a.copy() for a in arrays]

    def step():
        return opt.step(theta, g, state)

    step(), floor()                                     # warm up
    rows = {"step": [], "floor": []}
    for r in range(reps):                               # interleaved, order alternating
        order = ("step", "floor") if r % 2 == 0 else ("floor", "step")
        for what in order:
            w, c, out = timed(step if what == "step" else floor)
            del out
            rows[what].append((w, c))
    w_step, c_step = np.median(rows["step"], axis=0)
    w_floor, c_floor = np.median(rows["floor"], axis=0)
    ratios_wall = [s[0] / f[0] for s, f in zip(rows["step"], rows["floor"])]
    ratios_cpu = [s[1] / f[1] for s, f in zip(rows["step"], rows["floor"])]
    return {
        "optimizer": name, "arrays_copied": len(arrays), "parameters": n, "reps": reps,
        "step_wall_ms": 1e3 * w_step, "step_cpu_ms": 1e3 * c_step,
        "floor_wall_ms": 1e3 * w_floor, "floor_cpu_ms": 1e3 * c_floor,
        "ratio_wall": w_step / w_floor, "ratio_cpu": c_step / c_floor,
        "median_of_paired_ratios_wall": float(np.median(ratios_wall)),
        "median_of_paired_ratios_cpu": float(np.median(ratios_cpu)),
        "goal_ratio": GOAL_STEP_OVER_FLOOR, "aim_ratio": AIM_STEP_OVER_FLOOR,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=1_000)
    parser.add_argument("--sample", type=int, default=100)
    parser.add_argument("--params", type=int, default=10**7)
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="small sizes, to check that the script runs")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "core.json"))
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.steps, args.sample, args.params, args.reps = 500, 100, 5, 10**5, 3

    load_before = os.getloadavg() if hasattr(os, "getloadavg") else (math.nan,) * 3
    a = batching(args.runs, args.steps, args.sample, args.seed)
    steps = {name: adam_step(args.params, args.reps, args.seed, name) for name in STEP_OPTIMIZERS}
    b = steps["adam"]
    load_after = os.getloadavg() if hasattr(os, "getloadavg") else (math.nan,) * 3

    ok_a = a["speedup_wall"] >= GOAL_BATCH_SPEEDUP
    ok_steps = {name: r["ratio_wall"] <= GOAL_STEP_OVER_FLOOR for name, r in steps.items()}
    ok_b = all(ok_steps.values())
    print(f"(a) {a['runs']:,} Adam runs x {a['steps']:,} steps on the ravine")
    print(f"    {'':28s} {'wall':>10s} {'CPU':>10s}")
    print(f"    {'one batched cc.run':28s} {a['batched_wall_s']:9.2f}s {a['batched_cpu_s']:9.2f}s")
    print(f"    {'one by one (extrapolated)':28s} {a['one_by_one_extrapolated_wall_s']:9.1f}s "
          f"{a['one_by_one_extrapolated_cpu_s']:9.1f}s   (median of {a['sample']} runs x {a['runs']:,})")
    print(f"    {'speed-up':28s} {a['speedup_wall']:9.0f}x {a['speedup_cpu']:9.0f}x   "
          f"goal >= {GOAL_BATCH_SPEEDUP:.0f}x: {'met' if ok_a else 'MISSED'}")
    for name, r in steps.items():
        print(f"(b) one {name} step on {r['parameters']:.0e} float64 parameters (median of {r['reps']})")
        print(f"    {'opt.step':28s} {r['step_wall_ms']:8.0f}ms {r['step_cpu_ms']:8.0f}ms")
        floor = f"floor: copy its {r['arrays_copied']} arrays"
        print(f"    {floor:28s} {r['floor_wall_ms']:8.0f}ms {r['floor_cpu_ms']:8.0f}ms")
        print(f"    {'step / floor':28s} {r['ratio_wall']:9.2f}x {r['ratio_cpu']:9.2f}x   "
              f"goal <= {GOAL_STEP_OVER_FLOOR:.0f}x (aim {AIM_STEP_OVER_FLOOR:g}x): "
              f"{'met' if ok_steps[name] else 'MISSED'}")
    print(f"load average before/after: {load_before[0]:.2f} / {load_after[0]:.2f} on {os.cpu_count()} CPUs")

    report = {
        "benchmark": "coursecode core", "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
                    "load_average_1_5_15_before": [round(x, 2) for x in load_before],
                    "load_average_1_5_15_after": [round(x, 2) for x in load_after]},
        "quick": args.quick,
        "batching": a, "adam_step": b, "steps": steps,
        "goals_met": {"batching": bool(ok_a), "adam_step": bool(ok_b),
                      **{f"{name}_step": bool(ok) for name, ok in ok_steps.items()}},
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


if __name__ == "__main__":
    main()
