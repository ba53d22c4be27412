from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from postmortems.chatlog import KIND_PHRASES, MAX_LINES, KindVocabulary, parse_chat_log
from postmortems.models import TimelineEvent

BERLIN = ZoneInfo("Europe/Berlin")
DAY = date(2026, 3, 2)


def _parse(text):
    return parse_chat_log(text, day=DAY, tz=BERLIN)


def test_plain_hh_mm_lines():
    log = _parse("14:02 anna: error rate at 38%\n14:05:30 ben: paging")
    assert [(m.occurred_at, m.author, m.text) for m in log.messages] == [
        (datetime(2026, 3, 2, 14, 2, tzinfo=BERLIN), "anna", "error rate at 38%"),
        (datetime(2026, 3, 2, 14, 5, 30, tzinfo=BERLIN), "ben", "paging"),
    ]
    assert log.problems == []


def test_slack_style_lines_with_am_pm():
    log = _parse("[10:42 AM] Ben Okafor: looking\n[12:05 PM] Zoë: ok\n[12:01 AM] Night: late")
    assert [m.occurred_at.strftime("%H:%M") for m in log.messages] == ["10:42", "12:05", "00:01"]
    assert log.messages[0].author == "Ben Okafor"
    assert log.messages[1].description == "Zoë: ok"


def test_dated_and_irc_lines():
    log = _parse("[2026-03-04 09:15:00] carl: dated\n09:20 <dave> irc style")
    assert [m.occurred_at for m in log.messages] == [
        datetime(2026, 3, 4, 9, 15, tzinfo=BERLIN),
        datetime(2026, 3, 4, 9, 20, tzinfo=BERLIN),
    ]
    assert log.messages[1].author == "dave"


def test_a_log_that_passes_midnight_moves_to_the_next_day():
    log = _parse("23:55 anna: still failing\n00:10 anna: recovered")
    assert log.messages[1].occurred_at == datetime(2026, 3, 3, 0, 10, tzinfo=BERLIN)


def test_slightly_out_of_order_lines_stay_on_the_same_day():
    log = _parse("10:05 anna: b\n10:03 ben: a")
    assert log.messages[1].occurred_at.date() == DAY


def test_indented_lines_continue_the_message_above():
    log = _parse("10:05 anna: first line\n    second line")
    assert log.messages[0].text == "first line\nsecond line"
    assert log.problems == []


def test_garbage_lines_are_reported_with_their_number_not_dropped():
    log = _parse("joined #incident\n10:05 anna: real\n99:99 ben: bad time\n[13:00 PM] x: bad")
    assert [m.text for m in log.messages] == ["real"]
    assert [(number, text) for number, text, _ in log.problems] == [
        (1, "joined #incident"),
        (3, "99:99 ben: bad time"),
        (4, "[13:00 PM] x: bad"),
    ]


def test_a_huge_paste_is_cut_with_a_message():
    log = _parse("\n".join(f"10:{i % 60:02d} a: m{i}" for i in range(MAX_LINES + 50)))
    assert len(log.messages) == MAX_LINES
    assert "Only the first" in log.problems[-1][2]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("checkout 5xx alert fired", "detection"),
        ("I got paged for checkout", "detection"),
        ("Rolled  back the gateway deploy", "mitigation"),
        ("mitigated by failing over", "mitigation"),
        ("Resolved.", "resolution"),
        ("ALL CLEAR from payments", "resolution"),
        ("error rate at 38%", "note"),
    ],
)
def test_the_words_of_a_line_propose_its_kind(text, kind):
    assert KindVocabulary(KIND_PHRASES).propose(text) == kind


@pytest.mark.parametrize(
    "text", ["unresolved for now", "the pagedata job crashed", "resolvedness", "clear all caches"]
)
def test_only_whole_words_and_phrases_propose_a_kind(text):
    assert KindVocabulary(KIND_PHRASES).propose(text) == "note"


def test_the_first_phrase_in_a_line_decides_and_a_denied_one_is_passed_over():
    vocabulary = KindVocabulary(KIND_PHRASES)
    assert vocabulary.propose("rolled back, then resolved") == "mitigation"
    assert vocabulary.propose("not resolved yet, but mitigated") == "mitigation"
    assert vocabulary.propose("not yet resolved") == "note"


def test_the_teams_own_words_add_to_and_win_over_the_built_in_ones():
    vocabulary = KindVocabulary(
        KIND_PHRASES, {"detection": ["PD fired", "sev2 declared"], "note": ["paged"]}
    )
    assert vocabulary.propose("pd  fired for checkout") == "detection"
    assert vocabulary.propose("SEV2 declared by anna") == "detection"
    assert vocabulary.propose("paged ben") == "note"


def test_every_built_in_phrase_names_a_kind_of_timeline_event():
    assert set(KIND_PHRASES) <= set(TimelineEvent.Kind.values) - {"note"}
