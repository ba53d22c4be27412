"""Audit events from Django's own signals, so that no other app needs to know of the log.

Who changed a role or a restriction is the signed-in person of the request being served; a
change made outside a request (a management command, a sign-in's group sync) has none.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model, user_logged_in, user_logged_out, user_login_failed
from django.contrib.auth.models import Group, Permission
from django.db.models.signals import m2m_changed, post_init, post_save, pre_save
from django.dispatch import receiver

from accounts.backends import password_allowed
from accounts.models import AuditEvent
from accounts.services import audit_record
from postmortems.models import Postmortem

User = get_user_model()


@receiver(user_logged_in)
def record_sign_in(sender, request, user, **kwargs):
    method = "sso" if getattr(user, "backend", "").endswith("SsoBackend") else "password"
    audit_record(
        kind=AuditEvent.Kind.SIGN_IN,
        request=request,
        actor=user,
        target=user.get_username(),
        details={"method": method},
    )


@receiver(user_login_failed)
def record_failed_sign_in(sender, credentials, request=None, **kwargs):
    if "username" not in credentials:
        return  # a refused SSO callback, which CallbackView records with its reason
    username = credentials["username"] or ""
    details = {"method": "password"}
    if not password_allowed(username):
        details["reason"] = "password sign-in is off (SSO only)"
    audit_record(
        kind=AuditEvent.Kind.SIGN_IN_FAILED, request=request, target=username, details=details
    )


@receiver(user_logged_out)
def record_sign_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(
            kind=AuditEvent.Kind.SIGN_OUT, request=request, actor=user, target=user.get_username()
        )


def _remember(sender, instance, **kwargs) -> None:
    # Deferred fields stay unknown rather than cost a query on every load.
    instance._audit_before = {f: instance.__dict__.get(f) for f in WATCHED_FIELDS[sender]}


def _find_changes(sender, instance, update_fields=None, **kwargs) -> None:
    """Before a save: the watched fields whose value changes, kept for after it."""
    fields = WATCHED_FIELDS[sender]
    if update_fields is not None:
        fields = tuple(f for f in fields if f in update_fields)
    if instance._state.adding:
        instance._audit_changes = {f: getattr(instance, f) for f in fields if getattr(instance, f)}
        return
    before = getattr(instance, "_audit_before", {})
    suspects = [f for f in fields if before.get(f) != getattr(instance, f)]
    if suspects:
        # The loaded value may be stale (refresh_from_db, a second save): ask the database.
        stored = type(instance)._base_manager.filter(pk=instance.pk).values(*suspects).first()
        suspects = [f for f in suspects if stored is None or stored[f] != getattr(instance, f)]
    instance._audit_changes = {f: getattr(instance, f) for f in suspects}


def _take_changes(instance) -> dict:
    changes = getattr(instance, "_audit_changes", {})
    instance._audit_changes = {}
    _remember(type(instance), instance)
    return changes


# The fields whose changes the log records, by model: each instance keeps what they were when
# it was loaded, and finds before a save which of them change.
WATCHED_FIELDS = {User: ("is_staff", "is_superuser", "is_active"), Postmortem: ("restricted",)}
for model in WATCHED_FIELDS:
    post_init.connect(_remember, sender=model, dispatch_uid=f"audit-remember-{model}")
    pre_save.connect(_find_changes, sender=model, dispatch_uid=f"audit-changes-{model}")


@receiver(post_save, sender=User)
def record_role_change(sender, instance, created, **kwargs):
    changes = _take_changes(instance)
    if created:
        changes.pop("is_active", None)  # a new account is active; that is no change of role
    if changes:
        audit_record(kind=AuditEvent.Kind.ROLE, target=instance.get_username(), details=changes)


@receiver(post_save, sender=Postmortem)
def record_restriction_change(sender, instance, **kwargs):
    if _take_changes(instance):
        audit_record(
            kind=AuditEvent.Kind.RESTRICTION,
            target=instance.reference,
            details={"restricted": instance.restricted},
        )


def _names(model, pks) -> list[str]:
    if model is Permission:
        rows = model.objects.filter(pk__in=pks).select_related("content_type")
        return sorted(f"{p.content_type.app_label}.{p.codename}" for p in rows)
    if model is User:
        return sorted(model.objects.filter(pk__in=pks).values_list("username", flat=True))
    return sorted(model.objects.filter(pk__in=pks).values_list("name", flat=True))


@dataclass(frozen=True)
class Watched:
    """A receiver of m2m_changed for one many-to-many field that the audit log watches."""

    kind: str
    field: str
    target: Callable[[Any], str]
    prefix: str = ""

    def record(self, instance, action, model, pk_set) -> None:
        """One event for an add, a remove or a clear of the field on `instance`."""
        if action == "pre_clear":  # the rows are gone by post_clear: name them now
            cleared = getattr(instance, self.field).values_list("pk", flat=True)
            instance._audit_cleared = set(cleared)
            return
        if action == "post_clear":
            pk_set = getattr(instance, "_audit_cleared", set())
        if action not in ("post_add", "post_remove", "post_clear") or not pk_set:
            return
        verb = "added" if action == "post_add" else "removed"
        details = {f"{self.prefix}{verb}": _names(model, pk_set)}
        audit_record(kind=self.kind, target=self.target(instance), details=details)

    def __call__(self, sender, instance, action, reverse, model, pk_set, **kwargs):
        if not reverse:
            self.record(instance, action, model, pk_set)


GROUPS = Watched(AuditEvent.Kind.GROUPS, "groups", lambda user: user.get_username())


@receiver(m2m_changed, sender=User.groups.through)
def record_membership_change(sender, instance, action, reverse, model, pk_set, **kwargs):
    if not reverse:
        GROUPS.record(instance, action, model, pk_set)
        return
    # group.user_set.add(...): one event per person, as seen from each
    for user in User.objects.filter(pk__in=pk_set or ()):
        GROUPS.record(user, action, Group, {instance.pk})


WATCHED = {
    User.user_permissions.through: Watched(
        AuditEvent.Kind.PERMISSIONS, "user_permissions", lambda user: user.get_username()
    ),
    Group.permissions.through: Watched(
        AuditEvent.Kind.PERMISSIONS, "permissions", lambda group: f"group {group.name}"
    ),
    Postmortem.allowed_groups.through: Watched(
        AuditEvent.Kind.READERS, "allowed_groups", lambda pm: pm.reference, "groups_"
    ),
    Postmortem.allowed_users.through: Watched(
        AuditEvent.Kind.READERS, "allowed_users", lambda pm: pm.reference, "people_"
    ),
}
for through, watched in WATCHED.items():
    m2m_changed.connect(watched, sender=through, weak=False, dispatch_uid=f"audit-{through}")
