"""Every hostile input, through every Markdown field, renders with nothing that could run."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

from postmortems.markdown import render_markdown
from tests.factories import ContributingFactorFactory, PostmortemFactory, TimelineEventFactory

PAYLOADS = [
    line for line in (Path(__file__).parent / "data" / "xss_payloads.txt").read_text().splitlines()
]
FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "style", "form", "base", "meta", "link",
                  "svg", "math", "input", "textarea", "video", "audio", "body"}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "srcset", "action", "background", "data", "xlink:href"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))


def assert_inert(html: str) -> None:
    """What a browser would build from `html` has no script, handler or dangerous URL."""
    parser = _Elements()
    parser.feed(html)
    for tag, attributes in parser.elements:
        assert tag not in FORBIDDEN_TAGS, html
        for name, value in attributes:
            assert not name.startswith("on"), html
            assert name != "style", html
            if name in URL_ATTRIBUTES and value:
                compact = "".join(value.split()).lower()
                assert not compact.startswith(BAD_SCHEMES), html


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_renderer_leaves_nothing_that_could_run(payload):
    assert_inert(render_markdown(payload))


def test_all_payloads_together_are_inert_too():
    assert_inert(render_markdown("\n\n".join(PAYLOADS)))


def test_links_that_survive_get_noopener_and_no_target():
    html = render_markdown('<a href="https://example.com" target="_blank">new tab</a>')
    assert 'rel="noopener nofollow"' in html and "target" not in html


def test_code_spans_show_the_payload_as_text():
    html = render_markdown("`<script>alert(51)</script>`")
    assert "<code>&lt;script&gt;alert(51)&lt;/script&gt;</code>" in html


@pytest.mark.django_db
def test_every_markdown_field_of_the_document_page_is_inert(author_client, author):
    text = "\n\n".join(PAYLOADS)
    postmortem = PostmortemFactory(
        owner=author, summary=text, impact=text, went_well=text, went_poorly=text, got_lucky=text
    )
    TimelineEventFactory(postmortem=postmortem, description=text)
    ContributingFactorFactory(postmortem=postmortem, description=text)
    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    rendered = re.findall(r'<div class="[^"]*\bmarkdown\b[^"]*">(.*?)</div>', page, re.S)
    assert len(rendered) == 7  # summary, impact, three lessons, the event, the factor
    for html in rendered:
        assert_inert(html)
    printed = author_client.get(reverse("postmortems:print", args=[postmortem.pk])).content.decode()
    assert_inert(printed.split("<article", 1)[1].split("</article>")[0])
