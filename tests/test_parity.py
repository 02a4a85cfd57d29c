"""coursecode equals torch.optim in float64, optimizer by optimizer.

The fixture ``tests/fixtures/torch_traces.npz`` holds traces recorded from torch
(``tests/record_torch_traces.py``): for every coursecode optimizer with a torch
counterpart, several cases of >= 500 steps on a noisy quadratic whose gradient
depends on theta. One routine replays every case through coursecode. When torch
is importable the same cases are also run live against it, step by step.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import coursecode as cc

_spec = importlib.util.spec_from_file_location(
    "record_torch_traces", Path(__file__).with_name("record_torch_traces.py"))
traces = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(traces)

try:
    import torch  # noqa: F401  (only for the live comparison)
except ImportError:
    HAVE_TORCH = False
else:
    HAVE_TORCH = True

TOL = 1e-10
CASES = traces.load_cases()
IDS = [meta["name"] for meta, _ in CASES]

# coursecode factory (and options) -> the torch optimizer it must equal
EXPECTED_FAMILIES = {
    "gd": "SGD", "momentum": "SGD", "momentum_heavy_ball": "SGD", "adagrad": "Adagrad",
    "adagrad_schedule": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam", "adam_l2": "Adam",
    "adamw": "AdamW", "amsgrad": "Adam", "amsgrad_decoupled": "AdamW", "adamax": "Adamax",
    "nadam": "NAdam", "nadam_decoupled": "NAdam", "radam": "RAdam", "radam_decoupled": "RAdam",
    "momentum_nesterov": "SGD", "momentum_heavy_ball_nesterov": "SGD",
}


@pytest.mark.parametrize(("meta", "arrays"), CASES, ids=IDS)
def test_replays_torch_trace(meta, arrays):
    """Replaying the recorded gradients' inputs through coursecode gives torch's thetas."""
    ours = traces.coursecode_trace(meta, arrays)[traces.recorded_steps(meta)]
    err = traces.relative_error(ours, arrays["trace"])
    assert err <= TOL, f"{meta['name']} {meta['kwargs']}: max relative error {err:.2e} vs torch"


@pytest.mark.skipif(not HAVE_TORCH, reason="torch is not installed (the recorded traces are still checked)")
@pytest.mark.parametrize(("meta", "arrays"), CASES, ids=IDS)
def test_live_against_torch(meta, arrays):
    """The same cases, run now against the installed torch, compared at every step."""
    theirs = traces.torch_trace(meta, arrays)
    drift = traces.relative_error(theirs[traces.recorded_steps(meta)], arrays["trace"])
    assert drift <= TOL, f"the installed torch differs from the recording by {drift:.2e}: re-record?"
    err = traces.relative_error(traces.coursecode_trace(meta, arrays), theirs)
    assert err <= TOL, f"{meta['name']} {meta['kwargs']}: max relative error {err:.2e} vs torch"


def test_fixture_covers_every_optimizer_with_a_torch_counterpart():
    """Every family is there, with several long, moving cases in 1-D to 3-D, and the file is small."""
    families = {}
    for meta, arrays in CASES:
        families.setdefault(meta["family"], []).append((meta, arrays))
        assert meta["factory"] in cc.ALL
        assert meta["steps"] >= 500 and arrays["noise"].shape[0] == meta["steps"]
        assert arrays["trace"].shape == (meta["steps"] // meta["every"] + 1,) + arrays["theta0"].shape
        # a trace that hardly moves would make the comparison vacuous
        moved = np.max(np.abs(arrays["trace"][-1] - arrays["trace"][0])) / np.max(np.abs(arrays["trace"][0]))
        assert moved > 1e-2, meta["name"]
    assert {f: cases[0][0]["torch_class"] for f, cases in families.items()} == EXPECTED_FAMILIES
    assert all(len(cases) >= 3 for cases in families.values())
    assert {arrays["theta0"].ndim for _, arrays in CASES} == {1, 2, 3}
    with_decay = {meta["family"] for meta, _ in CASES if meta["kwargs"].get("weight_decay", 0) > 0}
    assert with_decay >= set(EXPECTED_FAMILIES) - {"adam", "adagrad_schedule"}
    assert traces.FIXTURE.stat().st_size < 2 * 2**20


def test_fixture_pins_where_eps_sits():
    """Some Adam case has gradients small enough that eps inside the root (the lecture's
    written form) would fail the comparison: the fixture pins eps outside, as torch has it."""
    errors = []
    for meta, arrays in CASES:
        if meta["family"] == "adam":
            inside = dict(meta, kwargs={**meta["kwargs"], "eps_inside_sqrt": True})
            ours = traces.coursecode_trace(inside, arrays)[traces.recorded_steps(meta)]
            errors.append(traces.relative_error(ours, arrays["trace"]))
    assert max(errors) > 1e3 * TOL


def test_fixture_pins_nesterov():
    """The Nesterov cases are torch's SGD(nesterov=True) in both coursecode forms (EMA with lr (1 - beta),
    heavy ball with lr), with weight decay; replayed without the look-ahead they fail the comparison,
    so the fixture checks the option and not only the plain momentum buffer."""
    nesterov = [(meta, arrays) for meta, arrays in CASES if meta["kwargs"].get("nesterov")]
    forms = {meta["kwargs"].get("form", "ema") for meta, _ in nesterov}
    assert forms == {"ema", "heavy_ball"} and len(nesterov) >= 6
    for meta, arrays in nesterov:
        assert meta["torch_kwargs"]["nesterov"] is True and meta["kwargs"]["weight_decay"] > 0
        plain = dict(meta, kwargs={**meta["kwargs"], "nesterov": False})
        ours = traces.coursecode_trace(plain, arrays)[traces.recorded_steps(meta)]
        assert traces.relative_error(ours, arrays["trace"]) > 1e3 * TOL, meta["name"]


def test_the_recorders_can_record_again(tmp_path):
    """The recording path, without torch: a case's sensitivity and a save/load round trip of the fixture."""
    cases = traces.load_cases()[:2]
    meta, arrays = cases[0]
    assert 0 <= traces.sensitivity(traces.coursecode_trace, meta, arrays) < 1e3   # as the recorder demands
    path = tmp_path / "again.npz"
    traces._save(cases, path)
    again = traces.load_cases(path)
    assert [m for m, _ in again] == [m for m, _ in cases]
    for (_, a), (_, b) in zip(again, cases):
        assert all(np.array_equal(a[k], b[k]) for k in b)
