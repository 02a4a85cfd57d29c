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
