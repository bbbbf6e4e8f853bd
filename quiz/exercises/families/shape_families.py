"""Shape-arithmetic families (output sizes, padding, parameters, receptive fields, MACs)."""

from __future__ import annotations

from quiz.exercises.base import Family
from quiz.exercises.families import (
    conv_macs,
    conv_transpose_output_size,
    parameter_count,
    pool_output_size,
    receptive_field,
    same_padding,
    stack_output_shape,
)

SHAPE_FAMILIES: tuple[Family, ...] = (
    pool_output_size.FAMILY,
    stack_output_shape.FAMILY,
    same_padding.FAMILY,
    parameter_count.FAMILY,
    receptive_field.FAMILY,
    conv_transpose_output_size.FAMILY,
    conv_macs.FAMILY,
)
