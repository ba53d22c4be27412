"""Every command the README shows for one's own machine works as written after `make run`.

Each runs from the project root in a subprocess with DEBUG and SECRET_KEY unset, as in a new
shell: only the `.env` that `make run` writes may supply them. Commands that need data run
against a temporary SQLite database (DATABASE_URL); placeholders get small values. The API's
curl commands run through bash against `runserver` on the demo, with a write token in $TOKEN. The
Production section's commands name other hosts and are run by .ci/production-smoke instead.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import threading
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from config.environment import write_local_env

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
NOT_FOR_ONES_OWN_MACHINE = {"Production"}
# A command: optional VAR=value assignments, then the venv's python or celery, a bare python,
# or curl (the API's examples).
COMMAND = re.compile(r"^(?:[A-Z_]+=\S*\s+)*(?:\.venv/bin/\S+|python3?|curl)(?:\s|$)")
BARE_PYTHON = re.compile(r"^(?:[A-Z_]+=\S*\s+)*python3?(?:\s|$)")
# Unset as in a new shell; the databases below come in through DATABASE_URL instead.
UNSET = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "EMAIL_BACKEND"}
UNSET |= {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
BLAMEFUL = "The outage happened because Bob should have checked the config.\n"


@dataclass(frozen=True)
class Way:
    """How this test runs one README command."""

    run: str = ""  # the command with its placeholders filled in, when it has any
    database: str = "demo"  # "demo" (the demo loaded) or "empty" (migrated, nothing in it)
    output: str = ""  # a sign in its output that it did its work
    returncode: int = 0
    stdin: str = ""
    ready: str = ""  # for a server: what it prints once it serves; it is stopped then
    api: bool = False  # curl to the API: `{port}` is the demo's server, `{etag}` PM-1's ETag


API = "http://127.0.0.1:{port}/api/v1"
AUTH = 'curl -H "Authorization: Bearer $TOKEN"'
JSON = '-H "Content-Type: application/json"'


WAYS = {
    ".venv/bin/python manage.py blamelint [--json] [FILE ...]": Way(
        run=".venv/bin/python manage.py blamelint --json -",
        stdin=BLAMEFUL,
        output='"category"',
        returncode=1,  # findings
    ),
    ".venv/bin/python bench/bench_linter.py [RUNS] [--endpoint]": Way(
        run=".venv/bin/python bench/bench_linter.py 2 --endpoint",
        database="",
        output="lint endpoint",
    ),
    ".venv/bin/python bench/lint_corpus.py [FILE.jsonl]": Way(
        run=".venv/bin/python bench/lint_corpus.py tests/data/blame_corpus.jsonl",
        database="",
        output="recall",
    ),
    "DEBUG=true .venv/bin/python bench/bench_metrics.py [N] [--years 3]": Way(
        run="DEBUG=true .venv/bin/python bench/bench_metrics.py 20 --years 1 --runs 2",
        database="",
        output="cold",
    ),
    '.venv/bin/python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"': Way(
        database="", output="="
    ),
    '.venv/bin/python -c "import secrets; print(secrets.token_hex(32))"': Way(database=""),
    ".venv/bin/python manage.py reencrypt_secrets": Way(output="Re-encrypted the credentials"),
    ".venv/bin/python manage.py score_postmortems": Way(output="Scored 0 postmortem(s)."),
    ".venv/bin/python manage.py score_postmortems --all": Way(output="Scored"),
    ".venv/bin/python manage.py send_reminders --dry-run": Way(output="digest(s) due"),
    ".venv/bin/python manage.py send_reminders": Way(output="sent"),
    ".venv/bin/python manage.py send_reminders --now 2026-03-10T09:00+01:00": Way(
        output="As of 2026-03-10T09:00:00+01:00"
    ),
    ".venv/bin/python bench/bench_reminders.py": Way(
        run=".venv/bin/python bench/bench_reminders.py --items 600 --owners 12 --overdue 60",
        database="",
        output="RSS",
    ),
    ".venv/bin/python bench/run.py --strict": Way(
        run=".venv/bin/python bench/run.py --help",  # minutes long, and it rewrites results.json
        database="",
        output="--strict",
    ),
    ".venv/bin/python bench/seed.py --postmortems N --action-items M --users U": Way(
        run=".venv/bin/python bench/seed.py --postmortems 5 --action-items 10 --users 3",
        database="empty",
        output="Seeded",
    ),
    ".venv/bin/python manage.py export_postmortems debrief-backup.zip": Way(output="Exported"),
    ".venv/bin/python manage.py import_postmortems debrief-backup.zip": Way(
        database="empty", output="Restored"
    ),
    ".venv/bin/python manage.py runserver": Way(
        run=".venv/bin/python manage.py runserver {port}",  # 8000 may be taken on this machine
        ready="Quit the server with",
    ),
    ".venv/bin/celery -A config worker --loglevel INFO": Way(ready=" ready."),
    'curl -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:8000/api/v1/postmortems?status=published&severity=1"': Way(
        run=f'{AUTH} "{API}/postmortems?status=published&severity=1"', api=True, output='"results"'
    ),
    'curl -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d \'{"title": "Checkout errors after deploy", "severity": 2, "services": ["checkout"]}\' http://127.0.0.1:8000/api/v1/postmortems': Way(
        run=f"""{AUTH} {JSON} -d '{{{{"title": "Checkout errors after deploy", "severity": 2, "services": ["checkout"]}}}}' {API}/postmortems""",
        api=True,
        output='"services": ["checkout"]',
    ),
    'curl -si -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8000/api/v1/postmortems/1': Way(
        run=f'curl -si -H "Authorization: Bearer $TOKEN" {API}/postmortems/1',
        api=True,
        output='ETag: W/"',
    ),
    'curl -X PATCH -H "Authorization: Bearer $TOKEN" -H \'If-Match: W/"0f1e2d3c4b5a6978"\' -H "Content-Type: application/json" -d \'{"summary": "Card payments failed for 40 minutes."}\' http://127.0.0.1:8000/api/v1/postmortems/1': Way(
        run=f"""curl -X PATCH -H "Authorization: Bearer $TOKEN" -H 'If-Match: {{etag}}' {JSON} -d '{{{{"summary": "Card payments failed for 40 minutes."}}}}' {API}/postmortems/1""",
        api=True,
        output='"summary": "Card payments failed for 40 minutes."',
    ),
    'curl -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:8000/api/v1/action-items?status=not_closed&o=overdue"': Way(
        run=f'{AUTH} "{API}/action-items?status=not_closed&o=overdue"',
        api=True,
        output='"overdue": true',
    ),
    'curl -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d \'{"text": "Bob should have checked the config."}\' http://127.0.0.1:8000/api/v1/lint': Way(
        run=f"""{AUTH} {JSON} -d '{{{{"text": "Bob should have checked the config."}}}}' {API}/lint""",
        api=True,
        output="counterfactual.should-have",
    ),
    ".venv/bin/celery -A config beat --loglevel INFO": Way(ready="beat: Starting"),
}


def readme_commands() -> list[str]:
    """The commands in the README's code blocks and inline code, outside Production."""
    commands = []
    for section in README.read_text(encoding="utf-8").split("\n## ")[1:]:
        if section.splitlines()[0].strip() in NOT_FOR_ONES_OWN_MACHINE:
            continue
        blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
        lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]
        inline = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", section, flags=re.DOTALL))
        commands += [text for text in lines + inline if COMMAND.match(text)]
    return list(dict.fromkeys(commands))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(database: Path | None, redis_url: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in UNSET}
    env["REDIS_URL"] = redis_url
    if database:
        env["DATABASE_URL"] = f"sqlite:///{database}"
    return env


def _shell(command: str, env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    """Runs `VAR=value program args` as a shell would, without a shell."""
    words = shlex.split(command)
    while "=" in words[0]:
        name, value = words.pop(0).split("=", 1)
        env = {**env, name: value}
    return subprocess.run(
        words, cwd=ROOT, env=env, capture_output=True, text=True, timeout=100, **kwargs
    )


@pytest.fixture(scope="module")
def databases(tmp_path_factory, redis_url) -> dict[str, Path]:
    """A migrated empty site and one with the demo, made as `make run` makes them."""
    write_local_env(ROOT / ".env")  # what `make` leaves behind; an existing .env is kept
    folder = tmp_path_factory.mktemp("sites")
    empty, demo = folder / "empty.sqlite3", folder / "demo.sqlite3"
    result = _shell(".venv/bin/python manage.py migrate --no-input", _environment(empty, redis_url))
    assert result.returncode == 0, result.stderr
    shutil.copy(empty, demo)
    result = _shell(".venv/bin/python manage.py load_demo", _environment(demo, redis_url))
    assert result.returncode == 0, result.stderr
    return {"empty": empty, "demo": demo}


@pytest.fixture
def backup_aside():
    """A debrief-backup.zip of one's own in the project root is put back afterwards."""
    archive = ROOT / "debrief-backup.zip"
    kept = archive.with_name("debrief-backup.zip.kept-by-tests")
    if archive.exists():
        archive.rename(kept)
    yield archive
    archive.unlink(missing_ok=True)
    if kept.exists():
        kept.rename(archive)


@pytest.fixture
def beat_schedule_removed():
    """Beat keeps its schedule in the current directory; a test's run leaves none behind."""
    before = set(ROOT.glob("celerybeat-schedule*"))
    yield
    for path in set(ROOT.glob("celerybeat-schedule*")) - before:
        path.unlink()


def _serve_until_ready(command: str, env: dict[str, str], ready: str) -> str:
    """Starts a server, returns its output once it says it is ready, and stops it."""
    with _serving(command, env, ready) as lines:
        pass
    return "".join(lines)


@contextlib.contextmanager
def _serving(command: str, env: dict[str, str], ready: str):
    """A server started, while it runs once it says it is ready; its output lines."""
    words = shlex.split(command)
    process = subprocess.Popen(
        words,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the server and the children it forks, stopped together
    )
    lines: list[str] = []
    seen = threading.Event()

    def read() -> None:
        for line in process.stdout:
            lines.append(line)
            if ready in line:
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        seen.wait(timeout=60)
        yield lines
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        reader.join(timeout=5)


TOKEN_FOR_DEMO = (
    "from accounts.services import api_token_create;"
    "from django.contrib.auth import get_user_model;"
    "demo = get_user_model().objects.get(username='demo');"
    "print(api_token_create(user=demo, name='readme', scope='write', expires_in_days=1)[1])"
)


def _curl_the_demo(run: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Runs an API example through bash, as one types it, against the demo with a token."""
    made = _shell(f'.venv/bin/python manage.py shell -c "{TOKEN_FOR_DEMO}"', env)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    port = _free_port()
    server = f".venv/bin/python manage.py runserver {port} --noreload"
    with _serving(server, env, "Quit the server with") as lines:
        assert any("Quit the server with" in line for line in lines), lines
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/postmortems/1",
            headers={"Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            etag = answer.headers["ETag"]
        command = run.format(port=port, etag=etag)
        return subprocess.run(
            ["bash", "-c", command],
            cwd=ROOT,
            env={**env, "TOKEN": token},
            capture_output=True,
            text=True,
            timeout=60,
        )


def test_the_readme_writes_every_command_with_the_venvs_python():
    commands = readme_commands()
    assert len(commands) >= len(WAYS) - 1
    bare = [command for command in commands if BARE_PYTHON.match(command)]
    assert not bare, f"write .venv/bin/python, which `make run` installs into: {bare}"


def test_this_test_knows_how_to_run_every_readme_command():
    unknown = sorted(set(readme_commands()) - set(WAYS))
    assert not unknown, f"new README commands: say in WAYS how this test runs them: {unknown}"


@pytest.mark.parametrize("command", sorted(WAYS))
def test_the_readme_command_works_as_written(command, databases, redis_url, tmp_path, request):
    if command not in readme_commands():
        pytest.skip("no longer in the README")
    way = WAYS[command]
    database = None
    if way.database:
        database = tmp_path / "site.sqlite3"
        shutil.copy(databases[way.database], database)
    env = _environment(database, redis_url)
    if way.api:
        # As written, but for the port and the ETag, which only the running demo knows.
        assert way.run.format(port=8000, etag='W/"0f1e2d3c4b5a6978"') == command
        result = _curl_the_demo(way.run, env)
        assert result.returncode == 0, result.stderr
        assert way.output in result.stdout, result.stdout
        return
    run = (way.run or command).format(port=_free_port())

    if way.ready:
        request.getfixturevalue("beat_schedule_removed")
        output = _serve_until_ready(run, env, way.ready)
        assert way.ready in output, output
        return
    if "import_postmortems" in command:
        request.getfixturevalue("backup_aside")
        exported = _shell(
            ".venv/bin/python manage.py export_postmortems debrief-backup.zip",
            _environment(databases["demo"], redis_url),
        )
        assert exported.returncode == 0, exported.stderr
    elif "export_postmortems" in command:
        request.getfixturevalue("backup_aside")

    result = _shell(run, env, input=way.stdin)
    output = result.stdout + result.stderr
    assert "ImproperlyConfigured" not in output
    assert result.returncode == way.returncode, output
    assert way.output in output, output
