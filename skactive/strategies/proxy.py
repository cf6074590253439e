"""Selection via Proxy: select with a cheap model, label for the target model."""

from __future__ import annotations

import numpy as np
from sklearn.base import clone

from .._random import seed_from_random_state
from .._validation import HasMethods, InvalidParameterError
from ._base import QueryStrategy

__all__ = ["SelectionViaProxy"]


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
    ``y_training``. The wrapped strategy receives no labeled rows.

    Parameters
    ----------
    strategy : QueryStrategy or None, default=None
        What selects with the proxy; ``None``: entropy sampling
        (:class:`~skactive.strategies.UncertaintySampling`).
    proxy : estimator or None, default=None
        The proxy template, cloned and fitted every query; ``None``:
        logistic regression on standardised flattened rows.
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
        return inner.select(proxy, X, n_instances, **kwargs)
