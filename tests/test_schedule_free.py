"""cc.schedule_free_adamw: validation, purity, and the relations between its three sequences."""
from __future__ import annotations

import numpy as np
import pytest

import coursecode as cc


@pytest.mark.parametrize(("kwargs", "word"), [
    ({"lr": -0.1}, "lr"), ({"lr": float("inf")}, "lr"), ({"warmup_steps": -1}, "warmup_steps"),
    ({"warmup_steps": 2.5}, "warmup_steps"), ({"beta1": 1.0}, "beta1"), ({"beta1": -0.1}, "beta1"),
    ({"beta2": 1.0}, "beta2"), ({"eps": -1e-8}, "eps"), ({"weight_decay": -0.1}, "weight_decay"),
    ({"weight_lr_power": -1.0}, "weight_lr_power"), ({"weight_lr_power": "two"}, "weight_lr_power"),
])
def test_bad_hyperparameters_are_refused_by_name(kwargs, word):
    with pytest.raises(ValueError, match=word):
        cc.schedule_free_adamw(**kwargs)


def test_step_is_pure():
    opt = cc.schedule_free_adamw(lr=0.05, warmup_steps=3, weight_decay=0.1)
    rng = np.random.default_rng(0)
    theta = rng.normal(size=(3, 4))
    state = opt.init(theta)
    for _ in range(5):
        g = rng.normal(size=theta.shape)
        copies = (theta.copy(), g.copy(), [np.copy(s) for s in state])
        new_theta, new_state = opt.step(theta, g, state)
        assert np.array_equal(theta, copies[0]) and np.array_equal(g, copies[1])
        assert all(np.array_equal(a, b) for a, b in zip(state, copies[2]))
        assert new_theta is not theta and new_state.z is not state.z and new_state.x is not state.x
        theta, state = new_theta, new_state


def _run(opt, steps=200, seed=1):
    f = cc.stochastic(cc.quadratic([0.5, 1.0, 4.0]), noise=0.3, rng=seed)
    theta = np.array([2.0, -1.0, 1.0])
    state = opt.init(theta)
    ys, states = [theta], [state]
    for _ in range(steps):
        theta, state = opt.step(theta, f.grad(theta), state)
        ys.append(theta)
        states.append(state)
    return np.array(ys), states


@pytest.mark.parametrize("beta1", [0.0, 0.5, 0.9])
def test_y_interpolates_z_and_x(beta1):
    ys, states = _run(cc.schedule_free_adamw(lr=0.05, beta1=beta1))
    for y, s in zip(ys, states):
        np.testing.assert_allclose(y, (1 - beta1) * s.z + beta1 * s.x, rtol=1e-13, atol=1e-15)


def test_constant_lr_makes_x_the_plain_average_of_the_zs():
    _, states = _run(cc.schedule_free_adamw(lr=0.05))
    zs = np.array([s.z for s in states[1:]])
    for t in (1, 2, 10, 200):
        np.testing.assert_allclose(states[t].x, zs[:t].mean(axis=0), rtol=1e-12)


def test_warmup_weights_are_the_largest_lr_so_far_squared():
    W, lr = 10, 0.05
    _, states = _run(cc.schedule_free_adamw(lr=lr, warmup_steps=W), steps=30)
    assert np.array_equal(states[1].z, states[0].z)          # optax's warm-up starts at 0: step 1 only fills v
    zs = np.array([s.z for s in states[1:]])
    w = np.array([(lr * min(t, W) / W) ** 2 for t in range(1, 31)])
    for t in (1, 5, 10, 30):
        np.testing.assert_allclose(states[t].x, (w[:t, None] * zs[:t]).sum(0) / w[:t].sum(), rtol=1e-12)
    assert states[30].max_lr == pytest.approx(lr) and states[30].weight_sum == pytest.approx(w.sum())


def test_power_zero_weights_every_step_equally_even_in_warmup():
    _, states = _run(cc.schedule_free_adamw(lr=0.05, warmup_steps=10, weight_lr_power=0.0), steps=20)
    zs = np.array([s.z for s in states[1:]])
    np.testing.assert_allclose(states[20].x, zs.mean(axis=0), rtol=1e-12)


def test_batched_settings_equal_separate_runs():
    lrs = np.array([[0.01], [0.05], [0.2]])
    f = cc.quadratic([1.0, 3.0])
    batched = cc.run(cc.schedule_free_adamw(lr=lrs, warmup_steps=5), f, np.ones((3, 2)), 50, record_state=True)
    for k in range(3):
        one = cc.run(cc.schedule_free_adamw(lr=float(lrs[k, 0]), warmup_steps=5), f, np.ones(2), 50,
                     record_state=True)
        np.testing.assert_allclose(batched.thetas[:, k], one.thetas, rtol=1e-13)
        np.testing.assert_allclose(batched.states.x[:, k], one.states.x, rtol=1e-13)


def test_schedule_lr_and_large_arrays():
    """A schedule as lr; a large array (the blocked path) gives the same numbers as small pieces."""
    opt = cc.schedule_free_adamw(lr=cc.schedules.cosine(0.01, horizon=10))
    rng = np.random.default_rng(3)
    big = rng.normal(size=40000)
    g = rng.normal(size=big.shape)
    s_big = opt.init(big)
    th_big, s_big = opt.step(big, g, s_big)
    th_big, s_big = opt.step(th_big, g, s_big)
    th_a, s_a = opt.step(big[:100], g[:100], opt.init(big[:100]))
    th_a, s_a = opt.step(th_a, g[:100], s_a)
    assert np.array_equal(th_big[:100], th_a) and np.array_equal(s_big.x[:100], s_a.x)


def test_decay_pulls_towards_zero():
    f = cc.quadratic([1.0, 1.0], center=[3.0, 3.0])
    free = cc.run(cc.schedule_free_adamw(lr=0.05), f, np.zeros(2), 3000, record_state=True)
    decayed = cc.run(cc.schedule_free_adamw(lr=0.05, weight_decay=0.5), f, np.zeros(2), 3000, record_state=True)
    assert np.all(np.abs(decayed.states.x[-1]) < np.abs(free.states.x[-1]))
