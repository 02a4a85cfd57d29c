"""Claims made in chapter 12 (chapters/12_beyond_diagonal.ipynb), checked against coursecode.

Each fixture recomputes one experiment of the chapter the way its cells do (same seeds, same
settings), without reading the notebook.
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import coursecode as cc
from coursecode.homework import ch12
from coursecode.optimizers import matrix


# ---------------------------------------------------------------- the rotated ravine

def rotation(angles):
    c, s = np.cos(angles), np.sin(angles)
    return np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)


def full_adagrad(grad, theta0, lr, steps, delta=1e-8):
    theta, S = theta0, np.zeros(theta0.shape + theta0.shape[-1:])
    thetas = [theta]
    for _ in range(steps):
        g = grad(theta)
        S = S + g[..., :, None] * g[..., None, :]
        w, V = np.linalg.eigh(S + delta * np.eye(theta.shape[-1]))
        theta = theta - lr * np.einsum("...ij,...j,...lj,...l->...i", V, 1 / np.sqrt(w), V, g)
        thetas.append(theta)
    return np.array(thetas)


@pytest.fixture(scope="module")
def ravine():
    degrees = np.arange(0, 91, 5)
    R = rotation(np.radians(degrees))
    T = 50
    H = R @ np.diag([1.0, 100.0]) @ np.swapaxes(R, -1, -2)
    theta0 = R @ np.array([1.0, 0.5])
    grad = lambda th: np.einsum("kij,kj->ki", H, th)                                   # noqa: E731
    loss = lambda th: 0.5 * np.einsum("...ki,kij,...kj->...k", th, H, th)              # noqa: E731
    runs = {"diag": cc.run(cc.adagrad(lr=1.0), grad, theta0, steps=T).thetas,
            "adam": cc.run(cc.adam(lr=lambda t: 0.1 * (1 - (t - 1) / T)), grad, theta0, steps=T).thetas,
            "full": full_adagrad(grad, theta0, 1.0, T)}
    return degrees, R, {k: loss(v)[-1] for k, v in runs.items()}, runs


def test_diagonal_methods_depend_on_the_angle(ravine):
    degrees, _, final, _ = ravine
    i0, i45, i90 = (int(np.flatnonzero(degrees == d)[0]) for d in (0, 45, 90))
    for name in ("diag", "adam"):
        f = final[name]
        assert f[i45] > 100 * f[i0]                                   # "do well only along an axis"
        assert np.isclose(f[i0], f[i90], rtol=1e-6)                   # 0 and 90 degrees: the same problem
        assert f[i0] == pytest.approx(f.min(), rel=1e-6)
        assert 25 <= degrees[np.argmax(f)] <= 50                      # worst near 30 to 45 degrees
        assert np.all(f[(degrees >= 15) & (degrees <= 60)] > 1e-2)     # "around 0.1 in between"
    assert final["diag"][i0] < 1e-30


def test_full_matrix_adagrad_is_the_same_at_every_angle(ravine):
    degrees, R, final, runs = ravine
    back = np.einsum("kji,tkj->tki", R, runs["full"])
    assert np.max(np.abs(back - back[:, :1])) < 1e-9
    assert np.all(final["full"] < 1e-30) and np.ptp(final["full"]) < 1e-6 * final["full"].max()
    assert final["full"].max() < final["adam"].min()


def test_the_counterexample_of_the_proposition():
    """AdaGrad's first step from g = (1, 0) and from Qg = (1, 1)/sqrt 2 (45 degrees): not rotated copies."""
    Q = rotation(np.pi / 4)
    opt = cc.adagrad(lr=1.0, eps=1e-12)
    g = np.array([1.0, 0.0])
    step = opt.step(np.zeros(2), g, opt.init(np.zeros(2)))[0]
    turned = opt.step(np.zeros(2), Q @ g, opt.init(np.zeros(2)))[0]
    np.testing.assert_allclose(step, [-1.0, 0.0], atol=1e-10)
    np.testing.assert_allclose(turned, [-1.0, -1.0], atol=1e-10)
    assert not np.allclose(turned, Q @ step)


def test_muon_is_equivariant_under_rotations_of_rows_and_columns():
    rng = np.random.default_rng(3)
    Q1, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    Q2, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    target = rng.normal(size=(5, 3))
    W0 = rng.normal(size=(5, 3))

    def run(opt, W, grad):
        state = opt.init(W)
        for _ in range(20):
            W, state = opt.step(W, grad(W), state)
        return W

    a = run(cc.muon(lr=0.05), W0, lambda W: W - target)
    b = run(cc.muon(lr=0.05), Q1 @ W0 @ Q2.T, lambda W: W - Q1 @ target @ Q2.T)
    np.testing.assert_allclose(b, Q1 @ a @ Q2.T, atol=1e-12)
    c = run(cc.adam(lr=0.05), Q1 @ W0 @ Q2.T, lambda W: W - Q1 @ target @ Q2.T)    # Adam is not
    assert np.max(np.abs(c - Q1 @ run(cc.adam(lr=0.05), W0, lambda W: W - target) @ Q2.T)) > 1e-3


# ---------------------------------------------------------------- Muon, Newton-Schulz, bfloat16

def inverse_root(M, p):
    w, V = np.linalg.eigh(M)
    return (V * (np.maximum(w, 1e-300) ** (-1.0 / p))[..., None, :]) @ np.swapaxes(V, -1, -2)


def test_shampoo_without_memory_is_u_v_transpose():
    G = np.random.default_rng(12).normal(size=(5, 5))
    U, _, Vt = np.linalg.svd(G)
    assert np.max(np.abs(inverse_root(G @ G.T, 4) @ G @ inverse_root(G.T @ G, 4) - U @ Vt)) < 1e-10


def test_steepest_descent_under_the_spectral_norm():
    """-eta U V^T beats random directions of spectral norm eta on the linear model <G, Delta>."""
    rng = np.random.default_rng(1)
    G = rng.normal(size=(4, 6))
    U, s, Vt = np.linalg.svd(G, full_matrices=False)
    best = np.sum(G * (-U @ Vt))
    assert best == pytest.approx(-s.sum())
    for _ in range(200):
        D = rng.normal(size=(4, 6))
        D /= np.linalg.norm(D, 2)
        assert np.sum(G * D) >= best - 1e-12


def iterate_scalar(s, k, coefficients):
    a, b, c = coefficients
    for _ in range(k):
        s = a * s + b * s**3 + c * s**5
    return s


def test_the_newton_schulz_curves():
    s = np.logspace(-3, 0, 400)
    quintic = np.array([iterate_scalar(s, k, matrix.NS_COEFFICIENTS) for k in range(9)])
    cubic = np.array([iterate_scalar(s, k, (1.5, -0.5, 0.0)) for k in range(9)])
    band = quintic[5][s >= 1e-2]
    assert 0.6 < band.min() < 1 < band.max() < 1.3                  # a band around 1, not 1
    assert cubic[5][np.argmin(np.abs(s - 1e-2))] < band.min()       # the cubic is far behind at 1e-2
    assert np.all(np.diff(cubic, axis=0) >= -1e-15) and cubic.max() <= 1 + 1e-12   # creeps up, monotone
    assert all(quintic[k].max() > 1 for k in range(3, 9))           # the quintic overshoots
    reach = s[np.argmax(quintic[5] > 0.5)]
    assert 1e-3 < reach < 1e-2                                      # far below 1e-2 is not reached
    p1 = sum(matrix.NS_COEFFICIENTS)                                # the exercise: p(1) and p'(0)
    assert p1 == pytest.approx(0.701) and matrix.NS_COEFFICIENTS[0] > 2 * 1.5


def to_bfloat16(x):
    bits = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16 << 16
    return bits.astype(np.uint32).view(np.float32).astype(np.float64)


def newton_schulz_bfloat16(G, steps=5, eps=1e-7):
    a, b, c = matrix.NS_COEFFICIENTS
    X = to_bfloat16(G)
    X = to_bfloat16(X / max(np.linalg.norm(X), eps))
    for _ in range(steps):
        A = to_bfloat16(X @ X.T)
        X = to_bfloat16(a * X + to_bfloat16(to_bfloat16(b * A + c * to_bfloat16(A @ A)) @ X))
    return X


def test_bfloat16_rounding_is_a_few_epsilons_and_small_next_to_the_approximation():
    eps = float(to_bfloat16(1 + 2.0**-7) - 1)
    assert eps == 2.0**-7 and to_bfloat16(1 + 2.0**-9) == 1.0
    rng = np.random.default_rng(16)
    Gs = rng.normal(size=(8, 16, 32)) * np.logspace(0, -2, 16)[:, None]
    f64 = matrix.newton_schulz(Gs)
    low = np.array([newton_schulz_bfloat16(g) for g in Gs])
    exact = np.array([u @ vt for u, _, vt in (np.linalg.svd(g, full_matrices=False) for g in Gs)])
    size = np.linalg.norm(f64, axis=(-2, -1))
    rounding = np.linalg.norm(low - f64, axis=(-2, -1)) / size
    approximation = np.linalg.norm(f64 - exact, axis=(-2, -1)) / size
    assert eps < np.median(rounding) and rounding.max() < 8 * eps     # more than one rounding, a few epsilons
    assert rounding.max() < approximation.min() / 5                  # a small fraction of the approximation


# ---------------------------------------------------------------- matrix least squares

@pytest.fixture(scope="module")
def lsq():
    rng = np.random.default_rng(0)
    n, p, q, T = 192, 24, 12, 200
    basis, _ = np.linalg.qr(rng.normal(size=(p, p)))
    X = rng.normal(size=(n, p)) * np.sqrt(np.logspace(0, -3, p)) @ basis.T
    Y = X @ rng.normal(size=(p, q))
    XtX, XtY = X.T @ X / n, X.T @ Y / n
    W0 = 0.1 * rng.normal(size=(p, q))
    grad = lambda W: XtX @ W - XtY                                           # noqa: E731
    loss = lambda W: 0.5 * np.sum((X @ W - Y) ** 2, axis=(-2, -1)) / n       # noqa: E731
    f0 = loss(W0)
    decay = lambda base: (lambda t: base * (1 - (t - 1) / T))               # noqa: E731
    grid = 10.0 ** np.arange(-3.5, 2.51, 0.5)

    def batched(factory, lrs):
        start = np.broadcast_to(W0, (lrs.size, p, q)).copy()
        return cc.run(factory(decay(lrs[:, None, None])), grad, start, steps=T).thetas[-1]

    def one_by_one(factory, lrs, flatten=False):
        out = []
        for lr in lrs:
            opt, W = factory(decay(lr)), (W0.ravel() if flatten else W0)
            state = opt.init(W)
            for _ in range(T):
                W, state = opt.step(W, grad(W.reshape(p, q)).reshape(W.shape), state)
            out.append(W.reshape(p, q))
        return np.array(out)

    def muon_runs(lrs, starts=8):
        nudge = 1e-9 * np.random.default_rng(1).normal(size=(starts, 1, p, q))
        start = (W0 + nudge) * np.ones((starts, lrs.size, 1, 1))
        return cc.run(cc.muon(lr=decay(lrs[:, None, None]), weight_decay=0.0), grad, start, steps=T).thetas[-1]

    def muon_median(lrs):
        return np.median(loss(muon_runs(lrs)) / f0, axis=0)

    def shampoo(lrs, eps=1e-12, curve=False):
        W, L, R = np.broadcast_to(W0, (lrs.size, p, q)), eps * np.eye(p), eps * np.eye(q)
        for t in range(1, T + 1):
            G = grad(W)
            L = L + G @ np.swapaxes(G, -1, -2)
            R = R + np.swapaxes(G, -1, -2) @ G
            W = W - decay(lrs[:, None, None])(t) * inverse_root(L, 4) @ G @ inverse_root(R, 4)
            W = np.where(np.isfinite(W), W, np.nan)
            if curve:
                curve.append(loss(W) / f0)
        return W

    methods = {"GD": (lambda l: batched(lambda lr: cc.gd(lr=lr), l), grid[5:11]),
               "Adam": (lambda l: batched(lambda lr: cc.adam(lr=lr), l), grid[2:10]),
               "Adafactor": (lambda l: one_by_one(lambda lr: cc.adafactor(lr=lr), l), grid[4:10]),
               "unfactored": (lambda l: one_by_one(lambda lr: cc.adafactor(lr=lr), l, flatten=True), grid[4:10]),
               "Muon": (lambda l: muon_median(l), grid[2:9]),
               "Shampoo": (shampoo, grid[6:])}
    out = {}
    for name, (train, lrs) in methods.items():
        with np.errstate(all="ignore"):
            final = train(lrs) if name == "Muon" else loss(train(lrs)) / f0
        final = np.where(np.isfinite(final), final, np.inf)
        out[name] = (final, int(np.argmin(final)), lrs)
    out["_setup"] = (XtX, grad, W0, decay, T)
    out["_muon_final"] = loss(muon_runs(out["Muon"][2][out["Muon"][1]:out["Muon"][1] + 1]))[:, 0] / f0
    shampoo_curve = [np.ones(1)]
    with np.errstate(all="ignore"):
        shampoo(out["Shampoo"][2][out["Shampoo"][1]:out["Shampoo"][1] + 1], curve=shampoo_curve)
    out["_shampoo_curve"] = np.concatenate(shampoo_curve)
    return out


def test_every_best_learning_rate_is_inside_its_grid(lsq):
    for name, value in lsq.items():
        if not name.startswith("_"):
            final, best, lrs = value
            assert 0 < best < lrs.size - 1, name


def test_the_ranking_of_the_least_squares_experiment(lsq):
    best = {name: v[0].min() for name, v in lsq.items() if not name.startswith("_")}
    assert best["Shampoo"] < best["Muon"] < best["Adam"] < best["Adafactor"] < best["GD"]
    assert best["Adam"] < best["unfactored"] < best["GD"]
    assert best["Shampoo"] < 1e-10 and 1e-6 < best["Muon"] < 1e-5      # "between 1e-6 and 1e-5"
    curve = lsq["_shampoo_curve"]
    assert curve.max() > 1 and curve[-1] == curve.min()             # Shampoo first jumps, then falls furthest


def test_muon_final_loss_is_sensitive_to_rounding(lsq):
    """Eight starting points 1e-9 apart: the largest final loss exceeds the smallest by more than 10 %,
    but all stay within a factor of ten (the median's bracket is stable)."""
    final = lsq["_muon_final"]
    assert final.size == 8 and 1.1 < final.max() / final.min() < 10
    XtX = lsq["_setup"][0]
    assert 5e2 < np.linalg.cond(XtX) < 5e3                          # "condition number about 10^3"


def test_adafactor_factoring_cost_and_estimate(lsq):
    final, best, lrs = lsq["Adafactor"]
    unfactored = lsq["unfactored"][0].min()
    assert final[best] < unfactored                                 # "cost no progress at all"
    XtX, grad, W0, decay, T = lsq["_setup"]
    opt = cc.adafactor(lr=decay(lrs[best]))
    W, state, V = W0, opt.init(W0), np.zeros_like(W0)
    for t in range(1, T + 1):
        G = grad(W)
        V = (1 - t**-0.8) * V + t**-0.8 * G**2
        W, state = opt.step(W, G, state)
    ratio = state.R * state.C / np.mean(state.R) / V
    lo, hi = np.quantile(ratio, [0.1, 0.9])
    assert lo < 1 < hi and hi / lo > 2                               # not close to rank one
    assert np.sqrt(hi) < 1.5                                         # steps change by the square root


# ---------------------------------------------------------------- memory

def test_state_per_parameter():
    theta = np.zeros((256, 1024))
    ratio = {}
    for name, factory in cc.optimizers.ALL.items():
        needs_lr = inspect.signature(factory).parameters["lr"].default is inspect.Parameter.empty
        state = (factory(lr=0.1) if needs_lr else factory()).init(theta)
        ratio[name] = sum(x.nbytes for x in state if isinstance(x, np.ndarray)) / theta.nbytes
    assert ratio["gd"] == 0
    assert all(ratio[k] == 1 for k in ("momentum", "adagrad", "rmsprop", "lion", "muon"))
    assert all(ratio[k] == 2 for k in ("adam", "adamw", "adam_l2", "adamax", "nadam", "radam", "adabelief", "adopt"))
    assert ratio["amsgrad"] == 3
    assert ratio["adafactor"] == pytest.approx((256 + 1024) / (256 * 1024))
    assert ratio["adam"] / ratio["adafactor"] > 100
    rows, cols = theta.shape
    shampoo = (rows**2 + cols**2) / (rows * cols)
    soap = 2 * shampoo + 2
    assert ratio["adam"] < shampoo < soap                           # "more than Adam for Shampoo and SOAP"
    assert 0 < ratio["muon"] < shampoo                              # Muon "sits in between"


# ---------------------------------------------------------------- homework

def test_homework_answers_and_diagnoses():
    ex = {e.id: e for e in ch12.exercises()}
    assert set(ex) == {"ch12-equivariance", "ch12-newton-schulz", "ch12-state-ratio"}
    assert ex["ch12-newton-schulz"].check(matrix.newton_schulz).correct
    for wrong in (ch12._svd_polar, ch12._no_normalization, ch12._spectral_normalization, ch12._cubic):
        fb = ex["ch12-newton-schulz"].check(wrong)
        assert not fb.correct and "agrees" not in fb.message
    m, n = ch12.ROWS, ch12.COLS
    assert ex["ch12-state-ratio"].check(2 * m * n / (m + n)).correct
    assert round(2 * m * n / (m + n)) == 5970                       # the solution's number
    assert not ex["ch12-state-ratio"].check(m * n / (m + n)).correct
    assert ex["ch12-equivariance"].check("c").correct
    assert not any(ex["ch12-equivariance"].check(x).correct for x in "abd")


def test_the_shape_factor_gives_entries_of_size_one_over_root_n():
    """U V^T of an m x n matrix has RMS 1/sqrt(max(m, n)); times sqrt(max(1, m/n)) it is 1/sqrt(n), and Liu et
    al.'s 0.2 sqrt(max(m, n)) makes it 0.2."""
    rng = np.random.default_rng(0)
    for m, n in [(64, 16), (16, 64), (32, 32)]:
        U, _, Vt = np.linalg.svd(rng.normal(size=(m, n)), full_matrices=False)
        rms = np.sqrt(np.mean((U @ Vt) ** 2))
        assert rms == pytest.approx(1 / np.sqrt(max(m, n)))
        assert rms * np.sqrt(max(1, m / n)) == pytest.approx(1 / np.sqrt(n))
        assert rms * 0.2 * np.sqrt(max(m, n)) == pytest.approx(0.2)
