"""Families on whole networks and layer design: counts that compare layer types (a conv layer
against a fully connected one, depthwise-separable against standard) and what a network costs."""

from __future__ import annotations

from quiz.exercises.base import Family
from quiz.exercises.families import (
    conv_vs_dense,
    global_pooling,
    im2col,
    network_memory,
    relu_pool_backward,
    separable_conv,
)

NETWORK_FAMILIES: tuple[Family, ...] = (
    separable_conv.FAMILY,
    conv_vs_dense.FAMILY,
    network_memory.FAMILY,
    global_pooling.FAMILY,
    relu_pool_backward.FAMILY,
    im2col.FAMILY,
)
