"""The apps are layers that import one way (README, "Layout"), in modules a reader can hold."""

import tomllib
from pathlib import Path

from importlinter.cli import EXIT_STATUS_SUCCESS, lint_imports

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
NOT_APPS = {"tests", "bench"}
MAX_LINES = 450


def _apps() -> set[str]:
    return {path.parent.name for path in ROOT.glob("*/__init__.py")} - NOT_APPS


def test_every_app_is_in_the_layers_contract():
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    assert set(config["root_packages"]) == _apps()


def test_no_app_imports_one_above_it():
    # import-linter prints which import breaks the contract, and through which modules.
    result = lint_imports(str(PYPROJECT), no_cache=True, no_logo=True, is_debug_mode=True)
    assert result == EXIT_STATUS_SUCCESS, "a lower app imports a higher one: see the report"


def test_no_application_module_is_over_450_lines():
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for app in _apps()
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    }
    assert sizes, "no application module found"
    assert {path: n for path, n in sizes.items() if n > MAX_LINES} == {}
