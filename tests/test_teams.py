import ast
import importlib
from itertools import pairwise
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from postmortems.forms import SECTIONS
from postmortems.models import Postmortem
from teams.forms import TeamForm
from teams.models import Team
from tests.factories import PostmortemFactory, ServiceFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def payments():
    return TeamFactory(display_name="Payments")


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="staffer", is_staff=True))
    return client


def _details(postmortem, **fields) -> dict:
    version = SECTIONS["details"][1](instance=postmortem).saved_version()
    return {
        "title": postmortem.title,
        "severity": str(postmortem.severity),
        "time_zone": postmortem.time_zone,
        "services": [service.pk for service in postmortem.services.all()],
        "version": version,
        **fields,
    }


# Pages --------------------------------------------------------------------------------


def test_the_list_shows_each_team_with_its_services_and_member_count(author_client, payments):
    payments.group.user_set.add(UserFactory(), UserFactory())
    ServiceFactory(name="checkout", team=payments)
    TeamFactory(display_name="Discovery")
    response = author_client.get(reverse("teams:list"))
    page = response.content.decode()
    rows = {team.display_name: team.member_count for team in response.context["teams"]}
    assert rows == {"Discovery": 0, "Payments": 2}
    assert "checkout" in page and payments.get_absolute_url() in page
    assert reverse("teams:list") in author_client.get("/postmortems/").content.decode(), (
        "in the navbar"
    )


def test_a_teams_page_shows_its_members_services_and_postmortems(author_client, payments):
    payments.group.user_set.add(UserFactory(username="anna", first_name="Anna", last_name="L"))
    ServiceFactory(name="checkout", team=payments)
    PostmortemFactory(title="Card declines", team=payments)
    PostmortemFactory(title="Someone else's incident")
    page = author_client.get(payments.get_absolute_url()).content.decode()
    assert "Anna L" in page and "checkout" in page and "Card declines" in page
    assert "Someone else" not in page


def test_a_teams_page_hides_a_restricted_postmortem_from_who_may_not_read_it(
    client, payments, author, outsider
):
    secret = PostmortemFactory(title="Quiet breach", owner=author, restricted=True, team=payments)
    client.force_login(outsider)
    assert "Quiet breach" not in client.get(payments.get_absolute_url()).content.decode()
    secret.allowed_groups.add(payments.group)
    payments.group.user_set.add(outsider)
    assert "Quiet breach" in client.get(payments.get_absolute_url()).content.decode(), (
        "a member of a team named as reader reads it"
    )


def test_an_unknown_team_is_a_404(author_client):
    assert author_client.get(reverse("teams:detail", args=["nobody"])).status_code == 404


# Creating and editing ---------------------------------------------------------------------


def test_only_staff_create_and_edit_teams(author_client, payments):
    for url in (reverse("teams:create"), reverse("teams:edit", args=[payments.slug])):
        assert author_client.get(url).status_code == 403
        assert author_client.post(url, {"display_name": "Taken over"}).status_code == 403
    assert "New team" not in author_client.get(reverse("teams:list")).content.decode()
    payments.refresh_from_db()
    assert payments.display_name == "Payments"


def test_staff_create_a_team_on_a_new_group_with_members(staff_client, author, reviewer):
    response = staff_client.post(
        reverse("teams:create"),
        {"display_name": "Site Reliability", "members": [author.pk, reviewer.pk]},
    )
    team = Team.objects.get()
    assert response["Location"] == team.get_absolute_url() == "/teams/site-reliability/"
    assert team.group.name == "Site Reliability"
    assert set(team.members) == {author, reviewer}


def test_a_team_made_on_the_providers_group_keeps_its_members(staff_client, author, reviewer):
    provider_group = Group.objects.create(name="okta-sre")
    provider_group.user_set.add(author)
    staff_client.post(
        reverse("teams:create"),
        {
            "display_name": "SRE",
            "slug": "sre",
            "group": provider_group.pk,
            "members": [reviewer.pk],
        },
    )
    team = Team.objects.get(slug="sre")
    assert team.group == provider_group
    assert set(team.members) == {author, reviewer}


def test_a_new_team_named_like_an_existing_group_is_asked_to_choose_it(staff_client):
    Group.objects.create(name="SRE")
    response = staff_client.post(reverse("teams:create"), {"display_name": "SRE"})
    assert "There is already a group called “SRE”: choose it here" in response.content.decode()
    assert not Team.objects.exists()


def test_a_name_or_address_taken_by_another_team_is_refused(staff_client, payments):
    response = staff_client.post(reverse("teams:create"), {"display_name": "payments"})
    assert "A team with this name already exists." in response.content.decode()
    response = staff_client.post(
        reverse("teams:create"), {"display_name": "Billing", "slug": "payments"}
    )
    assert "Team with this Slug already exists." in response.content.decode()
    assert Team.objects.count() == 1


def test_staff_rename_a_team_and_set_its_members(staff_client, payments, author, reviewer):
    payments.group.user_set.add(author)
    url = reverse("teams:edit", args=[payments.slug])
    version = TeamForm(instance=payments).saved_version()
    response = staff_client.post(
        url,
        {"display_name": "Payments & Billing", "slug": "billing", "members": [reviewer.pk],
         "version": version},
    )  # fmt: skip
    payments.refresh_from_db()
    assert response["Location"] == "/teams/billing/"
    assert payments.display_name == "Payments & Billing"
    assert list(payments.members) == [reviewer]


def test_a_stale_team_edit_is_refused_even_when_only_the_members_changed(
    staff_client, payments, author
):
    version = TeamForm(instance=payments).saved_version()
    payments.group.user_set.add(author)  # someone else's change, meanwhile
    response = staff_client.post(
        reverse("teams:edit", args=[payments.slug]),
        {"display_name": "Renamed", "slug": "payments", "members": [], "version": version},
    )
    assert "Someone saved a change" in response.content.decode()
    payments.refresh_from_db()
    assert payments.display_name == "Payments" and list(payments.members) == [author]


# Services and postmortems -------------------------------------------------------------


def test_a_new_postmortem_takes_the_team_of_its_first_service_that_has_one(author_client, payments):
    discovery = TeamFactory(display_name="Discovery")
    ServiceFactory(name="auth")  # first by name, but of no team
    ServiceFactory(name="search", team=discovery)
    ServiceFactory(name="checkout", team=payments)
    services = [s.pk for s in Postmortem.services.field.related_model.objects.all()]
    author_client.post(
        reverse("postmortems:create"),
        {"title": "Errors", "severity": "2", "time_zone": "UTC", "services": services},
    )
    postmortem = Postmortem.objects.get()
    assert postmortem.team == payments, "checkout comes before search"
    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert "data-owning-team>Payments</a>" in page


def test_a_postmortem_of_no_team_service_has_no_team(author_client):
    author_client.post(
        reverse("postmortems:create"),
        {"title": "Errors", "severity": "2", "time_zone": "UTC", "new_services": "brand-new"},
    )
    assert Postmortem.objects.get().team is None


def test_the_details_form_sets_the_owning_team_and_empty_takes_the_services_again(
    author_client, postmortem, payments
):
    discovery = TeamFactory(display_name="Discovery")
    postmortem.services.add(ServiceFactory(name="search", team=discovery))
    url = reverse("postmortems:section_edit", args=[postmortem.pk, "details"])
    author_client.post(url, _details(postmortem, team=payments.pk))
    postmortem.refresh_from_db()
    assert postmortem.team == payments, "a chosen team is kept"
    author_client.post(url, _details(postmortem, team=""))
    postmortem.refresh_from_db()
    assert postmortem.team == discovery


def test_choosing_a_team_does_not_make_approvals_stale(author_client, author, payments):
    postmortem = PostmortemFactory(owner=author, started_at=None)
    before = postmortem.text_version
    url = reverse("postmortems:section_edit", args=[postmortem.pk, "details"])
    author_client.post(url, _details(postmortem, team=payments.pk))
    postmortem.refresh_from_db()
    assert postmortem.team == payments and postmortem.text_version == before


def test_the_postmortem_list_filters_by_owning_team(author_client, author, payments):
    PostmortemFactory(owner=author, title="Card declines", team=payments)
    PostmortemFactory(owner=author, title="Slow search")
    response = author_client.get(reverse("postmortems:list"), {"team": "payments"})
    titles = [pm.title for pm in response.context["page"]]
    assert titles == ["Card declines"]
    unknown = author_client.get(reverse("postmortems:list"), {"team": "nobody"})
    assert unknown.status_code == 200 and "team" in unknown.context["filter"].form.errors


def test_restricted_readers_are_offered_as_teams_and_groups(author_client, postmortem, payments):
    Group.objects.create(name="auditors")
    postmortem.restricted = True
    postmortem.save()
    postmortem.allowed_groups.add(payments.group)
    form = author_client.get(
        reverse("postmortems:section_edit", args=[postmortem.pk, "access"])
    ).content.decode()
    assert "Teams and groups who may read it" in form
    assert "Payments (team)</option>" in form and "auditors</option>" in form
    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert "and the members of Payments (team)" in page


def test_the_teams_app_imports_nothing_of_the_apps_above_it():
    above = {"services", "postmortems", "actions", "reviews", "reporting"}
    imported = set()
    for path in (ROOT / "teams").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
    assert imported & above == set()


# The migration of text teams ----------------------------------------------------------

MIGRATION = importlib.import_module("services.migrations.0002_team")
BEFORE = [("postmortems", "0012_remove_page_revisions"), ("services", "0001_initial")]


@pytest.fixture
def text_team_apps(transactional_db):
    """The apps as the migration's function sees them: text teams renamed, the team FK added."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    executor.loader.build_graph()
    state = executor.loader.project_state([*BEFORE, ("teams", "0001_initial")])
    states = [state]
    with connection.schema_editor() as editor:
        for operation in MIGRATION.Migration.operations[:2]:
            after = states[-1].clone()
            operation.state_forwards("services", after)
            operation.database_forwards("services", editor, states[-1], after)
            states.append(after)
    yield states[-1].apps
    with connection.schema_editor() as editor:
        steps = zip(MIGRATION.Migration.operations[:2], pairwise(states), strict=True)
        for operation, (before, after) in reversed(list(steps)):
            operation.database_backwards("services", editor, after, before)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_text_teams_become_groups_and_teams_and_back(text_team_apps):
    Service = text_team_apps.get_model("services", "Service")
    Group = text_team_apps.get_model("auth", "Group")
    Team = text_team_apps.get_model("teams", "Team")
    existing = Group.objects.create(name="Discovery")  # a group already: it becomes the team
    for name, team in [("checkout", "Payments"), ("payments", "payments "), ("search", "Discovery"),
                       ("auth", ""), ("cdn", "Payments!")]:  # fmt: skip
        Service.objects.create(name=name, team_name=team)

    MIGRATION.text_teams_to_teams(text_team_apps, None)

    teams = {t.display_name: (t.slug, t.group.name) for t in Team.objects.select_related("group")}
    assert teams == {
        "Payments": ("payments", "Payments"),
        "Discovery": ("discovery", "Discovery"),
        "Payments!": ("payments-2", "Payments!"),
    }
    owner = dict(Service.objects.values_list("name", "team__display_name"))
    assert owner == {"checkout": "Payments", "payments": "Payments", "search": "Discovery",
                     "auth": None, "cdn": "Payments!"}  # fmt: skip
    assert Team.objects.get(slug="discovery").group_id == existing.pk

    Service.objects.update(team_name="")
    MIGRATION.teams_to_text_teams(text_team_apps, None)
    names = dict(Service.objects.values_list("name", "team_name"))
    assert names == {"checkout": "Payments", "payments": "Payments", "search": "Discovery",
                     "auth": "", "cdn": "Payments!"}  # fmt: skip


def test_existing_postmortems_take_their_first_teamed_services_team_on_migrating(
    transactional_db,
):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    User = old.get_model("auth", "User")
    owner = User.objects.create(username="owner")
    Service = old.get_model("services", "Service")
    auth = Service.objects.create(name="auth")
    search = Service.objects.create(name="search", team="Discovery")
    checkout = Service.objects.create(name="checkout", team="Payments")
    OldPostmortem = old.get_model("postmortems", "Postmortem")
    both = OldPostmortem.objects.create(title="Both", owner=owner, time_zone="UTC")
    both.services.add(auth, search, checkout)
    none = OldPostmortem.objects.create(title="None", owner=owner, time_zone="UTC")
    none.services.add(auth)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    teams = dict(Postmortem.objects.values_list("title", "team__display_name"))
    assert teams == {"Both": "Payments", "None": None}
