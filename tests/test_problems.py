"""The test problems: derivatives against finite differences, minimizers, batching,
the seeded stochastic wrapper, and the online problems of Reddi et al. with regret."""
from __future__ import annotations

import re

import numpy as np
import pytest

import coursecode as cc

PROBLEMS = {
    "bowl": cc.bowl(),
    "ravine": cc.ravine(),
    "rotated_ravine": cc.rotated_ravine(kappa=25.0, angle=0.3),
    "quadratic_lecture": cc.quadratic([10, 1]),
    "quadratic_centered": cc.quadratic([3.0, 0.5], angle=1.0, center=[0.5, -1.0]),
    "quadratic_4d": cc.quadratic([1.0, 2.0, 5.0, 9.0], center=[1.0, 0.0, -1.0, 2.0]),
    "rosenbrock": cc.rosenbrock(),
    "rosenbrock_a2": cc.rosenbrock(a=2.0, b=10.0),
    "saddle": cc.saddle(),
    "plateau": cc.plateau(width=1.5),
    "cliff": cc.cliff(),
}
CASES = [pytest.param(p, id=name) for name, p in PROBLEMS.items()]


def random_points(problem, n, seed):
    """n seeded points in the problem's plotting window (first two coordinates), (n, d)."""
    rng = np.random.default_rng(seed)
    lo = np.array([w[0] for w in problem.window] + [-2.0] * (problem.dim - len(problem.window)))
    hi = np.array([w[1] for w in problem.window] + [2.0] * (problem.dim - len(problem.window)))
    return lo + (hi - lo) * rng.random((n, problem.dim))


def central_difference(f, theta, h=1e-5):
    """d f / d theta_i by (f(theta + h e_i) - f(theta - h e_i)) / 2h, for every point of a batch."""
    out = []
    for i in range(theta.shape[-1]):
        e = np.zeros(theta.shape[-1])
        e[i] = h
        out.append((f(theta + e) - f(theta - e)) / (2 * h))
    return np.stack(out, axis=-1)


@pytest.mark.parametrize("problem", CASES)
def test_grad_is_the_derivative_of_value(problem):
    theta = random_points(problem, 50, seed=1)
    fd = central_difference(problem.value, theta)
    g = problem.grad(theta)
    # central differences with h = 1e-5 are good to ~1e-7 absolute on these windows
    np.testing.assert_allclose(g, fd, rtol=1e-8, atol=1e-6)


@pytest.mark.parametrize("problem", CASES)
def test_hessian_is_the_derivative_of_grad(problem):
    theta = random_points(problem, 50, seed=2)
    fd = central_difference(problem.grad, theta)         # (n, d, d): d grad_j / d theta_i
    H = problem.hessian(theta)
    # the cliff's steep step has a large 4th derivative: 1e-7 relative error at h = 1e-5
    np.testing.assert_allclose(H, np.swapaxes(fd, -1, -2), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(H, np.swapaxes(H, -1, -2), rtol=0, atol=1e-12)


@pytest.mark.parametrize("problem", CASES)
def test_batched_shapes_equal_pointwise(problem):
    """theta of shape (..., d) gives values (...), gradients (..., d), Hessians (..., d, d)."""
    theta = random_points(problem, 24, seed=3).reshape(2, 3, 4, problem.dim)
    value, grad, hess = problem.value(theta), problem.grad(theta), problem.hessian(theta)
    assert value.shape == (2, 3, 4)
    assert grad.shape == (2, 3, 4, problem.dim)
    assert hess.shape == (2, 3, 4, problem.dim, problem.dim)
    for idx in np.ndindex(2, 3, 4):
        np.testing.assert_allclose(value[idx], problem.value(theta[idx]), rtol=1e-14)
        np.testing.assert_allclose(grad[idx], problem.grad(theta[idx]), rtol=1e-14)
        np.testing.assert_allclose(hess[idx], problem.hessian(theta[idx]), rtol=1e-14)
    assert np.ndim(problem.value(theta[0, 0, 0])) == 0
    with pytest.raises(ValueError, match=re.escape(f"(..., {problem.dim})")):
        problem.grad(np.zeros(problem.dim + 1))


@pytest.mark.parametrize("problem", CASES)
def test_minimizer_is_a_minimum(problem):
    """The stated minimizer has zero gradient, a positive definite Hessian, and no point
    of the window is lower."""
    x = problem.minimizer
    np.testing.assert_allclose(problem.grad(x), 0.0, atol=1e-12)
    assert np.all(np.linalg.eigvalsh(problem.hessian(x)) > 0)
    others = random_points(problem, 2000, seed=4)
    assert np.all(problem.value(others) >= problem.value(x))


def test_saddle_point_of_the_saddle():
    f = cc.saddle()
    np.testing.assert_array_equal(f.grad(f.saddle_point), [0.0, 0.0])
    eig = np.linalg.eigvalsh(f.hessian(f.saddle_point))
    assert eig[0] < 0 < eig[1]


def test_quadratic_eigenvalues_rotation_and_condition_number():
    f = cc.quadratic([10, 1], angle=0.7)
    np.testing.assert_allclose(np.linalg.eigvalsh(f.H), [1.0, 10.0], rtol=1e-14)
    assert f.H[0, 1] != 0                                  # rotated: not diagonal
    assert f.condition_number == pytest.approx(10.0)
    assert cc.rotated_ravine(kappa=40).condition_number == pytest.approx(40.0)
    assert cc.quadratic([1.0, -1.0]).condition_number == np.inf
    with pytest.raises(ValueError, match="H"):
        cc.Quadratic([[1.0, 2.0], [0.0, 1.0]])


def test_lecture_landscapes_have_the_lecture_formulas():
    """bowl = x^2 + y^2, ravine = x^2 + 5 y^2 (Landscape chapter)."""
    theta = random_points(cc.bowl(), 10, seed=5)
    x, y = theta[:, 0], theta[:, 1]
    np.testing.assert_allclose(cc.bowl().value(theta), x**2 + y**2, rtol=1e-14)
    np.testing.assert_allclose(cc.ravine().value(theta), x**2 + 5 * y**2, rtol=1e-14)


def test_contour_grid():
    X, Y, Z = cc.ravine().grid(n=7)
    assert X.shape == Y.shape == Z.shape == (7, 7)
    np.testing.assert_allclose(Z, X**2 + 5 * Y**2, rtol=1e-14)
    with pytest.raises(ValueError, match="2"):
        cc.quadratic([1.0, 2.0, 3.0]).grid()


# -- the stochastic wrapper -------------------------------------------------------------------
def _gradients(problem, theta, n):
    return np.stack([problem.grad(theta) for _ in range(n)])


def test_stochastic_gradients_are_reproducible_by_seed():
    theta = np.array([[0.5, -0.5], [1.0, 1.0]])
    a = _gradients(cc.stochastic(cc.ravine(), noise=0.3, rng=7), theta, 20)
    b = _gradients(cc.stochastic(cc.ravine(), noise=0.3, rng=7), theta, 20)
    c = _gradients(cc.stochastic(cc.ravine(), noise=0.3, rng=8), theta, 20)
    d = _gradients(cc.stochastic(cc.ravine(), noise=0.3, rng=np.random.default_rng(7)), theta, 20)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, d)                    # a seed or a Generator from it
    assert not np.allclose(a, c)
    assert not np.allclose(a[0], a[1])                     # a fresh draw at every call


def test_stochastic_noise_has_the_stated_mean_and_spread():
    """grad = true gradient + noise * N(0, 1), per coordinate (an array noise)."""
    f = cc.stochastic(cc.ravine(), noise=np.array([0.5, 0.0]), rng=9)
    theta = np.array([0.3, -0.2])
    gs = _gradients(f, theta, 20_000)
    true = cc.ravine().grad(theta)
    np.testing.assert_array_equal(gs[:, 1], true[1])      # the clean coordinate is exact
    assert abs(gs[:, 0].mean() - true[0]) < 5 * 0.5 / np.sqrt(20_000)
    assert gs[:, 0].std() == pytest.approx(0.5, rel=0.03)
    assert f.value(theta) == cc.ravine().value(theta)
    np.testing.assert_array_equal(f.hessian(theta), cc.ravine().hessian(theta))
    np.testing.assert_array_equal(f.minimizer, cc.ravine().minimizer)


def test_stochastic_rejects_bad_arguments():
    with pytest.raises(ValueError, match="noise"):
        cc.stochastic(cc.bowl(), noise=-1.0)
    with pytest.raises(ValueError, match="rng"):
        cc.stochastic(cc.bowl(), rng="seed")


# -- online problems ------------------------------------------------------------------------------
def test_reddi_cycle_coefficients():
    p = cc.reddi_cycle(C=3)
    np.testing.assert_array_equal(p.coefficient(np.arange(1, 10)), [3, -1, -1] * 3)
    assert p.coefficient(3001) == 3.0 and p.coefficient(3002) == -1.0
    np.testing.assert_array_equal(p.grad(np.zeros((4, 1)), 1), np.full((4, 1), 3.0))
    np.testing.assert_array_equal(p.value(np.array([[0.5], [-1.0]]), 2), [-0.5, 1.0])
    assert p.minimizer[0] == -1.0
    with pytest.raises(ValueError, match="C"):
        cc.reddi_cycle(C=2)
    with pytest.raises(ValueError, match="t = 1"):
        p.coefficient(0)


def test_reddi_spike_coefficients():
    p = cc.reddi_spike()
    c = p.coefficient(np.arange(1, 204))
    assert c[0] == 1010 and c[101] == 1010 and c[202] == 1010
    assert np.all(np.delete(c, [0, 101, 202]) == -10)
    assert c[:101].sum() == 10.0                            # each period sums to +10: optimum -1
    assert p.minimizer[0] == -1.0


def test_reddi_stochastic_coefficients_are_seeded_and_consistent():
    a, b = cc.reddi_stochastic(rng=3), cc.reddi_stochastic(rng=3)
    late = a.coefficient(50_000)                            # asked out of order first
    ca = a.coefficient(np.arange(1, 50_001))
    cb = b.coefficient(np.arange(1, 50_001))
    np.testing.assert_array_equal(ca, cb)
    assert ca[-1] == late
    assert set(np.unique(ca)) == {1010.0, -10.0}
    assert np.mean(ca == 1010.0) == pytest.approx(0.01, abs=0.002)
    assert not np.array_equal(ca, cc.reddi_stochastic(rng=4).coefficient(np.arange(1, 50_001)))
    assert a.minimizer[0] == -1.0                           # mean 0.01 * 1010 - 0.99 * 10 > 0


def test_projection_onto_the_feasible_set():
    p = cc.reddi_cycle()
    np.testing.assert_array_equal(p.project(np.array([-3.0, -1.0, 0.25, 1.0, 7.0])),
                                  [-1.0, -1.0, 0.25, 1.0, 1.0])


@pytest.mark.parametrize("problem", [cc.reddi_cycle(C=3), cc.reddi_spike(), cc.reddi_stochastic(rng=1)],
                         ids=["cycle", "spike", "stochastic"])
def test_regret_against_brute_force_best_fixed_point(problem):
    """R_t = sum_s c_s x_s - min over x* in [-1, 1] of sum_s c_s x*, for every t; the
    min is taken over a grid of x* containing -1 and +1, and the best x* over a long
    horizon is the stated minimizer."""
    rng = np.random.default_rng(6)
    T = 400
    xs = rng.uniform(-1, 1, (T, 3, 1))                      # three played sequences at once
    c = problem.coefficient(np.arange(1, T + 1))
    grid = np.linspace(-1, 1, 201)
    regret = problem.regret(xs)
    assert regret.shape == (T, 3)
    for t in [1, 2, 3, 50, 101, 102, T]:
        played = np.sum(c[:t, None] * xs[:t, :, 0], axis=0)
        best = np.min(np.sum(c[:t]) * grid)
        np.testing.assert_allclose(regret[t - 1], played - best, rtol=1e-12)
    if problem.name.startswith("1010 w.p."):
        return  # stochastic: -1 minimizes the expected loss; a finite sample may favour +1
    # deterministic: the best fixed point over whole periods is the stated minimizer, and
    # playing it has zero regret
    periods = 3 * 101 * 10
    assert grid[np.argmin(problem.coefficient(np.arange(1, periods + 1)).sum() * grid)] == problem.minimizer[0]
    assert problem.regret(np.full((periods, 1), problem.minimizer[0]))[-1] == 0.0
