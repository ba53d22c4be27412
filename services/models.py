from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

MINUTES_PER_DAY = 24 * 60


def validate_slo_target(value: Decimal) -> None:
    if not Decimal(0) < value < Decimal(100):
        raise ValidationError("An SLO target is a percentage above 0 and below 100, e.g. 99.9.")


class ServiceQuerySet(models.QuerySet):
    def named(self, names: Iterable[str]) -> list[Service]:
        """The services with these names (case-insensitively), creating the missing ones."""
        return [self.filter(name__iexact=name).first() or self.create(name=name) for name in names]


class Service(models.Model):
    """Something customers depend on, with the reliability it promises (its SLO)."""

    name = models.CharField(max_length=100)
    team = models.ForeignKey(
        "teams.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="services",
        verbose_name="owning team",
    )
    description = models.TextField(blank=True)
    slo_target = models.DecimalField(
        "SLO target (%)",
        max_digits=6,
        decimal_places=3,
        default=Decimal("99.900"),
        validators=[validate_slo_target],
        help_text="The share of the window the service must be available, e.g. 99.9.",
    )
    window_days = models.PositiveSmallIntegerField(
        "SLO window (days)",
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text="The rolling window the target is measured over, e.g. 28 or 30 days.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="unique_service_name_ci",
                violation_error_message="A service with this name already exists.",
            ),
            models.CheckConstraint(
                condition=models.Q(slo_target__gt=0, slo_target__lt=100),
                name="service_slo_target_between_0_and_100",
            ),
            models.CheckConstraint(
                condition=models.Q(window_days__gte=1), name="service_window_at_least_a_day"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("services:detail", args=[self.pk])

    @property
    def window_minutes(self) -> int:
        return self.window_days * MINUTES_PER_DAY

    @property
    def budget_minutes(self) -> Decimal:
        """Minutes of customer impact the SLO allows per window: window × (1 − target)."""
        return self.window_minutes * (100 - self.slo_target) / 100

    def budget_consumed(self, minutes: float | Decimal) -> Decimal:
        """`minutes` of impact as a percentage of the window's error budget (may exceed 100)."""
        return (Decimal(str(minutes)) / self.budget_minutes * 100).quantize(Decimal("0.1"))
