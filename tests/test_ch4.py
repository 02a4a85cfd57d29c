"""Claims made in chapter 4 (chapters/04_adagrad_rmsprop.ipynb), checked against coursecode."""
from __future__ import annotations

import numpy as np
import pytest

import coursecode as cc


def test_adagrad_first_step_is_gamma_sign_g():
    """Chapter 4, the first 'predict' cell: with eps = 0, s_1 = g_1^2 and the step is gamma sign(g_1)."""
    g = np.array([3.0, -0.5, 1e-7, -4e5])
    opt = cc.adagrad(lr=1.0, eps=0.0)
    theta, state = opt.step(np.zeros(4), g, opt.init(np.zeros(4)))
    np.testing.assert_array_equal(theta, -np.sign(g))
    np.testing.assert_array_equal(state.s, g**2)


def test_adagrad_ignores_the_scale_of_each_coordinates_gradient():
    """Chapter 4: scaling coordinate i's gradient by c_i > 0 leaves AdaGrad's iterates (eps = 0) unchanged."""
    opt = cc.adagrad(lr=0.1, eps=0.0)
    original = cc.run(opt, cc.ravine(), [1.0, 1.0], 50).thetas
    rescaled = cc.run(opt, cc.quadratic([200.0, 0.1]), [1.0, 1.0], 50).thetas
    np.testing.assert_allclose(original, rescaled, rtol=1e-12, atol=0)


@pytest.mark.parametrize("g", [2.0, -0.03, 1e4])
def test_adagrad_effective_rate_under_a_constant_gradient(g):
    """Exercise ex-ch4-adagrad-rate: gamma / sqrt(s_t) = gamma / (|g| sqrt(t)); steps have size gamma / sqrt(t)."""
    gamma, T = 0.1, 400
    traj = cc.run(cc.adagrad(lr=gamma, eps=0.0), lambda th: np.full_like(th, g), np.zeros(1), T,
                  record_state=True)
    t = np.arange(1, T + 1)
    np.testing.assert_allclose(gamma / np.sqrt(traj.states.s[:, 0]), gamma / (abs(g) * np.sqrt(t)), rtol=1e-12)
    np.testing.assert_allclose(np.abs(np.diff(traj.thetas[:, 0])), gamma / np.sqrt(t), rtol=1e-12)
    travelled = abs(traj.thetas[-1, 0])
    assert 2 * gamma * (np.sqrt(T + 1) - 1) <= travelled <= 2 * gamma * np.sqrt(T)


def test_rmsprop_steps_under_a_constant_gradient():
    """Chapter 4, eq-rmsprop-first-step and ex-ch4-first-step: step_t = gamma / sqrt(1 - rho^t)."""
    rhos = np.array([0.9, 0.99, 0.999])
    gamma, T = 0.01, 1000
    traj = cc.run(cc.rmsprop(lr=gamma, rho=rhos[:, None], eps=0.0), lambda th: np.full_like(th, -7.0),
                  np.zeros((3, 1)), T)
    steps = np.abs(np.diff(traj.thetas[..., 0], axis=0)) / gamma
    t = np.arange(1, T + 1)[:, None]
    np.testing.assert_allclose(steps, 1 / np.sqrt(1 - rhos**t), rtol=1e-10)
    np.testing.assert_allclose(steps[0], [np.sqrt(10), 10.0, np.sqrt(1000)], rtol=1e-10)
    # rho = 0.99: the step first comes within 10% of gamma at step 175
    assert int(np.argmax(steps[:, 1] <= 1.1)) + 1 == 175


def test_bias_corrected_rmsprop_is_adam_without_momentum():
    """Exercise ex-ch4-rmsprop-bc: RMSProp with s / (1 - rho^t) equals cc.adam(beta1=0, beta2=rho)."""
    lr, rho, eps = 0.05, 0.99, 1e-8
    f = cc.ravine()
    theta, s = np.array([1.0, 1.0]), np.zeros(2)
    mine = [theta]
    for t in range(1, 201):
        g = f.grad(theta)
        s = rho * s + (1 - rho) * g**2
        theta = theta - lr * g / (np.sqrt(s / (1 - rho**t)) + eps)
        mine.append(theta)
    adam = cc.run(cc.adam(lr=lr, beta1=0.0, beta2=rho, eps=eps), f, [1.0, 1.0], 200).thetas
    np.testing.assert_allclose(np.array(mine), adam, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.abs(adam[1] - adam[0]), [lr, lr], rtol=1e-7)  # eps / |g| below 1e-8


def test_rmsprop_eps_ratio_matches_closed_form_and_reference_values():
    """Chapter 4, eq-eps-ratio and its table: steady-state step ratio inside / outside the root."""
    eps = 1e-8
    scales = 10.0 ** -np.arange(2, 7)
    G = scales[:, None]
    last = {}
    for inside in (True, False):
        opt = cc.rmsprop(lr=0.01, rho=0.99, eps=eps, eps_inside_sqrt=inside)
        traj = cc.run(opt, lambda th: G * np.ones_like(th), np.zeros_like(G), 2000)
        last[inside] = traj.thetas[-1, :, 0] - traj.thetas[-2, :, 0]
    ratio = last[True] / last[False]
    np.testing.assert_allclose(ratio, (scales + eps) / np.sqrt(scales**2 + eps), rtol=1e-6)
    np.testing.assert_allclose(ratio, [0.99995, 0.995, 0.707, 0.0996, 0.0101], rtol=2e-3)


class _DriftingRavine:
    """The chapter's drifting ravine: x^2 + 5 y^2 with its minimum at t * velocity."""

    online = True
    dim = 2

    def __init__(self, velocity):
        self.velocity = np.asarray(velocity, dtype=float)

    def center(self, t):
        return np.multiply.outer(np.asarray(t, dtype=float), self.velocity)

    def value(self, theta, t):
        return cc.ravine().value(theta - self.center(t))

    def grad(self, theta, t):
        return cc.ravine().grad(theta - self.center(t))

    def project(self, theta):
        return theta


def test_drifting_minimum_adagrad_falls_behind_rmsprop_settles_at_the_stability_limit():
    """Chapter 4, fig-ch4-stall: AdaGrad's distance grows for every gamma; RMSProp's effective rates end
    at 2 / lambda_i and its distance near gamma / sqrt(2)."""
    drift = _DriftingRavine([0.02, 0.01])
    gammas = np.array([0.03, 0.1, 0.3, 1.0])
    T = 3000
    theta0 = np.zeros((4, 2))
    centers = drift.center(np.arange(1, T + 1))[:, None, :]
    ada = cc.run(cc.adagrad(lr=gammas[:, None]), drift, theta0, T)
    rms = cc.run(cc.rmsprop(lr=gammas[:, None]), drift, theta0, T, record_state=True)
    lag_ada = np.linalg.norm(ada.thetas[1:] - centers, axis=-1)
    lag_rms = np.linalg.norm(rms.thetas[1:] - centers, axis=-1)
    assert np.all(lag_ada[-1] > lag_ada[999])            # still falling behind at the end, every gamma
    assert np.all(lag_rms[-1] < 1.1 * gammas)            # bounded by about gamma / sqrt(2)
    rate = gammas[1] / (np.sqrt(rms.states.s[-1, 1]) + 1e-8)
    np.testing.assert_allclose(rate, [2 / 2.0, 2 / 10.0], rtol=0.01)


# -- the homework module ----------------------------------------------------------------

def _homework():
    pytest.importorskip("ipywidgets")
    from coursecode.homework import ch4

    return {e.id: e for e in ch4.exercises()}


def test_homework_ids_are_chapter_4():
    assert list(_homework()) == ["ch4-first-step", "ch4-adagrad-rate", "ch4-why-stall", "ch4-eps-placement",
                                 "ch4-rmsprop-step"]


def test_numeric_answers():
    ex = _homework()
    assert ex["ch4-first-step"].answer == pytest.approx(0.1, rel=1e-12)
    assert ex["ch4-adagrad-rate"].answer == pytest.approx(0.005, rel=1e-12)
    assert ex["ch4-first-step"].check("0.1").correct
    assert not ex["ch4-first-step"].check("0.01").correct
    assert "warmed up" in ex["ch4-first-step"].check("0.01").message
    assert ex["ch4-adagrad-rate"].check("1/200").correct


def test_choices():
    ex = _homework()
    assert ex["ch4-why-stall"].check("c").correct
    assert not ex["ch4-why-stall"].check("a").correct
    assert ex["ch4-eps-placement"].check("b").correct


def test_rmsprop_step_exercise():
    ex = _homework()["ch4-rmsprop-step"]

    def right(theta, g, s, lr, rho, eps):
        s = rho * s + (1 - rho) * g**2
        return theta - lr * g / (np.sqrt(s) + eps), s

    def inside(theta, g, s, lr, rho, eps):
        s = rho * s + (1 - rho) * g**2
        return theta - lr * g / np.sqrt(s + eps), s

    def adagrad(theta, g, s, lr, rho, eps):
        s = s + g**2
        return theta - lr * g / (np.sqrt(s) + eps), s

    assert ex.check(right).correct
    fb = ex.check(inside)
    assert fb.correct and "inside" in fb.message
    fb = ex.check(adagrad)
    assert not fb.correct and "AdaGrad" in fb.message
