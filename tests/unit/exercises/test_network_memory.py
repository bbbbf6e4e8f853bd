"""network-memory: worked examples per difficulty (counted by hand), each mistake named on a
hand-made network, and generated networks that match their difficulty."""

from __future__ import annotations

import pytest

from quiz.exercises.base import grade_exercise, relevant_mistakes
from quiz.exercises.families import network_memory as family
from quiz.exercises.families.network_memory import FAMILY, MISTAKES, Layer, Setup, build
from tests.support import named_mistake


def _conv(name: str, filters: int) -> Layer:
    return Layer(name, "conv", filters, 3, 1, 1)


def _pool(name: str) -> Layer:
    return Layer(name, "pool", 0, 2, 2, 0)


def _fc(name: str, outputs: int) -> Layer:
    return Layer(name, "fc", outputs, 1, 1, 0)


SMALL = (_conv("conv1", 4), _pool("pool1"), _fc("fc1", 10))
"""On 3 × 8 × 8: conv1 4 × 8 × 8 (256 values, 4·3·9 + 4 = 112 parameters), pool1 4 × 4 × 4
(64 values), fc1 10 (64·10 + 10 = 650 parameters)."""

VGG_16 = (
    _conv("conv1", 8),
    _conv("conv2", 8),
    _pool("pool1"),
    _conv("conv3", 16),
    _conv("conv4", 16),
    _pool("pool2"),
    _fc("fc1", 10),
)
"""On 3 × 16 × 16: 8 × 16 × 16 (2048), 8 × 16 × 16 (2048), 8 × 8 × 8 (512), 16 × 8 × 8 (1024),
16 × 8 × 8 (1024), 16 × 4 × 4 (256), 10; parameters 224, 584, 0, 1168, 2320, 0, 2570."""

CIFAR = (_conv("conv1", 16), _pool("pool1"), _conv("conv2", 32), _pool("pool2"), _fc("fc1", 10))
"""On 3 × 32 × 32: 16 × 32 × 32 (16384), 16 × 16 × 16 (4096), 32 × 16 × 16 (8192), 32 × 8 × 8
(2048), 10 — 30730 activations; parameters 448 + 4640 + 20490 = 25578."""


def _named(setup: Setup, raw: str) -> str | None:
    return named_mistake(FAMILY, build(setup), raw)


def _check(setup: Setup, answer: str, difficulty: int) -> None:
    exercise = build(setup, difficulty=difficulty)
    assert exercise.answer == answer
    assert family.reference(exercise) == pytest.approx(float(answer), rel=0, abs=1e-9)
    assert grade_exercise(FAMILY, exercise, answer).correct


# --- difficulty 1: one layer ---


def test_difficulty_1_activations_of_a_pooling_layer() -> None:
    setup = Setup(3, 8, 8, SMALL, "activations_layer", "pool1")
    _check(setup, "64", 1)
    exercise = build(setup, difficulty=1)
    assert "`pool1`" in exercise.prompt and "batch size 1" in exercise.prompt
    assert "padding $1$ on each side" in exercise.prompt
    assert any("$4 \\times 4 \\times 4$, $64$ activations" in step for step in exercise.solution)
    assert _named(setup, "36") == "padding_ignored"  # 8 -> 6 -> 3: 4 * 3 * 3


def test_difficulty_1_parameters_of_a_fully_connected_layer() -> None:
    setup = Setup(3, 8, 8, SMALL, "params_layer", "fc1")
    _check(setup, "650", 1)
    exercise = build(setup, difficulty=1)
    assert "bias" in exercise.prompt and "flattened" in exercise.prompt
    assert _named(setup, "640") == "bias_forgotten"
    assert _named(setup, "170") == "fc_not_flattened"  # 4 * 4 inputs, channels left out
    assert _named(setup, "370") == "padding_ignored"  # 4 * 3 * 3 = 36 inputs


def test_difficulty_1_parameters_of_a_convolution() -> None:
    layers = (_conv("conv1", 4), _pool("pool1"), _conv("conv2", 8))
    setup = Setup(1, 12, 12, layers, "params_layer", "conv2")  # 8 * 4 * 9 + 8
    _check(setup, "296", 1)
    assert _named(setup, "288") == "bias_forgotten"
    assert "fully connected" not in build(setup).prompt  # only the layers it has


# --- difficulty 2: totals and multiply-adds ---


def test_difficulty_2_total_activations_without_the_input() -> None:
    setup = Setup(3, 16, 16, VGG_16, "activations_total")
    _check(setup, "6922", 2)  # 2048 + 2048 + 512 + 1024 + 1024 + 256 + 10
    assert "Do not count the input image" in build(setup).prompt
    assert _named(setup, "7690") == "input_miscounted"  # + 3 * 16 * 16
    # without padding: 8*14*14 + 8*12*12 + 8*6*6 + 16*4*4 + 16*2*2 + 16*1*1 + 10
    assert _named(setup, "3354") == "padding_ignored"


def test_difficulty_2_total_activations_with_the_input() -> None:
    setup = Setup(3, 16, 16, VGG_16, "activations_total", input_counted=True)
    _check(setup, "7690", 2)
    assert "Count the input image too" in build(setup).prompt
    assert _named(setup, "6922") == "input_miscounted"


def test_difficulty_2_total_parameters() -> None:
    layers = (_conv("conv1", 4), _pool("pool1"), _conv("conv2", 8), _pool("pool2"), _fc("fc1", 10))
    setup = Setup(3, 20, 20, layers, "params_total")  # 112 + 296 + (8*5*5*10 + 10)
    _check(setup, "2418", 2)
    assert _named(setup, "2396") == "bias_forgotten"  # 22 biases
    assert _named(setup, "668") == "fc_not_flattened"  # fc1: 25 * 10 + 10
    assert _named(setup, "1138") == "padding_ignored"  # 20 -> 18 -> 9 -> 7 -> 3: fc1 72 * 10 + 10
    assert build(setup).solution[-1] == "Total parameters: $112 + 296 + 2\\,010 = 2\\,418$."


def test_difficulty_2_multiply_adds_of_a_convolution() -> None:
    setup = Setup(3, 16, 16, VGG_16, "macs_layer", "conv3")  # 16 * 8 * 8 * (8 * 3 * 3)
    _check(setup, "73728", 2)
    exercise = build(setup)
    assert "padding zeros" in exercise.prompt and "bias additions" in exercise.prompt
    assert _named(setup, "18432") == "padding_ignored"  # 16 * 4 * 4 * 72


# --- difficulty 3: memory of a batch, the largest layer ---


def test_difficulty_3_memory_of_a_batch_in_bytes() -> None:
    setup = Setup(3, 32, 32, CIFAR, "memory", batch=8, with_parameters=True)
    _check(setup, "1085672", 3)  # 4 * (8 * 30730 + 25578)
    prompt = build(setup).prompt
    assert "batch of $8$" in prompt and "float32 of $4$ bytes" in prompt
    assert "Do not count the input batch" in prompt and "one copy" in prompt
    assert _named(setup, "271418") == "bytes_forgotten"
    assert _named(setup, "225232") == "batch_ignored"  # 4 * (30730 + 25578)
    assert _named(setup, "1801856") == "batch_on_parameters"  # 4 * 8 * (30730 + 25578)
    assert _named(setup, "1183976") == "input_miscounted"  # + 4 * 8 * 3072
    assert _named(setup, "1085440") == "bias_forgotten"  # 58 biases fewer
    assert _named(setup, "1006312") == "fc_not_flattened"  # fc1 8 * 8 * 10 + 10 = 650
    assert _named(setup, "852712") == "padding_ignored"  # 4 * (8 * 24570 + 16618)


def test_difficulty_3_memory_in_kib_to_two_decimals() -> None:
    setup = Setup(3, 32, 32, CIFAR, "memory", batch=8, with_parameters=True, unit="KiB")
    _check(setup, "1060.2265625", 3)  # 1085672 / 1024
    exercise = build(setup, difficulty=3)
    assert "1 KiB $= 1024$ bytes" in exercise.prompt.replace("$1$ KiB", "1 KiB")
    assert grade_exercise(FAMILY, exercise, "1060.23").correct
    assert not grade_exercise(FAMILY, exercise, "1060.2").correct
    assert _named(setup, "1060") == "bias_forgotten"  # 1085440 / 1024


def test_difficulty_3_activations_only_with_the_input() -> None:
    setup = Setup(3, 32, 32, CIFAR, "memory", input_counted=True, batch=4)
    _check(setup, "540832", 3)  # 4 * 4 * (30730 + 3072)
    by_tag = {m.tag for m in relevant_mistakes(FAMILY, build(setup))}
    assert "batch_on_parameters" not in by_tag and "bias_forgotten" not in by_tag
    assert _named(setup, "491680") == "input_miscounted"  # 4 * 4 * 30730
    # 4 * 33802: with a batch of 4, leaving out the batch or the bytes gives the same number
    result = grade_exercise(FAMILY, build(setup), "135208")
    assert result.feedback.startswith("Two or more slips give exactly this answer")
    assert family._MESSAGES["batch_ignored"] in result.feedback
    assert family._MESSAGES["bytes_forgotten"] in result.feedback


def test_difficulty_3_the_largest_layers() -> None:
    most_params = Setup(3, 32, 32, CIFAR, "most_params")
    _check(most_params, "20490", 3)  # fc1
    assert _named(most_params, "20480") == "bias_forgotten"
    assert _named(most_params, "4640") == "fc_not_flattened"  # conv2 is then the largest
    assert _named(most_params, "11530") == "padding_ignored"  # fc1 on 32 * 6 * 6
    assert "`fc1`" in build(most_params).solution[-1]
    most_activations = Setup(3, 32, 32, CIFAR, "most_activations")
    _check(most_activations, "16384", 3)  # conv1
    assert _named(most_activations, "14400") == "padding_ignored"  # 16 * 30 * 30


def test_an_unknown_question_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown question"):
        build(Setup(3, 8, 8, SMALL, "flops"))


# --- generated networks ---


def _kinds(setup: Setup) -> str:
    return "".join(layer.kind[0] for layer in setup.layers)


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_generated_networks_match_their_difficulty(difficulty: int) -> None:
    for seed in range(300):
        exercise = FAMILY.make(seed, difficulty)
        setup = Setup.from_params(dict(exercise.params))
        names = [layer.name for layer in setup.layers]
        assert setup.layers[0].kind == "conv" and len(set(names)) == len(names)
        for layer in setup.layers:
            if layer.kind == "conv":
                assert (layer.kernel, layer.stride, layer.padding) == (3, 1, 1)
            elif layer.kind == "pool":
                assert (layer.kernel, layer.stride, layer.padding) == (2, 2, 0)
        if difficulty == 1:
            assert 2 <= len(setup.layers) <= 3
            assert setup.channels in (1, 3) and setup.height == setup.width <= 12
            assert setup.question in ("activations_layer", "params_layer")
            assert setup.layer in names
            kind = next(layer.kind for layer in setup.layers if layer.name == setup.layer)
            assert kind != ("pool" if setup.question == "params_layer" else "fc")
            assert float(exercise.expected) <= 11_530  # by hand: at most 8 * 12 * 12 * 10 + 10
        elif difficulty == 2:
            assert 5 <= len(setup.layers) <= 7 and setup.layers[-1].kind == "fc"
            assert setup.question in ("activations_total", "params_total", "macs_layer")
            if setup.question == "macs_layer":
                assert setup.layer.startswith("conv")
            assert setup.batch == 1
        else:
            assert setup.channels == 3 and setup.height == setup.width in (32, 64)
            assert _kinds(setup).endswith(("pf", "pff"))
            assert setup.question in ("memory", "most_activations", "most_params")
            if setup.question == "memory":
                assert setup.batch >= 8 and setup.unit in ("bytes", "KiB")
                assert "batch" in exercise.prompt and "$4$ bytes" in exercise.prompt


def test_every_listed_mistake_occurs() -> None:
    seen = set()
    for difficulty in (1, 2, 3):
        for seed in range(200):
            exercise = FAMILY.make(seed, difficulty)
            seen |= {m.tag for m in relevant_mistakes(FAMILY, exercise)}
    assert seen == set(MISTAKES)


def test_every_question_is_asked() -> None:
    asked = {
        Setup.from_params(dict(FAMILY.make(seed, difficulty).params)).question
        for difficulty in (1, 2, 3)
        for seed in range(200)
    }
    assert asked == set(family.QUESTIONS)
