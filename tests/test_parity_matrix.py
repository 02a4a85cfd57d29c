"""coursecode's adafactor and muon equal torch.optim.Adafactor and torch.optim.Muon in float64.

The fixture ``tests/fixtures/torch_matrix_traces.npz`` holds traces recorded from torch
(``tests/record_torch_matrix_traces.py``, 500 steps per case on a noisy quadratic whose
gradient depends on theta). Muon's float64 cases were recorded with torch's bfloat16 cast in
the Newton-Schulz iteration replaced by a float64 one; the ``muon_bf16`` cases keep it, and
are checked to differ from coursecode by bfloat16's precision, and not more. When torch is
importable the cases are also run live.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import coursecode as cc
from coursecode.optimizers.matrix import newton_schulz

_spec = importlib.util.spec_from_file_location(
    "record_torch_matrix_traces", Path(__file__).with_name("record_torch_matrix_traces.py"))
traces = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(traces)

try:
    import torch  # noqa: F401  (only for the live comparison)
except ImportError:
    HAVE_TORCH = False
else:
    HAVE_TORCH = True

TOL = 1e-10
BF16_EPS = 2.0**-7          # bfloat16 keeps 8 significant bits: the gap between 1 and the next number
CASES = traces.load_cases()
FLOAT64 = [c for c in CASES if c[0]["float64_ns"]]
BF16 = [c for c in CASES if not c[0]["float64_ns"]]


@pytest.mark.parametrize(("meta", "arrays"), FLOAT64, ids=[m["name"] for m, _ in FLOAT64])
def test_replays_torch_trace(meta, arrays):
    ours = traces.coursecode_trace(meta, arrays)[traces.recorded_steps(meta)]
    err = traces.relative_error(ours, arrays["trace"])
    assert err <= TOL, f"{meta['name']} {meta['kwargs']}: max relative error {err:.2e} vs torch"


@pytest.mark.parametrize(("meta", "arrays"), BF16, ids=[m["name"] for m, _ in BF16])
def test_bfloat16_trace_differs_by_bfloat16_precision(meta, arrays):
    """torch's own Muon (Newton-Schulz in bfloat16) stays within a few bfloat16 roundings of the float64
    algorithm over 500 steps, and is visibly not float64."""
    ours = traces.coursecode_trace(meta, arrays)[traces.recorded_steps(meta)]
    err = traces.relative_error(ours, arrays["trace"])
    assert 1e-6 < err < BF16_EPS, err


@pytest.mark.parametrize(("meta", "arrays"), BF16, ids=[m["name"] for m, _ in BF16])
def test_bfloat16_orthogonalization_differs_by_bfloat16_precision(meta, arrays):
    """One orthogonalization of ill-conditioned matrices: torch's bfloat16 result against coursecode's float64
    one, relative to its size. Each of the five iterations rounds its products to bfloat16 and the iteration
    amplifies earlier roundings (its slope at small singular values is a = 3.4445), so the difference is a
    few bfloat16 epsilons: more than one sixteenth, less than eight. It is a tenth or less of how far the
    float64 result itself is from the exact U V^T, which five quintic iterations never reach."""
    ours, theirs = newton_schulz(arrays["ns_input"]), arrays["ns_bf16"]
    size = np.linalg.norm(ours, axis=(-2, -1))
    rel = np.linalg.norm(ours - theirs, axis=(-2, -1)) / size
    assert np.all(rel > BF16_EPS / 16) and np.all(rel < 8 * BF16_EPS), rel
    U, _, Vt = np.linalg.svd(arrays["ns_input"], full_matrices=False)
    assert np.all(rel < 0.2 * np.linalg.norm(ours - U @ Vt, axis=(-2, -1)) / size)


@pytest.mark.skipif(not HAVE_TORCH, reason="torch is not installed (the recorded traces are still checked)")
@pytest.mark.parametrize(("meta", "arrays"), CASES, ids=[m["name"] for m, _ in CASES])
def test_live_against_torch(meta, arrays):
    theirs = traces.torch_trace(meta, arrays)
    drift = traces.relative_error(theirs[traces.recorded_steps(meta)], arrays["trace"])
    assert drift <= TOL, f"the installed torch differs from the recording by {drift:.2e}: re-record?"
    if meta["float64_ns"]:
        err = traces.relative_error(traces.coursecode_trace(meta, arrays), theirs)
        assert err <= TOL, f"{meta['name']} {meta['kwargs']}: max relative error {err:.2e} vs torch"


def test_fixture_covers_both_optimizers():
    """Defaults and random settings, vectors to 3-D tensors for Adafactor, tall, wide and square matrices
    for Muon, Nesterov on and off, long moving traces, and a small file."""
    names = {meta["family"] for meta, _ in CASES}
    assert names == {"adafactor", "muon", "muon_bf16"}
    for meta, arrays in CASES:
        assert meta["factory"] in cc.ALL and meta["steps"] >= 500
        assert arrays["trace"].shape == (meta["steps"] // meta["every"] + 1,) + arrays["theta0"].shape
        moved = np.max(np.abs(arrays["trace"][-1] - arrays["trace"][0])) / np.max(np.abs(arrays["trace"][0]))
        assert moved > 1e-2, meta["name"]
    ada = [a["theta0"].shape for m, a in CASES if m["family"] == "adafactor"]
    assert {len(s) for s in ada} == {1, 2, 3}
    muon = [(m, a["theta0"].shape) for m, a in CASES if m["family"] == "muon"]
    assert {np.sign(s[0] - s[1]) for _, s in muon} == {-1, 0, 1}
    assert {m["kwargs"].get("nesterov", True) for m, _ in muon} == {True, False}
    assert any(m["kwargs"] == {} for m, _ in muon) and any(m["kwargs"] == {} for m, _ in CASES
                                                           if m["family"] == "adafactor")
    assert any(m["kwargs"].get("weight_decay", 0) > 0 for m, _ in CASES if m["family"] == "adafactor")
    assert traces.FIXTURE.stat().st_size < 300 * 1024
