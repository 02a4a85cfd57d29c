"""Record reference traces from torch.optim into ``tests/fixtures/torch_traces.npz``.

Run it where torch is installed (the test suite itself never needs torch), in an
environment of its own so that the book's ``.venv`` stays as Binder has it::

    python3 -m venv /tmp/venv-torch
    /tmp/venv-torch/bin/pip install torch==2.13.0 numpy
    /tmp/venv-torch/bin/pip install --no-deps -e .
    /tmp/venv-torch/bin/python tests/record_torch_traces.py

Every case runs one optimizer for ``STEPS`` steps on a noisy diagonal quadratic

    g_t = A * theta_t + b + noise_t        (element-wise; A > 0)

so each gradient depends on where the optimizer has gone: the trace checks the
whole loop, not one isolated update. theta0, A, b, the noise sequence, the
hyperparameters (coursecode's and torch's) and torch's theta every ``EVERY`` steps
are stored. The noise is stored as float16 numbers, which float64 represents
exactly, so replaying a case needs no random generator and is bit-for-bit the
same input on every platform.

The first case of each family uses the libraries' default hyperparameters (only
what torch requires, such as SGD's lr, is given), so the defaults are checked
too; the others draw random hyperparameters and shapes (1-D to 3-D). Gradient
scales: 1 in the first case, 1 to 1e2 in the second, 1e-4 to 1e-2 in the third
(where eps matters).

``test_parity.py`` loads this file as a module (``load_cases``, ``make_coursecode``,
``coursecode_trace``, ``torch_trace``) to replay the fixture and, when torch is
importable, to rerun the same cases live.
"""
from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))   # trace_fixtures sits beside this file
from trace_fixtures import _loguniform, coursecode_run, gradient, recorded_steps, relative_error, sensitivity  # noqa: F401
from trace_fixtures import well_conditioned
from trace_fixtures import load_cases as _load
from trace_fixtures import save as _save

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "torch_traces.npz"
STEPS = 600          # optimizer steps per case
EVERY = 10           # theta is stored at steps 0, EVERY, 2 EVERY, ..., STEPS
CASES_PER_FAMILY = 3
SEED = 20240501
# gradient scale of case i (log10 range): 1; large; small enough that eps matters
SCALES = [(0, 0), (0, 2), (-4, -2)]


# -- hyperparameters ---------------------------------------------------------------------
def _adam_like(rng, lr=(1e-3, 1e-1)):
    return {"lr": _loguniform(rng, *lr), "beta1": float(rng.uniform(0.0, 0.95)),
            "beta2": float(rng.uniform(0.9, 0.9999)), "eps": _loguniform(rng, 1e-10, 1e-6)}


def _weight_decay(rng):
    return {"weight_decay": float(rng.uniform(0.0, 0.2))}


# family -> (coursecode factory, fixed coursecode kwargs, sampler rng, curvature -> random kwargs,
#            defaults for case 0, torch class, coursecode kwargs -> torch kwargs)
# The lr of gd and momentum is drawn relative to the largest curvature (A + weight_decay),
# which keeps them stable.
def _gd_kwargs(rng, a_max):
    wd = _weight_decay(rng)
    return {"lr": float(rng.uniform(0.05, 0.9)) / (a_max + wd["weight_decay"]), **wd}


def _momentum_kwargs(rng, a_max):
    return {**_gd_kwargs(rng, a_max), "beta": float(rng.uniform(0.0, 0.95))}


def _heavy_ball_kwargs(rng, a_max):
    kw = _momentum_kwargs(rng, a_max)
    kw["lr"] *= 1 - kw["beta"]
    return kw


def _torch_sgd(kw):
    return {"lr": kw["lr"], "weight_decay": kw.get("weight_decay", 0.0)}


def _torch_momentum(kw):  # the lecture's EMA form is SGD with lr (1 - beta)
    beta = kw.get("beta", 0.9)
    return {"lr": kw["lr"] * (1 - beta), "momentum": beta, "weight_decay": kw.get("weight_decay", 0.0)}


def _torch_heavy_ball(kw):
    return {"lr": kw["lr"], "momentum": kw.get("beta", 0.9), "weight_decay": kw.get("weight_decay", 0.0)}


def _torch_adam_like(kw):
    out = {}
    if "lr" in kw:
        out["lr"] = kw["lr"]
    if "beta1" in kw:
        out["betas"] = [kw["beta1"], kw["beta2"]]      # a list: what the JSON manifest holds
    for key in ("eps", "weight_decay", "momentum_decay"):
        if key in kw:
            out[key] = kw[key]
    return out


def _with(torch_map, **extra):
    return lambda kw: {**torch_map(kw), **extra}


def _torch_adagrad(kw):
    out = _torch_adam_like(kw)
    if "initial_accumulator_value" in kw:
        out["initial_accumulator_value"] = kw["initial_accumulator_value"]
    if "lr_decay" in kw:
        out["lr_decay"] = kw["lr_decay"]
    return out


def _torch_rmsprop(kw):
    out = _torch_adam_like(kw)
    if "rho" in kw:
        out["alpha"] = kw["rho"]
    return out


FAMILIES = {
    # name: (factory, fixed kwargs, random kwargs (rng, a_max) -> dict, case-0 kwargs, torch class, map)
    "gd": ("gd", {}, _gd_kwargs, None, "SGD", _torch_sgd),
    "momentum": ("momentum", {}, _momentum_kwargs, None, "SGD", _torch_momentum),
    "momentum_heavy_ball": ("momentum", {"form": "heavy_ball"}, _heavy_ball_kwargs, None, "SGD",
                            _torch_heavy_ball),
    "adagrad": ("adagrad", {},
                lambda rng, a: {"lr": _loguniform(rng, 1e-2, 0.5), "eps": _loguniform(rng, 1e-10, 1e-6),
                                "initial_accumulator_value": float(rng.choice([0.0, rng.uniform(0, 1)])),
                                **_weight_decay(rng)},
                {}, "Adagrad", _torch_adagrad),
    # coursecode has no lr_decay: a schedule t -> lr / (1 + (t - 1) lr_decay) is torch's lr_decay
    "adagrad_schedule": ("adagrad", {},
                         lambda rng, a: {"lr": _loguniform(rng, 1e-2, 0.5),
                                         "lr_decay": _loguniform(rng, 1e-3, 1e-1)},
                         None, "Adagrad", _torch_adagrad),
    "rmsprop": ("rmsprop", {},
                lambda rng, a: {"lr": _loguniform(rng, 1e-3, 5e-2), "rho": float(rng.uniform(0.5, 0.999)),
                                "eps": _loguniform(rng, 1e-10, 1e-6), **_weight_decay(rng)},
                {}, "RMSprop", _torch_rmsprop),
    "adam": ("adam", {}, lambda rng, a: _adam_like(rng), {}, "Adam", _torch_adam_like),
    "adam_l2": ("adam_l2", {}, lambda rng, a: {**_adam_like(rng), **_weight_decay(rng)},
                {"weight_decay": 1e-2}, "Adam", _torch_adam_like),
    "adamw": ("adamw", {}, lambda rng, a: {**_adam_like(rng), **_weight_decay(rng)}, {}, "AdamW",
              _torch_adam_like),
    "amsgrad": ("amsgrad", {"bias_correction": True},
                lambda rng, a: {**_adam_like(rng), **_weight_decay(rng)}, {}, "Adam",
                _with(_torch_adam_like, amsgrad=True)),
    "amsgrad_decoupled": ("amsgrad", {"bias_correction": True, "decoupled": True},
                          lambda rng, a: {**_adam_like(rng), **_weight_decay(rng)}, {"weight_decay": 1e-2},
                          "AdamW", _with(_torch_adam_like, amsgrad=True)),
    "adamax": ("adamax", {}, lambda rng, a: {**_adam_like(rng, (1e-3, 1e-1)), **_weight_decay(rng)}, {},
               "Adamax", _torch_adam_like),
    "nadam": ("nadam", {},
              lambda rng, a: {**_adam_like(rng), "momentum_decay": _loguniform(rng, 1e-3, 1e-1),
                              **_weight_decay(rng)},
              {}, "NAdam", _torch_adam_like),
    "nadam_decoupled": ("nadam", {"decoupled": True},
                        lambda rng, a: {**_adam_like(rng), "momentum_decay": _loguniform(rng, 1e-3, 1e-1),
                                        **_weight_decay(rng)},
                        None, "NAdam", _with(_torch_adam_like, decoupled_weight_decay=True)),
    "radam": ("radam", {}, lambda rng, a: {**_adam_like(rng), **_weight_decay(rng)}, {}, "RAdam",
              _torch_adam_like),
    "radam_decoupled": ("radam", {"decoupled": True},
                        lambda rng, a: {**_adam_like(rng), **_weight_decay(rng)}, None, "RAdam",
                        _with(_torch_adam_like, decoupled_weight_decay=True)),
    # Nesterov (appended last, so the seeds of the families above stay as they were): PyTorch steps
    # with g + momentum * buffer; the EMA form with lr equals SGD(lr (1 - beta), nesterov=True)
    "momentum_nesterov": ("momentum", {"nesterov": True}, _momentum_kwargs, None, "SGD",
                          _with(_torch_momentum, nesterov=True)),
    "momentum_heavy_ball_nesterov": ("momentum", {"form": "heavy_ball", "nesterov": True}, _heavy_ball_kwargs,
                                     None, "SGD", _with(_torch_heavy_ball, nesterov=True)),
}


# -- the cases -----------------------------------------------------------------------------
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
    noise = (sigma * rng.standard_normal((STEPS,) + shape)).astype(np.float16)
    return theta0, A, b, noise


def generate_cases():
    """The cases, deterministic in ``SEED``: a list of (meta, arrays) pairs. A draw whose
    trajectory is chaotic is redrawn (``trace_fixtures.well_conditioned``)."""
    cases = []
    for f, (family, spec) in enumerate(FAMILIES.items()):
        factory, fixed, sample, defaults, torch_class, to_torch = spec
        for i in range(CASES_PER_FAMILY):
            rng = np.random.default_rng([SEED, f, i])
            def draw_case(draw):
                scale = float(10 ** rng.uniform(*SCALES[i % len(SCALES)]))
                theta0, A, b, noise = _problem(rng, scale)
                if i == 0 and defaults is not None:
                    kwargs = dict(defaults)          # the libraries' defaults
                else:
                    kwargs = sample(rng, float(A.max()))
                meta = {"name": f"{family}-{i}", "family": family, "factory": factory,
                        "kwargs": {**fixed, **kwargs}, "torch_class": torch_class,
                        "torch_kwargs": to_torch(kwargs), "steps": STEPS, "every": EVERY, "draw": draw}
                return meta, {"theta0": theta0, "A": A, "b": b, "noise": noise}

            meta, arrays = well_conditioned(draw_case, coursecode_trace)
            cases.append((meta, arrays))
    return cases



def make_coursecode(meta):
    """The coursecode optimizer of a case (``lr_decay`` becomes a schedule)."""
    import coursecode as cc

    kwargs = dict(meta["kwargs"])
    if "lr_decay" in kwargs:
        lr, decay = kwargs.pop("lr"), kwargs.pop("lr_decay")
        kwargs["lr"] = lambda t: lr / (1 + (t - 1) * decay)
    return cc.ALL[meta["factory"]](**kwargs)


def coursecode_trace(meta, arrays):
    """theta_0 .. theta_steps from coursecode, shape (steps + 1, *theta.shape)."""
    return coursecode_run(make_coursecode(meta), arrays, meta["steps"])


@contextlib.contextmanager
def _float64_default(torch):
    # torch keeps scalar state (step, NAdam's mu_product) in the default dtype
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


def torch_trace(meta, arrays):
    """theta_0 .. theta_steps from torch.optim (single-tensor code path, float64)."""
    import torch

    with _float64_default(torch):
        p = torch.tensor(np.array(arrays["theta0"]), dtype=torch.float64, requires_grad=True)
        opt = getattr(torch.optim, meta["torch_class"])([p], foreach=False, **meta["torch_kwargs"])
        out = [p.detach().numpy().copy()]
        for k in range(meta["steps"]):
            g = gradient(arrays, p.detach().numpy(), k)
            p.grad = torch.from_numpy(g)
            opt.step()
            out.append(p.detach().numpy().copy())
    return np.stack(out)


# -- the fixture file (its format is trace_fixtures') ---------------------------------------
def load_cases(path=FIXTURE):
    """The recorded cases of this recorder's fixture: a list of (meta, arrays) with ``trace``."""
    return _load(path)


def main():
    cases = generate_cases()
    print(f"{'case':24s} {'torch':8s} {'draw':>4s} {'max rel. error of coursecode':>30s}")
    for meta, arrays in cases:
        full = torch_trace(meta, arrays)
        arrays["trace"] = full[recorded_steps(meta)]
        err = relative_error(coursecode_trace(meta, arrays), full)
        print(f"{meta['name']:24s} {meta['torch_class']:8s} {meta['draw']:4d} {err:30.2e}")
    _save(cases, FIXTURE)
    print(f"wrote {FIXTURE} ({FIXTURE.stat().st_size / 1024:.0f} KiB, {len(cases)} cases)")


if __name__ == "__main__":
    main()

