"""Peak memory of a net's inference over a pool: one output array, not two.

Every inference method of :class:`skactive.nets.DeepClassifier` writes its
results into arrays allocated once per call, so the peak is the input, the
outputs and one batch. This script measures it against the pattern it
replaced (each batch's probabilities and embedding kept in lists, then
concatenated: the pool's outputs exist twice at the peak), on the same
fitted net and pool, and the peaks of three strategies over the same net.

Each measurement runs in a fresh process: the pool and a fitted MLP net are
built, the process's peak RSS is read (``ru_maxrss``), the call runs, and the
growth of the peak is reported. Memory figures are MB (10^6 bytes).

Usage::

    python benchmarks/bench_inference_memory.py [--n-pool 200000] [--n-features 64]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys

import numpy as np

CASES = (
    "predict_proba_with_embedding",
    "concatenate (before)",
    "predict_proba",
    "entropy",
    "coreset",
    "badge",
)


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def _concatenate_pattern(net, X):
    """What the nets did before: per-batch lists, concatenated at the end."""
    import torch
    from skorch.dataset import unpack_data
    from skorch.utils import to_tensor

    layer = net.final_layer()
    captured = {}
    handle = layer.register_forward_pre_hook(
        lambda _m, inputs: captured.__setitem__("v", inputs[0].detach().cpu())
    )
    probas, embeddings = [], []
    try:
        net.module_.eval()
        with torch.no_grad():
            dataset = net.get_dataset(X)
            for batch in net.get_iterator(dataset, training=False):
                Xi, _ = unpack_data(batch)
                x = net._transform_input(to_tensor(Xi, device=net.device))
                probas.append(torch.softmax(net.module_(x), dim=1).cpu())
                embeddings.append(captured["v"])
    finally:
        handle.remove()
    return torch.cat(probas).numpy(), torch.cat(embeddings).numpy()


def _child(case, n_pool, n_features, hidden, batch_size):
    import torch

    torch.set_num_threads(1)
    from skactive.nets import MLP, DeepClassifier
    from skactive.strategies import BADGE, CoreSet, UncertaintySampling

    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_pool, n_features)).astype(np.float32)
    y = rng.randint(0, 10, size=2000)
    net = DeepClassifier(
        MLP,
        module__hidden_units=(hidden,),
        max_epochs=1,
        batch_size=batch_size,
        random_state=0,
    ).fit(X[:2000], y)
    net.predict_proba(X[:batch_size])  # warm the allocator and the kernels
    before = _peak_mb()
    if case == "predict_proba_with_embedding":
        net.predict_proba_with_embedding(X)
    elif case == "concatenate (before)":
        _concatenate_pattern(net, X)
    elif case == "predict_proba":
        net.predict_proba(X)
    elif case == "entropy":
        UncertaintySampling("entropy", random_state=0)(net, X, 100)
    elif case == "coreset":
        CoreSet(random_state=0)(net, X, 100)
    elif case == "badge":
        BADGE(random_state=0)(net, X, 100)
    print(json.dumps({"case": case, "growth_mb": _peak_mb() - before}))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-pool", type=int, default=200_000)
    parser.add_argument("--n-features", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=64, help="embedding width")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = (args.n_pool, args.n_features, args.hidden, args.batch_size)
    if args.child:
        _child(args.child, *sizes)
        return 0
    n, d, h, b = sizes
    mb = 4 / 1e6  # float32
    input_mb = n * d * mb
    proba_mb, emb_mb = n * 10 * mb, n * h * mb
    batch_mb = b * (d + h + 10) * mb
    print(
        f"pool {n} x {d} float32 = {input_mb:.1f} MB; MLP embedding {h}, 10 classes; "
        f"outputs: probabilities {proba_mb:.1f} MB, embeddings {emb_mb:.1f} MB; "
        f"one batch {batch_mb:.2f} MB"
    )
    print("| call | peak growth MB | bound (outputs + one batch) MB | within |")
    print("|---|---|---|---|")
    bounds = {
        "predict_proba_with_embedding": proba_mb + emb_mb + batch_mb,
        "concatenate (before)": proba_mb + emb_mb + batch_mb,
        "predict_proba": proba_mb + batch_mb,
    }
    for case in CASES:
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                case,
                "--n-pool",
                str(n),
                "--n-features",
                str(d),
                "--hidden",
                str(h),
                "--batch-size",
                str(b),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        growth = json.loads(proc.stdout.strip().splitlines()[-1])["growth_mb"]
        bound = bounds.get(case)
        within = "" if bound is None else ("yes" if growth <= bound * 1.05 else "no")
        shown = "(strategy)" if bound is None else f"{bound:.1f}"
        print(f"| {case} | {growth:.1f} | {shown} | {within} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
