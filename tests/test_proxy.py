"""Selection via Proxy (skactive/strategies/proxy.py)."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.utils import check_random_state

from skactive import ActiveLearner
from skactive._random import seed_from_random_state
from skactive._validation import InvalidParameterError
from skactive.experiment import simulate
from skactive.nets import MLP, DeepClassifier
from skactive.strategies import (
    BALD,
    SelectionViaProxy,
    UncertaintySampling,
    make_strategy,
)


def test_picks_are_the_inner_strategy_on_a_proxy_fitted_by_hand(digits):
    X, y = digits
    proxy = LogisticRegression(max_iter=300)
    svp = SelectionViaProxy(UncertaintySampling("margin"), proxy, random_state=0)
    target = DeepClassifier(MLP)  # never fitted: selection does not ask it
    got = svp(target, X[100:], 6, X_labeled=X[:100], y_labeled=y[:100])
    rng = check_random_state(0)
    fitted = LogisticRegression(max_iter=300, random_state=None)
    fitted.set_params(random_state=seed_from_random_state(rng) % 2**31)
    fitted.fit(X[:100], y[:100])
    inner = UncertaintySampling(
        "margin", random_state=seed_from_random_state(rng) % 2**31
    )
    expected, _ = inner.select(fitted, X[100:], 6)
    np.testing.assert_array_equal(got, expected)
    # by hand: the six smallest margins of the proxy
    p = np.sort(fitted.predict_proba(X[100:]), axis=1)
    np.testing.assert_array_equal(
        np.sort(got), np.sort(np.argsort(p[:, -1] - p[:, -2])[:6])
    )


def test_a_small_net_as_proxy_for_a_bayesian_strategy(digits):
    X, y = digits
    proxy = DeepClassifier(MLP, max_epochs=2, module__hidden_units=(16,))
    svp = SelectionViaProxy(BALD(n_samples=4), proxy, random_state=0)
    a = svp(None, X[100:400], 3, X_labeled=X[:100], y_labeled=y[:100])
    b = svp(None, X[100:400], 3, X_labeled=X[:100], y_labeled=y[:100])
    np.testing.assert_array_equal(a, b)  # the proxy net is seeded


def test_labeled_rows_come_from_the_learner(digits):
    X, y = digits
    learner = ActiveLearner(
        LogisticRegression(max_iter=300),
        SelectionViaProxy(random_state=0),
        X_training=X[:60],
        y_training=y[:60],
    )
    idx, _ = learner.query(X[60:300], n_instances=4)
    direct = SelectionViaProxy(random_state=0)(
        None, X[60:300], 4, X_labeled=X[:60], y_labeled=y[:60]
    )
    np.testing.assert_array_equal(idx, direct)
    with pytest.raises(InvalidParameterError, match="trains its proxy"):
        SelectionViaProxy()(None, X[:50], 2)
    assert isinstance(make_strategy("svp"), SelectionViaProxy)


def test_simulate_reports_selection_time_and_accuracy_side_by_side(digits):
    X, y = digits
    result = simulate(
        DeepClassifier(MLP, max_epochs=3, classes=np.arange(10), random_state=0),
        {
            "bald": BALD(n_samples=5),
            "svp-bald": SelectionViaProxy(
                BALD(n_samples=5),
                DeepClassifier(MLP, max_epochs=1, module__hidden_units=(8,)),
            ),
        },
        X[:600],
        y[:600],
        X_test=X[1500:],
        y_test=y[1500:],
        initial=20,
        n_rounds=2,
        n_instances=10,
        progress=False,
    )
    frame = result.to_frame()
    assert set(frame["strategy"]) == {"bald", "svp-bald"}
    rounds = frame[frame["round"] > 0]
    assert rounds["query_seconds"].notna().all() and (rounds["query_seconds"] > 0).all()
    assert rounds["accuracy"].between(0, 1).all()
    # the summary puts selection time and final accuracy side by side
    summary = {row["strategy"]: row for row in result.summary(baseline="bald")}
    for name in ("bald", "svp-bald"):
        mine = rounds[rounds["strategy"] == name]
        last = frame[(frame["strategy"] == name) & (frame["round"] == 2)]
        assert summary[name]["query_seconds_mean"] == pytest.approx(
            mine["query_seconds"].mean()
        )
        assert summary[name]["fit_seconds_mean"] == pytest.approx(
            mine["fit_seconds"].mean()
        )
        assert summary[name]["final_mean"] == pytest.approx(last["accuracy"].mean())
    assert "diff_mean" in summary["svp-bald"]


def test_the_wrapped_strategy_covers_the_labeled_rows(digits):
    from skactive.strategies import CoreSet

    X, y = digits
    proxy = LogisticRegression(max_iter=300)
    svp = SelectionViaProxy(CoreSet(), proxy, random_state=1)
    got = svp(None, X[100:], 5, X_labeled=X[:100], y_labeled=y[:100])
    rng = check_random_state(1)
    fitted = LogisticRegression(max_iter=300)
    fitted.set_params(random_state=seed_from_random_state(rng) % 2**31)
    fitted.fit(X[:100], y[:100])
    inner = CoreSet(random_state=seed_from_random_state(rng) % 2**31)
    expected, _ = inner.select(fitted, X[100:], 5, X_labeled=X[:100])
    np.testing.assert_array_equal(got, expected)
    # without the labeled rows core-set would start elsewhere
    alone, _ = inner.select(fitted, X[100:], 5)
    assert not np.array_equal(alone, expected)


def test_a_frozen_embedding_proxy_fits_the_head_only(digits):
    from sklearn.base import clone
    from sklearn.decomposition import PCA
    from sklearn.exceptions import NotFittedError
    from sklearn.pipeline import make_pipeline

    from skactive.strategies import TypiClust, frozen_embedding_proxy

    X, y = digits
    pca = PCA(12, random_state=0).fit(X)
    components = pca.components_.copy()
    proxy = frozen_embedding_proxy(pca)
    assert list(proxy.named_steps) == ["embed", "head"]
    # a clone keeps the embedder fitted; fitting it fits the head only
    fitted = clone(proxy).fit(X[:80], y[:80])
    np.testing.assert_array_equal(fitted[0].transform(X[:3]), pca.transform(X[:3]))
    np.testing.assert_array_equal(pca.components_, components)
    # the same picks as a logistic regression on the PCA features by hand
    svp = SelectionViaProxy(UncertaintySampling("entropy"), proxy, random_state=0)
    got = svp(None, X[100:], 4, X_labeled=X[:100], y_labeled=y[:100])
    head = LogisticRegression(max_iter=1000).fit(pca.transform(X[:100]), y[:100])
    p = head.predict_proba(pca.transform(X[100:]))
    ent = -(p * np.log(np.clip(p, 1e-300, None))).sum(axis=1)
    np.testing.assert_array_equal(np.sort(got), np.sort(np.argsort(-ent)[:4]))
    # an embedding strategy works in the embedder's features
    svp_t = SelectionViaProxy(TypiClust(), proxy, random_state=0)
    picks = svp_t(None, X[100:], 4, X_labeled=X[:100], y_labeled=y[:100])
    assert len(set(picks.tolist())) == 4
    with pytest.raises(NotFittedError):
        frozen_embedding_proxy(PCA(3))
    with pytest.raises(InvalidParameterError, match="embedder"):
        frozen_embedding_proxy(make_pipeline)
    with pytest.raises(InvalidParameterError, match="head"):
        frozen_embedding_proxy(pca, head=PCA(2))
