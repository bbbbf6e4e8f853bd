"""The Playground page in AppTest: the formula with the chosen numbers, the animation (frames,
play/pause, slider) and the output as the engine computes them, invalid layers, the URL, and
the Filters tab (every kernel, a typed kernel, an uploaded PNG)."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

import engine
from quiz.playground.filters import KERNEL_EXPECTED, KERNELS, feature_maps, parse_kernel
from quiz.playground.frames import MAX_FRAMES, animation
from quiz.playground.images import decode_upload, sample_image
from quiz.playground.layer import (
    LayerConfig,
    config_from_query,
    config_to_query,
    example_input,
    example_weight,
    output_shape,
)
from quiz.ui.playground_charts import FRAME_TRACES, array_values
from tests.support import REPO_ROOT

PLAYGROUND = "quiz/ui/pages/playground.py"
GRID, PADDING, INSERTED, OUTPUT, TAPS, WINDOW, CELL = range(7)
"""The animation's traces, in order (see quiz/ui/playground_charts.py)."""


@pytest.fixture(autouse=True)
def app_database() -> str:
    """The Playground reads and writes no data: one run, on the default SQLite file, is enough
    (this replaces tests/app/conftest.py's fixture that runs every page test on both backends).
    """
    return "sqlite"


def _open(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
    if query:
        at.query_params.update(query)
    at.run()
    at.switch_page(PLAYGROUND).run()
    assert not at.exception, at.exception
    return at


def _charts(at: AppTest) -> dict[str, dict[str, Any]]:
    """Every Plotly chart on the page, by its key, as the JSON the browser gets."""
    return {chart.key: json.loads(chart.proto.spec) for chart in at.get("plotly_chart")}


def _query(at: AppTest) -> dict[str, str]:
    return {k: v[-1] if isinstance(v, list) else v for k, v in at.query_params.items()}


def _latex(at: AppTest) -> list[str]:
    """The page's formulas as TeX: ``st.latex`` blocks, and the Layer tab's equations, which are
    inline maths in Markdown (``$\\displaystyle …$``, so that they wrap on a phone) with each
    parenthesised group braced (``{(K - 1)}``, kept on one line)."""
    formulas = [element.value.strip().strip("$").strip() for element in at.latex]
    for element in at.markdown:
        text = element.value
        if text.startswith(INLINE_DISPLAY) and text.endswith("$"):
            formula = text.removeprefix(INLINE_DISPLAY).removesuffix("$")
            formulas.append(formula.replace("{(", "(").replace(")}", ")"))
    return formulas


INLINE_DISPLAY = "$\\displaystyle "


def _engine_output(config: LayerConfig) -> np.ndarray:
    """Output channel 0 straight from the engine's functions, all channels computed."""
    c, x, w = config, example_input(config), example_weight(config)
    if c.kind == "conv":
        out = engine.conv2d(x, w, stride=c.stride, padding=c.padding, dilation=c.dilation)
    elif c.kind == "conv-transpose":
        out = engine.conv_transpose2d(x, w, stride=c.stride, padding=c.padding, dilation=c.dilation)
    elif c.kind == "max-pool":
        out = engine.max_pool2d(x, c.kernel, c.stride, c.padding, c.dilation)
    else:
        out = engine.avg_pool2d(x, c.kernel, c.stride, c.padding)
    return np.asarray(out)[0, 0]


def _check_layer_figures(at: AppTest, config: LayerConfig) -> dict[str, Any]:
    """The animation and the output figure show this layer exactly; returns the animation."""
    charts = _charts(at)
    assert set(charts) == {"pg_animation", "pg_output"}
    spec = charts["pg_animation"]
    expected = _engine_output(config)
    assert expected.shape == output_shape(config)[-2:]
    np.testing.assert_allclose(array_values(spec["data"][OUTPUT]["z"]), expected, atol=1e-12)
    np.testing.assert_allclose(
        array_values(charts["pg_output"]["data"][0]["z"]), expected, atol=1e-12
    )

    # the animation: one frame per output position (at most MAX_FRAMES), play/pause, a slider
    anim = animation(config)
    frames = spec["frames"]
    assert len(frames) == min(expected.size, MAX_FRAMES) == len(anim.positions)
    assert all(frame["traces"] == FRAME_TRACES for frame in frames)
    buttons = spec["layout"]["updatemenus"][0]["buttons"]
    assert [b["method"] for b in buttons] == ["animate", "animate"]
    assert "Play" in buttons[0]["label"] and buttons[1]["label"] == "Pause"
    steps = spec["layout"]["sliders"][0]["steps"]
    assert [step["args"][0] for step in steps] == [[frame["name"]] for frame in frames]
    for index in {0, len(frames) // 2, len(frames) - 1}:
        taps = frames[index]["data"][0]
        cells = anim.windows[index]
        assert taps["x"] == cells[:, 1].tolist() and taps["y"] == cells[:, 0].tolist()
        y, x = (int(v) for v in anim.positions[index])
        assert steps[index]["label"] == f"row {y}, col {x}"
        outline = frames[index]["data"][2]  # the current output cell, highlighted
        assert (min(outline["x"]), max(outline["y"])) == (x - 0.5, y + 0.5)

    # the grid is the (padded) input: the input's values where they are, gaps elsewhere
    grid = array_values(spec["data"][GRID]["z"])
    np.testing.assert_array_equal(np.isnan(grid), np.isnan(np.where(anim.roles == 0, 0, np.nan)))
    np.testing.assert_allclose(grid[anim.roles == 0], example_input(config)[0, 0].ravel())
    padding = array_values(spec["data"][PADDING]["z"])
    assert np.nansum(padding) == (anim.roles == 1).sum()
    return spec


# --- the Layer tab ----------------------------------------------------------------------------


def test_default_layer_shows_the_formula_with_numbers_and_the_engines_figures() -> None:
    at = _open()
    latex = _latex(at)
    assert any("\\frac{H + 2P - D(K - 1) - 1}{S}" in value for value in latex)
    assert any(
        "\\frac{7 + 2\\cdot 1 - 1\\cdot (3 - 1) - 1}{2}" in value
        and value.endswith("\\lfloor 3 \\rfloor + 1 = 4")
        for value in latex
    ), latex
    assert any("= 1 \\times 1 \\times 4 \\times 4" in value for value in latex)
    assert not at.error
    config = LayerConfig()
    spec = _check_layer_figures(at, config)
    assert len(spec["frames"]) == 16
    assert any("All 16 window positions" in c.value for c in at.caption)
    assert _query(at)["k"] == "3" and _query(at)["tab"] == "layer"


@pytest.mark.parametrize(
    ("query", "numbers"),
    [
        (
            {"kind": "conv", "h": "9", "w": "6", "cin": "2", "cout": "3", "k": "3", "s": "2",
             "p": "2", "d": "2"},
            ["\\frac{9 + 2\\cdot 2 - 2\\cdot (3 - 1) - 1}{2}", "= \\lfloor 4 \\rfloor + 1 = 5",
             "\\frac{6 + 2\\cdot 2 - 2\\cdot (3 - 1) - 1}{2}", "1 \\times 3 \\times 5 \\times 3"],
        ),
        (
            {"kind": "max-pool", "h": "8", "w": "7", "cin": "2", "k": "3", "s": "2", "p": "1",
             "d": "1"},
            ["\\frac{8 + 2\\cdot 1 - 1\\cdot (3 - 1) - 1}{2}", "1 \\times 2 \\times 4 \\times 4"],
        ),
        (
            {"kind": "avg-pool", "h": "6", "w": "6", "k": "2", "s": "2", "p": "0"},
            ["\\frac{H + 2P - K}{S}", "\\frac{6 + 2\\cdot 0 - 2}{2}", "= 3"],
        ),
        (
            {"kind": "conv-transpose", "h": "3", "w": "4", "k": "3", "s": "2", "p": "1",
             "d": "1", "cout": "2"},
            ["(H - 1)S - 2P + D(K - 1) + \\text{output\\_padding} + 1",
             "(3 - 1)\\cdot 2 - 2\\cdot 1 + 1\\cdot (3 - 1) + 0 + 1 = 5",
             "(4 - 1)\\cdot 2 - 2\\cdot 1 + 1\\cdot (3 - 1) + 0 + 1 = 7",
             "1 \\times 2 \\times 5 \\times 7"],
        ),
    ],
)  # fmt: skip
def test_a_link_sets_every_knob(query: dict[str, str], numbers: list[str]) -> None:
    at = _open(query)
    config, notes = config_from_query(query)
    assert notes == []
    assert _query(at) | query == _query(at)  # the URL keeps the knobs
    text = "\n".join(_latex(at))
    for piece in numbers:
        assert piece in text, piece
    spec = _check_layer_figures(at, config)
    if config.kind == "conv-transpose":
        assert "stride-dilated" in spec["layout"]["annotations"][0]["text"]
        inserted = array_values(spec["data"][INSERTED]["z"])
        assert np.nansum(inserted) == (3 - 1) * (4 - 1) * 3 + 2 + 3  # 5×7 grid minus 12 inputs
        assert any("rotated by 180°" in c.value for c in at.caption)


def test_moving_a_slider_redraws_and_updates_the_url() -> None:
    at = _open()
    at.slider(key="pg_s").set_value(1).run()
    assert not at.exception
    config = LayerConfig(stride=1)
    spec = _check_layer_figures(at, config)
    assert len(spec["frames"]) == 49
    assert _query(at) | config_to_query(config) == _query(at)
    at.segmented_control(key="pg_kind").set_value("max-pool").run()
    assert not at.exception
    assert at.number_input(key="pg_cout").disabled  # pooling keeps the channels
    _check_layer_figures(at, LayerConfig("max-pool", stride=1))


def test_big_layers_cap_the_frames() -> None:
    at = _open({"kind": "conv", "h": "64", "w": "64", "k": "3", "s": "1", "p": "1"})
    spec = _check_layer_figures(at, LayerConfig("conv", 64, 64, stride=1, padding=1))
    assert len(spec["frames"]) == MAX_FRAMES
    assert any(f"Showing {MAX_FRAMES} of 4096 window positions" in c.value for c in at.caption)


def test_an_invalid_layer_shows_the_reason_instead_of_figures() -> None:
    at = _open({"kind": "conv", "h": "3", "w": "3", "k": "7", "s": "1", "p": "1"})
    assert [e.value for e in at.error] == [
        "kernel 7 is larger than the padded input 5 \\(input 3 \\+ padding 1 \\+ 1\\) along the "
        "height"
    ]
    assert "pg_animation" not in _charts(at) and "pg_output" not in _charts(at)
    assert any(value.endswith("= -1") for value in _latex(at))  # the arithmetic


def test_a_knob_turned_too_far_shows_the_reason() -> None:
    at = _open()
    at.slider(key="pg_k").set_value(11).run()  # 11 > 7 + 2·1
    assert not at.exception
    assert at.error and "kernel 11 is larger than the padded input 9" in at.error[0].value
    assert not _charts(at)
    at.segmented_control(key="pg_kind").set_value("max-pool").run()
    assert "padding 1 should be at most half the kernel size" not in at.error[0].value
    at.slider(key="pg_k").set_value(1).run()  # pooling: padding 1 > 1 // 2
    assert "padding 1 should be at most half the kernel size 1" in at.error[0].value


def test_bad_url_values_are_noted_and_replaced() -> None:
    at = _open({"kind": "<script>", "h": "9999", "w": "seven", "tab": "nope"})
    warnings = [w.value for w in at.warning]
    assert any("is unknown" in w for w in warnings)
    assert any("input height 9999 is outside 1–128; using 128" in w for w in warnings)
    assert any("is not a whole number" in w for w in warnings)
    assert any("tab should be layer or filters" in w for w in warnings)
    assert not at.error
    _check_layer_figures(at, LayerConfig(height=128))


# --- the Filters tab --------------------------------------------------------------------------


def _feature_charts(at: AppTest) -> list[dict[str, Any]]:
    charts = _charts(at)
    return [charts[key] for key in sorted(k for k in charts if k.startswith("pg_map_"))]


def _check_feature_maps(at: AppTest, image: np.ndarray, kernel: np.ndarray, **options: Any) -> None:
    charts = _feature_charts(at)
    maps = feature_maps(image, kernel, **options)
    assert len(charts) == 1 + len(maps)
    np.testing.assert_allclose(array_values(charts[0]["data"][0]["z"]), image)
    assert charts[0]["layout"]["title"]["text"].startswith("Input")
    for chart, stage in zip(charts[1:], maps, strict=True):
        assert chart["layout"]["title"]["text"].startswith(stage.title)
        np.testing.assert_allclose(array_values(chart["data"][0]["z"]), stage.values, atol=1e-12)


@pytest.mark.parametrize("name", list(KERNELS))
def test_every_classic_kernel_draws_its_feature_map(name: str) -> None:
    at = _open({"tab": "filters", "img": "checkerboard"})
    at.selectbox(key="pg_filter").set_value(name).run()
    assert not at.exception and not at.error
    _check_feature_maps(at, sample_image("checkerboard"), KERNELS[name].values)
    assert _query(at)["f"] == name
    assert "pg_animation" not in _charts(at)  # the Layer tab is not drawn


def test_relu_and_pooling_add_feature_maps() -> None:
    at = _open({"tab": "filters", "img": "scene", "f": "sobel-y", "relu": "1", "pool": "max"})
    _check_feature_maps(at, sample_image("scene"), KERNELS["sobel-y"].values, relu=True, pool="max")
    titles = [c["layout"]["title"]["text"] for c in _feature_charts(at)]
    assert titles == ["Input (128×128)", "Convolution (128×128)", "ReLU (128×128)",
                      "2×2 max pool (64×64)"]  # fmt: skip
    at.segmented_control(key="pg_pool").set_value("avg").run()
    at.checkbox(key="pg_relu").uncheck().run()
    _check_feature_maps(at, sample_image("scene"), KERNELS["sobel-y"].values, pool="avg")
    assert _query(at)["pool"] == "avg" and _query(at)["relu"] == "0"


def test_a_typed_kernel_is_used_and_a_bad_one_explained() -> None:
    at = _open({"tab": "filters", "img": "letter", "f": "custom"})
    at.text_area(key="pg_custom").input("1 2 1\n0 0 0\n-1 -2 -1").run()
    assert not at.error
    kernel = parse_kernel("1 2 1; 0 0 0; -1 -2 -1")
    _check_feature_maps(at, sample_image("letter"), kernel)
    assert any("\\begin{bmatrix} 1 & 2 & 1" in value for value in _latex(at))
    assert _query(at)["m"] == "1 2 1\n0 0 0\n-1 -2 -1"

    at.text_area(key="pg_custom").input("1 2\n3 4").run()
    assert not at.exception
    assert at.error and at.error[0].value.startswith("expected a 3×3 matrix")
    assert "got 2×2" in at.error[0].value
    assert KERNEL_EXPECTED.startswith("expected a 3×3 matrix")
    assert not _feature_charts(at)


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def test_an_uploaded_png_is_filtered() -> None:
    at = _open({"tab": "filters", "f": "laplacian"})
    at.segmented_control(key="pg_source").set_value("Upload").run()
    assert at.info and "Upload an image" in at.info[0].value
    rows, cols = np.indices((40, 60))
    pixels = ((rows // 10 + cols // 10) % 2 * 200 + 30).astype(np.uint8)
    data = _png(pixels)
    at.file_uploader(key="pg_upload").upload("board.png", data, "image/png").run()
    assert not at.exception and not at.error
    image = decode_upload(data)
    np.testing.assert_allclose(image, pixels / 255)
    _check_feature_maps(at, image, KERNELS["laplacian"].values)
    assert _query(at)["img"] == "upload"


def test_a_bad_upload_is_explained() -> None:
    at = _open({"tab": "filters", "img": "upload"})
    at.file_uploader(key="pg_upload").upload("photo.png", b"not a picture", "image/png").run()
    assert not at.exception
    assert at.error and at.error[0].value.startswith("expected a PNG or JPEG image")
    assert not _feature_charts(at)
