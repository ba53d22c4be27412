from actions.models.calendar import CalendarToken, new_calendar_key
from actions.models.items import (
    CLOSED_STATUSES,
    KINDS_TO_VERIFY,
    OPEN_STATUSES,
    STATUSES_NEEDING_REASON,
    ActionItem,
    ActionItemQuerySet,
    EvidenceKind,
    Kind,
    Priority,
    Status,
    StatusChange,
    default_due_date,
)
from actions.models.reminders import (
    Reminder,
    ReminderItem,
    ReminderPreference,
    ReminderSweep,
    default_reminder_hour,
)
from actions.models.trackers import TrackerConnection, TrackerKind, TrackerLink
