import io
import json
import subprocess
import sys

from postmortems.linting.cli import main


def _run(argv: list[str], stdin_text: str = "") -> tuple[int, str]:
    stdout = io.StringIO()
    code = main(argv, stdin=io.StringIO(stdin_text), stdout=stdout)
    return code, stdout.getvalue()


def test_clean_file_exits_zero_with_no_output(tmp_path):
    path = tmp_path / "clean.md"
    path.write_text("The probe failed to reach the service at 10:02.\n", encoding="utf-8")
    assert _run([str(path)]) == (0, "")


def test_warnings_exit_one_with_compiler_style_lines(tmp_path):
    path = tmp_path / "pm.md"
    path.write_text("# Summary\n\nIt was human error.\n", encoding="utf-8")
    code, output = _run([str(path)])
    assert code == 1
    first, second = output.splitlines()
    assert first.startswith(f"{path}:3:8: human-error: ")
    assert first.endswith(" (human-error.phrase)")
    assert second.startswith("    suggestion: Describe what the person did")


def test_info_only_findings_exit_zero(tmp_path):
    path = tmp_path / "pm.md"
    path.write_text("The root cause was an expired token.\n", encoding="utf-8")
    code, output = _run([str(path)])
    assert code == 0
    assert ": root-cause: " in output


def test_missing_file_exits_two_with_a_message(tmp_path, capsys):
    code, output = _run([str(tmp_path / "nope.md")])
    assert (code, output) == (2, "")
    assert "cannot read" in capsys.readouterr().err


def test_reads_stdin_without_files_and_for_dash():
    code, output = _run([], "Greg failed to page the DBA.")
    assert code == 1
    assert output.startswith("<stdin>:1:6: normative: ")
    assert _run(["-"], "All good here.") == (0, "")


def test_json_output_lists_findings_from_several_files(tmp_path):
    first = tmp_path / "a.md"
    second = tmp_path / "b.md"
    first.write_text("Ben should have paged.\n", encoding="utf-8")
    second.write_text("Fine.\n\nClassic PEBKAC.\n", encoding="utf-8")
    code, output = _run(["--json", str(first), str(second)])
    assert code == 1
    data = json.loads(output)
    assert [(item["file"], item["line"], item["rule"]) for item in data] == [
        (str(first), 1, "counterfactual.should-have"),
        (str(second), 3, "human-error.phrase"),
    ]
    assert set(data[0]) >= {
        "start",
        "end",
        "line",
        "column",
        "rule",
        "category",
        "severity",
        "message",
        "suggestion",
        "file",
    }


def test_json_output_is_an_empty_array_when_clean():
    assert _run(["--json"], "All good.") == (0, "[]\n")


def test_module_runs_as_a_script(tmp_path):
    path = tmp_path / "pm.md"
    path.write_text("He just had to restart it.\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "postmortems.linting", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "minimizing.just-had-to" in result.stdout
