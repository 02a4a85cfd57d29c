"""Claims made in chapter 9 (chapters/09_implicit_bias.ipynb), checked against coursecode."""
from __future__ import annotations

import numpy as np
import pytest

import coursecode as cc
from coursecode import learning
from coursecode.homework import ch9


@pytest.fixture(scope="module")
def ls_problem():
    X, y, f = learning.overparameterized_least_squares(n=20, d=50, seed=0)
    return X, y, f, np.linalg.pinv(X) @ y, np.linalg.pinv(X) @ X


def test_min_norm_interpolant_and_pythagoras(ls_problem):
    """eq-ch9-interpolants and eq-ch9-pythagoras: X^+ y interpolates, lies in row(X), and is the shortest."""
    X, y, f, w_plus, P = ls_problem
    np.testing.assert_allclose(X @ w_plus, y, atol=1e-12)
    np.testing.assert_allclose(P @ w_plus, w_plus, atol=1e-12)
    rng = np.random.default_rng(0)
    for _ in range(5):
        z = (np.eye(50) - P) @ rng.standard_normal(50)
        np.testing.assert_allclose(X @ (w_plus + z), y, atol=1e-10)
        assert np.linalg.norm(w_plus + z) ** 2 == pytest.approx(np.linalg.norm(w_plus) ** 2 + np.linalg.norm(z) ** 2)


def test_gd_and_sgd_from_zero_reach_pinv_and_stay_in_the_row_space(ls_problem):
    """prop-ch9-min-norm, parts 1 and 2, with the chapter's settings."""
    X, y, f, w_plus, P = ls_problem
    gd = cc.run(cc.gd(lr=1 / f.eigenvalues[-1]), f, np.zeros(50), 300)
    sgd = cc.run(cc.gd(lr=0.02), learning.minibatch_grad(f, 1, seed=0), np.zeros(50), 1500)
    for run, tol in ((gd, 1e-8), (sgd, 1e-6)):
        np.testing.assert_allclose(run.thetas @ P.T, run.thetas, atol=1e-12)
        assert np.linalg.norm(run.final - w_plus) < tol


def test_adaptive_methods_interpolate_elsewhere(ls_problem):
    """Chapter 9: AdaGrad and Adam fit the data, but their distance to X^+ y is their null-space part."""
    X, y, f, w_plus, P = ls_problem
    for opt in (cc.adagrad(lr=0.1), cc.adam(lr=1e-2)):
        w = cc.run(opt, f, np.zeros(50), 600).final
        assert f.value(w) < 1e-20
        outside = np.linalg.norm(w - P @ w)
        assert outside > 0.1
        assert np.linalg.norm(w - w_plus) == pytest.approx(outside, rel=1e-8)
        assert np.linalg.norm(w) == pytest.approx(np.hypot(np.linalg.norm(w_plus), outside), rel=1e-8)


def test_gd_and_sgd_gaps_keep_shrinking_with_more_steps(ls_problem):
    """The text after the table: both gaps to X^+ y keep shrinking with more steps."""
    X, y, f, w_plus, P = ls_problem
    lr = 1 / f.eigenvalues[-1]
    gd = [np.linalg.norm(cc.run(cc.gd(lr=lr), f, np.zeros(50), n).final - w_plus) for n in (300, 600)]
    sgd = [np.linalg.norm(cc.run(cc.gd(lr=0.02), learning.minibatch_grad(f, 1, seed=0), np.zeros(50), n).final
                          - w_plus) for n in (1500, 3000)]
    assert gd[1] < gd[0] / 100 and sgd[1] < sgd[0] / 100


def test_the_paths_in_the_plane(ls_problem):
    """The slider's text: Adam rises off the axis at once, overshoots the line of interpolants and settles
    on it above the star; AdaGrad lands next to it, its longer null-space part partly out of the plane."""
    X, y, f, w_plus, P = ls_problem
    adam = cc.run(cc.adam(lr=1e-2), f, np.zeros(50), 600)
    adagrad = cc.run(cc.adagrad(lr=0.1), f, np.zeros(50), 600)
    r = np.linalg.norm(w_plus)
    u1, z = w_plus / r, adam.final - w_plus
    u2 = z / np.linalg.norm(z)
    plane = {name: np.stack([run.thetas @ u1, run.thetas @ u2], axis=-1)
             for name, run in (("adam", adam), ("adagrad", adagrad))}
    assert plane["adam"][1, 1] > 0.01                                   # off the axis after one step
    assert plane["adam"][:, 0].max() > 1.1 * r                          # overshoots the line u1 = |w+|
    np.testing.assert_allclose(plane["adam"][-1], [r, np.linalg.norm(z)], rtol=1e-8)
    assert np.linalg.norm(z) > 0.5 * r                                  # well above the star
    assert np.linalg.norm(plane["adagrad"][-1] - plane["adam"][-1]) < 0.01
    assert np.linalg.norm(adagrad.final - w_plus) > np.linalg.norm(z) > plane["adagrad"][-1, 1]


def test_adam_first_step_is_a_sign_vector_partly_in_the_null_space(ls_problem):
    X, y, f, w_plus, P = ls_problem
    step = cc.run(cc.adam(lr=1e-2), f, np.zeros(50), 1).thetas[1]
    np.testing.assert_allclose(np.abs(step), 1e-2, rtol=1e-5)   # gamma |g| / (|g| + eps)
    assert np.linalg.norm(step - P @ step) / np.linalg.norm(step) > 0.5


def test_momentum_stays_in_the_row_space_and_gd_keeps_the_null_part_of_its_start(ls_problem):
    """Exercise ex-ch9-row-space, parts 2 and 3."""
    X, y, f, w_plus, P = ls_problem
    for form in ("heavy_ball", "ema"):
        run = cc.run(cc.momentum(lr=0.05, beta=0.9, form=form), f, np.zeros(50), 1500)
        np.testing.assert_allclose(run.thetas @ P.T, run.thetas, atol=1e-12)
        np.testing.assert_allclose(run.final, w_plus, atol=1e-8)
    w0 = np.ones(50)
    end = cc.run(cc.gd(lr=1 / f.eigenvalues[-1]), f, w0, 600).final
    np.testing.assert_allclose(end, w_plus + (np.eye(50) - P) @ w0, atol=1e-9)


@pytest.fixture(scope="module")
def wilson():
    return learning.wilson_data(n=60, p=0.55, seed=0, n_test=1000)


def test_wilson_adaptive_methods_follow_the_sign_vector(wilson):
    """lem-ch9-sign and fig-ch9-wilson: cos(w_t, sign(X^T y)) ~ 1 at every step; every test point called +1."""
    s = np.sign(wilson.X.T @ wilson.y)
    np.testing.assert_array_equal(wilson.X @ s, 4 * wilson.y)
    negatives = float(np.mean(wilson.y_test < 0))
    for opt in (cc.adagrad(lr=0.1), cc.rmsprop(lr=1e-3), cc.adam(lr=1e-2)):
        run = cc.run(opt, wilson.problem, np.zeros(360), 500)
        w = run.thetas[1:]
        cos = (w @ s) / (np.linalg.norm(w, axis=-1) * np.linalg.norm(s))
        assert cos.min() > 0.999
        assert learning.error_rate(wilson.X @ run.final, wilson.y) == 0.0
        assert np.all(wilson.X_test @ run.final > 0)
        assert learning.error_rate(wilson.X_test @ run.final, wilson.y_test) == negatives
        np.testing.assert_allclose(run.final, s / 4, atol=1e-2)   # near s / c (exactly, if eps were 0)


def test_wilson_gd_reaches_the_min_norm_solution_with_zero_test_error(wilson):
    w_plus = np.linalg.pinv(wilson.X) @ wilson.y
    assert w_plus[0] > w_plus[1] + w_plus[2] > 0          # the score of a new point has the sign of its label
    lam = wilson.problem.eigenvalues[-1]
    w = cc.run(cc.gd(lr=1 / lam), wilson.problem, np.zeros(360), 500).final
    np.testing.assert_allclose(w, w_plus, atol=1e-10)
    assert learning.error_rate(wilson.X_test @ w, wilson.y_test) == 0.0


def test_homework_ids_and_answers():
    homework = {e.id: e for e in ch9.exercises()}
    assert set(homework) == {"ch9-implicit-bias", "ch9-min-norm", "ch9-row-space", "ch9-min-norm-solver",
                             "ch9-wilson-error"}
    assert homework["ch9-min-norm"].answer == pytest.approx(2.0)
    assert homework["ch9-min-norm"].check("2").correct
    assert "squared" in homework["ch9-min-norm"].check("4").message
    assert homework["ch9-wilson-error"].answer == pytest.approx(0.45)
    assert "per cent" in homework["ch9-wilson-error"].check("45").message
    assert "accuracy" in homework["ch9-wilson-error"].check("0.55").message
    assert homework["ch9-row-space"].check("c").correct
    assert homework["ch9-implicit-bias"].check("b").correct


def test_min_norm_solver_accepts_right_answers_and_diagnoses_mistakes():
    ex = {e.id: e for e in ch9.exercises()}["ch9-min-norm-solver"]
    assert ex.check(lambda X, y: np.linalg.lstsq(X, y, rcond=None)[0]).correct
    assert ex.check(lambda X, y: X.T @ np.linalg.solve(X @ X.T, y)).correct
    assert "row space" in ex.check(lambda X, y: X.T @ y).message
    assert "n entries" in ex.check(lambda X, y: np.linalg.solve(X @ X.T, y)).message
    assert not ex.check(lambda X, y: np.zeros(X.shape[1])).correct


# ---------------------------------------------------------------- figures: alt texts and captions

def _figure_meta(name):
    """The mystnb metadata (caption, alt text) of the chapter's figure with this name."""
    import json
    from pathlib import Path
    nb = json.loads((Path(__file__).resolve().parents[1] / "chapters" / "09_implicit_bias.ipynb").read_text())
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("mystnb", {})
        if meta.get("figure", {}).get("name") == name:
            return meta["figure"]["caption"], meta["image"]["alt"]
    raise KeyError(name)


def test_least_squares_figure_alt_text_matches_the_runs(ls_problem):
    """fig-ch9-ls-runs: the levels the alt text names."""
    X, y, f, w_plus, P = ls_problem
    _, alt = _figure_meta("fig-ch9-ls-runs")
    gd = cc.run(cc.gd(lr=1 / f.eigenvalues[-1]), f, np.zeros(50), 300)
    sgd = cc.run(cc.gd(lr=0.02), learning.minibatch_grad(f, 1, seed=0), np.zeros(50), 1500)
    adagrad = cc.run(cc.adagrad(lr=0.1), f, np.zeros(50), 600)
    adam = cc.run(cc.adam(lr=1e-2), f, np.zeros(50), 600)
    loss = {k: f.value(r.thetas) for k, r in dict(gd=gd, sgd=sgd, adagrad=adagrad, adam=adam).items()}
    assert loss["adagrad"][250] < 1e-31 and loss["adam"][-1] < 1e-27 and loss["gd"][-1] < 1e-18
    assert 1e-14 < loss["sgd"][-1] < 1e-13
    dist = {k: np.linalg.norm(r.thetas - w_plus, axis=-1) for k, r in dict(gd=gd, sgd=sgd, adagrad=adagrad,
                                                                         adam=adam).items()}
    assert dist["gd"][-1] < 2e-9 and 1e-7 < dist["sgd"][-1] < 5e-7
    assert 0.46 < dist["adagrad"][3:].min() and dist["adagrad"][3:].max() < 0.48
    assert 0.37 < dist["adam"][5:].min() and dist["adam"][5:].max() < 0.48
    assert round(dist["adam"][-1], 2) == 0.39 and round(dist["adagrad"][-1], 2) == 0.47
    for text in ("0.47", "0.38", "0.39", "1e-9", "3e-7"):
        assert text in alt, text


# ---------------------------------------------------------------- separable data: margins

def _separable_data():
    rng = np.random.default_rng(10)
    y = np.where(np.arange(16) % 2 == 0, 1.0, -1.0)
    X = y[:, None] * np.array([1.0, 0.35]) + 0.6 * rng.standard_normal((16, 2))
    return X, y


def _exact_max_margins(A):
    """The largest L2 and L-infinity margins of the rows A (y_i x_i) over directions in the plane, exactly.

    A maximum of min_i a_i.w over a circle or the boundary of a square is attained where two of the
    linear functions tie, where one of them peaks (L2), or at a corner of the square (L-infinity):
    every such candidate is evaluated."""
    cands2, candsinf = [], [np.array(c, float) for c in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
    for i in range(len(A)):
        cands2.append(A[i] / np.linalg.norm(A[i]))
        for j in range(i + 1, len(A)):
            d = A[i] - A[j]
            u = np.array([-d[1], d[0]]) / np.linalg.norm(d)
            cands2 += [u, -u]
            for k in (0, 1):                                  # on the edge w_k = +-1 of the square
                o = 1 - k
                if d[o] != 0:
                    for sign in (1.0, -1.0):
                        w = np.zeros(2)
                        w[k], w[o] = sign, -d[k] * sign / d[o]
                        if abs(w[o]) <= 1:
                            candsinf.append(w)
    W2, Winf = np.array(cands2), np.array(candsinf)
    m2 = (W2 @ A.T).min(axis=1) / np.linalg.norm(W2, axis=1)
    minf = (Winf @ A.T).min(axis=1) / np.abs(Winf).max(axis=1)
    return W2[np.argmax(m2)], m2.max(), Winf[np.argmax(minf)], minf.max()


@pytest.fixture(scope="module")
def margins():
    X, y = _separable_data()
    A = y[:, None] * X
    w2, g2, winf, ginf = _exact_max_margins(A)
    f = learning.LogisticRegression(X, y)
    L = np.linalg.eigvalsh(X.T @ X)[-1] / (4 * 16)
    pair = cc.stacked([cc.gd(lr=1 / L), cc.adam(lr=lambda t: 0.1 / np.sqrt(t), eps=0.0)])
    run = cc.run(pair, f, np.zeros((2, 2)), 20_000, record_grads=False)
    w = run.thetas[1:]
    smallest = (w @ A.T).min(axis=-1)
    return dict(X=X, y=y, f=f, run=run, w=w,
                angle_l2=np.degrees(np.arctan2(w2[1], w2[0])), angle_inf=np.degrees(np.arctan2(winf[1], winf[0])),
                l2=smallest / np.linalg.norm(w, axis=-1) / g2, inf=smallest / np.abs(w).max(axis=-1) / ginf,
                angle=np.degrees(np.arctan2(w[..., 1], w[..., 0])))


def test_separable_data_and_the_two_max_margin_directions(margins):
    """eq-ch9-margin: the data are separable through the origin; the two optimal directions differ by
    13 degrees; the chapter's brute force over angles finds the exact maxima."""
    A = margins["y"][:, None] * margins["X"]
    w2, g2, winf, ginf = _exact_max_margins(A)
    assert g2 > 0.3 and ginf > g2                        # separable; |w|_inf <= |w|_2 makes ginf >= g2
    assert margins["angle_l2"] == pytest.approx(-14.12, abs=0.01)
    assert margins["angle_inf"] == pytest.approx(-27.56, abs=0.01)
    assert round(margins["angle_l2"] - margins["angle_inf"]) == 13
    a = np.linspace(-np.pi, np.pi, 200_001)
    W = np.stack([np.cos(a), np.sin(a)], axis=-1)
    s = (W @ A.T).min(axis=1)
    grid2, gridinf = s / np.linalg.norm(W, axis=1), s / np.abs(W).max(axis=1)
    assert g2 - 1e-4 < grid2.max() <= g2 + 1e-12 and ginf - 1e-4 < gridinf.max() <= ginf + 1e-12


def test_gd_and_adam_each_win_the_margin_of_their_own_norm(margins):
    """fig-ch9-margins and the text: Adam's first step is the sign vector; GD's L2 margin and Adam's
    L-infinity margin grow at every step; at the end each has the larger margin in its own norm."""
    w, l2, inf, angle = margins["w"], margins["l2"], margins["inf"], margins["angle"]
    np.testing.assert_allclose(w[0, 1], [0.1, 0.1], rtol=1e-12)                 # w_1 = gamma (1, 1)
    assert angle[0, 1] == pytest.approx(45.0)
    assert np.all(np.diff(l2[:, 0]) >= 0) and np.all(np.diff(inf[:, 1]) >= 0)   # at every step
    assert l2[-1, 0] > l2[-1, 1] and inf[-1, 1] > inf[-1, 0]                    # each wins its own norm
    assert 0.999 < l2[-1, 0] < 1 and 0.97 < inf[-1, 1] < 1                      # close, not arrived
    assert inf[-1, 0] < 0.95 and l2[-1, 1] < 0.995
    peak = int(np.argmax(l2[:, 1])) + 1                                         # Adam passes the L2 optimum
    assert l2[peak - 1, 1] > 0.9999 and round(peak, -2) == 3200
    assert margins["angle_inf"] < angle[-1, 1] < margins["angle_l2"]            # between the two optima
    assert abs(angle[-1, 0] - angle[9_999, 0]) < 0.5 < abs(angle[-1, 1] - angle[9_999, 1])
    assert angle[-1, 0] > margins["angle_l2"]                                   # GD still on its way
    assert np.all(np.diff(angle, axis=0) <= 0)                                  # both turn steadily
    assert round(angle[999, 1], 1) == -7.5
    assert l2[0, 0] > inf[0, 1] + 0.5                                           # GD starts much closer
    f = margins["f"]
    assert f.value(w[-1, 0]) < 1e-3 and f.value(w[-1, 1]) < 1e-3


def test_margin_figure_alt_text_matches_the_runs(margins):
    _, alt = _figure_meta("fig-ch9-margins")
    l2, inf, angle = margins["l2"], margins["inf"], margins["angle"]
    expected = [f"{margins['angle_l2']:.1f}", f"{margins['angle_inf']:.1f}", f"{angle[-1, 0]:.1f}",
                f"{angle[-1, 1]:.1f}", f"{l2[0, 0]:.2f}", f"{l2[-1, 0]:.4f}", f"{inf[0, 0]:.2f}",
                f"{inf[-1, 0]:.3f}", f"{inf[0, 1]:.2f}", f"{inf[-1, 1]:.3f}", f"{l2[0, 1]:.2f}",
                f"{l2[-1, 1]:.3f}", "3,200"]
    for text in expected:
        assert text in alt, text


def test_adam_with_epsilon_takes_gradient_steps_once_gradients_are_far_below_epsilon():
    """The margin section: with |g| << eps, Adam's step is gamma * m_hat / eps to first order."""
    opt = cc.adam(lr=0.1, eps=1e-8)
    theta, state = np.zeros(3), opt.init(np.zeros(3))
    g = np.array([1e-14, -3e-14, 2e-15])
    for _ in range(5):
        new, state = opt.step(theta, g, state)
        m_hat = state.m / (1 - 0.9**state.t)
        np.testing.assert_allclose(theta - new, 0.1 * m_hat / 1e-8, rtol=1e-5)
        theta = new


# ---------------------------------------------------------------- the toy network

@pytest.fixture(scope="module")
def toy():
    task = learning.mlp_classification(seed=0, n_test=1000)
    mlp = task.problem
    seeds = np.arange(10)
    lrs = {"SGD": 10.0 ** np.arange(-3.0, -0.4, 0.5), "Adam": 10.0 ** np.arange(-4.5, -1.9, 0.5)}
    theta0 = np.broadcast_to(task.inits(seeds), (6, 10, mlp.dim)).copy()
    out = {"lrs": lrs}
    for name, factory in (("SGD", cc.gd), ("Adam", cc.adam)):
        run = cc.run(factory(lr=lrs[name][:, None, None]), learning.minibatch_grad(mlp, 16, seed=1), theta0, 1000,
                     record_grads=False)
        curve = task.test_error(run.thetas[::50])
        out[name] = dict(last=curve[-1], stopped=curve.min(axis=0), loss=mlp.value(run.final),
                         train=task.train_error(run.final))
    return out


def _best(toy, when):
    best = {name: int(np.argmin(toy[name][when].mean(axis=1))) for name in ("SGD", "Adam")}
    at = {name: toy[name][when][k] for name, k in best.items()}
    gap = at["SGD"].mean() - at["Adam"].mean()
    se = np.sqrt(sum(e.var(ddof=1) / e.size for e in at.values()))
    return best, at, gap, se


@pytest.mark.parametrize("when", ["last", "stopped"])
def test_toy_best_learning_rates_are_inside_the_grids_and_the_optimizers_tie(toy, when):
    """Item: each optimizer's best learning rate is inside its grid; SGD and Adam tie (|gap| < 2 SE)."""
    best, at, gap, se = _best(toy, when)
    assert all(0 < k < 5 for k in best.values())
    assert abs(gap) < 2 * se
    for name in at:
        assert 0.16 < at[name].mean() < 0.19


def test_toy_learning_rate_and_length_of_training_matter_more_than_the_optimizer(toy):
    """The text after fig-ch9-mlp."""
    best, at, gap, se = _best(toy, "last")
    for name in ("SGD", "Adam"):
        t = toy[name]
        assert np.ptp(t["last"].mean(axis=1)) > 10 * abs(gap)                  # the lr spans far more
        fits = t["train"].mean(axis=1) == 0
        np.testing.assert_array_equal(fits, [False] * 4 + [True] * 2)          # only the two largest fit
        assert t["train"][best[name]].mean() > 0                               # the best run stops short
        assert t["last"][fits].mean(axis=1).min() > max(e.mean() for e in at.values()) + 2 * se
        assert t["stopped"][-1].mean() < t["last"][-1].mean() - 0.05           # early stopping rescues
        assert t["stopped"].mean(axis=1).min() < t["last"].mean(axis=1).min()  # best step beats last step
    # the lowest test errors come from runs whose training loss ended between about 0.1 and 0.2
    loss = np.concatenate([toy[n]["loss"].mean(axis=1) for n in ("SGD", "Adam")])
    err = np.concatenate([toy[n]["last"].mean(axis=1) for n in ("SGD", "Adam")])
    band = (loss > 0.09) & (loss < 0.21)
    assert err[band].max() < err[~band].min()
    assert band[:6].any() and band[6:].any()                                  # both optimizers in the band


def test_toy_figure_alt_text_matches_the_runs(toy):
    _, alt = _figure_meta("fig-ch9-mlp")
    best, at, _, _ = _best(toy, "last")
    stopped = _best(toy, "stopped")[1]
    loss = np.concatenate([toy[n]["loss"].mean(axis=1) for n in ("SGD", "Adam")])
    err = np.concatenate([toy[n]["last"].mean(axis=1) for n in ("SGD", "Adam")])
    band = (loss > 0.09) & (loss < 0.21)
    below_band = loss < 0.09
    expected = [f"{at['SGD'].mean():.3f}", f"{at['Adam'].mean():.3f}", f"{stopped['SGD'].mean():.3f}",
                f"{stopped['Adam'].mean():.3f}", f"{toy['SGD']['last'][-1].mean():.3f}",
                f"{toy['Adam']['last'][0].mean():.3f}", f"{err[band].min():.3f} to {err[band].max():.3f}",
                f"{err[below_band].min():.3f} and {err[below_band].max():.3f}", f"up to {err.max():.3f}"]
    assert f"{stopped['SGD'].mean():.3f}" == f"{stopped['Adam'].mean():.3f}"   # "0.169 for both"
    for text in expected:
        assert text in alt, text
