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


def test_gradient_descent_with_adagrads_learning_rate_diverges_on_the_rescaled_ravine():
    """Chapter 4: lr 0.1 is below 2/10 (the ravine) and above 2/200 (the rescaled copy): GD converges on one and
    diverges on the other."""
    assert not cc.run(cc.gd(lr=0.1), cc.ravine(), [1.0, 1.0], 50).diverged
    assert cc.run(cc.gd(lr=0.1), cc.quadratic([200.0, 0.1]), [1.0, 1.0], 50).diverged
    assert 2 / 200 < 0.1 < 2 / 10


def _sparse_problem():
    """The chapter's sparse logistic regression (same seed, same construction)."""
    rng = np.random.default_rng(2011)
    n, d = 4000, 20
    frequent = np.arange(d) < 10
    p_present = np.where(frequent, 0.5, 0.01)
    w_true = np.where(frequent, 0.5, 3.0) * rng.choice([-1.0, 1.0], d)
    X = (rng.random((n, d)) < p_present) * rng.choice([-1.0, 1.0], (n, d))
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-X @ w_true)), 1.0, -1.0)
    return X, y, frequent


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


@pytest.fixture(scope="module")
def sparse():
    X, y, frequent = _sparse_problem()
    n = X.shape[0]

    def loss(w):
        return np.mean(np.logaddexp(0.0, -y * (w @ X.T)), axis=-1)

    def full_grad(w):
        return (-y * _sigmoid(-y * (w @ X.T))) @ X / n

    def minibatches(seed=0, batch=32):
        draw = np.random.default_rng(seed)

        def grad(w):
            idx = draw.integers(0, n, batch)
            return (-y[idx] * _sigmoid(-y[idx] * (w @ X[idx].T))) @ X[idx] / batch
        return grad

    w_star = np.zeros(X.shape[1])
    for _ in range(12):
        z = X @ w_star
        H = np.einsum("ni,n,nj->ij", X, _sigmoid(z) * _sigmoid(-z), X) / n
        w_star = w_star - np.linalg.solve(H, full_grad(w_star))
    lrs = np.geomspace(0.01, 10.0, 13)[:, None]
    runs = {"SGD": cc.run(cc.gd(lr=lrs), minibatches(), np.zeros((13, 20)), 500),
            "AdaGrad": cc.run(cc.adagrad(lr=lrs), minibatches(), np.zeros((13, 20)), 500, record_state=True)}
    return dict(X=X, y=y, frequent=frequent, loss=loss, full_grad=full_grad, w_star=w_star, lrs=lrs, runs=runs)


def test_sparse_features_adagrad_moves_rare_weights_further(sparse):
    """Chapter 4, fig-ch4-sparse: best lr 1 (SGD) and 0.316 (AdaGrad); rare weights 0.82 vs 0.44 of w* (1.9 times
    as far); AdaGrad's final loss is lower; its rare effective rates are ~10 times the frequent ones; SGD's next
    larger lr (1.78) gets the rare weights further only with worse frequent weights and a higher loss."""
    loss, w_star, frequent, lrs, runs = (sparse[k] for k in ("loss", "w_star", "frequent", "lrs", "runs"))
    best = {k: int(np.nanargmin(loss(v.thetas[-1]))) for k, v in runs.items()}
    assert lrs[best["SGD"], 0] == pytest.approx(1.0) and lrs[best["AdaGrad"], 0] == pytest.approx(0.316, rel=1e-3)
    frac = {k: runs[k].thetas[-1, best[k]] / w_star for k in runs}
    rare = {k: frac[k][~frequent].mean() for k in frac}
    assert rare["AdaGrad"] / rare["SGD"] == pytest.approx(1.88, abs=0.01)
    assert frac["SGD"][frequent].mean() > 0.9 and frac["AdaGrad"][frequent].mean() > 0.9
    assert loss(runs["AdaGrad"].thetas[-1, best["AdaGrad"]]) < loss(runs["SGD"].thetas[-1, best["SGD"]])
    s_end = runs["AdaGrad"].states.s[-1, best["AdaGrad"]]
    rate = 1 / (np.sqrt(s_end) + 1e-10)
    assert rate[~frequent].mean() / rate[frequent].mean() > 10
    bigger = best["SGD"] + 1
    frac_b = runs["SGD"].thetas[-1, bigger] / w_star
    assert frac_b[~frequent].mean() > rare["SGD"]
    assert frac_b[frequent].mean() < frac["SGD"][frequent].mean()
    assert loss(runs["SGD"].thetas[-1, bigger]) > loss(runs["SGD"].thetas[-1, best["SGD"]])
    # the figure: feature 10 ends near 2.2 (AdaGrad) and 1.1 (SGD), w* near 2.8; feature 0's w* near 0.48
    assert runs["AdaGrad"].thetas[-1, best["AdaGrad"], 10] == pytest.approx(2.2, abs=0.1)
    assert runs["SGD"].thetas[-1, best["SGD"], 10] == pytest.approx(1.1, abs=0.1)
    assert w_star[10] == pytest.approx(2.8, abs=0.05) and w_star[0] == pytest.approx(0.48, abs=0.01)


def test_fisher_equals_hessian_and_the_empirical_fisher_only_near_the_fit(sparse):
    """Chapter 4, ch4-what-s-measures: for logistic regression F = H at every w; the empirical Fisher's diagonal is
    within 3% of H's on the frequent features at w* (0.74 to 1.44 on the rare ones) and overestimates it at every
    coordinate at -w*, by up to ~32 times."""
    X, y, frequent, w_star = (sparse[k] for k in ("X", "y", "frequent", "w_star"))
    n = X.shape[0]
    for w, label in ((w_star, "opt"), (-w_star, "neg")):
        z = X @ w
        hessian = (_sigmoid(z) * _sigmoid(-z)) @ X**2 / n
        H_full = np.einsum("ni,n,nj->ij", X, _sigmoid(z) * _sigmoid(-z), X) / n
        np.testing.assert_allclose(hessian, np.diag(H_full), rtol=1e-12)
        fisher = (_sigmoid(z) * _sigmoid(-z) ** 2 + _sigmoid(-z) * _sigmoid(z) ** 2) @ X**2 / n
        assert np.abs(fisher / hessian - 1).max() < 1e-12
        per_example = (-y * _sigmoid(-y * z))[:, None] * X
        ratio = np.mean(per_example**2, axis=0) / hessian
        if label == "opt":
            assert np.all(np.abs(ratio[frequent] - 1) < 0.03)
            assert 0.7 < ratio[~frequent].min() < 0.8 and 1.4 < ratio[~frequent].max() < 1.5
        else:
            assert np.all(ratio > 2) and round(ratio.max()) == 32


def test_minibatch_squared_gradient_is_mean_squared_plus_variance_over_b(sparse):
    """Chapter 4: for a batch of B drawn with replacement, E[g^2] = (grad f)^2 + (diag F_emp - (grad f)^2) / B."""
    X, y = sparse["X"], sparse["y"]
    n, B = X.shape[0], 32
    w = 0.5 * sparse["w_star"]
    per_example = (-y * _sigmoid(-y * (X @ w)))[:, None] * X
    mean, second = per_example.mean(axis=0), np.mean(per_example**2, axis=0)
    predicted = mean**2 + (second - mean**2) / B
    draw = np.random.default_rng(5)
    idx = draw.integers(0, n, (20000, B))
    measured = np.mean(per_example[idx].mean(axis=1) ** 2, axis=0)
    np.testing.assert_allclose(measured, predicted, rtol=0.05)


def test_without_noise_rmsprop_takes_sign_steps_not_newton_steps():
    """Chapter 4, eq-ch4-sign-like: nine quadratics with gradient 10 and curvatures 0.01 to 100; RMSProp's step 500
    is within [0.99, 1.01] gamma for all nine while Newton's step 10 / lambda spans 0.1 to 1000; no run moved more
    than 7% of its distance. AdaGrad's step at t is about gamma / sqrt(t) for all nine."""
    lam = np.geomspace(1e-2, 1e2, 9)[:, None]
    start = 10 / lam
    gamma = 1e-5
    traj = cc.run(cc.rmsprop(lr=gamma), lambda th: lam * th, start, 500)
    step = np.abs(traj.thetas[500, :, 0] - traj.thetas[499, :, 0]) / gamma
    assert np.all((0.99 < step) & (step < 1.01))
    np.testing.assert_allclose(start[:, 0], 10 / lam[:, 0])
    assert start.max() / start.min() == pytest.approx(1e4)
    assert np.max(np.abs(traj.thetas[500, :, 0] - start[:, 0]) / start[:, 0]) < 0.07
    ada = cc.run(cc.adagrad(lr=gamma), lambda th: lam * th, start, 500)
    step_ada = np.abs(ada.thetas[500, :, 0] - ada.thetas[499, :, 0]) * np.sqrt(500) / gamma
    assert np.all((0.99 < step_ada) & (step_ada < 1.01))


def test_the_square_root_is_the_best_diagonal_in_hindsight():
    """Exercise ex-ch4-root: p_i proportional to sqrt(a_i) minimises sum a_i / p_i under sum p_i <= c, with
    minimum (sum sqrt a_i)^2 / c; the gain over p_i = c / d is d sum a / (sum sqrt a)^2, about d / k when k
    coordinates carry the squared gradients."""
    rng = np.random.default_rng(0)
    a, c = rng.exponential(size=6) ** 3, 2.0
    p_best = c * np.sqrt(a) / np.sqrt(a).sum()
    best = np.sum(a / p_best)
    assert best == pytest.approx(np.sqrt(a).sum() ** 2 / c)
    others = rng.dirichlet(np.ones(6), size=2000) * c
    assert np.all(np.sum(a / others, axis=1) >= best)
    d, k = 100, 5
    a2 = np.r_[np.ones(k), np.full(d - k, 1e-9)]
    gain = d * a2.sum() / np.sqrt(a2).sum() ** 2
    assert gain == pytest.approx(d / k, rel=0.01)


def test_eps_outside_the_root_is_negligible_for_gradients_far_above_eps():
    """Chapter 4, 'Where does eps go?': with eps = 1e-8 outside the root the steady-state step at |g| = 1e-6 is
    within 1% of the step with eps = 0; inside the root it is a hundred times smaller."""
    G = np.array([[1e-6]])
    steps = {}
    for key, opt in (("none", cc.rmsprop(lr=0.01, eps=0.0)), ("outside", cc.rmsprop(lr=0.01, eps=1e-8)),
                     ("inside", cc.rmsprop(lr=0.01, eps=1e-8, eps_inside_sqrt=True))):
        traj = cc.run(opt, lambda th: G * np.ones_like(th), np.zeros((1, 1)), 2000)
        steps[key] = abs(traj.thetas[-1, 0, 0] - traj.thetas[-2, 0, 0])
    assert steps["outside"] / steps["none"] > 0.99
    assert steps["inside"] / steps["none"] == pytest.approx(0.01, rel=0.02)


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


GAMMAS = np.array([0.03, 0.1, 0.3, 1.0])
T_DRIFT = 20000


@pytest.fixture(scope="module")
def drift_runs():
    """The chapter's batched run: AdaGrad and RMSProp, four learning rates each, 20,000 steps."""
    drift = _DriftingRavine([0.02, 0.01])
    both = cc.stacked([cc.adagrad(lr=GAMMAS[:, None]), cc.rmsprop(lr=GAMMAS[:, None])], rows=GAMMAS.size)
    traj = cc.run(both, drift, np.zeros((8, 2)), T_DRIFT, record_state=True, record_grads=True)
    centers = drift.center(np.arange(1, T_DRIFT + 1))[:, None, :]
    dist = np.linalg.norm(traj.thetas[1:] - centers, axis=-1)
    two = np.sqrt((dist[1:] ** 2 + dist[:-1] ** 2) / 2)               # row k: step k + 2
    return {"traj": traj, "ada": dist[:, :4], "rms": dist[:, 4:], "ada2": two[:, :4], "rms2": two[:, 4:]}


def test_drift_adagrad_falls_behind_without_bound_for_every_gamma(drift_runs):
    """Chapter 4, fig-ch4-stall: AdaGrad's distance only grows from steps 4, 13, 56, 200 on (gamma = 0.03, 0.1,
    0.3, 1), a larger gamma postponing it; at step 20,000 it is about 427, 377, 228 and 1."""
    ada = drift_runs["ada"]
    last_decrease = [int(np.flatnonzero(np.diff(ada[:, i]) < 0)[-1]) + 2 for i in range(4)]
    assert last_decrease == [4, 13, 56, 200]
    assert last_decrease == sorted(last_decrease)
    np.testing.assert_allclose(ada[-1], [427, 377, 228, 1.0], rtol=0.01)
    assert np.all(ada[-1] > ada[T_DRIFT // 2] ) and np.all(ada[T_DRIFT // 2] > ada[T_DRIFT // 4])


def test_drift_adagrad_travel_bound(drift_runs):
    """Chapter 4, the Cauchy-Schwarz argument: AdaGrad's travel in each coordinate after T steps is at most
    gamma sqrt(T (1 + ln(s_T / s_1)))."""
    traj = drift_runs["traj"]
    s = traj.states[0].s                                          # (T, 4, 2)
    travel = np.abs(np.diff(traj.thetas[:, :4], axis=0)).sum(axis=0)
    T = traj.steps
    bound = GAMMAS[:, None] * np.sqrt(T * (1 + np.log(s[-1] / s[0])))
    assert np.all(travel <= bound)
    g = traj.grads[:, :4]
    ratio_sum = (g**2 / s).sum(axis=0)
    assert np.all(ratio_sum <= 1 + np.log(s[-1] / s[0]) + 1e-9)


def test_drift_rmsprop_stays_bounded_in_a_cycle_of_rms_gamma_over_sqrt2(drift_runs):
    """Chapter 4: after step 1000 RMSProp's distance stays below 1.5 gamma; the two-step root-mean-square distance
    ends within 1% of gamma / sqrt(2); its effective rates (gamma = 0.1) end at 2 / lambda = 1 and 0.2; its spikes
    (above twice the final level) lie between steps 200 and 1000."""
    rms, rms2 = drift_runs["rms"], drift_runs["rms2"]
    assert np.all(rms[999:] < 1.5 * GAMMAS)
    np.testing.assert_allclose(rms2[-1], GAMMAS / np.sqrt(2), rtol=0.01)
    s = drift_runs["traj"].states[1].s
    np.testing.assert_allclose(0.1 / (np.sqrt(s[-1, 1]) + 1e-8), [1.0, 0.2], rtol=0.01)
    spikes = np.flatnonzero((rms > 2 * rms2[-1]).any(axis=1)) + 1
    spikes = spikes[spikes > 100]
    assert 200 <= spikes.min() and spikes.max() < 1000


def test_drift_every_adagrad_run_ends_behind_rmsprop_and_the_crossing_comes_later_for_larger_gamma(drift_runs):
    """Chapter 4: AdaGrad stays behind RMSProp (two-step root mean square) from steps 5, 19, ~1200, ~18300 on;
    the last two about 15 times apart; at step 3000 AdaGrad with gamma = 1 is still closer than every RMSProp run."""
    ada2, rms2 = drift_runs["ada2"], drift_runs["rms2"]
    assert np.all(ada2[-1] > rms2[-1])
    first_behind = [int(np.flatnonzero(ada2[:, i] <= rms2[:, i])[-1]) + 3 for i in range(4)]
    assert first_behind[:2] == [5, 19]
    assert round(first_behind[2], -2) == 1200 and round(first_behind[3], -2) == 18300
    assert first_behind == sorted(first_behind)
    assert round(first_behind[3] / first_behind[2]) == 15 > (1 / 0.3) ** 2
    assert ada2[2998, 3] < rms2[2998].min()


def test_drift_adagrad_effective_rate_falls_faster_than_one_over_sqrt_t(drift_runs):
    """Chapter 4: between steps 100 and 20,000, AdaGrad's rate on theta_1 (gamma = 0.1) fell by ~5e4 >> sqrt(200)."""
    s = drift_runs["traj"].states[0].s
    rate = 0.1 / (np.sqrt(s[:, 1, 0]) + 1e-10)
    drop = rate[99] / rate[-1]
    assert drop > 1000 * np.sqrt(T_DRIFT / 100)
    assert round(drop, -3) == 54000
    assert np.all(np.diff(rate) <= 0)                            # AdaGrad's effective rate never rises
    start_rates = 0.1 / (np.sqrt(s[0, 1]) + 1e-10)
    np.testing.assert_allclose(start_rates, [2.5, 1.0], rtol=1e-6)   # the figure's right panel: from 2.5 and 1 ...
    assert np.all(0.1 / (np.sqrt(s[-1, 1]) + 1e-10) < 1e-5)         # ... to about 1e-6


def test_rmsprop_on_the_fixed_ravine_converges_then_cycles():
    """Chapter 4, ch4-constant-lr: with gamma = 0.05 and rho = 0.99 the loss falls below 1e-100 within 300 steps
    and is back at 6 (gamma / 2)^2 by step 3000, at theta = +-(gamma/2, gamma/2) with rates 2 / lambda; rho = 0.5
    and 0.9 end in the same cycle; rho = 0.999 is still below 1e-40 at step 3000 and joins the cycle later."""
    rhos = np.array([0.0, 0.5, 0.9, 0.99, 0.999])
    traj = cc.run(cc.rmsprop(lr=0.05, rho=rhos[:, None]), cc.ravine(), np.ones((5, 2)), 3000, record_state=True)
    assert traj.losses[:301, 3].min() < 1e-100
    np.testing.assert_allclose(traj.losses[-1, 1:4], 6 * 0.025**2, rtol=1e-3)
    np.testing.assert_allclose(np.abs(traj.thetas[-1, 3]), [0.025, 0.025], rtol=1e-3)
    np.testing.assert_allclose(traj.thetas[-1, 3], -traj.thetas[-2, 3], rtol=1e-3)
    np.testing.assert_allclose(0.05 / (np.sqrt(traj.states.s[-1, 3]) + 1e-8), [1.0, 0.2], rtol=1e-3)
    assert traj.losses[-1, 4] < 1e-40
    # the player's numbers at step 150: sign descent jitters at 7.1e-4; rho = 0.99, 0.999 far lower
    assert traj.losses[150, 0] == pytest.approx(7.1e-4, rel=0.01)
    assert traj.losses[150, 3] < 1e-100 and traj.losses[150, 4] < 1e-100
    assert np.all(traj.thetas[1, 4] < 0)                          # rho = 0.999: the first step crosses the valley
    later = cc.run(cc.rmsprop(lr=0.05, rho=0.999), cc.ravine(), [1.0, 1.0], 15000)
    assert later.losses[-1] > 1e-3
    # a decaying learning rate shrinks the cycle: below 1e-5 over steps 2001-3000, also from a perturbed start
    for start in ([1.0, 1.0], [1.0 - 1e-14, 1.0]):
        decaying = cc.run(cc.rmsprop(lr=lambda t: 0.05 * min(1.0, 100 / t)), cc.ravine(), start, 3000)
        assert decaying.losses[2000:].max() < 1e-5 < traj.losses[-1, 3]


def test_rmsprop_noise_floor_and_a_decaying_learning_rate():
    """Chapter 4, fig-ch4-noise-floor: with sigma = 1, gamma = 0.01 stalls near d gamma sigma / 4 = 0.005;
    gamma = 0.001 is still above its floor (5e-4) at step 2000; the decaying rate starts like 0.01 and ends below
    both constants."""
    seeds = 32
    constant = np.repeat([0.01, 0.001, np.nan], seeds)[:, None]
    schedule = lambda t: np.where(np.isnan(constant), 0.01 * min(1.0, 100 / t), constant)  # noqa: E731
    noisy = cc.stochastic(cc.ravine(), noise=1.0, rng=2012)
    traj = cc.run(cc.rmsprop(lr=schedule), noisy, np.ones((constant.size, 2)), 2000, record_grads=False)
    mean = traj.losses.reshape(2001, 3, seeds).mean(axis=-1)
    floor = mean[-500:].mean(axis=0)
    assert floor[0] == pytest.approx(2 * 0.01 / 4, rel=0.2)
    assert mean[-1, 1] > 2 * 0.001 / 4 and mean[1000, 1] > mean[-1, 1]
    assert mean[-1, 2] < min(mean[-1, 0], mean[-1, 1])
    assert mean[-1, 2] < 0.2 * floor[0]
    assert mean[100, 2] == pytest.approx(mean[100, 0], rel=0.3)
    # the stochastic floor model: noise-dominated s_t, stationary variance gamma sigma / (2 lambda) per coordinate
    lam = np.array([2.0, 10.0])
    assert 0.5 * np.sum(lam * 0.01 / (2 * lam)) == pytest.approx(2 * 0.01 / 4)


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
