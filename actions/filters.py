import django_filters
from django import forms
from django.db.models import Case, Q, When
from django.utils import timezone

from actions.forms import DateInput, style_widgets
from actions.models import CLOSED_STATUSES, OPEN_STATUSES, ActionItem, Kind, Priority, Status
from config.fields import PersonField, active_people
from postmortems.models import Postmortem

STATUS_CHOICES = [
    ("not_closed", "Open, in progress or blocked"),
    ("closed", "Done or won't do"),
    *Status.choices,
]


class PersonFilter(django_filters.ModelChoiceFilter):
    field_class = PersonField


class ItemOrdering(django_filters.OrderingFilter):
    """The columns, and "overdue first": open items past their due date, then by due date."""

    OVERDUE_FIRST = "overdue"

    def build_choices(self, fields, labels):
        return [(self.OVERDUE_FIRST, "Overdue first"), *super().build_choices(fields, labels)]

    def filter(self, qs, value):
        if value and value[0] == self.OVERDUE_FIRST:
            if self.parent.form.cleaned_data.get("status"):
                # Only open or only closed items: the due date alone puts the overdue first,
                # and the list's index on it serves the order.
                return qs.order_by("due_date", "priority", "id")
            late = Q(status__in=OPEN_STATUSES, due_date__lt=timezone.localdate())
            return qs.order_by(Case(When(late, then=0), default=1), "due_date", "priority", "id")
        return super().filter(qs, value)


class ActionItemFilter(django_filters.FilterSet):
    # What /actions/ opens on: the work still to do, the most urgent first.
    OPENS_ON = {"status": "not_closed", "o": ItemOrdering.OVERDUE_FIRST}

    q = django_filters.CharFilter(field_name="title", lookup_expr="icontains", label="Title")
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES, method="filter_status", empty_label="Any status"
    )
    owner = PersonFilter(queryset=active_people(), empty_label="Anyone")
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label="Overdue only", widget=forms.CheckboxInput
    )
    due_after = django_filters.DateFilter(
        field_name="due_date", lookup_expr="gte", label="Due from", widget=DateInput()
    )
    due_before = django_filters.DateFilter(
        field_name="due_date", lookup_expr="lte", label="Due until", widget=DateInput()
    )
    # A number, not a <select>: a site with years of incidents has thousands of postmortems.
    # Not checked against the postmortems: an unknown one and a hidden one both list nothing.
    postmortem = django_filters.NumberFilter(
        field_name="postmortem",
        label="Postmortem id",
        widget=forms.NumberInput(attrs={"placeholder": "e.g. 42", "min": 1}),
    )
    priority = django_filters.ChoiceFilter(choices=Priority.choices, empty_label="Any priority")
    kind = django_filters.ChoiceFilter(choices=Kind.choices, empty_label="Any kind")
    service = django_filters.CharFilter(method="filter_service", label="Service")
    o = ItemOrdering(
        fields=[
            ("due_date", "due"),
            ("priority", "priority"),
            ("status", "status"),
            ("owner__username", "owner"),
            ("postmortem", "postmortem"),
            ("created_at", "created"),
            ("completed_at", "completed"),
        ],
        field_labels={
            "due": "Due date",
            "owner": "Owner",
            "postmortem": "Postmortem",
            "created": "Created",
            "completed": "Completed",
        },
        label="Sort by",
        empty_label="Due date (soonest first)",
    )

    class Meta:
        model = ActionItem
        fields = []

    @property
    def form(self):
        form = super().form
        style_widgets(form.fields)
        if self.request:  # the person, offered as an owner besides the one chosen
            form.fields["owner"].likely = [self.request.user]
        return form

    def filter_status(self, queryset, name, value):
        if value == "not_closed":
            return queryset.filter(status__in=OPEN_STATUSES)
        if value == "closed":
            return queryset.filter(status__in=CLOSED_STATUSES)
        return queryset.filter(status=value)

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue(timezone.localdate()) if value else queryset

    def filter_service(self, queryset, name, value):
        links = Postmortem.services.through.objects.filter(service__name__iexact=value)
        return queryset.filter(postmortem__in=links.values("postmortem"))
