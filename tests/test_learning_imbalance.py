"""coursecode.learning.imbalance: the data, model and training loop of chapter 13.

Zipf frequencies; seeded (context, next token) pairs whose counts match the pairs;
the bigram model against finite differences and against chapter 10's softmax
regression on one-hot inputs; its floor (the conditional entropy) approached by the
empirical conditional probabilities; the frequency buckets; full-batch and seeded
minibatch training, batched over learning rates; tuning; steps_to_close.
"""
from __future__ import annotations

import numpy as np
import pytest

import coursecode as cc
from coursecode import learning
from coursecode.learning import imbalance as im


@pytest.fixture(scope="module")
def small():
    return im.Bigram(im.zipf_pairs(vocab=8, pairs=2000, seed=1))


# --- data -------------------------------------------------------------------------------

def test_zipf_frequencies():
    pi = im.zipf(128, 1.0)
    assert pi.sum() == pytest.approx(1.0) and np.all(np.diff(pi) < 0)
    assert pi[0] / pi[-1] == pytest.approx(128.0)
    np.testing.assert_allclose(im.zipf(5, 0.0), np.full(5, 0.2))


@pytest.mark.parametrize("kwargs, name", [(dict(classes=0), "classes"), (dict(classes=3, exponent=-1.0), "exponent")])
def test_zipf_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        im.zipf(**kwargs)


@pytest.mark.parametrize("kwargs, name", [(dict(vocab=1), "vocab"), (dict(pairs=0), "pairs"),
                                          (dict(spread=-1.0), "spread"), (dict(seed=1.5), "seed"),
                                          (dict(exponent=float("nan")), "exponent")])
def test_zipf_pairs_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        im.zipf_pairs(**kwargs)


def test_zipf_pairs_is_seeded_and_its_counts_match_its_pairs():
    a, b = im.zipf_pairs(vocab=16, pairs=3000, seed=4), im.zipf_pairs(vocab=16, pairs=3000, seed=4)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y) and np.array_equal(a.counts, b.counts)
    assert not np.array_equal(a.counts, im.zipf_pairs(vocab=16, pairs=3000, seed=5).counts)
    C = np.zeros((16, 16))
    np.add.at(C, (a.x, a.y), 1)
    assert np.array_equal(C, a.counts) and a.counts.sum() == 3000 and a.vocab == 16
    # the contexts are uniform; the next tokens follow Zipf: frequent tokens much more common than rare ones
    big = im.zipf_pairs(vocab=32, pairs=40_000, seed=0)
    ctx = big.counts.sum(axis=1) / 40_000
    assert np.all(np.abs(ctx - 1 / 32) < 0.01)
    nxt = big.counts.sum(axis=0)
    assert nxt[:4].sum() > 5 * nxt[-4:].sum()


def test_frequency_buckets_hold_equal_shares_frequent_first():
    counts = np.array([5.0, 50.0, 10.0, 20.0, 10.0, 5.0])
    assert im.frequency_buckets(counts, 2).tolist() == [1, 0, 1, 1, 1, 1]
    d = im.zipf_pairs()
    f = im.Bigram(d)
    share = np.array([f.label_counts[f.buckets == b].sum() for b in range(4)]) / f.n
    assert np.all(np.abs(share - 0.25) < 0.04)
    # every token of a bucket is at least as frequent as every token of the next bucket
    for b in range(3):
        assert f.label_counts[f.buckets == b].min() >= f.label_counts[f.buckets == b + 1].max()


# --- the model --------------------------------------------------------------------------

def test_bigram_gradient_against_finite_differences(small):
    rng = np.random.default_rng(0)
    theta = rng.standard_normal(small.dim)
    g = small.grad(theta)
    h = 1e-6
    for j in rng.choice(small.dim, size=12, replace=False):
        e = np.zeros(small.dim)
        e[j] = h
        assert (small.value(theta + e) - small.value(theta - e)) / (2 * h) == pytest.approx(g[j], abs=1e-8)


def test_bigram_is_softmax_regression_on_one_hot_contexts(small):
    """Chapter 10's model on one-hot inputs, bias 0: the same loss, and its W-gradient is ours transposed."""
    d = im.zipf_pairs(vocab=8, pairs=2000, seed=1)
    X = np.eye(8)[d.x]
    net = learning.softmax_regression(X, d.y, classes=8)
    rng = np.random.default_rng(1)
    Theta = rng.standard_normal((8, 8))
    w = np.concatenate([Theta.T.ravel(), np.zeros(8)])          # W = Theta^T, then the bias
    assert net.value(w) == pytest.approx(float(small.value(Theta.ravel())), rel=1e-12)
    np.testing.assert_allclose(net.grad(w)[:64].reshape(8, 8).T, small.grad(Theta.ravel()).reshape(8, 8),
                               atol=1e-14)


def test_bigram_batched_buckets_and_floor(small):
    rng = np.random.default_rng(2)
    thetas = rng.standard_normal((3, 2, small.dim))
    assert small.value(thetas).shape == (3, 2) and small.grad(thetas).shape == (3, 2, small.dim)
    for i in range(3):
        assert small.value(thetas[i, 1]) == pytest.approx(float(small.value(thetas)[i, 1]))
    # the loss is the average of the label losses, and of the bucket losses, weighted by their shares
    lab = small.label_losses(thetas)
    np.testing.assert_allclose(lab @ small.label_counts / small.n, small.value(thetas))
    share = np.array([small.label_counts[small.buckets == b].sum() for b in range(small.n_buckets)]) / small.n
    np.testing.assert_allclose(small.bucket_losses(thetas) @ share, small.value(thetas))
    # the floor: at logits log(C/n_j) (very negative where C = 0) the loss is the conditional entropy
    with np.errstate(divide="ignore"):
        logq = np.log(small.counts / small.counts.sum(axis=1, keepdims=True))
    best = np.maximum(logq, -60.0).ravel()
    assert small.value(best) == pytest.approx(small.floor, abs=1e-12)
    np.testing.assert_allclose(small.bucket_losses(best), small.floor_buckets, atol=1e-12)
    assert np.all(small.value(thetas) > small.floor)
    assert small.value(small.theta0) == pytest.approx(np.log(8))


def test_bigram_minibatch_counts_and_shape_check(small):
    loss, grad = small.loss_grad(np.zeros(small.dim), counts=np.eye(8))
    assert loss == pytest.approx(np.log(8))
    np.testing.assert_allclose(grad.reshape(8, 8), (np.full((8, 8), 1 / 8) - np.eye(8)) / 8)
    with pytest.raises(ValueError, match="theta"):
        small.value(np.zeros(5))


# --- training ----------------------------------------------------------------------------

def test_train_equals_a_loop_of_steps_and_is_batched(small):
    lrs = np.array([0.5, 2.0])
    run = im.train(cc.gd(lr=lrs[:, None]), small, 20, runs=(2,), record=[0, 5, 20])
    assert run.steps.tolist() == [0, 5, 20] and run.loss.shape == (3, 2) and run.buckets.shape == (3, 2, 4)
    for k, lr in enumerate(lrs):
        theta = np.zeros(small.dim)
        for _ in range(20):
            theta = theta - lr * small.grad(theta)
        np.testing.assert_allclose(run.theta[k], theta, atol=1e-12)
        assert run.loss[-1, k] == pytest.approx(float(small.value(theta)))


def test_minibatch_training_is_seeded_and_unbiased(small):
    opt = cc.adam(lr=0.1)
    a = im.train(opt, small, 30, batch=64, seed=3, record=[30])
    b = im.train(opt, small, 30, batch=64, seed=3, record=[30])
    c = im.train(opt, small, 30, batch=64, seed=4, record=[30])
    assert np.array_equal(a.theta, b.theta) and not np.array_equal(a.theta, c.theta)
    # one minibatch gradient at theta = 0, averaged over many draws, is close to the full gradient
    rng = np.random.default_rng(0)
    cells = np.repeat(np.arange(small.dim), small.counts.ravel().astype(int))
    mean = np.mean([small.loss_grad(np.zeros(small.dim), np.bincount(cells[rng.integers(0, cells.size, 64)],
                                                                     minlength=small.dim).reshape(8, 8))[1]
                    for _ in range(400)], axis=0)
    assert np.max(np.abs(mean - small.grad(np.zeros(small.dim)))) < 0.01


@pytest.mark.parametrize("kwargs, name", [(dict(steps=0), "steps"), (dict(steps=5, batch=0), "batch"),
                                          (dict(steps=5, record=[7]), "record")])
def test_train_rejects_bad_arguments(small, kwargs, name):
    with pytest.raises(ValueError, match=name):
        im.train(cc.gd(lr=0.1), small, **kwargs)


def test_tune_picks_the_lowest_final_loss_and_marks_divergence(small):
    lrs = [0.1, 1.0, 10.0, 1e6]
    best, final = im.tune(lambda lr: cc.gd(lr=lr), small, lrs, 50)
    assert final.shape == (4,) and best == lrs[int(np.argmin(final))]
    assert final[-1] > final[int(np.argmin(final))]


def test_steps_to_close_counts_from_where_a_bucket_stays_closed():
    class M:
        floor_buckets = np.array([0.0, 0.0])

    buckets = np.array([[1.0, 1.0], [0.05, 0.5], [0.5, 0.05], [0.05, 0.05]])
    run = im.ImbalanceRun(np.arange(4), buckets.mean(axis=1), buckets, None)
    assert im.steps_to_close(run, M(), 0.9).tolist() == [3, 2]
    assert im.steps_to_close(run._replace(buckets=buckets[:3]), M(), 0.9).tolist() == [-1, 2]


def test_sign_descent_is_lion_without_momentum():
    opt = im.OPTIMIZERS["sign descent"](0.25)
    g = np.array([1e-12, -7.0, 0.0])
    theta, _ = opt.step(np.ones(3), g, opt.init(np.ones(3)))
    np.testing.assert_array_equal(theta, 1.0 - 0.25 * np.sign(g))


def test_train_records_what_the_model_computes(small):
    """train shares one log-softmax a step between the record and the gradient: the same numbers as
    value, bucket_losses and grad, step by step (a plain loop with those methods, bit for bit)."""
    for opt, runs in ((cc.gd(lr=np.array([[3.0], [300.0]])), (2,)), (cc.adam(lr=0.3), ())):  # 300 diverges
        run = im.train(opt, small, 25, runs=runs, record=[0, 3, 25])
        theta, state, loss, buckets = np.zeros(runs + (small.dim,)), opt.init(np.zeros(runs + (small.dim,))), [], []
        for t in range(26):
            with np.errstate(over="ignore", invalid="ignore"):
                if t in (0, 3, 25):
                    loss.append(np.where(np.isfinite(small.value(theta)), small.value(theta), np.inf))
                    b = small.bucket_losses(theta)
                    buckets.append(np.where(np.isfinite(b), b, np.inf))
                if t < 25:
                    theta, state = opt.step(theta, np.nan_to_num(small.grad(theta)), state)
        np.testing.assert_array_equal(run.loss, np.array(loss))
        np.testing.assert_array_equal(run.buckets, np.array(buckets))
        np.testing.assert_array_equal(run.theta, theta)
    _, g = small.loss_grad(np.ones((3, small.dim)))
    np.testing.assert_array_equal(small.grad(np.ones((3, small.dim))), g)
