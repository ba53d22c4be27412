"""Form fields for ids that refuse absurd values with a field error instead of a crash.

SQLite's driver raises OverflowError for integers beyond 64 bits, which Django's model
choice fields do not catch; they would turn a hostile form post into a server error.
"""

import zoneinfo

from django import forms

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


class PeopleField(ModelMultipleChoiceField):
    """People by name, with the username to tell two of the same name apart."""

    def label_from_instance(self, user) -> str:
        name = user.get_full_name()
        return f"{name} ({user.username})" if name else user.username


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
