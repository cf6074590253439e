"""
===============================================
DAST-AL: ISDA training and EPMCM query strategy
===============================================

Deep active learning with semantic data augmentation (DAST-AL) trains the
network with implicit semantic data augmentation (ISDA): the cross-entropy
loss is taken in expectation over Gaussian perturbations of the deep features,
with one covariance matrix per class estimated online. The same covariances
drive the query strategy: :class:`~skactive.strategies.EPMCM` scores a pool
row by the expected mismatch of its prediction when its features are perturbed
with the covariance of its predicted class, and asks for the largest.

This example runs :class:`~skactive.nets.ISDAClassifier` with
:class:`~skactive.strategies.EPMCM` on the digits and compares it with entropy
:class:`~skactive.strategies.UncertaintySampling` on the same network, with
:func:`skactive.experiment.simulate` running the active-learning rounds.
"""

# %%
# The data
# --------
# The digits as 8x8 ``uint8`` images; the network scales them to ``[0, 1]``.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skactive.experiment import plot_learning_curves, simulate
from skactive.nets import ISDAClassifier, SmallCNN
from skactive.strategies import EPMCM, UncertaintySampling

digits = load_digits()
images = (digits.images * (255 / 16)).round().astype(np.uint8)
X_train, X_test, y_train, y_test = train_test_split(
    images, digits.target, test_size=0.25, stratify=digits.target, random_state=0
)

# %%
# The network and the strategies
# ------------------------------
# ``lambda0`` weights the semantic augmentation (ramped up over the epochs).
# :class:`~skactive.strategies.EPMCM` with ``covariance="auto"`` uses the
# class covariances the ISDA network estimated during training.
#
# ``classes=np.arange(10)`` fixes the output layer to all ten digits, since
# the first labels need not contain every class.

net = ISDAClassifier(
    SmallCNN,
    lambda0=0.5,
    max_epochs=20,
    batch_size=16,
    lr=2e-3,
    classes=np.arange(10),
)
strategies = {
    "ISDA + EPMCM (DAST-AL)": EPMCM(),
    "ISDA + entropy": UncertaintySampling("entropy"),
}

# %%
# The active-learning rounds
# --------------------------
# :func:`~skactive.experiment.simulate` starts both strategies from the same
# 20 random labels, then runs 4 rounds of: query 10 pool images, reveal their
# labels, refit a fresh clone of the network, score it on the test set. The
# network and the strategies are re-seeded from ``random_state`` every round,
# so the run is reproducible.

result = simulate(
    net,
    strategies,
    X_train,
    y_train,
    X_test=X_test,
    y_test=y_test,
    initial=20,
    n_rounds=4,
    n_instances=10,
    random_state=0,
    progress=False,
)

# %%
# Accuracy against the number of labels
# -------------------------------------
# One repeat, a few rounds and a small network: the curves are noisy, and at
# such small budgets a strategy can well trail its baseline (the cold-start
# problem). Use ``n_repeats`` (paired repeats, see
# :ref:`sphx_glr_auto_examples_plot_02_compare_strategies.py`) before drawing
# conclusions.

fig, ax = plt.subplots(figsize=(6, 4))
plot_learning_curves(result, ax=ax)
ax.set_xlabel("number of labeled images")
ax.set_ylabel("test accuracy")
ax.set_title("ISDA SmallCNN on digits")
fig.tight_layout()
plt.show()

curves = result.curves()
n_labels = next(iter(curves.values()))[0]
print(f"{'labels':>24}: " + " ".join(f"{n:5d}" for n in n_labels))
for name, (_, accuracy) in curves.items():
    print(f"{name:>24}: " + " ".join(f"{a:.3f}" for a in accuracy[0]))
