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
:class:`skactive.ActiveLearner`, which :func:`skactive.experiment.simulate`
uses for every round, sees that and passes the pool to ``fit`` with the label
``-1`` (``skactive.UNLABELED``) automatically. The strategy is compared with
:class:`~skactive.strategies.RandomSampling` on the same network.
"""

# %%
# The data
# --------

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skactive import learns_from_unlabeled
from skactive.experiment import plot_learning_curves, simulate
from skactive.nets import BarlowTwinsClassifier, SmallCNN
from skactive.strategies import RandomSampling, WeibullOutlier

digits = load_digits()
images = (digits.images * (255 / 16)).round().astype(np.uint8)
X_train, X_test, y_train, y_test = train_test_split(
    images, digits.target, test_size=0.25, stratify=digits.target, random_state=0
)

# %%
# The network
# -----------
# Every training step draws a labeled batch and an unlabeled batch from the
# pool; ``gamma`` weights the Barlow Twins term and ``projector_dims`` sets
# the projector's widths (small here, for speed).

net = BarlowTwinsClassifier(
    SmallCNN,
    projector_dims=(64, 64),
    max_epochs=10,
    steps_per_epoch=8,
    batch_size=16,
    lr=2e-3,
    classes=np.arange(10),
)
print("learns from unlabeled rows:", learns_from_unlabeled(net))

# %%
# The active-learning rounds
# --------------------------
# :class:`~skactive.strategies.WeibullOutlier` reads the labeled rows from the
# learner (its ``X_training`` and ``y_training``). Both strategies start from
# the same 20 random labels and query 10 images in each of 4 rounds.

result = simulate(
    net,
    {
        "Barlow Twins + Weibull (DALBT)": WeibullOutlier(tail_size=5),
        "Barlow Twins + random": RandomSampling(),
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
# :ref:`sphx_glr_auto_examples_plot_02_compare_strategies.py`) before drawing
# conclusions.

fig, ax = plt.subplots(figsize=(6, 4))
plot_learning_curves(result, ax=ax)
ax.set_xlabel("number of labeled images")
ax.set_ylabel("test accuracy")
ax.set_title("Barlow Twins SmallCNN on digits")
fig.tight_layout()
plt.show()

curves = result.curves()
n_labels = next(iter(curves.values()))[0]
print(f"{'labels':>30}: " + " ".join(f"{n:5d}" for n in n_labels))
for name, (_, accuracy) in curves.items():
    print(f"{name:>30}: " + " ".join(f"{a:.3f}" for a in accuracy[0]))
