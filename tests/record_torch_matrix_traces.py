"""Record reference traces of torch.optim.Adafactor and torch.optim.Muon into
``tests/fixtures/torch_matrix_traces.npz``.

Run it with the torch venv (the test suite itself never needs torch)::

    /tmp/venv-torch/bin/python tests/record_torch_matrix_traces.py

The cases use the noisy elementwise quadratic of ``record_torch_traces.py``
(``trace_fixtures.gradient``: g = A * theta + b + noise_k), so every gradient depends on
where the optimizer has gone. Adafactor runs on vectors, matrices (tall and wide) and a
3-D tensor (factored over its last two axes); Muon on matrices only, as torch requires.

PyTorch's Muon runs its Newton-Schulz iteration in bfloat16. The float64 cases
(``muon-*``) are recorded with that cast replaced by a float64 one (the function
``torch.optim._muon._zeropower_via_newtonschulz`` is rebuilt from its own source with
``.bfloat16()`` turned into ``.double().clone()``), which is the algorithm coursecode computes.
The clone matters: ``.bfloat16()`` copies, but ``.double()`` of a float64 tensor returns the
tensor itself, and the iteration's in-place normalization would then rescale the momentum
buffer (with ``nesterov=False`` the buffer is what is orthogonalized).
The ``muon_bf16-*`` cases keep torch as it is: their trace, and torch's bfloat16
orthogonalization of a few fixed matrices (``ns_input`` -> ``ns_bf16``), let
``test_parity_matrix.py`` check that coursecode differs from them by bfloat16's
precision and no more.
"""
from __future__ import annotations

import contextlib
import inspect
import sys
import textwrap
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))   # trace_fixtures sits beside this file
from trace_fixtures import _loguniform, coursecode_run, gradient, recorded_steps, relative_error, sensitivity  # noqa: F401
from trace_fixtures import well_conditioned
from trace_fixtures import load_all_arrays as _load
from trace_fixtures import save as _save

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "torch_matrix_traces.npz"
STEPS = 500
EVERY = 10
SEED = 20251206
SHAPES = {"adafactor": [(7,), (5, 3), (3, 6), (2, 3, 4)],
          "muon": [(4, 4), (6, 3), (3, 5), (8, 2)],
          "muon_bf16": [(6, 4), (4, 8)]}


def _adafactor_kwargs(rng, i):
    if i == 0:
        return {}
    return {"lr": _loguniform(rng, 1e-3, 3e-2), "beta2_decay": float(rng.uniform(-1.0, -0.5)),
            "eps1": None if i % 2 else _loguniform(rng, 1e-12, 1e-6), "eps2": _loguniform(rng, 1e-4, 1e-2),
            "d": float(rng.uniform(1.0, 2.0)), "weight_decay": float(rng.uniform(0.0, 0.2))}


def _muon_kwargs(rng, i):
    if i == 0:
        return {}
    return {"lr": _loguniform(rng, 1e-3, 1e-2), "weight_decay": float(rng.uniform(0.0, 0.2)),
            "momentum": float(rng.uniform(0.5, 0.97)), "nesterov": bool(i % 2),
            "ns_steps": int(rng.integers(1, 9)), "eps": _loguniform(rng, 1e-9, 1e-6)}


def _torch_adafactor(kw):
    out = {k: kw[k] for k in ("lr", "beta2_decay", "d", "weight_decay") if k in kw}
    if "eps1" in kw:
        out["eps"] = [kw["eps1"], kw["eps2"]]
    return out


def _torch_muon(kw):
    return dict(kw)


FAMILIES = {   # family: (coursecode factory, sampler, torch class, kwargs map, Newton-Schulz in float64?)
    "adafactor": ("adafactor", _adafactor_kwargs, "Adafactor", _torch_adafactor, True),
    "muon": ("muon", _muon_kwargs, "Muon", _torch_muon, True),
    "muon_bf16": ("muon", _muon_kwargs, "Muon", _torch_muon, False),
}


def _problem(rng, shape, scale):
    theta0 = rng.normal(0.0, 1.0, shape)
    A = scale * rng.uniform(0.2, 3.0, shape)
    b = scale * rng.normal(0.0, 1.0, shape)
    sigma = scale * rng.uniform(0.0, 1.0)
    noise = (sigma * rng.standard_normal((STEPS,) + shape)).astype(np.float16)
    return theta0, A, b, noise


def generate_cases():
    cases = []
    for f, (family, (factory, sample, torch_class, to_torch, f64)) in enumerate(FAMILIES.items()):
        for i, shape in enumerate(SHAPES[family]):
            rng = np.random.default_rng([SEED, f, i])
            def draw_case(draw):
                scale = float(10 ** rng.uniform(*[(0, 0), (0, 2), (-4, -2), (-1, 1)][i % 4]))
                theta0, A, b, noise = _problem(rng, shape, scale)
                kwargs = sample(rng, i)
                meta = {"name": f"{family}-{i}", "family": family, "factory": factory, "kwargs": kwargs,
                        "torch_class": torch_class, "torch_kwargs": to_torch(kwargs), "float64_ns": f64,
                        "steps": STEPS, "every": EVERY, "draw": draw}
                return meta, {"theta0": theta0, "A": A, "b": b, "noise": noise}

            meta, arrays = well_conditioned(draw_case, coursecode_trace)
            if not f64:
                arrays["ns_input"] = rng.normal(0.0, 1.0, (4,) + shape) * np.logspace(0, -2, shape[-1])
            cases.append((meta, arrays))
    return cases


def make_coursecode(meta):
    import coursecode as cc

    return cc.ALL[meta["factory"]](**meta["kwargs"])


def coursecode_trace(meta, arrays):
    """theta_0 .. theta_steps from coursecode (float64), shape (steps + 1, *theta.shape)."""
    return coursecode_run(make_coursecode(meta), arrays, meta["steps"])


@contextlib.contextmanager
def float64_newton_schulz(enabled=True):
    """torch.optim._muon's Newton-Schulz with its bfloat16 cast turned into a float64 one."""
    from torch.optim import _muon

    original = _muon._zeropower_via_newtonschulz
    if not enabled:
        yield original
        return
    source = textwrap.dedent(inspect.getsource(original))
    if source.count("grad.bfloat16()") != 1:
        raise RuntimeError("torch's _zeropower_via_newtonschulz changed: update the float64 patch")
    namespace = dict(vars(_muon))
    exec(compile(source.replace("grad.bfloat16()", "grad.double().clone()"), "<float64 newton-schulz>", "exec"), namespace)
    _muon._zeropower_via_newtonschulz = namespace["_zeropower_via_newtonschulz"]
    try:
        yield _muon._zeropower_via_newtonschulz
    finally:
        _muon._zeropower_via_newtonschulz = original


def torch_trace(meta, arrays):
    """theta_0 .. theta_steps from torch.optim (single-tensor code path, float64 parameters)."""
    import torch

    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        with float64_newton_schulz(meta["float64_ns"]):
            p = torch.tensor(np.array(arrays["theta0"]), dtype=torch.float64, requires_grad=True)
            extra = {"foreach": False} if meta["torch_class"] == "Adafactor" else {}
            opt = getattr(torch.optim, meta["torch_class"])([p], **extra, **meta["torch_kwargs"])
            out = [p.detach().numpy().copy()]
            for k in range(meta["steps"]):
                p.grad = torch.from_numpy(gradient(arrays, p.detach().numpy(), k))
                opt.step()
                out.append(p.detach().numpy().copy())
    finally:
        torch.set_default_dtype(old)
    return np.stack(out)


def torch_newton_schulz_bf16(G, ns_steps=5, eps=1e-7):
    """torch's own (bfloat16) orthogonalization of each matrix of G, as float64."""
    import torch
    from torch.optim import _muon

    return np.stack([_muon._zeropower_via_newtonschulz(torch.from_numpy(g), (_muon.DEFAULT_A, _muon.DEFAULT_B,
                                                                              _muon.DEFAULT_C), ns_steps, eps)
                     .to(torch.float64).numpy() for g in G])


def load_cases(path=FIXTURE):
    return _load(path)


def main():
    cases = generate_cases()
    print(f"{'case':16s} {'shape':10s} {'draw':>4s} {'max rel. error of coursecode':>30s}")
    for meta, arrays in cases:
        full = torch_trace(meta, arrays)
        arrays["trace"] = full[recorded_steps(meta)]
        if "ns_input" in arrays:
            arrays["ns_bf16"] = torch_newton_schulz_bf16(arrays["ns_input"])
        err = relative_error(coursecode_trace(meta, arrays), full)
        print(f"{meta['name']:16s} {str(arrays['theta0'].shape):10s} {meta['draw']:4d} {err:30.2e}")
    _save(cases, FIXTURE)
    print(f"wrote {FIXTURE} ({FIXTURE.stat().st_size / 1024:.0f} KiB, {len(cases)} cases)")


if __name__ == "__main__":
    main()
