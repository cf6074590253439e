"""
=====================================================
Cold start: RotNet embeddings and diversity sampling
=====================================================

Before the first label there is no model to be uncertain with; what an
active learner *can* look at is how the pool is spread out. Buchert et al.
(2023) learn an embedding of the unlabeled pool by self-supervision (RotNet:
predict by how much an image was rotated) and choose the initial set by
temperature-controlled diversity sampling in it: each pick is drawn with
probability proportional to ``d^(1/T)``, ``d`` being its distance to the
rows already picked. ``T = 0`` is k-center greedy (the farthest row, every
time), ``T = 0.5`` is k-means++ seeding, and large ``T`` approaches random
sampling.

This example trains :class:`~skactive.representation.RotNet` on the digits,
selects 30 images to label with
:func:`~skactive.representation.initial_selection` at ``T = 0.5`` and
``T = 0``, compares them with random sets using
:func:`~skactive.metrics.evaluate_initial_set`, and trains a
classifier on each initial set.
"""

# %%
# The pool and the self-supervised embedding
# ------------------------------------------
# The digits as 8x8 ``uint8`` images. RotNet trains a
# :class:`~skactive.nets.SmallCNN` to tell the four rotations of every image
# apart -- no labels are used. The embedding is the output of its second
# convolutional block, average-pooled to a 2x2 grid (``pool_size=2``): on
# images this small the coarse layout of the strokes matters, and global
# pooling (``pool_size=1``) would discard it.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skactive.metrics import evaluate_initial_set
from skactive.representation import RotNet, initial_selection

digits = load_digits()
images = (digits.images * (255 / 16)).round().astype(np.uint8)
X_pool, X_test, y_pool, y_test = train_test_split(
    images, digits.target, test_size=0.25, stratify=digits.target, random_state=0
)

rotnet = RotNet(max_epochs=10, pool_size=2, random_state=0).fit(X_pool)
embedding = rotnet.transform(X_pool)
print(f"embedding: {embedding.shape}, layer {rotnet.layer_!r}")
print(f"rotation accuracy on held-out images: {rotnet.rotation_accuracy(X_test):.3f}")

# %%
# Initial sets
# ------------
# Ten initial sets of 30 images per method, with different seeds. The fitted
# RotNet is reused by every call (an unfitted embedder would be fitted on the
# pool first).

N_INITIAL, SEEDS = 30, range(10)


def random_set(seed):
    return np.random.RandomState(seed).choice(len(X_pool), N_INITIAL, replace=False)


selections = {
    "T = 0.5": [
        initial_selection(
            X_pool, N_INITIAL, embedder=rotnet, temperature=0.5, random_state=seed
        )
        for seed in SEEDS
    ],
    "T = 0": [
        initial_selection(
            X_pool, N_INITIAL, embedder=rotnet, temperature=0.0, random_state=seed
        )
        for seed in SEEDS
    ],
    "random": [random_set(seed) for seed in SEEDS],
}

# %%
# Class balance and diversity
# ---------------------------
# :func:`~skactive.metrics.evaluate_initial_set` needs the labels of
# the pool, which a simulation has. The class-distribution distance is
# ``max_c |p~_c - p_c|`` between the class proportions of the set and of the
# pool (0: perfectly representative); the diversity is the mean pairwise
# distance of the set in the embedding.

metrics = {
    name: [evaluate_initial_set(idx, y_pool, embedding) for idx in sets]
    for name, sets in selections.items()
}


def mean_sd(values):
    return f"{np.mean(values):.3f} ± {np.std(values):.3f}"


print(f"{'':>8} {'class distance':>15} {'diversity':>15} {'classes':>7}")
for name, rows in metrics.items():
    distance = mean_sd([m["class_distribution_distance"] for m in rows])
    diversity = mean_sd([m["diversity"] for m in rows])
    n_classes = np.mean([m["n_classes_selected"] for m in rows])
    print(f"{name:>8} {distance:>15} {diversity:>15} {n_classes:>7.1f}")

# %%
# Where the picks land
# --------------------
# The pool in the first two principal components of the RotNet embedding,
# with the first initial set of each method. k-center greedy (``T = 0``)
# always takes the row farthest from those already picked, so it reaches for
# the rim of the cloud, where the unusual images are; ``T = 0.5`` spreads its
# picks as well but samples, so it also lands in the dense regions.

xy = PCA(2, random_state=0).fit_transform(embedding)
fig, axes = plt.subplots(1, 3, figsize=(10, 3.4), sharex=True, sharey=True)
for ax, (name, sets) in zip(axes, selections.items(), strict=True):
    ax.scatter(*xy.T, s=4, c="lightgrey")
    ax.scatter(*xy[sets[0]].T, s=22, c=y_pool[sets[0]], cmap="tab10", vmin=0, vmax=9)
    ax.set_title(name)
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()
plt.show()

# %%
# A classifier on each initial set
# --------------------------------
# A logistic regression on the RotNet embedding (a linear probe), trained on
# the 30 labeled images of each set and scored on the held-out test images.

test_embedding = rotnet.transform(X_test)


def probe_accuracy(idx):
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    probe.fit(embedding[idx], y_pool[idx])
    return probe.score(test_embedding, y_test)


accuracy = {
    name: [probe_accuracy(idx) for idx in sets] for name, sets in selections.items()
}
for name, values in accuracy.items():
    print(f"{name:>8}: test accuracy {mean_sd(values)}")

fig, axes = plt.subplots(1, 2, figsize=(8, 3.4))
names = list(selections)
axes[0].boxplot([[m["class_distribution_distance"] for m in metrics[n]] for n in names])
axes[0].set_ylabel("class-distribution distance")
axes[1].boxplot([accuracy[n] for n in names])
axes[1].set_ylabel(f"test accuracy with {N_INITIAL} labels")
for ax in axes:
    ax.set_xticks(range(1, len(names) + 1), names)
    ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %%
# On this small, balanced pool every method covers nearly all ten classes,
# and both diverse selections stay closer to the pool's class distribution
# than random sets do; ten seeds are few, so compare the means with their
# spread before reading much into them. Buchert et al. recommend ``T = 0.5``
# because k-center greedy's appetite for outliers hurts on larger, less tidy
# pools.
#
# To continue from an initial set, pass it to an active learner, or let
# :func:`skactive.experiment.simulate` choose it with
# ``initial=(InitialSelection(rotnet, temperature=0.5), 30)``
# (:class:`~skactive.representation.InitialSelection`); start the classifier
# from the RotNet weights with
# :func:`~skactive.representation.classifier_from_embedder`.
