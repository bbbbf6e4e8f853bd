"""The convolution Playground's domain logic: turn the knobs of one layer and watch it work.

Everything here is plain Python + numpy (no Streamlit, no Plotly); numbers come from ``engine``.

* :mod:`~quiz.playground.layer` — :class:`LayerConfig` (one conv, pooling or transposed-conv
  layer), its output size with the formula filled in, deterministic example tensors and the
  engine's output; reading and writing the page's query parameters.
* :mod:`~quiz.playground.frames` — the animation: the (padded) input grid and, for every output
  position, the input cells its window reads.
* :mod:`~quiz.playground.filters` — classic 3×3 kernels, custom kernels, feature maps of an image.
* :mod:`~quiz.playground.images` — sample images drawn in code, and decoding uploads safely.
* :mod:`~quiz.playground.links` — the Playground parameters that show an exercise's layer.
"""
