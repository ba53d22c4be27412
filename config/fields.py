"""Form fields shared by the apps: ids that refuse absurd values with a field error instead
of a crash, people picked by searching, time zones.

SQLite's driver raises OverflowError for integers beyond 64 bits, which Django's model
choice fields do not catch; they would turn a hostile form post into a server error.
"""

import zoneinfo

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.forms.models import ModelChoiceIterator
from django.urls import reverse_lazy

MAX_ID = 2**63 - 1


def is_id(value) -> bool:
    try:
        return 0 < int(str(value)) <= MAX_ID
    except ValueError:
        return False


class ModelChoiceField(forms.ModelChoiceField):
    def to_python(self, value):
        if value not in self.empty_values and not is_id(value):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        for pk in value:
            if not is_id(pk):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


BY_NAME = ["first_name", "last_name", "username"]


def active_people() -> QuerySet:
    return get_user_model().objects.filter(is_active=True).order_by(*BY_NAME)


def person_name(user) -> str:
    """A person as messages and documents name them: their full name, else their username."""
    return user.get_full_name() or user.get_username()


def person_label(user) -> str:
    """A person by name, with the username to tell two of the same name apart."""
    name = user.get_full_name()
    return f"{name} ({user.username})" if name else user.username


class PeopleChoices(ModelChoiceIterator):
    """The people a picker starts with: those chosen and the field's likely ones, not everyone.

    A site's every person was a third of an editor's postmortem page at 1,000 people.
    """

    def __init__(self, field, chosen=()):
        super().__init__(field)
        ids = [pk for pk in chosen if is_id(pk)]
        likely = field.likely
        likely = likely if isinstance(likely, QuerySet) else [getattr(p, "pk", p) for p in likely]
        self.queryset = field.queryset.filter(Q(pk__in=ids) | Q(pk__in=likely)).order_by(*BY_NAME)


class PeoplePicker:
    """A select of people that searches the server for anyone else (static/js/pickers.js).

    Without JavaScript it is a plain select of the chosen and likely people.
    """

    def __init__(self, attrs=None):
        url = reverse_lazy("accounts:people_pick")
        super().__init__({"data-picker": "", "data-picker-url": url, **(attrs or {})})

    def optgroups(self, name, value, attrs=None):
        self.choices = PeopleChoices(self.choices.field, chosen=value)
        return super().optgroups(name, value, attrs)


class PersonSelect(PeoplePicker, forms.Select):
    pass


class PeopleSelectMultiple(PeoplePicker, forms.SelectMultiple):
    pass


class PeopleMixin:
    """Active people unless `queryset` says otherwise, any of whom is valid; the page offers
    the chosen and `likely` (people or their ids): a few the form expects."""

    likely = ()

    def __init__(self, queryset=None, **kwargs):
        super().__init__(queryset=active_people() if queryset is None else queryset, **kwargs)

    def label_from_instance(self, user) -> str:
        return person_label(user)


class PersonField(PeopleMixin, ModelChoiceField):
    widget = PersonSelect


class PeopleField(PeopleMixin, ModelMultipleChoiceField):
    widget = PeopleSelectMultiple


# The IANA zones people pick from: regions' cities and UTC, not the legacy aliases
# ("US/Eastern", "EST5EDT") or pseudo-zones ("Factory", "localtime") tzdata also carries.
REGIONS = {"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe"}
REGIONS |= {"Indian", "Pacific"}


def time_zone_names() -> list[str]:
    names = zoneinfo.available_timezones()
    return ["UTC", *sorted(n for n in names if n.split("/")[0] in REGIONS and "/" in n)]


class TimeZoneField(forms.ChoiceField):
    """A searchable list of time zones; a legacy name already saved stays valid."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Select(attrs={"data-picker": ""}))
        choices = [(name, name.replace("_", " ")) for name in time_zone_names()]
        super().__init__(choices=choices, **kwargs)

    def valid_value(self, value) -> bool:
        return value in zoneinfo.available_timezones()

    def keep(self, name: str | None) -> None:
        """Offer `name` too (a zone saved before the list was trimmed), so it shows as chosen."""
        if name and name not in dict(self.choices):
            self.choices = [(name, name), *self.choices]
