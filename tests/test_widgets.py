"""The explorers of coursecode.widgets: built without a display, driven by update().

Every explorer is built and updated at each control's minimum and maximum, at
every menu option and at seeded random settings: no exception, a status line,
and the word "diverged" in it exactly where a run diverged. Also: the figure and
its artists are reused (set_data), a control change runs update(), the static
fallback has alt text and no network reference, and the explorers' numbers
(momentum's optimal pair, the AMSGrad counterexample, AdamW against Adam + L2)
are right and come from the core: the gain panels draw the state that
``cc.run`` recorded, the AMSGrad grid is runs of ``cc.reddi_cycle`` and their regret.
"""
from __future__ import annotations

import math
import os

os.environ.setdefault("MPLBACKEND", "Agg")

import ipywidgets as W  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import coursecode as cc  # noqa: E402
from coursecode import widgets  # noqa: E402
from coursecode.problems import PROBLEMS  # noqa: E402

NAMES = ["landscape", "momentum", "adam", "amsgrad", "adamw", "schedules", "imbalance"]


@pytest.fixture(scope="module")
def built():
    """One explorer of each kind for the module (building draws every scene once)."""
    made = {name: widgets.build(name) for name in NAMES}
    yield made
    for ex in made.values():
        ex.close()


def control_settings(ex):
    """(name, value) pairs: each slider's min and max, each option, both checkbox states."""
    out = []
    for name, c in ex.controls.items():
        if isinstance(c, W.Dropdown):
            out += [(name, o[1] if isinstance(o, tuple) else o) for o in c.options]
        elif isinstance(c, W.Checkbox):
            out += [(name, True), (name, False)]
        elif isinstance(c, W.FloatLogSlider):
            out += [(name, c.base ** c.min), (name, c.base ** c.max)]
        else:
            out += [(name, c.min), (name, c.max)]
    return out


def random_settings(ex, rng, n):
    settings = []
    for _ in range(n):
        values = {}
        for name, c in ex.controls.items():
            if isinstance(c, W.Dropdown):
                options = [o[1] if isinstance(o, tuple) else o for o in c.options]
                values[name] = options[rng.integers(len(options))]
            elif isinstance(c, W.Checkbox):
                values[name] = bool(rng.integers(2))
            elif isinstance(c, W.FloatLogSlider):
                values[name] = float(c.base ** rng.uniform(c.min, c.max))
            else:
                values[name] = float(rng.uniform(c.min, c.max))
        settings.append(values)
    return settings


def assert_sane(ex):
    assert isinstance(ex.message, str) and ex.message
    assert ex.image.value[:2] == b"\xff\xd8"  # a JPEG frame was sent to the widget
    if ex.diverged:
        assert "diverged" in ex.message.lower()
        assert "diverged" in ex.status.value.lower()


def test_registry_has_the_chapters_explorers():
    reg = widgets.registry()
    assert set(NAMES) <= set(reg)
    assert all(callable(f) for f in reg.values())
    reg.clear()  # a copy: the module's registry is untouched
    assert set(NAMES) <= set(widgets.registry())


@pytest.mark.parametrize("name", NAMES)
def test_explorer_interface(built, name):
    ex = built[name]
    assert ex.controls and all(isinstance(c, W.ValueWidget) for c in ex.controls.values())
    assert isinstance(ex.widget, W.VBox)
    assert ex.values == {k: c.value for k, c in ex.controls.items()}
    assert_sane(ex)


@pytest.mark.parametrize("name", NAMES)
def test_every_control_at_its_extremes(built, name):
    ex = built[name]
    start = ex.values
    for control, value in control_settings(ex):
        ex.update(**{control: value})
        assert_sane(ex)
    ex.update(**start)


@pytest.mark.parametrize("name", NAMES)
def test_random_settings(built, name):
    ex = built[name]
    start = ex.values
    for values in random_settings(ex, np.random.default_rng(12345), 6):
        ex.update(**values)
        assert_sane(ex)
    ex.update(**start)


@pytest.mark.parametrize("name, values", [
    ("landscape", {"problem": "ravine", "optimizer": "gd", "lr": 10.0}),
    ("landscape", {"problem": "rosenbrock", "optimizer": "gd", "lr": 0.1}),
    ("momentum", {"lr": 10.0, "beta": 0.0}),
    ("adam", {"problem": "ravine", "lr": 10.0}),
    ("adamw", {"lr": 1.0, "weight_decay": 5.0}),
])
def test_divergence_is_drawn_and_said(built, name, values):
    ex = built[name]
    start = ex.values
    ex.update(**values)
    assert ex.diverged
    assert "diverged" in ex.message
    assert "diverged" in ex.status.value
    ex.update(**start)
    assert not ex.diverged


@pytest.mark.parametrize("name", NAMES)
def test_figure_and_artists_are_reused(built, name):
    ex = built[name]
    fig, axes = ex.figure, list(ex.figure.axes)
    counts = [len(ax.get_children()) for ax in axes]
    start = ex.values
    for values in random_settings(ex, np.random.default_rng(7), 3):
        ex.update(**values)
    ex.update(**start)
    assert ex.figure is fig and list(fig.axes) == axes
    assert [len(ax.get_children()) for ax in axes] == counts


def test_no_pyplot_figures_are_made():
    before = plt.get_fignums()
    ex = widgets.build("adamw")
    ex.update(lr=0.1)
    ex.close()
    assert plt.get_fignums() == before


def test_a_control_change_runs_update(built):
    ex = built["landscape"]
    ex.update(problem="ravine", optimizer="gd", lr=0.1)
    ex.controls["lr"].value = 10.0  # what dragging the slider does
    assert ex.diverged and "diverged" in ex.message
    ex.controls["lr"].value = 0.1
    assert not ex.diverged


def test_a_failing_redraw_reports_instead_of_raising(monkeypatch):
    ex = widgets.build("adamw")

    def broken(values):
        raise RuntimeError("boom")

    monkeypatch.setattr(ex, "_compute", broken)
    ex.controls["lr"].value = 0.2  # the observer catches: no traceback reaches the reader
    assert "Could not redraw" in ex.status.value and "boom" in ex.status.value
    ex.close()


def test_update_rejects_what_no_control_can_show(built):
    ex = built["landscape"]
    with pytest.raises(TypeError, match="no control"):
        ex.update(learning_rate=0.1)
    with pytest.raises(ValueError, match="problem"):
        ex.update(problem="himmelblau")
    with pytest.raises(ValueError, match="finite"):
        ex.update(lr=float("nan"))
    ex.update(lr=1e9)  # clamped to the slider's maximum, as the slider would
    assert ex.controls["lr"].value == pytest.approx(10.0)
    ex.update(lr=0.1)


def test_landscape_problem_moves_the_start_sliders(built):
    ex = built["landscape"]
    ex.update(problem="rosenbrock")
    assert (ex.controls["x0"].min, ex.controls["x0"].max) == (-2.0, 2.0)
    assert (ex.controls["x0"].value, ex.controls["y0"].value) == (-1.5, 2.0)
    ex.update(problem="plateau", x0=4.0, y0=-4.5)  # an explicit start in the new window is kept
    assert (ex.controls["x0"].value, ex.controls["y0"].value) == (4.0, -4.5)
    ex.update(problem="ravine")
    assert (ex.controls["x0"].min, ex.controls["x0"].max) == (-1.2, 1.2)


def test_landscape_saddle_and_ravine_messages(built):
    ex = built["landscape"]
    ex.update(problem="saddle", optimizer="gd", lr=0.1, x0=-1.2, y0=0.0)
    assert "saddle point" in ex.message
    ex.update(problem="ravine", optimizer="gd", lr=0.1)
    assert "2/λmax = 0.2" in ex.message and "converged" in ex.message


def test_the_package_re_exports_the_core_instead_of_copying_it():
    from coursecode import problems, theory
    assert widgets.momentum_optimum is theory.momentum_optimum
    assert widgets.momentum_rate is theory.momentum_rate
    assert widgets.PROBLEMS is problems.PROBLEMS
    for name in widgets.__all__:
        assert hasattr(widgets, name), name


def test_momentum_optimal_pair_and_rate():
    alpha, beta, rate = widgets.momentum_optimum(2.0, 10.0)
    assert alpha == pytest.approx(4 / (math.sqrt(10) + math.sqrt(2)) ** 2)
    assert beta == pytest.approx(((math.sqrt(10) - math.sqrt(2)) / (math.sqrt(10) + math.sqrt(2))) ** 2)
    assert rate == pytest.approx(math.sqrt(beta))
    assert float(widgets.momentum_rate(alpha, beta, [2.0, 10.0])) == pytest.approx(rate)
    assert float(widgets.momentum_rate(2 / 12, 0.0, [2.0, 10.0])) == pytest.approx(8 / 12)  # GD's best
    # the heavy ball at the optimal pair converges at that rate, measured on the ravine
    traj = cc.run(cc.momentum(lr=alpha, beta=beta, form="heavy_ball"), cc.ravine(), [1.0, 1.0], 60)
    err = np.linalg.norm(traj.thetas, axis=1)
    measured = (err[60] / err[30]) ** (1 / 30)
    assert measured == pytest.approx(rate, rel=0.15)


@pytest.mark.parametrize("form", ["ema", "heavy_ball"])
def test_momentum_snap_sets_the_optimal_pair(form):
    ex = widgets.momentum_explorer(form=form)
    alpha, beta, rate = widgets.momentum_optimum(2.0, 10.0)
    expected_lr = alpha / (1 - beta) if form == "ema" else alpha
    ex.update(snap=True)
    assert ex.controls["lr"].value == pytest.approx(expected_lr)
    assert ex.controls["beta"].value == pytest.approx(beta)
    assert f"rate {rate:.3f}" in ex.message
    ex.update(lr=0.5)  # moving a slider leaves the optimum
    assert ex.controls["snap"].value is False
    ex.close()


def test_momentum_ema_form_equals_heavy_ball_with_scaled_lr():
    ema, hb = widgets.momentum_explorer(form="ema"), widgets.momentum_explorer(form="heavy_ball")
    ema.update(lr=0.8, beta=0.5)
    hb.update(lr=0.4, beta=0.5)
    a = ema._cached(ema.values).thetas
    b = hb._cached(hb.values).thetas
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    ema.close()
    hb.close()


def test_amsgrad_counterexample(built):
    ex = built["amsgrad"]
    ex.update(C=3.0, beta1=0.0, beta2=0.1)
    x, avg = widgets.amsgrad_grid()
    i, j, k = ex._compute(ex.values)
    assert x[0, -1, i, j, k] > 0.9          # Adam drifts to the wrong end, x = +1
    assert x[1, -1, i, j, k] < -0.9         # AMSGrad finds x* = -1
    assert avg[0, -1, i, j, k] > 5 * avg[1, -1, i, j, k]
    assert "condition" in ex.message and "holds" in ex.message
    ex.update(beta1=0.9, beta2=0.5)         # 0.9 >= sqrt(0.5)
    assert "fails" in ex.message
    ex.update(C=3.0, beta1=0.0, beta2=0.1)


@pytest.mark.parametrize("i, j, k", [(1, 0, 5),     # C = 3, beta1 = 0, beta2 = 0.1: Adam fails
                                     (0, 9, 0),     # the corners of the grid
                                     (15, 9, 49),
                                     (9, 4, 27)])
def test_amsgrad_grid_is_runs_of_reddi_cycle_and_their_regret(i, j, k):
    x, avg = widgets.amsgrad_grid()
    g = widgets.AMSGRAD_GRID
    lr = lambda t: widgets.AMSGRAD_ALPHA / np.sqrt(t)  # noqa: E731
    for o, opt in enumerate([cc.adam(lr=lr, beta1=g["beta1"][j], beta2=g["beta2"][k], eps=1e-8),
                             cc.amsgrad(lr=lr, beta1=g["beta1"][j], beta2=g["beta2"][k], eps=1e-8)]):
        traj = cc.run(opt, cc.reddi_cycle(float(g["C"][i])), [0.0], widgets.AMSGRAD_STEPS)
        R = traj.regret()
        # one run alone, or one row of the grid's batch: the same numbers, stored as float32
        np.testing.assert_array_equal(x[o, :, i, j, k], traj.thetas[:, 0].astype(np.float32))
        np.testing.assert_array_equal(avg[o, :, i, j, k], (R / np.arange(1, len(R) + 1)).astype(np.float32))


def test_adamw_against_adam_l2(built):
    ex = built["adamw"]
    ex.update(lr=0.05, weight_decay=0.5)
    traj, _ = ex._cached(ex.values)
    l2, w = traj.thetas[-1]
    solution = np.array([100 / 100.5, 1 / 1.5])
    np.testing.assert_allclose(l2, solution, atol=2e-3)   # Adam + L2 reaches the L2 minimizer
    assert w[0] == pytest.approx(w[1], abs=0.01)           # AdamW shrinks both coordinates alike
    assert w[0] < 0.95
    assert "hardly regularized" in ex.message


def recorded_gain(opt, state):
    """1/(sqrt(v_hat_t) + eps) from an Adam state recorded by cc.run, one row (steps, d)."""
    v_hat = state.v[:, 0] / (1 - opt.beta2 ** state.t[:, None].astype(float))
    return 1 / (np.sqrt(v_hat) + opt.eps)


@pytest.mark.parametrize("values", [
    {"problem": "plateau", "lr": 0.15},
    {"problem": "rosenbrock", "lr": 0.01, "beta1": 0.5, "beta2": 0.9, "eps": 1e-3},
    {"problem": "saddle", "lr": 0.05, "beta2": 0.5, "eps": 1e-12},
])
def test_adam_gain_panel_draws_the_state_run_recorded(built, values):
    ex = built["adam"]
    start = ex.values
    ex.update(**values)
    v = ex.values
    entry = PROBLEMS[v["problem"]]
    adam = cc.adam(lr=v["lr"], beta1=v["beta1"], beta2=v["beta2"], eps=v["eps"])
    traj = cc.run(cc.stacked([adam, cc.gd(lr=v["lr"])]), entry.factory(), np.tile(entry.start, (2, 1)),
                  ex.steps, record_state=True)
    expected = recorded_gain(adam, traj.states[0])
    for i, line in enumerate(ex.gains):
        steps, drawn = line.get_data()
        np.testing.assert_array_equal(steps, traj.states[0].t)
        np.testing.assert_allclose(drawn, np.clip(expected[:, i], 1e-3, 1e6), rtol=1e-13)
    assert "per-coordinate gain 1/(√v̂+ε)" in ex.message and "per unit lr" not in ex.message
    assert ex.ax_gain.get_title() == "Adam's per-coordinate gain"
    ex.update(**start)


@pytest.mark.parametrize("lr, weight_decay", [(0.05, 0.5), (0.3, 2.0), (0.01, 0.0)])
def test_adamw_decay_panel_draws_the_state_run_recorded(built, lr, weight_decay):
    ex = built["adamw"]
    start = ex.values
    ex.update(lr=lr, weight_decay=weight_decay)
    l2 = cc.adam_l2(lr=lr, weight_decay=weight_decay)
    traj = cc.run(cc.stacked([l2, cc.adamw(lr=lr, weight_decay=weight_decay)]), ex.problem, np.zeros((2, 2)),
                  ex.steps, record_state=True)
    expected = recorded_gain(l2, traj.states[0])   # Adam + L2's v holds the squares of g + lambda theta
    for i, line in enumerate(ex.decays):
        steps, drawn = line.get_data()
        np.testing.assert_array_equal(steps, traj.states[0].t)
        np.testing.assert_allclose(drawn, np.clip(expected[:, i], 1e-3, 1e5), rtol=1e-13)
    ex.update(**start)


@pytest.mark.parametrize("name", NAMES)
def test_static_fallback(built, name):
    ex = built[name]
    bundle = ex._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == ex.widget.model_id
    page = bundle["text/html"]
    assert '<img src="data:image/png;base64,' in page and 'alt="' in page
    assert "Binder" in page and "Colab" in page          # how to run it live
    assert "http" not in page                             # nothing fetched from the network
    assert ex.title in bundle["text/plain"]
    assert len(ex.alt_text()) > 80


def test_static_picture_shows_the_current_scene():
    ex = widgets.build("landscape")  # building drew every problem's scene once, the cliff last
    first = ex.png()
    ex.update(problem="cliff")
    cliff = ex.png()
    ex.update(problem="ravine")
    assert ex.png() == first != cliff
    ex.close()


def test_precomputed_slider_is_small_and_offline():
    page = widgets.precomputed("landscape", "lr", [0.05, 0.1, 0.19, 0.25], label="learning rate",
                               problem="ravine", optimizer="gd")
    assert 'type="range"' in page and 'aria-label="learning rate"' in page
    assert page.count("iVBORw0KGgo") == 1 + 4  # base64 PNGs: the first frame shown, and the 4 frames
    assert "http" not in page and "<script src" not in page
    assert len(page) < 400_000
    assert "learning rate = 0.25" in page and "diverged" in page  # the last frame's alt says so


def test_imbalance_explorer_reuses_the_runs_a_slider_does_not_change():
    from coursecode.learning.imbalance import OPTIMIZERS, Bigram, train, zipf_pairs
    from coursecode.widgets.imbalance import IMBALANCE_LR, IMBALANCE_RECORD, IMBALANCE_STEPS

    ex = widgets.build("imbalance", exponent=0.5, lr=100.0, other="sign descent")
    try:
        assert len(ex._other_runs) == 7 * 2 and len(ex._models) == 7   # every stop, made at the build
        right = ex._other_runs[(0.5, "sign descent")]
        ex.update(lr=1000.0)                                  # only gradient descent is rerun
        assert ex._cached(ex.values)[1][1] is right
        left = ex._cached(ex.values)[1][0]
        ex.update(other="Adam")                               # the menu reruns nothing
        assert ex._cached(ex.values)[1][0] is left
        ex.update(exponent=0.6, other="sign descent")         # the slider's stop: 0.5
        assert ex.values["exponent"] == 0.5 and len(ex._models) == 7 and len(ex._other_runs) == 14
        model, runs = ex._cached(ex.values)
        f = Bigram(zipf_pairs(exponent=0.5))
        gd = train(OPTIMIZERS["GD"](1000.0), f, IMBALANCE_STEPS, record=IMBALANCE_RECORD)
        sd = train(OPTIMIZERS["sign descent"](IMBALANCE_LR["sign descent"]), f, IMBALANCE_STEPS,
                   record=IMBALANCE_RECORD)
        np.testing.assert_array_equal(runs[0].buckets, gd.buckets)
        np.testing.assert_array_equal(runs[1].buckets, sd.buckets)
        assert f"loss {gd.loss[-1]:.3g} at step {IMBALANCE_STEPS}" in ex.alt_text()
    finally:
        ex.close()


def test_schedule_explorer_cached_halves_equal_a_fresh_run():
    """Chapter 11's explorer caches Schedule-Free AdamW on (peak, warm-up) and Adam on its learning rates;
    a picture made with a cached half equals the one computed from scratch, and the constant schedule
    (whose learning rates do not depend on the horizon) needs one Adam run for every horizon."""
    from coursecode.widgets.schedules import ScheduleExplorer
    fresh = ScheduleExplorer(shape="wsd", lr=0.2, horizon=375, warmup=50)
    warm = ScheduleExplorer(shape="wsd", lr=0.2, horizon=750, warmup=50)   # Schedule-Free AdamW cached
    try:
        warm.update(horizon=375)
        a, b = fresh._cached(fresh.values), warm._cached(warm.values)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2] == b[2] == 375
        # and Adam's half is what cc.run gives with the schedule itself, on the same seeded noise
        from coursecode.learning import schedule_runs
        from coursecode.widgets import schedules as sw
        rows = np.broadcast_to(schedule_runs.start(), (2 * sw.SEEDS, 10))
        traj = cc.run(cc.adam(lr=sw.schedule_of("wsd", 0.2, 375, 50)),
                      schedule_runs.noisy_quadratic(seed=sw.NOISE_SEED), rows, sw.STEPS)
        np.testing.assert_allclose(a[1][:, 0], traj.losses[:, :sw.SEEDS].mean(axis=1), rtol=1e-12)
        warm.update(shape="constant")
        runs = len(warm._adam)
        warm.update(horizon=1000)
        assert len(warm._adam) == runs and warm._cached(warm.values)[2] == 1000
    finally:
        fresh.close()
        warm.close()
