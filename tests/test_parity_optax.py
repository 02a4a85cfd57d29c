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


# -- Schedule-Free AdamW against optax.contrib.schedule_free_adamw ---------------------------
SF_CASES = traces.load_sf_cases()
SF_IDS = [meta["name"] for meta, _ in SF_CASES]
# optax computes its warm-up (warmup_constant_schedule) in float32 even with x64: the recorded
# learning rates carry relative errors up to 6e-8, which coursecode's float64 warm-up does not
# share. Measured: at most 9.7e-8 with coursecode's warmup_steps, at most 2.4e-14 when the
# replay rounds the warm-up to float32 as optax does (traces.optax_warmup_float32).
TOL_FLOAT32_WARMUP = 2e-7


def _warm(meta):
    return bool(meta["kwargs"].get("warmup_steps"))


@pytest.mark.parametrize(("meta", "arrays"), SF_CASES, ids=SF_IDS)
def test_schedule_free_replays_optax(meta, arrays):
    """y (optax's params) and x (its schedule_free_eval_params) at every stored step, to the last bits."""
    rows = traces.recorded_steps(meta)
    y = traces.coursecode_trace(meta, arrays, float32_warmup=True)[rows]
    x = traces.coursecode_eval_points(meta, arrays, float32_warmup=True)[rows]
    assert traces.relative_error(y, arrays["trace"]) <= TOL, meta["name"]
    assert traces.relative_error(x, arrays["trace_x"]) <= TOL, meta["name"]


@pytest.mark.parametrize(("meta", "arrays"), [c for c in SF_CASES if _warm(c[0])],
                         ids=[m["name"] for m, _ in SF_CASES if _warm(m)])
def test_schedule_free_warmup_steps_within_float32(meta, arrays):
    """coursecode's own warmup_steps (float64) agrees with optax's float32 warm-up to float32 precision."""
    rows = traces.recorded_steps(meta)
    err = traces.relative_error(traces.coursecode_trace(meta, arrays)[rows], arrays["trace"])
    err_x = traces.relative_error(traces.coursecode_eval_points(meta, arrays)[rows], arrays["trace_x"])
    assert err <= TOL_FLOAT32_WARMUP and err_x <= TOL_FLOAT32_WARMUP, (meta["name"], err, err_x)
    assert err > TOL                  # the difference is real: it is optax's float32 schedule


@pytest.mark.skipif(not HAVE_OPTAX, reason="optax is not installed (the recorded traces are still checked)")
@pytest.mark.parametrize(("meta", "arrays"), SF_CASES, ids=SF_IDS)
def test_schedule_free_live_against_optax(meta, arrays):
    theirs, theirs_x = traces.optax_trace(meta, arrays, eval_points=True)
    rows = traces.recorded_steps(meta)
    assert traces.relative_error(theirs[rows], arrays["trace"]) <= TOL, "the installed optax differs: re-record?"
    assert traces.relative_error(traces.coursecode_trace(meta, arrays, float32_warmup=True), theirs) <= TOL
    assert traces.relative_error(traces.coursecode_eval_points(meta, arrays, float32_warmup=True), theirs_x) <= TOL


def test_schedule_free_fixture_covers_defaults_warmup_decay_and_schedule():
    families = {}
    for meta, arrays in SF_CASES:
        families.setdefault(meta["family"], []).append(meta)
        assert meta["factory"] == "schedule_free_adamw" and meta["steps"] >= 500
        assert arrays["trace_x"].shape == arrays["trace"].shape
        moved = np.max(np.abs(arrays["trace_x"][-1] - arrays["trace_x"][0])) / np.max(np.abs(arrays["trace"][0]))
        assert moved > 1e-2, meta["name"]
        assert not np.allclose(arrays["trace"][1:], arrays["trace_x"][1:])      # y and x are different points
    assert set(families) == {"schedule_free", "schedule_free_warmup", "schedule_free_decay",
                             "schedule_free_schedule"}
    assert families["schedule_free"][0]["kwargs"] == {}
    assert all(m["kwargs"]["warmup_steps"] > 0 for m in families["schedule_free_warmup"])
    assert all(m["kwargs"]["weight_decay"] > 0 for m in families["schedule_free_decay"])
    assert {arrays["theta0"].ndim for _, arrays in SF_CASES} == {1, 2, 3}
    assert traces.SF_FIXTURE.stat().st_size < 300 * 1024


def test_schedule_free_defaults_are_optax_defaults():
    opt = cc.schedule_free_adamw()
    assert (opt.lr, opt.warmup_steps, opt.beta1, opt.beta2, opt.eps, opt.weight_decay, opt.weight_lr_power) == \
        (0.0025, 0, 0.9, 0.999, 1e-8, 0.0, 2.0)
    if HAVE_OPTAX:
        import inspect

        import optax

        p = inspect.signature(optax.contrib.schedule_free_adamw).parameters
        assert (p["learning_rate"].default, p["b1"].default, p["b2"].default, p["eps"].default,
                p["weight_decay"].default, p["weight_lr_power"].default) == (0.0025, 0.9, 0.999, 1e-8, 0.0, 2.0)
        assert p["warmup_steps"].default is None
