"""Tests for the batched, per-sample, seeded augmentations."""

import inspect
import math

import pytest
import torch
import torch.nn.functional as F
import torchvision.transforms.v2.functional as TF

from skactive._validation import (
    InvalidParameterError,
    invalid_values,
    parameter_constraints,
)
from skactive.augment import (
    RANDAUGMENT_OPS,
    ColorJitter,
    Compose,
    Cutout,
    GaussianBlur,
    RandAugment,
    RandomCropReflect,
    RandomGrayscale,
    RandomHorizontalFlip,
    RandomResizedCrop,
    RandomSolarize,
    _adjust_brightness,
    _adjust_contrast,
    _adjust_hue,
    _adjust_saturation,
    _adjust_sharpness,
    _affine,
    _autocontrast,
    _equalize,
    _posterize,
    _solarize,
    make_augmentation,
)


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _images(n=16, c=3, h=32, w=32, seed=0):
    return torch.rand(n, c, h, w, generator=_gen(seed))


def _all_random_transforms(size=32):
    return [
        RandomCropReflect(4),
        RandomHorizontalFlip(),
        RandomResizedCrop(size),
        ColorJitter(),
        RandomGrayscale(p=0.5),
        GaussianBlur(3, p=0.5),
        RandomSolarize(p=0.5),
        RandAugment(n_ops=2),
        Cutout(0.5),
    ]


# ---------------------------------------------------------------------------
# generic properties
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("transform", _all_random_transforms(), ids=repr)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_shape_dtype_device_preserved(transform, dtype):
    x = _images().to(dtype)
    out = transform(x, generator=_gen())
    assert out.shape == x.shape
    assert out.dtype == dtype
    assert out.device == x.device


@pytest.mark.parametrize("transform", _all_random_transforms(), ids=repr)
def test_same_seed_same_output(transform):
    x = _images()
    a = transform(x, generator=_gen(3))
    b = transform(x, generator=_gen(3))
    c = transform(x, generator=_gen(4))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


@pytest.mark.parametrize("transform", _all_random_transforms(), ids=repr)
def test_input_not_modified_and_single_image(transform):
    x = _images(n=4)
    x_copy = x.clone()
    transform(x, generator=_gen())
    assert torch.equal(x, x_copy)
    single = transform(x[0], generator=_gen())
    assert single.shape == x[0].shape


@pytest.mark.parametrize("transform", _all_random_transforms(), ids=repr)
def test_per_sample_randomness(transform):
    # identical images in one batch must receive different augmentations
    x = _images(n=1).expand(16, -1, -1, -1).contiguous()
    out = transform(x, generator=_gen(1))
    n_distinct = len({tuple(o.flatten()[:4000].tolist()) for o in out})
    assert n_distinct > 1


def test_rejects_bad_input():
    t = RandomHorizontalFlip()
    with pytest.raises(ValueError, match="shape"):
        t(torch.rand(3, 4))
    with pytest.raises(TypeError, match="floating"):
        t(torch.zeros(2, 1, 4, 4, dtype=torch.uint8))


def test_empty_batch():
    x = torch.rand(0, 3, 8, 8)
    assert make_augmentation("ssl", (3, 8, 8))(x, generator=_gen()).shape == x.shape


# ---------------------------------------------------------------------------
# random crop
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("padding", [1, 2, 4])
def test_crop_is_shifted_window_of_padded_input(padding):
    x = _images(n=32, c=2, h=12, w=10)
    out = RandomCropReflect(padding)(x, generator=_gen(5))
    padded = F.pad(x, (padding,) * 4, mode="reflect")
    h, w = x.shape[-2:]
    offsets = set()
    for i in range(x.shape[0]):
        matches = [
            (dy, dx)
            for dy in range(2 * padding + 1)
            for dx in range(2 * padding + 1)
            if torch.equal(out[i], padded[i, :, dy : dy + h, dx : dx + w])
        ]
        assert matches, f"sample {i} is not a window of the padded input"
        offsets.add(matches[0])
    assert len(offsets) > 1  # per-sample offsets


def test_crop_reference_loop_with_same_offsets():
    # reproduce the offsets from the generator and compare with a loop
    p = 3
    x = _images(n=8, c=3, h=9, w=11)
    out = RandomCropReflect(p)(x, generator=_gen(2))
    offsets = torch.randint(0, 2 * p + 1, (2, 8), generator=_gen(2))
    padded = F.pad(x, (p,) * 4, mode="reflect")
    for i in range(8):
        dy, dx = offsets[:, i].tolist()
        torch.testing.assert_close(out[i], padded[i, :, dy : dy + 9, dx : dx + 11])


def test_crop_padding_zero_identity_and_too_large():
    x = _images(n=2, h=4, w=4)
    assert torch.equal(RandomCropReflect(0)(x, generator=_gen()), x)
    with pytest.raises(ValueError, match="padding"):
        RandomCropReflect(4)(x, generator=_gen())


# ---------------------------------------------------------------------------
# flip
# ---------------------------------------------------------------------------
def test_flip_matches_torch_flip_on_flipped_rows():
    x = _images(n=64)
    out = RandomHorizontalFlip(0.5)(x, generator=_gen(7))
    flipped = torch.tensor(
        [torch.equal(o, xi.flip(-1)) for o, xi in zip(out, x, strict=True)]
    )
    kept = torch.tensor([torch.equal(o, xi) for o, xi in zip(out, x, strict=True)])
    assert bool((flipped | kept).all())
    assert 0 < int(flipped.sum()) < 64
    mask = torch.rand(64, generator=_gen(7)) < 0.5
    assert torch.equal(flipped, mask)


def test_flip_probability_extremes():
    x = _images(n=8)
    assert torch.equal(RandomHorizontalFlip(0.0)(x, generator=_gen()), x)
    assert torch.equal(RandomHorizontalFlip(1.0)(x, generator=_gen()), x.flip(-1))


# ---------------------------------------------------------------------------
# resized crop
# ---------------------------------------------------------------------------
def test_resized_crop_full_scale_is_identity():
    x = _images(n=8, h=16, w=16)
    t = RandomResizedCrop(16, scale=(1.0, 1.0), ratio=(1.0, 1.0))
    torch.testing.assert_close(t(x, generator=_gen()), x, atol=1e-5, rtol=0)


def test_resized_crop_output_size_and_values_in_range():
    x = _images(n=8, h=20, w=24)
    out = RandomResizedCrop((10, 12))(x, generator=_gen())
    assert out.shape == (8, 3, 10, 12)
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0


def test_resized_crop_boxes_inside_image_and_scale():
    x = _images(n=256, h=32, w=32)
    t = RandomResizedCrop(32, scale=(0.2, 0.5))
    x0, y0, bw, bh = t._boxes(x, _gen(0))
    assert bool((x0 >= 0).all() and (y0 >= 0).all())
    assert bool((x0 + bw <= 32 + 1e-4).all() and (y0 + bh <= 32 + 1e-4).all())
    area = bw * bh / (32 * 32)
    assert bool((area >= 0.2 - 1e-4).all() and (area <= 0.5 + 1e-4).all())
    assert float(bw.std()) > 0


def test_resized_crop_nearest_full_scale_exact():
    x = torch.arange(64.0).view(1, 1, 8, 8)
    t = RandomResizedCrop(
        8, scale=(1.0, 1.0), ratio=(1.0, 1.0), interpolation="nearest"
    )
    assert torch.equal(t(x, generator=_gen()), x)


def test_resized_crop_matches_bilinear_loop_reference():
    # box of size 8x8 resampled to 8x8: output pixel (r, c) is the bilinear
    # interpolation of the input at index coordinates (y0 + r, x0 + c).
    x = _images(n=4, c=2, h=16, w=16).double()
    t = RandomResizedCrop(8, scale=(0.25, 0.25), ratio=(1.0, 1.0))
    out = t(x, generator=_gen(3))
    x0, y0, bw, bh = t._boxes(x, _gen(3))
    torch.testing.assert_close(bw, torch.full_like(bw, 8.0))
    for i in range(4):
        for r in range(8):
            for c in range(8):
                yy, xx = float(y0[i]) + r, float(x0[i]) + c
                y_lo, x_lo = int(yy), int(xx)
                y_hi, x_hi = min(y_lo + 1, 15), min(x_lo + 1, 15)
                fy, fx = yy - y_lo, xx - x_lo
                ref = (
                    (1 - fy) * (1 - fx) * x[i, :, y_lo, x_lo]
                    + (1 - fy) * fx * x[i, :, y_lo, x_hi]
                    + fy * (1 - fx) * x[i, :, y_hi, x_lo]
                    + fy * fx * x[i, :, y_hi, x_hi]
                )
                torch.testing.assert_close(out[i, :, r, c], ref)


# ---------------------------------------------------------------------------
# photometric transforms vs torchvision functional (per-sample loop)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "ours, theirs",
    [
        (_adjust_brightness, TF.adjust_brightness),
        (_adjust_contrast, TF.adjust_contrast),
        (_adjust_saturation, TF.adjust_saturation),
    ],
)
@pytest.mark.parametrize("channels", [1, 3])
def test_color_ops_match_torchvision(ours, theirs, channels):
    x = _images(n=6, c=channels, h=8, w=8)
    factors = torch.tensor([0.0, 0.5, 0.8, 1.0, 1.3, 1.6])
    out = ours(x, factors)
    for i in range(6):
        ref = theirs(x[i], float(factors[i]))
        torch.testing.assert_close(out[i], ref, atol=1e-5, rtol=1e-5)


def test_hue_matches_torchvision():
    x = _images(n=6, c=3, h=8, w=8)
    factors = torch.tensor([-0.5, -0.2, 0.0, 0.05, 0.3, 0.5])
    out = _adjust_hue(x, factors)
    for i in range(6):
        ref = TF.adjust_hue(x[i], float(factors[i]))
        torch.testing.assert_close(out[i], ref, atol=1e-4, rtol=1e-4)
    # hue on grayscale input is documented as the identity
    g = _images(n=2, c=1)
    assert torch.equal(_adjust_hue(g, torch.tensor([0.1, -0.1])), g)


def test_color_jitter_p_zero_and_identity_params():
    x = _images(n=8)
    assert torch.equal(ColorJitter(p=0.0)(x, generator=_gen()), x)
    t = ColorJitter(brightness=0, contrast=0, saturation=0, hue=0, p=1.0)
    torch.testing.assert_close(t(x, generator=_gen()), x)


def test_color_jitter_vs_per_sample_torchvision_loop():
    n = 12
    x = _images(n=n, h=8, w=8)
    t = ColorJitter(0.4, 0.4, 0.2, 0.1, p=0.7)
    out = t(x, generator=_gen(11))
    # replay the draws: factors, per-sample order, apply mask
    g = _gen(11)
    u = torch.rand(4, n, generator=g)
    order = torch.argsort(torch.rand(n, 4, generator=g), dim=1)
    apply = torch.rand(n, generator=g) < 0.7
    factors = [
        0.6 + 0.8 * u[0],
        0.6 + 0.8 * u[1],
        0.8 + 0.4 * u[2],
        -0.1 + 0.2 * u[3],
    ]
    ops = [TF.adjust_brightness, TF.adjust_contrast, TF.adjust_saturation]
    ops.append(TF.adjust_hue)
    assert 0 < int(apply.sum()) < n
    for i in range(n):
        ref = x[i]
        if apply[i]:
            for k in order[i].tolist():
                ref = ops[k](ref, float(factors[k][i]))
        torch.testing.assert_close(out[i], ref, atol=1e-4, rtol=1e-4)


def test_color_jitter_brightness_only_per_sample():
    x = _images(n=8)
    out = ColorJitter(brightness=0.5, contrast=0, saturation=0, hue=0, p=1.0)(
        x, generator=_gen(0)
    )
    # unclamped pixels are scaled by a per-sample factor
    ratios = []
    for o, xi in zip(out, x, strict=True):
        ok = (o < 1) & (xi > 0.05)
        ratios.append(float((o[ok] / xi[ok]).mean()))
        torch.testing.assert_close(o[ok] / xi[ok], torch.full_like(o[ok], ratios[-1]))
    assert max(ratios) - min(ratios) > 0.05


def test_grayscale_and_solarize():
    x = _images(n=32)
    out = RandomGrayscale(p=0.5)(x, generator=_gen(1))
    gray = TF.rgb_to_grayscale(x, num_output_channels=3)
    mask = torch.rand(32, generator=_gen(1)) < 0.5
    torch.testing.assert_close(out[mask], gray[mask])
    assert torch.equal(out[~mask], x[~mask])

    out = RandomSolarize(threshold=0.5, p=0.5)(x, generator=_gen(2))
    mask = torch.rand(32, generator=_gen(2)) < 0.5
    torch.testing.assert_close(out[mask], TF.solarize(x[mask], 0.5))
    assert torch.equal(out[~mask], x[~mask])


def test_gaussian_blur_matches_torchvision_per_sample():
    x = _images(n=6, c=3, h=12, w=12)
    t = GaussianBlur(5, sigma=(0.3, 2.0), p=1.0)
    out = t(x, generator=_gen(4))
    u = torch.rand(6, generator=_gen(4))
    sigmas = 0.3 + 1.7 * u
    for i in range(6):
        s = float(sigmas[i])
        ref = TF.gaussian_blur(x[i], [5, 5], [s, s])
        torch.testing.assert_close(out[i], ref, atol=1e-5, rtol=1e-5)


# ---------------------------------------------------------------------------
# compose / named sets
# ---------------------------------------------------------------------------
def test_compose_uses_generator_sequentially():
    x = _images(n=8)
    ts = [RandomCropReflect(4), RandomHorizontalFlip()]
    g = _gen(9)
    expected = ts[1](ts[0](x, generator=g), generator=g)
    assert torch.equal(Compose(ts)(x, generator=_gen(9)), expected)
    assert "RandomCropReflect(padding=4)" in repr(Compose(ts))
    assert len(Compose(ts)) == 2
    with pytest.raises(ValueError, match="callables"):
        Compose([1])


@pytest.mark.parametrize(
    "shape, padding, flip",
    [((3, 32, 32), 4, True), ((1, 28, 28), 2, False), ((3, 64, 64), 4, True)],
)
def test_make_augmentation_standard(shape, padding, flip):
    aug = make_augmentation("standard", shape)
    assert aug[0].padding == padding
    assert any(isinstance(t, RandomHorizontalFlip) for t in aug) == flip
    forced = make_augmentation("standard", shape, flip=not flip)
    assert any(isinstance(t, RandomHorizontalFlip) for t in forced) == (not flip)
    x = torch.rand(4, *shape)
    assert aug(x, generator=_gen()).shape == x.shape


@pytest.mark.parametrize(
    "size, padding",
    [(4, 0), (7, 0), (8, 1), (12, 1), (15, 1), (16, 2), (20, 2), (28, 2)]
    + [(29, 3), (30, 3), (31, 3), (32, 4), (64, 4)],
)
def test_make_augmentation_standard_padding_at_most_an_eighth(size, padding):
    # hand-worked: the 2/3/4 px table, capped at size // 8 (FixMatch's 4 of 32)
    aug = make_augmentation("standard", (1, size, size), flip=False)
    assert aug[0].padding == padding
    assert aug[0].padding <= size / 8
    x = torch.rand(3, 1, size, size)
    out = aug(x, generator=_gen())
    if padding == 0:
        assert torch.equal(out, x)


def test_make_augmentation_ssl_and_none():
    x = _images(n=8)
    ssl = make_augmentation("ssl", (3, 32, 32))
    names = [type(t).__name__ for t in ssl]
    assert names == [
        "RandomResizedCrop",
        "RandomHorizontalFlip",
        "ColorJitter",
        "RandomGrayscale",
        "GaussianBlur",
        "RandomSolarize",
    ]
    out = ssl(x, generator=_gen())
    assert out.shape == x.shape
    assert torch.equal(out, ssl(x, generator=_gen()))
    none = make_augmentation("none", (3, 32, 32))
    assert torch.equal(none(x, generator=_gen()), x)
    mnist = make_augmentation("ssl", (1, 28, 28))
    assert mnist(torch.rand(4, 1, 28, 28), generator=_gen()).shape == (4, 1, 28, 28)


def test_make_augmentation_errors():
    with pytest.raises(
        ValueError, match="name must be one of 'none', 'ssl', 'standard'"
    ):
        make_augmentation("bogus", (3, 32, 32))
    with pytest.raises(ValueError, match="image_shape"):
        make_augmentation("standard", (32, 32))


@pytest.mark.parametrize(
    "factory, param",
    [
        (lambda: RandomCropReflect(-1), "padding"),
        (lambda: RandomCropReflect(1.5), "padding"),
        (lambda: RandomHorizontalFlip(1.5), "p"),
        (lambda: RandomResizedCrop(0), "size"),
        (lambda: RandomResizedCrop(8, scale=(0.5, 0.1)), "scale"),
        (lambda: RandomResizedCrop(8, ratio=(0, 1)), "ratio"),
        (lambda: RandomResizedCrop(8, interpolation="area"), "interpolation"),
        (lambda: ColorJitter(brightness=-0.1), "brightness"),
        (lambda: ColorJitter(contrast=(2, 1)), "contrast"),
        (lambda: ColorJitter(hue=0.6), "hue"),
        (lambda: ColorJitter(p=-0.1), "p"),
        (lambda: RandomGrayscale(p=2), "p"),
        (lambda: GaussianBlur(4), "kernel_size"),
        (lambda: GaussianBlur(3, sigma=0), "sigma"),
        (lambda: RandomSolarize(threshold=float("nan")), "threshold"),
    ],
)
def test_invalid_params(factory, param):
    with pytest.raises(ValueError, match=param):
        factory()


def test_reprs():
    assert repr(RandomHorizontalFlip(0.3)) == "RandomHorizontalFlip(p=0.3)"
    assert (
        repr(GaussianBlur(3)) == "GaussianBlur(kernel_size=3, sigma=(0.1, 2.0), p=0.5)"
    )
    assert repr(Compose([])) == "Compose([])"


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_dtype_preserved(dtype):
    x = _images(n=4).to(dtype)
    out = make_augmentation("ssl", (3, 32, 32))(x, generator=_gen())
    assert out.dtype == dtype and out.shape == x.shape


# ---------------------------------------------------------------------------
# declared constraints: every parameter refuses what breaks them
# ---------------------------------------------------------------------------
#: Each public transform with valid values of its required arguments.
TRANSFORMS = {
    RandomCropReflect: {"padding": 1},
    RandomHorizontalFlip: {},
    RandomResizedCrop: {"size": 8},
    ColorJitter: {},
    RandomGrayscale: {},
    GaussianBlur: {"kernel_size": 3},
    RandomSolarize: {},
    Compose: {"transforms": []},
    RandAugment: {},
    Cutout: {},
}
_RANGE_BREAKERS = [(2.0, 1.0), (0.5,), (0.5, 1.0, 2.0), "ab", (0.5, math.nan)]
#: Values just outside the constraint kinds ``invalid_values`` does not know.
EXTRA_BAD = {
    "size": [(8,), (8, 0), (8, 2.5)],
    "scale": [(0.0, 1.0), (0.5, math.inf), *_RANGE_BREAKERS],
    "ratio": [(-1.0, 1.0), *_RANGE_BREAKERS],
    "sigma": [(0.0, 1.0), *_RANGE_BREAKERS],
    "brightness": [(-0.1, 1.0), *_RANGE_BREAKERS],
    "contrast": [(-0.1, 1.0), *_RANGE_BREAKERS],
    "saturation": [(-0.1, 1.0), *_RANGE_BREAKERS],
    "hue": [(-0.6, 0.1), (0.0, 0.6), *_RANGE_BREAKERS],
    "kernel_size": [4],
    "ops": [["bogus"], "rotate", [3]],
    "transforms": [[1], "ab", 3],
    "image_shape": [(8, 8), (1, 0, 8), (1, 8, 8.0), "abc"],
}


def _bad_values(constraints, name):
    return invalid_values(constraints[name]) + EXTRA_BAD.get(name, [])


@pytest.mark.parametrize("cls", list(TRANSFORMS), ids=lambda c: c.__name__)
def test_every_transform_parameter_refuses_invalid_values(cls):
    constraints = parameter_constraints(cls)
    params = set(inspect.signature(cls).parameters)
    assert set(constraints) == params
    for name in params:
        for bad in _bad_values(constraints, name):
            kwargs = {**TRANSFORMS[cls], name: bad}
            with pytest.raises(InvalidParameterError, match=f"{name} must be"):
                cls(**kwargs)


def test_make_augmentation_parameters_refuse_invalid_values():
    constraints = make_augmentation.__skactive_constraints__
    valid = {"name": "standard", "image_shape": (3, 8, 8), "flip": None}
    assert set(constraints) == set(valid)
    for name in valid:
        for bad in _bad_values(constraints, name):
            with pytest.raises(InvalidParameterError, match=f"{name} must be"):
                make_augmentation(**{**valid, name: bad})


def test_call_time_errors_are_invalid_parameter_errors():
    with pytest.raises(InvalidParameterError, match="x must be a torch.Tensor"):
        RandomHorizontalFlip()([[0.5]])
    with pytest.raises(InvalidParameterError, match="padding=4"):
        RandomCropReflect(4)(torch.rand(1, 1, 4, 4))
    with pytest.raises(InvalidParameterError, match="kernel_size=9"):
        GaussianBlur(9, p=1.0)(torch.rand(1, 1, 4, 4))


def test_valid_edge_values_are_kept():
    assert GaussianBlur(3, sigma=0.5).sigma == (0.5, 0.5)
    assert RandomResizedCrop((4, 6)).size == (4, 6)
    assert ColorJitter(brightness=(0.0, 2.0), hue=(-0.5, 0.5)).hue == (-0.5, 0.5)
    assert ColorJitter(brightness=2).brightness == (0.0, 3.0)
    assert len(Compose(t for t in [RandomHorizontalFlip()])) == 1


# ---------------------------------------------------------------------------
# RandAugment ops vs torchvision functional (per-image loop) and Cutout
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("channels", [1, 3])
def test_autocontrast_equalize_match_torchvision(channels):
    x = _images(n=5, c=channels, h=24, w=30) * 0.6 + 0.1
    x[2] = 0.25  # a constant image: autocontrast and equalize keep it
    ac, eq = _autocontrast(x), _equalize(x)
    for i in range(5):
        torch.testing.assert_close(ac[i], TF.autocontrast(x[i]), atol=1e-6, rtol=0)
        torch.testing.assert_close(eq[i], TF.equalize(x[i]), atol=1e-6, rtol=0)
    assert not torch.allclose(eq, x, atol=1e-2)
    small = _images(n=2, c=channels, h=9, w=7)  # < 255 pixels: PIL keeps it
    torch.testing.assert_close(_equalize(small)[0], TF.equalize(small[0]))


@pytest.mark.parametrize("channels", [1, 3])
def test_posterize_solarize_sharpness_match_torchvision(channels):
    x = _images(n=6, c=channels, h=8, w=8)
    bits = torch.tensor([4, 5, 6, 7, 8, 4])
    thresholds = torch.tensor([0.0, 0.2, 0.5, 0.7, 1.0, 0.9])
    factors = torch.tensor([0.05, 0.3, 0.5, 0.95, 1.0, 1.5])
    post = _posterize(x, bits)
    sol = _solarize(x, thresholds)
    sharp = _adjust_sharpness(x, factors)
    for i in range(6):
        torch.testing.assert_close(post[i], TF.posterize(x[i], int(bits[i])))
        torch.testing.assert_close(sol[i], TF.solarize(x[i], float(thresholds[i])))
        ref = TF.adjust_sharpness(x[i], float(factors[i]))
        torch.testing.assert_close(sharp[i], ref, atol=1e-6, rtol=1e-6)


def test_affine_matches_torchvision_per_image():
    x = _images(n=5, c=3, h=10, w=12)
    angle = torch.tensor([0.0, 30.0, -17.0, 5.0, 0.0])
    translate = torch.tensor(
        [[0.0, 0.0], [1.5, -2.0], [0.0, 3.0], [-3.6, 0.0], [2.0, 1.0]]
    )
    shear = torch.tensor(
        [[0.0, 0.0], [0.0, 0.0], [10.0, 0.0], [0.0, -12.0], [5.0, 7.0]]
    )
    out = _affine(x, angle, translate, shear, fill=0.5)
    for i in range(5):
        ref = TF.affine(
            x[i],
            angle=float(angle[i]),
            translate=translate[i].tolist(),
            scale=1.0,
            shear=shear[i].tolist(),
            interpolation=TF.InterpolationMode.BILINEAR,
            fill=0.5,
        )
        torch.testing.assert_close(out[i], ref, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out[0], x[0], atol=1e-6, rtol=0)  # the identity


def _torchvision_op(name, img, m):
    """torchvision's version of a RandAugment op with magnitude ``m``."""
    h, w = img.shape[-2:]
    bil = TF.InterpolationMode.BILINEAR

    def affine(angle=0.0, translate=(0.0, 0.0), shear=(0.0, 0.0)):
        return TF.affine(
            img, angle, list(translate), 1.0, list(shear), interpolation=bil, fill=0.5
        )

    shear = math.degrees(math.atan(m))
    refs = {
        "identity": lambda: img,
        "autocontrast": lambda: TF.autocontrast(img),
        "equalize": lambda: TF.equalize(img),
        "brightness": lambda: TF.adjust_brightness(img, m),
        "color": lambda: TF.adjust_saturation(img, m),
        "contrast": lambda: TF.adjust_contrast(img, m),
        "sharpness": lambda: TF.adjust_sharpness(img, m),
        "posterize": lambda: TF.posterize(img, int(math.floor(m))),
        "solarize": lambda: TF.solarize(img, m),
        "rotate": lambda: affine(angle=m),
        "shear_x": lambda: affine(shear=(shear, 0.0)),
        "shear_y": lambda: affine(shear=(0.0, shear)),
        "translate_x": lambda: affine(translate=(m * w, 0.0)),
        "translate_y": lambda: affine(translate=(0.0, m * h)),
    }
    return refs[name]()


@pytest.mark.parametrize("name", sorted(RANDAUGMENT_OPS))
def test_each_randaugment_op_against_torchvision(name):
    # one op per image, magnitudes drawn per image: the batched result equals a
    # loop of torchvision ops with each image's magnitude
    ra = RandAugment(n_ops=1, ops=[name])
    x = _images(n=6, c=3, h=8, w=8)
    ((k, v),) = ra.draw(6, _gen(5))
    out = ra(x, generator=_gen(5))
    _, low, high, signed = RANDAUGMENT_OPS[name]
    assert bool((v.abs() >= low - 1e-6).all() and (v.abs() <= high + 1e-6).all())
    if signed:
        assert (v < 0).any() and (v > 0).any()
    for i in range(6):
        ref = _torchvision_op(name, x[i], float(v[i]))
        torch.testing.assert_close(out[i], ref, atol=1e-5, rtol=1e-5)


def test_randaugment_chains_ops_per_sample():
    ra = RandAugment(n_ops=2, ops=["brightness", "solarize", "identity"])
    x = _images(n=32, c=3, h=6, w=6)
    out = ra(x, generator=_gen(1))
    slots = ra.draw(32, _gen(1))
    names = ra.ops
    for i in range(32):
        ref = x[i : i + 1]
        for k, v in slots:
            fn = RANDAUGMENT_OPS[names[int(k[i])]][0]
            ref = fn(ref, v[i : i + 1], 0.5)
        torch.testing.assert_close(out[i : i + 1], ref)
    # different images drew different ops
    assert len({int(k) for k in slots[0][0]}) == 3
    assert torch.equal(RandAugment(0)(x, generator=_gen()), x)


def test_cutout_matches_a_loop_reference():
    cut = Cutout(size=0.5, fill=0.25)
    x = _images(n=20, c=2, h=10, w=8)
    boxes = cut.boxes(x, _gen(3))
    out = cut(x, generator=_gen(3))
    ref = x.clone()
    for i in range(20):
        top, left, side = (int(b) for b in boxes[i])
        assert 0 <= side <= 4  # floor(L * 8), L < 0.5
        ref[
            i, :, max(top, 0) : max(top + side, 0), max(left, 0) : max(left + side, 0)
        ] = 0.25
    torch.testing.assert_close(out, ref)
    assert (boxes[:, 2] > 0).sum() > 10 and len(set(boxes[:, 2].tolist())) > 2
    assert torch.equal(Cutout(size=0.0)(x, generator=_gen()), x)


def test_make_augmentation_strong():
    strong = make_augmentation("strong", (3, 32, 32), flip=True)
    kinds = [type(t).__name__ for t in strong]
    assert kinds == [
        "RandomCropReflect",
        "RandomHorizontalFlip",
        "RandAugment",
        "Cutout",
    ]
    gray = make_augmentation("strong", (1, 28, 28), flip=False)
    assert [type(t).__name__ for t in gray] == [
        "RandomCropReflect",
        "RandAugment",
        "Cutout",
    ]
    x = _images(n=4, c=3)
    a = strong(x, generator=_gen(0))
    assert torch.equal(a, strong(x, generator=_gen(0)))
    assert a.min() >= 0 and a.max() <= 1
