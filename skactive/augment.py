"""Per-sample, seeded, batched image augmentations on tensors.

The random transforms in :mod:`torchvision.transforms.v2` draw **one** set of
random parameters per call, so applying them to a batch gives every image the
same crop, flip or colour change. The transforms in this module operate on a
whole batch ``x`` of shape ``(N, C, H, W)`` (floating point, any device) and
draw independent parameters for every sample, with vectorised tensor code (no
Python loop over samples).

Every random transform is called as ``t(x, generator=g)`` where ``g`` is a
:class:`torch.Generator`. All random numbers are drawn from ``g`` on the
generator's own device and then moved to the device of ``x``; a CPU generator
can therefore drive augmentation of CUDA tensors, and the same seed gives the
same random parameters whatever the device of ``x``. With ``generator=None``
the global default CPU generator is used.

Inputs of shape ``(C, H, W)`` are accepted too and are treated as a batch of
one image. Colour transforms assume values in ``[0, 1]`` (apply them before
any mean/std normalisation).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from numbers import Integral, Real

import torch
import torch.nn.functional as F

from ._constraints import OddInts, Sequences
from ._validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
    parameter_constraints,
    validate_parameter_constraints,
    validate_params,
)

__all__ = [
    "BaseTransform",
    "ColorJitter",
    "Compose",
    "Cutout",
    "GaussianBlur",
    "RANDAUGMENT_OPS",
    "RandAugment",
    "RandomCropReflect",
    "RandomGrayscale",
    "RandomHorizontalFlip",
    "RandomResizedCrop",
    "RandomSolarize",
    "make_augmentation",
]

AUGMENTATIONS = ("standard", "strong", "ssl", "none")

_GRAY_WEIGHTS = (0.2989, 0.587, 0.114)  # same as torchvision


# ---------------------------------------------------------------------------
# helpers: random draws and validation
# ---------------------------------------------------------------------------
def _gen_device(generator: torch.Generator | None) -> torch.device:
    if generator is None:
        return torch.device("cpu")
    return generator.device


def _rand(shape, generator, x: torch.Tensor) -> torch.Tensor:
    """Uniform [0, 1) draws from ``generator``, returned on ``x``'s device/dtype."""
    u = torch.rand(shape, generator=generator, device=_gen_device(generator))
    return u.to(device=x.device, dtype=x.dtype)


def _randint(low, high, shape, generator, device) -> torch.Tensor:
    r = torch.randint(
        low, high, shape, generator=generator, device=_gen_device(generator)
    )
    return r.to(device)


# Constraints shared by the transforms (declared in ``_parameter_constraints``
# and checked at construction: the transforms are plain callables, not
# scikit-learn estimators, so a bad value fails where it is written).
_PROBABILITY = [Interval(Real, 0, 1, closed="both")]
_POSITIVE_FINITE = Interval(Real, 0, math.inf, closed="neither")
_NONNEGATIVE_FINITE = Interval(Real, 0, math.inf, closed="left")
#: ``(low, high)`` with ``0 < low <= high < inf``.
_POSITIVE_RANGE = Sequences(_POSITIVE_FINITE, length=2, increasing=True)
_POSITIVE_INT = Interval(Integral, 1, None, closed="left")


def _pair(value) -> tuple[float, float]:
    """A validated ``(low, high)`` pair as two floats."""
    return float(value[0]), float(value[1])


def _as_batch(x, caller) -> tuple[torch.Tensor, bool]:
    if not isinstance(x, torch.Tensor):
        raise InvalidParameterError(
            f"{caller}: x must be a torch.Tensor, got {type(x).__name__}."
        )
    if not x.is_floating_point():
        raise InvalidParameterError(
            f"{caller}: x must be a floating point tensor, got dtype {x.dtype}; "
            "convert images to float (values in [0, 1]) first."
        )
    if x.dim() == 3:
        return x.unsqueeze(0), True
    if x.dim() != 4:
        raise InvalidParameterError(
            f"{caller}: x must be a tensor of shape (N, C, H, W) or (C, H, W), "
            f"got shape {tuple(x.shape)}."
        )
    return x, False


def _per_sample(mask: torch.Tensor) -> torch.Tensor:
    return mask.view(-1, 1, 1, 1)


class BaseTransform:
    """Base class of the batched transforms.

    Subclasses implement ``_apply(x, generator)`` for a 4-D batch ``x``.
    ``__call__`` validates the input, accepts a single ``(C, H, W)`` image and
    forwards the generator. Half-precision inputs are processed in float32
    and cast back. Subclasses declare ``_parameter_constraints`` and check
    their arguments in ``__init__`` with :meth:`_validate`.
    """

    _parameter_constraints: dict = {}

    def _validate(self, **params):
        """Check constructor arguments against the declared constraints."""
        validate_parameter_constraints(
            parameter_constraints(self), params, type(self).__name__
        )

    def __call__(
        self, x: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        xb, single = _as_batch(x, type(self).__name__)
        if xb.shape[0] == 0:
            return x.clone()
        low_precision = xb.dtype in (torch.float16, torch.bfloat16)
        out = self._apply(xb.float() if low_precision else xb, generator)
        if low_precision:
            out = out.to(xb.dtype)
        return out[0] if single else out

    def _apply(self, x, generator):  # pragma: no cover - abstract
        raise NotImplementedError

    def _params(self) -> dict:
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"


# ---------------------------------------------------------------------------
# geometric transforms
# ---------------------------------------------------------------------------
class RandomCropReflect(BaseTransform):
    """Reflect-pad, then take a random crop of the original size per sample.

    Each image is padded by ``padding`` pixels on every side with reflection
    and a window of the original ``(H, W)`` size is cut out at an independent
    random offset ``(dy, dx)`` drawn uniformly from ``{0, ..., 2 * padding}``.
    The result is a random translation by up to ``padding`` pixels with
    reflected borders (the usual CIFAR "pad 4 + crop 32" augmentation).

    Parameters
    ----------
    padding : int
        Number of pixels of reflect padding, ``0 <= padding``; at call time it
        must also be smaller than ``H`` and ``W`` (a requirement of reflect
        padding). ``padding=0`` is the identity.

    Examples
    --------
    >>> import torch
    >>> from skactive.augment import RandomCropReflect
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.rand(8, 3, 32, 32)
    >>> RandomCropReflect(4)(x, generator=g).shape
    torch.Size([8, 3, 32, 32])
    """

    _parameter_constraints = {"padding": [Interval(Integral, 0, None, closed="left")]}

    def __init__(self, padding: int):
        self._validate(padding=padding)
        self.padding = int(padding)

    def _params(self):
        return {"padding": self.padding}

    def _apply(self, x, generator):
        n, c, h, w = x.shape
        p = self.padding
        if p == 0:
            return x.clone()
        if p >= h or p >= w:
            raise InvalidParameterError(
                f"RandomCropReflect: padding={p} must be smaller than the image "
                f"height and width ({h}, {w}) for reflect padding."
            )
        padded = F.pad(x, (p, p, p, p), mode="reflect")
        offsets = _randint(0, 2 * p + 1, (2, n), generator, x.device)
        rows = offsets[0][:, None] + torch.arange(h, device=x.device)  # (N, H)
        cols = offsets[1][:, None] + torch.arange(w, device=x.device)  # (N, W)
        n_idx = torch.arange(n, device=x.device).view(n, 1, 1, 1)
        c_idx = torch.arange(c, device=x.device).view(1, c, 1, 1)
        return padded[n_idx, c_idx, rows[:, None, :, None], cols[:, None, None, :]]


class RandomHorizontalFlip(BaseTransform):
    """Flip each image left-right independently with probability ``p``.

    Parameters
    ----------
    p : float, default=0.5
        Probability that a given image is flipped.

    Examples
    --------
    >>> import torch
    >>> from skactive.augment import RandomHorizontalFlip
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.rand(4, 1, 5, 5)
    >>> out = RandomHorizontalFlip(p=1.0)(x, generator=g)
    >>> torch.equal(out, x.flip(-1))
    True
    """

    _parameter_constraints = {"p": _PROBABILITY}

    def __init__(self, p: float = 0.5):
        self._validate(p=p)
        self.p = float(p)

    def _params(self):
        return {"p": self.p}

    def _apply(self, x, generator):
        flip = _rand((x.shape[0],), generator, x) < self.p
        return torch.where(_per_sample(flip), x.flip(-1), x)


class RandomResizedCrop(BaseTransform):
    """Crop a random area/aspect-ratio box per sample and resize it.

    For each sample a box of area ``A * s`` (``A = H * W``, ``s ~ U(scale)``)
    and aspect ratio ``r`` (``log r ~ U(log ratio)``) is proposed; up to 10
    proposals are drawn at once and the first one that fits inside the image
    is used, otherwise the whole image is used with the aspect ratio clamped
    to ``ratio`` (the same rule as torchvision). The box position is uniform
    among the positions inside the image. The box is then resampled to
    ``size`` with :func:`torch.nn.functional.grid_sample` using one affine
    grid per sample.

    Unlike torchvision, box sizes and positions are continuous (sub-pixel),
    and no anti-aliasing is applied when the box is larger than ``size``.

    Parameters
    ----------
    size : int or tuple of int
        Output size ``(h, w)``; an int gives a square output.
    scale : tuple of float, default=(0.08, 1.0)
        Range of the crop area as a fraction of the image area,
        ``0 < low <= high``.
    ratio : tuple of float, default=(3/4, 4/3)
        Range of the crop aspect ratio (width / height), ``0 < low <= high``.
    interpolation : {"bilinear", "nearest", "bicubic"}, default="bilinear"
        Resampling mode passed to ``grid_sample``.

    Examples
    --------
    >>> import torch
    >>> from skactive.augment import RandomResizedCrop
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.rand(8, 3, 32, 32)
    >>> RandomResizedCrop(24)(x, generator=g).shape
    torch.Size([8, 3, 24, 24])
    """

    _MAX_TRIALS = 10

    _parameter_constraints = {
        "size": [_POSITIVE_INT, Sequences(_POSITIVE_INT, length=2)],
        "scale": [_POSITIVE_RANGE],
        "ratio": [_POSITIVE_RANGE],
        "interpolation": [StrOptions({"bilinear", "nearest", "bicubic"})],
    }

    def __init__(
        self,
        size,
        scale=(0.08, 1.0),
        ratio=(3.0 / 4.0, 4.0 / 3.0),
        interpolation: str = "bilinear",
    ):
        self._validate(size=size, scale=scale, ratio=ratio, interpolation=interpolation)
        if isinstance(size, Integral):
            size = (size, size)
        self.size = (int(size[0]), int(size[1]))
        self.scale = _pair(scale)
        self.ratio = _pair(ratio)
        self.interpolation = interpolation

    def _params(self):
        return {
            "size": self.size,
            "scale": self.scale,
            "ratio": self.ratio,
            "interpolation": self.interpolation,
        }

    def _boxes(self, x, generator):
        """Per-sample crop boxes ``(x0, y0, width, height)`` in pixels."""
        n, _, h, w = x.shape
        t = self._MAX_TRIALS
        u = _rand((2, n, t), generator, x)
        pos = _rand((2, n), generator, x)
        s0, s1 = self.scale
        lr0, lr1 = math.log(self.ratio[0]), math.log(self.ratio[1])
        area = h * w * (s0 + (s1 - s0) * u[0])
        aspect = torch.exp(lr0 + (lr1 - lr0) * u[1])
        bw = torch.sqrt(area * aspect)
        bh = torch.sqrt(area / aspect)
        valid = (bw <= w) & (bh <= h)
        first = valid.to(torch.uint8).argmax(dim=1, keepdim=True)
        bw = bw.gather(1, first).squeeze(1)
        bh = bh.gather(1, first).squeeze(1)
        # fallback: whole image, aspect ratio clamped to ``ratio``
        in_ratio = w / h
        if in_ratio < self.ratio[0]:
            fw, fh = float(w), w / self.ratio[0]
        elif in_ratio > self.ratio[1]:
            fw, fh = h * self.ratio[1], float(h)
        else:
            fw, fh = float(w), float(h)
        ok = valid.any(dim=1)
        bw = torch.where(ok, bw, torch.full_like(bw, fw)).clamp(max=w)
        bh = torch.where(ok, bh, torch.full_like(bh, fh)).clamp(max=h)
        x0 = pos[0] * (w - bw)
        y0 = pos[1] * (h - bh)
        return x0, y0, bw, bh

    def _apply(self, x, generator):
        n, c, h, w = x.shape
        x0, y0, bw, bh = self._boxes(x, generator)
        # map output coordinates in [-1, 1] onto the box (align_corners=False
        # convention: -1/+1 are the outer pixel edges).
        theta = torch.zeros(n, 2, 3, dtype=x.dtype, device=x.device)
        theta[:, 0, 0] = bw / w
        theta[:, 0, 2] = (2.0 * x0 + bw) / w - 1.0
        theta[:, 1, 1] = bh / h
        theta[:, 1, 2] = (2.0 * y0 + bh) / h - 1.0
        grid = F.affine_grid(theta, [n, c, *self.size], align_corners=False)
        return F.grid_sample(
            x,
            grid,
            mode=self.interpolation,
            padding_mode="border",
            align_corners=False,
        )


# ---------------------------------------------------------------------------
# photometric helpers (per-sample factors of shape (N,))
# ---------------------------------------------------------------------------
def _grayscale(x: torch.Tensor) -> torch.Tensor:
    """Luminance ``(N, 1, H, W)`` for RGB input, channel mean otherwise."""
    if x.shape[1] == 3:
        r, g, b = x.unbind(1)
        gray = _GRAY_WEIGHTS[0] * r + _GRAY_WEIGHTS[1] * g + _GRAY_WEIGHTS[2] * b
        return gray.unsqueeze(1)
    return x.mean(dim=1, keepdim=True)


def _blend(a, b, factor):
    f = factor.view(-1, 1, 1, 1)
    return (f * a + (1.0 - f) * b).clamp(0.0, 1.0)


def _adjust_brightness(x, factor):
    return _blend(x, torch.zeros_like(x), factor)


def _adjust_contrast(x, factor):
    mean = _grayscale(x).mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(x, mean, factor)


def _adjust_saturation(x, factor):
    if x.shape[1] != 3:
        return x
    return _blend(x, _grayscale(x), factor)


def _rgb_to_hsv(x):
    r, g, b = x.unbind(1)
    maxc = x.amax(dim=1)
    minc = x.amin(dim=1)
    delta = maxc - minc
    has_chroma = delta > 0
    safe_delta = torch.where(has_chroma, delta, torch.ones_like(delta))
    safe_max = torch.where(maxc > 0, maxc, torch.ones_like(maxc))
    s = delta / safe_max
    h_r = torch.remainder((g - b) / safe_delta, 6.0)
    h_g = (b - r) / safe_delta + 2.0
    h_b = (r - g) / safe_delta + 4.0
    hue = torch.where(maxc == r, h_r, torch.where(maxc == g, h_g, h_b))
    hue = torch.where(has_chroma, hue / 6.0, torch.zeros_like(hue))
    return torch.remainder(hue, 1.0), s, maxc


def _hsv_to_rgb(h, s, v):
    h6 = h * 6.0
    channels = []
    for k0 in (5.0, 3.0, 1.0):
        k = torch.remainder(k0 + h6, 6.0)
        channels.append(v - v * s * torch.minimum(k, 4.0 - k).clamp(0.0, 1.0))
    return torch.stack(channels, dim=1)


def _adjust_hue(x, factor):
    """Rotate the hue by ``factor`` (fraction of a turn, in [-0.5, 0.5])."""
    if x.shape[1] != 3:
        return x
    h, s, v = _rgb_to_hsv(x)
    h = torch.remainder(h + factor.view(-1, 1, 1), 1.0)
    return _hsv_to_rgb(h, s, v).clamp(0.0, 1.0)


#: A jitter strength ``>= 0`` or a factor range ``0 <= low <= high``.
_FACTOR = [
    _NONNEGATIVE_FINITE,
    Sequences(_NONNEGATIVE_FINITE, length=2, increasing=True),
]


class ColorJitter(BaseTransform):
    """Randomly change brightness, contrast, saturation and hue per sample.

    With probability ``p`` (per sample) the four adjustments are applied in a
    per-sample random order, each with its own factor:

    * brightness ``b ~ U[max(0, 1 - brightness), 1 + brightness]``: ``x * b``;
    * contrast ``c ~ U[max(0, 1 - contrast), 1 + contrast]``: blend with the
      image's mean luminance;
    * saturation ``s ~ U[max(0, 1 - saturation), 1 + saturation]``: blend with
      the per-pixel luminance;
    * hue ``h ~ U[-hue, hue]``: rotation of the hue channel in HSV space
      (RGB <-> HSV conversion implemented in torch).

    Every step clamps to ``[0, 1]`` (inputs are assumed to lie in ``[0, 1]``),
    matching :mod:`torchvision` semantics. Saturation and hue are defined for
    3-channel (RGB) images only and are the identity for any other number of
    channels (e.g. 1-channel grayscale); contrast then uses the channel mean.
    Each adjustment is computed only for the samples that use it at a given
    position of their order (boolean indexing; on CUDA this costs a few
    host synchronisations per call).

    Parameters
    ----------
    brightness, contrast, saturation : float or tuple of float, default=0.4, 0.4, 0.2
        Jitter strength ``>= 0`` or an explicit ``(low, high)`` factor range
        with ``0 <= low <= high``.
    hue : float or tuple of float, default=0.1
        Hue jitter ``0 <= hue <= 0.5`` or a range inside ``[-0.5, 0.5]``.
    p : float, default=0.8
        Probability that an image is jittered at all.

    Examples
    --------
    >>> import torch
    >>> from skactive.augment import ColorJitter
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.rand(8, 3, 16, 16)
    >>> out = ColorJitter()(x, generator=g)
    >>> out.shape, bool(out.min() >= 0), bool(out.max() <= 1)
    (torch.Size([8, 3, 16, 16]), True, True)
    """

    _parameter_constraints = {
        "brightness": _FACTOR,
        "contrast": _FACTOR,
        "saturation": _FACTOR,
        "hue": [
            Interval(Real, 0, 0.5, closed="both"),
            Sequences(
                Interval(Real, -0.5, 0.5, closed="both"), length=2, increasing=True
            ),
        ],
        "p": _PROBABILITY,
    }

    def __init__(self, brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1, p=0.8):
        self._validate(
            brightness=brightness,
            contrast=contrast,
            saturation=saturation,
            hue=hue,
            p=p,
        )
        self.brightness = self._factor_range(brightness)
        self.contrast = self._factor_range(contrast)
        self.saturation = self._factor_range(saturation)
        self.hue = self._hue_range(hue)
        self.p = float(p)

    @staticmethod
    def _factor_range(value):
        if isinstance(value, Real):
            return (max(0.0, 1.0 - float(value)), 1.0 + float(value))
        return _pair(value)

    @staticmethod
    def _hue_range(value):
        if isinstance(value, Real):
            return (-float(value), float(value))
        return _pair(value)

    def _params(self):
        return {
            "brightness": self.brightness,
            "contrast": self.contrast,
            "saturation": self.saturation,
            "hue": self.hue,
            "p": self.p,
        }

    def _apply(self, x, generator):
        n = x.shape[0]
        u = _rand((4, n), generator, x)
        order = torch.argsort(_rand((n, 4), generator, x), dim=1)
        apply = _rand((n,), generator, x) < self.p
        ranges = (self.brightness, self.contrast, self.saturation, self.hue)
        factors = [lo + (hi - lo) * u[i] for i, (lo, hi) in enumerate(ranges)]
        ops = (_adjust_brightness, _adjust_contrast, _adjust_saturation, _adjust_hue)
        identity = ((1.0, 1.0), (1.0, 1.0), (1.0, 1.0), (0.0, 0.0))
        out = x.clone()
        # each op is evaluated only on the samples that apply it at this step,
        # so the total work is that of applying each op once to the batch.
        for step in range(4):
            for k, op in enumerate(ops):
                if ranges[k] == identity[k]:
                    continue  # op is the identity, skip the computation
                idx = torch.nonzero(apply & (order[:, step] == k)).squeeze(1)
                if idx.numel():
                    out[idx] = op(out[idx], factors[k][idx])
        return out


class RandomGrayscale(BaseTransform):
    """Convert each image to grayscale independently with probability ``p``.

    RGB images use the luminance ``0.2989 R + 0.587 G + 0.114 B`` replicated to
    three channels; other channel counts use the channel mean (so 1-channel
    input is unchanged).

    Parameters
    ----------
    p : float, default=0.2
        Probability that an image is converted.

    Examples
    --------
    >>> import torch
    >>> from skactive.augment import RandomGrayscale
    >>> x = torch.rand(2, 3, 4, 4)
    >>> out = RandomGrayscale(p=1.0)(x)
    >>> bool((out[:, 0] == out[:, 1]).all())
    True
    """

    _parameter_constraints = {"p": _PROBABILITY}

    def __init__(self, p: float = 0.2):
        self._validate(p=p)
        self.p = float(p)

    def _params(self):
        return {"p": self.p}

    def _apply(self, x, generator):
        apply = _rand((x.shape[0],), generator, x) < self.p
        gray = _grayscale(x).expand_as(x)
        return torch.where(_per_sample(apply), gray, x)


class GaussianBlur(BaseTransform):
    """Gaussian blur with a per-sample random standard deviation.

    With probability ``p`` an image is blurred with a separable Gaussian
    kernel of ``kernel_size`` taps and ``sigma ~ U(sigma)`` (reflect padding,
    kernel ``exp(-t**2 / (2 sigma**2))`` normalised to sum 1, as in
    torchvision). All samples are blurred in one grouped convolution with one
    kernel per sample and channel.

    Parameters
    ----------
    kernel_size : int
        Odd positive kernel size; ``kernel_size // 2`` must be smaller than
        the image height and width.
    sigma : float or tuple of float, default=(0.1, 2.0)
        Fixed standard deviation or range ``0 < low <= high``.
    p : float, default=0.5
        Probability that an image is blurred.

    Examples
    --------
    >>> import torch
    >>> from skactive.augment import GaussianBlur
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.rand(4, 3, 16, 16)
    >>> GaussianBlur(3, p=1.0)(x, generator=g).shape
    torch.Size([4, 3, 16, 16])
    """

    _parameter_constraints = {
        "kernel_size": [OddInts(1, None, closed="left")],
        "sigma": [_POSITIVE_FINITE, _POSITIVE_RANGE],
        "p": _PROBABILITY,
    }

    def __init__(self, kernel_size: int, sigma=(0.1, 2.0), p: float = 0.5):
        self._validate(kernel_size=kernel_size, sigma=sigma, p=p)
        self.kernel_size = int(kernel_size)
        if isinstance(sigma, Real):
            sigma = (sigma, sigma)
        self.sigma = _pair(sigma)
        self.p = float(p)

    def _params(self):
        return {"kernel_size": self.kernel_size, "sigma": self.sigma, "p": self.p}

    def _apply(self, x, generator):
        n, c, h, w = x.shape
        r = self.kernel_size // 2
        u = _rand((n,), generator, x)
        apply = _rand((n,), generator, x) < self.p
        if r == 0:
            return x.clone()
        if r >= h or r >= w:
            raise InvalidParameterError(
                f"GaussianBlur: kernel_size={self.kernel_size} is too large for "
                f"images of size ({h}, {w}): kernel_size // 2 must be smaller than "
                "both."
            )
        sigma = self.sigma[0] + (self.sigma[1] - self.sigma[0]) * u  # (N,)
        taps = torch.arange(self.kernel_size, device=x.device, dtype=x.dtype) - r
        kernel = torch.exp(-0.5 * (taps[None, :] / sigma[:, None]) ** 2)
        kernel = kernel / kernel.sum(dim=1, keepdim=True)  # (N, K)
        kernel = kernel.repeat_interleave(c, dim=0)  # (N*C, K)
        padded = F.pad(x, (r, r, r, r), mode="reflect").reshape(
            1, n * c, h + 2 * r, w + 2 * r
        )
        out = F.conv2d(padded, kernel[:, None, None, :], groups=n * c)
        out = F.conv2d(out, kernel[:, None, :, None], groups=n * c)
        return torch.where(_per_sample(apply), out.reshape(n, c, h, w), x)


class RandomSolarize(BaseTransform):
    """Invert pixels above a threshold (``x -> 1 - x``) with probability ``p``.

    Parameters
    ----------
    threshold : float, default=0.5
        Pixels with value ``>= threshold`` are inverted.
    p : float, default=0.2
        Probability that an image is solarized.

    Examples
    --------
    >>> import torch
    >>> from skactive.augment import RandomSolarize
    >>> x = torch.tensor([0.2, 0.7]).view(1, 1, 1, 2)
    >>> RandomSolarize(p=1.0)(x).flatten()
    tensor([0.2000, 0.3000])
    """

    _parameter_constraints = {
        "threshold": [Interval(Real, -math.inf, math.inf, closed="neither")],
        "p": _PROBABILITY,
    }

    def __init__(self, threshold: float = 0.5, p: float = 0.2):
        self._validate(threshold=threshold, p=p)
        self.threshold = float(threshold)
        self.p = float(p)

    def _params(self):
        return {"threshold": self.threshold, "p": self.p}

    def _apply(self, x, generator):
        apply = _rand((x.shape[0],), generator, x) < self.p
        solarized = torch.where(x >= self.threshold, 1.0 - x, x)
        return torch.where(_per_sample(apply), solarized, x)


# ---------------------------------------------------------------------------
# RandAugment ops (per-sample magnitudes of shape (N,)) and Cutout
# ---------------------------------------------------------------------------
def _autocontrast(x):
    """Stretch every channel of every image to ``[0, 1]`` (constant ones kept)."""
    low = x.amin(dim=(-2, -1), keepdim=True)
    high = x.amax(dim=(-2, -1), keepdim=True)
    flat = high == low
    scale = torch.where(flat, torch.ones_like(high), 1.0 / (high - low))
    low = torch.where(flat, torch.zeros_like(low), low)
    return ((x - low) * scale).clamp(0.0, 1.0)


def _equalize(x):
    """Histogram equalisation per image and channel (PIL's look-up table).

    As torchvision, the image is quantised to 256 levels
    (``floor(x * (256 - 1e-3))``) and the result is ``level / 255``.
    """
    n, c, h, w = x.shape
    levels = (x.clamp(0.0, 1.0) * (256.0 - 1e-3)).long().view(n * c, h * w)
    hist = torch.zeros(n * c, 256, dtype=torch.long, device=x.device)
    hist.scatter_add_(1, levels, torch.ones_like(levels))
    cum = hist.cumsum(1)
    last = cum.argmax(1, keepdim=True)  # the last non-empty bin
    step = (h * w - hist.gather(1, last)) // 255  # (n * c, 1)
    lut = ((cum[:, :-1] + step // 2) // step.clamp(min=1)).clamp(0, 255)
    lut = torch.cat([torch.zeros_like(lut[:, :1]), lut], dim=1)
    out = torch.where(step > 0, lut.gather(1, levels), levels)
    return out.view(n, c, h, w).to(x.dtype) / 255.0


def _posterize(x, bits):
    """Keep ``bits`` (per sample, 0-8) bits of every channel."""
    levels = (2.0 ** bits.to(x.dtype)).view(-1, 1, 1, 1)
    return torch.minimum((x * levels).floor(), levels - 1).clamp(min=0) / levels


def _solarize(x, threshold):
    """Invert the pixels ``>= threshold`` (per sample)."""
    return torch.where(x >= threshold.view(-1, 1, 1, 1), 1.0 - x, x)


def _adjust_sharpness(x, factor):
    """Blend with a 3x3 smoothed copy (torchvision's kernel), borders kept."""
    n, c, h, w = x.shape
    if h <= 2 or w <= 2:
        return x.clone()
    a, b = 1.0 / 13.0, 5.0 / 13.0
    kernel = torch.full((3, 3), a, dtype=x.dtype, device=x.device)
    kernel[1, 1] = b
    blurred = F.conv2d(x.reshape(n * c, 1, h, w), kernel.view(1, 1, 3, 3))
    blurred = blurred.view(n, c, h - 2, w - 2)
    out = x.clone()
    f = factor.view(-1, 1, 1, 1).to(x.dtype)
    inner = out[..., 1:-1, 1:-1]
    out[..., 1:-1, 1:-1] = f * inner + (1.0 - f) * blurred
    return out.clamp(0.0, 1.0)


def _affine(x, angle, translate, shear, fill=0.5, mode="bilinear"):
    """Rotate / translate / shear each image about its centre (torchvision's matrix).

    ``angle`` (degrees, counter-clockwise), ``translate`` (pixels, shape
    ``(N, 2)`` as ``(tx, ty)``) and ``shear`` (degrees, shape ``(N, 2)``)
    are per sample; pixels from outside the image get ``fill``.
    """
    n, c, h, w = x.shape
    dt = torch.float64
    dev = x.device
    rot = torch.deg2rad(angle.to(device=dev, dtype=dt))
    sx = torch.deg2rad(shear[:, 0].to(device=dev, dtype=dt))
    sy = torch.deg2rad(shear[:, 1].to(device=dev, dtype=dt))
    tx = translate[:, 0].to(device=dev, dtype=dt)
    ty = translate[:, 1].to(device=dev, dtype=dt)
    a = torch.cos(rot - sy) / torch.cos(sy)
    b = -(a * torch.tan(sx) + torch.sin(rot))
    cc = torch.sin(rot - sy) / torch.cos(sy)
    d = torch.cos(rot) - cc * torch.tan(sx)
    # inverse of the rotate-shear matrix (determinant 1), then of the shift
    m = torch.stack([d, -b, -d * tx + b * ty, -cc, a, cc * tx - a * ty], dim=1).view(
        n, 2, 3
    )
    xs = torch.linspace((1.0 - w) * 0.5, (w - 1.0) * 0.5, w, device=dev, dtype=dt)
    ys = torch.linspace((1.0 - h) * 0.5, (h - 1.0) * 0.5, h, device=dev, dtype=dt)
    base = torch.stack(
        [
            xs.expand(h, w),
            ys[:, None].expand(h, w),
            torch.ones(h, w, device=dev, dtype=dt),
        ],
        dim=-1,
    ).view(1, h * w, 3)
    norm = torch.tensor([0.5 * w, 0.5 * h], device=dev, dtype=dt)
    grid = (base @ (m.transpose(1, 2) / norm)).view(n, h, w, 2).to(x.dtype)
    ones = torch.ones(n, 1, h, w, dtype=x.dtype, device=dev)
    out = F.grid_sample(
        torch.cat([x, ones], dim=1),
        grid,
        mode=mode,
        padding_mode="zeros",
        align_corners=False,
    )
    img, mask = out[:, :c], out[:, c:]
    if mode == "nearest":
        return torch.where(mask < 0.5, torch.full_like(img, fill), img)
    return (img - fill) * mask + fill


def _zeros2(v):
    return torch.zeros(v.shape[0], 2, dtype=v.dtype, device=v.device)


def _shear_x(x, v, fill):
    s = _zeros2(v)
    s[:, 0] = torch.rad2deg(torch.atan(v))
    return _affine(x, torch.zeros_like(v), _zeros2(v), s, fill)


def _shear_y(x, v, fill):
    s = _zeros2(v)
    s[:, 1] = torch.rad2deg(torch.atan(v))
    return _affine(x, torch.zeros_like(v), _zeros2(v), s, fill)


def _translate_x(x, v, fill):
    t = _zeros2(v)
    t[:, 0] = v * x.shape[-1]
    return _affine(x, torch.zeros_like(v), t, _zeros2(v), fill)


def _translate_y(x, v, fill):
    t = _zeros2(v)
    t[:, 1] = v * x.shape[-2]
    return _affine(x, torch.zeros_like(v), t, _zeros2(v), fill)


def _rotate(x, v, fill):
    return _affine(x, v, _zeros2(v), _zeros2(v), fill)


#: RandAugment's operations: name -> (function of (x, value, fill), low,
#: high, signed). ``value = low + u (high - low)`` with ``u ~ U(0, 1)`` per
#: sample, negated with probability 1/2 when signed -- the ranges of FixMatch's
#: RandAugment (Sohn et al. 2020, Table 12).
RANDAUGMENT_OPS = {
    "identity": (lambda x, v, fill: x, 0.0, 0.0, False),
    "autocontrast": (lambda x, v, fill: _autocontrast(x), 0.0, 0.0, False),
    "equalize": (lambda x, v, fill: _equalize(x), 0.0, 0.0, False),
    "brightness": (lambda x, v, fill: _adjust_brightness(x, v), 0.05, 0.95, False),
    "color": (lambda x, v, fill: _adjust_saturation(x, v), 0.05, 0.95, False),
    "contrast": (lambda x, v, fill: _adjust_contrast(x, v), 0.05, 0.95, False),
    "sharpness": (lambda x, v, fill: _adjust_sharpness(x, v), 0.05, 0.95, False),
    "posterize": (lambda x, v, fill: _posterize(x, v.floor()), 4.0, 8.999, False),
    "solarize": (lambda x, v, fill: _solarize(x, v), 0.0, 1.0, False),
    "rotate": (_rotate, 0.0, 30.0, True),
    "shear_x": (_shear_x, 0.0, 0.3, True),
    "shear_y": (_shear_y, 0.0, 0.3, True),
    "translate_x": (_translate_x, 0.0, 0.3, True),
    "translate_y": (_translate_y, 0.0, 0.3, True),
}


class RandAugment(BaseTransform):
    """RandAugment with random magnitudes, per sample (FixMatch's variant).

    Every image gets ``n_ops`` operations in turn, each chosen uniformly from
    ``ops`` and applied with a magnitude drawn uniformly from its range, both
    drawn independently per image (Cubuk et al. 2020, with the random
    magnitudes of FixMatch's "RA" strong augmentation, Sohn et al. 2020):

    =============  ==========================================================
    identity       the image
    autocontrast   each channel stretched to ``[0, 1]``
    equalize       histogram equalisation per channel (256 levels)
    brightness     blend with black, factor in ``[0.05, 0.95]``
    color          blend with the grayscale image, factor in ``[0.05, 0.95]``
                   (identity on 1-channel images)
    contrast       blend with the mean gray, factor in ``[0.05, 0.95]``
    sharpness      blend with a 3x3 smoothed copy, factor in ``[0.05, 0.95]``
    posterize      keep 4 to 8 bits
    solarize       invert the pixels above a threshold in ``[0, 1]``
    rotate         by ``[-30, 30]`` degrees about the centre
    shear_x/y      by a shear coefficient in ``[-0.3, 0.3]``
    translate_x/y  by ``[-0.3, 0.3]`` of the image width / height
    =============  ==========================================================

    Each operation matches torchvision's ``transforms.v2.functional`` op
    applied to one image (``autocontrast``, ``equalize``,
    ``adjust_brightness``, ``adjust_saturation``, ``adjust_contrast``,
    ``adjust_sharpness``, ``posterize``, ``solarize``, ``affine`` with
    bilinear interpolation) -- but with a different magnitude for every image
    of the batch, computed for all images that drew the operation at once.
    Pixels that the geometric operations bring in from outside get ``fill``.
    Inputs are float images in ``[0, 1]``.

    Parameters
    ----------
    n_ops : int, default=2
        Operations applied to each image.
    ops : sequence of str or None, default=None
        Names from the table (``None``: all 14).
    fill : float, default=0.5
        Value of the pixels uncovered by rotate, shear and translate.

    Examples
    --------
    >>> import torch
    >>> from skactive.augment import RandAugment
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.rand(8, 3, 32, 32)
    >>> out = RandAugment(n_ops=2)(x, generator=g)
    >>> out.shape, bool(((out >= 0) & (out <= 1)).all())
    (torch.Size([8, 3, 32, 32]), True)
    """

    _parameter_constraints = {
        "n_ops": [Interval(Integral, 0, None, closed="left")],
        "ops": [
            Sequences(
                StrOptions(set(RANDAUGMENT_OPS)),
                description="a sequence of RandAugment operation names",
            ),
            None,
        ],
        "fill": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, n_ops: int = 2, ops: Sequence[str] | None = None, fill=0.5):
        self._validate(n_ops=n_ops, ops=ops, fill=fill)
        if ops is not None and len(ops) == 0:
            raise InvalidParameterError(
                "RandAugment: ops must name at least one operation, got []."
            )
        self.n_ops = int(n_ops)
        self.ops = None if ops is None else tuple(ops)
        self.fill = float(fill)

    def _params(self):
        return {"n_ops": self.n_ops, "ops": self.ops, "fill": self.fill}

    def draw(self, n, generator, device=None):
        """The random choices for a batch of ``n`` images.

        Parameters
        ----------
        n : int
            Batch size.
        generator : torch.Generator or None
            Source of the draws (made on its device).
        device : torch.device or None
            Where the returned tensors live.

        Returns
        -------
        list of (ndarray-like, torch.Tensor)
            For each of the ``n_ops`` slots, the operation index (into
            ``ops``) of every image and its signed magnitude.
        """
        names = self.ops or tuple(RANDAUGMENT_OPS)
        gdev = _gen_device(generator)
        out = []
        for _ in range(self.n_ops):
            k = torch.randint(0, len(names), (n,), generator=generator, device=gdev)
            u = torch.rand(n, generator=generator, device=gdev)
            sign = torch.rand(n, generator=generator, device=gdev) < 0.5
            low = torch.tensor([RANDAUGMENT_OPS[m][1] for m in names], device=gdev)
            high = torch.tensor([RANDAUGMENT_OPS[m][2] for m in names], device=gdev)
            signed = torch.tensor([RANDAUGMENT_OPS[m][3] for m in names], device=gdev)
            v = low[k] + u * (high[k] - low[k])
            v = torch.where(signed[k] & sign, -v, v)
            out.append((k.to(device), v.to(device)))
        return out

    def _apply(self, x, generator):
        names = self.ops or tuple(RANDAUGMENT_OPS)
        out = x.clone()
        for k, v in self.draw(x.shape[0], generator, x.device):
            v = v.to(x.dtype)
            for j, name in enumerate(names):
                rows = torch.nonzero(k == j).flatten()
                if rows.numel():
                    fn = RANDAUGMENT_OPS[name][0]
                    out[rows] = fn(out[rows], v[rows], self.fill)
        return out


class Cutout(BaseTransform):
    """Set a random square patch of each image to ``fill`` (DeVries & Taylor 2017).

    Per image, the side is ``floor(L * min(H, W))`` pixels with
    ``L ~ U(0, size)`` and the centre is uniform over the pixels; the square
    is clipped at the borders (FixMatch's strong augmentation applies it
    after RandAugment with ``size = 0.5`` and a gray fill).

    Parameters
    ----------
    size : float, default=0.5
        Largest side as a fraction of the smaller image side, in ``[0, 1]``.
    fill : float, default=0.5
        Value written into the patch.

    Examples
    --------
    >>> import torch
    >>> from skactive.augment import Cutout
    >>> g = torch.Generator().manual_seed(0)
    >>> out = Cutout(size=0.5)(torch.zeros(4, 1, 8, 8), generator=g)
    >>> out.shape, sorted(set(out.flatten().tolist())) <= [0.0, 0.5]
    (torch.Size([4, 1, 8, 8]), True)
    """

    _parameter_constraints = {
        "size": [Interval(Real, 0, 1, closed="both")],
        "fill": [Interval(Real, None, None, closed="neither")],
    }

    def __init__(self, size: float = 0.5, fill: float = 0.5):
        self._validate(size=size, fill=fill)
        self.size = float(size)
        self.fill = float(fill)

    def _params(self):
        return {"size": self.size, "fill": self.fill}

    def boxes(self, x, generator):
        """Per-image ``(top, left, side)`` of the patches, before clipping.

        Parameters
        ----------
        x : torch.Tensor of shape (N, C, H, W)
        generator : torch.Generator or None

        Returns
        -------
        torch.Tensor of int64 of shape (N, 3)
        """
        n, _, h, w = x.shape
        gdev = _gen_device(generator)
        u = torch.rand(n, generator=generator, device=gdev)
        side = (u * self.size * min(h, w)).floor().long()
        cy = torch.randint(0, h, (n,), generator=generator, device=gdev)
        cx = torch.randint(0, w, (n,), generator=generator, device=gdev)
        return torch.stack([cy - side // 2, cx - side // 2, side], 1).to(x.device)

    def _apply(self, x, generator):
        b = self.boxes(x, generator)
        top, left, side = b[:, 0, None], b[:, 1, None], b[:, 2, None]
        r = torch.arange(x.shape[-2], device=x.device)[None]
        c = torch.arange(x.shape[-1], device=x.device)[None]
        in_r = (r >= top) & (r < top + side)  # (N, H)
        in_c = (c >= left) & (c < left + side)  # (N, W)
        mask = (in_r[:, :, None] & in_c[:, None, :])[:, None]
        return torch.where(mask, torch.full_like(x, self.fill), x)


# ---------------------------------------------------------------------------
# composition and named sets
# ---------------------------------------------------------------------------
class Compose(BaseTransform):
    """Chain transforms, passing the same generator to each of them.

    Parameters
    ----------
    transforms : sequence of callables
        Each is called as ``t(x, generator=generator)``. An empty sequence is
        the identity.

    Examples
    --------
    >>> import torch
    >>> from skactive.augment import Compose, RandomCropReflect, RandomHorizontalFlip
    >>> t = Compose([RandomCropReflect(4), RandomHorizontalFlip()])
    >>> g = torch.Generator().manual_seed(0)
    >>> t(torch.rand(2, 3, 32, 32), generator=g).shape
    torch.Size([2, 3, 32, 32])
    """

    _parameter_constraints = {
        "transforms": [Sequences(callable, description="a sequence of callables")]
    }

    def __init__(self, transforms: Sequence[Callable]):
        if not isinstance(transforms, Sequence | str | bytes):
            try:  # any other iterable (a generator) is read once, here
                transforms = list(transforms)
            except TypeError:
                pass  # not iterable: refused below
        self._validate(transforms=transforms)
        self.transforms = list(transforms)

    def __call__(self, x, generator=None):
        _as_batch(x, type(self).__name__)  # validation only
        for t in self.transforms:
            x = t(x, generator=generator)
        return x

    def __len__(self):
        return len(self.transforms)

    def __getitem__(self, index):
        return self.transforms[index]

    def __iter__(self):
        return iter(self.transforms)

    def __repr__(self):
        if not self.transforms:
            return "Compose([])"
        body = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{body}\n])"


def _standard_padding(size: int) -> int:
    """Crop padding for the "standard" set from the smaller image side."""
    if size >= 32:
        pad = 4
    elif size <= 28:
        pad = 2
    else:  # linear between 2 px at 28 and 4 px at 32
        pad = int(math.floor(2 + (size - 28) / 2 + 0.5))
    # never more than FixMatch's 4 px of 32 (an eighth of the side): on small
    # images a 2 px shift is a quarter of an 8x8 glyph
    return max(0, min(pad, size // 8, size - 1))


def _blur_kernel_size(size: int) -> int:
    """Odd kernel size of about 10 % of the image side, at least 3."""
    k = max(3, int(0.1 * size) // 2 * 2 + 1)
    while k // 2 >= size and k > 1:
        k -= 2
    return k


@validate_params(
    {
        "name": [StrOptions(set(AUGMENTATIONS))],
        "image_shape": [
            Sequences(
                _POSITIVE_INT,
                length=3,
                description="a (C, H, W) sequence of 3 ints >= 1",
            )
        ],
        "flip": ["boolean", None],
    }
)
def make_augmentation(name: str, image_shape, *, flip: bool | None = None) -> Compose:
    """Build a named batched augmentation pipeline.

    Parameters
    ----------
    name : {"standard", "strong", "ssl", "none"}
        * ``"standard"``: :class:`RandomCropReflect` followed by
          :class:`RandomHorizontalFlip` (``p=0.5``). The padding depends on the
          smaller image side ``s``: 4 px for ``s >= 32``, 2 px for ``s`` in
          16-28, 3 px for ``s`` in 29-31 (never more than
          ``s // 8``, the paper's 4 px of 32, an eighth of the side), 1 px for
          ``s`` in 8-15 and none below 8 (scikit-learn's 8x8 digits: a
          2 px shift is a quarter of the glyph, and FixMatch's recipe on the
          labels alone fell from 0.84 to 0.67 with it). FixMatch's weak
          augmentation.
        * ``"strong"``: ``"standard"``, then :class:`RandAugment`
          (``n_ops=2``, random magnitudes) and :class:`Cutout`
          (``size=0.5``): FixMatch's strong augmentation.
        * ``"ssl"``: the BYOL / Barlow Twins view augmentation (as used by
          DALBT): :class:`RandomResizedCrop` to the image size with
          ``scale=(0.08, 1)``, horizontal flip, :class:`ColorJitter`
          ``(0.4, 0.4, 0.2, 0.1, p=0.8)``, :class:`RandomGrayscale`
          ``(p=0.2)``, :class:`GaussianBlur` (kernel about 10 % of the image
          side, odd, at least 3; ``sigma=(0.1, 2)``, ``p=0.5`` -- a symmetric
          compromise between the two asymmetric BYOL views) and
          :class:`RandomSolarize` ``(p=0.2)``.
        * ``"none"``: the identity (an empty :class:`Compose`).
    image_shape : tuple of int
        ``(C, H, W)`` of one image.
    flip : bool or None, default=None
        Whether to include the horizontal flip. ``None`` flips unless the
        images have a single channel (``C == 1``): 1-channel images are
        treated as digit-like (MNIST-style), where mirroring changes the
        meaning of a glyph.

    Returns
    -------
    Compose
        The pipeline, called as ``aug(x, generator=g)``.

    Raises
    ------
    InvalidParameterError
        If ``name`` is unknown, ``image_shape`` is not ``(C, H, W)`` or
        ``flip`` is neither a bool nor ``None``.

    Examples
    --------
    >>> import torch
    >>> from skactive.augment import make_augmentation
    >>> aug = make_augmentation("standard", (3, 32, 32))
    >>> aug
    Compose([
        RandomCropReflect(padding=4),
        RandomHorizontalFlip(p=0.5),
    ])
    >>> g = torch.Generator().manual_seed(0)
    >>> aug(torch.rand(16, 3, 32, 32), generator=g).shape
    torch.Size([16, 3, 32, 32])
    """
    c, h, w = (int(s) for s in image_shape)
    if flip is None:
        flip = c != 1
    if name == "none":
        return Compose([])
    if name in ("standard", "strong"):
        transforms = [RandomCropReflect(_standard_padding(min(h, w)))]
        if flip:
            transforms.append(RandomHorizontalFlip(0.5))
        if name == "strong":
            transforms += [RandAugment(n_ops=2), Cutout(size=0.5)]
        return Compose(transforms)
    # "ssl"
    transforms = [RandomResizedCrop((h, w), scale=(0.08, 1.0))]
    if flip:
        transforms.append(RandomHorizontalFlip(0.5))
    transforms += [
        ColorJitter(0.4, 0.4, 0.2, 0.1, p=0.8),
        RandomGrayscale(p=0.2),
        GaussianBlur(_blur_kernel_size(min(h, w)), sigma=(0.1, 2.0), p=0.5),
        RandomSolarize(threshold=0.5, p=0.2),
    ]
    return Compose(transforms)
