"""Hypothesis strategies shared by the Playground tests (imported, not collected)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from quiz.playground.layer import KINDS, LayerConfig

PROPERTY = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@st.composite
def layer_configs(draw: st.DrawFn, *, channels: int = 3, size: int = 9) -> LayerConfig:
    """Small configurations of every kind, valid or not (``config.error`` tells)."""
    kind = draw(st.sampled_from(KINDS))
    return LayerConfig(
        kind,
        height=draw(st.integers(1, size)),
        width=draw(st.integers(1, size)),
        in_channels=draw(st.integers(1, channels)),
        out_channels=draw(st.integers(1, channels)),
        kernel=draw(st.integers(1, 4)),
        stride=draw(st.integers(1, 3)),
        padding=draw(st.integers(0, 3)),
        dilation=1 if kind == "avg-pool" else draw(st.integers(1, 3)),
    )


def valid_layer_configs(**options: int) -> st.SearchStrategy[LayerConfig]:
    return layer_configs(**options).filter(lambda config: config.error is None)
