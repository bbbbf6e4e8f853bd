"""Stride's page icon (the browser tab's favicon) as a ``data:`` URL, read once per process.

Given a file, ``st.set_page_config`` registers it with Streamlit's media file manager on every
page run, per session: each run then ends with a scan of every session's files for orphans
(``MediaFileManager.remove_orphaned_files``), a cost that grows with the number of students
signed in. A ``data:`` URL is passed to the browser as it is, and it is served by Stride itself
(no outside address: the content security policy allows ``img-src data:``).
"""

from __future__ import annotations

import base64
from functools import cache
from pathlib import Path

ICON_FILE = Path(__file__).resolve().parent / "assets" / "stride-icon.png"


@cache
def page_icon_url() -> str:
    """``data:image/png;base64,…`` of :data:`ICON_FILE` (2.5 kB)."""
    encoded = base64.b64encode(ICON_FILE.read_bytes()).decode("ascii")
    return f"data:image/png;base64,{encoded}"
