"""A Streamlit client that speaks the browser's websocket protocol, for load benchmarks.

One :class:`ProtocolClient` is one browser tab without the browser: it opens
``/_stcore/stream`` (subprotocol ``streamlit``), asks for a page with a ``BackMsg.rerun_script``
(``ClientState.page_name`` and ``query_string``), and reads ``ForwardMsg``s until the run's
``script_finished`` (a run that ends early for an ``st.rerun`` is followed by the next one).
What the run drew is kept as a flat list of :class:`Element`s, so a scenario can find a button
by its label and "click" it: the next ``rerun_script`` carries that widget's trigger (or a text
input's value, or a selectbox's option) in its ``WidgetStates``, exactly as the browser sends
it. Widgets drawn inside an ``st.fragment`` rerun only their fragment, as in the browser.

Like the browser, every rerun sends the value of every widget on the page: the one the scenario
set, else the value the server drew it with (its default, or the value set from session state).
The client's keep-alive pings are off (a busy server must not be measured as dropping idle
clients), and nothing but loopback is meant to be addressed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

TERMINAL = {
    ForwardMsg.FINISHED_SUCCESSFULLY,
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
}
TEXT_KINDS = {"markdown", "heading", "alert", "caption", "progress", "toast", "code", "text"}


class ProtocolError(RuntimeError):
    """The server answered in a way a browser would not accept (closed, timed out, no widget)."""


@dataclass
class Element:
    """One element of the page as drawn: its proto type, label/body text and widget id."""

    kind: str
    """The ``Element`` oneof name: ``button``, ``text_input``, ``markdown``, ``exception``, …"""
    label: str
    widget_id: str
    form_id: str
    fragment_id: str
    proto: Any
    run: int = 0
    """The script run that drew it (counted per ``new_session`` message, which starts each)."""

    @property
    def is_widget(self) -> bool:
        return bool(self.widget_id)


@dataclass
class Run:
    """What one interaction cost and drew."""

    seconds: float
    status: str
    """``ok``, ``fragment``, ``compile-error``, ``page-not-found``."""
    elements: list[Element] = field(default_factory=list)

    @property
    def exceptions(self) -> list[str]:
        """Exception boxes drawn by this run (an uncaught error in a page)."""
        return [e.label for e in self.elements if e.kind == "exception"]

    def texts(self) -> list[str]:
        return [e.label for e in self.elements if e.kind in TEXT_KINDS]

    def text(self) -> str:
        return "\n".join(self.texts())

    def has_text(self, needle: str) -> bool:
        return any(needle in text for text in self.texts())


def _drawn_state(kind: str, proto: Any) -> WidgetState | None:
    """The widget's value as the browser would report it before anyone touches it."""
    state = WidgetState(id=proto.id)
    if kind in ("text_input", "text_area"):
        state.string_value = proto.value if proto.set_value else proto.default
    elif kind == "selectbox":
        if proto.set_value and proto.HasField("raw_value"):
            state.string_value = proto.raw_value
        elif proto.HasField("default") and proto.options:
            state.string_value = proto.options[proto.default]
        else:
            return None
    elif kind == "button_group":
        values = (
            list(proto.raw_values)
            if proto.set_value
            else [proto.options[i].content for i in proto.default]
        )
        state.string_array_value.data.extend(values)
    elif kind == "checkbox":
        state.bool_value = proto.value if proto.set_value else proto.default
    elif kind == "number_input":
        state.double_value = proto.value if proto.set_value else proto.default
    elif kind == "slider":
        if proto.type == proto.SELECT_SLIDER:
            values = list(proto.raw_value) if proto.set_value else []
            if not values:
                values = [proto.options[int(i)] for i in proto.default]
            state.string_array_value.data.extend(values)
        else:
            state.double_array_value.data.extend(proto.value if proto.set_value else proto.default)
    else:
        return None  # buttons (triggers) and widgets the scenarios do not use
    return state


def _element_text(kind: str, proto: Any) -> str:
    """The human-visible text of an element (label for widgets, body for text)."""
    if kind == "exception":
        return f"{proto.type}: {proto.message}"
    if kind == "progress":
        return str(proto.text)
    for name in ("label", "body", "text"):
        if hasattr(proto, name):
            return str(getattr(proto, name))
    return ""


class ProtocolClient:
    """One simulated browser tab on a Streamlit server (see the module docstring)."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 120.0,
    ) -> None:
        self.ws_url = base_url.replace("http://", "ws://", 1).rstrip("/") + "/_stcore/stream"
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.page_name = ""
        self.page_script_hash = ""
        """The page on screen, as the server named it (sent back with every rerun, as the
        browser does: a fragment that asks for a whole-page rerun keeps the page)."""
        self.query_string = ""
        self._elements: dict[tuple[int, ...], Element] = {}
        self._run_number = 0
        self._values: dict[str, WidgetState] = {}
        """Values the scenario gave widgets, by widget id (kept while the widget is drawn)."""
        self._socket: Any = None

    async def connect(self) -> None:
        self._socket = await websockets.connect(
            self.ws_url,
            subprotocols=["streamlit"],  # type: ignore[list-item]
            additional_headers=self.headers or None,
            ping_interval=None,
            max_size=None,
            open_timeout=self.timeout,
        )

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
            self._socket = None

    @property
    def elements(self) -> list[Element]:
        """The page as last drawn, in delta order."""
        return [self._elements[path] for path in sorted(self._elements)]

    @property
    def page(self) -> Run:
        """The page as last drawn, as a :class:`Run` (for its texts)."""
        return Run(0.0, "ok", self.elements)

    def find(self, kind: str, label: str | Callable[[str], bool]) -> Element:
        """The first widget of ``kind`` whose label equals (or satisfies) ``label``."""
        test = label if callable(label) else (lambda text: text == label)
        for element in self.elements:
            if element.kind == kind and element.is_widget and test(element.label):
                return element
        labels = [e.label for e in self.elements if e.kind == kind]
        raise ProtocolError(f"no {kind} {label!r} on the page (have {labels})")

    def has(self, kind: str, label: str | Callable[[str], bool]) -> bool:
        try:
            self.find(kind, label)
        except ProtocolError:
            return False
        return True

    async def open(self, page_name: str = "", query_string: str = "") -> Run:
        """Load a page as a browser does when its URL is opened (no widget states)."""
        self.page_name, self.query_string = page_name, query_string
        return await self._rerun([], fragment_id="", page_name=page_name)

    async def click(self, label: str | Callable[[str], bool], kind: str = "button") -> Run:
        """Press a button (``kind="form_submit"`` for a form's submit button: same proto)."""
        button = self.find(kind, label)
        state = WidgetState(id=button.widget_id, trigger_value=True)
        return await self._rerun([state], fragment_id=button.fragment_id)

    async def submit(self, values: Mapping[str, str], button: str) -> Run:
        """Fill a form's text inputs by label and press its submit button, in one rerun."""
        submit = self.find("button", button)
        states = [WidgetState(id=submit.widget_id, trigger_value=True)]
        for label, value in values.items():
            widget = self._text_widget(label)
            states.append(WidgetState(id=widget.widget_id, string_value=value))
        return await self._rerun(states, fragment_id=submit.fragment_id)

    async def select(self, label: str, option: str) -> Run:
        """Choose ``option`` (its shown text) in the selectbox ``label``."""
        box = self.find("selectbox", label)
        if option not in list(box.proto.options):
            raise ProtocolError(f"{label!r} has no option {option!r}")
        state = WidgetState(id=box.widget_id, string_value=option)
        return await self._rerun([state], fragment_id=box.fragment_id)

    async def choose(self, label: str, options: list[str]) -> Run:
        """Pick ``options`` (their shown text) in the segmented control or pills ``label``."""
        group = self.find("button_group", label)
        known = [option.content for option in group.proto.options]
        if any(option not in known for option in options):
            raise ProtocolError(f"{label!r} offers {known}, not {options}")
        state = WidgetState(id=group.widget_id)
        state.string_array_value.data.extend(options)
        return await self._rerun([state], fragment_id=group.fragment_id)

    async def rerun(self) -> Run:
        """Run the current page again with nothing changed (a browser's "R")."""
        return await self._rerun([], fragment_id="")

    def _text_widget(self, label: str) -> Element:
        for kind in ("text_input", "text_area"):
            if self.has(kind, label):
                return self.find(kind, label)
        raise ProtocolError(f"no text input {label!r} on the page")

    async def _rerun(
        self, states: list[WidgetState], *, fragment_id: str, page_name: str | None = None
    ) -> Run:
        if self._socket is None:
            await self.connect()
        message = BackMsg()
        client_state = message.rerun_script
        client_state.query_string = self.query_string
        client_state.page_name = self.page_name if page_name is None else page_name
        if page_name is None:
            client_state.page_script_hash = self.page_script_hash
        client_state.widget_states.widgets.extend(self._widget_states(states, page_name))
        if fragment_id:
            client_state.fragment_id = fragment_id
        context = client_state.context_info
        context.timezone, context.timezone_offset, context.locale = "UTC", 0, "en-GB"
        context.url = f"http://localhost/{client_state.page_name}"
        started = time.perf_counter()
        await self._socket.send(message.SerializeToString())
        status = await asyncio.wait_for(self._read_run(), self.timeout)
        return Run(time.perf_counter() - started, status, self.elements)

    def _widget_states(
        self, changes: list[WidgetState], page_name: str | None
    ) -> list[WidgetState]:
        """Every widget's value, with ``changes`` applied (none when a new page is opened)."""
        if page_name is not None:
            self._values.clear()
            return []
        for change in changes:
            if change.WhichOneof("value") != "trigger_value":
                self._values[change.id] = change
        states = {state.id: state for state in changes}
        for element in self._elements.values():
            if element.widget_id and element.widget_id not in states:
                state = self._values.get(element.widget_id) or _drawn_state(
                    element.kind, element.proto
                )
                if state is not None:
                    states[element.widget_id] = state
        return list(states.values())

    async def _read_run(self) -> str:
        """Read messages until a run ends for good; keep what it drew.

        Each script run starts with a ``new_session`` message naming the fragments it reruns
        (``metadata.run.fragment_ids``; none: the whole page). A whole-page run replaces the
        page; a fragment run replaces only its fragments' elements: at its end, those it did
        not draw again are removed, as the browser removes them. A run that ends early for an
        ``st.rerun`` is followed by the next one, which may be of either kind."""
        not_found = False
        fragments: set[str] = set()
        while True:
            raw = await self._socket.recv()
            message = ForwardMsg()
            message.ParseFromString(raw)
            kind = message.WhichOneof("type")
            if kind == "new_session":
                self._run_number += 1
                fragments = set(message.metadata.run.fragment_ids)
                if not fragments:
                    self._elements.clear()
            elif kind == "delta":
                self._apply_delta(message)
            elif kind == "navigation":  # st.navigation says which page it runs
                self.page_script_hash = message.navigation.page_script_hash
            elif kind == "page_info_changed":
                self.query_string = message.page_info_changed.query_string  # the URL's query
            elif kind == "page_not_found":
                not_found = True  # the default page runs instead; read on to its end
            elif kind == "ref_hash":
                raise ProtocolError("server sent a cached-message reference the client never had")
            elif kind == "script_finished" and message.script_finished in TERMINAL:
                if message.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    return "compile-error"
                if not_found:
                    return "page-not-found"
                if fragments:
                    self._drop_stale(fragments)
                    return "fragment"
                return "ok"

    def _drop_stale(self, fragments: set[str]) -> None:
        for path, element in list(self._elements.items()):
            if element.fragment_id in fragments and element.run != self._run_number:
                del self._elements[path]

    def _apply_delta(self, message: ForwardMsg) -> None:
        delta = message.delta
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type") or ""
        proto = getattr(element, kind) if kind else None
        self._elements[tuple(message.metadata.delta_path)] = Element(
            kind=kind,
            label=_element_text(kind, proto) if proto is not None else "",
            widget_id=str(getattr(proto, "id", "") or ""),
            form_id=str(getattr(proto, "form_id", "") or ""),
            fragment_id=delta.fragment_id,
            proto=proto,
            run=self._run_number,
        )
