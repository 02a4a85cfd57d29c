"""Claims made in chapter 13 (chapters/13_language_models.ipynb), checked against coursecode.

The chapter's experiment is ``imbalance.compare`` on the Zipf data (s = 1) and the balanced
control (s = 0); the fixture runs both (about two seconds). Every comparison the text, the
captions and the alt texts make is asserted here, computed again, not read from the notebook.
"""
from __future__ import annotations

import numpy as np
import pytest

import coursecode as cc
from coursecode.homework import ch13
from coursecode.learning import imbalance as im

T = 300
NAMES = ["GD", "Adam", "sign descent"]


@pytest.fixture(scope="module")
def runs():
    return {"Zipf": im.compare(im.zipf_pairs(exponent=1.0), steps=T),
            "balanced": im.compare(im.zipf_pairs(exponent=0.0), steps=T)}


def _gap(c, name, t=-1):
    return float(c.run[name].loss[t] - c.model.floor)


def _close(c, name):
    return im.steps_to_close(c.run[name], c.model, fraction=0.8)


# ---------------------------------------------------------------- the model and the proposition

def test_unigram_curvature_ratio():
    r = ch13.curvature_ratio()
    assert round(r, 1) == 104.6 and r < 128                     # a little less than pi_1 / pi_V
    pi = im.zipf(128, 1.0)
    H = np.diag(pi) - np.outer(pi, pi)
    np.testing.assert_allclose(H @ np.ones(128), 0.0, atol=1e-15)   # the eigenvector 1, eigenvalue 0


def test_sign_descent_cell_and_the_unigram_first_step():
    opt = cc.lion(lr=0.1, beta1=0.0, beta2=0.0)
    g = np.array([3e3, -2e-9, 0.0, 5e-1])
    assert np.array_equal(opt.step(np.zeros(4), g, opt.init(np.zeros(4)))[0], -0.1 * np.sign(g))
    pi = im.zipf(8, 1.0)                                        # the worked solution of the sign exercise
    step = -0.5 * np.sign(np.full(8, 1 / 8) - pi)
    assert step.tolist() == [0.5, 0.5] + [-0.5] * 6             # up for pi_k > 1/V, down for the others


# ---------------------------------------------------------------- the data

def test_the_data_as_described(runs):
    f, fb = runs["Zipf"].model, runs["balanced"].model
    assert (f.n, f.vocab, f.dim) == (50_000, 128, 16_384)
    assert (int(f.label_counts.max()), int(f.label_counts.min())) == (5886, 47)
    assert np.bincount(f.buckets).tolist() == [4, 9, 28, 87]                  # edges after ranks 4, 13, 41
    assert (int(fb.label_counts.max()), int(fb.label_counts.min())) == (812, 171)   # about a factor of 5
    assert np.bincount(fb.buckets).tolist() == [21, 28, 34, 45]
    np.testing.assert_allclose(f.floor_buckets, [1.498, 2.182, 2.867, 3.888], atol=5e-4)
    assert round(f.floor, 3) == 2.577 and round(float(np.log(128)), 3) == 4.852
    assert np.all(np.diff(f.floor_buckets) > 0)
    # close to the Zipf line n pi_k: within a factor of 2 at every rank
    ratio = np.sort(f.label_counts)[::-1] / (f.n * im.zipf(128, 1.0))
    assert np.all((ratio > 0.5) & (ratio < 2.0))
    for m in (f, fb):
        assert m.value(m.theta0) == pytest.approx(np.log(128))


# ---------------------------------------------------------------- the experiment

def test_tuned_learning_rates_lie_inside_their_grids(runs):
    for case, c in runs.items():
        for name in NAMES:
            i = int(np.argmin(c.grid_loss[name]))
            assert 0 < i < len(im.GRIDS[name]) - 1, (case, name)
    z, b = runs["Zipf"].lr, runs["balanced"].lr
    assert z["GD"] == pytest.approx(10 ** 2.5) and z["Adam"] == 1.0 and z["sign descent"] == pytest.approx(10 ** -1.5)
    assert b["GD"] == pytest.approx(1000.0) and b["GD"] > z["GD"]                           # rises in the control


def test_gd_stalls_on_rare_tokens_adam_and_sign_descent_do_not(runs):
    c = runs["Zipf"]
    gd, adam, sign = (_close(c, n) for n in NAMES)
    assert gd.tolist() == [6, 12, 22, 118] and np.all(np.diff(gd) > 0)
    assert round(gd[-1] / gd[0]) == 20
    assert adam.tolist() == [3, 2, 7, 10] and adam.max() == adam[-1] and adam.max() < gd[-1] / 10
    assert sign.tolist() == [62, 56, 51, 34] and sign[-1] < sign[:-1].min()     # the rarest a little sooner
    end = c.run["GD"].buckets[-1] - c.model.floor_buckets
    assert np.all(np.diff(end) > 0) and end[-1] > 5 * end[0]
    assert round(end[0], 3) == 0.010 and round(end[-1], 3) == 0.098
    assert round(_gap(c, "GD"), 3) == 0.043
    assert 0 <= _gap(c, "Adam") < 1e-3 and 0 <= _gap(c, "sign descent") < 1e-3


def test_adam_overshoots_on_the_rarest_bucket(runs):
    run = runs["Zipf"].run["Adam"]
    bump = run.buckets[3:31, 3]
    assert 3 + int(np.argmax(bump)) == 6 and round(float(bump.max()), 2) == 4.74
    assert bump.max() > run.buckets[3, 3] + 0.5                                 # climbs back
    floors = runs["Zipf"].model.floor_buckets
    assert np.all(np.abs(run.buckets[30:] - floors) < 0.03)                     # on its floors from about step 30


def test_sign_descent_is_slow_at_first_then_passes_gd(runs):
    c = runs["Zipf"]
    assert _gap(c, "sign descent", 30) > 4 * _gap(c, "GD", 30)
    assert _gap(c, "sign descent", 100) < _gap(c, "GD", 100)
    run, floors = c.run["sign descent"], c.model.floor_buckets
    assert np.all(run.buckets[10] > floors + 0.6) and np.all(run.buckets[100] < floors + 0.1)
    assert np.all(np.abs(run.buckets[150:] - floors) < 0.01)                    # floors by about step 150


def test_the_balanced_control(runs):
    z, b = runs["Zipf"], runs["balanced"]
    gd = _close(b, "GD")
    assert gd.tolist() == [4, 5, 9, 19]
    ratio_b, ratio_z = gd[-1] / gd[0], _close(z, "GD")[-1] / _close(z, "GD")[0]
    assert ratio_b < ratio_z / 2 and ratio_b > 1                               # shrinks, does not vanish
    assert _gap(b, "GD") > 20 * max(_gap(b, "Adam"), 1e-4)                      # GD still lags Adam
    assert 0 <= _gap(b, "Adam") < 1e-3
    shrink = 100 * (1 - _gap(b, "GD") / _gap(z, "GD"))
    assert round(shrink) == 42
    assert _close(b, "Adam").max() <= 10


def test_the_explorer_settings():
    """Raising s leaves GD's rarest bucket further behind at lr 10^2.5; Adam hardly changes; lr 3000 oscillates."""
    last, adam_close = [], []
    for s in (0.0, 0.5, 1.0, 1.5):
        f = im.Bigram(im.zipf_pairs(exponent=s))
        gd = im.train(im.OPTIMIZERS["GD"](10 ** 2.5), f, T)
        adam = im.train(im.OPTIMIZERS["Adam"](1.0), f, T)
        last.append(im.steps_to_close(gd, f, 0.8)[-1] / im.steps_to_close(gd, f, 0.8)[0])
        adam_close.append(int(im.steps_to_close(adam, f, 0.8).max()))
    assert np.all(np.diff(last) > 0) and max(adam_close) <= 12
    f = im.Bigram(im.zipf_pairs(exponent=1.0))
    hot = im.train(im.OPTIMIZERS["GD"](3000.0), f, T, record=[T])
    tuned = im.train(im.OPTIMIZERS["GD"](10 ** 2.5), f, T, record=[T])
    assert hot.loss[-1] > tuned.loss[-1] + 0.5
    assert hot.buckets[-1, 3] - f.floor_buckets[3] > tuned.buckets[-1, 3] - f.floor_buckets[3]
    hot_gap = hot.buckets[-1] - f.floor_buckets
    assert hot_gap[0] > hot_gap[3] > 0                  # the frequent tokens overshoot; the rare ones not caught up


def test_the_minibatch_exercise(runs):
    c = runs["Zipf"]
    res = {}
    for name in ("GD", "Adam"):
        lr, _ = im.tune(im.OPTIMIZERS[name], c.model, im.GRIDS[name] / 10, T, batch=256, seed=0)
        run = im.train(im.OPTIMIZERS[name](lr), c.model, T, record=[T], batch=256, seed=0)
        res[name] = (lr, float(run.loss[-1] - c.model.floor), run.buckets[-1] - c.model.floor_buckets)
        assert lr < c.lr[name]                                                  # smaller than full-batch
        assert res[name][1] > _gap(c, name)                                     # further from the floor
        assert res[name][2][-1] > 2 * res[name][2][0]                           # the rarest bucket furthest
        assert np.argmax(res[name][2]) == 3
    assert res["Adam"][1] < res["GD"][1]                                        # Adam still ahead
    assert res["GD"][0] == 100.0 and res["Adam"][0] == pytest.approx(10 ** -1.5)


# ---------------------------------------------------------------- homework

def test_homework_answers():
    ex = {e.id: e for e in ch13.exercises()}
    assert ex["ch13-unigram-curvature"].check(f"{ch13.curvature_ratio():.2f}").correct
    assert not ex["ch13-unigram-curvature"].check("128").correct
    assert ex["ch13-which-explanation"].check(1).correct
    assert not ex["ch13-which-explanation"].check(0).correct
    assert ex["ch13-sign-step"].check(lambda theta, g, lr: theta - lr * np.sign(g)).correct
    assert not ex["ch13-sign-step"].check(lambda theta, g, lr: theta - lr * g).correct


# ---------------------------------------------------------------- the explorer

def test_the_explorer_builds_updates_and_falls_back_to_a_picture():
    from coursecode.widgets.imbalance import imbalance_explorer

    ex = imbalance_explorer(exponent=1.0, lr=10 ** 2.5, other="Adam")
    try:
        assert "gradient descent" in ex.message or "floor" in ex.message
        for values in (dict(exponent=0.0, lr=10.0), dict(exponent=1.5, lr=3000.0), dict(other="sign descent")):
            ex.update(**values)
            assert ex.message
        with pytest.raises(TypeError):
            ex.update(beta=0.5)
        with pytest.raises(ValueError):
            ex.update(other="SGD")
        html = ex.static_html()
        assert 'alt="' in html and "http" not in html.split("<img")[1].split(">")[0].replace("data:", "")
    finally:
        ex.close()
