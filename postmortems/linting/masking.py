"""What of a Markdown text is the author's own prose: everything else is blanked before matching.

Blanking keeps every offset (each masked character becomes a space, newlines stay), so
findings still point into the original text. Never linted: code (fenced, indented, inline),
raw HTML, URLs, headings, template labels ("Root cause:"), table header rows, and quoted
speech (blockquotes and text in double quotes): what someone said, or a log line, is a
record, not the author's judgement. Every pass is linear in the length of the text.
"""

from __future__ import annotations

import re

FENCE_RE = re.compile(r"[ \t]{0,3}(`{3,}|~{3,})")
INLINE_CODE_RE = re.compile(r"`[^`\n]{1,2000}`")
TAG_RE = re.compile(r"</?[A-Za-z][^<>\n]{0,500}>")
URL_RE = re.compile(r"\bhttps?://[^\s)\]>]{1,2000}|\]\([^)\s]{1,2000}\)")
ATX_HEADING_RE = re.compile(r"[ \t]{0,3}#{1,6}(?:[ \t]|$)")
SETEXT_UNDERLINE_RE = re.compile(r"[ \t]{0,3}(?:=+|-{2,})[ \t]*$")
TABLE_RULE_RE = re.compile(r"[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$")
# A short label at the start of a line or list item: "Root cause:", "**Impact**:", "- Owner:".
LABEL_RE = re.compile(
    r"[ \t]*(?:[-*+][ \t]+|\d+[.)][ \t]+)?(?:\*\*|__)?[A-Za-z][\w&()'’/-]*(?: [\w&()'’/-]+){0,3}"
    r"(?:\*\*|__)?[ \t]*:(?:\*\*|__)?(?=\s|$)"
)
BOLD_LINE_RE = re.compile(
    r"[ \t]*(?:[-*+][ \t]+)?(?:\*\*|__)[^*_\n]{1,80}(?:\*\*|__)[ \t]*:?[ \t]*$"
)
LIST_ITEM_RE = re.compile(r"[ \t]*(?:[-*+]|\d+[.)])[ \t]+\S")
QUOTED_RE = re.compile(r"\"[^\"\n]{1,400}\"|“[^”\n]{1,400}”")


def _comment_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    start = text.find("<!--")
    while start != -1:
        end = text.find("-->", start + 4)
        end = len(text) if end == -1 else end + 3
        spans.append((start, end))
        start = text.find("<!--", end)
    return spans


def _block_spans(text: str) -> list[tuple[int, int]]:
    """Line by line: fenced and indented code, headings, blockquotes, tables' header rows."""
    lines = text.split("\n")
    spans: list[tuple[int, int]] = []
    fence: str | None = None
    previous_blank = True
    in_indented = False
    in_quote = False
    in_list = False
    end = -1
    for line, following in zip(lines, [*lines[1:], ""], strict=True):
        start = end + 1
        end = start + len(line)
        stripped = line.strip()
        first = stripped[:1]
        opener = FENCE_RE.match(line) if first in ("`", "~") else None
        if fence is not None:
            spans.append((start, end))
            if opener and opener.group(1)[0] == fence[0] and len(opener.group(1)) >= len(fence):
                fence = None
            continue
        if opener:
            fence = opener.group(1)
            spans.append((start, end))
            continue
        if not stripped:
            # A blank line ends a blockquote or indented code, and has nothing to mask.
            in_quote = in_indented = False
            previous_blank = True
            continue
        # A blockquote runs on over the lines that follow it, up to a blank line.
        in_quote = in_quote or stripped.startswith(">")
        # Indented lines inside a list continue the list; elsewhere they are code.
        if (first in ("-", "*", "+") or first.isdigit()) and LIST_ITEM_RE.match(line):
            in_list = True
        elif not line[:1].isspace():
            in_list = False
        indented = line.startswith(("    ", "\t")) and not in_list
        in_indented = indented and (previous_blank or in_indented)
        underlined = following.lstrip()[:1] in ("=", "-") and bool(
            SETEXT_UNDERLINE_RE.match(following)
        )
        if (
            in_indented
            or in_quote
            or (first == "#" and ATX_HEADING_RE.match(line))
            or underlined
            or ("|" in line and (TABLE_RULE_RE.match(following) or TABLE_RULE_RE.match(line)))
            or (("*" in line or "_" in line) and BOLD_LINE_RE.match(line))
            or (first in ("=", "-") and not previous_blank and SETEXT_UNDERLINE_RE.match(line))
        ):
            spans.append((start, end))
        elif ":" in line:
            label = LABEL_RE.match(line)
            if label:
                spans.append((start, start + label.end()))
        previous_blank = False
    return spans


def prose_only(text: str) -> str:
    """The text with everything that is not the author's prose blanked out."""
    if not text:
        return text
    spans = _comment_spans(text) + _block_spans(text)
    for marker, pattern in (("<", TAG_RE), ("http", URL_RE), ("](", URL_RE), ("`", INLINE_CODE_RE)):
        if marker in text:
            spans.extend(match.span() for match in pattern.finditer(text))
    if '"' in text or "“" in text:
        spans.extend(match.span() for match in QUOTED_RE.finditer(text))
    if not spans:
        return text.replace("|", ".")
    pieces = []
    position = 0
    for start, end in sorted(spans):
        if end <= position:
            continue
        start = max(start, position)
        pieces.append(text[position:start])
        pieces.append("\n".join(" " * len(line) for line in text[start:end].split("\n")))
        position = end
    pieces.append(text[position:])
    # A table cell is a sentence of its own.
    return "".join(pieces).replace("|", ".")
