"""The lecture's claims, checked on coursecode.

Each test's docstring names the chapter and the claim. Where the lecture states a
claim loosely ("capped by gamma", "net change +gamma"), the test checks what is
exactly true and says so, so the chapters can quote the numbers.
"""
from __future__ import annotations

import numpy as np

import coursecode as cc


# -- Preconditioning ---------------------------------------------------------------------
def test_preconditioned_gradient_of_the_lecture_example():
    """Preconditioning: for f = 1/2 (10 x^2 + y^2) at theta_0 = (1, 10), g_0 = [10, 10]
    and with P = H the preconditioned gradient is P^{-1} g_0 = [1, 10]; one step
    theta_0 - P^{-1} g_0 lands on the minimizer."""
    f = cc.quadratic([10, 1])
    theta0 = np.array([1.0, 10.0])
    g0 = f.grad(theta0)
    H = f.hessian(theta0)
    np.testing.assert_array_equal(g0, [10.0, 10.0])
    np.testing.assert_array_equal(H, [[10.0, 0.0], [0.0, 1.0]])
    pg = np.linalg.solve(H, g0)
    np.testing.assert_allclose(pg, [1.0, 10.0], rtol=1e-15)
    np.testing.assert_allclose(theta0 - pg, f.minimizer, atol=1e-14)
    # plain gradient descent with the largest stable lr (< 2/10) does not get there in one step
    assert np.linalg.norm(theta0 - 0.19 * g0 - f.minimizer) > 5


# -- Adam's properties -------------------------------------------------------------------
def test_bias_correction_makes_the_first_moments_unbiased():
    """Adam's properties, Property I (bias correction): for stationary gradients with
    E[g] = mu, E[g^2] = nu, E[m_t] = (1 - beta1^t) mu and E[m_hat_t] = mu,
    E[v_t] = (1 - beta2^t) nu and E[v_hat_t] = nu. Seeded Monte Carlo over 200,000
    independent runs (one per coordinate), first 10 steps."""
    rng = np.random.default_rng(10)
    n, mu, sigma, beta1, beta2 = 200_000, 0.5, 2.0, 0.9, 0.999
    nu = mu**2 + sigma**2
    opt = cc.adam(lr=1e-3, beta1=beta1, beta2=beta2)
    theta, state = np.zeros(n), opt.init(np.zeros(n))
    for t in range(1, 11):
        g = mu + sigma * rng.standard_normal(n)
        theta, state = opt.step(theta, g, state)
        m, v = state.m, state.v
        # standard error of the mean of m_t: Var(m_t) = sigma^2 (1-b1)^2 (1 - b1^2t) / (1 - b1^2)
        se_m = sigma * (1 - beta1) * np.sqrt((1 - beta1 ** (2 * t)) / (1 - beta1**2) / n)
        assert abs(m.mean() - (1 - beta1**t) * mu) < 5 * se_m, t
        m_hat = m / (1 - beta1**t)                               # line 4 of the algorithm
        assert abs(m_hat.mean() - mu) < 5 * se_m / (1 - beta1**t), t
        v_hat = v / (1 - beta2**t)                               # line 5
        assert abs(v_hat.mean() - nu) < 0.02 * nu, t
        if t == 1:  # without the correction the estimate is off by a factor of ten
            assert abs(m.mean() - mu) > 100 * se_m


def _adam_run(c, eps, steps=400):
    """Adam on f = 1/2 (10 x^2 + y^2) with seeded noise, every gradient multiplied by c."""
    rng = np.random.default_rng(11)
    noise = rng.normal(0.0, 0.5, (steps, 2))
    f = cc.quadratic([10, 1])
    opt = cc.adam(lr=0.05, eps=eps)
    theta, state = np.array([1.0, 1.0]), opt.init(np.zeros(2))
    out = [theta]
    for k in range(steps):
        theta, state = opt.step(theta, c * (f.grad(theta) + noise[k]), state)
        out.append(theta)
    return np.stack(out)


def test_adam_is_invariant_to_the_gradient_scale():
    """Adam's properties, Property II (scale invariance): multiplying every gradient by
    c > 0 multiplies m_hat by c and sqrt(v_hat) by c, so with eps negligible the whole
    trajectory is unchanged, for c from 1e-3 to 1e3. Plain gradient descent's is not."""
    reference = _adam_run(1.0, eps=0.0)
    for c in [1e-3, 1e-2, 0.1, 10.0, 1e2, 1e3]:
        np.testing.assert_allclose(_adam_run(c, eps=0.0), reference, rtol=1e-9, atol=1e-12, err_msg=f"c={c}")
    # with the default eps = 1e-8 the invariance breaks once c |g| is near eps
    assert np.max(np.abs(_adam_run(1e-8, eps=1e-8) - reference)) > 0.1

    f = cc.quadratic([10, 1])
    small, one, large = (cc.run(cc.gd(lr=0.05), lambda th, c=c: c * f.grad(th), [1.0, 1.0], 100)
                         for c in [1e-3, 1.0, 1e3])
    assert np.linalg.norm(small.final - [1.0, 1.0]) < 0.1   # tiny gradients: hardly moves
    assert np.linalg.norm(one.final) < 0.01                  # c = 1: converges
    assert large.diverged and not one.diverged               # huge gradients: diverges


def test_adam_step_is_exactly_capped_by_lr_when_beta1_equals_beta2():
    """Adam's properties, Property III (bounded step), the exact case: Cauchy-Schwarz on
    the EMA gives |m_hat_t| <= sqrt(v_hat_t) for every t when beta1 = beta2, whatever the
    gradients (heavy-tailed, sparse), so |Delta theta_i| <= gamma at every step."""
    rng = np.random.default_rng(12)
    lr, beta = 0.01, 0.95
    gs = rng.standard_t(1.5, (2000, 6)) * (rng.random((2000, 6)) < 0.2)   # heavy-tailed and sparse
    gs[0] = 1.0                                     # no all-zero history (0/0 with eps = 0)
    opt = cc.adam(lr=lr, beta1=beta, beta2=beta, eps=0.0)
    theta, state = np.zeros(6), opt.init(np.zeros(6))
    largest = 0.0
    for g in gs:
        new, state = opt.step(theta, g, state)
        largest = max(largest, float(np.max(np.abs(new - theta))))
        theta = new
    assert largest <= lr * (1 + 1e-12)
    assert largest > 0.99 * lr                      # and the cap is reached


def test_adam_step_is_about_lr_in_the_stationary_regime():
    """Adam's properties, Property III (bounded step) and IV (noise-to-signal ratio), with
    the default betas: after burn-in, with stationary gradients of any noise-to-signal
    ratio, E[m_hat^2] <= E[v_hat] (Cauchy-Schwarz in expectation), the mean step is at
    most gamma and the largest below 1.5 gamma; noisy coordinates (high NSR) take
    smaller steps. The cap is not literal: with little noise about half the steps
    exceed gamma by a fraction of a percent, and at NSR = 1 the largest is 1.35 gamma."""
    rng = np.random.default_rng(13)
    lr, steps, burn_in = 1e-3, 6000, 1000
    mu = np.array([1.0, 1.0, 1.0, 1.0, 0.1, 0.0, -1.0])
    sigma = np.array([0.0, 0.01, 0.1, 1.0, 1.0, 1.0, 3.0])       # NSR 0 .. infinity
    opt = cc.adam(lr=lr)
    theta, state = np.zeros(7), opt.init(np.zeros(7))
    dtheta, m2, v_hat = [], [], []
    for _ in range(steps):
        new, state = opt.step(theta, mu + sigma * rng.standard_normal(7), state)
        dtheta.append(np.abs(new - theta))
        m2.append((state.m / (1 - 0.9**state.t)) ** 2)
        v_hat.append(state.v / (1 - 0.999**state.t))
        theta = new
    dtheta = np.array(dtheta[burn_in:])
    assert np.all(np.mean(m2[burn_in:], axis=0) <= np.mean(v_hat[burn_in:], axis=0))
    assert np.all(dtheta.mean(axis=0) <= lr)
    assert np.all(dtheta.max(axis=0) <= 1.5 * lr)
    assert np.all(np.diff(dtheta.mean(axis=0)[:4]) < 0)          # more noise, smaller steps
    assert dtheta.mean(axis=0)[5] < 0.3 * lr                      # pure noise: small steps
    assert np.mean(dtheta[:, 1] > lr) > 0.3                       # the cap is approximate


def test_a_sparse_spike_gives_a_step_of_3_16_lr():
    """Adam's properties, the limit of Property III (Kingma & Ba, Section 2.1): after a long
    run of (near-)zero gradients a single spike moves theta by
    gamma (1 - beta1) / sqrt(1 - beta2), 3.16 gamma at the defaults: outside the
    stationary regime the cap does not hold."""
    lr = 1e-3
    opt = cc.adam(lr=lr, eps=0.0)
    theta, state = np.zeros(1), opt.init(np.zeros(1))
    for _ in range(200):
        theta, state = opt.step(theta, np.array([1e-12]), state)
    # the state after 20,000 such steps, when beta2^t has vanished and the corrections are 1
    # (an EMA of a constant is that constant): skipping the loop saves seconds
    state = state._replace(t=20_000, m=np.array([1e-12]), v=np.array([1e-24]))
    before = theta
    theta, state = opt.step(theta, np.array([5.0]), state)
    np.testing.assert_allclose(before - theta, lr * 0.1 / np.sqrt(0.001), rtol=1e-6)


# -- AMSGrad and the non-convergence counterexample ------------------------------------------
def test_adam_drifts_to_the_wrong_end_of_the_c_minus1_minus1_cycle():
    """AMSGrad chapter, the lecture's counterexample (Reddi et al. Section 3): f_t = C x
    once, then -x twice, on [-1, 1], C = 3; with beta1 = 0 and beta2 = 1/(1 + C^2) Adam
    ends at +1, the worst point, while AMSGrad ends near the optimum -1 with a much
    smaller average regret. In the interior Adam's net change over one cycle is
    positive; the lecture's '+gamma' is a rough count: it is 0.68 gamma for C = 3."""
    C, lr, steps = 3.0, 0.01, 2000
    problem = cc.reddi_cycle(C=C)
    kw = dict(lr=lr, beta1=0.0, beta2=1 / (1 + C**2))
    adam = cc.run(cc.adam(**kw), problem, [0.0], steps)
    ams = cc.run(cc.amsgrad(**kw), problem, [0.0], steps)
    assert adam.final[0] > 0.99 and np.max(adam.thetas[-3:]) == 1.0   # at +1 once per cycle
    assert ams.final[0] < -0.98
    assert adam.regret()[-1] / steps > 0.5
    assert ams.regret()[-1] / steps < 0.1

    drift = adam.thetas[303, 0] - adam.thetas[300, 0]     # one cycle (steps 301..303) in the interior
    assert -1 < adam.thetas[300, 0] < adam.thetas[303, 0] < 1
    assert 0.6 * lr < drift < 0.75 * lr


def _online(opt, problem, steps):
    """The online loop written out (play x_t, see c_t, step, project); faster than run."""
    x, state = np.zeros(1), opt.init(np.zeros(1))
    c = problem.coefficient(np.arange(1, steps + 1))
    xs = np.empty(steps)
    for t in range(steps):
        xs[t] = x[0]
        x, state = opt.step(x, c[t : t + 1], state)
        x = np.clip(x, -1.0, 1.0)
    return xs, x[0]


def test_reddi_section5_adam_goes_to_plus1_amsgrad_to_minus1():
    """AMSGrad chapter, Reddi et al. Section 5 synthetic experiment: f_t = 1010 x when
    t mod 101 = 1, else -10 x, on [-1, 1]; beta1 = 0.9, beta2 = 0.99,
    gamma_t = 0.5 / sqrt(t), x_0 = 0. Adam settles at the wrong end, +1; AMSGrad goes
    the other way (the optimum is -1: each period sums to +10). 20,000 steps here:
    AMSGrad is past -0.8 and still descending (references.md: -0.997 after 1e6 steps)."""
    problem = cc.reddi_spike()
    kw = dict(lr=lambda t: 0.5 / np.sqrt(t), beta1=0.9, beta2=0.99)
    steps = 20_000
    xs_adam, adam = _online(cc.adam(**kw), problem, steps)
    xs_ams, ams = _online(cc.amsgrad(**kw), problem, steps)
    assert adam > 0.99
    assert ams < -0.8
    assert np.all(xs_ams[steps // 2 :] < -0.75)
    assert xs_ams[-5000:].mean() < xs_ams[-10000:-5000].mean()      # still heading for -1
    regret_adam = problem.regret(xs_adam[:, None])[-1] / steps
    regret_ams = problem.regret(xs_ams[:, None])[-1] / steps
    assert regret_ams < 0.7 * regret_adam
