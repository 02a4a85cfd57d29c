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
    assert int(np.argmax(losses)) == 2 and losses[2] > 1000
    assert np.linalg.norm(path[5] - rb.minimizer) > 1e-8
    assert np.linalg.norm(path[6] - rb.minimizer) < 1e-8


def test_newton_is_attracted_to_the_saddle():
    """Chapter 3: Newton from (0.5, 0.3) on cc.saddle() goes to the saddle point (0, 0), not a minimum."""
    s = cc.saddle()
    theta = np.array([0.5, 0.3])
    for _ in range(5):
        theta = theta - np.linalg.solve(s.hessian(theta), s.grad(theta))
    np.testing.assert_allclose(theta, s.saddle_point, atol=1e-12)


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
