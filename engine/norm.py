"""Batch normalisation, forward and backward, as ``torch.nn.functional.batch_norm``.

Shapes: input (N, C, H, W) — or (N, C) for a batch of feature vectors — and per-channel vectors
``running_mean``, ``running_var``, ``weight`` (γ) and ``bias`` (β) of shape (C,). The output has
the input's shape. Each channel c is normalised over every other axis, i.e. over its
m = N·H·W values (m = N for (N, C))::

    μ[c]  = (1/m) Σ_{n,y,x} X[n][c][y][x]
    σ²[c] = (1/m) Σ_{n,y,x} (X[n][c][y][x] - μ[c])²        (biased: divided by m, not m - 1)
    X̂     = (X - μ[c]) / sqrt(σ²[c] + ε)
    Y     = γ[c]·X̂ + β[c]                                  (γ = 1 and β = 0 when not given)

* training mode (``training=True``) uses the batch's μ and σ², and, when running buffers are
  given, updates them in place: ``running = (1 - momentum)·running + momentum·batch``, with the
  *unbiased* batch variance σ²·m/(m - 1) for ``running_var`` (as PyTorch). It needs m > 1.
* evaluation mode (``training=False``, the default, as in ``F.batch_norm``) uses the running
  statistics instead of the batch's, so each sample's output no longer depends on the others.

The statistics are computed in float64 whatever the input; float32 inputs (and γ, β) give
float32 results, everything else float64. A conv layer's bias right before batch norm is
redundant: adding b[c] to a whole channel moves μ[c] by b[c] and leaves X - μ unchanged.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._params import as_array, float_dtype

__all__ = ["batch_norm2d", "batch_norm2d_backward"]

Gradients = tuple[np.ndarray, np.ndarray, np.ndarray]


def _input(value: object, name: str = "input") -> tuple[np.ndarray, tuple[int, ...]]:
    """The input as an array, and the axes its statistics run over (all but the channels)."""
    x = as_array(value, name)
    if x.ndim not in (2, 4):
        raise ValueError(
            f"{name} must be 2-D (N, C) or 4-D (N, C, H, W): batch norm takes its statistics "
            f"over the batch, so the batch axis is needed even for one sample; got shape "
            f"{x.shape}"
        )
    if x.shape[1] < 1:
        raise ValueError(f"{name} needs at least one channel; got shape {x.shape}")
    return x, (0, 2, 3) if x.ndim == 4 else (0,)


def _per_channel(value: object, name: str, channels: int) -> np.ndarray | None:
    """A per-channel vector (C,) or None."""
    if value is None:
        return None
    array = as_array(value, name)
    if array.shape != (channels,):
        raise ValueError(
            f"{name} must have shape (C,) = ({channels},), one number per channel; got shape "
            f"{array.shape}"
        )
    return array


def _channel_view(vector: np.ndarray, ndim: int) -> np.ndarray:
    """(C,) as (1, C, 1, 1) or (1, C), to broadcast against the input."""
    return vector.reshape((1, -1) + (1,) * (ndim - 2))


def _count(x: np.ndarray) -> int:
    """m, the number of values each channel's statistics run over."""
    return x.size // x.shape[1]


def _check_training_size(x: np.ndarray) -> None:
    if _count(x) <= 1:
        raise ValueError(
            "Expected more than 1 value per channel when training, got input size "
            f"{x.shape}: a batch variance needs at least two values (N·H·W > 1)"
        )


def _batch_statistics(x: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The per-channel mean and biased variance (divided by m), in float64."""
    x64 = x.astype(np.float64, copy=False)
    mean = x64.mean(axis=axes)
    centred = x64 - _channel_view(mean, x.ndim)
    return mean, np.mean(centred * centred, axis=axes)


def _float_buffer(buffer: object, name: str) -> np.ndarray:
    """A running buffer that training mode may update in place: a float numpy array."""
    if not isinstance(buffer, np.ndarray) or buffer.dtype.kind != "f":
        raise ValueError(f"{name} must be a float numpy array: training mode updates it in place")
    return buffer


def _update(buffer: np.ndarray, value: np.ndarray, momentum: float) -> None:
    buffer[...] = (1.0 - momentum) * buffer.astype(np.float64) + momentum * value


def batch_norm2d(
    input: object,
    running_mean: object = None,
    running_var: object = None,
    weight: object = None,
    bias: object = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> np.ndarray:
    """Batch normalisation of an (N, C, H, W) or (N, C) batch (PyTorch's ``F.batch_norm``).

    ``Y = γ[c]·(X - μ[c]) / sqrt(σ²[c] + ε) + β[c]`` per channel c, where μ and σ² are the
    batch's mean and biased variance over (N, H, W) in training mode, and ``running_mean`` /
    ``running_var`` (shape (C,)) in evaluation mode, where both are required. In training mode
    the running buffers, if given (both or neither), are updated in place with ``momentum``
    and the unbiased variance σ²·m/(m - 1): they must be float numpy arrays. ``weight`` (γ) and
    ``bias`` (β) have shape (C,); None means γ = 1, β = 0. Returns an array of the input's
    shape (float32 if the input, γ and β are float32, else float64).
    """
    x, axes = _input(input)
    channels = x.shape[1]
    mean_in = _per_channel(running_mean, "running_mean", channels)
    var_in = _per_channel(running_var, "running_var", channels)
    gamma = _per_channel(weight, "weight", channels)
    beta = _per_channel(bias, "bias", channels)
    if (mean_in is None) != (var_in is None):
        raise ValueError("running_mean and running_var must either both be None or neither be None")
    given: object = momentum  # typed float, but callers may pass anything: check it as an object
    if not isinstance(given, numbers.Real) or isinstance(given, bool):
        raise ValueError(f"momentum must be a real number; got {momentum!r}")
    dtype = float_dtype(x, gamma, beta)
    if training:
        _check_training_size(x)
        mean, var = _batch_statistics(x, axes)
        if running_mean is not None:
            mean_buffer = _float_buffer(running_mean, "running_mean")
            var_buffer = _float_buffer(running_var, "running_var")
            m = _count(x)
            _update(mean_buffer, mean, float(momentum))
            _update(var_buffer, var * (m / (m - 1)), float(momentum))
    else:
        if mean_in is None or var_in is None:
            raise ValueError(
                "running_mean and running_var must be given in evaluation mode (training=False): "
                "it normalises with them instead of the batch's statistics"
            )
        mean, var = mean_in.astype(np.float64), var_in.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_std = 1.0 / np.sqrt(var + eps)
        scale = inv_std if gamma is None else inv_std * gamma
        shift = -mean * scale if beta is None else beta - mean * scale
        out = x.astype(np.float64, copy=False) * _channel_view(scale, x.ndim)
        out += _channel_view(shift, x.ndim)
    return out.astype(dtype, copy=False)


def batch_norm2d_backward(
    grad_out: object,
    input: object,
    weight: object = None,
    running_var: object = None,
    training: bool = True,
    eps: float = 1e-5,
    *,
    running_mean: object = None,
) -> Gradients:
    """Gradients of :func:`batch_norm2d`: ``(dL/dX, dL/dγ, dL/dβ)`` from G = dL/dY.

    With X̂ the normalised input, σ̂ = sqrt(σ²[c] + ε) and the means over the channel's m
    values (N, H, W)::

        dL/dβ[c] = Σ G                     dL/dγ[c] = Σ G·X̂
        training:  dL/dX = (γ[c]/σ̂)·(G - mean(G) - X̂·mean(G·X̂))
        eval:      dL/dX = γ[c]·G / sqrt(running_var[c] + ε)

    In training mode μ and σ² are the batch's, so every input moves them: the two mean terms
    are the gradient flowing back through μ and σ². In evaluation mode they are constants
    (``running_var``, and ``running_mean`` for X̂ in dL/dγ, both required; keyword
    ``running_mean`` keeps the positional order of the other arguments). grad_out has the
    input's shape; the gradients of γ and β have shape (C,) and are returned even when
    ``weight`` is None (γ = 1).
    """
    x, axes = _input(input)
    g = as_array(grad_out, "grad_out")
    if g.shape != x.shape:
        raise ValueError(
            f"grad_out has shape {g.shape}, but batch norm's output has shape {x.shape}"
        )
    channels = x.shape[1]
    gamma = _per_channel(weight, "weight", channels)
    dtype = float_dtype(x, g, gamma)
    g64 = g.astype(np.float64, copy=False)
    if training:
        _check_training_size(x)
        mean, var = _batch_statistics(x, axes)
    else:
        mean_in = _per_channel(running_mean, "running_mean", channels)
        var_in = _per_channel(running_var, "running_var", channels)
        if mean_in is None or var_in is None:
            raise ValueError(
                "running_mean and running_var must be given in evaluation mode (training=False): "
                "the forward pass normalised with them"
            )
        mean, var = mean_in.astype(np.float64), var_in.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_std = 1.0 / np.sqrt(var + eps)
        x_hat = (x.astype(np.float64, copy=False) - _channel_view(mean, x.ndim)) * _channel_view(
            inv_std, x.ndim
        )
        grad_bias = g64.sum(axis=axes)
        grad_weight = (g64 * x_hat).sum(axis=axes)
        scale = inv_std if gamma is None else inv_std * gamma
        if training:
            m = _count(x)
            centred = (
                g64
                - _channel_view(grad_bias / m, x.ndim)
                - x_hat * _channel_view(grad_weight / m, x.ndim)
            )
            grad_input = centred * _channel_view(scale, x.ndim)
        else:
            grad_input = g64 * _channel_view(scale, x.ndim)
    return (
        grad_input.astype(dtype, copy=False),
        grad_weight.astype(dtype, copy=False),
        grad_bias.astype(dtype, copy=False),
    )
