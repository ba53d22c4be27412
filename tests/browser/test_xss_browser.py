from pathlib import Path

import pytest

from tests.browser.conftest import log_in
from tests.factories import ContributingFactorFactory, PostmortemFactory, TimelineEventFactory

pytestmark = pytest.mark.django_db(transaction=True)

PAYLOADS = (Path(__file__).parent.parent / "data" / "xss_payloads.txt").read_text()

FIND_ACTIVE_CONTENT = """() => {
  const found = [];
  for (const root of document.querySelectorAll('.markdown')) {
    for (const el of root.querySelectorAll('*')) {
      const tag = el.tagName.toLowerCase();
      if (['script', 'iframe', 'object', 'embed', 'style', 'form', 'svg', 'base', 'meta'].includes(tag)) found.push(tag);
      for (const attr of el.attributes) {
        const value = attr.value.replace(/\\s/g, '').toLowerCase();
        if (attr.name.startsWith('on') || attr.name === 'style') found.push(`${tag}[${attr.name}]`);
        if (/^(javascript|vbscript|data):/.test(value)) found.push(`${tag}[${attr.name}=${value}]`);
      }
    }
  }
  return found;
}"""


def test_hostile_markdown_runs_nothing_in_a_real_browser(page, author):
    postmortem = PostmortemFactory(
        owner=author, summary=PAYLOADS, impact=PAYLOADS, got_lucky=PAYLOADS
    )
    TimelineEventFactory(postmortem=postmortem, description=PAYLOADS)
    ContributingFactorFactory(postmortem=postmortem, description=PAYLOADS)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, "author")
    page.goto(postmortem.get_absolute_url())
    page.wait_for_load_state("networkidle")
    for link in page.locator(".markdown a").all():
        link.hover()
    page.wait_for_timeout(300)
    assert dialogs == []
    assert page.title() != "pwned"
    assert page.evaluate(FIND_ACTIVE_CONTENT) == []
    assert page.locator(".markdown").count() == 5
