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


# -- claims added in the truth pass -------------------------------------------------------------

def test_cap_is_one_exactly_when_the_betas_are_equal():
    """Chapter 6, summary: the cap |step| <= gamma holds at every step if and only if beta1 = beta2:
    C(b1, b2) >= 1, with equality only on the diagonal (C^2 - 1 has the sign of (b2 - b1)^2)."""
    b = np.linspace(0.0, 0.99, 34)
    b1, b2 = np.meshgrid(b, b, indexing="ij")
    ok = b1**2 < b2
    c = (1 - b1[ok]) / np.sqrt((1 - b2[ok]) * (1 - b1[ok] ** 2 / b2[ok]))
    on_diagonal = np.isclose(b1[ok], b2[ok])
    np.testing.assert_allclose(c[on_diagonal], 1.0, rtol=1e-12)
    assert np.all(c[~on_diagonal] > 1.0)


def test_scale_section_comparisons():
    """Chapter 6, Property II: GD diverges from c = 10 on (gamma c L > 2), converges at c = 1 closer than Adam
    (whose steps are about gamma), hardly moves for c <= 1e-2; Adam with eps = 0 ends at the same distance
    for every c; with eps = 1e-8 its gap to the eps-free path grows like eps / c."""
    ravine = cc.ravine()
    scales = np.logspace(-10, 6, 17)
    C = scales[:, None]
    theta0 = np.tile([-1.0, 0.9], (17, 1))
    grad = lambda th: C * ravine.grad(th)   # noqa: E731
    gd = cc.run(cc.gd(0.05), grad, theta0, 100)
    adam0 = cc.run(cc.adam(0.05, eps=0.0), grad, theta0, 100)
    adam8 = cc.run(cc.adam(0.05), grad, theta0, 100)
    assert np.all(gd.diverged_at[scales >= 10] >= 0) and np.all(gd.diverged_at[scales < 10] < 0)
    one = int(np.flatnonzero(scales == 1.0)[0])
    d_gd = np.linalg.norm(gd.thetas[-1, one])
    d_adam = np.linalg.norm(adam0.thetas[-1], axis=-1)
    assert d_gd < d_adam[one]
    assert np.ptp(d_adam) < 1e-12
    assert np.linalg.norm(gd.thetas[-1, scales == 1e-2]) > 1.0
    dev = np.max(np.abs(adam8.thetas - adam0.thetas[:, [one]]), axis=(0, 2))
    ratio = dev[scales == 1e-6][0] / dev[one]
    assert 0.5e6 < ratio < 2e6                      # eps / c: a million times larger at c = 1e-6


def test_invariance_is_per_coordinate_not_under_rotation():
    """Chapter 6, 'Per coordinate, not per direction': Adam (eps = 0) fed D g for D = diag(1e-3, 1e3) follows
    the plain path up to rounding; on the ravine turned by 45 degrees GD follows the rotated path, Adam does
    not (a gap of about 0.74), and Adam ends farther from the minimizer on the turned ravine."""
    ravine = cc.ravine()
    start = np.array([-1.0, 0.9])
    D = np.array([1e-3, 1e3])
    plain = cc.run(cc.adam(0.05, eps=0.0), ravine, start, 100)
    rescaled = cc.run(cc.adam(0.05, eps=0.0), lambda th: D * ravine.grad(th), start, 100)
    assert np.max(np.abs(rescaled.thetas - plain.thetas)) < 1e-12
    a = np.pi / 4
    R = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    turned = cc.quadratic([2.0, 10.0], angle=a)
    assert turned.value(R @ start) == pytest.approx(ravine.value(start))
    gaps, finals = {}, {}
    for label, opt in (("GD", cc.gd(0.05)), ("Adam", cc.adam(0.05, eps=0.0))):
        on_f = cc.run(opt, ravine, start, 100)
        on_turned = cc.run(opt, turned, R @ start, 100)
        gaps[label] = np.max(np.linalg.norm(on_turned.thetas - on_f.thetas @ R.T, axis=-1))
        finals[label] = (np.linalg.norm(on_f.thetas[-1]), np.linalg.norm(on_turned.thetas[-1]))
    assert gaps["GD"] < 1e-12
    assert gaps["Adam"] == pytest.approx(0.7375, abs=1e-3)
    assert finals["Adam"][1] > 2 * finals["Adam"][0]


def test_sign_times_variance_adaptation_factor():
    """Chapter 6, eq-ch6-sign (Balles & Hennig): m_hat / sqrt(v_hat) = sign(m_hat) / sqrt(1 + eta^2) with
    eta^2 = (v_hat - m_hat^2) / m_hat^2; eta^2 < 0 exactly when |m_hat| > sqrt(v_hat), a step longer than
    gamma. At NSR = 0.01 every step of default Adam is within 1% of gamma and points downhill."""
    rng = np.random.default_rng(11)
    m = rng.standard_normal(1000)
    v = m**2 * rng.uniform(0.5, 3.0, 1000)
    eta2 = (v - m**2) / m**2
    np.testing.assert_allclose(m / np.sqrt(v), np.sign(m) / np.sqrt(1 + eta2), rtol=1e-12)
    assert np.array_equal(eta2 < 0, np.abs(m) > np.sqrt(v))
    rng = np.random.default_rng(1412)
    traj = cc.run(cc.adam(1e-3), lambda th: 1.0 + 0.01 * rng.standard_normal(th.shape), np.zeros((24, 1)), 1500,
                  record_grads=False)
    step = -np.diff(traj.thetas[:, :, 0], axis=0)[500:] / 1e-3
    assert np.all(step > 0) and np.max(np.abs(step - 1)) < 0.01


def test_stationary_noise_steps_beyond_gamma():
    """Chapter 6, 'What holds and what does not': the mean step never exceeds gamma and E[m_hat^2] <= E[v_hat];
    at NSR 0.01 a large share of steps is slightly longer than gamma, at NSR 1 a few percent exceed it by
    more, at NSR 10 hardly any; with beta1 = beta2 no step exceeds gamma."""
    rng = np.random.default_rng(5)
    nsr = np.repeat([0.01, 1.0, 10.0], 24)[:, None]
    beta2 = np.r_[np.full(72, 0.999), np.full(24, 0.9)][:, None]
    sig = np.r_[nsr, np.full((24, 1), 1.0)]
    traj = cc.run(cc.adam(1e-3, beta2=beta2), lambda th: 1.0 + sig * rng.standard_normal(th.shape),
                  np.zeros((96, 1)), 1500, record_state=True, record_grads=False)
    length = np.abs(np.diff(traj.thetas[:, :, 0], axis=0))[500:] / 1e-3
    t = np.arange(1, 1501)[500:, None]
    m_hat = traj.states.m[500:, :, 0] / (1 - 0.9**t)
    v_hat = traj.states.v[500:, :, 0] / (1 - beta2[:, 0] ** t)
    for k in range(3):
        cols = slice(24 * k, 24 * (k + 1))
        assert length[:, cols].mean() <= 1.0
        assert np.mean(m_hat[:, cols] ** 2) <= np.mean(v_hat[:, cols])
    share = [np.mean(length[:, 24 * k:24 * (k + 1)] > 1) for k in range(3)]
    assert share[0] > 0.3 and 0.005 < share[1] < 0.1 and share[2] < 1e-3   # NSR 10: rarely
    assert length[:, 24:48].max() > 1.2 and length[:, :24].max() < 1.01
    assert length[:, 72:].max() <= 1.0


def test_noisy_and_clean_coordinate():
    """Chapter 6, 'One noisy and one clean coordinate': over the first 50 steps the noisy x gets the smaller
    effective learning rate, close to gamma / sigma, and progresses at about 1/sqrt(1 + NSR^2) gamma, while y
    advances by more than twice as much per step."""
    two = cc.run(cc.adam(0.01), cc.stochastic(cc.bowl(), noise=np.array([4.0, 0.0]), rng=6),
                 np.tile([1.0, 1.0], (100, 1)), 300, record_state=True)
    tk = np.arange(1, 301)[:, None, None]
    elr = (0.01 / (np.sqrt(two.states.v / (1 - BETA2**tk)) + 1e-8)).mean(axis=1)
    progress = (-np.diff(two.thetas, axis=0) / 0.01).mean(axis=1)
    mean_x = two.thetas.mean(axis=1)[:-1, 0]
    predicted = 1 / np.sqrt(1 + (4.0 / np.abs(2 * mean_x)) ** 2)
    assert elr[:50, 0].mean() < elr[:50, 1].mean()
    assert elr[:50, 0].mean() == pytest.approx(0.0025, rel=0.05)
    assert progress[:50, 0].mean() == pytest.approx(predicted[:50].mean(), abs=0.02)
    assert progress[:50, 1].mean() > 2 * progress[:50, 0].mean()


def test_beta1_half_bursts_whole_run_and_last_window():
    """Chapter 6, the convergence section: after the first descent, beta1 = 0.5 bursts to 3.04 gamma at step 1449
    (the largest of the run), then about every 111 steps; over the last 500 steps only to 1.13 gamma;
    beta1 = 0 bursts once, to 5.23 gamma at step 1370, before the 2-cycle."""
    lr = 0.01
    traj = cc.run(cc.adam(lr, beta1=np.array([[0.0], [0.5]]), beta2=0.99), cc.quadratic([1.0]),
                  np.ones((2, 1)), 4000)
    x = np.abs(traj.thetas[:, :, 0]) / lr
    collapse = np.argmax(x < 1e-3, axis=0)
    peaks = [int(c + np.argmax(x[c:, i])) for i, c in enumerate(collapse)]
    assert peaks == [1370, 1449]
    assert x[peaks[0], 0] == pytest.approx(5.2287, abs=1e-3) and x[peaks[1], 1] == pytest.approx(3.0390, abs=1e-3)
    assert x[-500:, 1].max() == pytest.approx(1.1272, abs=1e-3) and x[-500:, 1].max() < x[peaks[1], 1] / 2
    up = np.flatnonzero((x[1:, 1] >= 1) & (x[:-1, 1] < 1)) + 1
    assert int(np.median(np.diff(up[up >= 2000]))) == 111
