"""The Decks page in AppTest: the deck list with exports, upload → preview → import (and a file
with problems refused), and the card browser: search, suspend, edit with preview, delete."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.support import REPO_ROOT

DECKS = "quiz/ui/pages/decks.py"

GOOD_DECK = b"""\
---
title: Uploaded <b>pooling</b> deck
description: Pooling, with *some* HTML.
---

## Q: What does max-pooling keep? {#max-pool .pooling}

The largest value of each window: $\\max_{(a,b) \\in W} x_{ab}$.

## Q: What is a stride? {#stride}

The step. <img src=x onerror="window.__xss=1">

## Q: What does average pooling compute? {#avg-pool}

The mean of each window. <script>window.__xss=2</script>

## Exercise: conv-output-size {#ex-out difficulty=1}
"""

BAD_DECK = b"""\
---
title: Broken deck
---

## Q: What is a stride? {#a}

The step.

## Q: What is padding? {#a}

Zeros.

## Q: What is pooling?
"""


@pytest.fixture
def app() -> AppTest:
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=30)
    at.run()
    at.switch_page(DECKS).run()
    assert not at.exception
    return at


def _tab(at: AppTest, name: str) -> AppTest:
    at.session_state["decks_tab"] = name
    at.run()
    assert not at.exception
    return at


def _texts(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def _labels(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    _tab(at, "Import")
    at.file_uploader[0].upload(name, data, "text/markdown").run()
    assert not at.exception
    return at


def _import_good_deck(at: AppTest) -> None:
    _upload(at, "pooling.md", GOOD_DECK)
    next(b for b in at.button if b.label == "Import 4 cards").click().run()
    assert not at.exception


def _results(at: AppTest):  # type: ignore[no-untyped-def]
    (table,) = [df for df in at.dataframe if df.key and df.key.startswith("decks_results_")]
    return table


def _select(at: AppTest, *rows: int) -> AppTest:
    at.session_state[_results(at).key] = {"selection": {"rows": list(rows), "columns": []}}
    at.run()
    assert not at.exception
    return at


def _browse_uploaded(at: AppTest) -> AppTest:
    """The Browse tab, showing the uploaded deck only."""
    _tab(at, "Browse")
    deck = at.selectbox(key="decks_filter_deck")
    deck.select_index(deck.options.index("Uploaded <b>pooling</b> deck")).run()
    assert not at.exception
    return at


def test_deck_list_with_counts_and_downloads(app: AppTest) -> None:
    assert app.title[0].value == "Decks"
    assert [tab.label for tab in app.tabs] == ["Decks", "Import", "Browse"]
    table = app.dataframe[0].value  # the built-in decks, all new
    assert len(table) >= 1
    assert list(table["Cards"]) == list(table["New"])
    assert (table["Learning"] == 0).all() and (table["Suspended"] == 0).all()
    assert ((table["Due today"] > 0) & (table["Due today"] <= table["Cards"])).all()
    downloads = app.get("download_button")
    assert len(downloads) == 3 * len(table)
    assert {d.proto.label for d in downloads} == {"Markdown", "Anki text", "Anki package"}


def test_upload_preview_import(app: AppTest) -> None:
    _upload(app, "pooling.md", GOOD_DECK)
    texts = _texts(app)
    assert "**Format:** markdown" in texts
    assert "**Title:** Uploaded \\<b\\>pooling\\</b\\> deck" in texts  # escaped, shown as text
    assert "**Cards:** 4 (1 exercises)" in texts
    assert "$\\max_{(a,b) \\in W} x_{ab}$" in texts  # card text goes to Markdown + KaTeX
    assert not app.error
    assert "Import 4 cards" in _labels(app)

    next(b for b in app.button if b.label == "Import 4 cards").click().run()
    assert not app.exception
    assert app.success[0].value.startswith('Deck "Uploaded \\<b\\>pooling\\</b\\> deck" created: 4')
    assert app.file_uploader[0].value is None  # cleared after the import
    assert any(link.proto.label.startswith("Study Uploaded") for link in app.get("page_link"))

    _tab(app, "Decks")
    table = app.dataframe[0].value
    row = table[table["Deck"] == "Uploaded <b>pooling</b> deck"].iloc[0]
    assert (row["Cards"], row["New"], row["Source"]) == (4, 4, "pooling.md")


def test_upload_with_problems_lists_them_and_cannot_import(app: AppTest) -> None:
    _upload(app, "broken.md", BAD_DECK)
    assert "2 problems found" in app.error[0].value
    problems = app.code[0].value.splitlines()
    assert problems[0].startswith("broken.md:9: the id 'a' is already used on line 5")
    assert problems[1].startswith("broken.md:13: the answer is empty")
    assert not [label for label in _labels(app) if label.startswith("Import")]
    _tab(app, "Decks")
    assert "Broken deck" not in set(app.dataframe[0].value["Deck"])


def test_unreadable_upload_gets_a_clear_message(app: AppTest) -> None:
    _upload(app, "utf16.txt", "Title\n".encode("utf-16"))
    assert "1 problem found" in app.error[0].value
    assert "utf16.txt:1: expected UTF-8 text; this file is UTF-16" in app.code[0].value


def test_browse_search_suspend_and_unsuspend(app: AppTest) -> None:
    _import_good_deck(app)
    _browse_uploaded(app)
    app.text_input(key="decks_filter_text").input("is a stride").run()
    assert list(_results(app).value["Front"]) == ["What is a stride?"]
    assert not [label for label in _labels(app) if label.startswith("Suspend")]

    _select(app, 0)
    assert [s for s in app.markdown if "The step." in s.value]  # the card, rendered
    suspend = next(b for b in app.button if b.label == "Suspend 1 card")
    assert next(b for b in app.button if b.label == "Unsuspend 1 card").disabled
    suspend.click().run()
    assert not app.exception
    assert list(_results(app).value["State"]) == ["Suspended"]

    app.text_input(key="decks_filter_text").input("").run()
    app.selectbox(key="decks_filter_state").select("suspended").run()
    assert list(_results(app).value["Front"]) == ["What is a stride?"]
    _tab(app, "Decks")
    table = app.dataframe[0].value
    row = table[table["Deck"] == "Uploaded <b>pooling</b> deck"].iloc[0]
    assert (row["Suspended"], row["New"], row["Due today"]) == (1, 3, 3)

    _tab(app, "Browse")
    _select(app, 0)
    next(b for b in app.button if b.label == "Unsuspend 1 card").click().run()
    assert not app.exception
    assert "No cards match these filters." in [i.value for i in app.info]


def test_browse_by_tag_and_memory(app: AppTest) -> None:
    _import_good_deck(app)
    _browse_uploaded(app)
    assert len(_results(app).value) == 4
    app.slider(key="decks_filter_difficulty").set_range(5.0, 10.0).run()
    assert not app.exception
    assert "No cards match these filters." in [i.value for i in app.info]  # all new


def test_edit_with_live_preview_and_save(app: AppTest) -> None:
    _import_good_deck(app)
    _browse_uploaded(app)
    app.text_input(key="decks_filter_text").input("max-pooling").run()
    _select(app, 0)
    (front,) = [t for t in app.text_area if t.key and t.key.startswith("decks_edit_front_")]
    card_id = front.key.rsplit("_", 1)[1]
    front.input("What does **max**-pooling keep, per window?").run()
    assert "What does **max**-pooling keep, per window?" in _texts(app)  # the live preview
    app.text_area(key=f"decks_edit_back_{card_id}").input("").run()
    app.button(key=f"decks_save_{card_id}").click().run()
    assert "the back is empty" in app.error[0].value

    app.text_area(key=f"decks_edit_back_{card_id}").input("The **largest** value.").run()
    app.text_input(key=f"decks_edit_tags_{card_id}").input("pooling basics").run()
    app.button(key=f"decks_save_{card_id}").click().run()
    assert not app.exception and not app.error
    app.text_input(key="decks_filter_text").input("per window").run()
    table = _results(app).value
    assert list(table["Front"]) == ["What does **max**-pooling keep, per window?"]
    assert list(table["Tags"]) == ["pooling basics"]


def test_delete_needs_confirmation(app: AppTest) -> None:
    _import_good_deck(app)
    _browse_uploaded(app)
    app.text_input(key="decks_filter_text").input("average pooling").run()
    _select(app, 0)
    (delete,) = [b for b in app.button if b.label == "Delete card"]
    assert delete.disabled
    (confirm,) = [c for c in app.checkbox if c.key and c.key.startswith("decks_confirm_delete_")]
    confirm.check().run()
    (delete,) = [b for b in app.button if b.label == "Delete card"]
    assert not delete.disabled
    delete.click().run()
    assert not app.exception
    assert "No cards match these filters." in [i.value for i in app.info]
    _tab(app, "Decks")
    table = app.dataframe[0].value
    assert table[table["Deck"] == "Uploaded <b>pooling</b> deck"].iloc[0]["Cards"] == 3


def test_exercise_entries_are_not_edited_here(app: AppTest) -> None:
    _import_good_deck(app)
    _browse_uploaded(app)
    fronts = list(_results(app).value["Front"])
    _select(app, next(i for i, front in enumerate(fronts) if not front.startswith("What")))
    assert any("Exercise entries are edited in their deck file" in i.value for i in app.info)
    assert not [t for t in app.text_area if t.key and t.key.startswith("decks_edit_")]
