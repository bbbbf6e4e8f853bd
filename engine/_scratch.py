"""Reusable work buffers for intermediate results.

On the machines Stride runs on, touching freshly mapped memory is expensive (a page fault per
4 KiB page, a VM exit each under virtualisation): allocating two fresh 6 MB temporaries per
call can cost more than the arithmetic. So large *intermediate* arrays come from a small
per-thread pool and are reused by the next call. Arrays handed back to callers are always
freshly allocated, never taken from here.
"""

from __future__ import annotations

import threading
from math import prod

import numpy as np

SCRATCH_LIMIT = 256 << 20
"""Buffers up to this many bytes are kept for the next call; larger ones are not pooled."""

_local = threading.local()


def scratch(tag: str, shape: tuple[int, ...], dtype: np.dtype, zero: bool = False) -> np.ndarray:
    """A work buffer of ``shape`` and ``dtype``, reused by the next request with the same
    ``tag`` in this thread. Two buffers alive at the same time need different tags, and a
    buffer must never escape to the caller: copy results out of it."""
    dtype = np.dtype(dtype)
    nbytes = prod(shape) * dtype.itemsize
    if nbytes > SCRATCH_LIMIT:
        return np.zeros(shape, dtype) if zero else np.empty(shape, dtype)
    pool: dict[str, np.ndarray] = _local.__dict__.setdefault("pool", {})
    buffer = pool.get(tag)
    if buffer is None or buffer.nbytes < nbytes:
        buffer = pool[tag] = np.empty(max(nbytes, 64), np.uint8)
    array = buffer[:nbytes].view(dtype).reshape(shape)
    if zero:
        array.fill(0)
    return array
