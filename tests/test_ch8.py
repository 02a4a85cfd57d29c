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


def test_adam_l2_step_without_momentum():
    """eq-ch8-adam-l2 with beta1 = 0: theta_t = theta_{t-1} - gamma D_t (grad f(theta_{t-1}) + lambda theta_{t-1}),
    D_t built from the squares of the penalized gradients."""
    f, lr, lam, beta2 = cc.quadratic([100.0, 1.0], center=[1.0, 1.0]), 0.05, 0.5, 0.999
    run = cc.run(cc.adam_l2(lr=lr, beta1=0.0, weight_decay=lam), f, np.zeros(2), 50, record_state=True)
    t = np.arange(1, 51)[:, None]
    penalized = f.grad(run.thetas[:-1]) + lam * run.thetas[:-1]
    D = 1 / (np.sqrt(run.states.v / (1 - beta2**t)) + 1e-8)
    np.testing.assert_allclose(run.states.v[0], (1 - beta2) * penalized[0] ** 2)
    rebuilt = run.thetas[:-1] - lr * D * f.grad(run.thetas[:-1]) - lr * lam * D * run.thetas[:-1]
    np.testing.assert_allclose(rebuilt, run.thetas[1:], rtol=0, atol=1e-13)


def test_two_scales_alt_text_numbers():
    """fig-ch8-two-scales: its alt text and caption quote these numbers from the same 120-step run."""
    f, coupled, decoupled = _two_scales()
    assert round(float(decoupled.thetas[-1, 0]), 2) == 0.87
    assert decoupled.thetas[-1, 0] > decoupled.thetas[-11, 0]          # still rising slowly at step 120
    t = np.arange(1, 121)[:, None]
    pull = 0.05 * 0.5 / (np.sqrt(coupled.states.v[:, 1] / (1 - 0.999**t)) + 1e-8)
    np.testing.assert_allclose(pull[0], [2.5e-4, 0.025], rtol=1e-3)
    np.testing.assert_allclose(pull[-1], [1e-3, 0.12], rtol=0.05)
    assert round(float(coupled.thetas[-1, 1, 1]), 2) == 0.67


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
    edge_l2 = _edge(loss_l2, LAMS_L2)
    assert _slope(edge_l2) < -1.5
    assert abs(_slope(_edge(loss_w, LAMS_PAPER))) < 0.6
    # prop-ch8-symmetry: over the middle learning rates Adam + L2's edge follows lambda ~ gamma^-2
    mid = edge_l2[1:5]
    keep = np.isfinite(mid)
    assert abs(np.polyfit(np.log10(GAMMAS[1:5][keep]), np.log10(mid[keep]), 1)[0] + 2) < 0.01
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


# -- where AdamW settles (section "Where AdamW settles") -----------------------------------------------

LONG_STEPS = 20_000


def _long_runs(seed=5, rows=8):
    """The chapter's batched long run: AdamW at lambda 0.5, 2, 4 (full batch), then noisy AdamW and Adam + L2."""
    f = cc.quadratic([100.0, 1.0], center=[1.0, 1.0])
    lam_w = np.concatenate([[0.5, 2.0, 4.0], np.full(rows - 3, 0.5)])[:, None]
    noise = np.zeros((2 * rows, 2))
    noise[3:] = [100.0, 1.0]
    both = cc.stacked([cc.adamw(lr=0.05, weight_decay=lam_w), cc.adam_l2(lr=0.05, weight_decay=0.5)], rows=rows)
    run = cc.run(both, cc.stochastic(f, noise=noise, rng=seed).grad, np.zeros((2 * rows, 2)), LONG_STEPS,
                 record_grads=False)
    return f, run.thetas


@pytest.fixture(scope="module")
def long_runs():
    return _long_runs()


def _noisy_limit(lam, s=1.0):
    x = 1.0
    for _ in range(100):
        x = 1 / (1 + lam * np.sqrt((x - 1) ** 2 + s**2))
    return x


def test_adamw_120_step_shrink_is_a_transient(long_runs):
    """Full batch, lambda = 0.5: 0.874, 0.970, 0.9993 after 120, 2,000, 20,000 steps, climbing to the limit 1."""
    _, th = long_runs
    x = th[:, 0, 0]
    assert round(x[120], 3) == 0.874 and round(x[2000], 3) == 0.970 and round(x[-1], 4) == 0.9993
    assert x[120] < x[2000] < x[-1] < 1
    np.testing.assert_allclose(x[120], _two_scales()[2].thetas[120, 0])       # the same run as the short one
    late = np.abs(1 - x[LONG_STEPS // 2:])
    assert np.median(late) < 2e-3 and np.mean(late > 2e-3) < 0.05           # close to 1 ...
    assert late.max() > 5e-3                                                  # ... apart from short bursts


def test_adamw_full_batch_limit_is_the_box(long_runs):
    """lambda = 2 and 4: the walls of the box |theta_i| <= 1/lambda bind, at 0.5 and 0.25; eq-ch8-adamw-fixed holds."""
    f, th = long_runs
    end = th[-1, 1:3]
    np.testing.assert_allclose(end, [[0.5, 0.5], [0.25, 0.25]], rtol=0, atol=1e-6)
    g = f.grad(end)
    lams = np.array([[2.0], [4.0]])
    np.testing.assert_allclose(g / (np.abs(g) + 1e-8), -lams * end, rtol=0, atol=1e-5)
    # the alt text: distances at step 120 about 0.13, 0.04, 0.004; about 1e-6 and below 1e-8 at the end
    d120 = np.abs(th[120, :3, 0] - [1.0, 0.5, 0.25])
    np.testing.assert_allclose(d120, [0.13, 0.04, 0.004], rtol=0.1)
    d_end = np.abs(th[-1, 1:3, 0] - [0.5, 0.25])
    assert 1e-7 < d_end[0] < 1e-6 and d_end[1] < 1e-8
    # lambda = 0.5 falls to about 1e-3 by step 10,000, then jumps between about 1e-5 and 1e-2
    late = np.abs(1 - th[10_000:, 0, 0])
    assert 5e-4 < abs(1 - th[10_000, 0, 0]) < 2e-3 and late.min() < 1e-4 and 5e-3 < late.max() < 5e-2


def test_adamw_fixed_point_in_one_dimension():
    """Exercise ex-ch8-box: the limit is min(a, 1/lambda), whatever the curvature h."""
    for h in (1.0, 100.0):
        f = cc.quadratic([h], center=[3.0])
        run = cc.run(cc.adamw(lr=0.05, weight_decay=np.array([[0.25], [0.5], [1.0]])), f.grad,
                     np.zeros((3, 1)), 20_000, record_grads=False)
        np.testing.assert_allclose(run.final[1:, 0], [2.0, 1.0], atol=1e-3)   # walls at 1/lambda < 3
        assert abs(run.final[0, 0] - 3.0) < 0.05                             # box half-width 4 > 3: free


@pytest.mark.parametrize("seed", [5, 6])
def test_noise_makes_adamw_a_noise_weighted_l2_penalty(seed):
    """Noisy gradients sigma = (100, 1): AdamW settles (on average) at the root of eq-ch8-adamw-noisy in both
    coordinates, not at its full-batch limit 1; Adam + L2 stays at the L2 minimizer."""
    f, th = _long_runs(seed) if seed != 5 else _long_runs()
    late = slice(LONG_STEPS // 2, None)
    noisy_w = th[late, 3:8].mean(axis=(0, 1))
    noisy_l2 = th[late, 8:].mean(axis=(0, 1))
    l2_min = np.linalg.solve(f.H + 0.5 * np.eye(2), f.H @ f.center)
    pred = _noisy_limit(0.5)
    assert round(pred, 3) == 0.654 and abs(pred - 1 / 1.5) < 0.02              # next to the naive 1/(1+lambda)
    np.testing.assert_allclose(noisy_w, [pred, pred], atol=0.01)
    np.testing.assert_allclose(noisy_l2, l2_min, atol=0.01)
    assert noisy_w[0] < noisy_l2[0] - 0.3                                      # AdamW shrinks theta1 far more


def test_convex_grid_adamw_runs_approach_the_box():
    """Section "Tuning gamma and lambda together": at the best lambda_torch (about 3) the AdamW runs approach the
    wall 1/lambda_torch from inside: 0.69 of it at the smallest gamma, more than 0.9 of it in 4 of the 6 runs."""
    data = learning.logistic_data(n=60, d=50, seed=0, signal=8.0)
    fin_w = _tune(lambda g, l: cc.adamw(lr=g, weight_decay=l / g), LAMS_PAPER, data.problem, np.zeros(50), 500)
    lam_torch = (LAMS_PAPER[None, :] / GAMMAS[:, None]).ravel()
    on_best = np.isclose(lam_torch, 10**0.5, rtol=1e-9)
    ratio = np.max(np.abs(fin_w[on_best]), axis=-1) * lam_torch[on_best]
    assert np.all(ratio <= 1.0 + 1e-6)                                   # inside the box
    assert round(float(ratio[0]), 2) == 0.69 and ratio[0] == ratio.min() and np.sum(ratio > 0.9) == 4


# -- the symmetry and the rotational equilibrium ------------------------------------------------------------

def _scale_invariant(seed=0):
    sdata = learning.logistic_data(n=200, d=50, seed=seed, signal=5.0)
    f = learning.LogisticRegression(sdata.X, sdata.y, temperature=5.0)
    w0 = np.random.default_rng(1).standard_normal(50)
    return f, w0 / np.linalg.norm(w0)


def _directions(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


@pytest.mark.parametrize("eps", [0.0, 1e-8])
def test_symmetry_of_scale_invariant_training(eps):
    """prop-ch8-symmetry: (theta0, gamma, lambda_paper) -> (c theta0, c gamma, lambda_paper) for AdamW and
    (theta0, gamma, lambda) -> (c theta0, c gamma, lambda / c^2) for Adam + L2 give c theta_t."""
    f, w0 = _scale_invariant()
    c = 10.0
    start = np.stack([w0, c * w0])
    lr = np.array([[0.01], [c * 0.01]])
    adamw = cc.run(cc.adamw(lr=lr, weight_decay=1e-3 / lr, eps=eps), _minibatches(f, 20, 2), start, 500,
                   record_grads=False).thetas
    adam_l2 = cc.run(cc.adam_l2(lr=lr, weight_decay=np.array([[0.1], [0.1 / c**2]]), eps=eps),
                     _minibatches(f, 20, 2), start, 500, record_grads=False).thetas
    for th in (adamw, adam_l2):
        if eps == 0:                                                # exact, up to rounding
            np.testing.assert_allclose(th[:, 1], c * th[:, 0], rtol=1e-9, atol=0)
        else:                                                       # eps becomes c eps: directions agree
            assert np.max(np.linalg.norm(_directions(th[:, 1]) - _directions(th[:, 0]), axis=-1)) < 1e-6
    # without the rescaling the runs differ: the symmetry is not a tautology
    other = cc.run(cc.adam_l2(lr=lr, weight_decay=0.1, eps=eps), _minibatches(f, 20, 2), start, 500,
                   record_grads=False).thetas
    assert np.max(np.abs(_directions(other[-1, 1]) - _directions(other[-1, 0]))) > 1e-2


def _rotation_runs(steps=3000):
    """The chapter's batched run (4 gammas x 2 lambda_paper x 2 beta1, and the symmetric twin)."""
    f, w0 = _scale_invariant()
    gammas, lams = np.array([3e-3, 1e-2, 3e-2, 1e-1]), np.array([1e-3, 1e-2])
    G, Lp, B1 = (a.reshape(-1, 1) for a in np.meshgrid(gammas, lams, [0.0, 0.9], indexing="ij"))
    twin = int(np.flatnonzero((G == 1e-2) & (Lp == 1e-3) & (B1 == 0.9))[0])
    G, Lp, B1 = np.vstack([G, [[0.1]]]), np.vstack([Lp, [[1e-3]]]), np.vstack([B1, [[0.9]]])
    theta = np.tile(w0, (G.size, 1))
    theta[-1] *= 10
    opt = cc.adamw(lr=G, weight_decay=Lp / G, beta1=B1)
    state, grad = opt.init(theta), _minibatches(f, 20, 2)
    out = {k: np.empty((steps, G.size)) for k in ("norm", "angle", "u_sq", "dot")}
    twin_gap = 0.0
    for k in range(steps):
        new, state = opt.step(theta, grad(theta), state)
        u = ((1 - Lp) * theta - new) / G
        r_old, r_new = np.linalg.norm(theta, axis=1), np.linalg.norm(new, axis=1)
        out["norm"][k], out["u_sq"][k], out["dot"][k] = r_new, np.sum(u * u, 1), np.sum(theta * u, 1)
        out["angle"][k] = np.arccos(np.clip(np.sum(theta * new, 1) / (r_old * r_new), -1, 1))
        twin_gap = max(twin_gap, float(np.linalg.norm(_directions(new[-1]) - _directions(new[twin]))))
        theta = new
    return G[:-1, 0], Lp[:-1, 0], B1[:-1, 0], {k: v[:, :-1] for k, v in out.items()}, twin_gap, theta[:-1]


@pytest.fixture(scope="module")
def rotation():
    return _rotation_runs()


def test_rotational_equilibrium_angle_and_norm(rotation):
    """prop-ch8-rotation, checked as in the chapter: angle within 7% of sqrt(2 lambda_p (1-b1)/(1+b1)),
    norm within 8% of eq-ch8-rotation with the measured |u|^2 and c = b1/(1-b1), in all 16 runs."""
    g, lp, b, out, _, _ = rotation
    half = slice(1500, None)
    U2 = out["u_sq"][half].mean(0)
    c = b / (1 - b)
    R_pred = np.sqrt(g**2 * U2 * (1 + 2 * c * (1 - lp)) / (lp * (2 - lp)))
    R = np.sqrt(np.mean(out["norm"][half] ** 2, 0))
    ang = out["angle"][half].mean(0)
    pred = np.sqrt(2 * lp * (1 - b) / (1 + b))
    assert np.max(np.abs(ang / pred - 1)) < 0.07 and np.max(np.abs(R / R_pred - 1)) < 0.08
    c_meas = -out["dot"][half].mean(0) / (g * U2)
    assert np.all(np.abs(c_meas[b == 0.0]) < 0.05)                            # orthogonal steps without momentum
    assert np.all((8.2 < c_meas[b == 0.9]) & (c_meas[b == 0.9] < 9.0))       # next to beta1/(1-beta1) = 9
    ref = (lp == 1e-3) & (b == 0.9)
    assert R[ref][-1] > 15 * R[ref][0]                                        # the norm grows with gamma ...
    assert np.ptp(ang[ref]) < 0.12 * pred[ref][0]                             # ... the angle does not
    assert round(float(R[ref][0]), 2) == 0.50 and round(float(R[ref][-1]), 1) == 10.2


def test_rotational_equilibrium_forgets_the_start(rotation):
    """After 3000 steps the four learning rates' directions differ by at most 0.009 (for each lambda_p, beta1);
    the symmetric twin stays within 1e-6; the figure's alt text numbers."""
    g, lp, b, out, twin_gap, final = rotation
    assert twin_gap < 1e-6
    d = _directions(final)
    gaps = [np.max(np.linalg.norm(d[(lp == a) & (b == bb)] - d[(lp == a) & (b == bb)][0], axis=1))
            for a in (1e-3, 1e-2) for bb in (0.0, 0.9)]
    assert round(float(max(gaps)), 3) == 0.009
    early = out["angle"][:300].copy()
    smooth = np.array([np.convolve(early[:, i], np.ones(50) / 50, mode="valid") for i in range(g.size)]).T
    ref = (lp == 1e-3) & (b == 0.9)
    assert 0.0035 < smooth[:, ref][:, 0].min() < 0.005                       # gamma = 0.003 starts slow
    np.testing.assert_allclose(out["norm"][-1, ref], [0.48, 1.4, 3.8, 11.2], rtol=0.05)


def test_sgd_weight_decay_equilibrium_angle():
    """Exercise ex-ch8-sgdw-rotation: gradient descent with decoupled decay also turns by about sqrt(2 gamma lambda)
    per step, for two learning rates with the same product; its norm grows like (gamma / lambda)^(1/4)."""
    f, w0 = _scale_invariant()
    lr = np.array([[0.5], [2.0]])
    opt = cc.gd(lr=lr, weight_decay=1e-2 / lr, decoupled=True)
    run = cc.run(opt, _minibatches(f, 20, 2), np.tile(w0, (2, 1)), 3000, record_grads=False).thetas
    d = _directions(run)
    ang = np.arccos(np.clip(np.sum(d[1:] * d[:-1], -1), -1, 1))[1500:].mean(0)
    np.testing.assert_allclose(ang, np.sqrt(2e-2), rtol=0.1)
    R = np.linalg.norm(run[1500:], axis=-1).mean(0)
    np.testing.assert_allclose(R[1] / R[0], (4.0 * 4.0) ** 0.25, rtol=0.1)    # gamma x4 and lambda /4


def test_scale_invariant_grid_smallest_learning_rate_is_the_odd_column():
    """Section "Why the paper's lambda": the smallest gamma has not forgotten its start after 1000 steps, so at
    small lambda_paper its column differs from the next one; the columns gamma >= 3e-3 agree to 0.0113."""
    sdata = learning.logistic_data(n=200, d=50, seed=0, signal=5.0)
    f = learning.LogisticRegression(sdata.X, sdata.y, temperature=5.0)
    w0 = np.random.default_rng(1).standard_normal(50)
    w0 /= np.linalg.norm(w0)
    fin_w = _tune(lambda g, l: cc.adamw(lr=g, weight_decay=l / g), LAMS_PAPER, _minibatches(f, 20, 2), w0, 1000)
    loss_w = f.loss(fin_w, sdata.X_test, sdata.y_test).reshape(6, -1)
    small = LAMS_PAPER <= 1e-3
    assert np.max(np.abs(loss_w[0, small] - loss_w[1, small])) > 0.03
    assert round(float(np.max(np.ptp(loss_w[1:], axis=0))), 4) == 0.0113
