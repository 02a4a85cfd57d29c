"""Claims made in chapter 1 (chapters/01_landscape.ipynb), checked against coursecode.

Each test recomputes what the chapter's prose, captions and alt texts say, with coursecode,
and fails if a comparison in the text flipped.
"""
from __future__ import annotations

import numpy as np
import pytest

import coursecode as cc
from coursecode import learning


# -- the update and its indexing ----------------------------------------------------------
def test_gd_counts_steps_as_the_book_does():
    """eq-gd: theta_t = theta_{t-1} - gamma g_t with g_t = grad f(theta_{t-1}); run() stores
    theta_t in thetas[t] and g_t in grads[t - 1]; the state counts the steps taken."""
    f, lr = cc.ravine(), 0.1
    traj = cc.run(cc.gd(lr=lr), f, [-1.0, 0.8], 5, record_state=True)
    for t in range(1, 6):
        g_t = f.grad(traj.thetas[t - 1])
        np.testing.assert_array_equal(traj.grads[t - 1], g_t)
        np.testing.assert_allclose(traj.thetas[t], traj.thetas[t - 1] - lr * g_t, rtol=0, atol=1e-15)
        np.testing.assert_allclose(traj.losses[t], f.value(traj.thetas[t]), rtol=1e-15)
    opt = cc.gd(lr=lr)
    theta, state = opt.step(np.array([-1.0, 0.8]), f.grad([-1.0, 0.8]), opt.init(np.zeros(2)))
    assert state.t == 1


# -- bowls and ravines -------------------------------------------------------------------
LR = 0.15
START = np.array([-1.0, 0.8])


def test_bowl_and_ravine_curvatures():
    """The bowl has kappa = 1, the ravine kappa = 5 with mu = 2 along x and L = 10 along y."""
    bowl, ravine = cc.bowl(), cc.ravine()
    np.testing.assert_array_equal(np.linalg.eigvalsh(bowl.hessian(bowl.minimizer)), [2.0, 2.0])
    np.testing.assert_array_equal(np.diag(ravine.hessian(ravine.minimizer)), [2.0, 10.0])
    assert bowl.condition_number == 1.0 and ravine.condition_number == 5.0


def test_ravine_demo_zigzags_in_y_while_x_holds_the_run_back():
    """fig-bowl-ravine at lr 0.15: factors 0.70 (x) and -0.50 (y); y flips sign at every step and each
    swing is half the one before; |y_t| < 0.01 from t = 7 on, |x_t| < 0.01 only from t = 13 on, so
    the gentle direction is the slower one; the bowl's path is straight and has exactly the ravine's
    x coordinates."""
    bowl, ravine = cc.bowl(), cc.ravine()
    slow, fast = 1 - LR * 2.0, 1 - LR * 10.0
    assert slow == pytest.approx(0.70) and fast == pytest.approx(-0.50)
    assert abs(slow) > abs(fast)                       # x is the slow coordinate at this lr
    rav = cc.run(cc.gd(lr=LR), ravine, START, 25).thetas
    bwl = cc.run(cc.gd(lr=LR), bowl, START, 25).thetas
    y = rav[:, 1]
    assert np.all(np.sign(y[1:]) == -np.sign(y[:-1]))  # the zigzag
    np.testing.assert_allclose(y[1:] / y[:-1], -0.5, rtol=1e-12)
    np.testing.assert_allclose(rav[1:, 0] / rav[:-1, 0], 0.7, rtol=1e-12)
    y_settled = int(np.argmax(np.abs(y) < 0.01))
    x_settled = int(np.argmax(np.abs(rav[:, 0]) < 0.01))
    assert (y_settled, x_settled) == (7, 13)
    assert np.all(np.abs(y[y_settled:]) < 0.01) and np.all(np.abs(rav[x_settled:, 0]) < 0.01)
    assert abs(y[5]) < 0.03 < abs(rav[5, 0])            # about five swings, then along the floor
    np.testing.assert_array_equal(bwl[:, 0], rav[:, 0])  # same x coordinates
    cross = bwl[:, 0] * START[1] - bwl[:, 1] * START[0]  # on the segment from the start to the origin
    np.testing.assert_allclose(cross, 0.0, atol=1e-15)
    # the bowl could take a much larger step: lr = 1/2 lands on its minimum in one step
    np.testing.assert_array_equal(cc.run(cc.gd(lr=0.5), bowl, START, 1).final, [0.0, 0.0])


def test_one_learning_rate_for_two_curvatures():
    """fig-contraction: GD on the ravine converges iff lr < 2/L = 0.2; the worst factor is smallest,
    (kappa-1)/(kappa+1) = 2/3, at lr = 2/(L+mu) = 1/6; the steep factor is 0 at lr = 0.1."""
    ravine, mu, L = cc.ravine(), 2.0, 10.0
    assert np.linalg.norm(cc.run(cc.gd(lr=0.199), ravine, START, 2000).final) < 1e-6
    grown = cc.run(cc.gd(lr=0.201), ravine, START, 2000)
    assert grown.diverged or np.linalg.norm(grown.final) > 1
    gammas = np.linspace(0.0, 0.25, 24001)            # contains 1/6
    worst = np.maximum(np.abs(1 - gammas * mu), np.abs(1 - gammas * L))
    assert gammas[np.argmin(worst)] == pytest.approx(2 / (L + mu), abs=1e-5)
    assert worst.min() == pytest.approx((L / mu - 1) / (L / mu + 1), abs=1e-5)
    assert worst.min() == pytest.approx(2 / 3, abs=1e-5)
    assert 1 - 0.1 * L == 0.0
    assert 1 - (2 / L) * mu > 0.5                      # the gentle factor at the limit: 1 - 2/kappa


def _steps_for(kappa, reduction=1e-6):
    return int(np.ceil(np.log(reduction) / np.log((kappa - 1) / (kappa + 1))))


def test_steps_a_condition_number_costs():
    """35 steps at kappa = 5, 6908 at kappa = 1000: roughly (kappa/2) ln(1e6) for large kappa."""
    assert _steps_for(5) == 35 and _steps_for(100) == 691 and _steps_for(1000) == 6908
    assert _steps_for(1000) == pytest.approx(1000 / 2 * np.log(1e6), rel=1e-3)


def test_ravine_animation():
    """The animation: after 30 steps the balanced rate 1/6 is closest to the minimum; 0.05 creeps
    without a zigzag, 0.19 zigzags, 0.205 zigzags ever wider and leaves the window."""
    lrs = np.array([0.05, 1 / 6, 0.19, 0.205])
    batch = cc.run(cc.gd(lr=lrs[:, None]), cc.ravine(), np.tile(START, (4, 1)), 30)
    dist = np.linalg.norm(batch.thetas[-1], axis=-1)
    assert np.argmin(dist) == 1
    y = batch.thetas[:, :, 1]
    assert np.all(y[:, 0] > 0)                                            # no zigzag at 0.05
    assert np.all(np.sign(y[1:, 2]) == -np.sign(y[:-1, 2]))               # zigzag at 0.19
    assert np.all(np.abs(y[1:, 3]) > np.abs(y[:-1, 3]))                   # ever wider at 0.205
    assert np.abs(batch.thetas[-1, 3]).max() > 1.2                        # outside the window


# -- normalizing the inputs ---------------------------------------------------------------
def test_standardizing_cures_scales_not_correlations():
    """kappa 105 for raw features of scales 1 and 10, 1.11 standardized, 38.4 for correlation 0.95,
    close to (1 + rho)/(1 - rho) = 39; GD at lr 0.9 is within 1e-8 of the minimal loss after 5 steps
    on independent features and 165 on correlated ones; after 30 steps the correlated run is still
    about a quarter of the way short of the minimum, along (1, -1)."""
    raw = learning.linear_regression(rho=0.0, scales=(1.0, 10.0), standardized=False, seed=0)
    ind = learning.linear_regression(rho=0.0, seed=0)
    cor = learning.linear_regression(rho=0.95, seed=0)
    assert raw.condition_number == pytest.approx(105.007, abs=1e-3)
    assert ind.condition_number == pytest.approx(1.113, abs=1e-3)
    assert cor.condition_number == pytest.approx(38.381, abs=1e-3)
    assert raw.condition_number > 90 * ind.condition_number
    assert cor.condition_number == pytest.approx((1 + 0.95) / (1 - 0.95), rel=0.05)

    def steps_to(problem, tol=1e-8):
        run = cc.run(cc.gd(lr=0.9), problem, np.zeros(2), 400)
        return int(np.argmax(run.losses - problem.value(problem.minimizer) < tol)), run

    (n_ind, run_ind), (n_cor, run_cor) = steps_to(ind), steps_to(cor)
    assert (n_ind, n_cor) == (5, 165)
    np.testing.assert_allclose(ind.minimizer, [1.0, -1.0], atol=0.02)
    assert np.linalg.norm(run_ind.thetas[30] - ind.minimizer) < 1e-6
    left = run_cor.thetas[30] - cor.minimizer
    assert 0.2 < np.linalg.norm(left) / np.linalg.norm(cor.minimizer) < 0.3
    assert abs(left @ [1, -1]) / np.sqrt(2) > 0.99 * np.linalg.norm(left)   # along the diagonal
    # the exercise: the rate at 2/(L + mu) equals rho, and rho^100 <= 1e-6 needs rho <= 0.871
    for rho in (0.3, 0.95):
        kappa = (1 + rho) / (1 - rho)
        assert (kappa - 1) / (kappa + 1) == pytest.approx(rho)
    assert 10 ** (-6 / 100) == pytest.approx(0.870964, abs=1e-6)


def test_the_product_model_curvatures():
    """f(a, b) = (ab - c)^2 / 2: at (10, 1/10) the curvatures along a and b are 1/100 and 100."""
    def grad(theta):
        a, b = theta[..., 0], theta[..., 1]
        r = a * b - 1.0
        return np.stack([r * b, r * a], -1)
    H = learning.numerical_hessian(grad, np.array([10.0, 0.1]))
    assert H[0, 0] == pytest.approx(0.01, rel=1e-6) and H[1, 1] == pytest.approx(100.0, rel=1e-6)
    assert H[1, 1] / H[0, 0] == pytest.approx(1e4, rel=1e-5)


# -- saddle points -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def saddle_run():
    y0s = np.array([1e-1, 1e-3, 1e-6])
    starts = np.stack([np.ones_like(y0s), y0s], axis=-1)
    return y0s, cc.run(cc.gd(lr=0.1), cc.saddle(), starts, 120)


def test_the_saddle_function():
    """x^2 - y^2 + y^4/2: Hessian diag(2, -2) at the saddle, minima (0, +-1) with f = -1/2 and Hessian
    diag(2, 4) (the exercise: stable for lr < 1/2, no oscillation for lr < 1/4)."""
    s = cc.saddle()
    np.testing.assert_array_equal(s.hessian([0.0, 0.0]), np.diag([2.0, -2.0]))
    for y in (1.0, -1.0):
        np.testing.assert_array_equal(s.grad([0.0, y]), [0.0, 0.0])
        assert s.value([0.0, y]) == -0.5
        np.testing.assert_array_equal(s.hessian([0.0, y]), np.diag([2.0, 4.0]))


def test_saddle_escape_times(saddle_run):
    """fig-saddle: 11, 36 and 74 steps to f < -1/4; each factor of 10 costs ln 10 / ln 1.2 = 12.6 steps,
    so the factor 100 should add 25.3 (adds 25) and the factor 1000 37.9 (adds 38); the estimate is
    one to two steps longer than each count, since f < -1/4 needs only |y| > 0.54."""
    y0s, run = saddle_run
    escape = [int(np.argmax(run.losses[:, i] < -0.25)) for i in range(3)]
    assert escape == [11, 36, 74]
    predicted = np.log(1 / y0s) / np.log(1.2)
    assert np.log(10) / np.log(1.2) == pytest.approx(12.6293, abs=1e-4)
    added = np.diff(escape)
    assert list(added) == [25, 38]
    assert np.all(np.abs(added - np.diff(predicted)) < 1)
    assert np.all((predicted - escape > 1) & (predicted - escape < 2))
    y_half = np.sqrt(1 - 1 / np.sqrt(2))
    assert cc.saddle().value([0.0, y_half]) == pytest.approx(-0.25)
    assert y_half == pytest.approx(0.541196, abs=1e-6)
    for i, steps in enumerate(escape):                 # escaped: |y| past the halfway mark, not yet 1
        assert y_half < run.thetas[steps, i, 1] < 1


def test_saddle_gradient_dips(saddle_run):
    """The runs from 1e-3 and 1e-6 slide into the saddle, where the gradient norm falls to 0.063 and
    0.0014 (the smaller y0, the deeper and the longer the dip), then rises in a bump to about 0.8 as
    they escape; the run from 0.1 turns away before it comes close and its gradient norm stays
    above 0.7 until it escapes."""
    y0s, run = saddle_run
    norms = np.linalg.norm(run.grads, axis=-1)
    escape = [int(np.argmax(run.losses[:, i] < -0.25)) for i in range(3)]
    dips = [norms[:e, i].min() for i, e in enumerate(escape)]
    np.testing.assert_allclose(dips, [0.736476, 0.0632018, 0.00141336], rtol=1e-5)
    assert dips[0] > 0.7 and dips[0] > 10 * dips[1] > 100 * dips[2]
    closest = np.linalg.norm(run.thetas, axis=-1).min(axis=0)
    assert closest[0] > 0.3 and closest[1] < 0.04 and closest[2] < 1e-3
    below = [int((norms[:e, i] < 0.1).sum()) for i, e in enumerate(escape)]
    assert below[0] == 0 < below[1] < below[2]         # the dip lasts longer for smaller y0
    for i in (1, 2):
        k = int(np.argmin(norms[:escape[i], i]))
        assert 0.7 < norms[k:, i].max() < 0.85          # the bump on the way down
    assert np.all(np.abs(run.thetas[-1, :, 1] - 1) < 1e-6)  # all three end at the minimum (0, 1)


# -- plateaus ----------------------------------------------------------------------------
RADII = np.array([2.0, 3.0, 4.0, 4.5])
R1 = np.sqrt(-2 * np.log(0.9))            # f = 0.1 at this distance


def _flow_time(r0, lr=1.0, n=100_001):
    s = np.linspace(R1, r0, n)
    return float(np.trapezoid(np.exp(s**2 / 2) / s, s)) / lr


@pytest.fixture(scope="module")
def plateau_counts():
    starts = np.stack([RADII, np.zeros_like(RADII)], axis=-1)
    run = cc.run(cc.gd(lr=1.0), cc.plateau(), starts, 1500)
    steps = np.array([int(np.argmax(run.losses[:, i] < 0.1)) for i in range(len(RADII))])
    grads = np.linalg.norm(cc.plateau().grad(starts), axis=-1)
    return steps, grads


def test_plateau_counts_grow_more_slowly_than_the_gradient_shrinks(plateau_counts):
    """fig-plateau and the predict question: 4, 17, 224, 1397 steps from r = 2, 3, 4, 4.5; from r = 3 to
    4 the gradient shrinks 24.8-fold but the count grows only 13.2-fold, from 4 to 4.5 7.44 against
    6.24: fewer than the ratio of the gradients, yet growing fast."""
    steps, grads = plateau_counts
    assert list(steps) == [4, 17, 224, 1397]
    np.testing.assert_allclose(grads, RADII * np.exp(-RADII**2 / 2), rtol=1e-14)
    assert grads[1] / grads[2] == pytest.approx(24.8366, abs=1e-4)
    assert steps[2] / steps[1] == pytest.approx(13.1765, abs=1e-4)
    assert grads[2] / grads[3] == pytest.approx(7.44258, abs=1e-5)
    assert steps[3] / steps[2] == pytest.approx(6.23661, abs=1e-5)
    ratio_steps, ratio_grads = steps[1:] / steps[:-1], grads[:-1] / grads[1:]
    assert np.all(ratio_steps < ratio_grads)
    assert steps[3] / steps[2] > 6                     # half a unit further out: six times as many


def test_crossing_time_proposition(plateau_counts):
    """prop-ch1-plateau: the flow time is the integral (checked against GD with tiny steps); its leading
    term is exp(r0^2/2)/r0^2 = 1/(r0 |grad f(theta_0)|); the counts lie within 1.4% of the integral
    from r0 = 4 on and exceed it by 2.3 to 4.4 steps from r0 = 3 on; the leading term is 17% and 12%
    below the counts at r0 = 4 and 4.5 and the gap closes as r0 grows."""
    steps, grads = plateau_counts
    flow = np.array([_flow_time(r) for r in RADII])
    lead = np.exp(RADII**2 / 2) / RADII**2
    np.testing.assert_allclose(lead, 1 / (RADII * grads), rtol=1e-13)
    np.testing.assert_allclose(flow[1:], [14.7493, 220.972, 1392.61], rtol=1e-5)
    # the integral is the time of the flow: gradient descent with lr = 0.01 is close to the flow
    lr = 0.01
    run = cc.run(cc.gd(lr=lr), cc.plateau(), [3.0, 0.0], 2000)
    flow_steps = int(np.argmax(run.losses < 0.1))
    assert flow_steps * lr == pytest.approx(_flow_time(3.0), rel=2e-3)
    # the counts against the integral and the leading term
    assert np.all(steps > flow)
    excess = steps[1:] - flow[1:]
    assert excess.min() == pytest.approx(2.25068, abs=1e-4) and excess.max() == pytest.approx(4.39132, abs=1e-4)
    assert np.max(np.abs(steps[2:] / flow[2:] - 1)) == pytest.approx(0.0137011, abs=1e-6)
    assert steps[1] / flow[1] - 1 > 0.1                # a short journey: the discrete steps matter
    low = 1 - lead / steps
    np.testing.assert_allclose(low[2:], [0.168259, 0.117712], atol=1e-6)
    assert np.all(np.diff(low) < 0) and np.all(low > 0)
    # the correction is O(1/r0^2): flow / lead - 1 between 2/r0^2 and 4/r0^2 far out
    for r0 in (4.0, 4.5, 6.0, 8.0):
        rel = _flow_time(r0) / (np.exp(r0**2 / 2) / r0**2) - 1
        assert 2 / r0**2 < rel < 4 / r0**2, r0
    # exponential in r0^2: the counts times r0^2 exp(-r0^2/2) stay between 1 and 2.5
    assert np.all((steps[1:] / lead[1:] > 1) & (steps[1:] / lead[1:] < 2.5))


def test_the_gradient_grows_as_the_run_comes_in():
    """The run speeds up: on the way in from r = 4 the gradient norm grows at every step until r < 1,
    and it grows about e-fold once the run has come in by 1/r0."""
    run = cc.run(cc.gd(lr=1.0), cc.plateau(), [4.0, 0.0], 300)
    r = np.linalg.norm(run.thetas, axis=-1)
    norms = np.linalg.norm(run.grads, axis=-1)
    outside = r[:-1] > 1
    assert np.all(np.diff(norms[outside[: len(norms)]]) > 0)
    g = lambda x: x * np.exp(-x**2 / 2)  # noqa: E731
    for r0 in (3.0, 4.0, 4.5):
        assert 2.0 < g(r0 - 1 / r0) / g(r0) < 3.0
    assert np.exp(-0.5) == pytest.approx(g(1.0))       # the largest gradient norm, at r = 1


# -- high dimension ----------------------------------------------------------------------
def test_random_hessians_are_rarely_positive_definite():
    """fig-goe: 14.6% at d = 2 (below 25%), 0.27% at d = 4, none of 40000 beyond d = 5; every
    fraction from d = 2 on below 2^-d, and falling faster than exponentially (the ratio of
    successive fractions shrinks); the survivor shortcut counts what a direct count does."""
    rng = np.random.default_rng(0)
    n, d_max = 40_000, 10
    A = rng.standard_normal((n, d_max, d_max))
    H = (A + np.swapaxes(A, 1, 2)) / np.sqrt(2)
    positive = np.ones(n, dtype=bool)
    frac = []
    for d in range(1, d_max + 1):
        idx = np.flatnonzero(positive)
        if idx.size:
            positive[idx] = np.linalg.eigvalsh(H[idx, :d, :d])[:, 0] > 0
        frac.append(positive.mean())
    frac = np.array(frac)
    assert list(np.round(frac * n).astype(int)) == [20026, 5855, 991, 109, 3, 0, 0, 0, 0, 0]
    assert frac[1] == pytest.approx(0.1464, abs=1e-4) and frac[1] < 0.25
    assert frac[3] == pytest.approx(0.002725)
    assert np.all(frac[1:] < 0.5 ** np.arange(2, d_max + 1))
    ratios = frac[1:5] / frac[:4]
    assert np.all(np.diff(ratios) < 0)
    for d in (3, 4):                                   # the shortcut: direct counts on 4000 samples
        direct = int(np.sum(np.linalg.eigvalsh(H[:4000, :d, :d])[:, 0] > 0))
        sub = np.ones(4000, dtype=bool)
        for k in range(1, d + 1):
            sub &= np.linalg.eigvalsh(H[:4000, :k, :k])[:, 0] > 0
        assert direct == int(sub.sum())
    # the diagonal has variance 2, the off-diagonal entries variance 1
    assert np.var(H[:, 0, 0]) == pytest.approx(2.0, rel=0.03)
    assert np.var(H[:, 0, 1]) == pytest.approx(1.0, rel=0.03)


# -- cliffs ------------------------------------------------------------------------------
def _clip(g, c):
    norm = np.linalg.norm(g, axis=-1, keepdims=True)
    return g * np.minimum(1.0, c / np.maximum(norm, 1e-300))


def test_cliff_with_and_without_clipping():
    """fig-cliff: both runs reach the wall after 16 steps; plain GD meets a gradient of norm 10.0 there
    (the step adds at most hk/4 = 12.5 to the slope) and step 17 throws it 5.0 units to x = -3.52,
    past the minimum; the clipped run meets norm 2.0, crosses the wall in one step of length
    lr c = 0.5 to x = 1.06, on the near side, and after 60 steps is at x = 0.12, nearer the minimum
    than plain GD, which is still walking back from x = -0.39."""
    cliff, lr = cc.cliff(), 0.5
    assert cliff.h * cliff.k / 4 == 12.5
    plain = cc.run(cc.gd(lr=lr), cliff, [3.5, 1.5], 60)
    clipped = cc.run(cc.gd(lr=lr), lambda th: _clip(cliff.grad(th), 1.0), [3.5, 1.5], 60)
    n_plain = np.linalg.norm(cliff.grad(plain.thetas[:-1]), axis=-1)
    n_clip = np.linalg.norm(cliff.grad(clipped.thetas[:-1]), axis=-1)
    k, k_clip = int(np.argmax(n_plain)), int(np.argmax(n_clip))
    assert k == k_clip == 16
    assert n_plain[k] == pytest.approx(10.0087, abs=1e-4) and n_clip[k] == pytest.approx(2.01751, abs=1e-5)
    xs = np.linspace(-4, 4, 80001)
    slope = cliff.grad(np.stack([xs, np.zeros_like(xs)], -1))[:, 0]
    assert slope.max() < 12.5 + 0.1 * 1.6 and n_plain.max() < slope.max()
    jump = np.linalg.norm(plain.thetas[k + 1] - plain.thetas[k])
    assert jump == pytest.approx(5.00435, abs=1e-5)
    assert plain.thetas[k + 1, 0] == pytest.approx(-3.52421, abs=1e-5)
    steps_clip = np.linalg.norm(np.diff(clipped.thetas, axis=0), axis=-1)
    assert steps_clip.max() <= lr * 1.0 + 1e-12 and steps_clip[k] == pytest.approx(0.5)
    assert clipped.thetas[k, 0] > cliff.edge > clipped.thetas[k + 1, 0] > 0   # across in one step
    assert clipped.thetas[k + 1, 0] == pytest.approx(1.06424, abs=1e-5)
    assert np.all(np.diff(clipped.thetas[k + 1:, 0]) < 0)                     # walks on down
    assert np.all(np.diff(plain.thetas[k + 1:, 0]) > 0)                        # walks back
    assert plain.final[0] == pytest.approx(-0.388309, abs=1e-6)
    assert clipped.final[0] == pytest.approx(0.117261, abs=1e-6)
    assert abs(clipped.final[0]) < abs(plain.final[0])
    assert n_plain[k] > 4 * n_clip[k]


# -- a real network ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mlp_trained():
    mlp = learning.tiny_mlp_problem(seed=0)
    train = cc.run(cc.gd(lr=0.3), mlp, mlp.theta0, 1000)
    return mlp, train


def test_tiny_mlp_training_and_slice(mlp_trained):
    """33 parameters, 64 points, loss 0.974 -> 0.0068; the slice climbs to 12.1 at its edges, more than
    three orders of magnitude above the centre; it is a ravine (the Hessian restricted to the plane
    has condition number above 5), and its random directions see curvatures far below lambda_max."""
    mlp, train = mlp_trained
    assert (mlp.dim, mlp.n) == (33, 64)
    assert train.losses[0] == pytest.approx(0.974243, abs=1e-6)
    assert train.losses[-1] == pytest.approx(0.006824, abs=1e-6)
    theta = train.final
    d1, d2 = learning.random_directions(theta, seed=1, filters=mlp.filters, ignore=mlp.biases)
    a = np.linspace(-1.0, 1.0, 41)
    Z = learning.slice_2d(mlp.value, theta, d1, d2, a, a)
    assert Z.max() == pytest.approx(12.06, abs=5e-3)
    assert Z.max() / Z.min() > 1000 and Z.min() == Z[20, 20]
    H = learning.numerical_hessian(mlp.grad, theta)
    lam_max = np.linalg.eigvalsh(H)[-1]
    D = np.stack([d1, d2], axis=1)
    plane = np.linalg.eigvals(np.linalg.solve(D.T @ D, D.T @ H @ D)).real   # curvatures within the plane
    assert plane.max() / plane.min() > 5
    assert plane.max() < lam_max / 3


def test_tiny_mlp_hessian(mlp_trained):
    """fig-mlp-hessian: lambda_max 3.725, three eigenvalues between 2.9 and 3.7, then a gap to 0.3 and
    down to 1e-4; 14 of 33 more than 1000 times smaller than lambda_max; 8 slightly negative (none
    beyond lambda_max / 100), the same with a ten times larger difference step; 2/lambda_max = 0.537,
    above the training rate 0.3 but less than twice it."""
    mlp, train = mlp_trained
    ev = np.linalg.eigvalsh(learning.numerical_hessian(mlp.grad, train.final))
    lam_max = ev[-1]
    assert lam_max == pytest.approx(3.725, abs=5e-4)
    size = np.sort(np.abs(ev))[::-1]
    assert np.all((size[:3] > 2.9) & (size[:3] < 3.73)) and 0.25 < size[3] < 0.31
    assert 1e-4 < size[-1] < 1.2e-4
    assert int(np.sum(np.abs(ev) < lam_max / 1000)) == 14
    assert int(np.sum(ev < 0)) == 8 and ev[0] > -lam_max / 100
    ev4 = np.linalg.eigvalsh(learning.numerical_hessian(mlp.grad, train.final, h=1e-4))
    assert int(np.sum(ev4 < 0)) == 8 and int(np.sum(np.abs(ev4) < ev4[-1] / 1000)) == 14
    assert 2 / lam_max == pytest.approx(0.5369, abs=1e-4)
    assert 0.3 < 2 / lam_max < 2 * 0.3


# -- the exercises -------------------------------------------------------------------------
def test_counting_steps_exercise():
    """ex-ch1-kappa-steps: the counts exceed ln(1e-6)/ln((kappa-1)/(kappa+1)) by the rounded-up
    ln(sqrt 2)/ln(1/rho); the extra is about one step at small kappa and about (ln 2 / 4) kappa at
    large kappa."""
    for kappa in (2, 5, 10, 50, 100):
        rho = (kappa - 1) / (kappa + 1)
        run = cc.run(cc.gd(lr=2 / (kappa + 1)), cc.quadratic([1.0, kappa]), [1.0, 1.0], int(10 * kappa + 50))
        norms = np.linalg.norm(run.thetas, axis=-1)
        np.testing.assert_allclose(norms, np.sqrt(2) * rho ** np.arange(len(norms)), rtol=1e-9, atol=1e-300)
        count = int(np.argmax(norms <= 1e-6))
        predicted = np.log(1e-6) / np.log(rho)
        assert count == int(np.ceil(predicted + np.log(np.sqrt(2)) / np.log(1 / rho)))
        if kappa == 2:
            assert count - predicted < 1
    assert (np.log(np.sqrt(2)) / np.log(101 / 99)) == pytest.approx(np.log(2) / 4 * 100, rel=0.01)


def test_figure_descriptions_of_the_saddle_and_plateau_runs(saddle_run):
    """Alt texts of fig-saddle and fig-plateau: from y0 = 0.1 the gradient norm falls from 2 to 0.74 by
    step 7, rises a little and falls steadily from step 10 on; the runs from r = 3, 4, 4.5 stay above
    0.97 for the first half of their count, the one from r = 2 starts at 0.86."""
    _, run = saddle_run
    norms = np.linalg.norm(run.grads[:, 0], axis=-1)
    assert norms[0] == pytest.approx(2.01, abs=0.01) and int(np.argmin(norms[:11])) == 7
    assert np.all(np.diff(norms[10:]) < 0) and norms[10] > norms[7]
    starts = np.stack([RADII, np.zeros_like(RADII)], axis=-1)
    plateau = cc.run(cc.gd(lr=1.0), cc.plateau(), starts, 1500)
    for i, count in zip((1, 2, 3), (17, 224, 1397)):
        assert plateau.losses[: count // 2, i].min() > 0.97
    assert plateau.losses[0, 0] == pytest.approx(1 - np.exp(-2))


def test_the_cliff_exercise_uses_a_smaller_learning_rate():
    """The self-checking exercise ch1-cliff-jump asks for one step with lr 0.3, smaller than the
    chapter's 0.5: 0.3 times the steepest slope 12.65."""
    from coursecode import exercises
    ex = exercises.registry()["ch1-cliff-jump"]
    assert ex.answer == pytest.approx(0.3 * 12.65) and "γ = 0.3" in ex.prompt and 0.3 < 0.5
    cliff = cc.cliff()
    xs = np.linspace(1.4, 1.6, 20001)
    slope = cliff.grad(np.stack([xs, np.zeros_like(xs)], -1))[:, 0]
    assert slope.max() == pytest.approx(12.65, abs=1e-3)
