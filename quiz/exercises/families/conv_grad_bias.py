"""∂L/∂b_u of a convolutional layer: the bias is added to every output entry of its filter.

O[n][u][y][x] = b[u] + (Σ of products), so ∂O[n][u][y][x]/∂b[u] = 1 and::

    ∂L/∂b[u] = Σ_n Σ_y Σ_x G[n][u][y][x]        (G = ∂L/∂O; the input and weights are not needed)

Difficulty 1: one filter, a 2×2 upstream gradient.
Difficulty 2: two filters with 3×3 gradients; the question asks for one filter's bias.
Difficulty 3: a batch of two examples, one filter, 2×2 to 3×3 gradients: sum over the batch too.

``tensors["G"]`` is always 4-D (N, C_out, H_out, W_out).

Mistakes detected: ``not_summed`` (only the first entry), ``averaged_over_positions`` (the mean
over the output positions), ``wrong_filter`` and ``all_filters_summed`` (d2), and
``batch_not_summed`` and ``batch_averaged`` (d3: only the first example; divided by the batch).

Picture (difficulty 1 only): G with one window covering all of it; the single output cell is
∂L/∂b, the sum of everything in the window. At d2 and d3 the answer sums a plane that is not
G's first (another filter's, or two examples'), which the picture (first plane of a tensor
shown with the prompt) cannot draw without a helper array that would give a step away.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from engine import conv2d_backward
from engine import reference as engine_reference
from quiz.exercises import latex
from quiz.exercises.base import Exercise, Family, Mistake, Picture, rng_for
from quiz.exercises.families.tensors import additions, as_list, integers, matrix, number
from quiz.grading import AnswerKind

ID = "conv-grad-bias"

MISTAKES = {
    "not_summed": "gave only the first entry of the upstream gradient",
    "averaged_over_positions": "averaged over the output positions instead of summing",
    "wrong_filter": "summed the other filter's gradient",
    "all_filters_summed": "summed the gradients of every filter",
    "batch_not_summed": "used only the first example of the batch",
    "batch_averaged": "divided the sum by the batch size",
}


@dataclass(frozen=True)
class Setup:
    """A conv layer (k×k kernels, stride 1, no padding), a batch, and the asked filter (0-based)."""

    batch: int
    channels: int
    filters: int
    kernel: int
    out_height: int
    out_width: int
    filter: int = 0

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Setup:
        return cls(**{name: int(params[name]) for name in cls.__dataclass_fields__})

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        k = self.kernel
        return self.batch, self.channels, self.out_height + k - 1, self.out_width + k - 1

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        return self.filters, self.channels, self.kernel, self.kernel

    @property
    def grad_shape(self) -> tuple[int, int, int, int]:
        return self.batch, self.filters, self.out_height, self.out_width


def generate(seed: int, difficulty: int) -> Exercise:
    rng = rng_for(seed, difficulty)
    channels, kernel = int(rng.choice([1, 2, 3])), int(rng.choice([2, 3]))
    if difficulty == 1:
        setup = Setup(1, channels, 1, kernel, 2, 2)
    elif difficulty == 2:
        setup = Setup(1, channels, 2, kernel, 3, 3, filter=int(rng.integers(0, 2)))
    else:
        height, width = (int(v) for v in rng.integers(2, 4, size=2))
        setup = Setup(2, channels, 1, kernel, height, width)
    g = integers(rng, setup.grad_shape, nonzero=True)
    _, _, grad_b = conv2d_backward(g, np.zeros(setup.input_shape), np.zeros(setup.weight_shape))
    assert grad_b is not None  # the layer has a bias (conv2d_backward's default)
    answer = float(grad_b[setup.filter])
    return Exercise(
        family=ID,
        seed=seed,
        difficulty=difficulty,
        prompt=_prompt(setup, g),
        answer_kind=AnswerKind.NUMBER,
        expected=answer,
        params=asdict(setup),
        tensors={"G": as_list(g)},
        solution=_solution(setup, g, answer),
        hint="The bias is added to every output entry of its filter, so "
        "$\\partial O/\\partial b = 1$ there: add up that filter's upstream gradient.",
        picture=_picture(setup, answer),
    )


def _picture(setup: Setup, answer: float) -> Picture | None:
    """One window over all of G, when G's first plane is the whole computation (d1)."""
    if setup.batch > 1 or setup.filters > 1:
        return None
    return Picture(
        input="G",
        output=((answer,),),
        window=(setup.out_height, setup.out_width),
        output_title="∂L/∂b",
    )


def mistakes(exercise: Exercise) -> list[Mistake]:
    setup = Setup.from_params(dict(exercise.params))
    g = np.asarray(exercise.tensors["G"], dtype=float)
    u = setup.filter
    right = g[:, u].sum()
    found = [
        ("not_summed", g[0, u, 0, 0]),
        ("averaged_over_positions", right / (setup.out_height * setup.out_width)),
    ]
    if setup.filters > 1:
        found.append(("wrong_filter", g[:, 1 - u].sum()))
        found.append(("all_filters_summed", g.sum()))
    if setup.batch > 1:
        found.append(("batch_not_summed", g[0, u].sum()))
        found.append(("batch_averaged", right / setup.batch))
    return [Mistake(tag, _MESSAGES[tag], float(answer)) for tag, answer in found]


_MESSAGES = {
    "not_summed": "You gave only the first entry of $G$. The bias is added to **every** output "
    "entry of its filter, so each entry contributes $G[y][x] \\cdot 1$: add them all up.",
    "averaged_over_positions": "You averaged. The chain rule **adds** the contributions of "
    "every output entry the bias was added to: $\\partial L/\\partial b = \\sum_{y,x} G[y][x]$, "
    "no division.",
    "wrong_filter": "That is the other filter's bias gradient: $b_u$ only reaches output "
    "channel $u$, so sum $G_u$ only.",
    "all_filters_summed": "You summed every filter's gradient. Each filter has its own bias "
    "$b_u$, added only to output channel $u$: sum $G_u$ only.",
    "batch_not_summed": "You used only the first example. The same bias is used for every "
    "example of the batch, so sum over the batch too: "
    "$\\partial L/\\partial b = \\sum_n \\sum_{y,x} G[n][y][x]$.",
    "batch_averaged": "You divided by the batch size. Any averaging over the batch is already "
    "inside $G = \\partial L/\\partial O$ (when the loss is a mean); the bias gradient just "
    "adds up $G$ over the batch and the positions.",
}


def _prompt(setup: Setup, g: np.ndarray) -> str:
    k, c = setup.kernel, setup.channels
    _, _, h, w = setup.input_shape
    inputs = f"${c} \\times {h} \\times {w}$"
    size = f"${setup.out_height} \\times {setup.out_width}$"
    if setup.filters == 1 and setup.batch == 1:
        layer = f"one ${k} \\times {k}$ filter with a bias $b$"
        grads = latex.display(f"G = {matrix(g[0, 0])}")
        question = "$\\partial L/\\partial b$"
    elif setup.filters > 1:
        layer = f"${setup.filters}$ filters of size ${k} \\times {k}$ with biases $b_1$ and $b_2$"
        grads = latex.display(
            ",\\quad ".join(f"G_{u} = {matrix(g[0, u])}" for u in range(setup.filters))
        )
        question = f"$\\partial L/\\partial b_{setup.filter}$"
    else:
        layer = f"one ${k} \\times {k}$ filter with a bias $b$"
        grads = latex.display(
            ",\\quad ".join(f"G^{{({n})}} = {matrix(g[n, 0])}" for n in range(setup.batch))
        )
        question = "$\\partial L/\\partial b$"
    if setup.batch > 1:
        given = (
            f"A batch of ${setup.batch}$ inputs, each {inputs}, goes through a convolutional "
            f"layer with {layer} (stride $1$, no padding). Backpropagation brings the upstream "
            f"gradient $G = \\partial L/\\partial O$, {size} per example:"
        )
    else:
        given = (
            f"An input of size {inputs} goes through a convolutional layer with {layer} "
            f"(stride $1$, no padding). Backpropagation brings the upstream gradient "
            f"$G = \\partial L/\\partial O$ of size {size}"
            + (" per filter:" if setup.filters > 1 else ":")
        )
    return f"{given}\n{grads}\nWhat is {question}? Answer with one number."


def _solution(setup: Setup, g: np.ndarray, answer: float) -> tuple[str, ...]:
    u = setup.filter
    name = "b" if setup.filters == 1 else f"b_{u}"
    steps = [
        f"${name}$ is added to every entry of output channel ${u}$"
        + (" for every example" if setup.batch > 1 else "")
        + f": $O[n][u][y][x] = {name} + \\sum_{{i,j,k}} \\dots$, so "
        f"$\\partial O[n][u][y][x]/\\partial {name} = 1$ and "
        f"$\\partial L/\\partial {name} = \\sum_n \\sum_{{y,x}} G[n][u][y][x]$ — a sum, "
        "never an average. The input and the weights do not appear."
    ]
    if setup.filters > 1:
        steps.append(f"Only $G_{u}$ matters: the other filter has its own bias.")
    for n in range(setup.batch):
        label = f" of example {n}" if setup.batch > 1 else ""
        values = g[n, u].ravel()
        steps.append(f"Sum{label}: ${additions(values)} = {number(values.sum())}$.")
    if setup.batch > 1:
        totals = [number(g[n, u].sum()) for n in range(setup.batch)]
        joined = " + ".join(f"({t})" if t.startswith("-") else t for t in totals)
        steps.append(f"Add the examples: ${joined} = {number(answer)}$.")
    steps.append(f"$\\partial L/\\partial {name} = {number(answer)}$.")
    return tuple(steps)


def reference(exercise: Exercise) -> float:
    """∂L/∂b through ``engine.reference.conv2d_backward``'s loops."""
    setup = Setup.from_params(dict(exercise.params))
    _, _, grad_b = engine_reference.conv2d_backward(
        exercise.tensors["G"], np.zeros(setup.input_shape), np.zeros(setup.weight_shape)
    )
    assert grad_b is not None
    return float(grad_b[setup.filter])


FAMILY = Family(
    id=ID,
    title="Gradient of a convolution's bias",
    answer_kind=AnswerKind.NUMBER,
    description="∂L/∂b of a conv layer: the sum of the upstream gradient over positions (and "
    "the batch), for one filter.",
    generate=generate,
    mistakes=mistakes,
    mistake_tags=MISTAKES,
    reference=reference,
)
