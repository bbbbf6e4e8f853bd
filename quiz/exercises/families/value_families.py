"""Value and gradient families on small integer tensors (conv sums, their gradients, pooling)."""

from __future__ import annotations

from quiz.exercises.base import Family
from quiz.exercises.families import (
    avgpool_backward,
    batch_norm,
    conv_entry,
    conv_forward,
    conv_grad_bias,
    conv_grad_input,
    conv_grad_weight,
    conv_transpose_values,
    maxpool_backward,
)

VALUE_FAMILIES: tuple[Family, ...] = (
    conv_entry.FAMILY,
    conv_forward.FAMILY,
    conv_grad_weight.FAMILY,
    conv_grad_input.FAMILY,
    conv_grad_bias.FAMILY,
    maxpool_backward.FAMILY,
    avgpool_backward.FAMILY,
    conv_transpose_values.FAMILY,
    batch_norm.FAMILY,
)
