import django_filters
from django import forms

from postmortems.models import Postmortem, PostmortemKind, Severity, Status
from teams.models import Team


class PostmortemFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.ChoiceFilter(choices=Status.choices, empty_label="Any status")
    kind = django_filters.ChoiceFilter(
        choices=PostmortemKind.choices, empty_label="Incidents and near misses"
    )
    severity = django_filters.ChoiceFilter(choices=Severity.choices, empty_label="Any severity")
    # By name, so a service's badge links here as ?service=<name>.
    service = django_filters.ModelChoiceFilter(
        field_name="services",
        to_field_name="name",
        queryset=Postmortem._meta.get_field("services").related_model.objects.order_by("name"),
        empty_label="Any service",
        label="Service",
        widget=forms.Select(attrs={"data-picker": ""}),
    )
    # By slug, as a team's page links here: ?team=payments.
    team = django_filters.ModelChoiceFilter(
        to_field_name="slug",
        queryset=Team.objects.all(),
        empty_label="Any team",
        label="Owning team",
        widget=forms.Select(attrs={"data-picker": ""}),
    )
    started_after = django_filters.DateFilter(
        field_name="started_at",
        lookup_expr="date__gte",
        label="Started from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    started_before = django_filters.DateFilter(
        field_name="started_at",
        lookup_expr="date__lte",
        label="Started until",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Postmortem
        fields = []  # the filters declared above, in their order

    @property
    def form(self):
        form = super().form
        # Bootstrap's sizes, so that selects and inputs line up under their labels.
        for field in form.fields.values():
            is_select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = "form-select" if is_select else "form-control"
        return form

    def search(self, queryset, name, value):
        return queryset.search(value)
