"""What the PyTorch parity tests share: hypothesis settings, comparison to rounding, and the
gradients autograd computes. Imported only by tests that have already skipped without torch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings


def parity_settings(max_examples: int = 40) -> Any:
    """Deterministic examples, no deadline (torch's first call is slow)."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )


def same(ours: np.ndarray, theirs: object, rtol: float = 1e-12) -> bool:
    """Same shape and dtype, and equal within ``rtol`` of the largest magnitude (at least 1)."""
    theirs_np = theirs.detach().numpy()  # type: ignore[attr-defined]
    if ours.shape != theirs_np.shape or ours.dtype != theirs_np.dtype:
        return False
    scale = max(1.0, float(np.abs(theirs_np).max(initial=0.0)))
    return float(np.abs(ours - theirs_np).max(initial=0.0)) <= rtol * scale


def grads_of(
    fn: Callable[..., Any], inputs: list[np.ndarray], grad_out: np.ndarray
) -> tuple[Any, list[Any]]:
    """``fn(*inputs)`` in torch and the gradients of ``<fn(...), grad_out>`` for each input."""
    import torch

    tensors = [torch.tensor(a, requires_grad=True) for a in inputs]
    out = fn(*tensors)
    grads = torch.autograd.grad(out, tensors, torch.tensor(grad_out))
    return out, list(grads)
