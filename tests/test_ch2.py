"""Claims made in chapter 2 (chapters/02_momentum.ipynb), checked against coursecode."""
from __future__ import annotations

import numpy as np
import pytest

import coursecode as cc
from coursecode import exercises
from coursecode.homework import ch2


def spectral_radius(alpha, beta, lam):
    """rho of the chapter's iteration matrix M(lambda), eq-ch2-matrix (arrays broadcast)."""
    alpha, beta, lam = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (alpha, beta, lam)))
    M = np.zeros(alpha.shape + (2, 2))
    M[..., 0, 0] = 1 + beta - alpha * lam
    M[..., 0, 1] = -beta
    M[..., 1, 0] = 1.0
    return np.abs(np.linalg.eigvals(M)).max(axis=-1)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.99])
def test_ema_weights_sum_and_memory(beta):
    """eq-ch2-unrolled: the weights (1-beta) beta^k of t gradients add up to 1 - beta^t;
    a constant gradient g gives v_t = (1 - beta^t) g (ex-ch2-ema-memory)."""
    opt = cc.momentum(lr=0.0, beta=beta)
    theta, state = np.zeros(1), opt.init(np.zeros(1))
    for t in range(1, 31):
        theta, state = opt.step(theta, np.array([2.0]), state)
        assert state.v[0] == pytest.approx(2.0 * (1 - beta**t), rel=1e-12, abs=1e-15)


def test_ema_equals_heavy_ball_with_scaled_lr():
    """eq-ch2-equiv: EMA momentum with lr gamma equals the heavy ball with alpha = gamma (1 - beta),
    and both equal Polyak's two-step recursion eq-ch2-polyak started with theta_{-1} = theta_0."""
    problem = cc.rotated_ravine(kappa=50)
    gamma, beta, n = 0.1, 0.8, 100
    ema = cc.run(cc.momentum(lr=gamma, beta=beta), problem, [1.0, 1.0], n).thetas
    heavy = cc.run(cc.momentum(lr=gamma * (1 - beta), beta=beta, form="heavy_ball"), problem, [1.0, 1.0], n)
    np.testing.assert_allclose(ema, heavy.thetas, rtol=0, atol=1e-13)
    theta = prev = np.array([1.0, 1.0])
    polyak = [theta]
    for _ in range(n):
        theta, prev = theta - gamma * (1 - beta) * problem.grad(theta) + beta * (theta - prev), theta
        polyak.append(theta)
    np.testing.assert_allclose(ema, np.array(polyak), rtol=0, atol=1e-13)


@pytest.mark.parametrize("mu, L", [(2.0, 10.0), (1.0, 100.0), (1.0, 1e4)])
def test_optimal_pair_reaches_the_rate_and_nothing_beats_it(mu, L):
    """thm-ch2-optimal: at (alpha*, beta*) every eigenvalue in [mu, L] contracts by
    (sqrt(kappa)-1)/(sqrt(kappa)+1); on a grid of other pairs the worst rate is never smaller."""
    alpha, beta, rate = ch2.optimal_pair(mu, L)
    kappa = L / mu
    assert rate == pytest.approx((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1))
    for lam in np.linspace(mu, L, 7):
        assert spectral_radius(alpha, beta, lam) == pytest.approx(rate, rel=1e-6)
    a, b = np.meshgrid(np.linspace(0.05, 4.0, 200) / L, np.linspace(0.0, 0.99, 200))
    worst = np.maximum(spectral_radius(a, b, mu), spectral_radius(a, b, L))
    assert worst.min() >= rate - 1e-12


def test_optimal_pair_rate_is_measured_by_a_run():
    """thm-ch2-optimal on the ravine: the loss of the heavy ball at (alpha*, beta*) decays like rate^(2t)
    up to the polynomial factor of a double root."""
    ravine = cc.ravine()
    alpha, beta, rate = ch2.optimal_pair(2.0, 10.0)
    traj = cc.run(cc.momentum(lr=alpha, beta=beta, form="heavy_ball"), ravine, [1.0, 1.0], 200)
    measured = (traj.losses[200] / traj.losses[100]) ** (1 / 200)
    assert rate < measured < rate * 1.01


@pytest.mark.parametrize("beta", [0.0, 0.3, 0.9])
def test_stability_edge(beta):
    """ex-ch2-stability: the heavy ball on lambda theta^2/2 converges iff 0 < alpha lambda < 2 (1 + beta)."""
    lam = 10.0
    edge = 2 * (1 + beta) / lam
    assert spectral_radius(0.999 * edge, beta, lam) < 1
    assert spectral_radius(1.001 * edge, beta, lam) > 1


def test_beta_09_is_optimal_for_kappa_about_1442():
    """Chapter 2's remark: beta* = 0.9 exactly when kappa = ((1 + sqrt 0.9) / (1 - sqrt 0.9))^2."""
    _, beta, _ = ch2.optimal_pair(1.0, ch2.KAPPA_FOR_09)
    assert beta == pytest.approx(0.9, rel=1e-12)
    assert 1441 < ch2.KAPPA_FOR_09 < 1443


def test_momentum_escapes_plateau_and_saddle_faster():
    """fig-ch2-flat: with the same weight on the newest gradient, momentum (beta = 0.9) reaches the
    bottom of the plateau and leaves the saddle in fewer steps than GD."""
    def steps(traj, threshold):
        return int(np.argmax(traj.losses < threshold))

    for problem, start, a, threshold in [(cc.plateau(), [4.0, 1.0], 1.0, 0.01),
                                         (cc.saddle(), [1.0, 1e-4], 0.05, -0.49)]:
        gd = cc.run(cc.gd(lr=a), problem, start, 600)
        mom = cc.run(cc.momentum(lr=a / (1 - 0.9), beta=0.9), problem, start, 600)
        assert np.any(gd.losses < threshold) and np.any(mom.losses < threshold)
        assert steps(mom, threshold) < steps(gd, threshold) / 2


# -- the homework -------------------------------------------------------------------------

def test_homework_ids_are_chapter_2_and_registered():
    ids = [e.id for e in ch2.exercises()]
    assert all(i.startswith("ch2-") for i in ids) and len(set(ids)) == len(ids)
    assert set(ids) <= set(exercises.registry())


@pytest.mark.parametrize("qid, right, wrong", [
    ("ch2-memory", "20", ["0.05", "19", "10"]),
    ("ch2-optimal-beta", "81/121", ["0.818", "0.9", "0.98"]),
    ("ch2-stable-lr", "0.3", ["0.2", "0.6"]),
    ("ch2-zigzag", "a", ["b", "c", "d"]),
])
def test_homework_answers(qid, right, wrong):
    ex = exercises.registry()[qid]
    assert ex.check(right).correct
    for answer in wrong:
        feedback = ex.check(answer)
        assert not feedback.correct and feedback.message


def test_homework_update_exercises():
    reg = exercises.registry()

    def polyak_step(theta, theta_prev, g, alpha, beta):
        return theta - alpha * g + beta * (theta - theta_prev)

    def step(theta, v, g, lr, beta):
        v = beta * v + (1 - beta) * g
        return theta - lr * v, v

    assert reg["ch2-heavy-ball-step"].check(polyak_step).correct
    backwards = reg["ch2-heavy-ball-step"].check(lambda th, tp, g, a, b: th - a * g + b * (tp - th))
    assert not backwards.correct and "backwards" in backwards.message
    assert reg["ch2-momentum-step"].check(step).correct
    undamped = reg["ch2-momentum-step"].check(lambda th, v, g, lr, b: (th - lr * (b * v + g), b * v + g))
    assert not undamped.correct and "heavy-ball" in undamped.message


def test_homework_slider_task():
    task = exercises.registry()["ch2-fast-momentum"]
    _, beta, _ = ch2.optimal_pair(2.0, 10.0)
    alpha, _, _ = ch2.optimal_pair(2.0, 10.0)
    assert task.check({"lr": alpha / (1 - beta), "beta": beta}).correct
    assert not task.check({"lr": 1.0, "beta": 0.9}).correct
    assert "diverges" in task.check({"lr": 5.0, "beta": 0.5}).message
