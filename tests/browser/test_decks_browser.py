"""The Decks page in a real Chromium: upload → preview → import → listed and exported; a file with
problems lists them; HTML payloads in a deck or an Anki field stay inert text everywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.browser

POOLING_DECK = """\
---
title: Pooling in the browser
---

## Q: What does max-pooling keep? {#max-pool .pooling}

The largest value of each window:

$$
y_{ij} = \\max_{(a, b) \\in W_{ij}} x_{ab}
$$

## Q: What is the output size of a $2 \\times 2$ pool with stride $2$ on $32 \\times 32$?

$16 \\times 16$

## Q: What does average pooling compute? {#avg-pool}

The mean of each window.
"""

BROKEN_DECK = """\
---
title: Broken deck
---

## Q: What is a stride? {#a}

The step.

## Q: What is padding? {#a}

Zeros around the image.

## Q: What is pooling?
"""

IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=2</script>"
XSS_DECK = f"""\
---
title: XSS <img src=x onerror="window.__xss=3"> deck
---

## Q: Image payload {IMG} in the front

Script payload {SCRIPT} in the back, with maths $x^2$.

## Q: Raw HTML block

{IMG}

{SCRIPT}
"""

ANKI_XSS = (
    "#separator:tab\n#html:true\n"
    '<img src=x onerror="window.__xss=4">Anki front\t'
    "<script>window.__xss=5</script>Anki back &lt;script&gt;window.__xss=6&lt;/script&gt;\n"
)


def _open(page: Page, url: str) -> None:
    page.goto(f"{url}/decks")
    expect(page.get_by_role("heading", name="Decks", exact=True)).to_be_visible(timeout=30_000)
    page.wait_for_load_state("networkidle")


def _tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")


def _upload(page: Page, path: Path) -> None:
    _tab(page, "Import")
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(path)
    expect(page.get_by_text("Format:")).to_be_visible(timeout=15_000)


def _search(page: Page, text: str, expected: str) -> Locator:
    _tab(page, "Browse")
    box = page.get_by_role("textbox", name="Text")
    box.fill(text)
    box.press("Enter")
    expect(page.get_by_text(expected, exact=True)).to_be_visible()
    grid = page.locator("[data-testid=stDataFrame]")
    expect(grid.locator("canvas").first).to_be_visible()
    page.wait_for_timeout(500)  # the grid draws its rows on the canvas
    return grid


def _select_first_row(page: Page, grid: Locator) -> None:
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 16, box["y"] + 35 + 17)  # the row's checkbox, below the header
    expect(page.get_by_role("button", name=re.compile(r"^Suspend 1 card"))).to_be_visible()


def _assert_inert(page: Page) -> None:
    assert page.evaluate("window.__xss") is None
    expect(page.locator("img[src=x]")).to_have_count(0)
    assert (
        page.evaluate("[...document.scripts].filter(s => s.textContent.includes('__xss')).length")
        == 0
    )


def test_upload_preview_import_list_and_export(
    page: Page, app_url: str, tmp_path: Path, screenshot_dir: Path
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    deck = tmp_path / "pooling.md"
    deck.write_text(POOLING_DECK, encoding="utf-8")
    _open(page, app_url)
    _upload(page, deck)
    expect(page.get_by_text("Pooling in the browser")).to_be_visible()
    first = page.locator(".st-key-decks_preview_card_1")
    expect(first.locator(".katex-display")).to_have_count(1)
    expect(page.locator(".st-key-decks_preview_card_2 .katex").first).to_be_visible()
    expect(page.locator(".katex-error")).to_have_count(0)
    page.screenshot(path=screenshot_dir / "decks-import-preview.png", full_page=True)

    page.get_by_role("button", name="Import 3 cards").click()
    expect(
        page.get_by_text(re.compile(r'Deck "Pooling in the browser" created: 3 added'))
    ).to_be_visible()
    expect(page.get_by_role("link", name="Study Pooling in the browser")).to_be_visible()

    _tab(page, "Decks")
    row = page.locator("[class*=st-key-decks_export_]").filter(has_text="Pooling in the browser")
    expect(row).to_contain_text("3 cards · 3 due today")
    expect(page.locator("[data-testid=stDataFrame] canvas").first).to_be_visible()
    page.wait_for_timeout(500)
    page.screenshot(path=screenshot_dir / "decks-list.png", full_page=True)
    with page.expect_download() as download:
        row.get_by_role("button", name="Markdown").click()
    assert download.value.suggested_filename == "pooling-in-the-browser.md"
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert "title: Pooling in the browser" in exported
    assert "## Q: What does max-pooling keep? {#max-pool" in exported
    assert errors == []


def test_a_file_with_problems_lists_them_and_imports_nothing(
    page: Page, app_url: str, tmp_path: Path, screenshot_dir: Path
) -> None:
    deck = tmp_path / "broken.md"
    deck.write_text(BROKEN_DECK, encoding="utf-8")
    _open(page, app_url)
    _upload(page, deck)
    expect(page.get_by_text(re.compile("2 problems found"))).to_be_visible()
    problems = page.locator("[data-testid=stCode]")
    expect(problems).to_contain_text("broken.md:9: the id 'a' is already used on line 5")
    expect(problems).to_contain_text("broken.md:13: the answer is empty")
    expect(page.get_by_role("button", name=re.compile("^Import"))).to_have_count(0)
    page.screenshot(path=screenshot_dir / "decks-import-problems.png", full_page=True)


def test_html_payloads_stay_inert_text(
    page: Page, app_url: str, tmp_path: Path, screenshot_dir: Path
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    deck = tmp_path / "xss.md"
    deck.write_text(XSS_DECK, encoding="utf-8")
    _open(page, app_url)
    _upload(page, deck)
    preview = page.locator(".st-key-decks_preview_card_1")
    expect(preview).to_contain_text(IMG)  # shown as text, not an element
    expect(preview).to_contain_text(SCRIPT)
    expect(page.locator(".st-key-decks_preview_card_2")).to_contain_text(IMG)
    expect(page.get_by_text('Title: XSS <img src=x onerror="window.__xss=3"> deck')).to_be_visible()
    _assert_inert(page)
    page.screenshot(path=screenshot_dir / "decks-xss-preview.png", full_page=True)

    page.get_by_role("button", name="Import 2 cards").click()
    expect(page.get_by_text(re.compile("created: 2 added"))).to_be_visible()
    _tab(page, "Decks")
    expect(
        page.locator("[class*=st-key-decks_export_]").filter(has_text="XSS <img src=x")
    ).to_be_visible()
    _assert_inert(page)

    _select_first_row(page, _search(page, "payload", "1 card"))
    front, back = page.locator(".st-key-decks_card_front"), page.locator(".st-key-decks_card_back")
    expect(front).to_contain_text(IMG)
    expect(back).to_contain_text(SCRIPT)
    expect(back.locator(".katex").first).to_be_visible()  # the maths still renders
    _assert_inert(page)

    # The live preview of the editor renders what is typed, still as text.
    editor = page.get_by_role("textbox", name="Front")
    editor.fill(f"Edited {IMG.replace('__xss=1', '__xss=7')} front")
    page.get_by_role("textbox", name="Tags").click()  # leaving the text area updates the preview
    preview = page.locator(".st-key-decks_edit_preview")
    expect(preview).to_contain_text('Edited <img src=x onerror="window.__xss=7"> front')
    _assert_inert(page)
    page.screenshot(path=screenshot_dir / "decks-xss-card.png", full_page=True)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()

    anki = tmp_path / "anki-xss.txt"
    anki.write_text(ANKI_XSS, encoding="utf-8")
    _upload(page, anki)
    card = page.locator(".st-key-decks_preview_card_1")
    expect(card).to_contain_text("Anki front")
    expect(card).to_contain_text("<script>window.__xss=6</script>")  # an escaped tag: text
    _assert_inert(page)
    page.screenshot(path=screenshot_dir / "decks-xss-anki-preview.png", full_page=True)
    assert dialogs == []
