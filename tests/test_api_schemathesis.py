"""schemathesis fuzzes every operation of the API through its OpenAPI document, on a live
server, with a write token: no answer may be a server error, or differ from the document
(status code, content type, headers, body). Slow: its own step in .ci/run, not `make test`."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from reviews.models import Meeting
from tests.api import ApiClient
from tests.factories import ActionItemFactory, PostmortemFactory, ServiceFactory

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db(transaction=True)]

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)
# Per operation. Its coverage phase takes about 90 s whatever the number; 20 examples for each
# of the 17 operations keep the whole run near 2.5 minutes on two shared cores.
EXAMPLES = os.environ.get("SCHEMATHESIS_EXAMPLES", "20")


@pytest.mark.timeout(600)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    live_server, author, settings, tmp_path
):
    settings.API_RATE_LIMIT = "1000000/min"  # the limit's own 429 is tested elsewhere
    postmortem = PostmortemFactory(owner=author)
    ActionItemFactory(postmortem=postmortem, owner=author)
    ServiceFactory(name="checkout")
    Meeting.objects.create(title="Weekly review", starts_at=timezone.now(), facilitator=author)
    secret = ApiClient(author).secret
    schemathesis = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    result = subprocess.run(
        [
            schemathesis,
            "run",
            f"{live_server.url}/api/v1/openapi.json",
            "--header",
            f"Authorization: Bearer {secret}",
            "--checks",
            CHECKS,
            "--max-examples",
            EXAMPLES,
            "--seed",
            "18",
            "--workers",
            "1",
            "--no-color",
            "--report-dir",
            str(tmp_path),
        ],
        cwd=tmp_path,  # where it keeps its cache of examples
        capture_output=True,
        text=True,
        timeout=540,
    )
    print(result.stdout[-6000:])
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
