"""The weights of the review quality score's checks, which admins set (see postmortems/quality.py)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator
from django.db import models


def _weight(label: str, default: int) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label, default=default, validators=[MaxValueValidator(100)]
    )


class QualityWeights(models.Model):
    """One row: how much each check counts. A score is the share of the total weight passed.
    The defaults sum to 100."""

    timeline_sources = _weight("Every timeline event has a source link", 15)
    two_factors = _weight("At least two contributing factors", 15)
    impact_quantified = _weight("Impact quantified", 15)
    lessons_written = _weight("“What went well” and “where we got lucky” written", 10)
    actions_specific = _weight("Action items specific, owned and dated", 20)
    lint_clean = _weight("No open blameless-check warnings", 15)
    outside_reviewer = _weight("A reviewer from outside the owning team", 10)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "review quality weights"
        constraints = [
            # The singleton: its primary key is always 1.
            models.CheckConstraint(condition=models.Q(pk=1), name="one_quality_weights_row")
        ]

    def __str__(self) -> str:
        return "Review quality weights"

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def current(cls) -> QualityWeights:
        """The weights admins set, or the defaults before anyone has."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in CHECK_NAMES}

    @classmethod
    def label(cls, name: str) -> str:
        return str(cls._meta.get_field(name).verbose_name)


# The checks, in the order the page lists them: the weight fields, each labelled with what it
# asks for.
CHECK_NAMES = tuple(
    f.name for f in QualityWeights._meta.fields if isinstance(f, models.PositiveSmallIntegerField)
)
