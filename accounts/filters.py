import django_filters
from django import forms

from accounts.models import AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(
        choices=AuditEvent.Kind.choices,
        empty_label="Any kind",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    actor = django_filters.CharFilter(
        field_name="actor_name",
        lookup_expr="icontains",
        label="Who",
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    target = django_filters.CharFilter(
        lookup_expr="icontains",
        label="About",
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "anna, PM-12"}),
    )
    since = django_filters.DateFilter(
        field_name="at",
        lookup_expr="date__gte",
        label="From",
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )
    until = django_filters.DateFilter(
        field_name="at",
        lookup_expr="date__lte",
        label="Until",
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )

    class Meta:
        model = AuditEvent
        fields = ["kind", "actor", "target", "since", "until"]
