"""MAL, minimax active learning: the cosine classifier and MinimaxClassifier
(skactive/nets/minimax.py) and the strategy (skactive/strategies/mal.py),
against brute-force references."""

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from skactive._validation import InvalidParameterError
from skactive.nets import MLP, MinimaxClassifier, SemiSupervisedBatch
from skactive.nets.minimax import CosineClassifier
from skactive.strategies import (
    MinimaxSampling,
    RandomSampling,
    make_strategy,
    minimax_scores,
    strategy_needs,
)


def _net(**kw):
    params = dict(
        max_epochs=5,
        random_state=0,
        discriminator_width=32,
        module__hidden_units=(32,),
    )
    return MinimaxClassifier(MLP, **{**params, **kw})


@pytest.fixture(scope="module")
def fitted(digits):
    """A net fitted on 100 labeled and 900 unlabeled digits."""
    X, y = digits
    y_semi = np.where(np.arange(1000) < 100, y[:1000], -1)
    return _net(max_epochs=15).fit(X[:1000], y_semi), X, y


def _softmax(s):
    e = np.exp(s - s.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


# --------------------------------------------------------- cosine classifier
def test_cosine_classifier_logits_by_brute_force():
    torch.manual_seed(0)
    head = CosineClassifier(5, 3, temperature=0.2).double()
    f = torch.randn(4, 5, dtype=torch.float64)
    W = head.weight.detach().numpy()
    F = f.numpy()
    expected = np.empty((4, 3))
    for i in range(4):
        for k in range(3):
            dot = sum(W[k, j] * F[i, j] for j in range(5))
            norms = np.sqrt((W[k] ** 2).sum()) * np.sqrt((F[i] ** 2).sum())
            expected[i, k] = dot / (norms * 0.2)
    np.testing.assert_allclose(head(f).detach().numpy(), expected, rtol=1e-12)
    assert isinstance(head, torch.nn.Linear) and head.bias is None
    # scale-invariant in the features and the weights
    torch.testing.assert_close(head(3 * f), head(f))
    with pytest.raises(InvalidParameterError, match="temperature must"):
        CosineClassifier(5, 3, temperature=0)


# ---------------------------------------------------------------- the net
def test_learns_digits_well_above_chance(fitted):
    net, X, y = fitted
    assert isinstance(net.final_layer(), CosineClassifier)
    assert net.final_layer().temperature == 0.05
    assert net.n_labeled_ == 100 and net.n_unlabeled_ == 900
    accuracy = np.mean(net.predict(X[1000:]) == y[1000:])
    assert accuracy > 0.6  # chance: 0.1


def test_inference_is_the_cosine_head_and_the_discriminator(fitted):
    net, X, _ = fitted
    rows = X[1000:1040]
    emb = net.embed(rows).astype(np.float64)
    W = net.final_layer().weight.detach().numpy().astype(np.float64)
    cos = (emb @ W.T) / (
        np.linalg.norm(emb, axis=1, keepdims=True) * np.linalg.norm(W, axis=1)
    )
    np.testing.assert_allclose(net.predict_proba(rows), _softmax(cos / 0.05), atol=1e-5)
    z = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    with torch.no_grad():
        logit = net.discriminator_.net(torch.as_tensor(z, dtype=torch.float32))
    expected = 1 / (1 + np.exp(-logit.squeeze(1).double().numpy()))
    np.testing.assert_allclose(net.discriminator_score(rows), expected, rtol=1e-5)
    proba, d = net.predict_proba_with_discriminator(rows)
    np.testing.assert_allclose(proba, net.predict_proba(rows))
    np.testing.assert_allclose(d, net.discriminator_score(rows))


def test_discriminator_tells_labeled_from_unlabeled(fitted):
    net, X, _ = fitted
    d = net.discriminator_score(X[:1000])
    assert d[:100].mean() > d[100:].mean() + 0.1


def _grads(net, batch, params):
    for p in net.get_all_learnable_params():
        p[1].grad = None
    net.train_step_single(batch)
    return [p.grad.clone() for p in params]


def _entropy(logits):
    log_p = torch.log_softmax(logits, 1)
    return -(log_p.exp() * log_p).sum(1).mean()


def test_train_step_plays_the_minimax_game(digits):
    """The entropy term's gradient is +lam dH/dF for the encoder and
    -lam dH/dC for the cosine classifier; the discriminator's loss never
    reaches either."""
    X, y = digits
    y_semi = np.where(np.arange(300) < 60, y[:300], -1)
    net = _net(max_epochs=1, module__dropout=0.0).fit(X[:300], y_semi)
    Xl, Xu = torch.as_tensor(X[:8]), torch.as_tensor(X[100:116])
    yl = torch.as_tensor(net._encode_y(y[:8]))
    batch = SemiSupervisedBatch(Xl, yl, Xu, torch.arange(16))
    encoder = list(net.module_.body.parameters())
    head = list(net.final_layer().parameters())
    params = encoder + head
    lam = 0.5
    net.entropy_weight, net.discriminator_weight = lam, 0.0
    with_game = _grads(net, batch, params)
    net.entropy_weight = 0.0
    without = _grads(net, batch, params)
    net.module_.train()
    dH = torch.autograd.grad(_entropy(net.module_(Xu)), params)
    for i, (a, b, g) in enumerate(zip(with_game, without, dH, strict=True)):
        sign = 1.0 if i < len(encoder) else -1.0
        torch.testing.assert_close(a - b, sign * lam * g, atol=1e-5, rtol=1e-4)
    net.entropy_weight, net.discriminator_weight = 0.0, 1.0
    with_disc = _grads(net, batch, params)
    for a, b in zip(with_disc, without, strict=True):
        torch.testing.assert_close(a, b)
    # and the discriminator does get a gradient
    net.train_step_single(batch)
    assert any(p.grad is not None for p in net.discriminator_.parameters())


def test_fits_without_unlabeled_rows_and_refuses_bad_input(digits):
    X, y = digits
    net = _net(max_epochs=1).fit(X[:100], y[:100])
    assert net.n_unlabeled_ == 0
    assert net.discriminator_score(X[:5]).shape == (5,)
    with pytest.raises(InvalidParameterError, match="temperature must"):
        _net(temperature=0.0).fit(X[:100], y[:100])
    with pytest.raises(NotFittedError):
        _net().discriminator_score(X[:5])


# ----------------------------------------------------------- the strategy
def _reference(proba, d, n_candidates, combination):
    n, k = proba.shape
    # the candidates: the n_candidates rows of lowest D, by brute force
    order = sorted(range(n), key=lambda i: (d[i], i))
    candidates = set(order[:n_candidates])
    out = np.empty(n)
    for i in range(n):
        H = -sum(p * np.log(p) for p in proba[i] if p > 0) / np.log(k)
        out[i] = {
            "filter": (1.0 if i in candidates else 0.0) + H,
            "product": (1.0 - d[i]) * H,
            "discriminator": 1.0 - d[i],
            "entropy": H,
        }[combination]
    return out


@pytest.mark.parametrize(
    "combination", ["filter", "product", "discriminator", "entropy"]
)
@pytest.mark.parametrize("n_candidates", [1, 10, 80])
def test_minimax_scores_match_a_loop(combination, n_candidates):
    rng = np.random.RandomState(0)
    proba = rng.dirichlet(np.ones(4), size=50)
    proba[0] = [1, 0, 0, 0]
    d = rng.rand(50)
    d[3] = d[4]  # a tie, broken by position
    got = minimax_scores(proba, d, n_candidates=n_candidates, combination=combination)
    np.testing.assert_allclose(got, _reference(proba, d, n_candidates, combination))


def test_filter_picks_highest_entropy_among_the_most_confidently_unlabeled():
    rng = np.random.RandomState(1)
    proba = rng.dirichlet(np.ones(3), size=40)
    d = rng.rand(40)
    H = -(proba * np.log(proba)).sum(1)
    candidates = np.argsort(d)[:10]
    expected = candidates[np.argsort(-H[candidates])][:5]
    scores = minimax_scores(proba, d, n_candidates=10)
    np.testing.assert_array_equal(np.argsort(-scores)[:5], expected)
    with pytest.raises(InvalidParameterError, match="combination must"):
        minimax_scores(proba, d, combination="sum")
    with pytest.raises(ValueError, match="p_labeled has 39 rows"):
        minimax_scores(proba, d[:39])


def test_strategy_picks_are_the_nets_signals(fitted):
    net, X, _ = fitted
    pool = X[1000:1200]
    proba, d = net.predict_proba(pool), net.discriminator_score(pool)
    for combination, factor in [("filter", 2.0), ("filter", 3.5), ("product", 2.0)]:
        s = MinimaxSampling(
            combination=combination, candidate_factor=factor, random_state=0
        )
        idx, scores = s.select(net, pool, 7)
        n_candidates = int(np.ceil(factor * 7))
        expected = _reference(proba, d, n_candidates, combination)
        np.testing.assert_array_equal(np.sort(idx), np.sort(np.argsort(-expected)[:7]))
        np.testing.assert_allclose(scores, expected[idx], rtol=1e-5, atol=1e-6)
    # the filter's picks are all among the 14 most confidently unlabeled rows
    idx = MinimaxSampling(random_state=0)(net, pool, n_instances=7)
    assert set(idx) <= set(np.argsort(d)[:14])


def _two_regions(seed=0):
    """Labeled rows in region A only; the pool: more of A, and region B."""
    rng = np.random.RandomState(seed)
    centers_a = np.array([[0.0] * 8, [3.0] + [0.0] * 7])
    centers_b = centers_a + np.array([0.0, 8.0] + [0.0] * 6)

    def blob(centers, n):
        y = np.arange(n) % 2
        return (centers[y] + rng.randn(n, 8)).astype(np.float32), y

    X_lab, y_lab = blob(centers_a, 40)
    X_a, _ = blob(centers_a, 300)
    X_b, _ = blob(centers_b, 100)
    return X_lab, y_lab, np.vstack([X_a, X_b]), np.arange(400) >= 300


def test_picks_from_the_unlabeled_region_far_more_than_random():
    X_lab, y_lab, X_pool, in_b = _two_regions()
    net = _net(max_epochs=10).fit(
        np.vstack([X_lab, X_pool]),
        np.concatenate([y_lab, np.full(len(X_pool), -1)]),
    )
    picks = MinimaxSampling(random_state=0)(net, X_pool, n_instances=20)
    random = RandomSampling(random_state=0)(net, X_pool, n_instances=20)
    assert in_b[picks].mean() >= 0.8  # region B is 25% of the pool
    assert in_b[random].mean() < 0.5


def test_strategy_errors_and_registry(digits, fitted):
    X, y = digits
    logreg = LogisticRegression(max_iter=500).fit(X[:100], y[:100])
    with pytest.raises(InvalidParameterError, match="predict_proba_with_discrim"):
        MinimaxSampling()(logreg, X[100:200])
    with pytest.raises(NotFittedError):
        MinimaxSampling()(_net(), X[100:200])
    with pytest.raises(InvalidParameterError, match="candidate_factor must"):
        MinimaxSampling(candidate_factor=0.5)(fitted[0], X[100:200])
    assert isinstance(make_strategy("mal"), MinimaxSampling)
    assert strategy_needs("mal") == "minimax_net" == MinimaxSampling.needs


def test_in_active_learner_with_a_pool(digits):
    from sklearn.base import clone

    from skactive import ActiveLearner

    X, y = digits
    net = _net(max_epochs=2, classes=np.arange(10))
    assert clone(net).get_params()["temperature"] == 0.05
    learner = ActiveLearner(
        net,
        MinimaxSampling(random_state=0),
        X_training=X[:40],
        y_training=y[:40],
        X_pool=X[40:300],
    )
    assert learner.estimator.n_labeled_ == 40
    assert learner.estimator.n_unlabeled_ == 260  # the pool, as y == -1
    idx, _ = learner.query(n_instances=5)
    assert len(set(idx)) == 5
    learner.label(idx, y[40:300][idx])
    assert learner.estimator.n_labeled_ == 45
    assert learner.estimator.n_unlabeled_ == 255
