"""coursecode.schedules: values, batching, validation, and use by every optimizer and by run."""
from __future__ import annotations

import numpy as np
import pytest

import coursecode as cc
from coursecode import schedules as S


def test_cosine_values_match_the_formula_and_optax_counting():
    lr = S.cosine(0.5, horizon=100, final=0.05)
    for t in (1, 2, 50, 100, 101, 400):
        p = min((t - 1) / 100, 1.0)
        assert lr(t) == pytest.approx(0.05 + 0.5 * 0.45 * (1 + np.cos(np.pi * p)), rel=1e-14)
    assert lr(1) == 0.5 and lr(101) == pytest.approx(0.05) and lr(10**6) == pytest.approx(0.05)


def test_cosine_with_warmup_rises_then_decays():
    lr = S.cosine(1.0, horizon=50, warmup=10)
    values = np.array([lr(t) for t in range(1, 60)])
    assert values[0] == pytest.approx(0.1) and values[9] == pytest.approx(1.0)
    assert np.all(np.diff(values[:10]) > 0) and np.all(np.diff(values[10:50]) < 0) and values[-1] == 0


def test_step_warmup_constant_wsd():
    assert [S.step(1.0, every=3, factor=0.5)(t) for t in range(1, 8)] == [1, 1, 1, 0.5, 0.5, 0.5, 0.25]
    assert S.constant(0.3)(7) == 0.3
    w = S.warmup(0.2, steps=4)
    assert [w(t) for t in (1, 2, 4, 9)] == pytest.approx([0.05, 0.1, 0.2, 0.2])
    lr = S.wsd(1.0, horizon=100, warmup=5, decay=0.2)
    v = np.array([lr(t) for t in range(1, 102)])
    assert v[0] == pytest.approx(0.2) and np.all(v[4:81] == 1.0)       # stable until the last 20 steps
    assert np.all(np.diff(v[80:100]) < 0) and v[99] == pytest.approx(1 / 20) and v[100] == 0.0


def test_untuned_warmup_is_two_over_one_minus_beta2():
    assert S.untuned_warmup_steps(0.999) == 2000 and S.untuned_warmup_steps(0.99) == 200


def test_batched_peaks_and_horizons_broadcast_against_theta():
    peaks = np.array([[0.1], [0.2], [0.4]])
    horizons = np.array([[10.0], [20.0], [40.0]])
    lr = S.cosine(peaks, horizon=horizons)
    assert lr(15).shape == (3, 1)
    assert lr(15)[0, 0] == 0.0 and lr(15)[1, 0] > 0 and lr(15)[2, 0] > lr(15)[1, 0]
    for k in range(3):      # each row equals its scalar schedule
        one = S.cosine(float(peaks[k, 0]), horizon=float(horizons[k, 0]))
        assert all(lr(t)[k, 0] == one(t) for t in (1, 7, 15, 30, 45))
    assert S.wsd(peaks, horizon=horizons)(12).shape == (3, 1)
    assert S.warmup(S.cosine(peaks, horizon=horizons), steps=np.array([[2.0], [4.0], [8.0]]))(3).shape == (3, 1)


@pytest.mark.parametrize("name", sorted(cc.ALL))
def test_every_optimizer_runs_a_batched_schedule(name):
    """lr=schedule works for every optimizer, in run, batched over rows; each row equals its own run."""
    peaks = np.array([[0.01], [0.03]])
    theta0 = np.tile([[1.0, -0.5, 0.3, 0.8]], (2, 1)).reshape(2, 4)
    f = cc.quadratic([1.0, 2.0, 3.0, 4.0])
    if name in ("muon", "adafactor"):      # matrix methods: the rows of theta are not independent runs
        traj = cc.run(cc.ALL[name](lr=S.cosine(0.01, horizon=30)), lambda th: th, np.ones((3, 4)), 40)
        assert not traj.diverged and np.all(np.abs(traj.final) < 1)
        return
    batched = cc.run(cc.ALL[name](lr=S.cosine(peaks, horizon=30)), f, theta0, 40)
    assert not batched.diverged
    for k in range(2):
        single = cc.run(cc.ALL[name](lr=S.cosine(float(peaks[k, 0]), horizon=30)), f, theta0[k], 40)
        np.testing.assert_allclose(batched.thetas[:, k], single.thetas, rtol=1e-12, atol=1e-15)


def test_schedules_are_pure_and_reusable():
    lr = S.wsd(0.1, horizon=20)
    first = [lr(t) for t in range(1, 25)]
    assert [lr(t) for t in range(1, 25)] == first          # no hidden state


@pytest.mark.parametrize(("make", "word"), [
    (lambda: S.cosine(-1.0, horizon=10), "lr"),
    (lambda: S.cosine(1.0, horizon=0), "horizon"),
    (lambda: S.cosine(1.0, horizon=10, warmup=10), "warmup"),
    (lambda: S.cosine(1.0, horizon=10, final=-0.1), "final"),
    (lambda: S.step(1.0, every=0), "every"),
    (lambda: S.step(1.0, every=5, factor=2.0), "factor"),
    (lambda: S.warmup(1.0, steps=0), "steps"),
    (lambda: S.warmup(float("nan"), steps=3), "lr"),
    (lambda: S.wsd(1.0, horizon=10, decay=1.5), "decay"),
    (lambda: S.wsd(1.0, horizon=10, warmup=9, decay=0.2), "warmup"),
    (lambda: S.untuned_warmup_steps(1.0), "beta2"),
    (lambda: S.constant("fast"), "lr"),
])
def test_bad_numbers_are_refused_by_name(make, word):
    with pytest.raises(ValueError, match=word):
        make()


def test_names_show_in_the_optimizer_repr():
    assert "cosine(horizon=100)" in repr(cc.adam(lr=S.cosine(1e-3, horizon=100)))
