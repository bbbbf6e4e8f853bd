"""The protocol-level client of the load benchmarks, against real Streamlit servers.

It must behave as a browser tab does, or the class benchmark measures something else: widgets
found by label, clicks and form submissions sent as the browser's ``WidgetStates``, every
widget's value sent on every rerun, fragment runs replacing only their fragment, the URL's
query string followed, a missing page reported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from quiz.benchmarks.protocol import ProtocolClient, ProtocolError
from quiz.benchmarks.server import running_server

SCRIPT = """
import streamlit as st


def main():
    st.title("Probe")
    if st.button("Press"):
        st.session_state.presses = st.session_state.get("presses", 0) + 1
    st.write(f"presses: {st.session_state.get('presses', 0)}")
    with st.form("form"):
        name = st.text_input("Name")
        submitted = st.form_submit_button("Send")
    if submitted:
        st.write(f"hello {name}")
    choice = st.selectbox("Colour", ["red", "green"], key="colour")
    st.write(f"colour: {choice}")
    mode = st.segmented_control("Mode", ["Grid", "Text"], default="Grid")
    st.write(f"mode: {mode}")
    st.query_params["colour"] = choice
    area()


@st.fragment
def area():
    st.session_state.setdefault("shown", False)
    if not st.session_state.shown:
        if st.button("Show"):
            st.session_state.shown = True
            st.rerun(scope="fragment")
    else:
        st.write("the back side")
        st.button("Hide", on_click=lambda: st.session_state.update(shown=False))


def other():
    st.write("the other page")
    again()


@st.fragment
def again():
    if st.button("Again"):
        st.session_state.agains = st.session_state.get("agains", 0) + 1
        st.rerun(scope="app")  # the whole page, from a fragment
    st.write(f"agains: {st.session_state.get('agains', 0)}")


st.navigation([st.Page(main, title="Main", default=True), st.Page(other, url_path="other")]).run()
"""


@pytest.fixture(scope="module")
def probe_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("probe")
    script = folder / "probe.py"
    script.write_text(SCRIPT, encoding="utf-8")
    with running_server(str(folder), script=Path(script)) as server:
        yield server.url


def run(coroutine):  # type: ignore[no-untyped-def]
    """``asyncio.run`` in a thread of its own: a Playwright test run earlier in this process
    may have left an event loop running in this one."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def test_a_page_is_read_with_its_widgets_and_texts(probe_url: str) -> None:
    async def scenario() -> None:
        client = ProtocolClient(probe_url)
        page = await client.open()
        assert page.status == "ok" and not page.exceptions
        assert page.has_text("Probe") and page.has_text("presses: 0")
        assert client.find("button", "Press").widget_id
        assert client.has("text_input", "Name") and not client.has("button", "Nope")
        with pytest.raises(ProtocolError, match="no button 'Nope'"):
            await client.click("Nope")
        assert client.query_string == "colour=red"  # page_info_changed: the URL the page set
        await client.close()

    run(scenario())


def test_clicks_forms_and_selections_reach_the_script(probe_url: str) -> None:
    async def scenario() -> None:
        client = ProtocolClient(probe_url)
        await client.open()
        assert (await client.click("Press")).has_text("presses: 1")
        assert (await client.click("Press")).has_text("presses: 2")
        sent = await client.submit({"Name": "Ada"}, "Send")
        assert sent.has_text("hello Ada") and sent.has_text("presses: 2")
        chosen = await client.select("Colour", "green")
        assert chosen.has_text("colour: green") and client.query_string == "colour=green"
        # Every widget's value goes with every rerun, as the browser sends them: a click
        # elsewhere keeps the selection, the segmented control and the form's text.
        mode = await client.choose("Mode", ["Text"])
        assert mode.has_text("mode: Text") and mode.has_text("colour: green")
        again = await client.rerun()
        assert again.has_text("mode: Text") and again.has_text("colour: green")
        with pytest.raises(ProtocolError, match="offers"):
            await client.choose("Mode", ["Table"])
        await client.close()

    run(scenario())


def test_a_fragment_run_replaces_only_its_fragment(probe_url: str) -> None:
    async def scenario() -> None:
        client = ProtocolClient(probe_url)
        await client.open()
        shown = await client.click("Show")  # the fragment reruns itself (st.rerun): one action
        assert shown.status == "fragment"
        assert client.has("button", "Hide") and not client.has("button", "Show")
        assert shown.has_text("the back side") and shown.has_text("Probe")  # the rest is kept
        hidden = await client.click("Hide")
        assert client.has("button", "Show") and not hidden.has_text("the back side")
        await client.close()

    run(scenario())


def test_pages_are_opened_by_name_and_a_missing_one_is_reported(probe_url: str) -> None:
    async def scenario() -> None:
        client = ProtocolClient(probe_url)
        other = await client.open("other")
        assert other.status == "ok" and other.has_text("the other page")
        # A fragment that asks for a whole-page rerun keeps the page (the rerun names it).
        again = await client.click("Again")
        assert again.has_text("the other page") and again.has_text("agains: 1")
        missing = await client.open("no-such-page")
        assert missing.status == "page-not-found" and missing.has_text("Probe")  # the default
        await client.close()

    run(scenario())
