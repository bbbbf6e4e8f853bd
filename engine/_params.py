"""Typed, frozen parameter objects and array checks shared by the engine's public functions.

The public functions keep ``torch.nn.functional``'s loose signatures (``stride=2`` or
``stride=(2, 1)``, ``padding="same"``); each one first builds one of these frozen dataclasses,
so the code below it works with explicit, checked (height, width) pairs. They improve on
CS231n's ``conv_param`` dicts: typed, immutable, printable, and checked once, in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from . import shapes
from .shapes import IntOrPair, Pair, as_pair, check_int

Pads = tuple[Pair, Pair]
"""Padding as ((top, bottom), (left, right))."""

T = TypeVar("T")
_MEMO: dict[tuple[object, ...], object] = {}
MEMO_SIZE = 512


def memo(key: tuple[object, ...], compute: Callable[[], T]) -> T:
    """Remember the checked set-up of a call (parameters, output size, plan) by its arguments.

    Exercises call the engine with the same few configurations again and again; checking and
    planning costs more than a tiny convolution itself. ``key`` holds shapes and the ``repr``
    of the loose arguments, so ``1``, ``True`` and ``(1, 1)`` stay distinct. Errors are not
    remembered: they are raised again on every call.
    """
    found = _MEMO.get(key)
    if found is None:
        found = compute()
        if len(_MEMO) >= MEMO_SIZE:
            _MEMO.clear()
        _MEMO[key] = found
    return found  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class Conv2dParams:
    """Geometry of a 2-D convolution with a (kH, kW) kernel (the same for its transpose)."""

    kernel: Pair
    stride: Pair = (1, 1)
    padding: Pads = ((0, 0), (0, 0))
    dilation: Pair = (1, 1)
    groups: int = 1

    @classmethod
    def build(
        cls,
        kernel: Pair,
        stride: IntOrPair,
        padding: IntOrPair | str,
        dilation: IntOrPair,
        groups: int,
    ) -> Conv2dParams:
        stride_hw = as_pair(stride, "stride", 1)
        dilation_hw = as_pair(dilation, "dilation", 1)
        pads = shapes.conv2d_padding(padding, kernel, stride_hw, dilation_hw)
        return cls(kernel, stride_hw, pads, dilation_hw, check_int(groups, "groups", 1))

    def output_hw(self, h: int, w: int) -> Pair:
        """(H_out, W_out) of the convolution on an (H, W) input (see ``shapes``)."""
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        return (
            shapes.conv_output_size(h, kh, sh, self.padding[0], dh, axis="height"),
            shapes.conv_output_size(w, kw, sw, self.padding[1], dw, axis="width"),
        )


@dataclass(frozen=True, slots=True)
class MaxPool2dParams:
    kernel: Pair
    stride: Pair
    padding: Pair = (0, 0)
    dilation: Pair = (1, 1)
    ceil_mode: bool = False

    @classmethod
    def build(
        cls,
        kernel_size: IntOrPair,
        stride: IntOrPair | None,
        padding: IntOrPair,
        dilation: IntOrPair,
        ceil_mode: bool,
    ) -> MaxPool2dParams:
        kernel = as_pair(kernel_size, "kernel_size", 1)
        no_stride = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)
        stride_hw = kernel if no_stride else as_pair(stride, "stride", 1)
        return cls(
            kernel,
            stride_hw,
            as_pair(padding, "padding", 0),
            as_pair(dilation, "dilation", 1),
            bool(ceil_mode),
        )

    def output_hw(self, h: int, w: int) -> Pair:
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (
            self.kernel,
            self.stride,
            self.padding,
            self.dilation,
        )
        return (
            shapes.pool_output_size(h, kh, sh, ph, dh, self.ceil_mode, axis="height"),
            shapes.pool_output_size(w, kw, sw, pw, dw, self.ceil_mode, axis="width"),
        )


@dataclass(frozen=True, slots=True)
class AvgPool2dParams:
    kernel: Pair
    stride: Pair
    padding: Pair = (0, 0)
    ceil_mode: bool = False
    count_include_pad: bool = True
    divisor_override: int | None = None

    @classmethod
    def build(
        cls,
        kernel_size: IntOrPair,
        stride: IntOrPair | None,
        padding: IntOrPair,
        ceil_mode: bool,
        count_include_pad: bool,
        divisor_override: int | None,
    ) -> AvgPool2dParams:
        base = MaxPool2dParams.build(kernel_size, stride, padding, 1, ceil_mode)
        divisor = None
        if divisor_override is not None:
            divisor = check_int(divisor_override, "divisor_override", 1)
        return cls(
            base.kernel, base.stride, base.padding, base.ceil_mode, bool(count_include_pad), divisor
        )

    def output_hw(self, h: int, w: int) -> Pair:
        as_max = MaxPool2dParams(self.kernel, self.stride, self.padding, (1, 1), self.ceil_mode)
        return as_max.output_hw(h, w)


# --- arrays -----------------------------------------------------------------------------------


def float_dtype(*arrays: np.ndarray | None) -> np.dtype:
    """The dtype of the result: float32 if every input is float32 (or smaller), else float64.

    Integer and boolean inputs are computed in float64, so exercises may pass small integer
    tensors; complex or non-numeric arrays are rejected.
    """
    wide = False
    for array in arrays:
        if array is None:
            continue
        kind = array.dtype.kind
        if kind not in "biuf":
            raise ValueError(f"expected real numbers; got an array of dtype {array.dtype}")
        if kind != "f" or array.dtype.itemsize > 4:
            wide = True
    return np.dtype(np.float64 if wide else np.float32)


def as_array(value: object, name: str) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers; got dtype {array.dtype}")
    return array


def batched(x: np.ndarray, name: str = "input") -> tuple[np.ndarray, bool]:
    """View a (C, H, W) array as (1, C, H, W); return it with a flag saying it was unbatched."""
    if x.ndim == 4:
        return x, False
    if x.ndim == 3:
        return x[None], True
    raise ValueError(f"{name} must be 3-D (C, H, W) or 4-D (N, C, H, W); got shape {x.shape}")


def check_spatial(x: np.ndarray, name: str = "input") -> None:
    if x.shape[1] < 1 or x.shape[2] < 1 or x.shape[3] < 1:
        raise ValueError(f"{name} needs at least one channel, row and column; got {x.shape[1:]}")


def check_grad_shape(grad_out: np.ndarray, expected: tuple[int, ...], what: str) -> None:
    if grad_out.shape != expected:
        raise ValueError(
            f"grad_out has shape {grad_out.shape}, but {what}'s output has shape {expected}"
        )


def check_bias(bias: np.ndarray | None, out_channels: int) -> None:
    if bias is None:
        return
    if bias.shape != (out_channels,):
        hint = ""
        if bias.ndim == 4:
            hint = (
                " (the notes' C_O × C_I × H_F × W_F is a slip: each filter has one bias, "
                "so B has shape C_O)"
            )
        raise ValueError(
            f"bias must have shape (C_out,) = ({out_channels},), one number per output "
            f"channel; got shape {bias.shape}{hint}"
        )
