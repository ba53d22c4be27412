import json

import pytest
from django.core.management import call_command

from postmortems.models import LintTerm

pytestmark = pytest.mark.django_db


def test_it_reports_compiler_style_lines_and_exits_1_on_warnings(tmp_path, capsys):
    path = tmp_path / "pm.md"
    path.write_text("# Outage\n\nThe on-call should have paged.\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        call_command("blamelint", str(path))
    assert exit_info.value.code == 1
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith(f"{path}:3:13: counterfactual: ")
    assert line.endswith(")")


def test_a_clean_file_exits_0(tmp_path, capsys):
    path = tmp_path / "pm.md"
    path.write_text("The cache expired.\n", encoding="utf-8")
    call_command("blamelint", str(path))
    assert capsys.readouterr().out == ""


def test_json_output_uses_the_sites_terms(tmp_path, capsys):
    LintTerm.objects.create(phrase="ninja fix", message="Judges the person.")
    path = tmp_path / "pm.md"
    path.write_text("A ninja fix.\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        call_command("blamelint", "--json", str(path))
    findings = json.loads(capsys.readouterr().out)
    assert [(f["category"], f["line"], f["column"], f["file"]) for f in findings] == [
        ("custom", 1, 3, str(path))
    ]
