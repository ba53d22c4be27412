"""The apps are layers that import one way (README, "Layout")."""

import tomllib
from pathlib import Path

from importlinter.cli import EXIT_STATUS_SUCCESS, lint_imports

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
NOT_APPS = {"tests", "bench"}


def _apps() -> set[str]:
    return {path.parent.name for path in ROOT.glob("*/__init__.py")} - NOT_APPS


def test_every_app_is_in_the_layers_contract():
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    assert set(config["root_packages"]) == _apps()


def test_no_app_imports_one_above_it():
    # import-linter prints which import breaks the contract, and through which modules.
    result = lint_imports(str(PYPROJECT), no_cache=True, no_logo=True, is_debug_mode=True)
    assert result == EXIT_STATUS_SUCCESS, "a lower app imports a higher one: see the report"
