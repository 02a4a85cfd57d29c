"""Claims made in chapter 2 (chapters/02_momentum.ipynb), checked against coursecode."""
from __future__ import annotations

import numpy as np
import pytest

import coursecode as cc
from coursecode import exercises
from coursecode.homework import ch2


def spectral_radius(alpha, beta, lam):
    """rho of the chapter's iteration matrix M(lambda), eq-ch2-matrix (arrays broadcast)."""
    alpha, beta, lam = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (alpha, beta, lam)))
    M = np.zeros(alpha.shape + (2, 2))
    M[..., 0, 0] = 1 + beta - alpha * lam
    M[..., 0, 1] = -beta
    M[..., 1, 0] = 1.0
    return np.abs(np.linalg.eigvals(M)).max(axis=-1)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.99])
def test_ema_weights_sum_and_memory(beta):
    """eq-ch2-unrolled: the weights (1-beta) beta^k of t gradients add up to 1 - beta^t;
    a constant gradient g gives v_t = (1 - beta^t) g (ex-ch2-ema-memory)."""
    opt = cc.momentum(lr=0.0, beta=beta)
    theta, state = np.zeros(1), opt.init(np.zeros(1))
    for t in range(1, 31):
        theta, state = opt.step(theta, np.array([2.0]), state)
        assert state.v[0] == pytest.approx(2.0 * (1 - beta**t), rel=1e-12, abs=1e-15)


def test_ema_equals_heavy_ball_with_scaled_lr():
    """eq-ch2-equiv: EMA momentum with lr gamma equals the heavy ball with alpha = gamma (1 - beta),
    and both equal Polyak's two-step recursion eq-ch2-polyak started with theta_{-1} = theta_0."""
    problem = cc.rotated_ravine(kappa=50)
    gamma, beta, n = 0.1, 0.8, 100
    ema = cc.run(cc.momentum(lr=gamma, beta=beta), problem, [1.0, 1.0], n).thetas
    heavy = cc.run(cc.momentum(lr=gamma * (1 - beta), beta=beta, form="heavy_ball"), problem, [1.0, 1.0], n)
    np.testing.assert_allclose(ema, heavy.thetas, rtol=0, atol=1e-13)
    theta = prev = np.array([1.0, 1.0])
    polyak = [theta]
    for _ in range(n):
        theta, prev = theta - gamma * (1 - beta) * problem.grad(theta) + beta * (theta - prev), theta
        polyak.append(theta)
    np.testing.assert_allclose(ema, np.array(polyak), rtol=0, atol=1e-13)


@pytest.mark.parametrize("mu, L", [(2.0, 10.0), (1.0, 100.0), (1.0, 1e4)])
def test_optimal_pair_reaches_the_rate_and_nothing_beats_it(mu, L):
    """thm-ch2-optimal: at (alpha*, beta*) every eigenvalue in [mu, L] contracts by
    (sqrt(kappa)-1)/(sqrt(kappa)+1); on a grid of other pairs the worst rate is never smaller."""
    alpha, beta, rate = ch2.optimal_pair(mu, L)
    kappa = L / mu
    assert rate == pytest.approx((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1))
    for lam in np.linspace(mu, L, 7):
        assert spectral_radius(alpha, beta, lam) == pytest.approx(rate, rel=1e-6)
    a, b = np.meshgrid(np.linspace(0.05, 4.0, 200) / L, np.linspace(0.0, 0.99, 200))
    worst = np.maximum(spectral_radius(a, b, mu), spectral_radius(a, b, L))
    assert worst.min() >= rate - 1e-12


def test_optimal_pair_rate_is_measured_by_a_run():
    """thm-ch2-optimal on the ravine: the loss of the heavy ball at (alpha*, beta*) decays like rate^(2t)
    up to the polynomial factor of a double root."""
    ravine = cc.ravine()
    alpha, beta, rate = ch2.optimal_pair(2.0, 10.0)
    traj = cc.run(cc.momentum(lr=alpha, beta=beta, form="heavy_ball"), ravine, [1.0, 1.0], 200)
    measured = (traj.losses[200] / traj.losses[100]) ** (1 / 200)
    assert rate < measured < rate * 1.01


@pytest.mark.parametrize("beta", [0.0, 0.3, 0.9])
def test_stability_edge(beta):
    """ex-ch2-stability: the heavy ball on lambda theta^2/2 converges iff 0 < alpha lambda < 2 (1 + beta)."""
    lam = 10.0
    edge = 2 * (1 + beta) / lam
    assert spectral_radius(0.999 * edge, beta, lam) < 1
    assert spectral_radius(1.001 * edge, beta, lam) > 1


def test_beta_09_is_optimal_for_kappa_about_1442():
    """Chapter 2's remark: beta* = 0.9 exactly when kappa = ((1 + sqrt 0.9) / (1 - sqrt 0.9))^2."""
    _, beta, _ = ch2.optimal_pair(1.0, ch2.KAPPA_FOR_09)
    assert beta == pytest.approx(0.9, rel=1e-12)
    assert 1441 < ch2.KAPPA_FOR_09 < 1443


def steps_to(losses, threshold):
    """The chapter's count: the step from which on the loss stays below threshold (None if never)."""
    above = np.nonzero(~(np.asarray(losses) < threshold))[0]
    if above.size == 0:
        return 0
    return int(above[-1]) + 1 if above[-1] + 1 < len(losses) else None


def test_momentum_escapes_plateau_and_saddle_faster():
    """fig-ch2-flat: with the same weight on the newest gradient, momentum (beta = 0.9) settles at the
    bottom of the plateau and of the saddle in fewer steps than GD (more than twice as fast on the
    plateau), and it first gets there earlier still, then overshoots and comes back."""
    for problem, start, a, threshold, n, factor in [(cc.plateau(), [4.0, 1.0], 1.0, 0.01, 500, 2),
                                                    (cc.saddle(), [1.0, 1e-4], 0.05, -0.49, 200, 1)]:
        gd = cc.run(cc.gd(lr=a), problem, start, n)
        mom = cc.run(cc.momentum(lr=a / (1 - 0.9), beta=0.9), problem, start, n)
        k_gd, k_mom = steps_to(gd.losses, threshold), steps_to(mom.losses, threshold)
        assert k_gd is not None and k_mom is not None and factor * k_mom < k_gd
        first = int(np.argmax(mom.losses < threshold))
        assert first < k_mom and mom.losses[first:k_mom].max() >= threshold   # overshoot, then settle
    # the alt text's numbers
    mom = cc.run(cc.momentum(lr=10.0, beta=0.9), cc.plateau(), [4.0, 1.0], 500)
    first = int(np.argmax(mom.losses < 0.01))
    assert 0.4 < mom.losses[first:].max() < 0.6


def test_ravine_runs_order_like_their_rates():
    """Chapter 2's ravine: steps to stay below 1e-6 order as beta 0.3 < 0.5 < GD < 0.9, and the
    spectral-radius rates at alpha = 0.18 order the same way."""
    ravine, alpha, theta0 = cc.ravine(), 0.18, [-1.0, 0.6]
    steps = {0.0: steps_to(cc.run(cc.gd(lr=alpha), ravine, theta0, 150).losses, 1e-6)}
    for b in (0.3, 0.5, 0.9):
        steps[b] = steps_to(cc.run(cc.momentum(lr=alpha / (1 - b), beta=b), ravine, theta0, 150).losses, 1e-6)
    rates = {b: max(spectral_radius(alpha, b, 2.0), spectral_radius(alpha, b, 10.0)) for b in steps}
    order = [0.3, 0.5, 0.0, 0.9]
    assert [steps[b] for b in order] == sorted(steps.values())
    assert [rates[b] for b in order] == sorted(rates.values())
    assert rates[0.9] == pytest.approx(np.sqrt(0.9))


def test_velocity_is_smoother_than_the_gradients():
    """cell d66aa124: the velocity's std is sqrt((1-beta)/(1+beta)) of the gradients' (within 5 %);
    after 50 steps beta = 0.99 is near the bias factor 1 - 0.99^50, well below the mean 1."""
    g_seq = 1.0 + np.random.default_rng(2).standard_normal(4000)
    opt = cc.momentum(lr=0.0, beta=np.array([[0.9], [0.99]]))
    theta, state, hist = np.zeros((2, 1)), opt.init(np.zeros((2, 1))), []
    for g in g_seq:
        theta, state = opt.step(theta, np.full((2, 1), g), state)
        hist.append(state.v[:, 0])
    hist = np.array(hist)
    ratio, formula = hist[100:, 0].std(), np.sqrt(0.1 / 1.9)
    assert ratio < 1 and abs(ratio / formula - 1) < 0.05
    assert abs(hist[49, 1] - (1 - 0.99**50)) < 0.05 and hist[49, 1] < 0.5


def test_newest_memory_carries_about_two_thirds():
    """The newest N_beta gradients carry roughly two thirds of the weight, close to 1 - 1/e."""
    for beta in (0.9, 0.99):
        share = 1 - beta ** round(1 / (1 - beta))
        assert 0.6 < share < 0.7 and abs(share - (1 - np.exp(-1))) < 0.02


# -- three forms, PyTorch's buffer, dampening -----------------------------------------------

def torch_sgd(grad, theta0, lr, momentum, steps, dampening=0.0, nesterov=False):
    """torch.optim.SGD's documented update by hand: b_1 = g_1, then b = mu b + (1 - dampening) g."""
    theta, buf = np.asarray(theta0, dtype=float), None
    thetas, bufs = [theta], []
    for t in range(1, steps + 1):
        g = grad(theta, t)
        buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
        theta = theta - lr * (g + momentum * buf if nesterov else buf)
        thetas.append(theta)
        bufs.append(buf)
    return np.array(thetas), np.array(bufs)


def test_three_forms_and_polyak_elimination():
    """The EMA with gamma, the heavy ball and PyTorch's buffer with alpha = gamma (1 - beta) agree; Polyak's
    recursion holds along the run; alpha b_{t-1} is the previous displacement, alpha beta b_{t-1} is not."""
    ravine, gamma, beta, n = cc.ravine(), 0.5, 0.9, 50
    alpha = gamma * (1 - beta)
    ema = cc.run(cc.momentum(lr=gamma, beta=beta), ravine, [-1.0, 0.6], n)
    heavy = cc.run(cc.momentum(lr=alpha, beta=beta, form="heavy_ball"), ravine, [-1.0, 0.6], n)
    thetas, bufs = torch_sgd(lambda th, t: ravine.grad(th), [-1.0, 0.6], alpha, beta, n)
    np.testing.assert_allclose(ema.thetas, heavy.thetas, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ema.thetas, thetas, rtol=0, atol=1e-12)
    th, gr = ema.thetas, ema.grads
    polyak = th[1:-1] - alpha * gr[1:] + beta * (th[1:-1] - th[:-2])
    np.testing.assert_allclose(th[2:], polyak, rtol=0, atol=1e-12)
    displacement = th[:-2] - th[1:-1]
    np.testing.assert_allclose(alpha * bufs[:-1], displacement, rtol=0, atol=1e-12)
    rel = np.abs(alpha * beta * bufs[:-1] - displacement).max() / np.abs(displacement).max()
    assert rel == pytest.approx(1 - beta, rel=1e-6)


def test_dampening_is_the_ema_started_at_the_first_gradient():
    """The warning: SGD(dampening=beta) keeps b_t = v_t + beta^t g_1 (not v_t / (1 - beta) + beta^t g_1),
    so its first step is 1 / (1 - beta) times the EMA's."""
    beta, n = 0.9, 50
    G = np.random.default_rng(5).standard_normal((n, 3))
    _, damped = torch_sgd(lambda th, t: G[t - 1], np.zeros(3), 0.5, beta, n, dampening=beta)
    opt = cc.momentum(lr=0.5, beta=beta)
    state, v = opt.init(np.zeros(3)), []
    for g in G:
        _, state = opt.step(np.zeros(3), g, state)
        v.append(state.v)
    v = np.array(v)
    beta_t = beta ** np.arange(1, n + 1)[:, None]
    np.testing.assert_allclose(damped, v + beta_t * G[0], rtol=0, atol=1e-12)
    assert np.abs(damped - (v / (1 - beta) + beta_t * G[0])).max() > 1.0
    assert np.abs(damped[0]).max() / np.abs(v[0]).max() == pytest.approx(1 / (1 - beta))


# -- the rate map and the explorer -----------------------------------------------------------

def test_rate_map_gaps_sit_where_all_roots_are_complex_and_best_cell_respects_the_bound():
    """The chapter's rate map (200 x 200 heavy-ball runs, 60 steps): the largest 1 % of the gaps between
    measured and predicted rates lie (>= 90 %) where both eigen-directions have complex roots; the
    fastest measured cell is at or just above the theorem's rate."""
    mu, L, n, T = 2.0, 10.0, 200, 60
    A, B = np.meshgrid(np.linspace(0.002, 0.42, n), np.linspace(0.0, 0.99, n))
    run = cc.run(cc.momentum(lr=A.reshape(-1, 1), beta=B.reshape(-1, 1), form="heavy_ball"), cc.ravine(),
                 np.tile([1.0, 1.0], (n * n, 1)), T, record_grads=False, max_abs=1e300)
    late, mid = run.losses[T - 10:].max(axis=0), run.losses[T // 2 - 10:T // 2 + 1].max(axis=0)
    measured = ((late / mid) ** (1 / (2 * (T - T // 2)))).reshape(n, n)
    predicted = np.maximum(spectral_radius(A, B, mu), spectral_radius(A, B, L))
    diff = np.abs(measured - predicted)
    both_complex = ((1 + B - A * mu) ** 2 < 4 * B) & ((1 + B - A * L) ** 2 < 4 * B)
    top = diff > np.percentile(diff, 99)
    assert both_complex[top].mean() >= 0.9 > both_complex.mean()
    _, _, rate_star = ch2.optimal_pair(mu, L)
    assert rate_star - 1e-3 <= measured.min() < rate_star + 0.01


def test_explorer_frame_at_beta_star_is_fastest():
    """The pre-computed explorer: at alpha*, the frame beta* has the smallest predicted rate."""
    alpha, beta_star, _ = ch2.optimal_pair(2.0, 10.0)
    frames = np.unique(np.r_[np.linspace(0.0, 0.95, 11), beta_star])
    rates = np.maximum(spectral_radius(alpha, frames, 2.0), spectral_radius(alpha, frames, 10.0))
    assert frames[np.argmin(rates)] == beta_star and int(np.argmin(rates)) == 2


# -- Nesterov ------------------------------------------------------------------------------

def nesterov_radius(alpha, beta, lam):
    alpha, beta, lam = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (alpha, beta, lam)))
    M = np.zeros(alpha.shape + (2, 2))
    M[..., 0, 0] = (1 + beta) * (1 - alpha * lam)
    M[..., 0, 1] = -beta * (1 - alpha * lam)
    M[..., 1, 0] = 1.0
    return np.abs(np.linalg.eigvals(M)).max(axis=-1)


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_nesterov_equals_torch_update_lookahead_and_two_step_forms(weight_decay):
    """sec-ch2-nesterov: momentum(nesterov=True) in the EMA form (lr alpha / (1 - beta)) and in the
    heavy-ball form (lr alpha) equal PyTorch's update by hand and Sutskever's look-ahead form (its
    points theta + beta u), and obey the two-step form eq-ch2-nag-polyak."""
    ravine, alpha, beta, n = cc.ravine(), 0.1, 0.9, 60
    grad = lambda th: ravine.grad(th) + weight_decay * th  # noqa: E731
    kw = dict(weight_decay=weight_decay, nesterov=True)
    ema = cc.run(cc.momentum(lr=alpha / (1 - beta), beta=beta, **kw), ravine, [-1.0, 0.6], n)
    hb = cc.run(cc.momentum(lr=alpha, beta=beta, form="heavy_ball", **kw), ravine, [-1.0, 0.6], n)
    torch_thetas, _ = torch_sgd(lambda th, t: grad(th), [-1.0, 0.6], alpha, beta, n, nesterov=True)
    theta, u, look = np.array([-1.0, 0.6]), np.zeros(2), [np.array([-1.0, 0.6])]
    for _ in range(n):
        u = beta * u - alpha * grad(theta + beta * u)
        theta = theta + u
        look.append(theta + beta * u)
    for other in (hb.thetas, torch_thetas, np.array(look)):
        np.testing.assert_allclose(ema.thetas, other, rtol=0, atol=1e-12)
    th, gr = ema.thetas, ema.grads + weight_decay * ema.thetas[:-1]
    two_step = th[1:-1] - alpha * gr[1:] + beta * (th[1:-1] - th[:-2]) - alpha * beta * (gr[1:] - gr[:-1])
    np.testing.assert_allclose(th[2:], two_step, rtol=0, atol=1e-12)
    plain = cc.run(cc.momentum(lr=alpha / (1 - beta), beta=beta, weight_decay=weight_decay), ravine,
                   [-1.0, 0.6], n)
    assert np.abs(plain.thetas - ema.thetas).max() > 1e-2


def test_nesterov_damps_a_too_heavy_ball_but_not_a_light_one():
    """At alpha = 1/L on the ravine: at beta = 0.9 Nesterov's rate sqrt(0.9 (1 - alpha mu)) is below the heavy
    ball's sqrt(0.9) and it settles in fewer steps; at beta = 0.3 the heavy ball is faster; the best rates over
    beta are nearly equal; the stiff direction's roots vanish."""
    mu, L = 2.0, 10.0
    alpha = 1 / L
    rate = lambda b, f: max(f(alpha, b, mu), f(alpha, b, L))  # noqa: E731
    assert rate(0.9, nesterov_radius) == pytest.approx(np.sqrt(0.9 * (1 - alpha * mu)))
    assert rate(0.9, spectral_radius) == pytest.approx(np.sqrt(0.9))
    assert rate(0.9, nesterov_radius) < rate(0.9, spectral_radius)
    assert rate(0.3, spectral_radius) < rate(0.3, nesterov_radius)
    assert nesterov_radius(alpha, 0.9, L) < 1e-6
    betas = np.linspace(0.0, 0.95, 96)
    best_hb = np.maximum(spectral_radius(alpha, betas, mu), spectral_radius(alpha, betas, L)).min()
    best_nag = np.maximum(nesterov_radius(alpha, betas, mu), nesterov_radius(alpha, betas, L)).min()
    assert abs(best_hb - best_nag) < 0.01
    steps = {nest: steps_to(cc.run(cc.momentum(lr=alpha, beta=0.9, form="heavy_ball", nesterov=nest), cc.ravine(),
                                   [-1.0, 0.6], 150).losses, 1e-6) for nest in (False, True)}
    assert steps[True] is not None and steps[False] is not None and steps[True] < steps[False] / 2


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
def test_nesterov_stability_edge(beta):
    """ex-ch2-nesterov: converges iff 0 < alpha lambda < 2 (1 + beta) / (1 + 2 beta), below the heavy ball's edge."""
    lam = 10.0
    edge = 2 * (1 + beta) / (1 + 2 * beta) / lam
    assert nesterov_radius(0.999 * edge, beta, lam) < 1 < nesterov_radius(1.001 * edge, beta, lam)
    assert edge <= 2 * (1 + beta) / lam


def test_tuned_heavy_ball_beats_tuned_nesterov_on_a_quadratic():
    """The best Nesterov pair on the rate map's grid is close to 1 - 2/sqrt(3 kappa + 1) (Lessard et al.)
    and slower than the heavy ball's optimum (sqrt(kappa) - 1)/(sqrt(kappa) + 1)."""
    mu, L = 2.0, 10.0
    A, B = np.meshgrid(np.linspace(0.002, 0.42, 200), np.linspace(0.0, 0.99, 200))
    best = np.maximum(nesterov_radius(A, B, mu), nesterov_radius(A, B, L)).min()
    formula = 1 - 2 / np.sqrt(3 * L / mu + 1)
    _, _, rate_star = ch2.optimal_pair(mu, L)
    assert formula - 1e-9 <= best < formula + 0.01 and best > rate_star + 0.1


# -- noisy gradients -----------------------------------------------------------------------

def noise_floor(gamma, beta, lam, sigma=1.0):
    lam = np.asarray(lam, dtype=float)
    return float(np.sum(gamma * sigma**2 / (2 * (2 - gamma * lam * (1 - beta) / (1 + beta)))))


@pytest.fixture(scope="module")
def noisy_runs():
    """The chapter's experiment: kappa = 50, sigma = 1, 200 runs of four settings in one batched cc.run."""
    quad = cc.quadratic([1.0, 50.0])
    mu, L = quad.eigenvalues
    a, b = ch2.optimal_pair(mu, L)[:2]
    settings = [(0.004, 0.0), (0.004, 0.9), (2 / (mu + L), 0.0), (a / (1 - b), b)]
    lr = np.repeat([s[0] for s in settings], 200)[:, None]
    beta = np.repeat([s[1] for s in settings], 200)[:, None]
    start = np.tile([1.0, 1.0], (lr.shape[0], 1))
    noisy = cc.run(cc.momentum(lr=lr, beta=beta), cc.stochastic(quad, noise=1.0, rng=7), start, 1500,
                   record_grads=False)
    clean = cc.run(cc.momentum(lr=lr[::200], beta=beta[::200]), quad, start[::200], 1500, record_grads=False)
    mean = noisy.losses.reshape(1501, 4, 200).mean(axis=2)
    return quad, settings, mean, clean.losses


def test_momentum_at_matched_learning_rate_has_sgds_noise_floor_and_speed(noisy_runs):
    """sec-ch2-noise: at gamma = 0.004, SGD and momentum (beta = 0.9) settle within 15 % of each other and
    within 10 % of eq-ch2-floor, momentum slightly lower as the formula says; they reach twice SGD's floor
    within 10 % of the same number of steps."""
    quad, settings, mean, _ = noisy_runs
    floors = mean[-500:].mean(axis=0)
    formula = [noise_floor(g, b, quad.eigenvalues) for g, b in settings]
    for k in range(4):
        assert abs(floors[k] / formula[k] - 1) < 0.1
    assert abs(floors[1] / floors[0] - 1) < 0.15 and formula[1] < formula[0]
    target = 2 * formula[0]
    s_sgd, s_mom = steps_to(mean[:, 0], target), steps_to(mean[:, 1], target)
    assert abs(s_mom / s_sgd - 1) < 0.1
    # fig-ch2-noise's alt text: the noise-free runs end near 3e-6, the noisy SGD is near 0.02 at step 400
    _, _, _, clean = noisy_runs
    assert np.all((1e-6 < clean[-1, :2]) & (clean[-1, :2] < 1e-5))
    assert 0.01 < mean[400, 0] < 0.04 < floors[2]


def test_floor_formula_sgd_and_momentum_coincide_for_small_steps():
    """eq-ch2-floor: the ratio momentum / SGD tends to 1 as gamma lambda -> 0, both to gamma sigma^2 / 4."""
    for gamma in (1e-2, 1e-3, 1e-4):
        sgd, mom = noise_floor(gamma, 0.0, [50.0]), noise_floor(gamma, 0.9, [50.0])
        assert 1 - mom / sgd < gamma * 50 and abs(mom / (gamma / 4) - 1) < gamma * 50


def test_speed_up_without_noise_is_lost_with_noise(noisy_runs):
    """Without noise the tuned heavy ball reaches 1e-6 more than 3 times sooner than the best GD; with noise
    it stalls higher than GD, and both stall more than 100 times above the small-step floor, because the tuned
    heavy ball's effective learning rate is 1/sqrt(mu L)."""
    quad, settings, mean, clean = noisy_runs
    floors = mean[-500:].mean(axis=0)
    hb_clean, gd_clean = steps_to(clean[:, 3], 1e-6), steps_to(clean[:, 2], 1e-6)
    assert hb_clean is not None and gd_clean is not None and 3 * hb_clean < gd_clean
    assert steps_to(mean[:, 3], 2 * floors[0]) is None and steps_to(mean[:, 2], 2 * floors[0]) is None
    assert floors[3] > floors[2] > 100 * floors[0]
    mu, L = quad.eigenvalues
    assert settings[3][0] == pytest.approx(1 / np.sqrt(mu * L)) and settings[3][0] > settings[2][0] > settings[0][0]


# -- the homework -------------------------------------------------------------------------

def test_homework_ids_are_chapter_2_and_registered():
    ids = [e.id for e in ch2.exercises()]
    assert all(i.startswith("ch2-") for i in ids) and len(set(ids)) == len(ids)
    assert set(ids) <= set(exercises.registry())


@pytest.mark.parametrize("qid, right, wrong", [
    ("ch2-memory", "20", ["0.05", "19", "10"]),
    ("ch2-optimal-beta", "81/121", ["0.818", "0.9", "0.98"]),
    ("ch2-stable-lr", "0.3", ["0.2", "0.6"]),
    ("ch2-zigzag", "a", ["b", "c", "d"]),
])
def test_homework_answers(qid, right, wrong):
    ex = exercises.registry()[qid]
    assert ex.check(right).correct
    for answer in wrong:
        feedback = ex.check(answer)
        assert not feedback.correct and feedback.message


def test_homework_update_exercises():
    reg = exercises.registry()

    def polyak_step(theta, theta_prev, g, alpha, beta):
        return theta - alpha * g + beta * (theta - theta_prev)

    def step(theta, v, g, lr, beta):
        v = beta * v + (1 - beta) * g
        return theta - lr * v, v

    assert reg["ch2-heavy-ball-step"].check(polyak_step).correct
    backwards = reg["ch2-heavy-ball-step"].check(lambda th, tp, g, a, b: th - a * g + b * (tp - th))
    assert not backwards.correct and "backwards" in backwards.message
    assert reg["ch2-momentum-step"].check(step).correct

    def nesterov_step(theta, v, g, lr, beta):
        v = beta * v + (1 - beta) * g
        return theta - lr * (beta * v + (1 - beta) * g), v

    assert reg["ch2-nesterov-step"].check(nesterov_step).correct
    plain = reg["ch2-nesterov-step"].check(step)
    assert not plain.correct and "plain momentum" in plain.message
    undamped = reg["ch2-momentum-step"].check(lambda th, v, g, lr, b: (th - lr * (b * v + g), b * v + g))
    assert not undamped.correct and "heavy-ball" in undamped.message


def test_homework_slider_task():
    task = exercises.registry()["ch2-fast-momentum"]
    _, beta, _ = ch2.optimal_pair(2.0, 10.0)
    alpha, _, _ = ch2.optimal_pair(2.0, 10.0)
    assert task.check({"lr": alpha / (1 - beta), "beta": beta}).correct
    assert not task.check({"lr": 1.0, "beta": 0.9}).correct
    assert "diverges" in task.check({"lr": 5.0, "beta": 0.5}).message
