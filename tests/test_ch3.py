"""Claims made in chapter 3 (chapters/03_preconditioning.ipynb), checked against coursecode."""
from __future__ import annotations

import numpy as np
import pytest

import coursecode as cc
from coursecode.homework import ch3


def test_lecture_example_preconditioned_gradient():
    """Chapter 3, the lecture's example: g_0 = (10, 10), P^{-1} g_0 = (1, 10) with P = H, landing on the minimizer."""
    f = cc.quadratic([10, 1])
    theta0 = np.array([1.0, 10.0])
    g0 = f.grad(theta0)
    d0 = np.linalg.solve(f.hessian(theta0), g0)
    np.testing.assert_array_equal(g0, [10.0, 10.0])
    np.testing.assert_allclose(d0, [1.0, 10.0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(theta0 - d0, f.minimizer, atol=1e-15)


@pytest.mark.parametrize("kappa, angle", [(10.0, 0.0), (1000.0, 0.3), (1e4, 1.1)])
def test_newton_solves_a_quadratic_in_one_step(kappa, angle):
    """Exercise ex-ch3-newton-one-step: theta_1 = theta* from any start, whatever kappa."""
    f = cc.quadratic([1.0, kappa], angle=angle, center=[0.3, -2.0])
    theta0 = np.array([5.0, 7.0])
    theta1 = theta0 - np.linalg.solve(f.hessian(theta0), f.grad(theta0))
    np.testing.assert_allclose(theta1, f.minimizer, atol=1e-9)


def test_gd_best_rate_is_kappa_minus_one_over_kappa_plus_one():
    """Chapter 3, eq-ch3-gd-rate: with gamma = 2 / (lmin + lmax) both extremes contract by (kappa-1)/(kappa+1)."""
    kappas = np.geomspace(1.5, 1e4, 9)
    eigs = np.stack([np.ones_like(kappas), kappas], axis=1)
    traj = cc.run(cc.gd(lr=2 / (1 + kappas[:, None])), lambda th: eigs * th, np.ones((9, 2)), 10)
    ratio = np.abs(traj.thetas[1:] / traj.thetas[:-1])
    np.testing.assert_allclose(ratio, np.broadcast_to(((kappas - 1) / (kappas + 1))[:, None], ratio.shape),
                               rtol=1e-9)


@pytest.mark.parametrize("kappa", [10.0, 100.0])
def test_diagonal_scaling_against_rotation(kappa):
    """Chapter 3, fig-ch3-kappa-angle and ex-ch3-diag-kappa: kappa(D^-1/2 H D^-1/2) = (1+|r|)/(1-|r|);
    1 at 0 and 90 degrees, kappa(H) itself at 45 degrees."""
    for degrees in (0.0, 15.0, 30.0, 45.0, 60.0, 90.0):
        H = cc.rotated_ravine(kappa, np.radians(degrees)).H
        lam = np.linalg.eigvalsh(ch3.diag_scaled(H))
        r = abs(H[0, 1]) / np.sqrt(H[0, 0] * H[1, 1])
        assert lam[-1] / lam[0] == pytest.approx((1 + r) / (1 - r), rel=1e-9)
    assert ch3.condition_number(ch3.diag_scaled(cc.rotated_ravine(kappa, 0.0).H)) == pytest.approx(1.0)
    assert ch3.condition_number(ch3.diag_scaled(cc.rotated_ravine(kappa, np.pi / 2).H)) == pytest.approx(1.0)
    assert ch3.condition_number(ch3.diag_scaled(cc.rotated_ravine(kappa, np.pi / 4).H)) == pytest.approx(kappa)


def test_diag_preconditioned_gd_at_45_degrees_is_best_plain_gd():
    """Chapter 3, fig-ch3-diag-trajectories: at 45 degrees diag(H)^{-1} = 2/(1+kappa) I, the best single lr."""
    f = cc.rotated_ravine(10, np.pi / 4)
    diag = cc.run(cc.gd(lr=1 / np.diag(f.H)), f, [-1.2, 0.4], 100).thetas
    plain = cc.run(cc.gd(lr=2 / 11), f, [-1.2, 0.4], 100).thetas
    np.testing.assert_allclose(diag, plain, rtol=1e-12, atol=1e-15)


def test_diag_preconditioned_gd_on_aligned_ravines_is_one_step():
    """Chapter 3, the diagonal approximation: on axis-aligned quadratics diag(H) = H, one step with gamma = 1."""
    for f in (cc.quadratic([10, 1]), cc.ravine(), cc.bowl()):
        traj = cc.run(cc.gd(lr=1 / np.diag(f.H)), f, [1.0, 1.0], 1)
        np.testing.assert_allclose(traj.final, f.minimizer, atol=1e-15)


def test_newton_on_rosenbrock_leaves_the_valley_then_converges():
    """Chapter 3, fig-ch3-newton-rosenbrock: from (-1.2, 1) the loss jumps above 1000 at step 2 and the
    iterate is within 1e-8 of (1, 1) after 6 steps."""
    rb = cc.rosenbrock()
    theta = np.array([-1.2, 1.0])
    path = [theta]
    for _ in range(6):
        theta = theta - np.linalg.solve(rb.hessian(theta), rb.grad(theta))
        path.append(theta)
    losses = rb.value(np.array(path))
    assert int(np.argmax(losses)) == 2 and losses[2] > 1000 and losses[1] < losses[0]
    assert np.linalg.norm(path[5] - rb.minimizer) > 1e-8
    assert np.linalg.norm(path[6] - rb.minimizer) < 1e-8


def test_newton_is_attracted_to_the_saddle():
    """Chapter 3: Newton from (0.5, 0.3) on cc.saddle() goes to the saddle point (0, 0), not a minimum."""
    s = cc.saddle()
    theta = np.array([0.5, 0.3])
    for _ in range(5):
        theta = theta - np.linalg.solve(s.hessian(theta), s.grad(theta))
    np.testing.assert_allclose(theta, s.saddle_point, atol=1e-12)


def test_best_single_learning_rate_on_the_lecture_quadratic():
    """Chapter 3, fig-ch3-one-lr: on the 551-point grid the best single lr is 2/11 and both coordinates keep 9/11,
    the rate (kappa - 1)/(kappa + 1) of eq-ch3-gd-rate with kappa = 10."""
    lrs = np.linspace(0.0, 0.25, 551)
    one = cc.run(cc.gd(lr=lrs[:, None]), cc.quadratic([10, 1]), np.ones((lrs.size, 2)), 1)
    worst = np.abs(one.thetas[1] / one.thetas[0]).max(axis=1)
    best = int(np.argmin(worst))
    assert lrs[best] == pytest.approx(2 / 11, abs=1e-3)
    assert worst[best] == pytest.approx(9 / 11, abs=1e-3)
    # the steps to shrink the error a millionfold at kappa = 10, 100, 1000 (the text's 69, 691, 6908)
    steps = [int(np.ceil(np.log(1e-6) / np.log((k - 1) / (k + 1)))) for k in (10, 100, 1000)]
    assert steps == [69, 691, 6908]
    assert all(abs(s - k / 2 * np.log(1e6)) / s < 0.01 for s, k in zip(steps[1:], (100, 1000)))


def test_learning_rate_array_is_a_diagonal_preconditioner():
    """Chapter 3: cc.gd with lr = (0.05, 0.5) from (1, 1) with g_1 = (10, 1) lands on (0.5, 0.5)."""
    opt = cc.gd(lr=np.array([0.05, 0.5]))
    theta1, _ = opt.step(np.array([1.0, 1.0]), np.array([10.0, 1.0]), opt.init(np.zeros(2)))
    np.testing.assert_allclose(theta1, [0.5, 0.5], rtol=0, atol=1e-15)


def test_newton_on_rosenbrock_first_lowers_the_loss_and_gd_is_far_after_1000_steps():
    """Chapter 3, fig-ch3-newton-rosenbrock: Newton's first step lowers the loss (24.2 -> 4.73), the second
    throws it above 1000; gradient descent (lr 1e-3) ends 1000 steps with a loss near 0.45, far from (1, 1)."""
    rb = cc.rosenbrock()
    theta = np.array([-1.2, 1.0])
    losses = [rb.value(theta)]
    for _ in range(2):
        theta = theta - np.linalg.solve(rb.hessian(theta), rb.grad(theta))
        losses.append(rb.value(theta))
    assert losses[1] < losses[0] and losses[2] > 1000 > losses[0]
    assert losses[0] == pytest.approx(24.2) and losses[1] == pytest.approx(4.73, abs=0.01)
    gd = cc.run(cc.gd(lr=1e-3), rb, [-1.2, 1.0], 1000)
    assert not gd.diverged
    assert 0.4 < gd.losses[-1] < 0.5
    assert np.linalg.norm(gd.final - rb.minimizer) > 0.5


def test_gradient_descent_slides_away_from_the_saddle_that_newton_finds():
    """Chapter 3: from (0.5, 0.3) gradient descent (lr 0.1) reaches the minimum (0, 1) within 1e-6 in 200 steps."""
    s = cc.saddle()
    gd = cc.run(cc.gd(lr=0.1), s, [0.5, 0.3], 200)
    assert np.linalg.norm(gd.final - s.minimizer) < 1e-6
    assert np.linalg.norm(gd.final - s.saddle_point) > 0.99


def test_the_cost_of_a_dense_hessian_and_of_cheaper_preconditioners():
    """Chapter 3, 'Why the full Hessian is out of reach': petabytes and days for ResNet-50 and GPT-2 small; for
    one 4096 x 4096 layer the diagonal stores less than two Kronecker factors, which store far less than the
    dense block of the Hessian."""
    d_resnet, d_gpt2 = 25.6e6, 124e6
    assert d_resnet**2 * 4 / 1e15 == pytest.approx(2.62, abs=0.01)                 # petabytes
    assert d_resnet**3 / 3 / 1e15 / 86400 == pytest.approx(65, abs=1)             # days at 1e15 op/s
    assert d_gpt2**3 / 3 / 1e15 / (365.25 * 86400) == pytest.approx(20.1, abs=0.1)   # years
    n = 4096
    dense, kron, diag = (n * n) ** 2, 2 * n**2, n * n
    assert diag < kron < dense and dense / kron > 1e6


@pytest.mark.parametrize("degrees, diag_steps, gd_steps", [(0, 1, 71), (30, 55, 71), (45, 71, 71), (90, 1, 71)])
def test_steps_to_1e_6_on_turned_ravines(degrees, diag_steps, gd_steps):
    """Chapter 3, fig-ch3-diag-trajectories and the slider: steps to come within 1e-6 of the minimizer from
    (-1.2, 0.4), diag(H)-preconditioned (gamma = 1) against plain GD with lr 2/11."""
    f = cc.rotated_ravine(10, np.radians(degrees))
    counts = []
    for lr in (1 / np.diag(f.H), 2 / 11):
        traj = cc.run(cc.gd(lr=lr), f, [-1.2, 0.4], 150)
        counts.append(int(np.argmax(np.linalg.norm(traj.thetas - f.minimizer, axis=-1) < 1e-6)))
    assert counts == [diag_steps, gd_steps]


# -- the homework module ------------------------------------------------------------------

def test_homework_ids_and_answers():
    questions = {q.id: q for q in ch3.exercises()}
    assert list(questions) == ["ch3-kappa", "ch3-precond-gradient", "ch3-diag-kappa", "ch3-rotation",
                               "ch3-diag-step"]
    assert questions["ch3-kappa"].check("80").correct
    assert questions["ch3-kappa"].check(" 160/2 ").correct
    assert questions["ch3-precond-gradient"].check("4").correct
    assert questions["ch3-diag-kappa"].check("3").correct
    assert questions["ch3-rotation"].check("c").correct
    for letter in "abd":
        assert not questions["ch3-rotation"].check(letter).correct


@pytest.mark.parametrize("qid, answer, phrase", [
    ("ch3-kappa", "1/80", "λ_min/λ_max"),
    ("ch3-kappa", "79/81", "gradient descent's rate"),
    ("ch3-precond-gradient", "2", "gradient g itself"),
    ("ch3-precond-gradient", "1", "multiplied"),
    ("ch3-diag-kappa", "4", "ratio of the diagonal entries"),
])
def test_homework_diagnoses_common_mistakes(qid, answer, phrase):
    feedback = {q.id: q for q in ch3.exercises()}[qid].check(answer)
    assert not feedback.correct and phrase in feedback.message


def _right(theta, g, H, lr):
    return theta - lr * g / np.diagonal(H)


def _newton(theta, g, H, lr):
    return theta - lr * np.linalg.solve(H, g)


def _times(theta, g, H, lr):
    return theta - lr * g * np.diagonal(H)


def test_homework_diag_step_checks_functions():
    """ch3-diag-step: the chapter's solution passes; Newton's step and multiplying by H_ii are diagnosed."""
    q = {q.id: q for q in ch3.exercises()}["ch3-diag-step"]
    assert q.check(_right).correct
    newton = q.check(_newton)
    assert not newton.correct and "Newton" in newton.message
    times = q.check(_times)
    assert not times.correct and "multiplied" in times.message
