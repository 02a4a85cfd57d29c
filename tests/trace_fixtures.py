"""What the trace recorders share: random draws, the fixture file format, and how traces are compared.

``record_torch_traces.py`` and ``record_optax_traces.py`` record a reference library's
trajectories into an ``.npz`` fixture (a JSON manifest of the cases plus their arrays);
``test_parity.py`` and ``test_parity_optax.py`` replay them. Both scripts import this.
"""
from __future__ import annotations

import json

import numpy as np


def _loguniform(rng, lo, hi):
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def sensitivity(trace, meta, arrays, rel=1e-13):
    """How much a relative perturbation ``rel`` of theta0 grows over the run ``trace(meta, arrays)``."""
    base = trace(meta, arrays)
    nudged = dict(arrays, theta0=arrays["theta0"] * (1 + rel))
    with np.errstate(all="ignore"):
        err = relative_error(trace(meta, nudged), base)
    return err / rel if np.isfinite(err) else np.inf


def gradient(arrays, theta, k):
    """The gradient of the k-th step (k = 0, 1, ...) at theta, computed identically for every library."""
    return arrays["A"] * theta + arrays["b"] + arrays["noise"][k].astype(np.float64)


def recorded_steps(meta):
    return np.arange(0, meta["steps"] + 1, meta["every"])


def relative_error(a, b):
    """Largest |a - b| at any stored step, relative to that step's largest |b| (or 1e-300)."""
    axes = tuple(range(1, a.ndim))
    scale = np.maximum(np.max(np.abs(b), axis=axes), 1e-300)
    return float(np.max(np.max(np.abs(a - b), axis=axes) / scale))


def save(cases, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {"manifest": np.array(json.dumps([meta for meta, _ in cases]))}
    for meta, data in cases:
        for key, value in data.items():
            arrays[f"{meta['name']}/{key}"] = value
    np.savez_compressed(path, **arrays)


def load_cases(path):
    """The recorded cases: a list of (meta, arrays) with arrays incl. ``trace``."""
    with np.load(path, allow_pickle=False) as f:
        manifest = json.loads(str(f["manifest"]))
        return [(meta, {key: f[f"{meta['name']}/{key}"] for key in ("theta0", "A", "b", "noise", "trace")})
                for meta in manifest]


def load_all_arrays(path):
    """Like :func:`load_cases`, with every array stored for a case (fixtures that keep more than the trace)."""
    with np.load(path, allow_pickle=False) as f:
        manifest = json.loads(str(f["manifest"]))
        return [(meta, {key.split("/", 1)[1]: f[key] for key in f.files if key.startswith(meta["name"] + "/")})
                for meta in manifest]


def load_arrays(path, meta, keys):
    """More arrays of one recorded case, by key (e.g. a second trace that ``load_cases`` does not read)."""
    with np.load(path, allow_pickle=False) as f:
        return {key: f[f"{meta['name']}/{key}"] for key in keys}


def coursecode_run(opt, arrays, steps, states=False):
    """theta_0 .. theta_steps of a coursecode optimizer on a case's gradients (float64), shape
    (steps + 1, *theta.shape); with ``states``, also the list of states."""
    theta = np.array(arrays["theta0"], dtype=np.float64)
    state = opt.init(theta)
    out, kept = [theta], [state]
    for k in range(steps):
        theta, state = opt.step(theta, gradient(arrays, theta, k), state)
        out.append(theta)
        kept.append(state)
    return (np.stack(out), kept) if states else np.stack(out)


def well_conditioned(draw_case, trace, tries=20):
    """The first case ``draw_case(draw)`` -> (meta, arrays), draw = 0, 1, ..., whose run ``trace``
    amplifies a perturbation of theta0 less than 1e3 times. A chaotic run (adaptive steps bouncing
    around the minimum) is redrawn: there two correct implementations part ways after a few hundred
    steps, and a 1e-10 tolerance would test the weather, not the update rule."""
    for draw in range(tries):
        meta, arrays = draw_case(draw)
        if sensitivity(trace, meta, arrays) < 1e3:
            return meta, arrays
    raise RuntimeError(f"no well-conditioned draw for {meta['name']}")
