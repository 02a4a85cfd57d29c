"""coursecode equals optax in float64: ``cc.adopt`` against ``optax.contrib.adopt``.

The fixture ``tests/fixtures/optax/adopt_traces.npz`` holds traces recorded from
optax 0.2.8 with ``jax_enable_x64`` (``tests/record_optax_traces.py``, run in a
separate environment: the book's has no JAX): 8 cases of 600 steps on a noisy
quadratic whose gradient depends on theta, with the defaults, random
hyperparameters (beta2 anywhere in [0, 0.9999]), gradients small enough for the
floor eps to act, and a step-size schedule. One routine replays every case through
coursecode. When optax is importable the same cases also run live against it.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import coursecode as cc

_spec = importlib.util.spec_from_file_location(
    "record_optax_traces", Path(__file__).with_name("record_optax_traces.py"))
traces = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(traces)

HAVE_OPTAX = importlib.util.find_spec("optax") is not None and importlib.util.find_spec("jax") is not None

TOL = 1e-12          # recorded: the two agree to the last bit (max relative error 0.0)
CASES = traces.load_cases()
IDS = [meta["name"] for meta, _ in CASES]


@pytest.mark.parametrize(("meta", "arrays"), CASES, ids=IDS)
def test_replays_optax_trace(meta, arrays):
    """Replaying the recorded gradients' inputs through coursecode gives optax's thetas."""
    ours = traces.coursecode_trace(meta, arrays)[traces.recorded_steps(meta)]
    err = traces.relative_error(ours, arrays["trace"])
    assert err <= TOL, f"{meta['name']} {meta['kwargs']}: max relative error {err:.2e} vs optax"


@pytest.mark.skipif(not HAVE_OPTAX, reason="optax is not installed (the recorded traces are still checked)")
@pytest.mark.parametrize(("meta", "arrays"), CASES, ids=IDS)
def test_live_against_optax(meta, arrays):
    """The same cases, run now against the installed optax, compared at every step."""
    theirs = traces.optax_trace(meta, arrays)
    drift = traces.relative_error(theirs[traces.recorded_steps(meta)], arrays["trace"])
    assert drift <= TOL, f"the installed optax differs from the recording by {drift:.2e}: re-record?"
    err = traces.relative_error(traces.coursecode_trace(meta, arrays), theirs)
    assert err <= TOL, f"{meta['name']} {meta['kwargs']}: max relative error {err:.2e} vs optax"


def test_fixture_covers_defaults_schedule_clip_and_floor():
    """Long, moving cases in 1-D to 3-D; the defaults and a schedule; the clip and the floor eps both act."""
    families = {}
    for meta, arrays in CASES:
        families.setdefault(meta["family"], []).append(meta)
        assert meta["factory"] in cc.ALL
        assert meta["steps"] >= 500 and arrays["noise"].shape[0] == meta["steps"]
        assert arrays["trace"].shape == (meta["steps"] // meta["every"] + 1,) + arrays["theta0"].shape
        moved = np.max(np.abs(arrays["trace"][-1] - arrays["trace"][0])) / np.max(np.abs(arrays["trace"][0]))
        assert moved > 1e-2, meta["name"]
    assert set(families) == {"adopt", "adopt_schedule"} and all(len(m) >= 4 for m in families.values())
    assert families["adopt"][0]["kwargs"] == {}                       # both libraries' defaults
    assert {arrays["theta0"].ndim for _, arrays in CASES} == {1, 2, 3}
    beta2 = [m["kwargs"]["beta2"] for m, _ in CASES if "beta2" in m["kwargs"]]
    assert min(beta2) < 0.5 < 0.99 < max(beta2)                       # "any beta2"
    clipped, floored = np.array([traces.coverage(meta, arrays) for meta, arrays in CASES]).T
    assert np.sum(clipped > 0) >= 6 and np.sum(floored > 0) >= 2
    assert traces.FIXTURE.stat().st_size < 2**20


def test_defaults_are_optax_defaults():
    """cc.adopt's defaults are optax.contrib.adopt's (b1 0.9, b2 0.9999, eps 1e-6), lr that of cc.adam."""
    opt = cc.adopt()
    assert (opt.lr, opt.beta1, opt.beta2, opt.eps) == (1e-3, 0.9, 0.9999, 1e-6)
    if HAVE_OPTAX:
        import inspect

        import optax

        params = inspect.signature(optax.contrib.adopt).parameters
        assert (params["b1"].default, params["b2"].default, params["eps"].default) == (0.9, 0.9999, 1e-6)
        assert params["use_clipping"].default is True and params["nesterov"].default is False
