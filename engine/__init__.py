"""Stride's numerical engine: conv/pool/batch-norm forward and backward, shape arithmetic,
gradient checks.

Pure numpy. Function names, argument order, defaults and the NCHW layout follow
``torch.nn.functional``, so any answer can be checked in PyTorch; an unbatched (C, H, W)
input is accepted too. ``engine.reference`` holds the same operations as plain loops (the
oracle), and ``engine.shapes`` the output-size formulas used everywhere.
"""

from . import reference, shapes
from .activations import relu, relu_backward
from .conv import conv2d, conv2d_backward, conv_transpose2d, conv_transpose2d_backward
from .gradcheck import gradient_error, numerical_gradient, rel_error
from .norm import batch_norm2d, batch_norm2d_backward
from .pool import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
from .shapes import (
    LayerSpec,
    avg_pool2d_output_shape,
    conv2d_macs,
    conv2d_output_shape,
    conv2d_parameter_count,
    conv_output_size,
    conv_transpose2d_output_shape,
    conv_transpose_output_size,
    effective_kernel_size,
    max_pool2d_output_shape,
    pool_output_size,
    receptive_field,
    same_padding,
)
from .unfold import col2im, fold, im2col, unfold, unfold_output_shape

__all__ = [
    "LayerSpec",
    "avg_pool2d",
    "avg_pool2d_backward",
    "avg_pool2d_output_shape",
    "batch_norm2d",
    "batch_norm2d_backward",
    "col2im",
    "conv2d",
    "conv2d_backward",
    "conv2d_macs",
    "conv2d_output_shape",
    "conv2d_parameter_count",
    "conv_output_size",
    "conv_transpose2d",
    "conv_transpose2d_backward",
    "conv_transpose2d_output_shape",
    "conv_transpose_output_size",
    "effective_kernel_size",
    "fold",
    "gradient_error",
    "im2col",
    "max_pool2d",
    "max_pool2d_backward",
    "max_pool2d_output_shape",
    "numerical_gradient",
    "pool_output_size",
    "receptive_field",
    "reference",
    "rel_error",
    "relu",
    "relu_backward",
    "same_padding",
    "shapes",
    "unfold",
    "unfold_output_shape",
]
