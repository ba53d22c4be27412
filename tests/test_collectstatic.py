"""Production's collectstatic: every vendored file and everything it names is there."""

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command

PRODUCTION_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"


@pytest.fixture
def production_storage(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    # Changing these settings makes Django build staticfiles_storage anew, and again after.
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": PRODUCTION_STORAGE}}


def test_collectstatic_with_the_production_storage_finds_every_referenced_file(
    production_storage, tmp_path
):
    call_command("collectstatic", interactive=False, verbosity=0)

    for name in [
        "favicon.svg",
        "vendor/bootstrap/bootstrap.min.css",
        "vendor/bootstrap/bootstrap.bundle.min.js",
        "vendor/chartjs/chart.umd.min.js",
    ]:
        hashed = staticfiles_storage.stored_name(name)
        assert hashed != name and (tmp_path / hashed).is_file()
    chart = (
        tmp_path / staticfiles_storage.stored_name("vendor/chartjs/chart.umd.min.js")
    ).read_text()
    # The source map reference now names the map's hashed copy, which is served too.
    map_name = staticfiles_storage.stored_name("vendor/chartjs/chart.umd.min.js.map")
    assert chart.rstrip().endswith(f"sourceMappingURL={map_name.rsplit('/', 1)[1]}")
