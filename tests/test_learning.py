"""coursecode.learning: seeded data sets, least squares, the tiny MLP and landscape slices.

Chapter 1 ("The loss landscape and its challenges") relies on these facts:
the least-squares Hessian of standardized features is their correlation matrix,
with condition number (1 + rho) / (1 - rho) for two features (section "Why
normalizing the inputs is not the cure"); the MLP's backpropagated gradient is
the derivative of its loss; filter-normalized directions have the norms of
theta's filters (Li et al. 2018), used in section "A real loss landscape".
"""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import coursecode as cc
from coursecode import learning


def finite_difference_grad(f, theta, h=1e-6):
    E = h * np.eye(theta.size)
    return np.array([(f(theta + e) - f(theta - e)) / (2 * h) for e in E])


def test_doctests():
    # learning is a package: its examples live in the modules that define the functions
    attempted = 0
    for info in pkgutil.iter_modules(learning.__path__, "coursecode.learning."):
        result = doctest.testmod(importlib.import_module(info.name), optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, info.name
        attempted += result.attempted
    assert attempted > 10


# --- data -----------------------------------------------------------------------

def test_correlated_inputs_moments_and_seed():
    X = learning.correlated_inputs(n=50_000, rho=0.7, scales=(2.0, 0.5, 1.0), seed=3)
    assert X.shape == (50_000, 3)
    C = np.corrcoef(X.T)
    assert np.allclose(C[np.triu_indices(3, 1)], 0.7, atol=0.01)
    assert np.allclose(X.std(axis=0), [2.0, 0.5, 1.0], rtol=0.02)
    again = learning.correlated_inputs(n=50_000, rho=0.7, scales=(2.0, 0.5, 1.0), seed=3)
    assert np.array_equal(X, again)
    other = learning.correlated_inputs(n=50_000, rho=0.7, scales=(2.0, 0.5, 1.0), seed=4)
    assert not np.array_equal(X, other)


@pytest.mark.parametrize("kwargs, match", [
    (dict(rho=1.0), "rho"),
    (dict(rho=-0.6, scales=(1.0, 1.0, 1.0)), "rho"),
    (dict(scales=(1.0, -1.0)), "scales"),
    (dict(seed="zero"), "seed"),
    (dict(seed=True), "seed"),
])
def test_correlated_inputs_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        learning.correlated_inputs(**kwargs)


def test_standardize():
    X = learning.correlated_inputs(n=100, rho=0.5, scales=(3.0, 0.1), seed=0) + [5.0, -2.0]
    Z = learning.standardize(X)
    assert np.allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    assert np.allclose(Z.std(axis=0), 1.0)
    # correlations survive standardization
    assert np.isclose(np.corrcoef(Z.T)[0, 1], np.corrcoef(X.T)[0, 1])
    with pytest.raises(ValueError, match="constant"):
        learning.standardize(np.ones((4, 2)))


# --- least squares --------------------------------------------------------------

def test_least_squares_gradient_hessian_minimizer():
    f = learning.linear_regression(n=300, rho=0.6, seed=1)
    rng = np.random.default_rng(0)
    for theta in rng.standard_normal((3, 2)):
        assert np.allclose(f.grad(theta), finite_difference_grad(f.value, theta), atol=1e-7)
    assert np.allclose(f.hessian(np.zeros(2)), f.X.T @ f.X / f.n)
    assert np.allclose(f.grad(f.minimizer), 0.0, atol=1e-12)
    batch = rng.standard_normal((4, 5, 2))
    assert f.value(batch).shape == (4, 5)
    assert f.grad(batch).shape == (4, 5, 2)
    assert np.allclose(f.grad(batch)[2, 3], f.grad(batch[2, 3]))


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9, 0.95])
def test_standardized_features_condition_number_is_set_by_correlation(rho):
    # chapter 1: kappa = (1 + rho) / (1 - rho) whatever the scales of the raw features
    f = learning.linear_regression(n=200_000, rho=rho, scales=(1.0, 30.0), seed=2)
    assert np.isclose(f.condition_number, (1 + rho) / (1 - rho), rtol=0.05)
    assert np.allclose(np.diag(f.H), 1.0)


def test_raw_scales_give_condition_number_of_squared_ratio():
    f = learning.linear_regression(n=200_000, rho=0.0, scales=(1.0, 10.0), seed=2, standardized=False)
    assert np.isclose(f.condition_number, 100.0, rtol=0.05)


def test_gd_on_least_squares_converges_below_two_over_L():
    f = learning.linear_regression(n=200, rho=0.9, seed=0)
    lr = 1.9 / f.eigenvalues[-1]
    traj = cc.run(cc.gd(lr=lr), f, np.zeros(2), steps=2000)
    assert not traj.diverged
    assert np.allclose(traj.final, f.minimizer, atol=1e-8)
    bad = cc.run(cc.gd(lr=2.1 / f.eigenvalues[-1]), f, np.zeros(2), steps=2000)
    assert bad.diverged


def test_least_squares_shape_errors():
    with pytest.raises(ValueError, match="least squares"):
        learning.least_squares(np.ones((3, 2)), np.ones(4))
    with pytest.raises(ValueError, match="w_true"):
        learning.linear_regression(w_true=[1.0, 2.0, 3.0])


# --- tiny MLP -------------------------------------------------------------------

@pytest.fixture(scope="module")
def mlp():
    return learning.tiny_mlp_problem(seed=0)


def test_mlp_layout(mlp):
    h, p = mlp.hidden, mlp.p
    assert mlp.dim == h * (p + 2) + 1 == mlp.theta0.size
    covered = np.sort(np.concatenate(mlp.filters + [mlp.biases]))
    assert np.array_equal(covered, np.arange(mlp.dim))  # every parameter exactly once
    assert len(mlp.filters) == h + 1
    assert np.all(mlp.theta0[mlp.biases] == 0.0)
    W1, b1, w2, b2 = mlp.unpack(mlp.theta0)
    assert W1.shape == (h, p) and b1.shape == (h,) and w2.shape == (h,) and np.ndim(b2) == 0
    assert np.allclose(mlp.X.mean(axis=0), 0.0) and np.allclose(mlp.X.std(axis=0), 1.0)


def test_mlp_gradient_matches_finite_differences(mlp):
    rng = np.random.default_rng(5)
    for theta in [mlp.theta0, *rng.standard_normal((3, mlp.dim))]:
        assert np.allclose(mlp.grad(theta), finite_difference_grad(mlp.value, theta), atol=1e-7)


def test_mlp_is_vectorized_over_parameter_batches(mlp):
    thetas = np.random.default_rng(6).standard_normal((2, 3, mlp.dim))
    values, grads = mlp.value(thetas), mlp.grad(thetas)
    assert values.shape == (2, 3) and grads.shape == (2, 3, mlp.dim)
    for i in range(2):
        for j in range(3):
            assert np.isclose(values[i, j], mlp.value(thetas[i, j]))
            assert np.allclose(grads[i, j], mlp.grad(thetas[i, j]))


def test_mlp_is_seeded():
    a, b, c = (learning.tiny_mlp_problem(seed=s) for s in (7, 7, 8))
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y) and np.array_equal(a.theta0, b.theta0)
    assert not np.array_equal(a.theta0, c.theta0)


def test_mlp_trains_with_gd(mlp):
    traj = cc.run(cc.gd(lr=0.3), mlp, mlp.theta0, steps=500)
    assert not traj.diverged
    assert traj.losses[-1] < 0.05 * traj.losses[0]
    assert traj.losses[-1] < mlp.value(mlp.theta0)


# --- landscape tools ------------------------------------------------------------

def test_filter_normalize(mlp):
    d = np.random.default_rng(0).standard_normal(mlp.dim)
    before = d.copy()
    out = learning.filter_normalize(d, mlp.theta0, mlp.filters, mlp.biases)
    assert np.array_equal(d, before)  # the input is not modified
    for f in mlp.filters:
        assert np.isclose(np.linalg.norm(out[f]), np.linalg.norm(mlp.theta0[f]))
        # the direction within a filter is kept
        assert np.isclose(out[f] @ d[f], np.linalg.norm(out[f]) * np.linalg.norm(d[f]))
    assert np.all(out[mlp.biases] == 0.0)
    whole = learning.filter_normalize(d, mlp.theta0)
    assert np.isclose(np.linalg.norm(whole), np.linalg.norm(mlp.theta0))
    with pytest.raises(ValueError, match="same shape"):
        learning.filter_normalize(d[:-1], mlp.theta0)


def test_random_directions_are_seeded(mlp):
    a = learning.random_directions(mlp.theta0, seed=1, filters=mlp.filters, ignore=mlp.biases)
    b = learning.random_directions(mlp.theta0, seed=1, filters=mlp.filters, ignore=mlp.biases)
    c = learning.random_directions(mlp.theta0, seed=2, filters=mlp.filters, ignore=mlp.biases, n=3)
    assert a.shape == (2, mlp.dim) and c.shape == (3, mlp.dim)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c[:2])


def test_slice_2d(mlp):
    d1, d2 = learning.random_directions(mlp.theta0, seed=1, filters=mlp.filters, ignore=mlp.biases)
    alphas, betas = np.linspace(-1, 1, 5), np.linspace(-0.5, 0.5, 3)
    Z = learning.slice_2d(mlp.value, mlp.theta0, d1, d2, alphas, betas)
    assert Z.shape == (3, 5)
    assert np.isclose(Z[1, 2], mlp.value(mlp.theta0))  # the centre is theta_star itself
    assert np.isclose(Z[0, 4], mlp.value(mlp.theta0 + alphas[4] * d1 + betas[0] * d2))
    loop = learning.slice_2d(lambda t: float(mlp.value(t)), mlp.theta0, d1, d2, alphas, betas,
                             vectorized=False)
    assert np.allclose(Z, loop)


def test_numerical_hessian():
    q = cc.quadratic([1.0, 50.0], angle=0.4)
    assert np.allclose(learning.numerical_hessian(q.grad, np.array([0.2, -1.0])), q.H, atol=1e-6)
    s = cc.saddle()
    point = np.array([0.3, 0.7])
    assert np.allclose(learning.numerical_hessian(s.grad, point), s.hessian(point), atol=1e-6)
