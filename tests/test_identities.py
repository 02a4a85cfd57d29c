"""Identities between the optimizers, and the properties every optimizer must have
(purity, batching). Each identity is checked on a run whose gradients depend on
theta, and each test also checks that the thing it compares against is different
where it should be, so an identity cannot hold by accident.
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import coursecode as cc


def noisy_quadratic(seed, shape=(5,)):
    """g = A theta + b + noise_k: a gradient that depends on theta, reproducible by seed."""
    rng = np.random.default_rng(seed)
    A = rng.uniform(0.5, 3.0, shape)
    b = rng.normal(0.0, 1.0, shape)
    noise = rng.normal(0.0, 0.3, (1000,) + shape)
    theta0 = rng.normal(0.0, 1.0, shape)
    return theta0, (lambda theta, k: A * theta + b + noise[k])


def trajectory(opt, grad, theta0, steps):
    """theta_0 .. theta_steps and the states after each step."""
    theta, state = np.asarray(theta0, dtype=float), opt.init(theta0)
    thetas, states = [theta], []
    for k in range(steps):
        theta, state = opt.step(theta, grad(theta, k), state)
        thetas.append(theta)
        states.append(state)
    return np.stack(thetas), states


# -- Adam and RMSProp -------------------------------------------------------------------------
def test_adam_with_beta1_zero_is_bias_corrected_rmsprop():
    """Adam chapter: with beta1 = 0, m_hat_t = g_t and Adam is RMSProp whose accumulator
    is bias-corrected, theta -= lr g / (sqrt(s_t / (1 - rho^t)) + eps), rho = beta2."""
    lr, rho, eps, steps = 0.05, 0.95, 1e-8, 300
    theta0, grad = noisy_quadratic(1)
    adam, states = trajectory(cc.adam(lr=lr, beta1=0.0, beta2=rho, eps=eps), grad, theta0, steps)

    # RMSProp's own accumulator, advanced on Adam's gradients, is Adam's v ...
    rms = cc.rmsprop(lr=lr, rho=rho, eps=eps)
    rms_state = rms.init(theta0)
    by_hand = [theta0]
    for t in range(1, steps + 1):
        theta = by_hand[-1]
        g = grad(theta, t - 1)
        _, rms_state = rms.step(theta, g, rms_state)
        np.testing.assert_array_equal(rms_state.s, states[t - 1].v)
        # ... and the step written by hand with the bias correction of s is Adam's step
        by_hand.append(theta - lr * g / (np.sqrt(rms_state.s / (1 - rho**t)) + eps))
    np.testing.assert_allclose(adam, np.stack(by_hand), rtol=1e-13, atol=0)

    # RMSProp itself has no bias correction: its first step is 1/sqrt(1 - rho) times larger
    plain, _ = trajectory(rms, grad, theta0, 1)
    np.testing.assert_allclose((plain[1] - theta0) / (adam[1] - theta0), 1 / np.sqrt(1 - rho), rtol=1e-6)


@pytest.mark.parametrize("factory", [cc.adam_l2, cc.adamw])
def test_weight_decay_zero_is_adam(factory):
    """AdamW chapter: adam_l2 and adamw with weight_decay = 0 are Adam, step for step."""
    theta0, grad = noisy_quadratic(2, (3, 2))
    kw = dict(lr=0.03, beta1=0.8, beta2=0.99, eps=1e-8)
    adam, _ = trajectory(cc.adam(**kw), grad, theta0, 200)
    zero, _ = trajectory(factory(**kw, weight_decay=0.0), grad, theta0, 200)
    np.testing.assert_array_equal(zero, adam)
    decayed, _ = trajectory(factory(**kw, weight_decay=0.1), grad, theta0, 200)
    assert np.max(np.abs(decayed - adam)) > 1e-3


def test_gd_coupled_weight_decay_equals_decoupled():
    """AdamW chapter, Loshchilov & Hutter Prop. 1: for SGD, an L2 penalty (coupled)
    and weight decay (decoupled) give the same iterates; Prop. 2: not for Adam."""
    theta0, grad = noisy_quadratic(3, (4,))
    wd = np.array([0.0, 0.05, 0.2, 1.0])        # one run per coordinate, an array of lambdas
    coupled, _ = trajectory(cc.gd(lr=0.1, weight_decay=wd), grad, theta0, 300)
    decoupled, _ = trajectory(cc.gd(lr=0.1, weight_decay=wd, decoupled=True), grad, theta0, 300)
    np.testing.assert_allclose(coupled, decoupled, rtol=1e-12, atol=1e-14)

    l2, _ = trajectory(cc.adam_l2(lr=0.1, weight_decay=wd), grad, theta0, 300)
    w, _ = trajectory(cc.adamw(lr=0.1, weight_decay=wd), grad, theta0, 300)
    assert np.max(np.abs(l2[:, 1:] - w[:, 1:])) > 1e-2
    np.testing.assert_allclose(l2[:, 0], w[:, 0], rtol=1e-12)   # lambda = 0: no difference


# -- AMSGrad --------------------------------------------------------------------------------
@pytest.mark.parametrize(("bias_correction", "max_of"), [(False, "raw"), (True, "raw"), (True, "corrected")])
def test_amsgrad_v_max_never_shrinks(bias_correction, max_of):
    """AMSGrad chapter: v_max_t = max(v_max_{t-1}, .) never decreases, although v does,
    in all three conventions (Reddi et al., PyTorch, optax)."""
    rng = np.random.default_rng(4)
    scale = np.where(np.arange(400) < 100, 10.0, 0.1)[:, None]   # large gradients, then small ones
    gs = scale * rng.normal(size=(400, 3))
    beta2 = 0.9
    opt = cc.amsgrad(lr=0.01, beta2=beta2, bias_correction=bias_correction, max_of=max_of)
    _, states = trajectory(opt, lambda theta, k: gs[k] + 0.1 * theta, np.zeros(3), 400)
    v = np.stack([s.v for s in states])
    v_max = np.stack([s.v_max for s in states])
    assert np.all(np.diff(v_max, axis=0) >= 0)
    assert np.any(np.diff(v, axis=0) < 0)                   # v itself shrinks: the max matters
    t = np.arange(1, 401)[:, None]
    tracked = v / (1 - beta2**t) if max_of == "corrected" else v
    assert np.all(v_max >= tracked)
    np.testing.assert_array_equal(v_max, np.maximum.accumulate(tracked, axis=0))


def test_pytorch_amsgrad_denominator_can_still_shrink():
    """AMSGrad chapter: in PyTorch's convention the max is over the raw v, so the
    denominator sqrt(v_max / (1 - beta2^t)) still shrinks as the correction fades."""
    opt = cc.amsgrad(lr=0.01, beta2=0.9, bias_correction=True)
    gs = np.where(np.arange(50) < 5, 1.0, 1e-3)
    _, states = trajectory(opt, lambda theta, k: np.full(1, gs[k]), np.zeros(1), 50)
    denom = [np.sqrt(s.v_max[0] / (1 - 0.9**s.t)) for s in states]
    assert denom[-1] < 0.9 * max(denom)


# -- momentum ----------------------------------------------------------------------------------
def test_momentum_ema_form_is_heavy_ball_with_scaled_lr():
    """Momentum chapter: v = beta v + (1-beta) g, theta -= lr v is the heavy ball
    v = beta v + g, theta -= lr (1-beta) v (PyTorch's SGD(lr (1-beta), momentum=beta))."""
    theta0, grad = noisy_quadratic(5, (2, 3))
    beta = np.array([0.0, 0.5, 0.9])           # broadcast over the last axis
    ema, _ = trajectory(cc.momentum(lr=0.2, beta=beta), grad, theta0, 300)
    heavy, _ = trajectory(cc.momentum(lr=0.2 * (1 - beta), beta=beta, form="heavy_ball"), grad, theta0, 300)
    np.testing.assert_allclose(ema, heavy, rtol=1e-11, atol=1e-13)
    same_lr, _ = trajectory(cc.momentum(lr=0.2, beta=beta, form="heavy_ball"), grad, theta0, 300)
    assert np.max(np.abs(same_lr[..., 1:] - ema[..., 1:])) > 1e-2


# -- eps inside or outside the root ------------------------------------------------------------
TABLE = {1e-2: "0.99995", 1e-3: "0.995", 1e-4: "0.707", 1e-5: "0.0996", 1e-6: "0.0101"}


@pytest.mark.parametrize("factory", [cc.adam, cc.rmsprop])
def test_eps_inside_sqrt_ratio_matches_references_table(factory):
    """Adam chapter (eps placement; references.md table): with constant gradients, at
    steady state the step with sqrt(v_hat + eps) over the step with sqrt(v_hat) + eps
    is 0.99995, 0.995, 0.707, 0.0996, 0.0101 at |g| = 1e-2 .. 1e-6 (eps = 1e-8)."""
    g = np.array(list(TABLE))
    kw = dict(lr=1e-3, eps=1e-8)
    steps = 5000                                # rho^t has vanished for RMSProp too

    def last_step(eps_inside_sqrt):
        thetas, _ = trajectory(factory(**kw, eps_inside_sqrt=eps_inside_sqrt), lambda th, k: g, np.zeros(5), steps)
        return thetas[-1] - thetas[-2]

    ratio = last_step(True) / last_step(False)
    for r, (gi, printed) in zip(ratio, TABLE.items()):
        decimals = len(printed.split(".")[1])
        assert round(float(r), decimals) == float(printed), (gi, r, printed)


# -- purity --------------------------------------------------------------------------------
def _all_optimizers():
    for name, factory in cc.ALL.items():
        # weight decay wherever the factory takes it (adam and adopt, as their libraries, do not)
        takes_decay = "weight_decay" in inspect.signature(factory).parameters
        kw = {"weight_decay": 0.1} if takes_decay else {}
        if name == "amsgrad":
            for bc, mo in [(False, "raw"), (True, "raw"), (True, "corrected")]:
                yield pytest.param(factory(bias_correction=bc, max_of=mo, **kw), id=f"amsgrad-{bc}-{mo}")
        elif name == "momentum":
            yield pytest.param(factory(lr=0.1, **kw), id="momentum")
            yield pytest.param(factory(lr=0.1, form="heavy_ball", decoupled=True, **kw), id="heavy_ball")
        elif name == "gd":
            yield pytest.param(factory(lr=0.1, **kw), id="gd")
        else:
            yield pytest.param(factory(**kw), id=name)


def _arrays(state):
    return [np.asarray(x) for x in state if isinstance(x, np.ndarray)]


@pytest.mark.parametrize("opt", list(_all_optimizers()))
def test_step_never_mutates_its_inputs(opt):
    """coursecode contract: init and step are pure. Inputs (theta, g, every state
    array) are left as they were, and the outputs share no memory with them."""
    rng = np.random.default_rng(6)
    theta = theta0 = rng.normal(size=(3, 2))
    state = opt.init(theta)
    for _ in range(5):
        g = rng.normal(size=theta.shape)
        inputs = [theta, g, *_arrays(state)]
        copies = [x.copy() for x in inputs]
        for x in inputs:
            x.setflags(write=False)             # an in-place update would raise
        new_theta, new_state = opt.step(theta, g, state)
        for x, c in zip(inputs, copies):
            np.testing.assert_array_equal(x, c)
        assert state.t + 1 == new_state.t
        for out in [new_theta, *_arrays(new_state)]:
            assert not any(np.shares_memory(out, x) for x in inputs)
        theta, state = new_theta, new_state
    assert np.all(theta != theta0)


def test_hyperparameter_arrays_are_copied():
    """Changing the caller's lr array after construction does not change the optimizer."""
    lr = np.array([0.1, 0.2])
    opt = cc.adam(lr=lr)
    lr[:] = 5.0
    theta, _ = opt.step(np.zeros(2), np.ones(2), opt.init(np.zeros(2)))
    np.testing.assert_allclose(theta, [-0.1, -0.2])


# -- batching -------------------------------------------------------------------------------
def _batch_factories():
    for name, factory in cc.ALL.items():
        if not factory(**({"lr": 0.1})).elementwise:
            continue   # adafactor and muon mix theta's entries: their batching is tested in test_matrix_optimizers.py
        yield pytest.param(factory, id=name)


@pytest.mark.parametrize("factory", list(_batch_factories()))
def test_batched_lr_equals_separate_runs(factory):
    """coursecode contract: theta of shape (400, 2) with lr of shape (400, 1) runs 400
    independent settings in one call; each row equals its own run (all 400 rows for
    Adam, every 8th row for the others, to keep the suite quick)."""
    rng = np.random.default_rng(7)
    n, steps = 400, 15
    lr = 10 ** rng.uniform(-3, -1, (n, 1))
    theta0 = rng.normal(size=(n, 2))
    noise = rng.normal(size=(steps, n, 2))
    problem = cc.ravine()
    takes_decay = "weight_decay" in inspect.signature(factory).parameters   # not adam, not adopt
    kw = {"lr": lr, "weight_decay": 0.05} if takes_decay else {"lr": lr}
    batched, _ = trajectory(factory(**kw), lambda th, k: problem.grad(th) + noise[k], theta0, steps)
    for i in range(0, n, 1 if factory is cc.adam else 8):
        one = dict(kw, lr=float(lr[i, 0]))
        single, _ = trajectory(factory(**one), lambda th, k: problem.grad(th) + noise[k, i], theta0[i], steps)
        np.testing.assert_allclose(batched[:, i], single, rtol=1e-13, atol=1e-15, err_msg=f"row {i}")
    assert np.ptp(batched[-1, :, 0]) > 1e-3           # the rows really differ


def test_batched_adam_grid_of_all_hyperparameters():
    """A grid over (lr, beta1, beta2, eps), as a heatmap chapter uses it, equals the separate runs."""
    rng = np.random.default_rng(8)
    n, steps = 30, 30
    hp = {"lr": 10 ** rng.uniform(-3, -1, (n, 1)), "beta1": rng.uniform(0, 0.99, (n, 1)),
          "beta2": rng.uniform(0.5, 0.999, (n, 1)), "eps": 10 ** rng.uniform(-10, -2, (n, 1))}
    theta0 = np.tile([1.0, -1.0], (n, 1))
    problem = cc.rosenbrock()
    batched, _ = trajectory(cc.adam(**hp), lambda th, k: problem.grad(th), theta0, steps)
    for i in range(n):
        single, _ = trajectory(cc.adam(**{k: float(v[i, 0]) for k, v in hp.items()}),
                               lambda th, k: problem.grad(th), theta0[i], steps)
        np.testing.assert_allclose(batched[:, i], single, rtol=1e-12, atol=1e-15, err_msg=f"row {i}")
