"""Claims made in chapter 6 (chapters/06_adam_properties.ipynb), checked against coursecode."""
from __future__ import annotations

import math

import numpy as np
import pytest

import coursecode as cc
from coursecode.optimizers import AdamState

BETA1, BETA2 = 0.9, 0.999


def _cap(b1, b2):
    """eq-ch6-cap: (1 - b1) / sqrt((1 - b2)(1 - b1^2 / b2))."""
    return (1 - b1) / math.sqrt((1 - b2) * (1 - b1**2 / b2))


def test_uncorrected_step_ratio_starts_at_3_16_and_peaks_at_6_57_at_step_12():
    """Chapter 6, eq-ch6-uncorrected: the uncorrected / corrected step ratio is
    (1 - b1^t) / sqrt(1 - b2^t): 3.16 at t = 1, peak 6.57 at t = 12, above 3 until t = 117,
    within 1% from t = 3925; and Adam's recorded states give exactly that ratio."""
    t = np.arange(1, 10_001)
    factor = (1 - BETA1**t) / np.sqrt(1 - BETA2**t)
    assert factor[0] == pytest.approx(0.1 / math.sqrt(0.001))
    assert int(t[np.argmax(factor)]) == 12 and factor.max() == pytest.approx(6.5685, abs=1e-4)
    assert int(t[np.flatnonzero(factor > 3)[-1]]) == 117
    assert int(t[np.argmax(factor < 1.01)]) == 3925
    rng = np.random.default_rng(0)
    traj = cc.run(cc.adam(eps=0.0), lambda th: 1 + rng.standard_normal(th.shape), np.zeros((5, 1)), 40,
                  record_state=True)
    k = np.arange(1, 41)[:, None, None]
    m, v = traj.states.m, traj.states.v
    ratio = (np.abs(m) / np.sqrt(v)) / (np.abs(m / (1 - BETA1**k)) / np.sqrt(v / (1 - BETA2**k)))
    np.testing.assert_allclose(ratio, np.broadcast_to(factor[:40, None, None], ratio.shape), rtol=1e-12)


@pytest.mark.parametrize("c", [1e-7, 1e-3, 10.0, 1e5])
def test_adam_with_eps_on_cf_is_adam_with_eps_over_c_on_f(c):
    """Chapter 6, eq-ch6-scale: Adam(eps) on c f equals Adam(eps / c) on f, step by step."""
    ravine = cc.ravine()
    a = cc.run(cc.adam(0.05), lambda th: c * ravine.grad(th), [-1.0, 0.9], 100)
    b = cc.run(cc.adam(0.05, eps=1e-8 / c), ravine, [-1.0, 0.9], 100)
    np.testing.assert_allclose(a.thetas, b.thetas, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("b1, b2", [(0.9, 0.999), (0.9, 0.99), (0.5, 0.9), (0.9, 0.9), (0.99, 0.999)])
def test_step_cap_holds_at_every_t(b1, b2):
    """Chapter 6, prop-ch6-cap: C_t (bias-corrected weights, finite t) never exceeds C and tends to it;
    C = 1 when b1 = b2."""
    q = b1**2 / b2
    t = np.arange(1, 20_001, dtype=float)
    c_t = np.sqrt((1 - b1) ** 2 / (1 - b2) * (1 - b2**t) / (1 - b1**t) ** 2 * (1 - q**t) / (1 - q))
    cap = _cap(b1, b2)
    assert np.all(c_t <= cap * (1 + 1e-12))
    assert c_t[-1] == pytest.approx(cap, rel=1e-6)
    if b1 == b2:
        assert cap == pytest.approx(1.0)


def test_worst_case_sequence_reaches_the_cap_and_random_sequences_do_not_exceed_it():
    """Chapter 6, prop-ch6-cap: gradients growing by b2/b1 per step after a long silence give
    7.27 lr with the defaults; a heavy-tailed random gradient sequence never exceeds C."""
    opt = cc.adam(lr=1.0, eps=0.0)
    theta, state = np.zeros(1), AdamState(10_000, np.zeros(1), np.zeros(1))
    g, step = 1.0, 0.0
    for _ in range(200):
        g *= BETA2 / BETA1
        new, state = opt.step(theta, np.array([g]), state)
        step, theta = float(abs(new - theta)[0]), new
    assert step == pytest.approx(_cap(BETA1, BETA2), rel=1e-4)
    assert _cap(BETA1, BETA2) == pytest.approx(7.2703, abs=1e-4)

    rng = np.random.default_rng(6)
    gs = rng.standard_t(1.2, (3000, 50)) * (rng.random((3000, 50)) < 0.3)
    gs[0] = 1.0
    theta, state = np.zeros(50), opt.init(np.zeros(50))
    largest = 0.0
    for row in gs:
        new, state = opt.step(theta, row, state)
        largest = max(largest, float(np.nanmax(np.abs(new - theta))))
        theta = new
    assert 1.0 < largest <= _cap(BETA1, BETA2)


def test_spike_after_silence_matches_the_closed_form():
    """Chapter 6, eq-ch6-spike: after L zero gradients the state is (t = L, m = 0, v = 0), and a
    spike moves theta by (1-b1)/(1-b1^t) sqrt((1-b2^t)/(1-b2)) lr, 3.16 lr for long silences."""
    probe = cc.adam()
    theta, state = np.zeros(1), probe.init(np.zeros(1))
    for _ in range(50):
        theta, state = probe.step(theta, np.zeros(1), state)
    assert state.t == 50 and state.m[0] == 0.0 and state.v[0] == 0.0 and theta[0] == 0.0
    opt = cc.adam(lr=1.0, eps=0.0)
    for L in (0, 10, 1000, 100_000):
        theta, _ = opt.step(np.zeros(1), np.array([-3.0]), AdamState(L, np.zeros(1), np.zeros(1)))
        t = L + 1
        assert theta[0] == pytest.approx((1 - BETA1) / (1 - BETA1**t) * math.sqrt((1 - BETA2**t) / (1 - BETA2)))
    assert theta[0] == pytest.approx(0.1 / math.sqrt(0.001), rel=1e-9)


def test_progress_per_step_follows_the_noise_to_signal_formula():
    """Chapter 6, eq-ch6-nsr: the mean signed step of default Adam on stationary N(1, NSR^2)
    gradients is close to 1/sqrt(1 + NSR^2); the mean length for pure noise is about
    sqrt(2/pi) sqrt((1-b1)/(1+b1)) = 0.183."""
    rng = np.random.default_rng(3)
    nsr = np.array([0.1, 1.0, 3.0, 100.0])
    sig = np.repeat(nsr, 20)[:, None]
    traj = cc.run(cc.adam(1e-3), lambda th: 1.0 + sig * rng.standard_normal(th.shape), np.zeros((80, 1)), 1500,
                  record_grads=False)
    step = (-np.diff(traj.thetas[:, :, 0], axis=0)[500:] / 1e-3).reshape(1000, 4, 20)
    progress = step.mean(axis=(0, 2))
    np.testing.assert_allclose(progress[:3], 1 / np.sqrt(1 + nsr[:3] ** 2), atol=0.03)
    assert abs(progress[3]) < 0.03
    floor = math.sqrt(2 / math.pi) * math.sqrt((1 - BETA1) / (1 + BETA1))
    assert np.abs(step[:, 3]).mean() == pytest.approx(floor, rel=0.05)


def test_full_batch_adam_with_beta1_zero_locks_into_the_2_cycle():
    """Chapter 6, the convergence section: full-batch Adam (beta1 = 0, beta2 = 0.99, lr = 0.01) on
    x^2/2 ends in the 2-cycle x = +-lr/2; with beta1 = 0.5 it keeps bursting to about lr."""
    lr = 0.01
    traj = cc.run(cc.adam(lr, beta1=np.array([[0.0], [0.5]]), beta2=0.99), cc.quadratic([1.0]), np.ones((2, 1)),
                  4000)
    x = traj.thetas[-500:, :, 0] / lr
    np.testing.assert_allclose(np.abs(x[:, 0]), 0.5, atol=1e-3)
    assert np.all(np.sign(x[1:, 0]) == -np.sign(x[:-1, 0]))
    assert np.abs(x[:, 1]).max() > 0.5 and np.abs(x[:, 1]).min() < 1e-3


def test_default_adam_also_fails_to_settle_on_a_quadratic():
    """Chapter 6, the convergence section ('with the default betas the same instability arrives much
    later'): default betas, lr = 0.01, on x^2/2: |x| falls below 1e-40 lr, yet bursts back to
    about lr between steps 14000 and 16000, once v_hat has forgotten the large early gradients."""
    traj = cc.run(cc.adam(0.01), cc.quadratic([1.0]), [1.0], 16_000)
    x = np.abs(traj.thetas[:, 0]) / 0.01
    assert x[2000:12_000].max() < 1e-40
    assert x[14_000:].max() > 0.5


# -- the homework module ----------------------------------------------------------------

def _homework():
    pytest.importorskip("ipywidgets")
    from coursecode.homework import ch6

    return {e.id: e for e in ch6.exercises()}


def test_homework_ids_are_chapter_6():
    assert list(_homework()) == ["ch6-bias-m1", "ch6-sparse-bound", "ch6-worst-step", "ch6-nsr-step",
                                 "ch6-eps-breaks"]


@pytest.mark.parametrize("key, right, wrong", [
    ("ch6-bias-m1", "0.2", ["2", "1.8", "0.1"]),
    ("ch6-sparse-bound", "3.162", ["100", "1", "31.6", "7.27"]),
    ("ch6-worst-step", "7.27", ["3.16", "1", "52.86"]),
    ("ch6-nsr-step", "0.447", ["0.2", "0.5", "0.577", "1"]),
    ("ch6-eps-breaks", "b", ["a", "c", "d"]),
])
def test_homework_answers(key, right, wrong):
    ex = _homework()[key]
    assert ex.check(right).correct
    for answer in wrong:
        feedback = ex.check(answer)
        assert not feedback.correct and feedback.message
