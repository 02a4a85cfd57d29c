"""Claims made in chapter 5 (chapters/05_adam.ipynb), checked against coursecode."""
from __future__ import annotations

import numpy as np
import pytest

import coursecode as cc


@pytest.mark.parametrize("beta1, beta2", [(0.9, 0.999), (0.0, 0.5), (0.5, 0.9)])
def test_first_step_is_gamma_sign_g_when_eps_is_zero(beta1, beta2):
    """Exercise ex-ch5-first-step: theta_1 - theta_0 = -gamma sign(g_1) for eps = 0."""
    rng = np.random.default_rng(5)
    g = rng.standard_normal((4, 3)) * np.logspace(-6, 6, 3)
    opt = cc.adam(lr=1e-3, beta1=beta1, beta2=beta2, eps=0.0)
    theta, _ = opt.step(np.zeros_like(g), g, opt.init(np.zeros_like(g)))
    np.testing.assert_allclose(theta, -1e-3 * np.sign(g), rtol=1e-12)


def test_bias_corrected_moments_are_exact_for_a_constant_gradient():
    """Chapter 5, before eq-eps-ratio: m_hat_t = g and v_hat_t = g^2 at every step."""
    g = np.array([[3.0, -1e-4]])
    opt = cc.adam()
    traj = cc.run(opt, lambda theta: g, np.zeros((1, 2)), steps=30, record_state=True)
    t = np.arange(1, 31)[:, None, None]
    np.testing.assert_allclose(traj.states.m / (1 - 0.9**t), np.broadcast_to(g, (30, 1, 2)), rtol=1e-12)
    np.testing.assert_allclose(traj.states.v / (1 - 0.999**t), np.broadcast_to(g**2, (30, 1, 2)), rtol=1e-10)


def test_eps_ratio_matches_closed_form_and_reference_values():
    """Chapter 5, eq-eps-ratio: inside/outside = (|g| + eps) / sqrt(g^2 + eps)."""
    scales = np.array([1e-2, 1e-3, 1e-4, 1e-5, 1e-6])
    G = scales[:, None]
    steps = {}
    for inside in (False, True):
        traj = cc.run(cc.adam(eps_inside_sqrt=inside), lambda theta: G, np.zeros((5, 1)), steps=10)
        steps[inside] = np.abs(traj.thetas[-1] - traj.thetas[-2])[:, 0]
    ratio = steps[True] / steps[False]
    np.testing.assert_allclose(ratio, (scales + 1e-8) / np.sqrt(scales**2 + 1e-8), rtol=1e-12)
    # the values listed in the design's reference facts
    np.testing.assert_allclose(ratio, [0.99995, 0.995, 0.707, 0.0996, 0.0101], rtol=2e-3)


# -- the homework module ----------------------------------------------------------------

def _homework():
    pytest.importorskip("ipywidgets")
    pytest.importorskip("coursecode.exercises")
    from coursecode.homework import ch5

    return {e.id: e for e in ch5.exercises()}


def test_homework_ids_are_chapter_5():
    ids = list(_homework())
    assert ids == ["ch5-first-step", "ch5-adam-step", "ch5-beta2"]


def test_first_step_answer_is_gamma():
    ex = _homework()["ch5-first-step"]
    assert ex.answer == pytest.approx(1e-3, rel=1e-9)
    assert ex.check("0.001").correct and ex.check("1e-3").correct
    for wrong in ["-0.001", "0.25", "250", "0.00316", "1e-4", "abc", ""]:
        assert not ex.check(wrong).correct


def _adam_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def test_adam_step_accepts_a_correct_step_and_diagnoses_typical_mistakes():
    ex = _homework()["ch5-adam-step"]
    from coursecode.homework import ch5

    assert ex.check(_adam_step).correct
    mistakes = {
        "inside the square root": lambda *c: ch5._adam_reference(*c, inside=True),
        "without bias correction": ch5._no_correction,
        "uses t − 1": ch5._corrected_with(-1),
        "uses t + 1": ch5._corrected_with(+1),
        "without the factor": ch5._undamped,
        "square of m": ch5._square_of_m,
        "uphill": ch5._uphill,
    }
    for phrase, wrong in mistakes.items():
        feedback = ex.check(wrong)
        assert not feedback.correct
        assert phrase in feedback.message, (phrase, feedback.message)


def test_beta2_choice_has_one_right_answer():
    ex = _homework()["ch5-beta2"]
    assert [ex.check(letter).correct for letter in "abcde"] == [True, False, False, False, False]


# -- the four landscapes (the shared gamma, then each optimizer tuned) -----------------------

LANDSCAPES = {
    "ravine": (cc.ravine(), [-1.0, 0.9]),
    "saddle": (cc.saddle(), [1.2, 1e-3]),
    "plateau": (cc.plateau(), [3.0, 1.5]),
    "cliff": (cc.cliff(), [3.5, 1.2]),
}
STEPS, THRESHOLD, SHARED = 200, 1e-3, 0.15
FACTORIES = {
    "GD": lambda lr: cc.gd(lr),
    "momentum": lambda lr: cc.momentum(lr, beta=0.9),
    "RMSProp": lambda lr: cc.rmsprop(lr, rho=0.99),
    "Adam": lambda lr: cc.adam(lr),
}
LRS = np.logspace(-3, 2, 21)


def _settle(gap):
    """Per column: the step after which gap < THRESHOLD holds to the end, -1 if it never does."""
    gap = np.asarray(gap, dtype=float).reshape(len(gap), -1)
    above = ~(gap < THRESHOLD)
    last_above = len(gap) - 1 - np.argmax(above[::-1], axis=0)
    return np.where(above[-1], -1, np.where(above.any(axis=0), last_above + 1, 0))


@pytest.fixture(scope="module")
def shared():
    """name -> label -> (settle step or -1, final gap, trajectory) at gamma = 0.15."""
    out = {}
    for name, (problem, start) in LANDSCAPES.items():
        out[name] = {}
        for label, make in FACTORIES.items():
            traj = cc.run(make(SHARED), problem, start, STEPS)
            gap = traj.losses - problem.value(problem.minimizer)
            out[name][label] = (int(_settle(gap)[0]), float(gap[-1]), traj)
    return out


@pytest.fixture(scope="module")
def tuned():
    """name -> label -> settle step per learning rate of the grid (one stacked run per landscape)."""
    sweep = cc.stacked([make(LRS[:, None]) for make in FACTORIES.values()], rows=LRS.size)
    out = {}
    for name, (problem, start) in LANDSCAPES.items():
        traj = cc.run(sweep, problem, np.tile(start, (len(FACTORIES) * LRS.size, 1)), STEPS)
        gap = (traj.losses - problem.value(problem.minimizer)).reshape(STEPS + 1, len(FACTORIES), LRS.size)
        out[name] = {label: (_settle(gap[:, k]), gap[-1, k]) for k, label in enumerate(FACTORIES)}
    return out


def _best(entry):
    steps, final = entry
    key = np.where(steps >= 0, steps, STEPS + 1)
    return int(np.lexsort((np.nan_to_num(final, nan=np.inf), key))[0])


def test_shared_gamma_table(shared):
    """Chapter 5, 'Read the table landscape by landscape' (gamma = 0.15 for all four)."""
    s = {name: {label: v[0] for label, v in row.items()} for name, row in shared.items()}
    gap = {name: {label: v[1] for label, v in row.items()} for name, row in shared.items()}
    # ravine: GD fastest, then Adam, momentum, RMSProp
    assert 0 < s["ravine"]["GD"] < s["ravine"]["Adam"] < s["ravine"]["momentum"] < s["ravine"]["RMSProp"]
    # saddle: GD, then Adam, then momentum; RMSProp never settles (hops, gap above the threshold)
    assert 0 < s["saddle"]["GD"] < s["saddle"]["Adam"] < s["saddle"]["momentum"]
    assert s["saddle"]["RMSProp"] == -1 and gap["saddle"]["RMSProp"] > THRESHOLD
    # plateau: only Adam settles; GD and momentum keep most of the depth (1) of the well
    assert s["plateau"]["Adam"] > 0
    assert s["plateau"]["GD"] == s["plateau"]["momentum"] == s["plateau"]["RMSProp"] == -1
    assert 0.8 < gap["plateau"]["GD"] < gap["plateau"]["momentum"] < 1
    assert THRESHOLD < gap["plateau"]["RMSProp"] < 1e-2
    # cliff: RMSProp first, then Adam, momentum, GD
    assert 0 < s["cliff"]["RMSProp"] < s["cliff"]["Adam"] < s["cliff"]["momentum"] < s["cliff"]["GD"]
    # 'no optimizer wins everywhere ... Adam is the only one that settles on all four'
    assert [label for label in FACTORIES if all(s[n][label] >= 0 for n in LANDSCAPES)] == ["Adam"]
    assert s["ravine"]["GD"] < s["ravine"]["Adam"] and s["saddle"]["GD"] < s["saddle"]["Adam"]
    assert s["saddle"]["Adam"] < s["saddle"]["momentum"] and gap["saddle"]["Adam"] < 1e-10


def test_shared_gamma_details(shared):
    """Chapter 5: the plateau's creeping GD and momentum, the cliff's runs stay in the window,
    RMSProp's ravine run dips below the threshold early and is thrown out later, its first step is 10 gamma."""
    start = np.array(LANDSCAPES["plateau"][1])
    covered = {label: np.linalg.norm(start) - np.linalg.norm(shared["plateau"][label][2].thetas[-1])
               for label in ("GD", "momentum")}
    assert 0 < covered["momentum"] < covered["GD"] < 0.5 * np.linalg.norm(start)   # 'less than halfway'
    for label in FACTORIES:                                                           # the cliff: nothing thrown far
        thetas = shared["cliff"][label][2].thetas
        assert np.all(np.abs(thetas[:, 0]) <= 4) and np.all(np.abs(thetas[:, 1]) <= 2)
    gap = shared["ravine"]["RMSProp"][2].losses
    first_below = int(np.flatnonzero(gap < THRESHOLD)[0])
    back = first_below + int(np.flatnonzero(gap[first_below:] >= THRESHOLD)[0])
    assert (first_below, back) == (5, 165)
    adam_gap = shared["ravine"]["Adam"][2].losses
    assert np.all(adam_gap[shared["ravine"]["Adam"][0]:] < THRESHOLD)              # Adam: no such jump
    traj = cc.run(cc.rmsprop(SHARED, rho=0.99), *LANDSCAPES["plateau"], 1)
    np.testing.assert_allclose(np.abs(traj.thetas[1] - traj.thetas[0]), 10 * SHARED, rtol=1e-4)


def test_tuned_every_optimizer_settles_everywhere_and_gd_beats_adam(tuned):
    """Chapter 5, 'Each optimizer with its own learning rate': at its best gamma each of the four settles
    on each landscape; tuned GD settles before tuned Adam everywhere; Adam is never the fastest; Adam's best
    runs take 59 to 67 steps, never more than momentum's; GD's best plateau gamma is about 12 x 0.15."""
    best = {n: {label: int(tuned[n][label][0][_best(tuned[n][label])]) for label in FACTORIES}
            for n in LANDSCAPES}
    for n in LANDSCAPES:
        assert all(best[n][label] >= 0 for label in FACTORIES)
        assert best[n]["GD"] < best[n]["Adam"]
        assert best[n]["Adam"] > min(best[n].values())
        assert best[n]["Adam"] <= best[n]["momentum"]
    assert [best[n]["Adam"] for n in LANDSCAPES] == [67, 62, 59, 60]
    assert [best[n]["GD"] for n in LANDSCAPES] == [16, 16, 27, 15]
    gd_plateau = LRS[_best(tuned["plateau"]["GD"])]
    assert gd_plateau == pytest.approx(1.778, rel=1e-3) and round(gd_plateau / SHARED) == 12
    # every optimizer's best gamma lies inside the grid, except RMSProp's on the cliff (the top value)
    for n in LANDSCAPES:
        for label in FACTORIES:
            i = _best(tuned[n][label])
            assert 0 < i < LRS.size - 1 or (n, label) == ("cliff", "RMSProp")


def test_tuned_windows(tuned):
    """Chapter 5: the grid values that settle; Adam has the most on the saddle and the plateau, ties RMSProp
    on the ravine, RMSProp has more on the cliff; one gamma for all four landscapes: Adam 6 values (0.178 to
    3.16), momentum 5, GD and RMSProp one each; GD's reaches the tolerance on the plateau only at step 200."""
    count = {n: {label: int(np.sum(tuned[n][label][0] >= 0)) for label in FACTORIES} for n in LANDSCAPES}
    for n in ("saddle", "plateau"):
        assert count[n]["Adam"] > max(c for label, c in count[n].items() if label != "Adam")
    assert count["ravine"]["Adam"] == count["ravine"]["RMSProp"] == max(count["ravine"].values())
    assert count["cliff"]["RMSProp"] > count["cliff"]["Adam"] > count["cliff"]["momentum"]
    assert [count[n]["Adam"] for n in LANDSCAPES] == [17, 14, 10, 12]
    everywhere = {label: LRS[np.all([tuned[n][label][0] >= 0 for n in LANDSCAPES], axis=0)]
                  for label in FACTORIES}
    assert {label: v.size for label, v in everywhere.items()} == {"GD": 1, "momentum": 5, "RMSProp": 1,
                                                                  "Adam": 6}
    np.testing.assert_allclose([everywhere["Adam"].min(), everywhere["Adam"].max()], [0.17783, 3.1623],
                               rtol=1e-4)
    gd = int(np.flatnonzero(np.isin(LRS, everywhere["GD"]))[0])
    assert tuned["plateau"]["GD"][0][gd] == STEPS


def test_rmsprop_accidents():
    """Chapter 5: RMSProp's gamma = 0.1 on the ravine puts x within 1e-7 of 0 in one step; with a large
    gamma the first two steps go out and back by 10 gamma and leave gamma / sqrt(s_3) within 1% of 1 / h."""
    traj = cc.run(cc.rmsprop(0.1, rho=0.99), *LANDSCAPES["ravine"], 1)
    assert abs(traj.thetas[1, 0]) < 1e-7 and traj.thetas[1, 1] == pytest.approx(-0.1, abs=1e-6)
    for name, h in (("ravine", np.array([2.0, 10.0])), ("cliff", np.array([0.1, 1.0]))):
        problem, start = LANDSCAPES[name]
        big = cc.run(cc.rmsprop(100.0, rho=0.99), problem, start, 3, record_state=True)
        np.testing.assert_allclose(np.abs(big.thetas[1] - big.thetas[0]), 1000, rtol=1e-3)
        assert np.linalg.norm(big.thetas[2] - big.thetas[0]) < 0.01
        newton = 100.0 / np.sqrt(big.states.s[2]) * h
        assert np.all((newton > 1) & (newton < 1.01))


def test_memory_after_the_drop():
    """Chapter 5, fig-adam-memory: after the gradient drops 100-fold the step falls to 0.012 (beta2 0.999) and
    only to 0.2 (0.9); back to 1 within ~125 steps for 0.9, at 0.85 after 1000 for 0.99, below 0.1 at the end
    for 0.999."""
    opt = cc.adam(beta2=np.array([[0.999], [0.99], [0.9]]))
    theta, state, rec = np.zeros((3, 1)), opt.init(np.zeros((3, 1))), []
    for t in range(1, 3001):
        new, state = opt.step(theta, np.full((3, 1), 1.0 if t <= 200 else 0.01), state)
        rec.append(np.abs(new - theta)[:, 0] / 1e-3)
        theta = new
    after = np.array(rec)[200:]
    assert after.min(axis=0) == pytest.approx([0.01234, 0.01567, 0.19803], rel=1e-3)
    assert after[49, 0] == pytest.approx(0.0171, rel=1e-2) and after[999, 1] == pytest.approx(0.853, rel=1e-2)
    assert after[199, 2] > 0.999 and after[999, 0] < 0.05 and after[-1, 0] < 0.1


def test_explorer_gain_is_what_the_chapter_computes():
    """Chapter 5, the explorer: the per-coordinate gain 1/(sqrt(v_hat)+eps) of Adam on the plateau (gamma 0.15,
    the explorer's start, 100 steps) starts near 3000 and 4000, falls to about 3 and ends at 4.84 and 13.9, as
    the explorer's status line says; the step starts at gamma and ends near 0.02 gamma."""
    pytest.importorskip("ipywidgets")
    from coursecode.problems import PROBLEMS
    from coursecode.widgets.adam import gain

    entry = PROBLEMS["plateau"]
    opt = cc.adam(0.15)
    traj = cc.run(opt, entry.factory(), np.array(entry.start, dtype=float), 100, record_state=True)
    g = gain(opt, traj.states)
    assert g[0] == pytest.approx([2972.64, 4161.65], rel=1e-5)
    assert g[-1] == pytest.approx([4.83562, 13.9457], rel=1e-5)
    assert g[:, 0].min() < g[-1, 0] < g[0, 0]
    step = np.abs(np.diff(traj.thetas, axis=0)) / 0.15
    assert np.all(step[0] > 0.9999) and np.all(step[-1] < 0.03)
    from coursecode import widgets

    explorer = widgets.build("adam", problem="plateau", lr=0.15)
    try:
        assert "per-coordinate gain" in explorer.message
        assert "θ1 4.84, θ2 13.9" in explorer.message
    finally:
        explorer.close()
