"""The one place user Markdown becomes HTML: python-markdown, then an nh3 allowlist."""

import functools
import threading

import markdown as markdown_lib
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "img", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "th": {"align"},
    "td": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    # Images load without a click, so they may only come over http(s), never relative or data:.
    if (
        tag == "img"
        and attribute == "src"
        and not value.lower().startswith(("http://", "https://"))
    ):
        return None
    if attribute == "class" and not value.startswith("language-"):
        return None
    return value


_local = threading.local()


def _converter() -> markdown_lib.Markdown:
    # Building a Markdown object loads its extensions, which costs more than converting a short
    # text; one per thread (they are not thread-safe), reset between texts.
    if not hasattr(_local, "converter"):
        _local.converter = markdown_lib.Markdown(
            extensions=["extra", "sane_lists"], output_format="html"
        )
    return _local.converter


# A page shows the same texts on every view (a long timeline is hundreds of them); the HTML
# depends on the text alone, so it is kept per process, keyed by the text itself.
@functools.lru_cache(maxsize=4096)
def render_markdown(text: str) -> str:
    html = _converter().reset().convert(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener nofollow",
        attribute_filter=_filter_attribute,
        strip_comments=True,
    )
