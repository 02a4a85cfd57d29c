"""Chapter 10's code in coursecode.learning: the digits and their split, the MLP, epochs of training, tuning.

The gradient of the cross-entropy network is checked against finite differences
(softmax regression, one and two hidden layers), for one parameter vector and a
batch of them with one minibatch per run; the loader fails with the install line
when scikit-learn is missing; the split is a seeded, stratified partition; the
training loop shares minibatches between runs of one seed, freezes a diverged
run, and equals a hand-written loop; the tuning extends a grid whose best value
is at its end.
"""
from __future__ import annotations

import sys

import numpy as np
import pytest

import coursecode as cc
from coursecode import learning
from coursecode.learning import tuning


@pytest.fixture(scope="module")
def data():
    return learning.digits(seed=0)


def finite_difference(f, theta, h=1e-6):
    E = h * np.eye(theta.size)
    return np.array([(f(theta + e) - f(theta - e)) / (2 * h) for e in E])


# --- the data -------------------------------------------------------------------------------

def test_load_digits_is_scaled_and_has_every_class():
    X, y = learning.load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.all(X * 16 == np.round(X * 16))                                # 17 grey levels
    assert sorted(set(y.tolist())) == list(map(float, range(10)))


def test_load_digits_without_scikit_learn_names_the_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)            # import sklearn now raises ImportError
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="needs scikit-learn: pip install scikit-learn"):
        learning.load_digits()


@pytest.mark.parametrize("seed", [0, 3])
def test_stratified_split_is_a_seeded_partition_that_keeps_each_class_share(seed):
    _, y = learning.load_digits()
    train, val, test = learning.stratified_split(y, validation=0.2, test=0.2, seed=seed)
    both = np.concatenate([train, val, test])
    assert np.array_equal(np.sort(both), np.arange(y.size))                 # every index once
    for part, share in ((val, 0.2), (test, 0.2), (train, 0.6)):
        counts, total = np.bincount(y[part].astype(int), minlength=10), np.bincount(y.astype(int))
        assert np.all(np.abs(counts - share * total) <= 1)                   # each class within one point
    again = learning.stratified_split(y, 0.2, 0.2, seed=seed)
    assert all(np.array_equal(a, b) for a, b in zip((train, val, test), again))
    other = learning.stratified_split(y, 0.2, 0.2, seed=seed + 1)
    assert not np.array_equal(test, other[2])


@pytest.mark.parametrize("kwargs, match", [
    (dict(validation=-0.1), "validation"), (dict(test=1.0), "test"), (dict(validation=0.5, test=0.5), "no training"),
    (dict(seed="0"), "seed"), (dict(y=np.zeros((3, 2))), "1-D"),
])
def test_stratified_split_rejects_bad_arguments(kwargs, match):
    args = dict(y=np.arange(10.0) % 2, validation=0.2, test=0.2, seed=0) | kwargs
    with pytest.raises(ValueError, match=match):
        learning.stratified_split(**args)


def test_digits_split_sizes_and_errors(data):
    assert data.sizes == (1079, 359, 359)
    assert data.X_train.shape == (1079, 64) and data.classes == 10
    net = data.mlp(hidden=())
    counts = data.errors(net, np.zeros((2, net.dim)))             # all logits equal: class 0 everywhere
    for part, y in (("train", data.y_train), ("val", data.y_val), ("test", data.y_test)):
        assert counts[part].tolist() == [int(np.sum(y != 0))] * 2


# --- the model ------------------------------------------------------------------------------

def _small_net(hidden, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((9, 4))
    y = rng.integers(0, 3, 9).astype(float)
    return learning.MLP(X, y, hidden=hidden, classes=3, seed=seed)


@pytest.mark.parametrize("hidden", [(), (5,), (5, 4)])
def test_gradient_matches_finite_differences(hidden):
    net = _small_net(hidden)
    theta = net.theta0 + 0.3 * np.random.default_rng(1).standard_normal(net.dim)
    g = net.grad(theta)
    fd = finite_difference(net.value, theta)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)
    loss, g2 = net.loss_grad(theta, net.X, net.y)
    assert float(loss) == pytest.approx(float(net.value(theta)), rel=1e-13)
    np.testing.assert_array_equal(g, g2)


@pytest.mark.parametrize("hidden", [(), (5,), (5, 4)])
def test_batched_gradient_with_one_minibatch_per_run_equals_one_by_one(hidden):
    net = _small_net(hidden)
    rng = np.random.default_rng(2)
    thetas = net.theta0 + 0.3 * rng.standard_normal((2, 3, net.dim))
    idx = rng.integers(0, net.n, (3, 4))                         # one minibatch per seed, shared by both rows
    loss, g = net.loss_grad(thetas, net.X[idx], net.y[idx])
    assert loss.shape == (2, 3) and g.shape == (2, 3, net.dim)
    for i in range(2):
        for j in range(3):
            l1, g1 = net.loss_grad(thetas[i, j], net.X[idx[j]], net.y[idx[j]])
            assert float(loss[i, j]) == pytest.approx(float(l1), rel=1e-13)
            np.testing.assert_allclose(g[i, j], g1, rtol=1e-12, atol=1e-15)
            fd = finite_difference(lambda t: float(net.loss(t, net.X[idx[j]], net.y[idx[j]])), thetas[i, j])
            np.testing.assert_allclose(g1, fd, rtol=1e-5, atol=1e-8)


def test_mlp_layout_init_and_predictions():
    net = _small_net((5,))
    assert net.shapes == [(5, 4), (3, 5)] and net.dim == 5 * 5 + 6 * 3
    assert np.array_equal(net.init_weights(7), net.init_weights(7))
    assert not np.array_equal(net.init_weights(7), net.init_weights(8))
    assert net.init_weights([1, 2]).shape == (2, net.dim)
    big = learning.MLP(np.ones((2, 400)), [0, 1], hidden=(300,), seed=0)
    W1 = big.unpack(big.theta0)[0][0]
    assert W1.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)       # He initialization
    assert float(net.value(np.zeros(net.dim))) == pytest.approx(np.log(3))
    logits = net.scores(net.theta0)
    assert logits.shape == (9, 3)
    np.testing.assert_array_equal(net.predict(net.theta0), np.argmax(logits, axis=1))
    assert float(net.error(net.theta0)) == pytest.approx(np.mean(np.argmax(logits, axis=1) != net.y))
    softmax = learning.softmax_regression(net.X, net.y)
    assert softmax.hidden == () and softmax.dim == 15 and np.all(softmax.theta0 == 0)


def test_evaluation_in_blocks_equals_one_pass(data):
    net = data.mlp(hidden=(8,))
    theta = net.init_weights([0, 1])
    whole = net._forward(theta, data.X_test)[2]
    np.testing.assert_allclose(net.scores(theta, data.X_test), whole, rtol=1e-12, atol=1e-14)
    assert net.block < data.X_test.shape[0]


def test_large_logits_do_not_overflow():
    net = learning.softmax_regression(np.array([[1.0], [-1.0]]), [0, 1])
    with np.errstate(over="raise", invalid="raise", divide="raise"):      # exp(-2000) may underflow to 0
        loss, g = net.loss_grad(np.array([1000.0, -1000.0, 0.0, 0.0]), net.X, net.y)
    assert np.isfinite(loss) and np.all(np.isfinite(g))


@pytest.mark.parametrize("kwargs, match", [
    (dict(y=[0, 1.5, 2]), "class labels"), (dict(y=[0, 1, 3], classes=3), "class labels"),
    (dict(hidden=(0,)), "hidden"), (dict(classes=1), "classes"), (dict(seed="a"), "seed"),
])
def test_mlp_rejects_bad_arguments(kwargs, match):
    args = dict(X=np.ones((3, 2)), y=[0, 1, 2]) | kwargs
    with pytest.raises(ValueError, match=match):
        learning.MLP(**args)


# --- epochs of training ---------------------------------------------------------------------

def test_train_equals_a_hand_written_loop_over_shuffled_epochs():
    net = _small_net((4,))
    opt = cc.adam(lr=0.05)
    h = learning.train(opt, net, net.theta0[None], epochs=3, batch_size=4, seed=[5])
    theta, state, rng = net.theta0[None], opt.init(net.theta0[None]), np.random.default_rng([5, 1])
    for _ in range(3):
        order = rng.permutation(net.n)
        for k in range(net.n // 4):                                       # the last point of an epoch is left out
            idx = order[None, 4 * k:4 * k + 4]
            theta, state = opt.step(theta, net.loss_grad(theta, net.X[idx], net.y[idx])[1], state)
    np.testing.assert_array_equal(h.final, theta)
    assert h.steps_per_epoch == 2 and h.steps.tolist() == [0, 2, 4, 6]
    assert h.train_loss.shape == (4, 1)


def test_runs_with_one_seed_share_their_minibatches():
    net = _small_net(())
    lrs = np.array([[[0.1]], [[0.1]], [[0.3]]])                       # two identical rows, a third lr
    h = learning.train(cc.gd(lr=lrs), net, np.zeros((3, 2, net.dim)), 2, 3, seed=[0, 1])
    np.testing.assert_array_equal(h.final[0], h.final[1])               # same lr, same seeds: the same runs
    assert not np.array_equal(h.final[0, 0], h.final[0, 1])             # two seeds, two orders
    own = learning.train(cc.gd(lr=0.1), net, np.zeros((2, net.dim)), 2, 3, seed=0)
    assert not np.array_equal(own.final[0], own.final[1])               # an int seed: every run its own order


def test_train_records_a_monitor_and_freezes_a_diverged_run():
    net = _small_net((5,))
    lrs = np.array([[0.1], [1e6]])
    h = learning.train(cc.gd(lr=lrs), net, np.broadcast_to(net.theta0, (2, net.dim)), epochs=4,
                       batch_size=3, monitor=lambda th: {"err": net.error(th)}, every=2, max_abs=1e3)
    assert h.epochs.tolist() == [0, 2, 4] and h.metrics["err"].shape == (3, 2)
    assert h.diverged_at.tolist() == [-1, 1]
    assert np.all(np.isnan(h.final[1])) and np.all(np.isfinite(h.final[0]))


@pytest.mark.parametrize("kwargs, match", [
    (dict(batch_size=0), "batch_size"), (dict(batch_size=100), "batch_size"), (dict(epochs=-1), "epochs"),
    (dict(seed=[0, 1, 2]), "seed"), (dict(seed="x"), "seed"), (dict(every=0), "every"),
])
def test_train_rejects_bad_arguments(kwargs, match):
    net = _small_net(())
    args = dict(opt=cc.gd(lr=0.1), model=net, theta0=np.zeros((2, net.dim)), epochs=1, batch_size=3) | kwargs
    with pytest.raises(ValueError, match=match):
        learning.train(**args)


def test_train_needs_a_model_with_data():
    with pytest.raises(ValueError, match="loss_grad"):
        learning.train(cc.gd(lr=0.1), cc.bowl(), np.zeros(2), 1, 1)


# --- tuning ---------------------------------------------------------------------------------

def test_linear_decay_reaches_zero_at_the_end_and_takes_arrays():
    s = learning.linear_decay(np.array([[1.0], [0.5]]), steps=10)
    np.testing.assert_allclose(s(1), [[1.0], [0.5]])
    np.testing.assert_allclose(s(10), [[0.1], [0.05]])
    with pytest.raises(ValueError, match="lr"):
        learning.linear_decay(-1.0, 3)


def _sweep(errors, losses, lrs=(0.1, 1.0, 10.0)):
    settings = [("SGD", lr, 0.0) for lr in lrs]
    e, l_ = np.array(errors, float)[:, None], np.array(losses, float)[:, None]
    return tuning.Sweep(settings, e, l_, e, l_)


def test_sweep_best_breaks_ties_by_validation_loss_and_finds_edges():
    s = _sweep([0.2, 0.1, 0.1], [1.0, 0.5, 0.4])
    assert s.best("SGD") == 2 and s.edge("SGD") == "high"
    s = _sweep([0.1, 0.1, 0.3], [0.3, np.nan, 0.2])
    assert s.best("SGD") == 0 and s.edge("SGD") == "low"
    assert _sweep([0.2, 0.1, 0.3], [0, 0, 0]).edge("SGD") is None
    with pytest.raises(ValueError, match="Adam"):
        s.best("Adam")


def test_tune_extends_a_grid_whose_best_value_is_at_its_end(data):
    net = data.mlp(hidden=())
    result = learning.tune(data, net, grids={"SGD": [1e-3, 1e-2]}, epochs=1, seeds=[0], extend=2)
    lrs = sorted(lr for _, lr, _ in result.settings)
    np.testing.assert_allclose(lrs, [1e-3, 1e-2, 1e-1, 1.0])           # too small a grid: extended twice upwards
    assert result.val_error.shape == (4, 1)


def test_compare_chooses_on_validation_and_records_plain_numbers(data):
    grids = {"SGD": [0.3, 1.0, 3.0], "AdamW": [3e-3, 1e-2, 3e-2]}
    c = learning.compare(data, hidden=(), grids=grids, weight_decays=(0.01, 0.1), epochs=2, tune_seeds=[0],
                         final_seeds=[1, 2], extend=0)
    for name in grids:
        i = c.sweep.best(name)
        rows = c.sweep.rows(name)
        assert c.sweep.val_error[i].mean() == c.sweep.val_error[rows].mean(axis=1).min()
        assert c.chosen[name] == c.sweep.settings[i][1:]
    rec = c.record()
    assert set(rec) == {"SGD", "AdamW"} and rec["AdamW"]["weight_decay"] in (0.01, 0.1)
    assert all(isinstance(e, int) for e in rec["SGD"]["test_errors"]) and len(rec["SGD"]["train_loss"]) == 2
    assert c.history.metrics["test"].shape == (3, 2, 2)
    with pytest.raises(ValueError, match="optimizer"):
        learning.compare(data, hidden=(), grids={"Lion": [0.1, 1.0]}, epochs=1)
