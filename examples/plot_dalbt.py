"""
===============================================
DALBT: Barlow Twins and Weibull outlier queries
===============================================

Deep active learning using Barlow Twins (DALBT, Mandivarapu et al. 2022)
trains the classifier jointly with a Barlow Twins self-supervised loss on
augmented views of *all* images, labeled or not, so the latent space is
shaped by the whole pool. It then queries the pool images that are outliers
for their predicted class: per class, a Weibull distribution is fitted to the
distances of correctly classified labeled images to the class mean, and
:class:`~skactive.strategies.WeibullOutlier` asks for the pool images with
the highest outlier probability.

:class:`~skactive.nets.BarlowTwinsClassifier` learns from unlabeled rows:
:class:`skactive.ActiveLearner` sees that and passes the pool to ``fit`` with
the label ``-1`` (:data:`skactive.UNLABELED`) automatically. The strategy is
compared with :class:`~skactive.strategies.RandomSampling` on the same
network.
"""

# %%
# The data
# --------

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import skactive
from skactive.nets import BarlowTwinsClassifier, SmallCNN
from skactive.strategies import RandomSampling, WeibullOutlier

digits = load_digits()
images = (digits.images * (255 / 16)).round().astype(np.uint8)
X_train, X_test, y_train, y_test = train_test_split(
    images, digits.target, test_size=0.25, stratify=digits.target, random_state=0
)

rng = np.random.RandomState(0)
initial = rng.choice(len(X_train), size=20, replace=False)
pool = np.setdiff1d(np.arange(len(X_train)), initial)

# %%
# The loop
# --------
# Every training step draws a labeled batch and an unlabeled batch from the
# pool; ``gamma`` weights the Barlow Twins term and ``projector_dims`` sets
# the projector's widths (small here, for speed).

N_ROUNDS, BATCH = 4, 10


def run(strategy):
    net = BarlowTwinsClassifier(
        SmallCNN,
        projector_dims=(64, 64),
        max_epochs=10,
        steps_per_epoch=8,
        batch_size=16,
        lr=2e-3,
        random_state=0,
        classes=np.arange(10),
    )
    learner = skactive.ActiveLearner(
        net,
        strategy,
        X_training=X_train[initial],
        y_training=y_train[initial],
        X_pool=X_train[pool],
    )
    y_pool = y_train[pool]
    n_labels = [len(learner.y_training)]
    accuracy = [learner.score(X_test, y_test)]
    for _ in range(N_ROUNDS):
        idx, _ = learner.query(n_instances=BATCH)
        learner.label(idx, y_pool[idx])
        y_pool = np.delete(y_pool, idx)
        n_labels.append(len(learner.y_training))
        accuracy.append(learner.score(X_test, y_test))
    return n_labels, accuracy


results = {
    "Barlow Twins + Weibull (DALBT)": run(WeibullOutlier(tail_size=5, random_state=0)),
    "Barlow Twins + random": run(RandomSampling(random_state=0)),
}

# %%
# Accuracy against the number of labels
# -------------------------------------
# One seed, a few rounds and a small network: the curves are noisy, and at
# such small budgets a strategy can well trail its baseline (the cold-start
# problem). Run :func:`skactive.experiment.simulate` with several repeats
# before drawing conclusions.

fig, ax = plt.subplots(figsize=(6, 4))
for name, (n_labels, accuracy) in results.items():
    ax.plot(n_labels, accuracy, marker="o", label=name)
ax.set_xlabel("number of labeled images")
ax.set_ylabel("test accuracy")
ax.set_title("Barlow Twins SmallCNN on digits")
ax.grid(alpha=0.3)
ax.legend()
fig.tight_layout()
plt.show()

n_labels = next(iter(results.values()))[0]
print(f"{'labels':>30}: " + " ".join(f"{n:5d}" for n in n_labels))
for name, (_, accuracy) in results.items():
    print(f"{name:>30}: " + " ".join(f"{a:.3f}" for a in accuracy))
