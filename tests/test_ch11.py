"""Claims made in chapter 11 (chapters/11_schedules.ipynb), checked against coursecode.

The chapter's experiments are ``learning.schedule_runs``: Adam's step sizes on pure
noise, the batched sweep of four schedules over four horizons, and Schedule-Free AdamW
on the same noisy quadratic. The fixtures run them once (a few seconds).
"""
from __future__ import annotations

import numpy as np
import pytest

import coursecode as cc
from coursecode import schedules
from coursecode.homework import ch11
from coursecode.learning import schedule_runs as R


@pytest.fixture(scope="module")
def sweep():
    return R.horizon_sweep()


@pytest.fixture(scope="module")
def free():
    return R.schedule_free_sweep()


@pytest.fixture(scope="module")
def sizes():
    return {"adam": R.update_sizes(), "warm": R.update_sizes(warmup=2000), "radam": R.update_sizes(warmup="radam")}


def _idx(sweep, name):
    return sweep.names.index(name)


# ---------------------------------------------------------------- warm-up

def test_first_step_and_steady_step_of_adam(sizes):
    """eq-ch11-first-step and eq-ch11-steady: 1 at step 1, sqrt(0.1/1.9) = 0.229 late; 'more than four times'."""
    adam = sizes["adam"]
    steady = np.sqrt(0.1 / 1.9)
    assert adam[0] == pytest.approx(1.0, abs=1e-6)
    assert abs(adam[1000:].mean() - steady) < 0.005
    assert adam[0] / adam[1000:].mean() > 4
    assert 1 / steady == pytest.approx(np.sqrt(19))


def test_warmup_figure_alt_text(sizes):
    """fig-ch11-warmup: Adam ~0.23 by step 30; warm-up starts near 0.0005 and reaches the line after step 2000;
    RAdam: five momentum steps from 1 to 0.45, below 0.02 at step 6, about 0.2 by step 3000."""
    adam, warm, radam = sizes["adam"], sizes["warm"], sizes["radam"]
    assert abs(adam[29] - 0.23) < 0.02
    assert warm[0] == pytest.approx(0.0005, rel=0.05)
    assert np.all(np.diff(warm[:2000:100]) > 0) and abs(warm[2500:].mean() - np.sqrt(0.1 / 1.9)) < 0.01
    assert radam[0] == pytest.approx(1.0, abs=0.01) and radam[4] == pytest.approx(0.45, abs=0.01)
    assert radam[5] < 0.02 and abs(radam[-1] - 0.2) < 0.03
    assert np.all(radam[5:] < adam[5:] + 1e-12)          # RAdam's rectified steps stay below Adam's
    assert np.all(warm < adam + 1e-12)


def test_radam_momentum_steps():
    """'5 momentum steps' for beta2 = 0.999: rho_t <= 5 for t = 1..5 (PyTorch's threshold)."""
    b2 = 0.999
    t = np.arange(1, 100)
    rho = (2 / (1 - b2) - 1) - 2 * t * b2**t / (1 - b2**t)
    assert int(np.sum(rho <= 5)) == 5
    assert schedules.untuned_warmup_steps(0.999) == 2000 and schedules.untuned_warmup_steps(0.99) == 200


# ---------------------------------------------------------------- the sweep

def test_grid_is_wide_enough(sweep, free):
    for s in (sweep, free):
        assert np.all((s.best_lr() > s.lrs[0]) & (s.best_lr() < s.lrs[-1]))


def test_cosine_lowest_at_every_horizon_and_gap_to_constant_grows(sweep):
    tuned = sweep.tuned()
    c, k = _idx(sweep, "cosine"), _idx(sweep, "constant")
    assert np.all(tuned[c] == tuned.min(axis=0))
    ratio = tuned[k] / tuned[c]
    assert np.all(ratio > 1) and ratio[-1] > ratio[0]
    assert np.all(np.diff(tuned, axis=1) < 0)                      # every schedule improves with the horizon


def test_best_constant_lr_falls_and_decaying_schedules_afford_larger_peaks(sweep):
    best = sweep.best_lr()
    k, c = _idx(sweep, "constant"), _idx(sweep, "cosine")
    assert np.all(np.diff(best[k]) < 0)
    assert np.all(best[c] >= best[k])


def test_step_and_wsd_in_between_at_longer_horizons(sweep):
    tuned = sweep.tuned()
    c, k, s, w = (_idx(sweep, n) for n in ("cosine", "constant", "step", "wsd"))
    for j in range(1, 4):
        assert tuned[c, j] < tuned[s, j] < tuned[k, j] and tuned[c, j] < tuned[w, j] < tuned[k, j]
    assert len(set(np.sign(tuned[s] - tuned[w])[1:])) == 2      # which one is lower changes with the horizon
    se = sweep.stderr()
    assert np.all(np.abs(tuned[s] - tuned[w])[1:] / np.hypot(se[s], se[w])[1:] < 1.5)
    assert np.all(tuned[w] > tuned[c])                             # WSD stays above the cosine


def test_horizons_figure_alt_text(sweep):
    tuned = sweep.tuned()
    k, c = _idx(sweep, "constant"), _idx(sweep, "cosine")
    assert round(tuned[k, 0], 2) == 0.12 and round(tuned[k, -1], 3) == 0.027
    assert round(tuned[c, 0], 3) == 0.085 and round(tuned[c, -1], 3) == 0.011


def test_anytime_cosine_planned_long_is_worse_early(sweep):
    c = _idx(sweep, "cosine")
    j = sweep.mean()[c, -1].argmin()
    early = sweep.at[c, j].mean(axis=0)
    assert np.all(early[:-1] > sweep.tuned()[c, :-1])
    assert early[-1] == pytest.approx(sweep.tuned()[c, -1])
    assert round(early[0], 2) == 0.21


def test_sweep_rows_equal_separate_runs():
    """The batched sweep (rows leaving the batch) gives what one schedule run alone gives: same draws aside,
    the same distribution. Here: a one-schedule, one-horizon sweep reproduces a plain cc.run exactly."""
    s = R.horizon_sweep(names=("cosine",), horizons=(50,), lrs=[0.1], seeds=1, seed=3)
    f = R.noisy_quadratic(seed=3)
    traj = cc.run(cc.adam(lr=schedules.cosine(0.1, horizon=50)), f, R.start()[None], 50)
    assert s.losses[0, 0, 0, 0] == pytest.approx(float(R.noisy_quadratic().problem.value(traj.final[0])), rel=1e-12)


# ---------------------------------------------------------------- schedule-free

def test_schedule_free_above_cosine_at_or_below_constant(sweep, free):
    tuned, f = sweep.tuned(), free.tuned()[0]
    c, k = _idx(sweep, "cosine"), _idx(sweep, "constant")
    assert np.all(f > tuned[c])
    assert np.all(f <= tuned[k])
    assert f[-1] / tuned[c, -1] > 1.5


def test_one_schedule_free_run_is_worse_than_the_long_cosine_everywhere(sweep, free):
    c = _idx(sweep, "cosine")
    early = sweep.at[c, sweep.mean()[c, -1].argmin()].mean(axis=0)
    j = free.mean()[0, -1].argmin()
    once = free.losses[0, :, j].mean(axis=-1)
    at_y = free.at_y[0, 0, j].mean()
    assert np.all(once > early)
    assert once[0] > at_y > early[0]                     # y better than x at 250, still above the cosine
    assert round(once[0], 2) == 1.25 and round(once[1], 2) == 0.86 and round(once[-1], 3) == 0.023
    assert round(free.tuned()[0, 0], 2) == 0.12 and round(free.tuned()[0, -1], 3) == 0.023


def test_worked_solution_averaging_removes_noise():
    rng = np.random.default_rng(0)
    y = z = x = np.full(1000, 2.0)
    for t in range(1, 501):
        g = y + rng.standard_normal(1000)
        y, z, x = ch11.sf_sgd_step(y, z, x, g, t, lr=0.1, beta=0.9)
    rms_z, rms_x = np.sqrt(np.mean(z**2)), np.sqrt(np.mean(x**2))
    assert rms_x < 0.5 * rms_z


def test_homework_reference_matches_the_optimizer_structure():
    """sf_sgd_step's (y, z, x) relations are those of cc.schedule_free_adamw: y interpolates, x averages."""
    y, z, x = ch11.sf_sgd_step(np.ones(2), np.ones(2), np.ones(2), np.array([0.5, 1.0]), 1, 0.1, 0.9)
    assert np.allclose(z, x) and np.allclose(y, z)                  # c_1 = 1: x_1 = z_1
    ex = {e.id: e for e in ch11.exercises()}
    assert ex["ch11-first-step"].answer == pytest.approx(np.sqrt(19))


def test_noise_free_transient(sweep, free):
    """ch11-noise-free: without noise the schedule-free run tuned for 2000 is still far from 0 at steps 250
    and 500 while the cosine is tiny; z has passed the minimizer in every coordinate and x has not."""
    f0 = R.noisy_quadratic(noise=0.0)
    lr_sf = free.lrs[free.mean()[0, -1].argmin()]
    lr_cos = sweep.lrs[sweep.mean()[_idx(sweep, "cosine"), -1].argmin()]
    opt = cc.schedule_free_adamw(lr=lr_sf)
    y = R.start()
    state = opt.init(y)
    cos = cc.run(cc.adam(lr=schedules.cosine(lr_cos, horizon=2000)), f0, R.start(), 2000)
    for t in range(1, 501):
        y, state = opt.step(y, f0.grad(y), state)
        if t == 250:
            assert np.all(state.z < 0) and np.all(state.x > 0)
            x250, z250 = float(f0.value(state.x)), float(f0.value(state.z))
    x500 = float(f0.value(state.x))
    assert x250 > 0.3 and x500 > 0.3 and z250 > 10 * x250
    assert cos.losses[250] < 1e-3 * x250 and cos.losses[500] < 1e-12
    noisy_once = free.losses[0, 0, free.mean()[0, -1].argmin()].mean()
    assert x250 > 0.3 * noisy_once             # a large part of the noisy loss is transient


# ---------------------------------------------------------------- the explorer

def test_explorer_cosine_freezes_after_its_horizon_and_schedule_free_ignores_it():
    """ch11-explore-md: runs shorter than the longest of the sweeps; after the horizon the cosine's loss is
    frozen; the schedule-free curve is the same for every horizon; a warmup-stable-decay run coincides for
    two horizons until the earlier decay starts."""
    import inspect

    from coursecode.widgets.schedules import STEPS, ScheduleExplorer
    longest = max(inspect.signature(R.horizon_sweep).parameters["horizons"].default)
    assert STEPS == 1000 < longest                                        # glued sched_explorer_steps
    ex = ScheduleExplorer(shape="cosine", lr=0.1, horizon=500, warmup=0)
    try:
        assert ex.controls["horizon"].max == STEPS
        results = {}
        for T in (125, 250, 500, 1000):                                   # the pre-computed slider's frames
            gamma, losses, horizon = ex._cached({**ex.values, "horizon": float(T)})
            assert horizon == T and np.all(gamma[T:] == 0) and losses.shape == (STEPS + 1, 2)
            assert np.all(losses[T:, 0] == losses[T, 0])                 # frozen after the horizon
            results[T] = losses
        for T in (250, 500, 1000):
            assert np.array_equal(results[T][:, 1], results[125][:, 1])  # schedule-free: no horizon
        a = ex._cached({**ex.values, "shape": "wsd", "horizon": 500.0})[1]
        b = ex._cached({**ex.values, "shape": "wsd", "horizon": 1000.0})[1]
        assert np.array_equal(a[:401, 0], b[:401, 0]) and not np.array_equal(a[:, 0], b[:, 0])
        ex.update(shape="step", lr=1.0, horizon=125, warmup=250)       # extremes draw, never raise
        assert "step" in ex.message and ex.static_html().startswith('<div class="cc-explorer-static">')
    finally:
        ex.close()


def test_schedules_figure_alt_text():
    """fig-ch11-schedules: the staircase, the cosine's midpoint, WSD's phases, for T = 1000."""
    T = 1000
    st = schedules.step(1.0, every=np.ceil(T / 3))
    assert st(334) == 1.0 and st(335) == pytest.approx(0.1) and st(668) == pytest.approx(0.1)
    assert st(669) == pytest.approx(0.01)
    cos = schedules.cosine(1.0, horizon=T)
    assert cos(500) > 0.5 and cos(501) == pytest.approx(0.5)
    w = schedules.wsd(1.0, horizon=T, warmup=100)
    assert w(1) == pytest.approx(0.01) and w(100) == 1.0 and w(801) == 1.0 and w(802) < 1.0
    assert w(1000) < 0.01 and w(1001) == 0.0
    cw = schedules.cosine(1.0, horizon=T, warmup=200)
    assert cw(200) == pytest.approx(1.0) and cw(1001) == 0.0


def test_single_schedule_free_run_is_the_worst_at_250(sweep, free):
    """fig-ch11-schedule-free caption: the single run tuned for 2000 is the highest of the five lines at 250."""
    c, k = _idx(sweep, "cosine"), _idx(sweep, "constant")
    j = free.mean()[0, -1].argmin()
    once = free.losses[0, 0, j].mean()
    early = sweep.at[c, sweep.mean()[c, -1].argmin()].mean(axis=0)[0]
    assert once > max(early, sweep.tuned()[c, 0], sweep.tuned()[k, 0], free.tuned()[0, 0])


# ---------------------------------------------------------------- the digits

def test_digits_schedule_free_ties_the_cosine():
    """ch11-digits: best learning rates inside the grid; schedule-free lower at both horizons, by less than
    two standard errors of the difference (a tie); 34 steps per epoch."""
    d = R.digits_runs()
    (c, cse, cj), (f, fse, fj) = d.tuned()
    assert d.horizons.tolist() == [5 * 34, 20 * 34]
    assert all(0 < j < d.lrs.size - 1 for j in (*cj, *fj))
    z = (c - f) / np.sqrt(cse**2 + fse**2)
    assert np.all(z > 0) and np.all(z < 2)
    assert np.all(np.diff(c) < 0) and np.all(np.diff(f) < 0)
