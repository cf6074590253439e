"""
======================================================
Consistency-based embeddings for batch active learning
======================================================

Buchert et al. (2023) select samples whose predictions are *inconsistent*
under data augmentation, and keep the batch diverse by clustering them in an
embedding built from the augmented views.
:class:`~skactive.strategies.ConsistencyEmbedding` implements that query
strategy: each pool image is augmented ``n_augmentations`` times, the spread
of the predictions over the views weights the image's features, and a
k-means++ seeding picks a batch of rows that are both uncertain and
different from each other.

The full pipeline also trains the network semi-supervised (MixMatch); this
light version keeps a supervised :class:`~skactive.nets.DeepClassifier` so
the example runs in seconds, and compares the strategy with
:class:`~skactive.strategies.RandomSampling` in the same loop.
"""

# %%
# The data
# --------
# The digits as 8x8 ``uint8`` images. The ``"standard"`` augmentation (random
# crops with padding and flips, as for CIFAR) is built for that image shape.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import skactive
from skactive.nets import DeepClassifier, SmallCNN
from skactive.strategies import ConsistencyEmbedding, RandomSampling

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

N_ROUNDS, BATCH = 5, 10


def run(strategy):
    net = DeepClassifier(
        SmallCNN,
        max_epochs=20,
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
    "consistency embedding": run(
        ConsistencyEmbedding(augmentation="standard", n_augmentations=5, random_state=0)
    ),
    "random": run(RandomSampling(random_state=0)),
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
ax.set_title("SmallCNN on digits")
ax.grid(alpha=0.3)
ax.legend()
fig.tight_layout()
plt.show()

n_labels = next(iter(results.values()))[0]
print(f"{'labels':>22}: " + " ".join(f"{n:5d}" for n in n_labels))
for name, (_, accuracy) in results.items():
    print(f"{name:>22}: " + " ".join(f"{a:.3f}" for a in accuracy))
