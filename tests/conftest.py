import os
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.cache import cache

from config.embedded_redis import embedded_redis
from tests import factories

# Playwright's sync API runs an event loop in the test thread; the ORM calls in the same
# thread are still synchronous, so Django's async-safety check would be a false alarm.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    """The schemathesis run takes minutes: it runs only when asked for by its marker
    (`-m schemathesis`, as .ci/run does), not in `make test`."""
    if "schemathesis" in (config.getoption("markexpr") or ""):
        return
    kept = [item for item in items if item.get_closest_marker("schemathesis") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


@pytest.fixture(scope="session")
def redis_url():
    """REDIS_URL when set (CI's real Redis), otherwise an embedded redis-server."""
    if os.environ.get("REDIS_URL"):
        yield _own_database(os.environ["REDIS_URL"])
        return
    with embedded_redis() as url:
        yield url


def _own_database(url: str) -> str:
    """Each parallel test worker gets its own Redis database, so that one worker's flush or
    Celery worker never touches the other's queue."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1, …
    if not worker:
        return url
    parts = urlsplit(url)
    first = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{first + 1 + int(worker.removeprefix('gw'))}"))


@pytest.fixture(autouse=True)
def _redis_settings(redis_url, settings):
    settings.REDIS_URL = redis_url
    settings.CELERY_BROKER_URL = redis_url
    settings.CELERY_RESULT_BACKEND = redis_url
    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": redis_url}}


@pytest.fixture(autouse=True)
def _empty_cache(_redis_settings):
    """Every test starts with nothing cached (metrics): ids repeat between tests."""
    cache.clear()


@pytest.fixture
def author(db):
    return factories.UserFactory(username="author", first_name="Ada", last_name="Author")


@pytest.fixture
def reviewer(db):
    return factories.UserFactory(username="reviewer", first_name="Rui", last_name="Reviewer")


@pytest.fixture
def outsider(db):
    return factories.UserFactory(username="outsider", first_name="Otto", last_name="Outsider")


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def postmortem(author):
    return factories.PostmortemFactory(owner=author)


@pytest.fixture
def author_client(client, author):
    client.force_login(author)
    return client


@pytest.fixture
def outsider_client(client, outsider):
    client.force_login(outsider)
    return client


@pytest.fixture
def complete_postmortem(author):
    """A draft with everything review needs: summary, impact, an event, a factor, an item."""
    postmortem = factories.PostmortemFactory(
        owner=author, impact="Checkout failed for 4,100 customers over 47 minutes."
    )
    factories.TimelineEventFactory(postmortem=postmortem)
    factories.ContributingFactorFactory(postmortem=postmortem)
    factories.ActionItemFactory(postmortem=postmortem, owner=author)
    return postmortem


@pytest.fixture
def celery_app(redis_url):
    """The Celery app pointed at the tests' Redis, for a real worker (`start_worker`)."""
    from config.celery import app

    previous = app.conf.broker_url, app.conf.result_backend
    app.conf.update(broker_url=redis_url, result_backend=redis_url)
    yield app
    app.conf.update(broker_url=previous[0], result_backend=previous[1])


@pytest.fixture
def celery_eager():
    """Run Celery tasks in-process where a test checks what a task does, not its wiring."""
    from config.celery import app

    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = False, False
