"""Selection via Proxy: select with a cheap model, label for the target model.

* :class:`SelectionViaProxy` -- the strategy wrapper;
* :func:`frozen_embedding_proxy` -- the cheapest proxy: a linear head on a
  fitted embedder that stays frozen (a representation learner, a PCA, a
  pretrained net's features).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import clone

from .._random import seed_from_random_state
from .._validation import HasMethods, InvalidParameterError, validate_params
from ._base import QueryStrategy

__all__ = ["SelectionViaProxy", "frozen_embedding_proxy"]


def _flatten(X):
    X = np.asarray(X)
    return X.reshape(len(X), -1)


def _default_proxy():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    return make_pipeline(
        FunctionTransformer(_flatten),
        StandardScaler(),
        LogisticRegression(max_iter=500),
    )


@validate_params(
    {
        "embedder": [HasMethods(["transform"])],
        "head": [HasMethods(["fit", "predict_proba"]), None],
    }
)
def frozen_embedding_proxy(embedder, head=None):
    """A proxy for :class:`SelectionViaProxy`: a linear head on frozen embeddings.

    The pipeline ``FrozenEstimator(embedder) -> head``: fitting it (every
    query, on the labeled rows) fits the head only; the fitted ``embedder``
    is never refitted, and it survives :func:`~sklearn.base.clone`, so each
    query pays one ``transform`` of the pool and the head's fit. Strategies
    that need embeddings (core-set, TypiClust, ...) see the embedder's
    features (:func:`~skactive._inference.embed_pool` of a pipeline).

    Parameters
    ----------
    embedder : fitted transformer
        Maps rows to features: a :mod:`skactive.representation` learner, a
        PCA, a :class:`~sklearn.pipeline.Pipeline`...; fitted beforehand
        (on the pool, without labels, for a self-supervised one).
    head : classifier or None, default=None
        Fitted on the features; ``None``: ``LogisticRegression(max_iter=1000)``.

    Returns
    -------
    proxy : sklearn.pipeline.Pipeline
        Steps ``"embed"`` (the frozen embedder) and ``"head"``.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``embedder`` is not fitted.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from skactive.strategies import SelectionViaProxy, frozen_embedding_proxy
    >>> X, y = load_digits(return_X_y=True)
    >>> proxy = frozen_embedding_proxy(PCA(16, random_state=0).fit(X))
    >>> svp = SelectionViaProxy(proxy=proxy, random_state=0)
    >>> svp(None, X[100:], 3, X_labeled=X[:100], y_labeled=y[:100]).shape
    (3,)
    """
    from sklearn.frozen import FrozenEstimator
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(embedder)
    head = LogisticRegression(max_iter=1000) if head is None else head
    return Pipeline([("embed", FrozenEstimator(embedder)), ("head", head)])


class _ProxyLearner:
    """The fitted proxy and its labeled rows, seen by a strategy as a learner."""

    _skactive_learner = True

    def __init__(self, estimator, X_training, y_training):
        self.estimator = estimator
        self.X_training = X_training
        self.y_training = y_training


class SelectionViaProxy(QueryStrategy):
    """Selection via Proxy (Coleman et al., ICLR 2020).

    Every query trains a fresh clone of the cheap ``proxy`` model on the
    labeled rows and lets ``strategy`` select with it; the picks are
    returned for the target model, which the learner trains as usual. The
    selection then costs the proxy's training and inference instead of the
    target's (``proxy`` can be a smaller module, fewer epochs, or a linear
    model on fixed features). :func:`~skactive.experiment.simulate` records
    each round's ``query_seconds`` and accuracy, so comparing
    ``{"entropy": ..., "svp": SelectionViaProxy(...)}`` in one call reports
    proxy and target selection time and final accuracy side by side, as the
    paper does.

    The labeled rows come from the ``X_labeled`` and ``y_labeled`` keywords
    of the call, or else from the learner's ``X_training`` /
    ``y_training``; the wrapped strategy sees them as its learner's
    training rows, so a strategy that uses labeled rows (core-set, TypiClust,
    ProbCover, herding) covers them in the proxy's embedding.
    :func:`frozen_embedding_proxy` makes the cheapest proxy: a linear head
    on a fitted embedder that is never refitted.

    Parameters
    ----------
    strategy : QueryStrategy or None, default=None
        What selects with the proxy; ``None``: entropy sampling
        (:class:`~skactive.strategies.UncertaintySampling`).
    proxy : estimator or None, default=None
        The proxy template, cloned and fitted every query; ``None``:
        logistic regression on standardised flattened rows (see also
        :func:`frozen_embedding_proxy`).
    R : int or None, default=None
        Candidate subsample size (see :class:`QueryStrategy`).
    random_state : int, RandomState instance or None, default=None
        Seeds the proxy (when it takes a ``random_state``), the wrapped
        strategy and the subsample. Pass an int for reproducible output
        across multiple function calls.

    References
    ----------
    C. Coleman, C. Yeh, S. Mussmann, B. Mirzasoleiman, P. Bailis, P. Liang,
    J. Leskovec and M. Zaharia, "Selection via Proxy: Efficient Data
    Selection for Deep Learning", ICLR 2020.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.strategies import SelectionViaProxy, UncertaintySampling
    >>> X, y = load_digits(return_X_y=True)
    >>> svp = SelectionViaProxy(UncertaintySampling("margin"), random_state=0)
    >>> svp(None, X[100:], n_instances=3, X_labeled=X[:100], y_labeled=y[:100])
    array([1319,  241,  424])
    """

    _requires_fit = False

    _parameter_constraints = {
        "strategy": [QueryStrategy, None],
        "proxy": [HasMethods(["fit", "predict_proba"]), None],
    }

    def __init__(self, strategy=None, proxy=None, *, R=None, random_state=None):
        super().__init__(R=R, random_state=random_state)
        self.strategy = strategy
        self.proxy = proxy

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        X_labeled, y_labeled = self._labeled_rows(
            estimator, learner, kwargs, labels=True
        )
        if X_labeled is None or y_labeled is None:
            raise InvalidParameterError(
                f"{type(self).__name__} trains its proxy on the labeled rows: pass "
                "X_labeled and y_labeled, or use a learner with labeled rows."
            )
        from .uncertainty import UncertaintySampling

        proxy = clone(_default_proxy() if self.proxy is None else self.proxy)
        if "random_state" in proxy.get_params():
            proxy.set_params(random_state=seed_from_random_state(rng) % (2**31))
        proxy.fit(X_labeled, y_labeled)
        inner = clone(UncertaintySampling() if self.strategy is None else self.strategy)
        inner.set_params(random_state=seed_from_random_state(rng) % (2**31))
        return inner.select(
            _ProxyLearner(proxy, X_labeled, y_labeled), X, n_instances, **kwargs
        )
