"""Claims made in chapter 8 (chapters/08_adamw.ipynb), checked against coursecode."""
from __future__ import annotations

import numpy as np
import pytest

import coursecode as cc
from coursecode import learning
from coursecode.optimizers import AdamState


def test_l2_and_decay_coincide_for_gradient_descent():
    """Section "For gradient descent they are one algorithm": eq-ch8-l2-step equals eq-ch8-decay."""
    lams = np.logspace(-3, 0, 12)[:, None]
    start = np.tile([-1.0, 0.9], (12, 1))
    runs = [cc.run(cc.gd(lr=0.08, weight_decay=lams, decoupled=d), cc.ravine(), start, 200) for d in (False, True)]
    np.testing.assert_allclose(runs[0].thetas, runs[1].thetas, rtol=0, atol=1e-14)


def test_momentum_l2_and_decay_differ():
    """The chapter's aside: with momentum the penalty enters the velocity, so the two forms differ."""
    runs = [cc.run(cc.momentum(lr=0.1, beta=0.9, weight_decay=0.5, decoupled=d), cc.ravine(), [-1.0, 0.9], 50)
            for d in (False, True)]
    assert np.max(np.abs(runs[0].thetas - runs[1].thetas)) > 1e-3


def _two_scales(steps=120, lr=0.05, lam=0.5):
    f = cc.quadratic([100.0, 1.0], center=[1.0, 1.0])
    coupled = cc.run(cc.adam_l2(lr=lr, weight_decay=np.array([[0.0], [lam]])), f, np.zeros((2, 2)), steps,
                     record_state=True)
    decoupled = cc.run(cc.adamw(lr=lr, weight_decay=lam), f, np.zeros(2), steps, record_state=True)
    return f, coupled, decoupled


def test_two_scales_adam_and_adamw_treat_the_coordinates_alike():
    """Section "One problem at two gradient scales": Adam and AdamW are blind to a coordinate's gradient scale."""
    _, coupled, decoupled = _two_scales()
    adam = coupled.thetas[:, 0]
    assert np.max(np.abs(adam[:, 0] - adam[:, 1])) < 1e-7
    assert np.max(np.abs(decoupled.thetas[:, 0] - decoupled.thetas[:, 1])) < 1e-7
    l2_end = coupled.thetas[-1, 1]
    assert 1 - l2_end[0] < 0.01 and 1 - l2_end[1] > 0.3          # theta1 barely shrunk, theta2 by a third
    assert 0.1 < 1 - decoupled.thetas[-1, 0] < 0.15               # AdamW: both by about 13%


def test_two_scales_effective_decay_from_recorded_states():
    """eq-ch8-adam-l2: the pull gamma lambda D_ii is ~100x weaker on the high-gradient coordinate."""
    _, coupled, _ = _two_scales()
    t = np.arange(1, 121)[:, None]
    D = 1 / (np.sqrt(coupled.states.v[:, 1] / (1 - 0.999**t)) + 1e-8)
    assert np.all(D[:, 1] / D[:, 0] > 90)
    assert D[-1, 0] < 0.05 and D[-1, 1] > 1                       # weaker and stronger than AdamW's 1


def test_adam_l2_settles_at_the_l2_minimizer():
    """Section "Less than what?": D (grad f + lambda theta) = 0 forces grad f + lambda theta = 0."""
    f, lam = cc.quadratic([100.0, 1.0], center=[1.0, 1.0]), 0.5
    target = np.linalg.solve(f.H + lam * np.eye(2), f.H @ f.center)
    run = cc.run(cc.adam_l2(lr=0.05, weight_decay=lam), f, np.zeros(2), 5000)
    np.testing.assert_allclose(run.final, target, atol=1e-6)


def test_adamw_formula_matches_code():
    """eq-ch8-adamw from the recorded moments equals cc.adamw's next iterate."""
    _, _, run = _two_scales()
    t = np.arange(1, 121)[:, None]
    m_hat = run.states.m / (1 - 0.9**t)
    D = 1 / (np.sqrt(run.states.v / (1 - 0.999**t)) + 1e-8)
    rebuilt = (1 - 0.05 * 0.5) * run.thetas[:-1] - 0.05 * D * m_hat
    np.testing.assert_allclose(rebuilt, run.thetas[1:], rtol=0, atol=1e-14)


def _argmin_quadratic(m_hat, theta_t, d, gamma, linear_term, extra_quadratic=None):
    """Minimize <m_hat + linear_term, x - theta_t> + |x - theta_t|^2_{D^-1} / (2 gamma) (+ extra) by solving."""
    Dinv = np.diag(1 / d)
    A = Dinv / gamma + (extra_quadratic if extra_quadratic is not None else 0)
    b = Dinv @ theta_t / gamma - m_hat - linear_term
    return np.linalg.solve(A, b)


def test_proximal_proposition():
    """prop-ch8-prox: the D^-1 penalty gives AdamW, the Euclidean one Adam + L2; exercise: the exact prox."""
    rng = np.random.default_rng(0)
    m_hat, theta_t, d = rng.normal(size=4), rng.normal(size=4), np.exp(rng.normal(size=4))
    gamma, lam = 0.3, 0.7
    adamw = theta_t - gamma * d * m_hat - gamma * lam * theta_t
    adam_l2 = theta_t - gamma * d * (m_hat + lam * theta_t)
    np.testing.assert_allclose(_argmin_quadratic(m_hat, theta_t, d, gamma, lam * theta_t / d), adamw)
    np.testing.assert_allclose(_argmin_quadratic(m_hat, theta_t, d, gamma, lam * theta_t), adam_l2)
    exact = _argmin_quadratic(m_hat, theta_t, d, gamma, 0.0, extra_quadratic=lam * np.diag(1 / d))
    np.testing.assert_allclose(exact, (theta_t - gamma * d * m_hat) / (1 + gamma * lam))


def test_paper_convention_equals_torch_convention():
    """eq-ch8-convert: the paper's AdamW (eta_t = 1) with lambda_paper = lr lambda_torch is cc.adamw."""
    f, alpha, lam_torch = cc.rosenbrock(), 1e-2, 3.0
    lam_paper = alpha * lam_torch
    ref = cc.run(cc.adamw(lr=alpha, weight_decay=lam_torch), f, [-1.0, 1.5], 200).thetas
    theta, m, v = np.array([-1.0, 1.5]), np.zeros(2), np.zeros(2)
    for t in range(1, 201):
        g = f.grad(theta)
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g**2
        step = (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        theta = theta - (alpha * step + lam_paper * theta)       # Algorithm 2 of the paper, eta_t = 1
        np.testing.assert_allclose(theta, ref[t], rtol=1e-12, atol=1e-14)


# -- the two heat maps -------------------------------------------------------------------------

GAMMAS = np.logspace(-3, -0.5, 6)
LAMS_L2 = np.logspace(-4, 2, 13)
LAMS_PAPER = np.logspace(-6, 0, 13)


def _tune(make_opt, lams, grad, theta0, steps):
    L, M = np.meshgrid(GAMMAS, lams, indexing="ij")
    run = cc.run(make_opt(L.reshape(-1, 1), M.reshape(-1, 1)), grad, np.tile(theta0, (L.size, 1)), steps,
                 record_grads=False)
    return run.final


def _slope(values):
    keep = np.isfinite(values)
    return float(np.polyfit(np.log10(GAMMAS[keep]), np.log10(values[keep]), 1)[0])


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_convex_grid_adam_l2_level_adamw_diagonal_in_paper_units(seed):
    """Section "Tuning gamma and lambda together": on the convex toy the best L2 lambda does not move with
    gamma, AdamW's best lambda_paper moves about one decade per decade, and Adam + L2 settles at the L2
    minimizer wherever it has converged."""
    data = learning.logistic_data(n=60, d=50, seed=seed, signal=8.0)
    fin_l2 = _tune(lambda g, l: cc.adam_l2(lr=g, weight_decay=l), LAMS_L2, data.problem, np.zeros(50), 500)
    fin_w = _tune(lambda g, l: cc.adamw(lr=g, weight_decay=l / g), LAMS_PAPER, data.problem, np.zeros(50), 500)
    loss_l2 = data.test_loss(fin_l2).reshape(6, -1)
    loss_w = data.test_loss(fin_w).reshape(6, -1)
    assert abs(_slope(LAMS_L2[np.argmin(loss_l2, axis=1)])) < 0.2
    assert _slope(LAMS_PAPER[np.argmin(loss_w, axis=1)]) > 0.9
    exact = data.problem.l2_minimizer(LAMS_L2)
    dist = np.linalg.norm(fin_l2.reshape(6, 13, 50) - exact, axis=-1)
    assert np.mean(dist[:, 6:] < 1e-6) > 0.5    # most runs with lambda >= 1e-1 are at the L2 minimizer


def _minibatches(problem, size, seed):
    rng = np.random.default_rng(seed)

    def grad(theta):
        idx = rng.choice(problem.n, size, replace=False)
        return learning.LogisticRegression(problem.X[idx], problem.y[idx], temperature=problem.temperature).grad(theta)
    return grad


def _edge(loss, lams, tol=0.05):
    ok = loss <= loss.min() * (1 + tol)
    return np.array([lams[row].max() if row.any() else np.nan for row in ok])


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_scale_invariant_grid_adamw_edge_level_in_paper_units(seed):
    """Section "Where the paper's pattern comes from": with a scale-invariant loss the edge of AdamW's good
    region moves less than 0.6 decades per decade of gamma (paper's units), Adam + L2's more than 1.5."""
    sdata = learning.logistic_data(n=200, d=50, seed=seed, signal=5.0)
    f = learning.LogisticRegression(sdata.X, sdata.y, temperature=5.0)
    w0 = np.random.default_rng(1).standard_normal(50)
    w0 /= np.linalg.norm(w0)
    fin_l2 = _tune(lambda g, l: cc.adam_l2(lr=g, weight_decay=l), LAMS_L2, _minibatches(f, 20, 2), w0, 1000)
    fin_w = _tune(lambda g, l: cc.adamw(lr=g, weight_decay=l / g), LAMS_PAPER, _minibatches(f, 20, 2), w0, 1000)
    loss_l2 = f.loss(fin_l2, sdata.X_test, sdata.y_test).reshape(6, -1)
    loss_w = f.loss(fin_w, sdata.X_test, sdata.y_test).reshape(6, -1)
    assert _slope(_edge(loss_l2, LAMS_L2)) < -1.5
    assert abs(_slope(_edge(loss_w, LAMS_PAPER))) < 0.6
    assert abs(loss_l2.min() - loss_w.min()) < 0.01          # same best loss; only the arrangement differs


# -- the homework module ----------------------------------------------------------------

def _homework():
    pytest.importorskip("ipywidgets")
    from coursecode.homework import ch8

    return {e.id: e for e in ch8.exercises()}


def test_homework_ids_are_chapter_8():
    assert list(_homework()) == ["ch8-lambda-convert", "ch8-decay-factor", "ch8-decay-ratio",
                                 "ch8-less-regularized", "ch8-adamw-step"]


@pytest.mark.parametrize("exercise_id, right, wrong", [
    ("ch8-lambda-convert", "1e-5", ["0.01", "10", "0.001", "1e-4", "0.99999"]),
    ("ch8-decay-factor", "0.99999", ["0.99", "0.999", "1e-5", "1.00001", "0.9999", "1"]),
    ("ch8-decay-ratio", "20", ["400", "0.05", "1", "0.001"]),
    ("ch8-less-regularized", "a", ["b", "c", "d", "e"]),
])
def test_numeric_and_choice_answers(exercise_id, right, wrong):
    ex = _homework()[exercise_id]
    assert ex.check(right).correct
    for answer in wrong:
        fb = ex.check(answer)
        assert not fb.correct and fb.message


def test_expected_values_come_from_coursecode():
    hw = _homework()
    assert hw["ch8-lambda-convert"].answer == pytest.approx(1e-3 * 1e-2, rel=1e-9)
    assert hw["ch8-decay-factor"].answer == pytest.approx(1 - 1e-5, abs=1e-15)
    assert hw["ch8-decay-ratio"].answer == pytest.approx(20.0, rel=1e-6)


def _adamw_step(theta, g, m, v, t, lr, beta1, beta2, eps, weight_decay):
    theta = theta * (1 - lr * weight_decay)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    return theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v


def test_adamw_step_exercise_accepts_the_algorithm_box():
    fb = _homework()["ch8-adamw-step"].check(_adamw_step)
    assert fb.correct, fb.message


@pytest.mark.parametrize("mistake, words", [
    ("coupled", "Adam + L2"), ("no_decay", "plain Adam"), ("decay_without_lr", "learning rate"),
    ("decay_grows", "wrong sign"), ("decay_after", "after the Adam step"), ("eps_inside", "inside the square"),
    ("no_correction", "bias correction"),
])
def test_adamw_step_exercise_names_typical_mistakes(mistake, words):
    from coursecode.homework import ch8

    fb = _homework()["ch8-adamw-step"].check(getattr(ch8, f"_{mistake}"))
    assert not fb.correct and words in fb.message


def test_adamw_step_exercise_rejects_in_place_updates():
    def in_place(theta, g, m, v, t, lr, beta1, beta2, eps, weight_decay):
        new, m2, v2 = _adamw_step(theta, g, m, v, t, lr, beta1, beta2, eps, weight_decay)
        theta[...] = new
        return theta, m2, v2

    fb = _homework()["ch8-adamw-step"].check(in_place)
    assert not fb.correct and "in place" in fb.message


def test_adamw_reference_uses_the_state_after_t_minus_1_steps():
    from coursecode.homework import ch8

    theta, g = np.array([0.5, -1.0]), np.array([0.2, 0.3])
    got = ch8._adamw_reference(theta, g, np.zeros(2), np.zeros(2), 1, 0.1, 0.9, 0.999, 1e-8, 0.5)
    opt = cc.adamw(lr=0.1, weight_decay=0.5)
    want, state = opt.step(theta, g, opt.init(theta))
    np.testing.assert_allclose(got[0], want)
    assert isinstance(state, AdamState)
