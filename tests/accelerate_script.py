"""Run by ``tests/test_nets_accelerate.py`` under ``torchrun`` with 2 CPU processes.

A ``skorch.hf.AccelerateMixin`` subclass of ``DeepClassifier`` is trained
with distributed data parallelism; every inference method is then run over
101 rows, an odd number, so the last distributed batch is padded. Each
process writes what it got and, computed directly from the module on the
whole input, what it should have got.
"""

import sys

import numpy as np
import torch
from accelerate import Accelerator
from sklearn.datasets import load_digits
from skorch.hf import AccelerateMixin

from skactive.nets import MLP, DeepClassifier


class AcceleratedNet(AccelerateMixin, DeepClassifier):
    pass


class Loss(torch.nn.CrossEntropyLoss):
    """Cross-entropy with a (zero) parameter: accelerate wraps the criterion in
    DistributedDataParallel, which refuses a module without parameters."""

    def __init__(self):
        super().__init__()
        self.zero = torch.nn.Parameter(torch.zeros(()))

    def forward(self, logits, target):
        return super().forward(logits, target) + 0.0 * self.zero


def main(out):
    torch.set_num_threads(1)
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    acc = Accelerator(cpu=True)
    net = AcceleratedNet(
        MLP,
        criterion=Loss,
        accelerator=acc,
        device=None,
        max_epochs=2,
        batch_size=16,
        random_state=0,
    )
    net.fit(X[:200], y[:200])
    pool = X[200:301]
    proba, emb = net.predict_proba_with_embedding(pool)
    samples = net.predict_proba_samples(pool, n_samples=3, random_state=0)
    consistent = net.predict_proba_samples(
        pool, n_samples=3, consistent=True, random_state=0
    )
    augmented = net.predict_proba_augmented(pool, lambda x: x.flip(1), 2)
    module = net.module_.eval()
    with torch.no_grad():
        x = torch.as_tensor(pool)
        ref_emb = module.features(x)
        ref_proba = torch.softmax(module(x), dim=1)
        ref_flip = torch.softmax(module(x.flip(1)), dim=1)
    np.savez(
        f"{out}.{acc.process_index}.npz",
        n_processes=acc.num_processes,
        proba=proba,
        emb=emb,
        samples=samples,
        consistent=consistent,
        augmented=augmented,
        ref_proba=ref_proba.numpy(),
        ref_emb=ref_emb.numpy(),
        ref_flip=ref_flip.numpy(),
        predict=net.predict(pool),
    )


if __name__ == "__main__":
    main(sys.argv[1])
