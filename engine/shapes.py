"""Shape arithmetic for convolution and pooling: one formula per question, used everywhere.

Every function here works on plain Python ints, so exercises can call it without arrays, and
the engine calls the same functions to size its outputs. Per axis (height or width), with
input size ``i``, kernel ``k``, stride ``s``, padding ``p`` on each side and dilation ``d``::

    effective kernel      k_eff = d·(k - 1) + 1
    convolution           o = floor((i + 2p - k_eff) / s) + 1
    pooling, ceil_mode    o = ceil((i + 2p - k_eff) / s) + 1, minus one if the last window
                          would start at or after i + p (inside the right padding or beyond)
    transposed conv.      o = (i - 1)·s - 2p + k_eff + output_padding
    "same" padding        d·(k - 1) zeros in total, the odd one on the right (stride 1 only)

A configuration that cannot work raises ``ValueError`` with a sentence naming the numbers,
for example ``kernel 7 (dilated to 13) is larger than the padded input 10``.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Pair = tuple[int, int]
IntOrPair = int | Sequence[int]
Padding1d = int | str | Sequence[int]
"""Padding of one axis: symmetric int, ``"valid"``, ``"same"`` or an explicit (before, after)."""

__all__ = [
    "LayerSpec",
    "as_pair",
    "avg_pool2d_output_shape",
    "check_int",
    "conv2d_macs",
    "conv2d_output_shape",
    "conv2d_parameter_count",
    "conv_output_size",
    "conv_transpose2d_output_shape",
    "conv_transpose_output_size",
    "effective_kernel_size",
    "max_pool2d_output_shape",
    "pool_output_size",
    "receptive_field",
    "same_padding",
]


# --- argument checks --------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    if type(value) is int:  # the common case, checked first because it is much faster
        return True
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_int(value: object, name: str, minimum: int) -> int:
    """Return ``value`` as an int, or raise ``ValueError`` if it is not an int ``>= minimum``."""
    if not _is_int(value):
        raise ValueError(f"{name} must be a whole number; got {value!r}")
    number = int(value)  # type: ignore[call-overload]
    if number < minimum:
        need = "positive" if minimum == 1 else f"at least {minimum}"
        if minimum == 0:
            need = "zero or more"
        raise ValueError(f"{name} must be {need}; got {number}")
    return number


def as_pair(value: object, name: str, minimum: int = 0) -> Pair:
    """Normalise PyTorch's ``int | (h, w)`` convention into a checked (height, width) pair."""
    if _is_int(value):
        number = check_int(value, name, minimum)
        return (number, number)
    if isinstance(value, (tuple, list)) and len(value) in (1, 2):
        items = [check_int(v, name, minimum) for v in value]
        return (items[0], items[-1])
    raise ValueError(f"{name} must be an int or a pair of ints (height, width); got {value!r}")


def _axis_words(axis: str | None) -> str:
    return f" along the {axis}" if axis else ""


def _resolve_padding(padding: Padding1d, kernel: int, stride: int, dilation: int) -> Pair:
    """One axis's padding as (before, after); strings follow PyTorch's ``padding=`` words."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0)
        if padding == "same":
            if stride != 1:
                raise ValueError(
                    f"padding='same' needs stride 1 (PyTorch does not support it for strided "
                    f"convolutions); got stride {stride}"
                )
            return same_padding(kernel, dilation)
        raise ValueError(f"padding must be an int, a pair, 'valid' or 'same'; got {padding!r}")
    if _is_int(padding):
        number = check_int(padding, "padding", 0)
        return (number, number)
    if isinstance(padding, (tuple, list)) and len(padding) == 2:
        before, after = (check_int(v, "padding", 0) for v in padding)
        return (before, after)
    raise ValueError(f"padding must be an int, a pair, 'valid' or 'same'; got {padding!r}")


def _too_large(size: int, kernel: int, dilation: int, pads: Pair, axis: str | None) -> str:
    eff = effective_kernel_size(kernel, dilation)
    dilated = f" (dilated to {eff})" if dilation != 1 else ""
    padded = size + pads[0] + pads[1]
    detail = f" (input {size} + padding {pads[0]} + {pads[1]})" if pads != (0, 0) else ""
    return (
        f"kernel {kernel}{dilated} is larger than the padded input {padded}{detail}"
        f"{_axis_words(axis)}"
    )


# --- one axis ---------------------------------------------------------------------------------


def effective_kernel_size(kernel: int, dilation: int = 1) -> int:
    """Span of a dilated kernel: ``d·(k - 1) + 1`` (a 3-tap kernel with dilation 2 spans 5)."""
    kernel = check_int(kernel, "kernel size", 1)
    dilation = check_int(dilation, "dilation", 1)
    return dilation * (kernel - 1) + 1


def same_padding(kernel: int, dilation: int = 1) -> Pair:
    """Padding (before, after) that keeps the size at stride 1, as PyTorch's ``padding='same'``.

    The total is ``d·(k - 1)``; when it is odd the extra zero goes after (right or bottom).
    """
    total = effective_kernel_size(kernel, dilation) - 1
    return (total // 2, total - total // 2)


def conv_output_size(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: Padding1d = 0,
    dilation: int = 1,
    *,
    axis: str | None = None,
) -> int:
    """Output length of a convolution along one axis.

    ``o = floor((i + p_before + p_after - d·(k - 1) - 1) / s) + 1``; with symmetric padding
    ``p`` this is the familiar ``floor((i + 2p - k) / s) + 1`` when ``d = 1``.
    ``padding`` is an int (both sides), ``"valid"`` (0), ``"same"`` (stride 1 only) or an
    explicit ``(before, after)`` pair. ``axis`` ("height", "width") only improves messages.
    """
    size = check_int(size, "input size", 1)
    kernel = check_int(kernel, "kernel size", 1)
    stride = check_int(stride, "stride", 1)
    dilation = check_int(dilation, "dilation", 1)
    pads = _resolve_padding(padding, kernel, stride, dilation)
    span = size + pads[0] + pads[1] - effective_kernel_size(kernel, dilation)
    if span < 0:
        raise ValueError(_too_large(size, kernel, dilation, pads, axis))
    return span // stride + 1


def pool_output_size(
    size: int,
    kernel: int,
    stride: int | None = None,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
    *,
    axis: str | None = None,
) -> int:
    """Output length of max or average pooling along one axis (PyTorch's rule).

    ``stride`` defaults to the kernel size. ``floor`` mode: as a convolution. ``ceil_mode``:
    ``o = ceil((i + 2p - d·(k - 1) - 1) / s) + 1``, then one less if the last window would start
    at ``i + p`` or later, so every window starts inside the input or the left padding.
    PyTorch also requires ``p <= k // 2``, and every window must cover at least one input element.
    """
    size = check_int(size, "input size", 1)
    kernel = check_int(kernel, "kernel size", 1)
    stride = kernel if stride is None else check_int(stride, "stride", 1)
    padding = check_int(padding, "padding", 0)
    dilation = check_int(dilation, "dilation", 1)
    if padding > kernel // 2:
        raise ValueError(
            f"padding {padding} should be at most half the kernel size {kernel}"
            f"{_axis_words(axis)} (PyTorch's rule: padding <= kernel_size // 2 = {kernel // 2})"
        )
    eff = effective_kernel_size(kernel, dilation)
    span = size + 2 * padding - eff
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    if out < 1:
        raise ValueError(_too_large(size, kernel, dilation, (padding, padding), axis))
    # With dilation, a window near the left edge can fall entirely on padding and holes.
    for index in range(out):
        start = index * stride - padding
        if start >= 0:
            break
        taps = [start + j * dilation for j in range(kernel)]
        if not any(0 <= t < size for t in taps):
            raise ValueError(
                f"pooling window {index}{_axis_words(axis)} would see only padding: with kernel "
                f"{kernel}, dilation {dilation} and padding {padding} its taps are at {taps}, "
                f"outside the input 0..{size - 1}"
            )
    return out


def conv_transpose_output_size(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
    *,
    axis: str | None = None,
) -> int:
    """Output length of a transposed convolution along one axis.

    ``o = (i - 1)·s - 2p + d·(k - 1) + output_padding + 1``: the size of the input a
    convolution with the same settings would map onto ``i`` (``output_padding`` picks one of the
    ``s`` sizes that all do, and must be smaller than the stride or the dilation).
    """
    size = check_int(size, "input size", 1)
    kernel = check_int(kernel, "kernel size", 1)
    stride = check_int(stride, "stride", 1)
    padding = check_int(padding, "padding", 0)
    output_padding = check_int(output_padding, "output_padding", 0)
    dilation = check_int(dilation, "dilation", 1)
    if output_padding >= max(stride, dilation):
        raise ValueError(
            f"output_padding {output_padding} must be smaller than the stride {stride} "
            f"or the dilation {dilation}{_axis_words(axis)}"
        )
    out = (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
    if out < 1:
        raise ValueError(
            f"the transposed convolution's output{_axis_words(axis)} would be {out}: "
            f"({size} - 1)·{stride} - 2·{padding} + {dilation}·({kernel} - 1) + {output_padding}"
            f" + 1; use less padding"
        )
    return out


# --- whole tensors ----------------------------------------------------------------------------


def _split_input_shape(input_shape: Sequence[int], what: str) -> tuple[tuple[int, ...], int]:
    shape = tuple(input_shape)
    if len(shape) not in (3, 4):
        raise ValueError(f"{what} expects an input of shape (N, C, H, W) or (C, H, W); got {shape}")
    for dim in shape:
        check_int(dim, "each input dimension", 0)
    batch, channels = shape[:-3], shape[-3]
    if channels < 1 or shape[-2] < 1 or shape[-1] < 1:
        raise ValueError(f"{what} expects at least one channel, row and column; got {shape}")
    return batch, channels


def _check_weight_shape(weight_shape: Sequence[int], what: str) -> tuple[int, int, int, int]:
    shape = tuple(weight_shape)
    if len(shape) != 4 or any(not _is_int(v) or v < 1 for v in shape):
        raise ValueError(
            f"{what} expects a 4-D weight of positive sizes (out, in/groups, kH, kW); got {shape}"
        )
    return shape


def _check_groups(channels: int, out_channels: int, groups: object) -> int:
    groups = check_int(groups, "groups", 1)
    if channels % groups:
        raise ValueError(f"in_channels {channels} is not divisible by groups {groups}")
    if out_channels % groups:
        raise ValueError(f"out_channels {out_channels} is not divisible by groups {groups}")
    return groups


def conv2d_padding(
    padding: IntOrPair | str, kernel: Pair, stride: Pair, dilation: Pair
) -> tuple[Pair, Pair]:
    """Resolve ``conv2d``'s ``padding`` into ((top, bottom), (left, right))."""
    if isinstance(padding, str):
        return (
            _resolve_padding(padding, kernel[0], stride[0], dilation[0]),
            _resolve_padding(padding, kernel[1], stride[1], dilation[1]),
        )
    ph, pw = as_pair(padding, "padding", 0)
    return ((ph, ph), (pw, pw))


def conv2d_output_shape(
    input_shape: Sequence[int],
    weight_shape: Sequence[int],
    stride: IntOrPair = 1,
    padding: IntOrPair | str = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
) -> tuple[int, ...]:
    """Shape of ``conv2d(x, weight, ...)``: (N, C_out, H_out, W_out), or (C_out, H_out, W_out).

    ``weight_shape`` is (C_out, C_in / groups, kH, kW) and
    ``H_out = floor((H + 2p - d·(kH - 1) - 1) / s) + 1`` (likewise for the width).
    """
    batch, channels = _split_input_shape(input_shape, "conv2d")
    out_ch, in_per_group, kh, kw = _check_weight_shape(weight_shape, "conv2d")
    groups = _check_groups(channels, out_ch, groups)
    if in_per_group * groups != channels:
        raise ValueError(
            f"weight of shape {tuple(weight_shape)} expects {in_per_group * groups} input "
            f"channels ({in_per_group} per group × {groups} group{'s' * (groups > 1)}), "
            f"but the input has {channels}"
        )
    sh, sw = as_pair(stride, "stride", 1)
    dh, dw = as_pair(dilation, "dilation", 1)
    pads = conv2d_padding(padding, (kh, kw), (sh, sw), (dh, dw))
    h, w = tuple(input_shape)[-2:]
    ho = conv_output_size(h, kh, sh, pads[0], dh, axis="height")
    wo = conv_output_size(w, kw, sw, pads[1], dw, axis="width")
    return (*batch, out_ch, ho, wo)


def conv_transpose2d_output_shape(
    input_shape: Sequence[int],
    weight_shape: Sequence[int],
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    output_padding: IntOrPair = 0,
    groups: int = 1,
    dilation: IntOrPair = 1,
) -> tuple[int, ...]:
    """Shape of ``conv_transpose2d(x, weight, ...)``.

    ``weight_shape`` is (C_in, C_out / groups, kH, kW), so C_out = groups · weight_shape[1], and
    ``H_out = (H - 1)·s - 2p + d·(kH - 1) + output_padding + 1`` (likewise for the width).
    """
    batch, channels = _split_input_shape(input_shape, "conv_transpose2d")
    in_ch, out_per_group, kh, kw = _check_weight_shape(weight_shape, "conv_transpose2d")
    groups = check_int(groups, "groups", 1)
    if in_ch != channels:
        raise ValueError(
            f"weight of shape {tuple(weight_shape)} expects {in_ch} input channels "
            f"(conv_transpose2d weights are (C_in, C_out/groups, kH, kW)), but the input has "
            f"{channels}"
        )
    _check_groups(channels, out_per_group * groups, groups)
    sh, sw = as_pair(stride, "stride", 1)
    ph, pw = as_pair(padding, "padding", 0)
    oph, opw = as_pair(output_padding, "output_padding", 0)
    dh, dw = as_pair(dilation, "dilation", 1)
    ho = conv_transpose_output_size(input_shape[-2], kh, sh, ph, oph, dh, axis="height")
    wo = conv_transpose_output_size(input_shape[-1], kw, sw, pw, opw, dw, axis="width")
    return (*batch, out_per_group * groups, ho, wo)


def max_pool2d_output_shape(
    input_shape: Sequence[int],
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    ceil_mode: bool = False,
) -> tuple[int, ...]:
    """Shape of ``max_pool2d(x, ...)``: the channels are kept, each plane shrinks per
    :func:`pool_output_size`."""
    batch, channels = _split_input_shape(input_shape, "max_pool2d")
    kh, kw = as_pair(kernel_size, "kernel_size", 1)
    sh, sw = (
        (kh, kw) if stride is None or stride == () or stride == [] else as_pair(stride, "stride", 1)
    )
    ph, pw = as_pair(padding, "padding", 0)
    dh, dw = as_pair(dilation, "dilation", 1)
    h, w = tuple(input_shape)[-2:]
    ho = pool_output_size(h, kh, sh, ph, dh, ceil_mode, axis="height")
    wo = pool_output_size(w, kw, sw, pw, dw, ceil_mode, axis="width")
    return (*batch, channels, ho, wo)


def avg_pool2d_output_shape(
    input_shape: Sequence[int],
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    ceil_mode: bool = False,
) -> tuple[int, ...]:
    """Shape of ``avg_pool2d(x, ...)`` (average pooling has no dilation)."""
    return max_pool2d_output_shape(input_shape, kernel_size, stride, padding, 1, ceil_mode)


# --- stacks of layers and costs ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LayerSpec:
    """One conv or pooling layer along one axis, for receptive-field arithmetic."""

    kernel: int
    stride: int = 1
    dilation: int = 1
    padding: int = 0

    def __post_init__(self) -> None:
        check_int(self.kernel, "kernel", 1)
        check_int(self.stride, "stride", 1)
        check_int(self.dilation, "dilation", 1)
        check_int(self.padding, "padding", 0)


def receptive_field(layers: Iterable[LayerSpec | Sequence[int]]) -> Pair:
    """Receptive field and jump of a stack of layers, first layer first.

    One output unit of the stack sees ``rf`` consecutive input positions, and neighbouring
    output units are ``jump`` input positions apart. Starting from ``rf = jump = 1``, each
    layer does ``rf += (k_eff - 1)·jump`` then ``jump *= s``. Padding moves the field but does
    not change its size. Tuples are read as ``LayerSpec(kernel, stride, dilation, padding)``.
    """
    rf, jump = 1, 1
    for layer in layers:
        spec = layer if isinstance(layer, LayerSpec) else LayerSpec(*layer)
        rf += (effective_kernel_size(spec.kernel, spec.dilation) - 1) * jump
        jump *= spec.stride
    return (rf, jump)


def conv2d_parameter_count(
    in_channels: int,
    out_channels: int,
    kernel_size: IntOrPair,
    groups: int = 1,
    bias: bool = True,
) -> int:
    """Learnable numbers in a conv layer: ``C_out · (C_in / groups) · kH · kW (+ C_out)``.

    The weight is (C_out, C_in / groups, kH, kW) and the bias (C_out,): one bias per filter.
    The same count holds for a transposed convolution with the same channels.
    """
    in_channels = check_int(in_channels, "in_channels", 1)
    out_channels = check_int(out_channels, "out_channels", 1)
    kh, kw = as_pair(kernel_size, "kernel_size", 1)
    groups = _check_groups(in_channels, out_channels, groups)
    return out_channels * (in_channels // groups) * kh * kw + (out_channels if bias else 0)


def conv2d_macs(
    input_shape: Sequence[int],
    out_channels: int,
    kernel_size: IntOrPair,
    stride: IntOrPair = 1,
    padding: IntOrPair | str = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
) -> int:
    """Multiply-accumulates of a forward pass: ``N · C_out · H_out · W_out · (C_in/groups)·kH·kW``.

    Every output value is one dot product of length ``(C_in / groups)·kH·kW`` (the bias add is
    not counted). Taps that land on padding are counted, as a dense implementation does them.
    """
    batch, channels = _split_input_shape(input_shape, "conv2d_macs")
    out_channels = check_int(out_channels, "out_channels", 1)
    kh, kw = as_pair(kernel_size, "kernel_size", 1)
    groups = _check_groups(channels, out_channels, groups)
    weight_shape = (out_channels, channels // groups, kh, kw)
    out_shape = conv2d_output_shape(input_shape, weight_shape, stride, padding, dilation, groups)
    n = batch[0] if batch else 1
    return n * out_channels * out_shape[-2] * out_shape[-1] * (channels // groups) * kh * kw
