"""Claims made in chapter 7 (chapters/07_amsgrad.ipynb), checked against coursecode."""
from __future__ import annotations

import numpy as np
import pytest

import coursecode as cc


def _adam_cycle_steps(C, beta2):
    """Chapter 7, eq-ch7-drift: Adam's three steps (units of gamma) in the stationary cycle of v."""
    v_a = (C**2 + beta2 + beta2**2) / (1 + beta2 + beta2**2)
    v_b = beta2 * v_a + (1 - beta2)
    v_c = beta2 * v_b + (1 - beta2)
    return np.array([-C / np.sqrt(v_a), 1 / np.sqrt(v_b), 1 / np.sqrt(v_c)]), v_a


def _cycle_moves(opt, C, lr, start=300):
    """x_{t+1} - x_t over the steps start+1..start+3 of a run from x_1 = 0, divided by lr."""
    traj = cc.run(opt, cc.reddi_cycle(C=C), [0.0], start + 3)
    return np.diff(traj.thetas[start:start + 4, 0]) / lr


@pytest.mark.parametrize("C, beta2", [(3.0, 0.1), (4.0, 1 / 17), (2.5, 0.3)])
def test_stationary_cycle_predicts_adams_steps(C, beta2):
    """eq-ch7-vcycle and eq-ch7-drift: the run's three steps equal the closed form (0.681 gamma for C = 3)."""
    lr = 1e-3
    moves = _cycle_moves(cc.adam(lr=lr, beta1=0.0, beta2=beta2), C, lr)
    steps, _ = _adam_cycle_steps(C, beta2)
    np.testing.assert_allclose(moves, steps, rtol=1e-6)


def test_drift_for_c3_is_068_gamma_and_the_rough_count_is_the_beta2_zero_limit():
    steps, _ = _adam_cycle_steps(3.0, 0.1)
    assert steps.sum() == pytest.approx(0.681, abs=1e-3)
    np.testing.assert_allclose(_adam_cycle_steps(3.0, 0.0)[0], [-1.0, 1.0, 1.0])


def test_amsgrad_cycle_move_is_a_gradient_step_on_the_cycle():
    """eq-ch7-ams-drift: once v_hat = v_a, AMSGrad moves by -gamma (C - 2)/sqrt(v_a) per cycle."""
    C, beta2, lr = 3.0, 0.1, 1e-3
    moves = _cycle_moves(cc.amsgrad(lr=lr, beta1=0.0, beta2=beta2), C, lr)
    _, v_a = _adam_cycle_steps(C, beta2)
    assert moves.sum() == pytest.approx(-(C - 2) / np.sqrt(v_a), rel=1e-6)


def test_reddis_beta2_lies_in_the_region_where_adam_drifts_the_wrong_way():
    """Chapter 7 map: beta2 = 1/(1 + C^2) gives a positive stationary drift for every C > 2."""
    for C in np.linspace(2.01, 50, 200):
        assert _adam_cycle_steps(C, 1 / (1 + C**2))[0].sum() > 0


def test_adam_ends_where_the_drift_points_and_beta1_09_rescues_it_on_the_cycle():
    """Chapter 7 map: far from the boundary Adam (beta1 = 0) ends on the side the drift points to;
    with beta1 = 0.9 it reaches -1 on the cycle even where beta1 >= sqrt(beta2)."""
    schedule = lambda t: 0.5 / np.sqrt(t)  # noqa: E731
    cases = [(3.0, 0.1, 1.0), (3.0, 0.8, -1.0), (8.0, 0.05, 1.0), (8.0, 0.5, -1.0)]
    for C, beta2, end in cases:
        assert np.sign(_adam_cycle_steps(C, beta2)[0].sum()) == end
        traj = cc.run(cc.adam(lr=schedule, beta1=0.0, beta2=beta2), cc.reddi_cycle(C=C), [0.0], 2000)
        assert np.sign(traj.final[0]) == end and abs(traj.final[0]) > 0.9
    for beta2 in (0.1, 0.5, 0.95):
        traj = cc.run(cc.adam(lr=schedule, beta1=0.9, beta2=beta2), cc.reddi_cycle(C=3.0), [0.0], 2000)
        assert traj.final[0] < -0.9


def test_paper_amsgrad_first_step_is_316_times_adams():
    """Three AMSGrads: (1 - beta1)/sqrt(1 - beta2) = 3.16 for the defaults; PyTorch's and optax's equal Adam's."""
    g = np.array([0.37])
    first = {}
    for name, opt in [("adam", cc.adam(lr=1.0, eps=0.0)), ("paper", cc.amsgrad(lr=1.0, eps=0.0)),
                      ("torch", cc.amsgrad(lr=1.0, eps=0.0, bias_correction=True)),
                      ("optax", cc.amsgrad(lr=1.0, eps=0.0, bias_correction=True, max_of="corrected"))]:
        x, _ = opt.step(np.zeros(1), g, opt.init(np.zeros(1)))
        first[name] = abs(float(x[0]))
    assert first["paper"] / first["adam"] == pytest.approx(0.1 / np.sqrt(0.001), rel=1e-12)
    assert first["torch"] == pytest.approx(first["adam"]) and first["optax"] == pytest.approx(first["adam"])


def test_optax_amsgrad_keeps_the_corrected_first_spike_forever():
    """Three AMSGrads on Reddi et al.'s periodic problem: optax's maximum holds g_1^2 = 1010^2,
    PyTorch's raw maximum settles far lower, so optax's steps end about 8 times shorter."""
    kw = dict(lr=lambda t: 0.5 / np.sqrt(t), beta1=0.9, beta2=0.99, bias_correction=True)
    steps = 1500
    optax = cc.run(cc.amsgrad(max_of="corrected", **kw), cc.reddi_spike(), [0.0], steps, record_state=True)
    torch = cc.run(cc.amsgrad(**kw), cc.reddi_spike(), [0.0], steps, record_state=True)
    assert optax.states.v_max[-1, 0] == pytest.approx(1010.0**2)
    ratio = np.sqrt(optax.states.v_max[-1, 0]) / np.sqrt(torch.states.v_max[-1, 0] / (1 - 0.99**steps))
    assert 7 < ratio < 9


# -- the homework module ----------------------------------------------------------------

def _homework():
    pytest.importorskip("ipywidgets")
    from coursecode.homework import ch7

    return {e.id: e for e in ch7.exercises()}


def test_homework_ids_are_chapter_7():
    assert list(_homework()) == ["ch7-cycle-sum", "ch7-beta2", "ch7-drift", "ch7-max", "ch7-amsgrad-step"]


def test_numeric_homework_answers():
    hw = _homework()
    assert hw["ch7-cycle-sum"].answer == -1.0
    assert hw["ch7-cycle-sum"].check("-1").correct
    for wrong in ["1", "-5", "5", "0", "-3", "x", ""]:
        assert not hw["ch7-cycle-sum"].check(wrong).correct
    assert hw["ch7-beta2"].check("0.1").correct and hw["ch7-beta2"].check("1/10").correct
    for wrong in ["0.111", "0.25", "0.316", "0.9"]:
        assert not hw["ch7-beta2"].check(wrong).correct
    drift = hw["ch7-drift"]
    assert drift.answer == pytest.approx(_adam_cycle_steps(3.0, 0.1)[0].sum(), rel=1e-6)
    assert drift.check("0.68").correct
    for wrong in ["1", "-0.349", "-0.68", "0.5", "0.9"]:
        assert not drift.check(wrong).correct


def test_max_choice_has_one_right_answer():
    ex = _homework()["ch7-max"]
    assert [ex.check(letter).correct for letter in "abcde"] == [True, False, False, False, False]


def _amsgrad_step(x, g, m, v, v_hat, lr, beta1, beta2):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    v_hat = np.maximum(v_hat, v)
    return x - lr * m / np.sqrt(v_hat), m, v, v_hat


def test_amsgrad_step_accepts_a_correct_step_and_diagnoses_typical_mistakes():
    ex = _homework()["ch7-amsgrad-step"]
    from coursecode.homework import ch7

    assert ex.check(_amsgrad_step).correct
    mistakes = {
        ch7._no_max: "current √v",
        ch7._max_of_old_v: "before the update",
        ch7._max_of_g2: "over g²",
        ch7._step_with_g: "first moment m",
        ch7._uphill: "uphill",
    }
    for wrong, phrase in mistakes.items():
        feedback = ex.check(wrong)
        assert not feedback.correct and phrase in feedback.message, (wrong.__name__, feedback.message)
