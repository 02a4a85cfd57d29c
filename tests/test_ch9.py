"""Claims made in chapter 9 (chapters/09_implicit_bias.ipynb), checked against coursecode."""
from __future__ import annotations

import numpy as np
import pytest

import coursecode as cc
from coursecode import learning
from coursecode.homework import ch9


@pytest.fixture(scope="module")
def ls_problem():
    X, y, f = learning.overparameterized_least_squares(n=20, d=50, seed=0)
    return X, y, f, np.linalg.pinv(X) @ y, np.linalg.pinv(X) @ X


def test_min_norm_interpolant_and_pythagoras(ls_problem):
    """eq-ch9-interpolants and eq-ch9-pythagoras: X^+ y interpolates, lies in row(X), and is the shortest."""
    X, y, f, w_plus, P = ls_problem
    np.testing.assert_allclose(X @ w_plus, y, atol=1e-12)
    np.testing.assert_allclose(P @ w_plus, w_plus, atol=1e-12)
    rng = np.random.default_rng(0)
    for _ in range(5):
        z = (np.eye(50) - P) @ rng.standard_normal(50)
        np.testing.assert_allclose(X @ (w_plus + z), y, atol=1e-10)
        assert np.linalg.norm(w_plus + z) ** 2 == pytest.approx(np.linalg.norm(w_plus) ** 2 + np.linalg.norm(z) ** 2)


def test_gd_and_sgd_from_zero_reach_pinv_and_stay_in_the_row_space(ls_problem):
    """prop-ch9-min-norm, parts 1 and 2, with the chapter's settings."""
    X, y, f, w_plus, P = ls_problem
    gd = cc.run(cc.gd(lr=1 / f.eigenvalues[-1]), f, np.zeros(50), 300)
    sgd = cc.run(cc.gd(lr=0.02), learning.minibatch_grad(f, 1, seed=0), np.zeros(50), 1500)
    for run, tol in ((gd, 1e-8), (sgd, 1e-6)):
        np.testing.assert_allclose(run.thetas @ P.T, run.thetas, atol=1e-12)
        assert np.linalg.norm(run.final - w_plus) < tol


def test_adaptive_methods_interpolate_elsewhere(ls_problem):
    """Chapter 9: AdaGrad and Adam fit the data, but their distance to X^+ y is their null-space part."""
    X, y, f, w_plus, P = ls_problem
    for opt in (cc.adagrad(lr=0.1), cc.adam(lr=1e-2)):
        w = cc.run(opt, f, np.zeros(50), 600).final
        assert f.value(w) < 1e-20
        outside = np.linalg.norm(w - P @ w)
        assert outside > 0.1
        assert np.linalg.norm(w - w_plus) == pytest.approx(outside, rel=1e-8)
        assert np.linalg.norm(w) == pytest.approx(np.hypot(np.linalg.norm(w_plus), outside), rel=1e-8)


def test_adam_first_step_is_a_sign_vector_partly_in_the_null_space(ls_problem):
    X, y, f, w_plus, P = ls_problem
    step = cc.run(cc.adam(lr=1e-2), f, np.zeros(50), 1).thetas[1]
    np.testing.assert_allclose(np.abs(step), 1e-2, rtol=1e-5)   # gamma |g| / (|g| + eps)
    assert np.linalg.norm(step - P @ step) / np.linalg.norm(step) > 0.5


def test_momentum_stays_in_the_row_space_and_gd_keeps_the_null_part_of_its_start(ls_problem):
    """Exercise ex-ch9-row-space, parts 2 and 3."""
    X, y, f, w_plus, P = ls_problem
    for form in ("heavy_ball", "ema"):
        run = cc.run(cc.momentum(lr=0.05, beta=0.9, form=form), f, np.zeros(50), 1500)
        np.testing.assert_allclose(run.thetas @ P.T, run.thetas, atol=1e-12)
        np.testing.assert_allclose(run.final, w_plus, atol=1e-8)
    w0 = np.ones(50)
    end = cc.run(cc.gd(lr=1 / f.eigenvalues[-1]), f, w0, 600).final
    np.testing.assert_allclose(end, w_plus + (np.eye(50) - P) @ w0, atol=1e-9)


@pytest.fixture(scope="module")
def wilson():
    return learning.wilson_data(n=60, p=0.55, seed=0, n_test=1000)


def test_wilson_adaptive_methods_follow_the_sign_vector(wilson):
    """lem-ch9-sign and fig-ch9-wilson: cos(w_t, sign(X^T y)) ~ 1 at every step; every test point called +1."""
    s = np.sign(wilson.X.T @ wilson.y)
    np.testing.assert_array_equal(wilson.X @ s, 4 * wilson.y)
    negatives = float(np.mean(wilson.y_test < 0))
    for opt in (cc.adagrad(lr=0.1), cc.rmsprop(lr=1e-3), cc.adam(lr=1e-2)):
        run = cc.run(opt, wilson.problem, np.zeros(360), 500)
        w = run.thetas[1:]
        cos = (w @ s) / (np.linalg.norm(w, axis=-1) * np.linalg.norm(s))
        assert cos.min() > 0.999
        assert learning.error_rate(wilson.X @ run.final, wilson.y) == 0.0
        assert np.all(wilson.X_test @ run.final > 0)
        assert learning.error_rate(wilson.X_test @ run.final, wilson.y_test) == negatives
        np.testing.assert_allclose(run.final, s / 4, atol=1e-2)   # near s / c (exactly, if eps were 0)


def test_wilson_gd_reaches_the_min_norm_solution_with_zero_test_error(wilson):
    w_plus = np.linalg.pinv(wilson.X) @ wilson.y
    assert w_plus[0] > w_plus[1] + w_plus[2] > 0          # the score of a new point has the sign of its label
    lam = wilson.problem.eigenvalues[-1]
    w = cc.run(cc.gd(lr=1 / lam), wilson.problem, np.zeros(360), 500).final
    np.testing.assert_allclose(w, w_plus, atol=1e-10)
    assert learning.error_rate(wilson.X_test @ w, wilson.y_test) == 0.0


def test_homework_ids_and_answers():
    homework = {e.id: e for e in ch9.exercises()}
    assert set(homework) == {"ch9-implicit-bias", "ch9-min-norm", "ch9-row-space", "ch9-min-norm-solver",
                             "ch9-wilson-error"}
    assert homework["ch9-min-norm"].answer == pytest.approx(2.0)
    assert homework["ch9-min-norm"].check("2").correct
    assert "squared" in homework["ch9-min-norm"].check("4").message
    assert homework["ch9-wilson-error"].answer == pytest.approx(0.45)
    assert "per cent" in homework["ch9-wilson-error"].check("45").message
    assert "accuracy" in homework["ch9-wilson-error"].check("0.55").message
    assert homework["ch9-row-space"].check("c").correct
    assert homework["ch9-implicit-bias"].check("b").correct


def test_min_norm_solver_accepts_right_answers_and_diagnoses_mistakes():
    ex = {e.id: e for e in ch9.exercises()}["ch9-min-norm-solver"]
    assert ex.check(lambda X, y: np.linalg.lstsq(X, y, rcond=None)[0]).correct
    assert ex.check(lambda X, y: X.T @ np.linalg.solve(X @ X.T, y)).correct
    assert "row space" in ex.check(lambda X, y: X.T @ y).message
    assert "n entries" in ex.check(lambda X, y: np.linalg.solve(X @ X.T, y)).message
    assert not ex.check(lambda X, y: np.zeros(X.shape[1])).correct
