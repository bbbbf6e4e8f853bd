"""Global average pooling, and fully connected layers as convolutions (CS231n's "converting FC
layers to CONV layers").

For a feature map of shape ``C × H × W`` (channels × height × width):

* global average pooling, ``nn.AdaptiveAvgPool2d(1)``, averages each channel over all its
  ``H · W`` positions: the output is ``C × 1 × 1``, and the layer has **no** parameters;
* a classification head to ``k`` classes, every ``nn.Linear`` with a bias:
  (a) GAP, then ``nn.Linear(C, k)``: ``C · k + k`` parameters;
  (b) flatten, then ``nn.Linear(C·H·W, k)``: ``C·H·W · k + k`` parameters;
  so (b)/(a) = ``(C·H·W + 1) / (C + 1)``, a little less than ``H · W`` (the ``k`` cancels);
* ``nn.Linear(C·H·W, n)`` on the flattened map is ``nn.Conv2d(C, n, kernel_size=(H, W))`` on the
  map itself (stride 1, no padding, the same weights reshaped and the same bias): the same
  ``C·H·W · n + n`` parameters, an ``n × 1 × 1`` output. Slid over a larger ``C × H' × W'`` map
  (the network made fully convolutional) it outputs ``n × (H' − H + 1) × (W' − W + 1)``; when the
  layers before it downsample by a total stride ``S``, an ``I_h × I_w`` image (sides multiples
  of ``S``) gives the map ``H' = I_h / S``, ``W' = I_w / S``;
* downsampling by about 2: a ``3 × 3`` convolution with stride 2 and padding 1 gives
  ``floor((i + 2 − 3)/2) + 1 = ceil(i/2)`` per axis and ``C'`` channels, with
  ``C' · C · 9 + C'`` parameters; ``2 × 2`` max pooling with stride 2 gives
  ``floor((i − 2)/2) + 1 = floor(i/2)`` and keeps the ``C`` channels, with no parameters. They
  differ on an odd size.

Each question asks for one figure (``Setup.ask``): a NUMBER (a count or a ratio) or a SHAPE.

Difficulty 1: a small square map (up to 32 channels, 2 … 7 a side): the GAP output's shape, its
parameters, or the parameters of head (a) or head (b) for 2 … 10 classes.
Difficulty 2: a possibly non-square map (16 … 256 channels, 2 … 7 a side) and
``nn.Linear(C·H·W, n)`` written as a convolution: its kernel size, its parameters (those of the
linear layer), or its output's shape; or how many times more parameters head (b) has than
head (a).
Difficulty 3: realistic sizes. The converted layer slid over a larger map (given directly, or
from a larger image and the network's total stride 16 or 32): its output's shape. Or
downsampling a map with an odd height (9 … 75 a side, 32 … 256 channels, the convolution to as
many or twice as many) by the strided convolution against max pooling: either output's shape
(sizes round down), or how many more parameters the convolution has.

Picture: bars of the values each tensor holds (its shape written beside it) and the parameters of
each layer the question compares — the map and the two heads, the linear layer and its
convolution, the trained and the larger map and the output, the strided convolution and the
pooling — the asked one outlined.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from engine import (
    conv2d_output_shape,
    conv2d_parameter_count,
    conv_output_size,
    max_pool2d_output_shape,
    pool_output_size,
)
from engine import reference as engine_reference
from quiz.exercises import latex
from quiz.exercises.base import Exercise, Family, Mistake, pick, rng_for
from quiz.exercises.latex import count as _n
from quiz.exercises.latex import ratio as _ratio
from quiz.exercises.pictures import Bar, BarsPicture, count_text, log_scale, ratio_text
from quiz.grading import AnswerKind

ID = "global-pooling"

ASKS = (
    "gap_shape",
    "gap_params",
    "gap_head",
    "flatten_head",
    "kernel",
    "conv_params",
    "conv_shape",
    "ratio",
    "sliding",
    "conv_downsample",
    "pool_downsample",
    "downsample_params",
)
"""What a question asks for (see the module docstring)."""

SHAPE_ASKS = ("gap_shape", "conv_shape", "sliding", "conv_downsample", "pool_downsample")
"""The questions answered with a shape, *channels × height × width* (``kernel``: *height ×
width*); the others with a number."""

MISTAKES = {
    "pooling_counted_with_weights": "gave a pooling layer (global average or max pooling) "
    "learnable weights",
    "not_flattened": "gave the fully connected layer after nn.Flatten() only C inputs instead "
    "of C · H · W",
    "bias_forgotten": "left out the biases (one per output of each nn.Linear or filter)",
    "window_taken_as_1x1": "took a global window as 1 × 1: AdaptiveAvgPool2d(1) as a 1 × 1 "
    "window, or the fully connected layer as a 1 × 1 convolution",
    "forgot_plus_one": "left out the + 1 when counting window positions",
    "ratio_inverted": "gave the ratio the other way round, (a)/(b) instead of (b)/(a)",
    "ceil_instead_of_floor": "rounded an output size up instead of down",
}


@dataclass(frozen=True)
class Setup:
    """One question. ``channels × height × width`` is the feature map; ``outputs`` is the number
    of classes (heads), of outputs of the fully connected layer, or of filters of the strided
    convolution. For ``sliding``, ``large_height × large_width`` is the larger map, or, when
    ``net_stride`` is set, the larger image that the layers before give a map ``1/net_stride``
    as high and wide (the training image is then ``net_stride`` times the map)."""

    ask: str
    channels: int
    height: int
    width: int
    outputs: int = 10
    large_height: int = 0
    large_width: int = 0
    net_stride: int = 0

    def __post_init__(self) -> None:
        if self.ask not in ASKS:
            raise ValueError(f"ask must be one of {ASKS}; got {self.ask!r}")

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Setup:
        return cls(**params)

    @property
    def flat(self) -> int:
        """Values in the flattened map: ``C · H · W``."""
        return self.channels * self.height * self.width

    @property
    def gap_head(self) -> int:
        return self.channels * self.outputs + self.outputs

    @property
    def flatten_head(self) -> int:
        """Head (b), and the fully connected layer ``nn.Linear(C·H·W, n)`` (n = ``outputs``)."""
        return self.flat * self.outputs + self.outputs

    @property
    def large_map(self) -> tuple[int, int]:
        """``(H', W')``: the map the converted layer slides over."""
        if self.net_stride:
            return self.large_height // self.net_stride, self.large_width // self.net_stride
        return self.large_height, self.large_width

    @property
    def strided_conv(self) -> int:
        """Parameters of ``nn.Conv2d(C, outputs, 3, stride=2, padding=1)``."""
        return self.outputs * self.channels * 9 + self.outputs


def generate(seed: int, difficulty: int) -> Exercise:
    rng = rng_for(seed, difficulty)
    if difficulty == 1:
        ask = pick(
            rng,
            ("gap_shape", "gap_shape", "gap_params", "gap_head", "gap_head", "flatten_head"),
        )
        size = int(rng.integers(2, 8))
        setup = Setup(ask, pick(rng, (4, 8, 16, 32)), size, size, pick(rng, (2, 3, 5, 10)))
    elif difficulty == 2:
        setup = Setup(
            pick(rng, ("kernel", "conv_params", "conv_shape", "ratio", "ratio")),
            pick(rng, (16, 32, 64, 128, 256)),
            int(rng.integers(2, 8)),
            int(rng.integers(2, 8)),
            pick(rng, (10, 64, 100, 128, 256, 512)),
        )
    elif rng.integers(2):
        stride, size = pick(rng, ((0, 5), (0, 6), (0, 7), (32, 7), (32, 7), (32, 6), (16, 7)))
        larger = (size + int(rng.integers(1, 11)), size + int(rng.integers(1, 11)))
        setup = Setup(
            "sliding",
            pick(rng, (256, 512)),
            size,
            size,
            pick(rng, (21, 1000, 4096)),
            larger[0] * max(stride, 1),
            larger[1] * max(stride, 1),
            stride,
        )
    else:
        channels = pick(rng, (32, 64, 128, 256))
        height = 2 * int(rng.integers(4, 38)) + 1  # odd: 9 ... 75
        width = height if rng.integers(2) else int(rng.integers(9, 76))
        setup = Setup(
            pick(rng, ("conv_downsample", "pool_downsample", "downsample_params")),
            channels,
            height,
            width,
            channels * pick(rng, (1, 2)),
        )
    return build(setup, seed, difficulty)


def _answer(setup: Setup) -> Any:
    c, h, w, n = setup.channels, setup.height, setup.width, setup.outputs
    if setup.ask == "gap_shape":
        return [c, 1, 1]
    if setup.ask == "gap_params":
        return 0
    if setup.ask == "gap_head":
        return setup.gap_head
    if setup.ask in ("flatten_head", "conv_params"):
        return setup.flatten_head
    if setup.ask == "kernel":
        return [h, w]
    if setup.ask == "conv_shape":
        return [n, conv_output_size(h, h), conv_output_size(w, w)]
    if setup.ask == "ratio":
        return float(Fraction(setup.flatten_head, setup.gap_head))
    if setup.ask == "sliding":
        big_h, big_w = setup.large_map
        return [n, conv_output_size(big_h, h), conv_output_size(big_w, w)]
    if setup.ask == "conv_downsample":
        return [n, conv_output_size(h, 3, 2, 1), conv_output_size(w, 3, 2, 1)]
    if setup.ask == "pool_downsample":
        return [c, pool_output_size(h, 2, 2), pool_output_size(w, 2, 2)]
    return setup.strided_conv  # downsample_params: the pooling has none


def build(setup: Setup, seed: int = 0, difficulty: int = 2) -> Exercise:
    """The exercise for ``setup``: ``generate`` draws the setup, a test can pass its own."""
    if setup.ask in SHAPE_ASKS or setup.ask == "kernel":
        kind, names = AnswerKind.SHAPE, ("channels", "height", "width")
        grading = {"names": ("height", "width") if setup.ask == "kernel" else names}
    else:
        kind, grading = AnswerKind.NUMBER, {}
    return Exercise(
        family=ID,
        seed=seed,
        difficulty=difficulty,
        prompt=_prompt(setup),
        answer_kind=kind,
        expected=_answer(setup),
        params=asdict(setup),
        solution=_solution(setup),
        hint=_HINTS[setup.ask],
        grading=grading,
        picture=_picture(setup),
    )


VALUES, PARAMETERS = "values", "parameters"


def _shape_text(shape: tuple[int, ...]) -> str:
    return "×".join(str(d) for d in shape)


def _bars_picture(title: str, bars: list[Bar], caption: str) -> BarsPicture:
    """The bars side by side, on a log axis when their numbers are orders of magnitude apart
    (and none is 0)."""
    values = [value for bar in bars for _, value in bar.parts]
    series = {name for bar in bars for name, _ in bar.parts}
    return BarsPicture(
        title=title,
        bars=tuple(bars),
        axis=series.pop() if len(series) == 1 else "values and parameters",
        log_scale=log_scale(values),
        caption=caption,
    )


def _picture(setup: Setup) -> BarsPicture:
    """What the question is about, in numbers: the values a tensor holds (its shape beside it)
    and the parameters of a layer, for the map and the layers the question compares."""
    c, h, w, n, ask = setup.channels, setup.height, setup.width, setup.outputs, setup.ask
    feature_map = Bar("feature map", ((VALUES, setup.flat),), (c, h, w))
    if ask in ("gap_shape", "gap_params"):
        parts: tuple[tuple[str, float], ...] = ((VALUES, c),)
        if ask == "gap_params":
            parts += ((PARAMETERS, 0),)
        pooled = Bar(
            "global average pooling",
            parts,
            (c, 1, 1),
            note="AdaptiveAvgPool2d(1)",
            asked=(VALUES,) if ask == "gap_shape" else (PARAMETERS,),
        )
        return _bars_picture(
            "Values in and out of global average pooling",
            [feature_map, pooled],
            f"Each channel's {h * w} values become their mean: {count_text(setup.flat)} values "
            f"in, {c} out ({_shape_text((c, 1, 1))}), and nothing to learn (0 parameters).",
        )
    if ask in ("gap_head", "flatten_head", "ratio"):
        heads = [
            Bar(
                f"(a) GAP, nn.Linear({c}, {n})",
                ((VALUES, c), (PARAMETERS, setup.gap_head)),
                (c,),
                note=f"{c}·{n} + {n}",
                asked=(PARAMETERS,) * (ask != "flatten_head"),
            ),
            Bar(
                f"(b) flatten, nn.Linear({setup.flat}, {n})",
                ((VALUES, setup.flat), (PARAMETERS, setup.flatten_head)),
                (setup.flat,),
                note=f"{count_text(setup.flat)}·{n} + {n}",
                asked=(PARAMETERS,) * (ask != "gap_head"),
            ),
        ]
        ratio = Fraction(setup.flatten_head, setup.gap_head)
        times = ratio_text(ratio)
        return _bars_picture(
            "The two heads: values into the linear layer, and its parameters",
            [feature_map, *heads],
            f"Global average pooling hands the linear layer {c} values, flattening "
            f"{count_text(setup.flat)}: head (b) has {times} times the parameters of head (a).",
        )
    if ask in ("kernel", "conv_params", "conv_shape"):
        weights = ((PARAMETERS, setup.flatten_head), (VALUES, n))
        return _bars_picture(
            "The same layer, flattened or as a convolution",
            [
                Bar(
                    "feature map",
                    ((VALUES, setup.flat),),
                    (c, h, w),
                    note=f"the kernel covers all of it: {h}×{w}",
                    asked=(VALUES,) * (ask == "kernel"),
                ),
                Bar(
                    f"nn.Linear({setup.flat}, {n})",
                    weights,
                    (n,),
                    note=f"{count_text(setup.flat)}·{n} + {n}",
                ),
                Bar(
                    f"nn.Conv2d({c}, {n}, kernel_size=({h}, {w}))",
                    weights,
                    (n, 1, 1),
                    note=f"{n}·{c}·{h}·{w} + {n}",
                    asked=(PARAMETERS,) * (ask == "conv_params")
                    + (VALUES,) * (ask == "conv_shape"),
                ),
            ],
            f"Both layers have {count_text(setup.flatten_head)} parameters and give {n} "
            f"outputs: the convolution's {_shape_text((n, 1, 1))} output is the linear layer's "
            f"{n} values.",
        )
    if ask == "sliding":
        big_h, big_w = setup.large_map
        out = (n, big_h - h + 1, big_w - w + 1)
        bars = [
            Bar(
                "map it was trained on",
                ((VALUES, setup.flat),),
                (c, h, w),
                note=f"kernel {h}×{w}: one output position",
            ),
            Bar("larger map", ((VALUES, c * big_h * big_w),), (c, big_h, big_w)),
            Bar(
                "converted layer's output",
                ((VALUES, out[0] * out[1] * out[2]),),
                out,
                note=f"{out[1]}·{out[2]} positions × {count_text(n)}",
                asked=(VALUES,),
            ),
        ]
        return _bars_picture(
            "Values of the maps and of the converted layer's output",
            bars,
            f"The {h}×{w} kernel fits {out[1]} × {out[2]} times on the {big_h}×{big_w} map: "
            f"{out[1] * out[2]} positions, {count_text(n)} outputs each, "
            f"{count_text(out[0] * out[1] * out[2])} values.",
        )
    conv_shape = (n, conv_output_size(h, 3, 2, 1), conv_output_size(w, 3, 2, 1))
    pool_shape = (c, pool_output_size(h, 2, 2), pool_output_size(w, 2, 2))
    bars = [
        feature_map,
        Bar(
            "(a) strided conv 3×3, stride 2",
            (
                (VALUES, conv_shape[0] * conv_shape[1] * conv_shape[2]),
                (PARAMETERS, setup.strided_conv),
            ),
            conv_shape,
            note=f"{n}·{c}·3·3 + {n} parameters",
            asked=(VALUES,)
            if ask == "conv_downsample"
            else (PARAMETERS,) * (ask != "pool_downsample"),
        ),
        Bar(
            "(b) max pooling 2×2, stride 2",
            ((VALUES, pool_shape[0] * pool_shape[1] * pool_shape[2]), (PARAMETERS, 0)),
            pool_shape,
            note="no parameters",
            asked=(VALUES,)
            if ask == "pool_downsample"
            else (PARAMETERS,) * (ask != "conv_downsample"),
        ),
    ]
    return _bars_picture(
        "Downsampling: output values and parameters",
        bars,
        f"On the {h}×{w} map the strided convolution gives {_shape_text(conv_shape[1:])} and "
        f"has {count_text(setup.strided_conv)} parameters; max pooling gives "
        f"{_shape_text(pool_shape[1:])} and has none.",
    )


_GAP_HINT = (
    "The argument of `nn.AdaptiveAvgPool2d` is the **output** size, not the window's; "
    "pooling works on each channel on its own."
)
_FC_HINT = (
    "One output of the fully connected layer sees every value of the map, so one filter of the "
    "convolution must cover the whole map: $C \\times H \\times W$."
)
_DOWN_HINT = (
    "Per axis, $o = \\lfloor (i + 2p - k)/s \\rfloor + 1$; a convolution outputs one channel "
    "per filter, pooling keeps the channels."
)
_HINTS = {
    "gap_shape": _GAP_HINT,
    "gap_params": "Average pooling divides the sum of each window by the number of values in it. "
    "Which of these numbers would training change?",
    "gap_head": "Global average pooling leaves one number per channel; the `nn.Linear` after it "
    "has a weight from each of them to each class, and one bias per class.",
    "flatten_head": "`nn.Flatten()` keeps every value of the map: $C \\cdot H \\cdot W$ inputs "
    "to the `nn.Linear`, each with a weight to each class, plus one bias per class.",
    "kernel": _FC_HINT,
    "conv_params": _FC_HINT + " Rewriting changes the shape of the weights, not their number.",
    "conv_shape": _FC_HINT + " Then use $o = \\lfloor (i + 2p - k)/s \\rfloor + 1$ per axis.",
    "ratio": "Count both heads: $C k + k$ for (a), $C H W k + k$ for (b). Then divide.",
    "sliding": "The converted layer's kernel is the size of the map it was trained on; at "
    "stride 1 without padding a $k$-wide kernel fits $i - k + 1$ times along an axis of $i$.",
    "conv_downsample": _DOWN_HINT,
    "pool_downsample": _DOWN_HINT,
    "downsample_params": "The convolution has $C'$ filters of $C \\times 3 \\times 3$ and one "
    "bias per filter. What does max pooling learn?",
}


def _shape_answers(answers: list[tuple[str, list[int]]]) -> list[tuple[str, Any]]:
    """Drop a mistaken shape with a size below 1: no student would write it."""
    return [(tag, shape) for tag, shape in answers if min(shape) >= 1]


def mistakes(exercise: Exercise) -> list[Mistake]:
    """Each mistaken answer, computed from this question's numbers."""
    setup = Setup.from_params(dict(exercise.params))
    c, h, w, n = setup.channels, setup.height, setup.width, setup.outputs
    answers: list[tuple[str, Any]]
    if setup.ask == "gap_shape":
        answers = [("window_taken_as_1x1", [c, h, w])]
    elif setup.ask == "gap_params":
        answers = [
            ("pooling_counted_with_weights", setup.flat),  # a weight per averaged value
            ("pooling_counted_with_weights", h * w),  # one H x W window of weights
            ("pooling_counted_with_weights", c),  # one weight per channel
        ]
    elif setup.ask == "gap_head":
        answers = [
            ("bias_forgotten", c * n),
            ("window_taken_as_1x1", setup.flatten_head),
            ("pooling_counted_with_weights", setup.gap_head + setup.flat),
        ]
    elif setup.ask == "flatten_head":
        answers = [("bias_forgotten", setup.flat * n), ("not_flattened", setup.gap_head)]
    elif setup.ask == "kernel":
        answers = [("window_taken_as_1x1", [1, 1])]
    elif setup.ask == "conv_params":
        answers = [("bias_forgotten", setup.flat * n), ("window_taken_as_1x1", c * n + n)]
    elif setup.ask == "conv_shape":
        answers = [("window_taken_as_1x1", [n, h, w])]
    elif setup.ask == "ratio":
        answers = [
            ("ratio_inverted", float(Fraction(setup.gap_head, setup.flatten_head))),
            ("bias_forgotten", float(h * w)),  # C H W k / (C k)
            ("not_flattened", 1.0),  # head (b) counted as nn.Linear(C, k): the same as (a)
            ("window_taken_as_1x1", 1.0),  # head (a) keeping the whole map: the same as (b)
        ]
    elif setup.ask == "sliding":
        big_h, big_w = setup.large_map
        answers = _shape_answers(
            [
                ("forgot_plus_one", [n, big_h - h, big_w - w]),
                ("window_taken_as_1x1", [n, big_h, big_w]),
            ]
        )
    elif setup.ask == "conv_downsample":
        answers = _shape_answers(
            [
                ("forgot_plus_one", [n, (h - 1) // 2, (w - 1) // 2]),
                ("ceil_instead_of_floor", [n, -(-(h - 1) // 2) + 1, -(-(w - 1) // 2) + 1]),
            ]
        )
    elif setup.ask == "pool_downsample":
        answers = _shape_answers(
            [
                ("forgot_plus_one", [c, (h - 2) // 2, (w - 2) // 2]),
                ("ceil_instead_of_floor", [c, -(-(h - 2) // 2) + 1, -(-(w - 2) // 2) + 1]),
            ]
        )
    else:  # downsample_params
        answers = [
            ("bias_forgotten", setup.strided_conv - n),
            ("pooling_counted_with_weights", setup.strided_conv - 4 * c),  # 2 x 2 per channel
        ]
    return [Mistake(tag, _message(tag, setup), answer) for tag, answer in answers]


def _message(tag: str, setup: Setup) -> str:
    if tag == "bias_forgotten" and setup.ask == "ratio":
        return _MESSAGES[tag] + _RATIO_BIASES
    return _MESSAGES[tag]


_RATIO_BIASES = (
    " In the ratio they do not cancel: "
    "$\\dfrac{C H W k + k}{C k + k} = \\dfrac{C H W + 1}{C + 1}$, a little less than $H W$."
)


_MESSAGES = {
    "pooling_counted_with_weights": "Pooling has **no learnable parameters**. Global average "
    "pooling takes the mean of each channel, max pooling the largest value of each window: "
    "fixed rules, applied to each channel separately, with nothing to learn. Only the "
    "`nn.Linear` and `nn.Conv2d` layers have weights and biases.",
    "not_flattened": "`nn.Flatten()` keeps **every** value: the $C \\times H \\times W$ map "
    "becomes $C \\cdot H \\cdot W$ features, and the fully connected layer has a weight from each "
    "of them to each output, $C H W \\cdot k$ weights (plus $k$ biases), not $C \\cdot k$. Only "
    "global average pooling first shrinks each channel to one number.",
    "bias_forgotten": "Count the biases: every `nn.Linear` and `nn.Conv2d` here has one bias per "
    "output (per output value of a linear layer, per filter of a convolution).",
    "window_taken_as_1x1": "A global layer's window is the **whole** map. "
    "`nn.AdaptiveAvgPool2d(1)` fixes the *output* size to $1 \\times 1$: its one window covers "
    "all $H \\times W$ positions of each channel (a $1 \\times 1$ window would change nothing). "
    "Likewise a fully connected layer written as a convolution needs a kernel as large as the "
    "map it reads, $H \\times W$, so that each output sees every value; a $1 \\times 1$ kernel "
    "would only mix the channels at each position.",
    "forgot_plus_one": "Count window positions with $o = \\lfloor (i + 2p - k)/s \\rfloor + 1$: "
    "the first window sits at position 0 and each step of $s$ adds one more, so keep the "
    "$+ 1$. At stride 1 without padding a $k$-wide window fits $i - k + 1$ times along $i$.",
    "ratio_inverted": "That is the ratio the other way round, (a)/(b). The question asks for "
    "(b)/(a): how many times more parameters the flattening head has, a number above 1.",
    "ceil_instead_of_floor": "You rounded **up**. A window that would run past the (padded) edge "
    "is dropped, so output sizes round **down**: $o = \\lfloor (i + 2p - k)/s \\rfloor + 1$ "
    "(PyTorch's default, `ceil_mode=False`). On an odd size, $2 \\times 2$ pooling with stride 2 "
    "leaves the last row or column out.",
}


def _map(setup: Setup) -> str:
    return (
        f"${latex.shape((setup.channels, setup.height, setup.width))}$ "
        "(*channels × height × width*)"
    )


def _prompt(setup: Setup) -> str:
    ask = setup.ask
    if ask in ("gap_shape", "gap_params"):
        return _gap_prompt(setup)
    if ask in ("gap_head", "flatten_head", "ratio"):
        return _head_prompt(setup)
    if ask in ("kernel", "conv_params", "conv_shape"):
        return _fc_prompt(setup)
    if ask == "sliding":
        return _sliding_prompt(setup)
    return _downsample_prompt(setup)


def _gap_prompt(setup: Setup) -> str:
    question = (
        "What is the shape of its output? Answer as *channels × height × width*."
        if setup.ask == "gap_shape"
        else "How many learnable parameters does this pooling layer have?"
    )
    return (
        f"A feature map of shape {_map(setup)} goes through global average pooling, "
        f"`nn.AdaptiveAvgPool2d(1)`, as at the end of a ResNet. {question}"
    )


def _head_prompt(setup: Setup) -> str:
    k = setup.outputs
    questions = {
        "gap_head": "How many learnable parameters (weights plus biases) does head **(a)** have?",
        "flatten_head": "How many learnable parameters (weights plus biases) does head **(b)** "
        "have?",
        "ratio": "How many times more learnable parameters (weights plus biases) does head "
        "**(b)** have than head **(a)**? Give the exact quotient (b)/(a): a whole number, or a "
        "fraction such as `3/4` (a decimal to 7 significant digits is accepted too).",
    }
    return "\n".join(
        [
            f"The last conv layer of a CNN outputs a feature map of shape {_map(setup)}. "
            f"A classification head turns it into scores for ${k}$ classes, in one of two ways:",
            "",
            "- **(a) global average pooling**: `nn.AdaptiveAvgPool2d(1)`, `nn.Flatten()`, then a "
            f"fully connected layer `nn.Linear` to the ${k}$ class scores;",
            "- **(b) flattening**: `nn.Flatten()`, then a fully connected layer `nn.Linear` to "
            f"the ${k}$ class scores.",
            "",
            "Each `nn.Linear` has a bias, one per output (PyTorch's default).",
            "",
            questions[setup.ask],
        ]
    )


def _fc_prompt(setup: Setup) -> str:
    c, n, flat = setup.channels, setup.outputs, setup.flat
    questions = {
        "kernel": "What kernel size must the convolution have? Answer as *height × width*.",
        "conv_params": "How many learnable parameters (weights plus biases) does the "
        "convolution have?",
        "conv_shape": "What is the shape of the convolution's output on this map? Answer as "
        "*channels × height × width*.",
    }
    return (
        f"A fully connected layer `nn.Linear({flat}, {n})` reads a feature map of shape "
        f"{_map(setup)}, flattened into ${_n(flat)}$ values: each of its ${n}$ outputs is a "
        "weighted sum of all of them, plus a bias. The same layer can be written as a "
        f"convolution `nn.Conv2d({c}, {n}, kernel_size=…)` on the map itself — stride $1$, no "
        "padding, with a bias — that computes the same "
        f"${n}$ numbers with the same weights, reshaped. {questions[setup.ask]}"
    )


def _sliding_prompt(setup: Setup) -> str:
    c, h, w, n, s = setup.channels, setup.height, setup.width, setup.outputs, setup.net_stride
    if s:
        trained = (
            f"The conv layers of a classifier turn a ${s * h} \\times {s * w}$ training image "
            f"into a feature map of shape {_map(setup)}"
        )
        larger = (
            f"The conv layers before it downsample by a total stride of ${s}$: their map is "
            f"${s}$ times smaller than the image in height and in width (every image side here "
            f"is a multiple of ${s}$, so nothing is rounded). The network now gets an image of "
            f"${setup.large_height} \\times {setup.large_width}$ pixels (*height × width*)."
        )
    else:
        trained = f"The conv layers of a classifier end in a feature map of shape {_map(setup)}"
        larger = (
            "On a larger image the conv layers produce a map of shape "
            f"${latex.shape((c, setup.large_height, setup.large_width))}$."
        )
    return "\n\n".join(
        [
            f"{trained}; its first fully connected layer, `nn.Linear({setup.flat}, {n})`, reads "
            "that map flattened. To run the network on larger images in one pass, the layer is "
            f"rewritten as the equivalent convolution `nn.Conv2d({c}, {n}, kernel_size=…)`: "
            "stride $1$, no padding, the same weights reshaped and the same bias. The network is "
            "now fully convolutional: the converted layer slides over whatever map it gets.",
            larger,
            "What is the shape of the converted layer's output? Answer as "
            "*channels × height × width*.",
        ]
    )


def _downsample_prompt(setup: Setup) -> str:
    c, c_out = setup.channels, setup.outputs
    questions = {
        "conv_downsample": "What is the shape of the output of **(a)**? Answer as "
        "*channels × height × width*.",
        "pool_downsample": "What is the shape of the output of **(b)**? Answer as "
        "*channels × height × width*.",
        "downsample_params": "How many more learnable parameters (weights plus biases) does "
        "**(a)** have than **(b)**?",
    }
    return "\n".join(
        [
            f"A feature map of shape {_map(setup)} is to be downsampled by about $2$ in height "
            "and width, in one of two ways:",
            "",
            "- **(a) a strided convolution** "
            f"`nn.Conv2d({c}, {c_out}, kernel_size=3, stride=2, padding=1)`: ${c_out}$ filters "
            "of $3 \\times 3$, stride $2$, padding $1$ on each side, with a bias (PyTorch's "
            "default);",
            "- **(b) max pooling** `nn.MaxPool2d(kernel_size=2, stride=2)`: $2 \\times 2$ "
            "windows, stride $2$, no padding.",
            "",
            "Where a window does not fit evenly, sizes round down (PyTorch's default, "
            "`ceil_mode=False` for the pooling).",
            "",
            questions[setup.ask],
        ]
    )


def _solution(setup: Setup) -> tuple[str, ...]:
    ask = setup.ask
    if ask in ("gap_shape", "gap_params"):
        return _gap_solution(setup)
    if ask in ("gap_head", "flatten_head", "ratio"):
        return _head_solution(setup)
    if ask in ("kernel", "conv_params", "conv_shape"):
        return _fc_solution(setup)
    if ask == "sliding":
        return _sliding_solution(setup)
    return _downsample_solution(setup)


def _gap_solution(setup: Setup) -> tuple[str, ...]:
    c, h, w = setup.channels, setup.height, setup.width
    steps = [
        "`nn.AdaptiveAvgPool2d(1)` asks for an output of $1 \\times 1$ per channel (the argument "
        f"is the output size): its one window covers all ${h} \\times {w} = {h * w}$ positions "
        "of a channel, and the output is their mean.",
    ]
    if setup.ask == "gap_shape":
        steps += [
            f"Each channel is pooled on its own, so the ${c}$ channels stay.",
            f"Output shape: ${latex.shape((c, 1, 1))}$ — ${c}$ numbers, one per channel.",
        ]
    else:
        steps += [
            f"The mean $\\tfrac{{1}}{{{h * w}}} \\sum$ of a channel's values is a fixed rule: the "
            f"factor $\\tfrac{{1}}{{{h * w}}}$ comes from the map size, nothing is learnt.",
            "Answer: $0$ learnable parameters. That is why a head with global average pooling "
            "is so small: only the layers after it learn.",
        ]
    return tuple(steps)


def _head_solution(setup: Setup) -> tuple[str, ...]:
    c, h, w, k, flat = setup.channels, setup.height, setup.width, setup.outputs, setup.flat
    head_a = (
        f"global average pooling leaves ${c}$ numbers, one per channel, and has no parameters, "
        f"so the layer is `nn.Linear({c}, {k})`: ${c} \\cdot {k} = {_n(c * k)}$ weights plus "
        f"${k}$ biases, ${_n(setup.gap_head)}$ parameters."
    )
    head_b = (
        f"flattening keeps all ${c} \\cdot {h} \\cdot {w} = {_n(flat)}$ values, so the layer is "
        f"`nn.Linear({flat}, {k})`: ${_n(flat)} \\cdot {k} = {_n(flat * k)}$ weights plus "
        f"${k}$ biases, ${_n(setup.flatten_head)}$ parameters."
    )
    ratio = Fraction(setup.flatten_head, setup.gap_head)
    compare = (
        f"$\\dfrac{{{_n(setup.flatten_head)}}}{{{_n(setup.gap_head)}}} = "
        f"\\dfrac{{{_n(flat)} + 1}}{{{c} + 1}} = {_ratio(ratio)}$: the ${k}$ classes cancel, and "
        f"without the biases the ratio would be exactly $H W = {h * w}$."
    )
    if setup.ask == "gap_head":
        return (
            f"Head (a): {head_a}",
            f"Answer: ${_n(setup.gap_head)}$.",
            f"For comparison, in head (b) {head_b} That is ${_ratio(ratio)}$ times as many.",
        )
    if setup.ask == "flatten_head":
        return (
            f"Head (b): {head_b}",
            f"Answer: ${_n(setup.flatten_head)}$.",
            f"For comparison, in head (a) {head_a}",
        )
    return (
        f"Head (a): {head_a}",
        f"Head (b): {head_b}",
        f"(b)/(a): {compare}",
        f"Answer: ${_ratio(ratio)}$.",
    )


def _fc_solution(setup: Setup) -> tuple[str, ...]:
    c, h, w, n, flat = setup.channels, setup.height, setup.width, setup.outputs, setup.flat
    steps = [
        f"Each of the ${n}$ outputs sees every value of the ${latex.shape((c, h, w))}$ map, so "
        f"each of the ${n}$ filters must cover the whole map: ${latex.shape((c, h, w))}$, a "
        f"kernel of ${h} \\times {w}$ — `nn.Conv2d({c}, {n}, kernel_size=({h}, {w}))`.",
    ]
    if setup.ask == "kernel":
        steps.append(
            f"Check: with stride $1$ and no padding the output is $({h} - {h})/1 + 1 = 1$ by "
            f"$({w} - {w})/1 + 1 = 1$ with ${n}$ channels: the ${n}$ outputs of the linear layer."
        )
        steps.append(f"Answer: ${h} \\times {w}$.")
    elif setup.ask == "conv_params":
        steps += [
            f"Weights: ${n}$ filters of ${c} \\cdot {h} \\cdot {w} = {_n(flat)}$: "
            f"${n} \\cdot {_n(flat)} = {_n(n * flat)}$ — exactly the weights of "
            f"`nn.Linear({flat}, {n})`, reshaped from ${n} \\times {_n(flat)}$ to "
            f"${latex.shape((n, c, h, w))}$.",
            f"Plus ${n}$ biases, one per filter (one per output of the linear layer): "
            f"${_n(setup.flatten_head)}$ parameters, the same as the fully connected layer.",
        ]
    else:
        steps += [
            f"Height: $({h} - {h})/1 + 1 = 1$; width: $({w} - {w})/1 + 1 = 1$: the kernel fits "
            f"once. Channels: one per filter, ${n}$.",
            f"Output shape: ${latex.shape((n, 1, 1))}$ — the ${n}$ outputs of the linear layer.",
        ]
    return tuple(steps)


def _sliding_solution(setup: Setup) -> tuple[str, ...]:
    c, h, w, n, s = setup.channels, setup.height, setup.width, setup.outputs, setup.net_stride
    (big_h, big_w), steps = setup.large_map, []
    if s:
        steps.append(
            f"The map of the larger image: ${setup.large_height}/{s} = {big_h}$ by "
            f"${setup.large_width}/{s} = {big_w}$, so ${latex.shape((c, big_h, big_w))}$."
        )
    out_h, out_w = big_h - h + 1, big_w - w + 1
    steps += [
        f"The converted layer has ${n}$ filters of ${latex.shape((c, h, w))}$: a "
        f"${h} \\times {w}$ kernel, the size of the map `nn.Linear({setup.flat}, {n})` was "
        "trained on.",
        f"At stride $1$ without padding it fits ${big_h} - {h} + 1 = {out_h}$ times down and "
        f"${big_w} - {w} + 1 = {out_w}$ times across; one channel per filter: ${n}$.",
        f"Output shape: ${latex.shape((n, out_h, out_w))}$.",
    ]
    crops = (
        f"${s * h} \\times {s * w}$ crops of the image, ${s}$ pixels apart"
        if s
        else f"${h} \\times {w}$ windows of the larger map"
    )
    steps.append(
        f"Each of the ${out_h} \\cdot {out_w} = {out_h * out_w}$ positions holds the ${n}$ "
        f"outputs the original network gives on one of the {crops} — all in one pass, sharing "
        "the computation of the overlapping parts."
    )
    return tuple(steps)


def _downsample_solution(setup: Setup) -> tuple[str, ...]:
    c, h, w, c_out = setup.channels, setup.height, setup.width, setup.outputs
    conv = (
        f"(a): height $\\lfloor ({h} + 2 \\cdot 1 - 3)/2 \\rfloor + 1 = "
        f"{conv_output_size(h, 3, 2, 1)}$, width $\\lfloor ({w} + 2 \\cdot 1 - 3)/2 \\rfloor + 1 "
        f"= {conv_output_size(w, 3, 2, 1)}$, one channel per filter: "
        f"${latex.shape((c_out, conv_output_size(h, 3, 2, 1), conv_output_size(w, 3, 2, 1)))}$."
    )
    pool = (
        f"(b): height $\\lfloor ({h} - 2)/2 \\rfloor + 1 = {pool_output_size(h, 2, 2)}$, width "
        f"$\\lfloor ({w} - 2)/2 \\rfloor + 1 = {pool_output_size(w, 2, 2)}$; pooling keeps the "
        f"channels: ${latex.shape((c, pool_output_size(h, 2, 2), pool_output_size(w, 2, 2)))}$."
    )
    odd = (
        "On an odd size they differ: the padded convolution's last window still fits (it "
        "covers the last row or column and the padding), the pooling window does not, so it "
        "drops the last row or column."
    )
    if setup.ask == "conv_downsample":
        return (conv, f"Answer: ${latex.shape(_answer(setup))}$.", f"For comparison, {pool}", odd)
    if setup.ask == "pool_downsample":
        return (pool, f"Answer: ${latex.shape(_answer(setup))}$.", f"For comparison, {conv}", odd)
    weights = c_out * c * 9
    return (
        f"(a) ${c_out}$ filters of ${c} \\times 3 \\times 3$: ${c_out} \\cdot {c} \\cdot 9 = "
        f"{_n(weights)}$ weights plus ${c_out}$ biases, ${_n(setup.strided_conv)}$ parameters.",
        "(b) Max pooling takes the largest value of each window: a fixed rule, $0$ parameters.",
        f"Difference: ${_n(setup.strided_conv)} - 0 = {_n(setup.strided_conv)}$. The strided "
        "convolution learns how to downsample (and can change the channels); pooling is free.",
    )


def reference(exercise: Exercise) -> Any:
    """Recompute with the engine: sizes by sliding windows with the plain loops of
    ``engine.reference`` over one channel of zeros (global average pooling as an average pool
    whose window is the whole map), channels counted one by one, and every fully connected
    layer counted as the convolution it equals (``nn.Linear(C·H·W, n)`` =
    ``nn.Conv2d(C, n, (H, W))``, and ``nn.Linear(C, k)`` a ``1 × 1`` one on the pooled map) with
    ``engine.conv2d_parameter_count``."""
    setup = Setup.from_params(dict(exercise.params))
    c, h, w, n, ask = setup.channels, setup.height, setup.width, setup.outputs, setup.ask
    plane = np.zeros((1, 1, h, w))
    if ask == "gap_shape":
        pooled = engine_reference.avg_pool2d(plane, (h, w))
        return [_count(c), *np.shape(pooled)[2:]]
    if ask == "gap_params":
        return 0  # an average pool holds no tensor to learn: its divisor comes from the window
    if ask == "gap_head":
        return conv2d_parameter_count(c, n, 1)
    if ask in ("flatten_head", "conv_params"):
        return conv2d_parameter_count(c, n, (h, w))
    if ask == "kernel":
        for kh in range(1, h + 1):
            for kw in range(1, w + 1):
                if conv2d_output_shape((c, h, w), (n, c, kh, kw)) == (n, 1, 1):
                    return [kh, kw]
        raise AssertionError("no kernel gives a 1 x 1 output")
    if ask == "conv_shape":
        out = engine_reference.conv2d(plane, np.zeros((1, 1, h, w)))
        return [_count(n), *np.shape(out)[2:]]
    if ask == "ratio":
        return float(
            Fraction(conv2d_parameter_count(c, n, (h, w)), conv2d_parameter_count(c, n, 1))
        )
    if ask == "sliding":
        big: tuple[int, ...] = (c, setup.large_height, setup.large_width)
        if setup.net_stride:  # the layers before: shrink by exactly the total stride
            big = max_pool2d_output_shape(big, setup.net_stride)
        out = engine_reference.conv2d(np.zeros((1, 1, *big[1:])), np.zeros((1, 1, h, w)))
        return [_count(n), *np.shape(out)[2:]]
    if ask == "conv_downsample":
        out = engine_reference.conv2d(plane, np.zeros((1, 1, 3, 3)), stride=2, padding=1)
        return [_count(n), *np.shape(out)[2:]]
    if ask == "pool_downsample":
        out = engine_reference.max_pool2d(plane, 2, 2)
        return [_count(c), *np.shape(out)[2:]]
    return conv2d_parameter_count(c, n, 3) - 0  # max pooling: no parameters


def _count(channels: int) -> int:
    """Count the channels one by one (each filter or pooled channel gives one)."""
    total = 0
    for _channel in range(channels):
        total += 1
    return total


FAMILY = Family(
    id=ID,
    title="Global average pooling and fully connected layers as convolutions",
    answer_kind=AnswerKind.NUMBER,
    description="Global average pooling against flattening in a classification head, a fully "
    "connected layer written as a convolution (its kernel, parameters and output, also slid "
    "over a larger input), and a strided convolution against max pooling for downsampling.",
    generate=generate,
    mistakes=mistakes,
    mistake_tags=MISTAKES,
    reference=reference,
)
