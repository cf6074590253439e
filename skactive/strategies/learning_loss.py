"""Learning Loss for Active Learning: query the rows with the highest predicted loss."""

from __future__ import annotations

from .._inference import predict_loss_pool
from .._validation import BATCH_SIZE, N_JOBS, check_has_method
from ._base import ScoreStrategy

__all__ = ["LearningLoss"]


class LearningLoss(ScoreStrategy):
    r"""Highest predicted loss (Yoo & Kweon, CVPR 2019).

    The estimator -- a :class:`~skactive.nets.LossPredictionClassifier`, or
    anything with ``predict_loss`` -- predicts the loss :math:`\hat l(x)` its
    classifier would incur on each row; the strategy queries the
    ``n_instances`` rows with the highest :math:`\hat l`, among a random
    subset of ``R`` pool rows as in the paper (``R = 10000``).

    Parameters
    ----------
    batch_size : int or None, default=None
        Rows per ``predict_loss`` call for estimators that are not skorch
        nets.
    n_jobs : int or None, default=None
        joblib workers for those chunks.
    R : int or None, default=10000
        Candidate subsample size: the paper's random subset of 10,000
        unlabeled rows. ``None`` scores the whole pool.
    random_state : int, RandomState instance or None, default=None
        Draws the subset and breaks ties. Pass an int for reproducible output
        across multiple function calls.

    References
    ----------
    D. Yoo and I. S. Kweon, "Learning Loss for Active Learning", CVPR 2019.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP, LossPredictionClassifier
    >>> from skactive.strategies import LearningLoss
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> net = LossPredictionClassifier(MLP, max_epochs=3, random_state=0)
    >>> net = net.fit(X[:100], y[:100])
    >>> LearningLoss(random_state=0)(net, X[100:], n_instances=4).shape
    (4,)
    """

    needs = "loss_net"

    _parameter_constraints = {"batch_size": BATCH_SIZE, "n_jobs": N_JOBS}

    def __init__(self, *, batch_size=None, n_jobs=None, R=10000, random_state=None):
        super().__init__(R=R, random_state=random_state)
        self.batch_size = batch_size
        self.n_jobs = n_jobs

    def _score(self, estimator, X):
        check_has_method(estimator, "predict_loss", purpose=type(self).__name__)
        return predict_loss_pool(
            estimator, X, batch_size=self.batch_size, n_jobs=self.n_jobs
        )
