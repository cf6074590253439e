"""Reference tests for the pure-torch losses (float64 loop implementations)."""

import inspect
import math

import numpy as np
import pytest
import scipy.stats
import torch
import torch.nn.functional as F

from skactive._validation import (
    InvalidParameterError,
    invalid_values,
    parameter_constraints,
)
from skactive.losses import (
    BarlowTwinsLoss,
    FixMatchLoss,
    ISDALoss,
    MixMatchLoss,
    NTXentLoss,
    confidence_mask,
    isda_lambda,
    linear_rampup,
    mixup,
    sharpen,
)


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _randn(*shape, seed=0):
    return torch.randn(*shape, generator=_gen(seed), dtype=torch.float64)


# ---------------------------------------------------------------------------
# ISDA
# ---------------------------------------------------------------------------
def _isda_batches(d=5, n_classes=4):
    """Batches with uneven class counts; class 3 is absent from batches 0 and 2."""
    labels = [
        [0, 0, 0, 1, 2, 2, 0, 1],
        [3, 3, 1, 0, 2, 3, 3, 3, 1],
        [1, 1, 0, 2],
        [2, 3, 0],
        [0, 1, 2, 3, 3, 2, 1, 0, 0, 0, 1],
    ]
    batches = []
    for k, lab in enumerate(labels):
        target = torch.tensor(lab)
        # class-dependent offsets so means differ
        feats = (
            _randn(len(lab), d, seed=10 + k) * (1 + target[:, None])
            + target[:, None].double()
        )
        batches.append((feats, target))
    return batches


@pytest.mark.parametrize("diagonal", [False, True])
def test_isda_online_statistics_equal_full_covariance(diagonal):
    d, c = 5, 4
    crit = ISDALoss(d, c, diagonal=diagonal).double()
    batches = _isda_batches(d, c)
    for feats, target in batches:
        crit.update(feats, target)
    all_f = torch.cat([f for f, _ in batches]).numpy()
    all_t = torch.cat([t for _, t in batches]).numpy()
    for k in range(c):
        fk = all_f[all_t == k]
        assert int(crit.class_counts[k]) == len(fk)
        np.testing.assert_allclose(crit.class_means[k].numpy(), fk.mean(0), atol=1e-12)
        cov = np.cov(fk, rowvar=False, bias=True)
        expected = np.diag(cov) if diagonal else cov
        np.testing.assert_allclose(
            crit.class_covariances[k].numpy(), expected, atol=1e-10
        )


def test_isda_unseen_class_stays_zero_and_reset():
    crit = ISDALoss(3, 5).double()
    crit.update(_randn(6, 3), torch.tensor([0, 0, 1, 1, 2, 2]))
    assert int(crit.class_counts[4]) == 0
    assert float(crit.class_covariances[4].abs().sum()) == 0.0
    crit.reset_statistics()
    assert int(crit.class_counts.sum()) == 0


def _isda_logits_loop(features, target, weight, bias, cov, lam):
    n, c = features.shape[0], weight.shape[0]
    out = torch.empty(n, c, dtype=torch.float64)
    for i in range(n):
        y = int(target[i])
        for j in range(c):
            z = float(features[i] @ weight[j]) + float(bias[j])
            dw = weight[j] - weight[y]
            sigma = cov[y] if cov.dim() == 3 else torch.diag(cov[y])
            out[i, j] = z + 0.5 * lam * float(dw @ sigma @ dw)
    return out


@pytest.mark.parametrize("diagonal", [False, True])
def test_isda_augmented_logits_vs_loop(diagonal):
    d, c = 5, 4
    crit = ISDALoss(d, c, diagonal=diagonal).double()
    for feats, target in _isda_batches(d, c):
        crit.update(feats, target)
    features = _randn(7, d, seed=1)
    target = torch.tensor([0, 3, 3, 1, 2, 0, 3])
    weight, bias = _randn(c, d, seed=2), _randn(c, seed=3)
    out = crit.augmented_logits(features, target, weight, bias, lambda_=0.7)
    ref = _isda_logits_loop(features, target, weight, bias, crit.class_covariances, 0.7)
    torch.testing.assert_close(out, ref)
    # the true-class logit is not augmented
    plain = features @ weight.T + bias
    torch.testing.assert_close(
        out.gather(1, target[:, None]), plain.gather(1, target[:, None])
    )


def test_isda_forward_updates_then_uses_new_statistics():
    d, c = 4, 3
    crit = ISDALoss(d, c, lambda0=0.5).double()
    ref = ISDALoss(d, c).double()
    features = _randn(12, d, seed=4).requires_grad_()
    target = torch.tensor([0, 1, 2] * 4)
    weight = _randn(c, d, seed=5).requires_grad_()
    bias = _randn(c, seed=6).requires_grad_()
    loss = crit(features, target, weight, bias, lambda_=0.3)
    ref.update(features.detach(), target)
    expected = F.cross_entropy(
        _isda_logits_loop(
            features.detach(),
            target,
            weight.detach(),
            bias.detach(),
            ref.class_covariances,
            0.3,
        ),
        target,
    )
    torch.testing.assert_close(loss.detach(), expected)
    loss.backward()
    assert features.grad is not None and weight.grad is not None
    assert bias.grad is not None
    assert torch.isfinite(weight.grad).all()
    # lambda_=None uses lambda0
    torch.testing.assert_close(
        crit.augmented_logits(features, target, weight, bias),
        crit.augmented_logits(features, target, weight, bias, lambda_=0.5),
    )


def test_isda_lambda_zero_is_cross_entropy():
    d, c = 6, 5
    crit = ISDALoss(d, c)
    g = _gen(7)
    for _ in range(3):
        crit.update(
            torch.randn(10, d, generator=g), torch.randint(0, c, (10,), generator=g)
        )
    features = torch.randn(9, d, generator=g)
    target = torch.randint(0, c, (9,), generator=g)
    fc = torch.nn.Linear(d, c)
    loss = crit(features, target, fc.weight, fc.bias, lambda_=0.0)
    torch.testing.assert_close(loss, F.cross_entropy(fc(features), target))
    # without bias
    loss = crit(features, target, fc.weight, None, lambda_=0.0)
    torch.testing.assert_close(loss, F.cross_entropy(features @ fc.weight.T, target))


def test_isda_diagonal_equals_full_diagonal():
    d, c = 5, 4
    full = ISDALoss(d, c).double()
    diag = ISDALoss(d, c, diagonal=True).double()
    for feats, target in _isda_batches(d, c):
        full.update(feats, target)
        diag.update(feats, target)
    torch.testing.assert_close(
        diag.class_covariances, torch.diagonal(full.class_covariances, dim1=1, dim2=2)
    )
    torch.testing.assert_close(diag.class_means, full.class_means)


def test_isda_buffers_in_state_dict_and_move():
    crit = ISDALoss(3, 2)
    keys = set(crit.state_dict())
    assert keys == {"class_means", "class_covariances", "class_counts"}
    assert crit.class_covariances.shape == (2, 3, 3)
    assert ISDALoss(3, 2, diagonal=True).class_covariances.shape == (2, 3)
    assert crit.double().class_means.dtype == torch.float64
    assert crit.class_counts.dtype == torch.int64


def test_isda_validation():
    with pytest.raises(ValueError, match="n_features"):
        ISDALoss(0, 3)
    with pytest.raises(ValueError, match="n_classes"):
        ISDALoss(3, 1.5)
    with pytest.raises(ValueError, match="lambda0"):
        ISDALoss(3, 3, lambda0=-1)
    crit = ISDALoss(3, 2)
    w, b = torch.zeros(2, 3), torch.zeros(2)
    with pytest.raises(ValueError, match="n_features"):
        crit(torch.zeros(4, 5), torch.zeros(4, dtype=torch.long), w, b)
    with pytest.raises(ValueError, match="target"):
        crit(torch.zeros(4, 3), torch.zeros(3, dtype=torch.long), w, b)
    with pytest.raises(ValueError, match="target values"):
        crit(torch.zeros(4, 3), torch.full((4,), 2), w, b)
    with pytest.raises(ValueError, match="weight"):
        crit(torch.zeros(4, 3), torch.zeros(4, dtype=torch.long), torch.zeros(3, 3), b)
    with pytest.raises(ValueError, match="bias"):
        crit(torch.zeros(4, 3), torch.zeros(4, dtype=torch.long), w, torch.zeros(3))


def test_isda_lambda_schedule():
    assert isda_lambda(0, 100) == 0.0
    assert isda_lambda(100, 100, lambda0=0.75) == 0.75
    assert math.isclose(isda_lambda(30, 200, 0.5), 0.075)
    with pytest.raises(ValueError, match="max_epochs"):
        isda_lambda(1, 0)


# ---------------------------------------------------------------------------
# Barlow Twins
# ---------------------------------------------------------------------------
def _barlow_loop(z1, z2, lam, eps):
    b, d = z1.shape

    def standardise(z):
        out = torch.empty_like(z)
        for i in range(d):
            col = z[:, i] - z[:, i].mean()
            out[:, i] = col / math.sqrt(float((col**2).mean()) + eps)
        return out

    a, c2 = standardise(z1), standardise(z2)
    loss = 0.0
    for i in range(d):
        for j in range(d):
            num = sum(float(a[k, i] * c2[k, j]) for k in range(b))
            den = math.sqrt(sum(float(a[k, i]) ** 2 for k in range(b))) * math.sqrt(
                sum(float(c2[k, j]) ** 2 for k in range(b))
            )
            cij = num / den
            loss += (1 - cij) ** 2 if i == j else lam * cij**2
    return loss


def test_barlow_twins_vs_loop():
    z1 = _randn(10, 6, seed=1) * 3 + 1
    z2 = z1 + 0.5 * _randn(10, 6, seed=2)
    crit = BarlowTwinsLoss(lambda_offdiag=0.02)
    out = crit(z1, z2)
    ref = _barlow_loop(z1, z2, 0.02, crit.eps)
    assert math.isclose(float(out), ref, rel_tol=1e-10)


def test_barlow_twins_identical_decorrelated_views():
    # orthogonal, centred columns -> C = identity -> loss 0
    a = _randn(64, 8, seed=3)
    z, _ = torch.linalg.qr(a - a.mean(0))  # columns stay centred
    crit = BarlowTwinsLoss()
    c = crit.cross_correlation(z, z)
    torch.testing.assert_close(torch.diagonal(c), torch.ones(8, dtype=torch.float64))
    # identical views always have a zero diagonal term
    zr = _randn(32, 8, seed=4)
    c = crit.cross_correlation(zr, zr)
    assert float(((1 - torch.diagonal(c)) ** 2).sum()) < 1e-20
    assert float(crit(z, z)) < 1e-6


def test_barlow_twins_gradients_and_errors():
    z1 = _randn(8, 4, seed=5).requires_grad_()
    z2 = _randn(8, 4, seed=6)
    BarlowTwinsLoss()(z1, z2).backward()
    assert z1.grad is not None and torch.isfinite(z1.grad).all()
    with pytest.raises(ValueError, match="batch size"):
        BarlowTwinsLoss()(torch.zeros(1, 4), torch.zeros(1, 4))
    with pytest.raises(ValueError, match="same shape"):
        BarlowTwinsLoss()(torch.zeros(3, 4), torch.zeros(3, 5))
    with pytest.raises(ValueError, match="lambda_offdiag"):
        BarlowTwinsLoss(lambda_offdiag=-1)
    # constant feature does not produce NaN
    z = _randn(6, 3, seed=7)
    z[:, 0] = 1.0
    assert torch.isfinite(BarlowTwinsLoss()(z, z))


# ---------------------------------------------------------------------------
# NT-Xent
# ---------------------------------------------------------------------------
def _nt_xent_loop(z1, z2, tau):
    u = torch.cat([z1, z2])
    n = u.shape[0]
    b = n // 2
    total = 0.0
    for k in range(n):
        pos = (k + b) % n
        sims = {}
        for m in range(n):
            if m != k:
                cos = float(u[k] @ u[m]) / (float(u[k].norm()) * float(u[m].norm()))
                sims[m] = cos / tau
        denom = sum(math.exp(s) for s in sims.values())
        total += -(sims[pos] - math.log(denom))
    return total / n


@pytest.mark.parametrize("tau", [0.1, 0.5, 1.0])
def test_nt_xent_vs_loop(tau):
    z1, z2 = _randn(6, 5, seed=8), _randn(6, 5, seed=9)
    out = NTXentLoss(temperature=tau)(z1, z2)
    assert math.isclose(float(out), _nt_xent_loop(z1, z2, tau), rel_tol=1e-10)


def test_nt_xent_gradients_and_errors():
    z1 = _randn(4, 3, seed=1).requires_grad_()
    NTXentLoss()(z1, _randn(4, 3, seed=2)).backward()
    assert torch.isfinite(z1.grad).all()
    with pytest.raises(ValueError, match="temperature"):
        NTXentLoss(temperature=0)
    with pytest.raises(ValueError, match="same shape"):
        NTXentLoss()(torch.zeros(3, 2), torch.zeros(2, 2))


# ---------------------------------------------------------------------------
# MixMatch
# ---------------------------------------------------------------------------
def test_sharpen():
    p = torch.softmax(_randn(5, 4, seed=1), dim=1)
    for T in (0.25, 0.5, 2.0):
        s = sharpen(p, T)
        torch.testing.assert_close(s.sum(1), torch.ones(5, dtype=torch.float64))
        ref = p ** (1 / T) / (p ** (1 / T)).sum(1, keepdim=True)
        torch.testing.assert_close(s, ref)
    torch.testing.assert_close(sharpen(p, 1.0), p)
    q = torch.tensor([[0.1, 0.5, 0.4], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6]])
    onehot = F.one_hot(q.argmax(1), 3).float()
    errors = [float((sharpen(q, T) - onehot).abs().max()) for T in (0.5, 0.1, 0.01)]
    assert errors[0] > errors[1] > errors[2] and errors[2] < 1e-6
    assert torch.equal(sharpen(q, 1e-4), onehot)
    # zero probabilities stay zero, no NaN
    z = torch.tensor([[0.0, 0.3, 0.7]])
    assert torch.isfinite(sharpen(z)).all() and float(sharpen(z)[0, 0]) == 0.0
    with pytest.raises(ValueError, match="T"):
        sharpen(p, 0)


def test_mixup_convex_combination_and_seed():
    x = _randn(16, 3, 2, 2, seed=1)
    y = F.one_hot(torch.arange(16) % 4, 4).double()
    mx, my, lam = mixup(x, y, alpha=0.75, generator=_gen(3))
    assert lam.shape == (16,)
    assert float(lam.min()) >= 0.5 and float(lam.max()) <= 1.0
    # reproduce by hand: the generator draws one uniform per row, then randperm;
    # lambda is the Beta(alpha, alpha) quantile of each uniform, folded to >= 0.5
    g = _gen(3)
    u = torch.rand(16, generator=g, dtype=torch.float64)
    perm = torch.randperm(16, generator=g)
    for b in range(16):
        lam_b = scipy.stats.beta(0.75, 0.75).ppf(float(u[b]))
        lam_b = max(lam_b, 1 - lam_b)
        assert math.isclose(float(lam[b]), lam_b, rel_tol=1e-9)
        torch.testing.assert_close(mx[b], lam_b * x[b] + (1 - lam_b) * x[perm[b]])
        torch.testing.assert_close(my[b], lam_b * y[b] + (1 - lam_b) * y[perm[b]])
    torch.testing.assert_close(my.sum(1), torch.ones(16, dtype=torch.float64))
    assert float(my.min()) >= 0
    # one lambda per example, not one per batch
    assert len(set(lam.tolist())) == 16
    mx2, my2, lam2 = mixup(x, y, alpha=0.75, generator=_gen(3))
    assert torch.equal(lam2, lam) and torch.equal(mx2, mx) and torch.equal(my2, my)


def test_mixup_lambda_follows_the_folded_beta():
    # lambda' = max(lambda, 1 - lambda) with lambda ~ Beta(a, a): its CDF on
    # [0.5, 1] is 2 F(t) - 1 (F the Beta CDF); Kolmogorov-Smirnov check
    x = torch.zeros(4000, 1)
    y = torch.zeros(4000, 2)
    lam = mixup(x, y, alpha=0.5, generator=_gen(0))[2].numpy()
    stat = scipy.stats.kstest(lam, lambda t: 2 * scipy.stats.beta(0.5, 0.5).cdf(t) - 1)
    assert stat.pvalue > 0.01


def test_mixup_errors():
    x = torch.zeros(4, 2)
    with pytest.raises(ValueError, match="alpha"):
        mixup(x, torch.zeros(4, 3), alpha=0)
    with pytest.raises(ValueError, match="rows"):
        mixup(x, torch.zeros(3, 3))
    with pytest.raises(ValueError, match="one-hot"):
        mixup(x, torch.zeros(4, dtype=torch.long))


def test_mixmatch_loss_vs_manual():
    lx = _randn(5, 3, seed=1).requires_grad_()
    tx = F.one_hot(torch.tensor([0, 1, 2, 0, 1]), 3).double()
    lu = _randn(7, 3, seed=2).requires_grad_()
    tu = torch.softmax(_randn(7, 3, seed=3), dim=1)
    out = MixMatchLoss(lambda_u=75.0)(lx, tx, lu, tu, lambda_u_scale=0.4)
    loss_x = 0.0
    for i in range(5):
        logp = torch.log_softmax(lx.detach()[i], 0)
        loss_x -= float((tx[i] * logp).sum())
    loss_x /= 5
    loss_u = 0.0
    for i in range(7):
        pu = torch.softmax(lu.detach()[i], 0)
        for c in range(3):
            loss_u += float(pu[c] - tu[i, c]) ** 2
    loss_u /= 7 * 3
    assert math.isclose(out.item(), loss_x + 75.0 * 0.4 * loss_u, rel_tol=1e-10)
    out.backward()
    assert torch.isfinite(lx.grad).all() and torch.isfinite(lu.grad).all()
    with pytest.raises(ValueError, match="targets_u"):
        MixMatchLoss()(lx, tx, lu, tu[:, :2])
    with pytest.raises(ValueError, match="lambda_u"):
        MixMatchLoss(lambda_u=-1)


def test_linear_rampup():
    assert linear_rampup(0, 10) == 0.0
    assert linear_rampup(5, 10) == 0.5
    assert linear_rampup(15, 10) == 1.0
    assert linear_rampup(-3, 10) == 0.0
    assert linear_rampup(2, 0) == 1.0
    with pytest.raises(ValueError, match="rampup_length"):
        linear_rampup(1, -1)


# ---------------------------------------------------------------------------
# declared constraints: every parameter refuses what breaks them
# ---------------------------------------------------------------------------
#: Each public loss or function with valid values of all its arguments.
LOSS_CLASSES = {
    ISDALoss: {"n_features": 3, "n_classes": 2},
    BarlowTwinsLoss: {},
    NTXentLoss: {},
    MixMatchLoss: {},
}
LOSS_FUNCTIONS = {
    sharpen: {"p": torch.full((2, 2), 0.5)},
    mixup: {"x": torch.zeros(4, 2), "y": torch.zeros(4, 3)},
    linear_rampup: {"step": 1, "rampup_length": 10},
    isda_lambda: {"epoch": 1, "max_epochs": 10},
}


@pytest.mark.parametrize("cls", list(LOSS_CLASSES), ids=lambda c: c.__name__)
def test_every_loss_parameter_refuses_invalid_values(cls):
    constraints = parameter_constraints(cls)
    assert set(constraints) == set(inspect.signature(cls).parameters)
    for name, spec in constraints.items():
        for bad in invalid_values(spec):
            with pytest.raises(InvalidParameterError, match=f"{name} must be"):
                cls(**{**LOSS_CLASSES[cls], name: bad})


@pytest.mark.parametrize("func", list(LOSS_FUNCTIONS), ids=lambda f: f.__name__)
def test_every_function_parameter_refuses_invalid_values(func):
    constraints = func.__skactive_constraints__
    assert set(constraints) == set(inspect.signature(func).parameters)
    for name, spec in constraints.items():
        for bad in invalid_values(spec):
            with pytest.raises(InvalidParameterError, match=f"{name} must be"):
                func(**{**LOSS_FUNCTIONS[func], name: bad})


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: BarlowTwinsLoss()(torch.zeros(4), torch.zeros(4, 2)), "z1"),
        (lambda: BarlowTwinsLoss()(torch.zeros(4, 2), [[0.0]]), "z2"),
        (lambda: NTXentLoss()(torch.zeros(0, 2), torch.zeros(0, 2)), "z1"),
        (lambda: MixMatchLoss()(torch.zeros(2), None, None, None), "logits_x"),
        (
            lambda: MixMatchLoss()(
                torch.zeros(2, 3),
                torch.zeros(2, 3),
                torch.zeros(2, 3),
                torch.zeros(2, 3),
                lambda_u_scale=math.nan,
            ),
            "lambda_u_scale",
        ),
        (
            lambda: ISDALoss(3, 2)(
                torch.zeros(4, 3),
                torch.zeros(4, dtype=torch.long),
                torch.zeros(2, 3),
                lambda_=-1.0,
            ),
            "lambda_",
        ),
        (lambda: sharpen(torch.ones(2, 2, dtype=torch.long)), "p"),
        (lambda: mixup(torch.zeros(4, 2), torch.zeros(3, 2)), "x and y"),
    ],
)
def test_forward_errors_name_the_argument(call, name):
    with pytest.raises(InvalidParameterError, match=name):
        call()


def test_confidence_mask_scalar_and_per_class():
    p = torch.tensor(
        [[0.96, 0.02, 0.02], [0.5, 0.3, 0.2], [0.1, 0.1, 0.8], [0.2, 0.7, 0.1]]
    )
    pseudo, mask = confidence_mask(p, 0.95)
    assert pseudo.tolist() == [0, 0, 2, 1] and mask.tolist() == [
        True,
        False,
        False,
        False,
    ]
    tau = torch.tensor([0.99, 0.6, 0.8])
    pseudo, mask = confidence_mask(p, tau)
    assert mask.tolist() == [False, False, True, True]  # >= its class's threshold
    with pytest.raises(ValueError, match="one value per class"):
        confidence_mask(p, torch.tensor([0.5, 0.5]))


def test_fixmatch_loss_vs_manual():
    lx = _randn(5, 3, seed=1).requires_grad_()
    yx = torch.tensor([0, 1, 2, 0, 1])
    ls = _randn(7, 3, seed=2).requires_grad_()
    pseudo = torch.tensor([2, 0, 1, 1, 0, 2, 2])
    mask = torch.tensor([True, False, True, True, False, False, True])
    out = FixMatchLoss(lambda_u=2.0)(lx, yx, ls, pseudo, mask, lambda_u_scale=0.5)
    loss_s = 0.0
    for i in range(5):
        loss_s -= float(torch.log_softmax(lx.detach()[i], 0)[yx[i]])
    loss_s /= 5
    loss_u = 0.0
    for i in range(7):
        if mask[i]:
            loss_u -= float(torch.log_softmax(ls.detach()[i], 0)[pseudo[i]])
    loss_u /= 7  # over every unlabeled row, masked ones included
    assert math.isclose(out.item(), loss_s + 2.0 * 0.5 * loss_u, rel_tol=1e-10)
    out.backward()
    assert float(ls.grad[1].abs().sum()) == 0.0  # a masked row gets no gradient
    empty = FixMatchLoss()(lx, yx, ls[:0], pseudo[:0], mask[:0])
    assert math.isclose(empty.item(), loss_s, rel_tol=1e-10)
    with pytest.raises(ValueError, match="pseudo_labels and mask"):
        FixMatchLoss()(lx, yx, ls, pseudo[:3], mask)
    with pytest.raises(ValueError, match="lambda_u"):
        FixMatchLoss(lambda_u=-1)
