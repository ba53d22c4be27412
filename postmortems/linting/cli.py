"""blamelint: lint postmortem Markdown for blameful language, compiler-style or as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from typing import TextIO

from .linter import Finding, Term, lint


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="blamelint", description="Flag blameful language in postmortem text."
    )
    parser.add_argument("--json", action="store_true", help="print one JSON array of findings")
    parser.add_argument("files", nargs="*", metavar="FILE", help="files to lint; '-' is stdin")
    return parser


def _format(name: str, finding: Finding) -> str:
    line = f"{name}:{finding.line}:{finding.column}: {finding.category}: {finding.message} ({finding.rule})"
    if finding.suggestion:
        line += f"\n    suggestion: {finding.suggestion}"
    return line


def main(
    argv: list[str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    *,
    people: Iterable[str] = (),
    extra_terms: Iterable[Term] = (),
    allowed_terms: Iterable[str] = (),
) -> int:
    """Exit 0 when clean or info-only, 1 when any warning, 2 when a file cannot be read."""
    args = _parser().parse_args(argv)
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    results: list[tuple[str, Finding]] = []
    for path in args.files or ["-"]:
        if path == "-":
            name, text = "<stdin>", stdin.read()
        else:
            try:
                with open(path, encoding="utf-8") as handle:
                    name, text = path, handle.read()
            except (OSError, UnicodeDecodeError) as error:
                print(f"blamelint: cannot read {path}: {error}", file=sys.stderr)
                return 2
        findings = lint(text, people=people, extra_terms=extra_terms, allowed_terms=allowed_terms)
        results.extend((name, finding) for finding in findings)
    if args.json:
        data = [{**finding.to_dict(), "file": name} for name, finding in results]
        stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        for name, finding in results:
            stdout.write(_format(name, finding) + "\n")
    return 1 if any(finding.severity == "warning" for _, finding in results) else 0
