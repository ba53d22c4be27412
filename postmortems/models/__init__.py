"""The postmortem document: one module per part, every name importable from here."""

from postmortems.models.alerts import AlertGroup, AlertReceipt, AlertSource
from postmortems.models.document import (
    NARRATIVE_SECTIONS,
    SEVERITY_DEFINITIONS,
    Postmortem,
    PostmortemKind,
    PostmortemQuerySet,
    PostmortemTemplate,
    Severity,
    default_time_zone,
    validate_time_zone,
)
from postmortems.models.drafts import Draft
from postmortems.models.external import OUTSIDE_SECTIONS, ExternalVersion
from postmortems.models.lint_terms import LintAcknowledgement, LintTerm
from postmortems.models.perspectives import Interview, ProposedEvent
from postmortems.models.quality import QualityWeights
from postmortems.models.recurrence import Recurrence
from postmortems.models.review import NO_ACTIONS_MESSAGE, ReviewWorkflow, Status, TransitionRefused
from postmortems.models.timeline import ContributingFactor, TimelineEvent
