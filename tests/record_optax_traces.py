"""Record reference traces from optax into ``tests/fixtures/optax/adopt_traces.npz``.

The book's ``.venv`` has no JAX. Record in a separate environment, with
coursecode installed there without its dependencies::

    python3 -m venv /tmp/venv-optax
    /tmp/venv-optax/bin/pip install optax jax numpy
    /tmp/venv-optax/bin/pip install --no-deps -e .
    /tmp/venv-optax/bin/python tests/record_optax_traces.py

JAX computes in float32 unless ``jax_enable_x64`` is set; :func:`optax_trace` sets
it, so the traces are float64 like coursecode's.

The format follows ``record_torch_traces.py``. Every case runs ``cc.adopt`` and
``optax.contrib.adopt`` for ``STEPS`` steps on a noisy diagonal quadratic

    g_t = A * theta_{t-1} + b + noise_t        (element-wise; A > 0)

so each gradient depends on where the optimizer has gone. theta0, A, b, the noise
(float16 numbers, which float64 holds exactly), the hyperparameters and optax's
theta every ``EVERY`` steps are stored. The first case of each family uses the
defaults of both libraries (optax needs a learning rate: coursecode's default
1e-3); the others draw shapes (1-D to 3-D) and hyperparameters at random, beta2
from 0 to 0.9999 (ADOPT's claim is "any beta2").
Gradient scales: 1; 1 to 1e2; 1e-7 to 1e-5, where the floor ``eps`` of the
denominator takes over; 1e-2 to 1. Family ``adopt_schedule`` uses the step size
lr / sqrt(t), which optax, counting from 0, receives as ``learning_rate(count) = lr / sqrt(count + 1)``.

``test_parity_optax.py`` loads this file as a module (``load_cases``,
``coursecode_trace``, ``optax_trace``, ``coverage``) to replay the fixture and,
when optax is importable, to rerun the same cases live.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))   # trace_fixtures sits beside this file
from trace_fixtures import _loguniform, gradient, recorded_steps, relative_error, sensitivity  # noqa: F401
from trace_fixtures import load_cases as _load
from trace_fixtures import save as _save

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "optax" / "adopt_traces.npz"
STEPS = 600          # optimizer steps per case
EVERY = 10           # theta is stored at steps 0, EVERY, 2 EVERY, ..., STEPS
CASES_PER_FAMILY = 4
SEED = 20241105
# gradient scale of case i (log10 range): 1; large; below eps; small
SCALES = [(0, 0), (0, 2), (-7, -5), (-2, 0)]
# range of beta2 in case i (case 0 of the first family: the default 0.9999)
BETA2 = [(0.9, 0.9999), (0.0, 0.5), (0.99, 0.9999), (0.5, 0.99)]
FAMILIES = {"adopt": None, "adopt_schedule": "inv_sqrt"}   # family -> learning-rate schedule


def _hyperparameters(rng, scale, i):
    lo, hi = BETA2[i % len(BETA2)]
    return {"lr": _loguniform(rng, 1e-3, 1e-1), "beta1": float(rng.uniform(0.0, 0.95)),
            "beta2": float(rng.uniform(lo, hi)),
            # near the gradient scale when that is tiny, so that max(sqrt(v), eps) switches
            "eps": _loguniform(rng, 1e-8, 1e-4) if scale > 1e-4 else _loguniform(rng, scale, 10 * scale)}


def _problem(rng, scale):
    """theta0, A, b and the noise sequence (float16 values, used as float64)."""
    ndim = int(rng.integers(1, 4))
    shape = tuple(int(n) for n in rng.integers(1, 5, size=ndim))
    if int(np.prod(shape)) < 2:
        shape = shape[:-1] + (2,)
    theta0 = rng.normal(0.0, 1.0, shape)
    A = scale * rng.uniform(0.2, 3.0, shape)
    b = scale * rng.normal(0.0, 1.0, shape)
    sigma = scale * rng.uniform(0.0, 1.0)
    # float16 cannot hold numbers below 6e-8: the smallest scales keep the noise in float32
    noise = (sigma * rng.standard_normal((STEPS,) + shape)).astype(np.float16 if scale > 1e-3 else np.float32)
    return theta0, A, b, noise


def generate_cases():
    """The cases, deterministic in ``SEED``: a list of (meta, arrays) pairs (see :func:`sensitivity`)."""
    cases = []
    for f, (family, schedule) in enumerate(FAMILIES.items()):
        for i in range(CASES_PER_FAMILY):
            rng = np.random.default_rng([SEED, f, i])
            for draw in range(20):
                scale = float(10 ** rng.uniform(*SCALES[i % len(SCALES)]))
                theta0, A, b, noise = _problem(rng, scale)
                kwargs = {} if i == 0 and schedule is None else _hyperparameters(rng, scale, i)
                meta = {"name": f"{family}-{i}", "family": family, "factory": "adopt", "kwargs": kwargs,
                        "schedule": schedule, "steps": STEPS, "every": EVERY, "draw": draw}
                arrays = {"theta0": theta0, "A": A, "b": b, "noise": noise}
                if sensitivity(coursecode_trace, meta, arrays) < 1e3:
                    break
            else:
                raise RuntimeError(f"no well-conditioned draw for {meta['name']}")
            cases.append((meta, arrays))
    return cases



def optax_kwargs(meta):
    """The keyword arguments of ``optax.contrib.adopt`` (besides the learning rate)."""
    kw = meta["kwargs"]
    names = {"beta1": "b1", "beta2": "b2", "eps": "eps"}
    return {names[k]: v for k, v in kw.items() if k in names}


def make_coursecode(meta):
    import coursecode as cc

    kwargs = dict(meta["kwargs"])
    if meta["schedule"] == "inv_sqrt":
        lr = kwargs.pop("lr", 1e-3)
        kwargs["lr"] = lambda t: lr / np.sqrt(t)
    return cc.ALL[meta["factory"]](**kwargs)


def coursecode_trace(meta, arrays, states=False):
    """theta_0 .. theta_steps from coursecode, shape (steps + 1, *theta.shape) (and the states)."""
    opt = make_coursecode(meta)
    theta = np.array(arrays["theta0"], dtype=np.float64)
    state = opt.init(theta)
    out, kept = [theta], [state]
    for k in range(meta["steps"]):
        theta, state = opt.step(theta, gradient(arrays, theta, k), state)
        out.append(theta)
        kept.append(state)
    return (np.stack(out), kept) if states else np.stack(out)


def optax_trace(meta, arrays):
    """theta_0 .. theta_steps from optax.contrib.adopt (float64, eager: no jit, no fusion)."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import optax

    lr = meta["kwargs"].get("lr", 1e-3)
    learning_rate = (lambda count: lr / jnp.sqrt(count + 1.0)) if meta["schedule"] == "inv_sqrt" else lr
    opt = optax.contrib.adopt(learning_rate, **optax_kwargs(meta))
    params = jnp.asarray(np.array(arrays["theta0"], dtype=np.float64))
    state = opt.init(params)
    out = [np.asarray(params).copy()]
    for k in range(meta["steps"]):
        g = gradient(arrays, np.asarray(params), k)
        updates, state = opt.update(jnp.asarray(g), state, params)
        params = optax.apply_updates(params, updates)
        out.append(np.asarray(params).copy())
    trace = np.stack(out)
    if trace.dtype != np.float64:
        raise RuntimeError("optax computed in float32: jax_enable_x64 was not in effect")
    return trace


def coverage(meta, arrays):
    """How many coordinate-steps of the case had the clip, and the floor eps, in effect (coursecode replay)."""
    import coursecode as cc

    eps = meta["kwargs"].get("eps", cc.adopt().eps)
    thetas, states = coursecode_trace(meta, arrays, states=True)
    clipped = floored = 0
    for k in range(1, meta["steps"]):                     # step t = k + 1 >= 2 uses v_{t-1} = states[k].v
        g = gradient(arrays, thetas[k], k)
        root = np.sqrt(states[k].v)
        u = g / np.maximum(root, eps)
        clipped += int(np.sum(np.abs(u) > k ** 0.25))
        floored += int(np.sum(root < eps))
    return clipped, floored


# -- the fixture file (its format is trace_fixtures') ---------------------------------------
def load_cases(path=FIXTURE):
    """The recorded cases of this recorder's fixture: a list of (meta, arrays) with ``trace``."""
    return _load(path)


def main():
    import optax

    cases = generate_cases()
    print(f"optax {optax.__version__}")
    print(f"{'case':18s} {'draw':>4s} {'clipped':>8s} {'floored':>8s} {'max rel. error of coursecode':>30s}")
    for meta, arrays in cases:
        full = optax_trace(meta, arrays)
        arrays["trace"] = full[recorded_steps(meta)]
        err = relative_error(coursecode_trace(meta, arrays), full)
        clipped, floored = coverage(meta, arrays)
        print(f"{meta['name']:18s} {meta['draw']:4d} {clipped:8d} {floored:8d} {err:30.2e}")
    _save(cases, FIXTURE)
    print(f"wrote {FIXTURE} ({FIXTURE.stat().st_size / 1024:.0f} KiB, {len(cases)} cases)")


if __name__ == "__main__":
    main()

