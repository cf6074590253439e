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
    "GaussianBlur",
    "RandomCropReflect",
    "RandomGrayscale",
    "RandomHorizontalFlip",
    "RandomResizedCrop",
    "RandomSolarize",
    "make_augmentation",
]

AUGMENTATIONS = ("standard", "ssl", "none")

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
    return max(0, min(pad, size - 1))


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
    name : {"standard", "ssl", "none"}
        * ``"standard"``: :class:`RandomCropReflect` followed by
          :class:`RandomHorizontalFlip` (``p=0.5``). The padding depends on the
          smaller image side ``s``: 4 px for ``s >= 32``, 2 px for ``s <= 28``,
          3 px for ``s`` in 29-30 and 4 px for 31 (always ``< s``).
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
    if name == "standard":
        transforms = [RandomCropReflect(_standard_padding(min(h, w)))]
        if flip:
            transforms.append(RandomHorizontalFlip(0.5))
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
