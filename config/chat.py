"""Chat messages in each tool's own layout: Slack Block Kit, Microsoft Teams Adaptive Cards,
Mattermost attachments, or plain text.

Callers build one neutral `Message` (a title, lines, facts, link buttons); `render` lays it
out for the tool behind a webhook URL. Nothing here knows postmortems: what a message may
say of a restricted one is decided before it is built (`postmortems.access.outbound`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.db import models


class Layout(models.TextChoices):
    AUTO = "", "Detect from the URL"
    SLACK = "slack", "Slack (Block Kit)"
    TEAMS = "teams", "Microsoft Teams (Adaptive Card)"
    MATTERMOST = "mattermost", "Mattermost (attachments)"
    TEXT = "text", "Plain text"


# Slack documents hard limits; a digest longer than these is cut, with a link to the rest.
# https://docs.slack.dev/reference/block-kit/blocks/section-block (text: 3000 characters,
# fields: 10) and https://docs.slack.dev/reference/block-kit/blocks (50 blocks a message).
_SLACK_TEXT = 3000
_SLACK_BLOCKS = 50
_SLACK_FIELDS = 10
_SLACK_HEADER = 150


@dataclass(frozen=True)
class Line:
    """One line: plain words, a heading, or a linked entry with a note after the link."""

    text: str
    url: str = ""
    note: str = ""
    heading: bool = False


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Message:
    title: str
    lines: list[Line] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    buttons: list[Link] = field(default_factory=list)
    danger: bool = False  # overdue work: a red bar where the tool has one

    @property
    def url(self) -> str:
        return self.buttons[0].url if self.buttons else ""


def detect(url: str) -> str:
    """The layout a webhook URL's host expects; Slack-compatible attachments when unknown."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "hooks.slack.com":
        return Layout.SLACK
    teams = (".webhook.office.com", ".logic.azure.com", ".api.powerplatform.com")
    if host.endswith(teams) or "powerautomate" in host:
        return Layout.TEAMS
    return Layout.MATTERMOST


def render(message: Message, layout: str, url: str = "") -> dict:
    """The JSON body for `layout`; the empty layout is detected from `url`."""
    chosen = layout or detect(url)
    return {
        Layout.SLACK: slack,
        Layout.TEAMS: teams,
        Layout.MATTERMOST: mattermost,
        Layout.TEXT: plain,
    }[chosen](message)


# Slack ---------------------------------------------------------------------------------------


def _slack_escape(text: str) -> str:
    # https://docs.slack.dev/messaging/formatting-message-text#escaping
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_line(line: Line) -> str:
    if line.heading:
        return f"\n*{_slack_escape(line.text)}*"
    text = f"<{line.url}|{_slack_escape(line.text)}>" if line.url else _slack_escape(line.text)
    return f"• {text} {_slack_escape(line.note)}".rstrip() if line.url else text


def _chunks(lines: list[str], size: int) -> list[str]:
    """Lines joined into texts of at most `size` characters each."""
    out: list[str] = []
    for line in lines:
        line = line[:size]
        if out and len(out[-1]) + 1 + len(line) <= size:
            out[-1] += "\n" + line
        else:
            out.append(line)
    return out


def slack(message: Message) -> dict:
    """Block Kit: header, mrkdwn sections, fields for the facts, an actions block of buttons.

    https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks and
    https://docs.slack.dev/reference/block-kit/blocks; `text` is the notification fallback.
    """
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": message.title[:_SLACK_HEADER]}}
    ]
    if message.facts:
        fields = [
            {"type": "mrkdwn", "text": f"*{_slack_escape(name)}*\n{_slack_escape(value)}"}
            for name, value in message.facts[:_SLACK_FIELDS]
        ]
        blocks.append({"type": "section", "fields": fields})
    texts = _chunks([_slack_line(line) for line in message.lines], _SLACK_TEXT)
    room = _SLACK_BLOCKS - len(blocks) - (1 if message.buttons else 0)
    for text in texts[:room]:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text.strip("\n")}})
    if message.buttons:
        buttons = [
            {"type": "button", "text": {"type": "plain_text", "text": b.label}, "url": b.url}
            for b in message.buttons
        ]
        buttons[0]["style"] = "danger" if message.danger else "primary"
        blocks.append({"type": "actions", "elements": buttons})
    return {"text": message.title, "blocks": blocks}


# Microsoft Teams ----------------------------------------------------------------------------


def _md_label(text: str) -> str:
    # A bracket inside a Markdown link's words would end the link early.
    return text.replace("[", "(").replace("]", ")")


def _markdown_line(line: Line) -> str:
    if line.heading:
        return f"**{line.text}**"
    if line.url:
        return f"- [{_md_label(line.text)}]({line.url}) {line.note}".rstrip()
    return line.text


def _text_block(text: str, **style: str) -> dict:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def teams(message: Message) -> dict:
    """An Adaptive Card 1.4 in the message a Teams Workflows webhook posts to a channel.

    https://learn.microsoft.com/en-us/connectors/teams/#microsoft-teams-webhook (the
    "message" with an adaptive-card attachment) and
    https://adaptivecards.io/explorer/AdaptiveCard.html (TextBlock, FactSet, Action.OpenUrl).
    """
    body = [_text_block(message.title, weight="Bolder", size="Medium")]
    if message.facts:
        facts = [{"title": name, "value": value} for name, value in message.facts]
        body.append({"type": "FactSet", "facts": facts})
    for line in message.lines:
        heading = {"spacing": "Medium", "color": "Attention" if message.danger else "Default"}
        body.append(_text_block(_markdown_line(line), **(heading if line.heading else {})))
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [
            {"type": "Action.OpenUrl", "title": b.label, "url": b.url} for b in message.buttons
        ],
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


# Mattermost ---------------------------------------------------------------------------------


def mattermost(message: Message) -> dict:
    """One message attachment: fallback, title linked to the page, Markdown text, fields.

    https://developers.mattermost.com/integrate/reference/message-attachments/ and
    https://developers.mattermost.com/integrate/webhooks/incoming/ (Slack-compatible).
    """
    text = "\n".join(_markdown_line(line) for line in message.lines)
    if len(message.buttons) > 1:  # the title links to the first; the rest follow the text
        text += "\n\n" + " · ".join(f"[{_md_label(b.label)}]({b.url})" for b in message.buttons)
    attachment = {
        "fallback": f"{message.title} {message.url}".strip(),
        "color": "#c62828" if message.danger else "#1565c0",
        "title": message.title,
        "text": text.strip(),
        "fields": [{"short": True, "title": name, "value": value} for name, value in message.facts],
    }
    if message.url:
        attachment["title_link"] = message.url
    return {"username": "Debrief", "attachments": [attachment]}


# Plain text ---------------------------------------------------------------------------------


def plain(message: Message) -> dict:
    """{"text": …} with no markup at all, for any other service that takes it."""
    out = [message.title]
    out += [f"{name}: {value}" for name, value in message.facts]
    for line in message.lines:
        if line.heading:
            out.append(f"\n{line.text}")
        elif line.url:
            out.append(f"- {line.text} {line.note} {line.url}".replace("  ", " "))
        else:
            out.append(line.text)
    out += [f"{b.label}: {b.url}" for b in message.buttons]
    return {"text": "\n".join(out)}
