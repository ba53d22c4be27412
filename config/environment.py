"""Reading Debrief's settings from the environment, and from the .env that `make` writes.

`python -m config.environment` writes that .env, as `make run` and `make test` do.
"""

import json
import os
import secrets
from importlib import metadata
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from dotenv import dotenv_values


def development_install() -> bool:
    """True when Debrief is installed editable (`pip install -e .`, as make does)."""
    # The checkout may hold a build's debrief.egg-info too; only pip's record says how.
    for distribution in metadata.distributions(name="debrief"):
        direct_url = json.loads(distribution.read_text("direct_url.json") or "{}")
        if direct_url.get("dir_info", {}).get("editable"):
            return True
    return False


def write_local_env(path: Path) -> None:
    """DEBUG and a secret key for the commands one runs by hand; an existing file is kept."""
    if path.exists():
        return
    path.write_text(
        "# Written by `make` for this checkout only; never deploy it.\n"
        f"DEBUG=true\nSECRET_KEY={secrets.token_urlsafe(50)}\n",
        encoding="utf-8",
    )
    path.chmod(0o600)


def read_local_env(path: Path, *, testing: bool) -> None:
    """Variables from `make run`'s .env (DEBUG, a generated SECRET_KEY) that the environment lacks.

    Only a development install reads it: a production `pip install .` never picks up a stray
    .env, and the tests never do.
    """
    if testing or not development_install() or not path.is_file():
        return
    for name, value in dotenv_values(path).items():
        if value is not None:
            os.environ.setdefault(name, value)


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if not value:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = env(name)
    return [item.strip() for item in value.split(",") if item.strip()] if value else default


def env_phrases(name: str) -> dict[str, list[str]]:
    """`kind: phrase, phrase; kind: phrase` as {kind: [phrase, …]}."""
    phrases: dict[str, list[str]] = {}
    for group in filter(str.strip, env(name).split(";")):
        kind, colon, words = group.partition(":")
        if not colon or not kind.strip():
            raise ImproperlyConfigured(
                f"{name}: “{group.strip()}” needs a kind before a colon, "
                "for example “detection: pd fired, sev2 declared”."
            )
        phrases.setdefault(kind.strip().lower(), []).extend(
            word.strip() for word in words.split(",") if word.strip()
        )
    return phrases


if __name__ == "__main__":
    write_local_env(Path(__file__).resolve().parent.parent / ".env")
