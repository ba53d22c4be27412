"""Who reads `make run`'s .env: a development install, under the environment's variables."""

import json
import os

import pytest

from config import environment


class Distribution:
    def __init__(self, direct_url: dict | None):
        self.direct_url = direct_url

    def read_text(self, name: str) -> str | None:
        return json.dumps(self.direct_url) if self.direct_url is not None else None


EDITABLE = {"url": "file:///src/debrief", "dir_info": {"editable": True}}
INSTALLED = {"url": "file:///src/debrief", "dir_info": {}}


@pytest.mark.parametrize(
    "found, development",
    [
        ([Distribution(EDITABLE)], True),  # pip install -e . (make run, make test)
        ([Distribution(INSTALLED)], False),  # pip install . (production)
        ([Distribution(None), Distribution(INSTALLED)], False),  # and a build's egg-info
        ([], False),  # not installed at all
    ],
)
def test_only_an_editable_install_counts_as_development(monkeypatch, found, development):
    monkeypatch.setattr(environment.metadata, "distributions", lambda name: found)
    assert environment.development_install() is development


@pytest.fixture
def dotenv(tmp_path, monkeypatch):
    path = tmp_path / ".env"
    path.write_text("DEBRIEF_TEST_FROM_ENV_FILE=file\nDEBRIEF_TEST_SET_TWICE=file\n")
    monkeypatch.setenv("DEBRIEF_TEST_SET_TWICE", "environment")
    monkeypatch.delenv("DEBRIEF_TEST_FROM_ENV_FILE", raising=False)
    yield path
    os.environ.pop("DEBRIEF_TEST_FROM_ENV_FILE", None)


def test_a_development_install_reads_what_the_environment_lacks(dotenv, monkeypatch):
    monkeypatch.setattr(environment, "development_install", lambda: True)

    environment.read_local_env(dotenv, testing=False)

    assert os.environ["DEBRIEF_TEST_FROM_ENV_FILE"] == "file"
    assert os.environ["DEBRIEF_TEST_SET_TWICE"] == "environment"


@pytest.mark.parametrize("testing, development", [(True, True), (False, False)])
def test_the_tests_and_a_production_install_never_read_it(
    dotenv, monkeypatch, testing, development
):
    monkeypatch.setattr(environment, "development_install", lambda: development)

    environment.read_local_env(dotenv, testing=testing)

    assert "DEBRIEF_TEST_FROM_ENV_FILE" not in os.environ


def test_make_writes_a_debug_env_with_a_secret_key_once(tmp_path):
    path = tmp_path / ".env"
    environment.write_local_env(path)
    written = path.read_text()
    assert "DEBUG=true\n" in written
    [key] = [
        line.split("=", 1)[1] for line in written.splitlines() if line.startswith("SECRET_KEY=")
    ]
    assert len(key) >= 50
    assert path.stat().st_mode & 0o777 == 0o600

    path.write_text("DEBUG=false\n")
    environment.write_local_env(path)  # an existing file is the person's: kept
    assert path.read_text() == "DEBUG=false\n"
