"""The page icon is a file of Stride's own: a ``:material/…:`` icon made every browser ask
Google's font server for it on every page load (no icon offline, and an address leaked). It is
given as a ``data:`` URL, so no page run registers a media file for it (every run's orphan scan
over all sessions' files grew with the class).

That the browser then asks no other site for anything is checked in
tests/browser/test_security_browser.py.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
import streamlit as st
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.support import REPO_ROOT


def test_the_page_icon_is_a_local_png(monkeypatch: pytest.MonkeyPatch) -> None:
    given: list[dict[str, Any]] = []
    real = st.set_page_config

    def spy(**kwargs: Any) -> Any:
        given.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(st, "set_page_config", spy)
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=30)
    at.run()
    assert not at.exception
    icon = given[0]["page_icon"]
    prefix = "data:image/png;base64,"
    assert isinstance(icon, str) and icon.startswith(prefix)  # no name a browser looks up
    with Image.open(io.BytesIO(base64.b64decode(icon.removeprefix(prefix)))) as image:
        assert image.format == "PNG" and image.size[0] == image.size[1] >= 32
