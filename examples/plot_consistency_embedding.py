"""
==========================================================
Semi-supervised active learning: MixMatch and consistency
==========================================================

Buchert et al. (2023) combine semi-supervised training with a query strategy
built for it. The network is trained with MixMatch on the labeled images
*and* the unlabeled pool; the strategy selects images whose predictions are
*inconsistent* under data augmentation, and keeps the batch diverse by
selecting in an embedding built from the augmented views.

* :class:`~skactive.nets.MixMatchClassifier` trains on paired labeled and
  unlabeled batches; rows labeled ``-1`` are the unlabeled ones.
  :class:`skactive.ActiveLearner` (which :func:`skactive.experiment.simulate`
  uses for every round) fits it on the labeled rows plus the pool with that
  label, automatically.
* :class:`~skactive.strategies.ConsistencyEmbedding` predicts each pool
  image under ``n_augmentations`` augmentations, scales the image's
  penultimate features by the spread of those predictions, and picks a batch
  by diversity sampling in that space (``temperature=0``: k-center greedy;
  ``0.5``: k-means++ seeding).

The strategy is compared with :class:`~skactive.strategies.RandomSampling`
on the same network.

.. note::

   The training here is shrunk to 200 steps per round so the example runs
   in seconds; MixMatch is designed for far longer training (1024-step
   epochs, a ``lambda_u`` ramp over 16 of them). The example shows the
   pipeline and its parameters, not the paper's numbers.
"""

# %%
# The data
# --------
# The digits as 8x8 ``uint8`` images.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skactive import learns_from_unlabeled
from skactive.augment import RandomCropReflect
from skactive.experiment import plot_learning_curves, simulate
from skactive.nets import MixMatchClassifier, SmallCNN
from skactive.strategies import ConsistencyEmbedding, RandomSampling

digits = load_digits()
images = (digits.images * (255 / 16)).round().astype(np.uint8)
X_train, X_test, y_train, y_test = train_test_split(
    images, digits.target, test_size=0.25, stratify=digits.target, random_state=0
)

# %%
# The network
# -----------
# Digits are tiny and not mirror-symmetric, so both the network and the
# strategy use random 1-pixel crops as their augmentation (the ``"standard"``
# augmentation pads by 2 pixels on images this small). For a short training
# run the unlabeled weight ``lambda_u`` is small and ramps up over the first
# 100 of the 200 steps, the learning rate is higher than MixMatch's 0.002, and
# the weight average the net predicts with has a short memory
# (``ema_decay=0.9``): with the usual decay of 0.999 it would still be close
# to the initial weights after so few steps.

augment = RandomCropReflect(padding=1)
net = MixMatchClassifier(
    SmallCNN,
    augmentation=augment,
    lambda_u=3.0,
    rampup_steps=100,
    ema_decay=0.9,
    lr=5e-3,
    max_epochs=20,
    steps_per_epoch=10,
    batch_size=16,
    classes=np.arange(10),
)
print("learns from unlabeled rows:", learns_from_unlabeled(net))

# %%
# The active-learning rounds
# --------------------------
# Both strategies start from the same 20 random labels and query 10 images in
# each of 4 rounds; the network is refitted from scratch every round.

result = simulate(
    net,
    {
        "consistency embedding": ConsistencyEmbedding(
            augmentation=augment, n_augmentations=5, temperature=0.0
        ),
        "random": RandomSampling(),
    },
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
# :ref:`sphx_glr_auto_examples_plot_compare_strategies.py`) before drawing
# conclusions.

fig, ax = plt.subplots(figsize=(6, 4))
plot_learning_curves(result, ax=ax)
ax.set_xlabel("number of labeled images")
ax.set_ylabel("test accuracy")
ax.set_title("MixMatch SmallCNN on digits")
fig.tight_layout()
plt.show()

curves = result.curves()
n_labels = next(iter(curves.values()))[0]
print(f"{'labels':>22}: " + " ".join(f"{n:5d}" for n in n_labels))
for name, (_, accuracy) in curves.items():
    print(f"{name:>22}: " + " ".join(f"{a:.3f}" for a in accuracy[0]))

# %%
# What the batches look like
# --------------------------
# ``simulate`` also records, for every queried batch, the distance of its
# class distribution to the pool's (``class_distance``, 0 is perfectly
# representative) and its diversity (mean pairwise distance of the batch in
# the network's embedding).

print(f"{'strategy':>22} {'round':>5} {'class distance':>14} {'diversity':>9}")
for row in result.records:
    if row["round"] > 0:
        print(
            f"{row['strategy']:>22} {row['round']:>5} "
            f"{row['class_distance']:>14.3f} {row['diversity']:>9.2f}"
        )
