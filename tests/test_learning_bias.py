"""coursecode.learning, implicit-bias section: the data and helpers of chapter 9.

Over-parameterized least squares (X^+ y interpolates and is the minimizer that
lstsq returns), the construction of Wilson et al. (2017, Section 3.3) index by
index, seeded minibatch gradients (exact on the full batch, unbiased, independent
per run), the error rate, and the small classification task for the tiny MLP.
"""
from __future__ import annotations

import numpy as np
import pytest

import coursecode as cc
from coursecode import learning


# --- over-parameterized least squares ----------------------------------------------

def test_overparameterized_least_squares_shapes_seed_and_interpolation():
    X, y, f = learning.overparameterized_least_squares(n=15, d=40, seed=3)
    assert X.shape == (15, 40) and y.shape == (15,) and f.dim == 40
    X2, y2, _ = learning.overparameterized_least_squares(n=15, d=40, seed=3)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert not np.array_equal(X, learning.overparameterized_least_squares(n=15, d=40, seed=4).X)
    w = np.linalg.pinv(X) @ y
    np.testing.assert_allclose(X @ w, y, atol=1e-10)
    np.testing.assert_allclose(f.minimizer, w, atol=1e-10)
    assert np.linalg.matrix_rank(X) == 15
    assert int(np.sum(f.eigenvalues > 1e-10)) == 15


@pytest.mark.parametrize("kwargs", [dict(n=10, d=10), dict(n=12, d=5), dict(n=0, d=5), dict(noise=-1.0)])
def test_overparameterized_least_squares_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        learning.overparameterized_least_squares(**kwargs)


# --- Wilson et al. (2017) ------------------------------------------------------------

def paper_row(i, y_i, n):
    """Row i (1-based) of Section 3.3, written out literally with 1-based feature indices j."""
    row = np.zeros(6 * n)
    for j in range(1, 6 * n + 1):
        if j == 1:
            value = y_i
        elif j in (2, 3):
            value = 1.0
        elif 4 + 5 * (i - 1) <= j <= 4 + 5 * (i - 1) + 2 * (1 - y_i):
            value = 1.0
        else:
            value = 0.0
        row[j - 1] = value
    return row


@pytest.mark.parametrize("n, p, seed", [(8, 0.55, 0), (60, 0.55, 0), (25, 0.7, 5)])
def test_wilson_data_follows_the_paper_index_by_index(n, p, seed):
    data = learning.wilson_data(n=n, p=p, seed=seed, n_test=50)
    assert data.X.shape == (n, 6 * n) and data.X_test.shape == (50, 6 * n)
    for i in range(1, n + 1):
        np.testing.assert_array_equal(data.X[i - 1], paper_row(i, data.y[i - 1], n))
    # one private feature for a positive point, five for a negative one, never shared
    private = data.X[:, 3:] != 0
    np.testing.assert_array_equal(private.sum(axis=1), np.where(data.y > 0, 1, 5))
    assert private.sum(axis=0).max() == 1
    np.testing.assert_allclose(data.problem.X, data.X)
    np.testing.assert_allclose(data.problem.y, data.y)


def test_wilson_test_points_use_only_features_no_training_point_has():
    data = learning.wilson_data(n=30, p=0.6, seed=2, n_test=400)
    used = np.any(data.X != 0, axis=0)
    np.testing.assert_array_equal(data.X_test[:, 0], data.y_test)
    np.testing.assert_array_equal(data.X_test[:, 1:3], 1.0)
    test_private = data.X_test[:, 3:] != 0
    assert not np.any(test_private & used[3:])
    np.testing.assert_array_equal(test_private.sum(axis=1), np.where(data.y_test > 0, 1, 5))
    # consecutive features, like the training points' blocks
    for row in test_private:
        idx = np.flatnonzero(row)
        assert np.all(np.diff(idx) == 1)


def test_wilson_sign_solution_identity_and_label_frequency():
    """X sign(X^T y) = 4 y whenever the sample has more positives than negatives (Lemma 3.1's condition)."""
    for seed in range(20):
        data = learning.wilson_data(n=40, p=0.6, seed=seed, n_test=10)
        s = np.sign(data.X.T @ data.y)
        if data.y.sum() > 0:
            np.testing.assert_array_equal(data.X @ s, 4 * data.y)
    big = learning.wilson_data(n=8, p=0.55, seed=0, n_test=200_000)
    assert abs(np.mean(big.y_test > 0) - 0.55) < 0.005


def test_wilson_data_is_seeded():
    a, b = learning.wilson_data(seed=7), learning.wilson_data(seed=7)
    for u, v in zip((a.X, a.y, a.X_test, a.y_test), (b.X, b.y, b.X_test, b.y_test)):
        assert np.array_equal(u, v)
    assert not np.array_equal(a.y, learning.wilson_data(seed=8).y)


@pytest.mark.parametrize("kwargs", [dict(n=7), dict(p=0.0), dict(p=1.0), dict(p=1.5), dict(n_test=0),
                                    dict(seed="a")])
def test_wilson_data_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        learning.wilson_data(**kwargs)


# --- minibatch gradients -------------------------------------------------------------

def test_minibatch_grad_full_batch_is_the_gradient():
    X, y, f = learning.overparameterized_least_squares(n=12, d=20, seed=0)
    g = learning.minibatch_grad(f, batch_size=12, seed=0)
    theta = np.random.default_rng(1).standard_normal((3, 20))
    np.testing.assert_allclose(g(theta), f.grad(theta), atol=1e-12)
    mlp = learning.tiny_mlp_problem(seed=0, n=30)
    gm = learning.minibatch_grad(mlp, batch_size=30, seed=0)
    thetas = np.stack([mlp.theta0, 0.5 * mlp.theta0])
    np.testing.assert_allclose(gm(thetas), mlp.grad(thetas), atol=1e-12)


def test_minibatch_grad_single_points_average_to_the_gradient():
    """b = 1: each point is drawn with probability 1/n, so the expected gradient is the full one."""
    X, y, f = learning.overparameterized_least_squares(n=6, d=9, seed=2)
    w = np.arange(9.0) / 10
    per_point = [(X[i] @ w - y[i]) * X[i] for i in range(6)]
    np.testing.assert_allclose(np.mean(per_point, axis=0), f.grad(w), atol=1e-12)
    g = learning.minibatch_grad(f, batch_size=1, seed=0)
    draws = g(np.broadcast_to(w, (60_000, 9)))        # 60 000 independent runs, one draw each
    np.testing.assert_allclose(draws.mean(axis=0), f.grad(w), atol=0.03)
    assert any(np.allclose(draws[0], p_) for p_ in per_point)


def test_minibatch_grad_runs_of_a_batch_draw_their_own_points():
    mlp = learning.tiny_mlp_problem(seed=0, n=40)
    g = learning.minibatch_grad(mlp, batch_size=5, seed=3)
    thetas = np.stack([mlp.theta0] * 4)
    grads = g(thetas)
    assert not np.allclose(grads[0], grads[1])
    # the same generator state reproduces the draws; each run's gradient is TinyMLP's on its points
    rng = np.random.default_rng(3)
    idx = np.argsort(rng.random((4, 40)), axis=-1)[:, :5]
    for k in range(4):
        sub = learning.TinyMLP(mlp.X[idx[k]], mlp.y[idx[k]], hidden=mlp.hidden)
        np.testing.assert_allclose(grads[k], sub.grad(mlp.theta0), atol=1e-12)


def test_minibatch_sgd_from_zero_stays_in_the_row_space_and_reaches_pinv():
    X, y, f = learning.overparameterized_least_squares(n=10, d=25, noise=0.0, seed=4)
    traj = cc.run(cc.gd(lr=0.02), learning.minibatch_grad(f, 2, seed=0), np.zeros(25), 4000)
    P_row = np.linalg.pinv(X) @ X
    np.testing.assert_allclose(traj.thetas @ P_row.T, traj.thetas, atol=1e-12)
    np.testing.assert_allclose(traj.final, np.linalg.pinv(X) @ y, atol=1e-8)


def test_minibatch_grad_rejects_bad_arguments():
    _, _, f = learning.overparameterized_least_squares(n=5, d=8)
    with pytest.raises(ValueError, match="batch_size"):
        learning.minibatch_grad(f, 6)
    with pytest.raises(ValueError, match="batch_size"):
        learning.minibatch_grad(f, 0)
    with pytest.raises(ValueError, match="loss_grad"):
        learning.minibatch_grad(cc.ravine(), 1)


# --- error rate and the classification task --------------------------------------------

def test_error_rate():
    y = np.array([1.0, -1.0, 1.0, -1.0])
    assert learning.error_rate(y, y) == 0.0
    assert learning.error_rate(-y, y) == 1.0
    assert learning.error_rate(np.ones(4), y) == 0.5
    assert learning.error_rate(np.zeros(4), y) == 1.0          # a zero score decides nothing
    assert learning.error_rate(np.ones((3, 2, 4)), y).shape == (3, 2)


def test_two_moons_and_mlp_classification():
    X, y = learning.two_moons(4000, noise=0.0, extra=2, seed=0)
    up = y > 0
    np.testing.assert_allclose(np.hypot(X[up, 0], X[up, 1]), 1.0)            # unit half circle
    np.testing.assert_allclose(np.hypot(X[~up, 0] - 1, X[~up, 1] - 0.5), 1.0)
    assert abs(X[:, 2:].std() - 1) < 0.05 and abs(np.mean(up) - 0.5) < 0.03
    task = learning.mlp_classification(seed=1)
    mlp = task.problem
    assert mlp.dim == 16 * 12 + 1 and mlp.n == 80 and task.X_test.shape == (2000, 10)
    np.testing.assert_allclose(mlp.X.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(mlp.X.std(axis=0), 1.0)
    again = learning.mlp_classification(seed=1)
    assert np.array_equal(again.X_test, task.X_test) and np.array_equal(again.problem.theta0, mlp.theta0)
    inits = task.inits([0, 1, 2])
    assert inits.shape == (3, mlp.dim) and not np.allclose(inits[0], inits[1])
    np.testing.assert_array_equal(inits[2], learning.TinyMLP(mlp.X, mlp.y, hidden=16, seed=2).theta0)
    assert task.test_error(inits).shape == (3,)
    assert task.train_error(mlp.theta0) == learning.error_rate(mlp.predict(mlp.theta0), mlp.y)
