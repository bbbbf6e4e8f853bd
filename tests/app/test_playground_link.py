"""Practice page -> Playground: after the worked solution of a problem about one conv or pooling
layer, "Open in Playground" links to the Playground with that layer's numbers in the URL."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from streamlit.testing.v1 import AppTest

from quiz.exercises.registry import get_family
from quiz.playground.layer import config_from_query
from quiz.playground.links import playground_params
from quiz.ui.playground_link import PLAYGROUND_PAGE
from tests.support import REPO_ROOT

PRACTICE = "quiz/ui/pages/practice.py"


def _practice(family: str, seed: int, difficulty: int) -> AppTest:
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=30)
    at.query_params.update({"family": family, "seed": str(seed), "difficulty": str(difficulty)})
    at.run()
    at.switch_page(PRACTICE).run()
    assert not at.exception
    return at


def _links(at: AppTest) -> list[object]:
    return [link for link in at.page_link if link.proto.label == "Open in Playground"]


def _linked_seed(family: str, difficulty: int) -> int:
    """The first seed whose exercise the Playground can show (most of them)."""
    return next(
        seed
        for seed in range(50)
        if playground_params(get_family(family).make(seed, difficulty)) is not None
    )


@pytest.mark.parametrize(
    ("family", "difficulty"),
    [
        ("conv-output-size", 2),
        ("pool-output-size", 2),
        ("conv-transpose-output-size", 1),
        ("conv-forward", 2),
        ("maxpool-backward", 1),
    ],
)
def test_worked_solution_links_to_the_same_layer(family: str, difficulty: int) -> None:
    seed = _linked_seed(family, difficulty)
    at = _practice(family, seed, difficulty)
    assert not _links(at), "the link comes with the worked solution"
    next(b for b in at.button if b.label == "Worked solution").click().run()
    assert not at.exception
    links = _links(at)
    assert len(links) == 1
    link = links[0].proto
    assert link.page == "playground"  # the Playground page's URL path
    query = {name: values[-1] for name, values in parse_qs(link.query_string).items()}
    expected = playground_params(get_family(family).make(seed, difficulty))
    assert query == expected
    config, notes = config_from_query(query)
    assert notes == [] and config.error is None


def test_following_the_link_opens_the_playground_with_those_knobs() -> None:
    seed = _linked_seed("conv-output-size", 2)
    query = playground_params(get_family("conv-output-size").make(seed, 2))
    assert query is not None
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=30)
    at.query_params.update(query)  # what the browser's URL holds after the click
    at.run()
    at.switch_page(PLAYGROUND_PAGE).run()
    assert not at.exception and not at.warning
    config, _ = config_from_query(query)
    assert at.segmented_control(key="pg_kind").value == config.kind
    assert at.slider(key="pg_k").value == config.kernel
    assert at.slider(key="pg_s").value == config.stride
    assert at.number_input(key="pg_h").value == config.height


def test_problems_about_several_layers_get_no_link() -> None:
    at = _practice("receptive-field", 3, 2)
    next(b for b in at.button if b.label == "Worked solution").click().run()
    assert not at.exception
    assert any(m.value.startswith("**Answer:**") for m in at.markdown)
    assert not _links(at)
