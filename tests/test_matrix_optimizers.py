"""cc.adafactor and cc.muon: signatures, validation (ValueError naming the parameter), purity,
shapes, batched stacks of matrices, and the Newton-Schulz iteration."""
from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

import coursecode as cc
from coursecode.optimizers import _base
from coursecode.optimizers.matrix import NS_COEFFICIENTS, newton_schulz


def raises_naming(culprit, *fragments):
    pattern = rf"\b{re.escape(culprit)}\b" + "".join(rf"[\s\S]*{re.escape(f)}" for f in fragments)
    return pytest.raises(ValueError, match=pattern)


def test_signatures_are_the_fixed_ones():
    assert [(p, v.default) for p, v in inspect.signature(cc.adafactor).parameters.items()] == [
        ("lr", 1e-2), ("beta2_decay", -0.8), ("eps1", None), ("eps2", 1e-3), ("d", 1.0), ("weight_decay", 0.0)]
    assert [(p, v.default) for p, v in inspect.signature(cc.muon).parameters.items()] == [
        ("lr", 1e-3), ("weight_decay", 0.1), ("momentum", 0.95), ("nesterov", True), ("ns_steps", 5), ("eps", 1e-7)]
    assert cc.ALL["adafactor"] is cc.adafactor and cc.ALL["muon"] is cc.muon
    assert not cc.adafactor().elementwise and not cc.muon().elementwise


@pytest.mark.parametrize(("param", "bad"), [
    ("lr", -1.0), ("lr", np.nan), ("lr", "0.1"), ("lr", np.array([0.1, -0.2])),
    ("beta2_decay", 0.5), ("beta2_decay", np.inf), ("beta2_decay", None),
    ("eps1", -1e-30), ("eps1", np.nan), ("eps1", np.ones(2)), ("eps2", -1e-3), ("eps2", True),
    ("eps2", np.array([1e-3, -1.0])),
    ("d", 0.5), ("d", np.nan), ("d", np.ones(2)),
    ("weight_decay", -0.1), ("weight_decay", np.array([0.1, np.nan]))])
def test_adafactor_rejects(param, bad):
    with raises_naming(param):
        cc.adafactor(**{param: bad})


@pytest.mark.parametrize(("param", "bad"), [
    ("lr", -1.0), ("lr", np.inf), ("weight_decay", -0.1), ("weight_decay", "x"), ("momentum", 1.0),
    ("momentum", -0.1), ("momentum", np.nan), ("nesterov", 1), ("nesterov", "False"), ("ns_steps", -1),
    ("ns_steps", 2.0), ("ns_steps", 100), ("ns_steps", True), ("eps", -1e-7), ("eps", None)])
def test_muon_rejects(param, bad):
    with raises_naming(param):
        cc.muon(**{param: bad})


@pytest.mark.parametrize("theta", [np.zeros(3), np.zeros(()), [1.0, 2.0]])
def test_muon_refuses_vectors_and_scalars(theta):
    opt = cc.muon()
    with raises_naming("theta", "matrix"):
        opt.init(theta)
    with raises_naming("theta", "matrix"):
        opt.step(theta, np.zeros(np.shape(theta)), opt.init(np.zeros((2, 2))))


@pytest.mark.parametrize("factory", [cc.adafactor, cc.muon])
def test_gradient_and_state_shapes_are_checked(factory):
    opt = factory()
    theta = np.ones((3, 4))
    state = opt.init(theta)
    with raises_naming("gradient", "(4, 3)", "(3, 4)"):
        opt.step(theta, np.ones((4, 3)), state)
    with pytest.raises(ValueError, match="state.* shape"):
        opt.step(np.ones((2, 4)), np.ones((2, 4)), state)
    with raises_naming("state"):
        opt.step(theta, np.ones((3, 4)), cc.adam().init(theta))


def test_adafactor_state_is_factored_for_matrices_and_full_for_vectors():
    opt = cc.adafactor()
    s = opt.init(np.ones((2, 5, 3)))
    assert s.R.shape == (2, 5, 1) and s.C.shape == (2, 1, 3) and s.V is None
    s = opt.init(np.ones(4))
    assert s.R is None and s.C is None and s.V.shape == (4,)
    with pytest.raises(ValueError, match="state.R"):
        opt.step(np.ones(4), np.ones(4), opt.init(np.ones((2, 2))))


@pytest.mark.parametrize("opt", [cc.adafactor(weight_decay=0.1), cc.adafactor(d=1.5, eps1=1e-20),
                                 cc.muon(), cc.muon(nesterov=False, ns_steps=3)],
                         ids=["adafactor", "adafactor-d", "muon", "muon-plain"])
@pytest.mark.parametrize("shape", [(3, 5), (6, 2), (2, 3, 4)])
def test_step_never_mutates_its_inputs(opt, shape):
    rng = np.random.default_rng(1)
    theta = theta0 = rng.normal(size=shape)
    state = opt.init(theta)
    for _ in range(4):
        g = rng.normal(size=shape)
        inputs = [theta, g] + [x for x in state if isinstance(x, np.ndarray)]
        copies = [x.copy() for x in inputs]
        for x in inputs:
            x.setflags(write=False)
        new_theta, new_state = opt.step(theta, g, state)
        for x, c in zip(inputs, copies):
            np.testing.assert_array_equal(x, c)
        for out in [new_theta] + [x for x in new_state if isinstance(x, np.ndarray)]:
            assert not any(np.shares_memory(out, x) for x in inputs)
        assert new_state.t == state.t + 1
        theta, state = new_theta, new_state
    assert np.all(theta != theta0)


def test_muon_on_a_stack_with_array_hyperparameters_equals_separate_runs():
    """theta (k, m, n), lr / weight_decay / momentum of shape (k, 1, 1): k independent runs in one."""
    rng = np.random.default_rng(2)
    k, shape = 4, (5, 3)
    lr, wd, mu = (rng.uniform(0.01, 0.1, (k, 1, 1)), rng.uniform(0, 0.2, (k, 1, 1)), rng.uniform(0.5, 0.9, (k, 1, 1)))
    theta0 = rng.normal(size=(k,) + shape)
    target = rng.normal(size=(k,) + shape)

    def run(opt, theta):
        state = opt.init(theta)
        for _ in range(30):
            theta, state = opt.step(theta, theta - target_of(theta), state)
        return theta

    target_of = lambda th: target if th.ndim == 3 else target[i]   # noqa: E731
    batched = run(cc.muon(lr=lr, weight_decay=wd, momentum=mu), theta0)
    for i in range(k):
        one = run(cc.muon(lr=float(lr[i, 0, 0]), weight_decay=float(wd[i, 0, 0]), momentum=float(mu[i, 0, 0])),
                  theta0[i])
        np.testing.assert_allclose(batched[i], one, rtol=1e-12, atol=1e-14)


def test_large_matrices_are_never_split_into_blocks(monkeypatch):
    """The blocked fast path of _base would orthogonalize pieces: both optimizers opt out."""
    monkeypatch.setattr(_base, "BLOCK", 4)
    rng = np.random.default_rng(3)
    theta, g = rng.normal(size=(8, 6)), rng.normal(size=(8, 6))
    for opt in (cc.muon(lr=0.1), cc.adafactor()):
        assert not opt._blockable(0.1)
        small, _ = opt.step(theta, g, opt.init(theta))
        monkeypatch.setattr(_base, "BLOCK", 10**9)
        whole, _ = opt.step(theta, g, opt.init(theta))
        monkeypatch.setattr(_base, "BLOCK", 4)
        np.testing.assert_array_equal(small, whole)


def test_newton_schulz_pushes_singular_values_towards_one():
    rng = np.random.default_rng(4)
    G = rng.normal(size=(20, 12)) @ np.diag(np.logspace(0, -2, 12))
    s = np.linalg.svd(newton_schulz(G), compute_uv=False)
    assert 0.6 < s.min() and s.max() < 1.25                           # the quintic's band, not exactly 1
    assert np.allclose(newton_schulz(G.T), newton_schulz(G).T)          # tall = transposed wide
    U, _, Vt = np.linalg.svd(G, full_matrices=False)
    O = newton_schulz(G, steps=40, coefficients=(1.5, -0.5, 0.0))       # the cubic converges to U V^T
    np.testing.assert_allclose(O, U @ Vt, atol=1e-8)
    assert NS_COEFFICIENTS == (3.4445, -4.7750, 2.0315)
    np.testing.assert_array_equal(newton_schulz(np.zeros((3, 2))), np.zeros((3, 2)))   # eps: no 0/0


def test_muon_shape_factor_and_decay():
    """One step from theta: (1 - lr wd) theta - lr sqrt(max(1, m/n)) O, the decay with the plain lr."""
    rng = np.random.default_rng(5)
    for shape, factor in [((8, 2), 2.0), ((2, 8), 1.0)]:
        theta, g = rng.normal(size=shape), rng.normal(size=shape)
        opt = cc.muon(lr=0.1, weight_decay=0.3, momentum=0.0)
        new, _ = opt.step(theta, g, opt.init(theta))
        np.testing.assert_allclose(new, (1 - 0.03) * theta - 0.1 * factor * newton_schulz(g), rtol=1e-14)


def test_adafactor_first_step_and_clipping():
    """Step 1: R, C are the means of g^2, V = R C / mean(R); the update's RMS is clipped to d."""
    rng = np.random.default_rng(6)
    theta, g = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    opt = cc.adafactor(lr=0.05)
    new, s = opt.step(theta, g, opt.init(theta))
    V = np.mean(g**2, 1, keepdims=True) * np.mean(g**2, 0, keepdims=True) / np.mean(g**2)
    U = g / np.sqrt(V)
    U = U / max(1.0, np.sqrt(np.mean(U**2)))
    np.testing.assert_allclose(new, theta - 0.05 * np.sqrt(np.mean(theta**2)) * U, rtol=1e-13)
    np.testing.assert_allclose(s.R[:, 0], np.mean(g**2, 1))


def test_adafactor_array_lr_is_a_cap_per_entry():
    """An lr array equal everywhere gives the scalar run; lr and weight_decay broadcast against theta."""
    rng = np.random.default_rng(7)
    theta, g = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    a = cc.adafactor(lr=np.full((1, 4), 0.02), weight_decay=np.full((3, 1), 0.1))
    b = cc.adafactor(lr=0.02, weight_decay=0.1)
    np.testing.assert_array_equal(a.step(theta, g, a.init(theta))[0], b.step(theta, g, b.init(theta))[0])
    with raises_naming("lr", "broadcast"):
        cc.adafactor(lr=np.ones(5)).init(theta)
