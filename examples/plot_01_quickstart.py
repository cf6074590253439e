"""
==========================================
Quickstart: uncertainty sampling on digits
==========================================

A complete pool-based active learning loop with a small convolutional network.

We start from 20 randomly labeled images of handwritten digits, then for 8
rounds ask the query strategy for the 10 pool images it wants labeled next,
reveal their labels and refit. Entropy-based
:class:`~skactive.strategies.UncertaintySampling` is compared with the
:class:`~skactive.strategies.RandomSampling` baseline in exactly the same loop.
"""

# %%
# The data
# --------
# scikit-learn's digits are 8x8 grey-level images with values 0-16. We store
# them as ``uint8`` images scaled to 0-255, the way image datasets usually
# arrive: :class:`~skactive.nets.DeepClassifier` converts such batches to
# float tensors in ``[0, 1]`` with one channel (``N x 8 x 8`` becomes
# ``N x 1 x 8 x 8``) by itself.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import skactive
from skactive.nets import DeepClassifier, SmallCNN
from skactive.strategies import RandomSampling, UncertaintySampling

digits = load_digits()
images = (digits.images * (255 / 16)).round().astype(np.uint8)
X_train, X_test, y_train, y_test = train_test_split(
    images, digits.target, test_size=0.25, stratify=digits.target, random_state=0
)
print(f"train: {X_train.shape} {X_train.dtype}, test: {X_test.shape}")

# The same 20 random initial labels for both strategies.
rng = np.random.RandomState(0)
initial = rng.choice(len(X_train), size=20, replace=False)
pool = np.setdiff1d(np.arange(len(X_train)), initial)

# %%
# The active learning loop
# ------------------------
# :class:`skactive.ActiveLearner` holds the labeled rows and the unlabeled
# pool. ``query(n_instances=10)`` runs the strategy once on the pool and
# returns the chosen positions (and the rows); ``label(idx, y)`` moves those
# rows from the pool to the training set and refits the network.
#
# ``classes=np.arange(10)`` fixes the output layer to all ten digits, since the
# first 20 labels need not contain every class.

N_ROUNDS, BATCH = 8, 10


def run(strategy):
    net = DeepClassifier(
        SmallCNN,
        max_epochs=30,
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
        # The learner removed the labeled rows from its pool; do the same
        # with the hidden labels so positions keep matching.
        y_pool = np.delete(y_pool, idx)
        n_labels.append(len(learner.y_training))
        accuracy.append(learner.score(X_test, y_test))
    return n_labels, accuracy


results = {
    "entropy (uncertainty)": run(UncertaintySampling("entropy", random_state=0)),
    "random": run(RandomSampling(random_state=0)),
}

# %%
# Accuracy against the number of labels
# -------------------------------------

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

for name, (n_labels, accuracy) in results.items():
    print(f"{name:>22}: {accuracy[-1]:.3f} accuracy with {n_labels[-1]} labels")
