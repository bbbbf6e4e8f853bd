"""Playground: turn the knobs of one conv or pooling layer and watch it work; filter images.

Two tabs. **Layer**: layer type, input size, channels, kernel, stride, padding, dilation; the
output-size formula with the numbers filled in, the sliding-window animation and the output,
all computed by the engine. **Filters**: a sample or uploaded image through a 3×3 kernel, ReLU
and 2×2 pooling, each feature map drawn.

Every knob is in the URL — ``?kind=conv&h=7&w=7&k=3&s=2&p=1&d=1&cin=1&cout=1`` for the layer,
``tab``, ``img``, ``f``, ``m``, ``relu``, ``pool`` for the rest — so a link reproduces the view.
A URL from outside (a link, an edited address) sets the knobs; bad values are clamped or
replaced with a note, never an exception. The numbers come from ``quiz.playground``.
"""

from __future__ import annotations

import re

import numpy as np
import streamlit as st

from quiz.exercises import latex
from quiz.playground.filters import (
    CUSTOM,
    KERNELS,
    MAX_CUSTOM_CHARS,
    POOL_TITLES,
    POOLS,
    UPLOAD,
    FilterChoice,
    KernelFormatError,
    choice_from_query,
    choice_to_query,
    feature_maps,
    parse_kernel,
)
from quiz.playground.frames import animation
from quiz.playground.images import (
    MAX_PIXELS,
    MAX_UPLOAD_BYTES,
    SAMPLES,
    ImageError,
    decode_upload,
    sample_image,
)
from quiz.playground.layer import (
    KIND_TITLES,
    KINDS,
    KNOB,
    KNOBS,
    LayerConfig,
    compute,
    config_from_query,
    config_to_query,
    output_size_formula,
)
from quiz.ui.playground_charts import (
    animation_figure,
    feature_map_figure,
    grid_text,
    output_figure,
    values_text,
)
from quiz.ui.text import escape_markdown

PLOTLY_CONFIG = {"displayModeBar": False}
LAYER_TAB, FILTERS_TAB = "Layer", "Filters"
TABS = {"layer": LAYER_TAB, "filters": FILTERS_TAB}
LABELS = {
    "height": "Input height $H$",
    "width": "Input width $W$",
    "in_channels": "Input channels $C_{in}$",
    "out_channels": "Output channels $C_{out}$",
    "kernel": "Kernel size $K$",
    "stride": "Stride $S$",
    "padding": "Padding $P$",
    "dilation": "Dilation $D$",
}

state = st.session_state
params = st.query_params


def _key(field: str) -> str:
    return f"pg_{KNOB[field].query}"


def _load(query: dict[str, str]) -> list[str]:
    """Set every knob from ``query`` (a URL from outside); return the notes about bad values."""
    config, notes = config_from_query(query)
    choice, more = choice_from_query(query)
    state.pg_kind = config.kind
    for knob in KNOBS:
        state[_key(knob.field)] = getattr(config, knob.field)
    state.pg_source = "Upload" if choice.image == UPLOAD else "Sample"
    state.pg_img = choice.image if choice.image in SAMPLES else FilterChoice().image
    state.pg_filter = choice.kernel
    state.pg_custom = choice.custom
    state.pg_relu = choice.relu
    state.pg_pool = choice.pool
    tab = query.get("tab", "layer")
    state.pg_tab = TABS.get(tab, LAYER_TAB)
    if tab not in TABS:
        notes.append("tab should be layer or filters; showing the layer")
    state.pg_layer_query = config_to_query(config)
    state.pg_filter_query = choice_to_query(choice)
    return notes + more


def _keep_knobs() -> None:
    """Knobs of the tab not shown lose their widget state; put it back from the last query."""
    config, _ = config_from_query(state.pg_layer_query)
    state.setdefault("pg_kind", config.kind)
    for knob in KNOBS:
        state.setdefault(_key(knob.field), getattr(config, knob.field))
    choice, _ = choice_from_query(state.pg_filter_query)
    state.setdefault("pg_source", "Upload" if choice.image == UPLOAD else "Sample")
    state.setdefault("pg_img", choice.image if choice.image in SAMPLES else FilterChoice().image)
    state.setdefault("pg_filter", choice.kernel)
    state.setdefault("pg_custom", choice.custom)
    state.setdefault("pg_relu", choice.relu)
    state.setdefault("pg_pool", choice.pool)


# --- the Layer tab ----------------------------------------------------------------------------


def _layer_tab() -> None:
    st.segmented_control(
        "Layer type", KINDS, format_func=KIND_TITLES.__getitem__, key="pg_kind", required=True
    )
    kind = state.pg_kind
    pooling = kind in ("max-pool", "avg-pool")
    if pooling:
        state[_key("out_channels")] = state[_key("in_channels")]
    if kind == "avg-pool":
        state[_key("dilation")] = 1
    left, right = st.columns(2)
    for column, field in ((left, "height"), (right, "width"), (left, "in_channels")):
        knob = KNOB[field]
        column.number_input(
            LABELS[field], knob.minimum, knob.maximum, step=1, key=_key(field)
        )  # fmt: skip
    right.number_input(
        LABELS["out_channels"],
        KNOB["out_channels"].minimum,
        KNOB["out_channels"].maximum,
        step=1,
        key=_key("out_channels"),
        disabled=pooling,
        help="Pooling works on each channel alone, so it keeps the channels." if pooling else None,
    )
    left, right = st.columns(2)
    for column, field in ((left, "kernel"), (right, "stride"), (left, "padding")):
        knob = KNOB[field]
        column.slider(LABELS[field], knob.minimum, knob.maximum, key=_key(field))
    right.slider(
        LABELS["dilation"],
        KNOB["dilation"].minimum,
        KNOB["dilation"].maximum,
        key=_key("dilation"),
        disabled=kind == "avg-pool",
        help="PyTorch's avg_pool2d has no dilation." if kind == "avg-pool" else None,
    )
    try:
        config = LayerConfig(kind, **{f: int(state[_key(f)]) for f in KNOB})
    except ValueError as error:  # widgets keep values in range; this is a safety net
        st.error(escape_markdown(str(error)))
        return
    state.pg_layer_query = config_to_query(config)
    _show_layer(config)


def _equation(source: str) -> None:
    """A formula that wraps: inline maths in display style. KaTeX never breaks a display formula,
    so on a phone a long one ran off the screen; an inline one breaks after an ``=``, ``+`` or
    ``-`` when the line is full (and stays on one line when it fits). A parenthesised group,
    ``(K - 1)``, is kept on one line (braces make it one unit)."""
    whole = _PARENTHESES.sub(r"{(\1)}", source)
    st.markdown(f"$\\displaystyle {whole}$")


_PARENTHESES = re.compile(r"\(([^()]*)\)")


def _show_layer(config: LayerConfig) -> None:
    formula = output_size_formula(config)
    st.markdown("**Output size**")
    _equation(formula.general)
    _equation(formula.height)
    _equation(formula.width)
    error = config.error
    if error is not None:
        st.error(escape_markdown(error), icon=":material/block:")
        return
    if formula.shape is not None:
        _equation(formula.shape)
    result = compute(config)
    anim = animation(config, result)
    st.plotly_chart(
        animation_figure(anim), config=PLOTLY_CONFIG, width="content", key="pg_animation"
    )
    st.caption(f"{anim.caption()} {grid_text(anim)}")
    if anim.kernel is not None and config.kernel <= 7:
        name = "W_{1,1}" if config.kind == "conv" else "\\operatorname{rot180}(W_{1,1})"
        _equation(f"{name} = {latex.matrix(anim.kernel)}")
    n, channels, height, width = result.shape
    st.plotly_chart(
        output_figure(result.plane, f"Output channel 0 of {channels} ({height}×{width})"),
        config=PLOTLY_CONFIG,
        width="content",
        key="pg_output",
    )
    st.caption(
        f"Computed by the engine on seeded example numbers (input digits 0–9, weights −1, 0, 1). "
        f"The full output is N × C × H × W = {n} × {channels} × {height} × {width}; "
        f"one channel is drawn. {values_text(result.plane, 'Output channel 0')}"
    )


# --- the Filters tab --------------------------------------------------------------------------


@st.cache_data(max_entries=4, show_spinner=False)
def _decoded(data: bytes) -> np.ndarray:
    return decode_upload(data)


def _filters_tab() -> None:
    source = st.segmented_control(
        "Image", ["Sample", "Upload"], key="pg_source", required=True
    )  # fmt: skip
    image: np.ndarray | None = None
    if source == "Upload":
        upload = st.file_uploader(
            f"A PNG or JPEG image (at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB and "
            f"{MAX_PIXELS / 1e6:.1f} megapixels)",
            type=["png", "jpg", "jpeg"],
            key="pg_upload",
            max_upload_size=MAX_UPLOAD_BYTES // (1024 * 1024),
        )
        if upload is not None:
            try:
                image = _decoded(upload.getvalue())
            except ImageError as error:
                st.error(escape_markdown(error.message), icon=":material/broken_image:")
    else:
        st.selectbox(
            "Sample image",
            list(SAMPLES),
            format_func=lambda name: f"{SAMPLES[name].title} · {SAMPLES[name].description}",
            key="pg_img",
        )
        image = sample_image(state.pg_img)
    names = [*KERNELS, CUSTOM]
    st.selectbox(
        "Kernel",
        names,
        format_func=lambda name: "Custom 3×3" if name == CUSTOM else KERNELS[name].title,
        key="pg_filter",
    )
    kernel: np.ndarray | None = None
    if state.pg_filter == CUSTOM:
        st.text_area(
            "Custom kernel: three rows of three numbers",
            key="pg_custom",
            max_chars=MAX_CUSTOM_CHARS,
            help="Rows on lines or separated by ; — entries by spaces or commas; 1/9 works.",
        )
        try:
            kernel = parse_kernel(state.pg_custom)
        except KernelFormatError as error:
            st.error(escape_markdown(error.message), icon=":material/edit_note:")
    else:
        chosen = KERNELS[state.pg_filter]
        kernel = chosen.values
        st.caption(chosen.description)
    left, right = st.columns([2, 3])  # the pooling choices need the room
    left.checkbox("ReLU after the convolution", key="pg_relu")
    with right:
        st.segmented_control(
            "2×2 pooling", POOLS, format_func=POOL_TITLES.__getitem__, key="pg_pool", required=True
        )
    image_name = UPLOAD if source == "Upload" else state.pg_img
    choice = FilterChoice(
        image_name, state.pg_filter, state.pg_custom, state.pg_relu, state.pg_pool
    )
    state.pg_filter_query = choice_to_query(choice)
    if image is None or kernel is None:
        if source == "Upload" and image is None:
            st.info("Upload an image to see its feature maps.", icon=":material/upload:")
        return
    st.latex(f"\\text{{kernel}} = {latex.matrix(kernel)}")
    maps = feature_maps(image, kernel, relu=state.pg_relu, pool=state.pg_pool)
    figures = [feature_map_figure(image, "Input"), *(
        feature_map_figure(stage.values, stage.title) for stage in maps
    )]  # fmt: skip
    columns = st.columns(2)
    for index, figure in enumerate(figures):
        columns[index % 2].plotly_chart(
            figure, config=PLOTLY_CONFIG, width="content", key=f"pg_map_{index}"
        )
    st.caption(
        "Convolution with padding 1 keeps the size; black is each map's lowest value, white its "
        "highest (the colour bar gives the numbers). "
        + " ".join(
            values_text(values, title)
            for title, values in [("Input", image), *((m.title, m.values) for m in maps)]
        )
    )


# --- the page ---------------------------------------------------------------------------------

st.title("Playground")
st.caption(
    "Turn the knobs of a convolution or pooling layer and watch the window slide; run classic "
    "filters over an image. Everything is computed live by Stride's engine."
)

notes: list[str] = []
current = params.to_dict()
returning = not current and "pg_layer_query" in state  # back from another page: keep the knobs
if not returning and (state.get("pg_written") != current or "pg_layer_query" not in state):
    notes = _load(current)
_keep_knobs()
for note in notes:
    st.warning(escape_markdown(note), icon=":material/link:")

layer_tab, filters_tab = st.tabs([LAYER_TAB, FILTERS_TAB], key="pg_tab", on_change="rerun")
if layer_tab.open is not False:
    with layer_tab:
        _layer_tab()
if filters_tab.open is not False:
    with filters_tab:
        _filters_tab()

tab_query = "filters" if state.get("pg_tab") == FILTERS_TAB else "layer"
params.from_dict({**state.pg_layer_query, **state.pg_filter_query, "tab": tab_query})
state.pg_written = params.to_dict()
