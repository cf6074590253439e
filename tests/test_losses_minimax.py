"""The gradient-reversal layer (skactive/losses/gradient_reversal.py) and the
minimax entropy loss (skactive/losses/minimax_entropy.py), against hand-worked
formulas and autograd."""

import math

import numpy as np
import pytest
import torch

from skactive._validation import InvalidParameterError
from skactive.losses import GradientReversal, MinimaxEntropyLoss, grad_reverse
from skactive.nets.minimax import CosineClassifier


@pytest.mark.parametrize("coeff", [0.0, 0.5, 1.0, 3.0])
def test_gradient_reversal_is_identity_forward_and_minus_coeff_backward(coeff):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 3, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn(4, 3, generator=g, dtype=torch.float64)
    for layer in (GradientReversal(coeff), lambda t: grad_reverse(t, coeff)):
        x.grad = None
        y = layer(x)
        assert torch.equal(y, x)  # forward: identity
        (w * y).sum().backward()
        # by hand: d/dx sum(w * x) = w, reversed and scaled
        torch.testing.assert_close(x.grad, -coeff * w)
    # against autograd through a nonlinearity: -coeff times the plain gradient
    plain = torch.autograd.grad(torch.tanh(x).pow(2).sum(), x)[0]
    rev = torch.autograd.grad(torch.tanh(grad_reverse(x, coeff)).pow(2).sum(), x)[0]
    torch.testing.assert_close(rev, -coeff * plain)


def test_gradient_reversal_refuses_bad_coeff():
    with pytest.raises(InvalidParameterError, match="GradientReversal: coeff must"):
        GradientReversal(-1.0)
    with pytest.raises(InvalidParameterError, match="grad_reverse: coeff must"):
        grad_reverse(torch.ones(2), coeff="a")
    assert "coeff=2.0" in repr(GradientReversal(2.0))


def test_minimax_entropy_loss_hand_worked():
    # p = softmax(0, log 3) = (1/4, 3/4); H = -(1/4 log 1/4 + 3/4 log 3/4)
    logits = torch.tensor([[0.0, math.log(3.0)], [0.0, 0.0]], dtype=torch.float64)
    h0 = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))
    h1 = math.log(2.0)
    loss = MinimaxEntropyLoss(weight=2.0)(logits)
    assert loss.item() == pytest.approx(-2.0 * (h0 + h1) / 2)
    assert MinimaxEntropyLoss()(logits).item() == pytest.approx(-0.1 * (h0 + h1) / 2)


def test_minimax_entropy_loss_matches_numpy_reference():
    rng = np.random.RandomState(0)
    logits = 5 * rng.randn(7, 4)
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    H = -(p * np.log(p)).sum(1)
    got = MinimaxEntropyLoss(0.3)(torch.as_tensor(logits)).item()
    assert got == pytest.approx(-0.3 * H.mean())
    # saturated logits: no NaN (0 log 0 = 0)
    big = torch.tensor([[1000.0, -1000.0]])
    assert MinimaxEntropyLoss(1.0)(big).item() == pytest.approx(0.0, abs=1e-12)


def test_minimax_entropy_loss_edge_cases_and_errors():
    assert MinimaxEntropyLoss()(torch.zeros(0, 3)).item() == 0.0
    with pytest.raises(InvalidParameterError, match="2-D tensor"):
        MinimaxEntropyLoss()(torch.zeros(3))
    with pytest.raises(InvalidParameterError, match="MinimaxEntropyLoss: weight must"):
        MinimaxEntropyLoss(-0.1)


def _entropy(logits):
    log_p = torch.log_softmax(logits, 1)
    return -(log_p.exp() * log_p).sum(1).mean()


def test_classifier_ascends_and_encoder_descends_the_entropy():
    """One backward pass of the loss through the GRL: C's step raises the
    entropy, F's step lowers it (the minimax game of MME / MAL)."""
    torch.manual_seed(0)
    encoder = torch.nn.Linear(3, 2).double()
    head = CosineClassifier(2, 3, temperature=0.5).double()
    u = torch.randn(16, 3, dtype=torch.float64)
    lam = 0.7
    loss = MinimaxEntropyLoss(lam)(head(grad_reverse(encoder(u))))
    loss.backward()
    # the gradients are -lam dH/dC for C, +lam dH/dF for F
    enc_params, head_params = list(encoder.parameters()), list(head.parameters())
    dH = torch.autograd.grad(_entropy(head(encoder(u))), enc_params + head_params)
    for p, g in zip(enc_params, dH[: len(enc_params)], strict=True):
        torch.testing.assert_close(p.grad, lam * g)
    for p, g in zip(head_params, dH[len(enc_params) :], strict=True):
        torch.testing.assert_close(p.grad, -lam * g)
    # the signs of the parameter updates: a small SGD step of each player
    before = _entropy(head(encoder(u))).item()
    lr = 1e-3
    with torch.no_grad():
        saved = [p.clone() for p in head_params]
        for p in head_params:
            p -= lr * p.grad
        after_c = _entropy(head(encoder(u))).item()
        for p, s in zip(head_params, saved, strict=True):
            p.copy_(s)
        for p in enc_params:
            p -= lr * p.grad
        after_f = _entropy(head(encoder(u))).item()
    assert after_c > before  # the classifier maximises the entropy
    assert after_f < before  # the encoder minimises it
