"""Decks: the deck list with counts and exports; upload → preview → import; a card browser.

Three tabs (only the open one runs; the filters and edits keep their values across tabs):

* **Decks**: every deck with its card counts by state, what is due today, and download buttons
  for Markdown, Anki text and an Anki package (built when clicked).
* **Import**: a file upload (20 MB at most), then a preview: the format, the title, every problem
  as ``FILE:LINE: message``, the first cards rendered, and an import button that is enabled only
  when the file has no problems.
* **Browse**: search by deck, text, tag, state and FSRS memory (stability, difficulty,
  retrievability); select rows to suspend or unsuspend them; the selected card rendered, with an
  editor whose preview follows the text, and deletion behind a confirmation.

Deck text is rendered only by :func:`show_card_text` (Markdown + KaTeX, HTML shown as text); every
other user-provided string is escaped or shown in code blocks and table cells. Session state keys
start with ``decks_``.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from quiz.decks.export import to_anki_text, to_markdown_text, write_apkg
from quiz.decks.model import ParsedDeck
from quiz.decks.reader import MAX_DECK_BYTES
from quiz.scheduling import utc_now
from quiz.services.deck_browser import (
    STATES,
    CardEditError,
    CardRow,
    DeckSummary,
    UploadPreview,
    UploadRejectedError,
    all_tags,
    deck_for_export,
    deck_summaries,
    delete_card,
    import_upload,
    preview_upload,
    search_cards,
    suspend,
    unsuspend,
    update_card,
)
from quiz.services.decks import slugify
from quiz.services.study import CardNotFoundError
from quiz.ui.session import current_actor, verified_actor
from quiz.ui.state import get_stride
from quiz.ui.text import describe_due, escape_markdown, show_card_text

STUDY_PAGE = "quiz/ui/pages/study.py"
TABS = ("Decks", "Import", "Browse")
STUDENT_TABS = ("Decks", "Browse")
UPLOAD_TYPES = ["md", "markdown", "txt", "csv", "tsv", "apkg", "colpkg"]
MAX_UPLOAD_MB = MAX_DECK_BYTES // 2**20
PREVIEW_CARDS = 20
RESULT_LIMIT = 200
ALL_DECKS = 0

stride = get_stride()
actor = current_actor()
state = st.session_state
state.setdefault("decks_upload_nonce", 0)
state.setdefault("decks_results_nonce", 0)


def _notify(message: str, icon: str = ":material/check_circle:") -> None:
    state.decks_notice = (message, icon)


# --- Decks tab -------------------------------------------------------------------------------


def _export_data(deck_id: int, kind: str) -> Callable[[], bytes]:
    """Build the export when its button is clicked (not on every rerun)."""

    def build() -> bytes:
        with stride.transaction() as session:
            deck = deck_for_export(session, deck_id)
        return _export_bytes(deck, kind)

    return build


def _export_bytes(deck: ParsedDeck, kind: str) -> bytes:
    if kind == "md":
        return to_markdown_text(deck).encode("utf-8")
    if kind == "txt":
        return to_anki_text(deck).encode("utf-8")
    with tempfile.TemporaryDirectory(prefix="stride-download-") as folder:
        path = Path(folder) / "deck.apkg"
        write_apkg(deck, path)
        return path.read_bytes()


def _decks_tab(decks: list[DeckSummary]) -> None:
    if not decks:
        st.info("There are no decks yet. Import one in the **Import** tab.")
        return
    zone = stride.settings.timezone
    now = utc_now()
    table = pd.DataFrame(
        {
            "Deck": [deck.title for deck in decks],
            "Cards": [deck.cards for deck in decks],
            "New": [deck.new for deck in decks],
            "Learning": [deck.learning for deck in decks],
            "Review": [deck.review for deck in decks],
            "Suspended": [deck.suspended for deck in decks],
            "Due today": [deck.due_today for deck in decks],
            "Next due": [
                describe_due(deck.next_due, now, zone) if deck.next_due else "" for deck in decks
            ],
            "Source": [deck.source_name or deck.source_format for deck in decks],
        }
    )
    st.dataframe(table, hide_index=True, key="decks_table")
    st.caption(
        "New, Learning and Review count every card in each state; Due today is what Study "
        "shows today (new cards up to the daily limit). Suspended cards are not studied."
    )

    st.header("Export")
    for deck in decks:
        with st.container(border=True, key=f"decks_export_{deck.deck_id}"):
            st.markdown(f"**{escape_markdown(deck.title)}**")
            st.caption(f"{deck.cards} cards · {deck.due_today} due today")
            actions = st.container(horizontal=True, vertical_alignment="center")
            actions.page_link(
                STUDY_PAGE,
                label="Study",
                icon=":material/play_arrow:",
                query_params={"deck": str(deck.deck_id)},
            )
            name = slugify(deck.title)
            for kind, label, file_name, mime in (
                ("md", "Markdown", f"{name}.md", "text/markdown"),
                ("txt", "Anki text", f"{name}.txt", "text/plain"),
                ("apkg", "Anki package", f"{name}.apkg", "application/octet-stream"),
            ):
                actions.download_button(
                    label,
                    data=_export_data(deck.deck_id, kind),
                    file_name=file_name,
                    mime=mime,
                    icon=":material/download:",
                    key=f"decks_download_{kind}_{deck.deck_id}",
                    on_click="ignore",
                )
    st.caption(
        "Anki has no generated exercises: the Anki formats leave exercise entries out. "
        "Markdown keeps them (with their difficulty)."
    )


# --- Import tab ------------------------------------------------------------------------------


def _preview(uploaded: UploadedFile) -> UploadPreview:
    """The preview of ``uploaded``, computed once per uploaded file."""
    cached = state.get("decks_preview")
    if cached is not None and cached[0] == uploaded.file_id:
        return cached[1]
    preview = preview_upload(uploaded.getvalue(), uploaded.name)
    state.decks_preview = (uploaded.file_id, preview)
    return preview


def _import(data: bytes, filename: str) -> None:
    acting = verified_actor()  # a callback: the session may have ended since the page ran
    if acting is None:
        return
    try:
        with stride.transaction() as session:
            report = import_upload(session, acting, data, filename, utc_now())
    except UploadRejectedError as error:
        state.decks_import_error = str(error)
        return
    state.decks_import_report = report
    state.decks_upload_nonce += 1  # clear the uploader: the file is in
    state.pop("decks_preview", None)


def _import_tab(decks: list[DeckSummary]) -> None:
    st.write(
        "Upload a deck: Markdown (`.md`), Stride notes (`.txt`), an Anki text export "
        "(`.txt`, `.csv`, `.tsv`) or an Anki package (`.apkg`). Importing a deck again updates "
        "it: edited cards keep their review history."
    )
    if report := state.pop("decks_import_report", None):
        st.success(  # the title the student knows (the slug is for commands)
            escape_markdown(f'Deck "{report.title}" {report.counts()}'),
            icon=":material/check_circle:",
        )
        imported = next((d for d in decks if d.slug == report.slug), None)
        if imported is not None:
            st.page_link(
                STUDY_PAGE,
                label=f"Study {escape_markdown(imported.title)}",
                icon=":material/play_arrow:",
                query_params={"deck": str(imported.deck_id)},
            )
    if error := state.pop("decks_import_error", None):
        st.error(escape_markdown(error), icon=":material/error:")

    uploaded = st.file_uploader(
        "Deck file",
        type=UPLOAD_TYPES,
        max_upload_size=MAX_UPLOAD_MB,
        key=f"decks_upload_{state.decks_upload_nonce}",
        help=f"At most {MAX_UPLOAD_MB} MB.",
    )
    if uploaded is None:
        return
    preview = _preview(uploaded)
    deck = preview.deck
    facts = [f"**Format:** {escape_markdown(preview.format)}"]
    if deck is not None:
        exercises = sum(card.exercise is not None for card in deck.cards)
        facts += [
            f"**Title:** {escape_markdown(deck.title)}",
            f"**Cards:** {len(deck.cards)}" + (f" ({exercises} exercises)" if exercises else ""),
        ]
    st.markdown(" · ".join(facts))

    if preview.problems:
        count = len(preview.problems)
        st.error(
            f"{count} problem{'s' if count != 1 else ''} found; fix "
            f"{'them' if count != 1 else 'it'} and upload the file again. Nothing is imported "
            "from a file with problems.",
            icon=":material/error:",
        )
        st.code("\n".join(preview.problem_lines()), language=None, wrap_lines=True)
    if deck is None:
        return

    existing = next((d for d in decks if d.slug == slugify(deck.title)), None)
    if existing is not None:
        st.info(
            f"This updates the deck **{escape_markdown(existing.title)}** "
            f"({existing.cards} cards now).",
            icon=":material/sync:",
        )
    if deck.description:
        st.caption(escape_markdown(deck.description))
    if not preview.problems:
        st.button(
            f"Import {len(deck.cards)} card{'s' if len(deck.cards) != 1 else ''}",
            type="primary",
            icon=":material/upload:",
            key="decks_import",
            on_click=_import,
            args=(uploaded.getvalue(), uploaded.name),
            disabled=not preview.ok,
        )
    shown = deck.cards[:PREVIEW_CARDS]
    st.header(
        "Preview" + (f" (the first {PREVIEW_CARDS})" if len(deck.cards) > PREVIEW_CARDS else "")
    )
    for number, card in enumerate(shown, start=1):
        with st.container(border=True, key=f"decks_preview_card_{number}"):
            details = [f"Card {number}"]
            if card.line:
                details.append(f"line {card.line}")
            if card.exercise is not None:
                details.append(
                    f"exercise {card.exercise.family}, difficulty {card.exercise.difficulty}"
                )
            if card.tags:
                details.append("tags: " + " ".join(card.tags))
            st.caption(escape_markdown(" · ".join(details)))
            show_card_text(card.front)
            st.divider()
            show_card_text(card.back)


# --- Browse tab ------------------------------------------------------------------------------


def _suspend(card_ids: list[int]) -> None:
    acting = verified_actor()  # a callback: the session may have ended since the page ran
    if acting is None:
        return
    with stride.transaction() as session:
        count = suspend(session, acting, card_ids, utc_now())
    _notify(f"Suspended {count} card{'s' if count != 1 else ''}.", ":material/pause_circle:")
    state.decks_results_nonce += 1


def _unsuspend(card_ids: list[int]) -> None:
    acting = verified_actor()  # a callback: the session may have ended since the page ran
    if acting is None:
        return
    with stride.transaction() as session:
        count = unsuspend(session, acting, card_ids)
    _notify(f"Unsuspended {count} card{'s' if count != 1 else ''}.", ":material/play_circle:")
    state.decks_results_nonce += 1


def _save(card_id: int) -> None:
    acting = verified_actor()  # a callback: the session may have ended since the page ran
    if acting is None:
        return
    front = state.get(f"decks_edit_front_{card_id}", "")
    back = state.get(f"decks_edit_back_{card_id}", "")
    tags = state.get(f"decks_edit_tags_{card_id}", "")
    try:
        with stride.transaction() as session:
            changed = update_card(session, acting, card_id, front, back, tags, utc_now())
    except (CardEditError, CardNotFoundError) as error:
        state.decks_edit_error = (card_id, str(error))
        return
    _notify("Saved." if changed else "Nothing changed.", ":material/save:")


def _delete(card_id: int) -> None:
    acting = verified_actor()  # a callback: the session may have ended since the page ran
    if acting is None:
        return
    try:
        with stride.transaction() as session:
            report = delete_card(session, acting, card_id)
    except CardNotFoundError:
        _notify("That card was already deleted.", ":material/info:")
    else:
        reviews = f"{report.reviews} review{'s' if report.reviews != 1 else ''}"
        _notify(f"Deleted the card and its {reviews}.", ":material/delete:")
    state.decks_results_nonce += 1


def _one_line(text: str, width: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _filters(decks: list[DeckSummary]) -> dict[str, object]:
    deck_titles = {ALL_DECKS: "All decks", **{deck.deck_id: deck.title for deck in decks}}
    deck_column, text_column, tag_column, state_column = st.columns([2, 2, 1.3, 1.3])
    deck_id = deck_column.selectbox(
        "Deck",
        list(deck_titles),
        format_func=deck_titles.__getitem__,
        key="decks_filter_deck",
        persist_state="page",
    )
    text = text_column.text_input(
        "Text", key="decks_filter_text", persist_state="page", placeholder="Words on either side"
    )
    with stride.transaction() as session:
        tags = all_tags(session, None if deck_id == ALL_DECKS else deck_id)
    tag = tag_column.selectbox(
        "Tag", tags, index=None, placeholder="Any tag", key="decks_filter_tag", persist_state="page"
    )
    card_state = state_column.selectbox(
        "State",
        STATES,
        index=None,
        placeholder="Any state",
        format_func=str.capitalize,
        key="decks_filter_state",
        persist_state="page",
        help="Learning includes relearning cards. Suspended cards show only under Suspended.",
    )
    filters: dict[str, object] = {
        "deck_id": None if deck_id == ALL_DECKS else deck_id,
        "text": text,
        "tag": tag or "",
        "state": card_state,
    }
    with st.expander("Memory (FSRS): stability, difficulty, retrievability"):
        st.caption(
            "Stability: days until the chance of recall falls to 90%. Difficulty: 1 (easy) to "
            "10 (hard). Retrievability: the chance of recall now. New cards have none of these, "
            "so a bound leaves them out."
        )
        low, high, difficulty, retrievability = st.columns([1, 1, 2, 2])
        filters["min_stability"] = low.number_input(
            "Stability at least (days)",
            min_value=0.0,
            value=None,
            key="decks_filter_smin",
            persist_state="page",
        )
        filters["max_stability"] = high.number_input(
            "Stability at most (days)",
            min_value=0.0,
            value=None,
            key="decks_filter_smax",
            persist_state="page",
        )
        d_low, d_high = difficulty.slider(
            "Difficulty",
            1.0,
            10.0,
            (1.0, 10.0),
            step=0.5,
            key="decks_filter_difficulty",
            persist_state="page",
        )
        if (d_low, d_high) != (1.0, 10.0):
            filters["min_difficulty"], filters["max_difficulty"] = d_low, d_high
        r_low, r_high = retrievability.slider(
            "Retrievability (%)",
            0,
            100,
            (0, 100),
            key="decks_filter_retrievability",
            persist_state="page",
        )
        if (r_low, r_high) != (0, 100):
            filters["min_retrievability"] = r_low / 100
            filters["max_retrievability"] = r_high / 100
    return filters


def _results_table(rows: list[CardRow]) -> pd.DataFrame:
    zone = stride.settings.timezone
    return pd.DataFrame(
        {
            "Front": [_one_line(row.front) for row in rows],
            "State": [row.state.capitalize() for row in rows],
            "Due": [
                row.due.astimezone(zone).replace(tzinfo=None) if row.due else None for row in rows
            ],
            "Stability": [row.stability for row in rows],
            "Difficulty": [row.difficulty for row in rows],
            "Retrievability": [row.retrievability for row in rows],
            "Reps": [row.reps for row in rows],
            "Lapses": [row.lapses for row in rows],
            "Tags": [" ".join(row.tags) for row in rows],
            "Deck": [row.deck_title for row in rows],
        }
    )


RESULT_COLUMNS = {
    "Front": st.column_config.TextColumn(width="medium"),
    "State": st.column_config.TextColumn(width="small"),
    "Due": st.column_config.DatetimeColumn(format="D MMM HH:mm", help="In your time zone"),
    "Stability": st.column_config.NumberColumn(format="%.1f d", help="Days to 90% recall"),
    "Difficulty": st.column_config.NumberColumn(format="%.1f", help="1 (easy) to 10 (hard)"),
    "Retrievability": st.column_config.ProgressColumn(
        format="percent", min_value=0.0, max_value=1.0, help="Chance of recall now", width="small"
    ),
    "Reps": st.column_config.NumberColumn(width="small"),
    "Lapses": st.column_config.NumberColumn(width="small"),
}


def _browse_tab(decks: list[DeckSummary]) -> None:
    filters = _filters(decks)
    now = utc_now()
    with stride.transaction() as session:
        rows = search_cards(
            session,
            actor,
            now,
            stride.scheduler,
            limit=RESULT_LIMIT + 1,
            **filters,  # type: ignore[arg-type]
        )
    more = len(rows) > RESULT_LIMIT
    rows = rows[:RESULT_LIMIT]
    if not rows:
        st.info("No cards match these filters.", icon=":material/search_off:")
        return
    found = f"the first {RESULT_LIMIT} cards shown; narrow the search" if more else None
    st.caption(found or f"{len(rows)} card{'s' if len(rows) != 1 else ''}")

    # The selection is by row number: a new key for new results, so it never points elsewhere.
    fingerprint = hashlib.sha256(repr(sorted(filters.items())).encode()).hexdigest()[:12]
    event = st.dataframe(
        _results_table(rows),
        hide_index=True,
        column_config=RESULT_COLUMNS,
        on_select="rerun",
        selection_mode="multi-row",
        key=f"decks_results_{state.decks_results_nonce}_{fingerprint}",
    )
    picked = [rows[index] for index in event.selection.rows if 0 <= index < len(rows)]
    if not picked:
        st.caption("Select rows (the boxes at their left) to suspend, edit or delete cards.")
        return

    ids = [row.id for row in picked]
    count = f"{len(ids)} card{'s' if len(ids) != 1 else ''}"
    actions = st.container(horizontal=True, key="decks_actions")
    actions.button(
        f"Suspend {count}",
        icon=":material/pause_circle:",
        key="decks_suspend",
        on_click=_suspend,
        args=(ids,),
        disabled=all(row.suspended for row in picked),
    )
    actions.button(
        f"Unsuspend {count}",
        icon=":material/play_circle:",
        key="decks_unsuspend",
        on_click=_unsuspend,
        args=(ids,),
        disabled=not any(row.suspended for row in picked),
    )

    card = picked[0]
    if len(picked) > 1:
        by_id = {row.id: row for row in picked}
        card = by_id[
            st.selectbox(
                "Card to show",
                list(by_id),
                format_func=lambda card_id: _one_line(by_id[card_id].front, 70),
                key="decks_shown_card",
            )
        ]
    _card_view(card)


def _card_view(card: CardRow) -> None:
    st.header("Card")
    facts = [card.deck_title, card.state.capitalize()]
    if card.is_exercise:
        facts.append(f"exercise {card.exercise_family}, difficulty {card.exercise_difficulty}")
    if card.tags:
        facts.append("tags: " + " ".join(card.tags))
    if card.reps:
        facts.append(f"{card.reps} reviews, {card.lapses} lapses")
    st.caption(escape_markdown(" · ".join(facts)))
    view, edit = st.columns(2, gap="large")
    with view:
        with st.container(border=True, key="decks_card_front"):
            show_card_text(card.front)
        with st.container(border=True, key="decks_card_back"):
            show_card_text(card.back)
        if actor.is_instructor:
            _delete_controls(card)
    with edit:
        if not actor.is_instructor:
            st.caption("Cards are shared by the class: your instructor edits them.")
        elif card.is_exercise:
            st.info(
                "Exercise entries are edited in their deck file (title, blurb and difficulty).",
                icon=":material/info:",
            )
        else:
            _editor(card)


def _editor(card: CardRow) -> None:
    st.markdown("**Edit**")
    front = st.text_area(
        "Front",
        value=card.front,
        key=f"decks_edit_front_{card.id}",
        persist_state="page",
        height=120,
    )
    back = st.text_area(
        "Back", value=card.back, key=f"decks_edit_back_{card.id}", persist_state="page", height=160
    )
    st.text_input(
        "Tags",
        value=" ".join(card.tags),
        key=f"decks_edit_tags_{card.id}",
        persist_state="page",
        help="Separated by spaces. Importing the deck's file again replaces edits and tags.",
    )
    error = state.get("decks_edit_error")
    if error and error[0] == card.id:
        st.error(escape_markdown(error[1]), icon=":material/error:")
        del state["decks_edit_error"]
    st.button(
        "Save",
        type="primary",
        icon=":material/save:",
        key=f"decks_save_{card.id}",
        on_click=_save,
        args=(card.id,),
    )
    st.caption("Preview (updates when you leave a text box, or press Ctrl+Enter)")
    with st.container(border=True, key="decks_edit_preview"):
        show_card_text(front or "")
        st.divider()
        show_card_text(back or "")


def _delete_controls(card: CardRow) -> None:
    confirmed = st.checkbox(
        "I understand this deletes the card and its review history",
        key=f"decks_confirm_delete_{card.id}",
    )
    st.button(
        "Delete card",
        icon=":material/delete:",
        key=f"decks_delete_{card.id}",
        disabled=not confirmed,
        on_click=_delete,
        args=(card.id,),
        help="For every user. A card still in its deck's file comes back (as new) when the "
        "file is imported again.",
    )


# --- page ------------------------------------------------------------------------------------

with stride.transaction() as session:
    summaries = deck_summaries(session, actor, utc_now(), stride.settings)

st.title("Decks")
if notice := state.pop("decks_notice", None):
    st.toast(notice[0], icon=notice[1])

# importing, editing and deleting change the decks for everyone: instructors only
tabs = st.tabs(TABS if actor.is_instructor else STUDENT_TABS, key="decks_tab", on_change="rerun")
decks_tab, browse_tab = tabs[0], tabs[-1]
import_tab = tabs[1] if actor.is_instructor else None
if decks_tab.open is not False:
    with decks_tab:
        _decks_tab(summaries)
if import_tab is not None and import_tab.open:
    with import_tab:
        _import_tab(summaries)
if browse_tab.open:
    with browse_tab:
        _browse_tab(summaries)
