import pytest

from postmortems.linting import Finding, Term, lint, lint_action_item, utf16_offset
from postmortems.linting.engine import CATEGORIES, compile_rule, default_rules, load_rules

RULES = default_rules().rules


def _lint_for(rule):
    return lint_action_item if rule.category == "actionability" else lint


def _cases(kind: str) -> list:
    return [
        pytest.param(rule, sentence, id=rule.id)
        for rule in RULES
        for sentence in getattr(rule, kind)
    ]


@pytest.mark.parametrize(("rule", "sentence"), _cases("examples_fail"))
def test_rule_flags_its_failing_examples(rule, sentence):
    assert rule.id in {finding.rule for finding in _lint_for(rule)(sentence)}, sentence


@pytest.mark.parametrize(("rule", "sentence"), _cases("examples_pass"))
def test_rule_passes_its_passing_examples(rule, sentence):
    assert rule.id not in {finding.rule for finding in _lint_for(rule)(sentence)}, sentence


def test_every_rule_is_documented_and_has_examples():
    for rule in load_rules():
        assert rule.category in CATEGORIES
        assert rule.message.endswith(".") and rule.suggestion
        assert rule.examples_fail and rule.examples_pass, rule.id


@pytest.mark.parametrize(
    "sentence",
    [
        "Greg failed to update the rules before the cutover.",
        "After the deploy, the on-call should have paged the storage team.",
        "Dan's bad config change took down the gateway.",
        "The engineer recklessly force-pushed over the release branch.",
        "We put it down to human error.",
        "If only the alert had gone to the right channel, someone would have acted.",
        "Had the on-call checked the replica, it would have been over in minutes.",
        "It should have been obvious the disk was filling.",
        "Any competent engineer would have checked the lag first.",
        "He just had to restart it.",
        "The networking team dropped the ball.",
        "This was Rita's fault.",
        "The on-call didn't bother to read the alert.",
    ],
)
def test_it_flags_blameful_sentences(sentence):
    assert any(finding.severity == "warning" for finding in lint(sentence)), sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "The readiness probe failed to reach the service.",
        "We failed over to the standby region.",
        "The queue should have a dead-letter topic.",
        "The rollback should take about three minutes.",
        "We just migrated the cluster.",
        "The benchmark simply counts rows.",
        "Human approval is required.",
        "The DNS record was misconfigured.",
        "Anna restarted the ingress controller at 15:20.",
        "GitLab CI failed to publish the image because the token had expired.",
        "The cleanup should have finished overnight, but it was still running.",
        "It was not obvious from the dashboard which zone was affected.",
    ],
)
def test_it_leaves_hard_negatives_alone(sentence):
    assert lint(sentence) == [], sentence


def test_findings_have_offsets_lines_and_columns_on_multiline_text():
    text = "# Timeline\n\nAt 10:02 the alert fired.\nThen Greg failed to page the DBA.\n"
    [finding] = lint(text)
    assert finding.rule == "normative.failed-to"
    assert text[finding.start : finding.end] == finding.text == "failed to page"
    assert (finding.line, finding.column) == (4, 11)
    assert finding.severity == "warning" and finding.category == "normative"


def test_findings_are_sorted_by_start():
    text = "Obviously it was human error. Pete should have known better."
    starts = [finding.start for finding in lint(text)]
    assert starts == sorted(starts) and len(starts) == 3


def test_to_dict_converts_offsets_to_utf16_code_units():
    text = "🔥 Zoë should have paged the DBA."
    [finding] = lint(text)
    assert (finding.start, finding.end, finding.column) == (6, 23, 7)
    data = finding.to_dict(utf16_text=text)
    assert (data["start"], data["end"], data["column"]) == (7, 24, 8)
    assert set(data) == {
        "start",
        "end",
        "line",
        "column",
        "rule",
        "category",
        "severity",
        "message",
        "suggestion",
        "text",
        "rewrite",
        "rewrite_start",
        "rewrite_end",
    }
    assert finding.to_dict()["start"] == 6
    # The rewrite replaces the sentence; the emoji counts two UTF-16 units in the browser.
    assert data["rewrite"] == "🔥 The DBA was not paged."
    assert (data["rewrite_start"], data["rewrite_end"]) == (0, len(text) + 1)


def test_utf16_columns_count_from_the_start_of_the_line():
    text = "😀😀 intro\nJosé should have asked 🙂 first."
    [finding] = lint(text)
    assert finding.to_dict(utf16_text=text)["column"] == finding.column == 6
    assert finding.to_dict(utf16_text=text)["start"] == finding.start + 2


def test_utf16_offset():
    assert utf16_offset("plain ascii", 5) == 5
    assert utf16_offset("Zoë and Søren", 10) == 10
    assert utf16_offset("a🔥b🔥c", 2) == 3
    assert utf16_offset("a🔥b🔥c", 4) == 6


def test_accented_given_names_count_as_people():
    for name in ("Zoë", "José", "Søren", "Łukasz"):
        assert [f.rule for f in lint(f"{name} failed to renew the certificate.")] == [
            "normative.failed-to"
        ]


def test_people_list_makes_usernames_and_surnames_people():
    text = "At noon kim.lee failed to rotate the key. Later Okonkwo failed to page."
    assert lint(text) == [] or all(f.text != "failed to rotate" for f in lint(text))
    flagged = lint(text, people=["kim.lee", "Ada Okonkwo"])
    assert [f.text for f in flagged] == ["failed to rotate", "failed to page"]


def test_system_words_are_not_people():
    assert lint("Kafka failed to rebalance. Postgres failed to checkpoint.") == []


def test_line_comment_ignores_findings_on_its_line():
    text = "Ben said: 'it was human error' <!-- blamelint: ignore -->\nIt was human error."
    findings = lint(text)
    assert [f.line for f in findings] == [2]


def test_comment_on_its_own_line_ignores_the_next_block():
    text = (
        "<!-- blamelint: ignore -->\n"
        "> Quote: Anna should have known.\n"
        "> It was human error.\n"
        "\n"
        "It was human error."
    )
    assert [f.line for f in lint(text)] == [5]


def test_ignore_start_and_end_ignore_the_passage_between_them():
    text = (
        "Human error.\n<!-- blamelint: ignore-start -->\nHuman error.\n\nPEBKAC.\n"
        "<!-- blamelint: ignore-end -->\nHuman error."
    )
    assert [f.line for f in lint(text)] == [1, 7]


def test_findings_never_point_inside_the_comment():
    text = "<!-- blamelint: ignore --> human error"
    assert lint(text) == []
    assert lint("Blame free. <!-- blamelint: ignore -->") == []


def test_extra_terms_are_flagged_as_custom_findings():
    term = Term(
        "hero deploy", "Celebrates a person, not a practice.", "Describe the deploy.", "info"
    )
    [finding] = lint("Another Hero  deploy on Friday.", extra_terms=[term])
    assert (finding.category, finding.severity, finding.text) == ("custom", "info", "Hero  deploy")
    assert finding.rule == "custom.hero-deploy"
    assert finding.suggestion == "Describe the deploy."
    assert lint("hero deployment tools", extra_terms=[term]) == []
    assert lint("Hero deploy.", extra_terms=[Term("hero deploy", "m")])[0].severity == "warning"


def test_allowed_terms_drop_overlapping_findings():
    text = "The root cause was human error."
    assert {f.category for f in lint(text)} == {"root-cause", "human-error"}
    assert [f.category for f in lint(text, allowed_terms=["root cause"])] == ["human-error"]
    assert lint(text, allowed_terms=["Root Cause", "human"]) == []


def test_root_cause_is_an_info_hint():
    [finding] = lint("The root cause was an expired token.")
    assert finding.severity == "info"
    assert "contributing factors" in finding.suggestion


@pytest.mark.parametrize(
    "title",
    [
        "Be more careful",
        "Improve monitoring",
        "Investigate",
        "Look into it",
        "Make sure this doesn't happen again",
        "Better testing",
        "Communicate better",
        "Monitor closely",
    ],
)
def test_vague_action_items_are_flagged(title):
    findings = [f for f in lint_action_item(title) if f.category == "actionability"]
    assert findings, title
    assert findings[0].severity == "warning"
    assert "verified as done" in findings[0].message
    assert findings[0].suggestion.startswith("Name the") or "Investigate" in findings[0].suggestion


@pytest.mark.parametrize(
    "title",
    [
        "Alert when certificate expiry is less than 14 days away",
        "Add a dead-letter topic to the orders queue",
        "Investigate why the cache warmer skips shards and write up the fix",
        "Require two approvals for production database migrations",
    ],
)
def test_specific_action_items_pass(title):
    assert lint_action_item(title) == []


def test_action_items_also_get_the_blame_rules():
    categories = {f.category for f in lint_action_item("Make Dan be more careful")}
    assert categories == {"actionability", "blame"}
    assert {f.category for f in lint_action_item("Dan should have checked; be more careful")} == {
        "actionability",
        "counterfactual",
    }


def test_prose_lint_skips_actionability_rules():
    assert lint("Improve monitoring") == []


def test_finding_is_frozen():
    [finding] = lint("Human error.")
    assert isinstance(finding, Finding)
    with pytest.raises(AttributeError):
        finding.start = 3


def test_matching_ignores_case_and_findings_quote_the_text_as_written():
    [finding] = lint("THE ON-CALL SHOULD HAVE PAGED THE DBA.")
    assert finding.rule == "counterfactual.should-have"
    assert finding.text == "SHOULD HAVE PAGED"
    text = "İf only the alert had gone to the right channel, someone would have acted."
    assert [f.text for f in lint(text)] == ["İf only"]


def test_a_pattern_with_capitals_is_refused_unless_the_rule_is_case_sensitive():
    rule = {
        "id": "test.capitals",
        "triggers": ["knew"],
        "pattern": r"\bI\s+knew\b",
        "message": "Why.",
        "suggestion": "What instead.",
    }
    with pytest.raises(ValueError, match="lowercase"):
        compile_rule(rule, category="judgement")
    assert compile_rule({**rule, "case_sensitive": True}, category="judgement").case_sensitive
    assert compile_rule({**rule, "pattern": r"\bi\s+knew\b\S*"}, category="judgement")


# --- clauses: who the subject is, and what kind of text the words are in ------------------


def _warnings(text: str) -> list[str]:
    return [f.rule for f in lint(text) if f.severity == "warning"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Priya skipped the second review and merged anyway.",
        "Tom didn't look at the error budget before approving.",
        "The support team missed the escalation.",
        "The night shift mishandled the failover.",
        "Our DBA kept putting off the index rebuild.",
        "Marco took the cluster down with a bad flag.",
        "The engineer carelessly restarted the primary.",
        "the team wrongly believed the cache was warm",
        "It was a costly oversight by the release manager.",
        "No one cared to read the alert text.",
        "The on-call brushed off the warning.",
        "The release captain should never have shipped the build.",
        "It shouldn't have been merged on a Friday.",
        "The regression ought to have been caught earlier.",
        "The on-call could simply have paused the deploy.",
        "Had the reviewer read the diff, the outage would not have happened.",
        "If the operator had only waited a minute, none of this would have happened.",
        "A more attentive reviewer would have noticed.",
        "Why didn't you check the dashboard?",
        "How could nobody have seen this coming?",
        "Who is responsible for this mess?",
        "We need to be more careful with config changes.",
    ],
)
def test_it_flags_the_forms_people_really_write(sentence):
    assert _warnings(sentence), sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "This bad image caused it.",
        "Without the pager we could have noticed it much later.",
        "The package was obviously built to steal tokens.",
        "Assumed user error at this point.",
        "Priya merged the change at 14:02.",
        "The DBA rebuilt the index after the page.",
        "Three pods missed their heartbeat.",
        "The parser misreads dates without a time zone.",
    ],
)
def test_it_leaves_what_judges_nobody_alone(sentence):
    assert _warnings(sentence) == [], sentence


def test_word_forms_come_from_the_lexicon_not_a_list():
    for sentence in (
        "Kofi skips the canary.",
        "Kofi is skipping the canary again.",
        "Kofi mishandles failovers.",
        "Kofi took the whole search tier down.",
    ):
        assert _warnings(sentence), sentence


def test_self_directed_statements_are_hints_not_warnings():
    for sentence in (
        "We failed to verify the chart values.",
        "We skipped the second review.",
        "I forgot which quota we requested.",
        "Our team missed the alert.",
    ):
        findings = lint(sentence)
        assert findings and {f.severity for f in findings} == {"info"}, sentence
    # Hindsight about what should have been noticed stays a warning, even about ourselves.
    assert _warnings("We should have caught this in code review.")


def test_headings_template_labels_and_code_are_never_findings():
    text = (
        "# Root Cause\n\n"
        "## Human error\n\n"
        "Root cause: a race in the lock renewal.\n\n"
        "**What went wrong**\n\n"
        "| Root cause | Owner |\n|---|---|\n| race | Dan |\n\n"
        "```\nDan should have checked\n```\n\n"
        "    Dan failed to renew\n\n"
        "Run `dan_forgot_to_renew()` first."
    )
    assert lint(text) == []


def test_a_label_hides_only_itself():
    assert _warnings("Root cause: human error when editing the config.") == ["human-error.phrase"]


def test_root_cause_in_prose_is_one_hint_per_document():
    text = "The root cause was an expired token. Later we saw the root cause was the renewal job."
    findings = lint(text)
    assert [(f.rule, f.severity) for f in findings] == [("root-cause.singular", "info")]


def test_quoted_speech_and_blockquotes_are_records_not_verdicts():
    assert lint('The customer wrote "your engineer should have checked the backups".') == []
    assert lint("> kim [2:04 PM]\nI forgot the flag, should have checked\n") == []
    assert lint("Dan forgot the flag.")


def test_common_patterns_come_with_a_rewritten_sentence():
    cases = {
        "Sarah didn't check the logs.": "The logs were not checked.",
        "Kenji forgot to drain the node before rebooting it.": (
            "The node was not drained before rebooting it."
        ),
        "Greg failed to update the firewall rules.": "The firewall rules were not updated.",
        "The on-call should have paged the DBA.": "The DBA was not paged.",
        "The on-call missed the alert.": "The alert went unnoticed.",
        "The engineer wrongly restarted the primary.": "The engineer restarted the primary.",
        "This happened because someone didn't read the runbook.": (
            "This happened because the runbook was not read."
        ),
    }
    for sentence, rewritten in cases.items():
        [finding] = [f for f in lint(sentence) if f.rewrite]
        assert finding.rewrite == rewritten
        assert (finding.rewrite_start, finding.rewrite_end) == (0, len(sentence))


def test_a_rewrite_replaces_only_its_own_sentence():
    text = "Intro line.\n\nAt noon the on-call should have paged the DBA. Then it recovered."
    [finding] = lint(text)
    assert text[finding.rewrite_start : finding.rewrite_end] == (
        "At noon the on-call should have paged the DBA."
    )
    assert finding.rewrite == "At noon the DBA was not paged."


def test_rewrites_inflect_the_verb_from_any_form():
    [finding] = lint("The on-call engineer never tested the rollback path.")
    assert finding.rewrite == "The rollback path was not tested."
