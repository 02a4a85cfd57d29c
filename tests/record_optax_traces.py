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

A second fixture, ``schedule_free_traces.npz`` beside the first, holds
``cc.schedule_free_adamw`` against ``optax.contrib.schedule_free_adamw`` on the same
kind of problem: the defaults, random hyperparameters (beta1 from 0.5 to 0.98,
weight_lr_power from 0 to 3), a linear warm-up (``warmup_steps``), weight decay, and
the schedule lr / sqrt(t). Besides optax's params (y, where the gradient is taken,
``trace``) it stores the evaluation point x = ``schedule_free_eval_params``
(``trace_x``). ``python tests/record_optax_traces.py schedule_free`` records only it.

``test_parity_optax.py`` loads this file as a module (``load_cases``,
``coursecode_trace``, ``optax_trace``, ``coverage``) to replay the fixture and,
when optax is importable, to rerun the same cases live.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))   # trace_fixtures sits beside this file
from trace_fixtures import _loguniform, coursecode_run, gradient, recorded_steps, relative_error, sensitivity  # noqa: F401
from trace_fixtures import well_conditioned
from trace_fixtures import load_arrays, load_cases as _load  # noqa: F401
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
SF_FIXTURE = FIXTURE.with_name("schedule_free_traces.npz")
# Schedule-Free AdamW: family -> (learning-rate schedule, which extra hyperparameters are drawn)
SF_FAMILIES = {"schedule_free": (None, ()), "schedule_free_warmup": (None, ("warmup_steps",)),
               "schedule_free_decay": (None, ("weight_decay", "warmup_steps")),
               "schedule_free_schedule": ("inv_sqrt", ())}


def _hyperparameters(rng, scale, i):
    lo, hi = BETA2[i % len(BETA2)]
    return {"lr": _loguniform(rng, 1e-3, 1e-1), "beta1": float(rng.uniform(0.0, 0.95)),
            "beta2": float(rng.uniform(lo, hi)),
            # near the gradient scale when that is tiny, so that max(sqrt(v), eps) switches
            "eps": _loguniform(rng, 1e-8, 1e-4) if scale > 1e-4 else _loguniform(rng, scale, 10 * scale)}


def _problem(rng, scale, max_side=4):
    """theta0, A, b and the noise sequence (float16 values, used as float64)."""
    ndim = int(rng.integers(1, 4))
    shape = tuple(int(n) for n in rng.integers(1, max_side + 1, size=ndim))
    if int(np.prod(shape)) < 2:
        shape = shape[:-1] + (2,)
    theta0 = rng.normal(0.0, 1.0, shape)
    A = scale * rng.uniform(0.2, 3.0, shape)
    b = scale * rng.normal(0.0, 1.0, shape)
    sigma = scale * rng.uniform(0.0, 1.0)
    # float16 cannot hold numbers below 6e-8: the smallest scales keep the noise in float32
    noise = (sigma * rng.standard_normal((STEPS,) + shape)).astype(np.float16 if scale > 1e-3 else np.float32)
    return theta0, A, b, noise


def _sf_hyperparameters(rng, scale, i, extra):
    """Schedule-Free AdamW's: beta1 > 0 (optax divides by it), the averaging power, warm-up and decay."""
    kw = _hyperparameters(rng, scale, i)
    kw.pop("beta1")
    kw["beta1"] = float(rng.uniform(0.5, 0.98))
    kw["weight_lr_power"] = float(rng.uniform(0.0, 3.0))
    if "warmup_steps" in extra:
        kw["warmup_steps"] = int(rng.integers(5, 120))
    if "weight_decay" in extra:
        kw["weight_decay"] = _loguniform(rng, 1e-3, 1e-1)
    return kw


def generate_sf_cases():
    """The Schedule-Free AdamW cases, deterministic in ``SEED``; case 0 of the first family has the defaults."""
    cases = []
    for f, (family, (schedule, extra)) in enumerate(SF_FAMILIES.items()):
        for i in range(CASES_PER_FAMILY):
            rng = np.random.default_rng([SEED, 100 + f, i])
            def draw_case(draw):
                scale = float(10 ** rng.uniform(*SCALES[i % len(SCALES)]))
                theta0, A, b, noise = _problem(rng, scale, max_side=3)   # two traces per case: keep it small
                kwargs = {} if i == 0 and family == "schedule_free" else _sf_hyperparameters(rng, scale, i, extra)
                meta = {"name": f"{family}-{i}", "family": family, "factory": "schedule_free_adamw",
                        "kwargs": kwargs, "schedule": schedule, "steps": STEPS, "every": EVERY, "draw": draw}
                return meta, {"theta0": theta0, "A": A, "b": b, "noise": noise}

            cases.append(well_conditioned(draw_case, coursecode_trace))
    return cases


def generate_cases():
    """The cases, deterministic in ``SEED``: a list of (meta, arrays) pairs (see :func:`sensitivity`)."""
    cases = []
    for f, (family, schedule) in enumerate(FAMILIES.items()):
        for i in range(CASES_PER_FAMILY):
            rng = np.random.default_rng([SEED, f, i])
            def draw_case(draw):
                scale = float(10 ** rng.uniform(*SCALES[i % len(SCALES)]))
                theta0, A, b, noise = _problem(rng, scale)
                kwargs = {} if i == 0 and schedule is None else _hyperparameters(rng, scale, i)
                meta = {"name": f"{family}-{i}", "family": family, "factory": "adopt", "kwargs": kwargs,
                        "schedule": schedule, "steps": STEPS, "every": EVERY, "draw": draw}
                return meta, {"theta0": theta0, "A": A, "b": b, "noise": noise}

            cases.append(well_conditioned(draw_case, coursecode_trace))
    return cases



def optax_kwargs(meta):
    """The keyword arguments of ``optax.contrib.adopt`` (or ``schedule_free_adamw``) besides the learning rate."""
    kw = meta["kwargs"]
    names = {"beta1": "b1", "beta2": "b2", "eps": "eps", "weight_decay": "weight_decay",
             "weight_lr_power": "weight_lr_power"}
    out = {names[k]: v for k, v in kw.items() if k in names}
    if kw.get("warmup_steps"):
        out["warmup_steps"] = kw["warmup_steps"]          # coursecode's 0 (no warm-up) is optax's None
    return out


def optax_warmup_float32(peak, steps):
    """optax's ``warmup_constant_schedule(0, peak, steps)`` as a coursecode schedule, bit for bit.

    optax computes it in float32 even with ``jax_enable_x64`` (its int32 step count makes
    ``count / steps`` float32), so its warm-up learning rates carry relative errors up to
    about 6e-8. coursecode's ``warmup_steps`` computes them in float64. This schedule
    rounds as optax does; the base step of step t uses optax's value at count t - 1.
    """
    p32, W = np.float32(peak), np.float32(steps)

    def lr(t):
        k = t - 1
        if k >= steps:
            return float(p32)
        frac = np.float32(1) - np.float32(k) / W
        return float(np.float32(-p32) * frac + p32)

    return lr


def make_coursecode(meta, float32_warmup=False):
    """The coursecode optimizer of a case; ``float32_warmup`` replaces warmup_steps by optax's float32 warm-up."""
    import coursecode as cc

    kwargs = dict(meta["kwargs"])
    if float32_warmup and kwargs.get("warmup_steps"):
        kwargs["lr"] = optax_warmup_float32(kwargs.get("lr", cc.ALL[meta["factory"]]().lr),
                                            kwargs.pop("warmup_steps"))
    if meta["schedule"] == "inv_sqrt":
        lr = kwargs.pop("lr", cc.ALL[meta["factory"]]().lr)
        kwargs["lr"] = lambda t: lr / np.sqrt(t)
    return cc.ALL[meta["factory"]](**kwargs)


def coursecode_trace(meta, arrays, states=False, float32_warmup=False):
    """theta_0 .. theta_steps from coursecode, shape (steps + 1, *theta.shape) (and the states)."""
    return coursecode_run(make_coursecode(meta, float32_warmup), arrays, meta["steps"], states)


def optax_trace(meta, arrays, eval_points=False):
    """theta_0 .. theta_steps from optax.contrib.adopt or schedule_free_adamw (float64, eager: no jit).

    With ``eval_points`` (Schedule-Free only) also x_0 .. x_steps, optax's ``schedule_free_eval_params``.
    """
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import optax

    free = meta["factory"] == "schedule_free_adamw"
    lr = meta["kwargs"].get("lr", 0.0025 if free else 1e-3)
    learning_rate = (lambda count: lr / jnp.sqrt(count + 1.0)) if meta["schedule"] == "inv_sqrt" else lr
    make = optax.contrib.schedule_free_adamw if free else optax.contrib.adopt
    opt = make(learning_rate, **optax_kwargs(meta))
    params = jnp.asarray(np.array(arrays["theta0"], dtype=np.float64))
    state = opt.init(params)
    out, xs = [np.asarray(params).copy()], [np.asarray(params).copy()]
    for k in range(meta["steps"]):
        g = gradient(arrays, np.asarray(params), k)
        updates, state = opt.update(jnp.asarray(g), state, params)
        params = optax.apply_updates(params, updates)
        out.append(np.asarray(params).copy())
        if eval_points:
            xs.append(np.asarray(optax.contrib.schedule_free_eval_params(state, params)).copy())
    trace = np.stack(out)
    if trace.dtype != np.float64:
        raise RuntimeError("optax computed in float32: jax_enable_x64 was not in effect")
    return (trace, np.stack(xs)) if eval_points else trace


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


def load_sf_cases(path=SF_FIXTURE):
    """The recorded Schedule-Free cases, each with ``trace`` (y) and ``trace_x`` (the evaluation point x)."""
    cases = _load(path)
    for meta, arrays in cases:
        arrays.update(load_arrays(path, meta, ("trace_x",)))
    return cases


def coursecode_eval_points(meta, arrays, float32_warmup=False):
    """x_0 .. x_steps of coursecode's Schedule-Free run (``state.x``; x_0 = theta_0)."""
    _, states = coursecode_trace(meta, arrays, states=True, float32_warmup=float32_warmup)
    return np.stack([np.asarray(s.x) for s in states])


def record_schedule_free():
    import optax

    cases = generate_sf_cases()
    print(f"optax {optax.__version__}")
    print(f"{'case':26s} {'draw':>4s} {'max rel. error of y':>20s} {'of x':>10s} {'float32 warm-up: y':>19s} "
          f"{'x':>9s}")
    for meta, arrays in cases:
        full, full_x = optax_trace(meta, arrays, eval_points=True)
        rows = recorded_steps(meta)
        arrays["trace"], arrays["trace_x"] = full[rows], full_x[rows]
        err = relative_error(coursecode_trace(meta, arrays), full)
        err_x = relative_error(coursecode_eval_points(meta, arrays), full_x)
        err32 = relative_error(coursecode_trace(meta, arrays, float32_warmup=True), full)
        err32_x = relative_error(coursecode_eval_points(meta, arrays, float32_warmup=True), full_x)
        print(f"{meta['name']:26s} {meta['draw']:4d} {err:20.2e} {err_x:10.2e} {err32:19.2e} {err32_x:9.2e}")
    _save(cases, SF_FIXTURE)
    print(f"wrote {SF_FIXTURE} ({SF_FIXTURE.stat().st_size / 1024:.0f} KiB, {len(cases)} cases)")


def main():
    import optax

    which = sys.argv[1:] or ["adopt", "schedule_free"]
    if "schedule_free" in which:
        record_schedule_free()
    if "adopt" not in which:
        return
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

