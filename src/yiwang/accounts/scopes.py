"""Who may see and act on what: role scopes as predicates and query filters.

A staff role's region scope covers that region and everything below it
(a town clerk: the town and its villages; a village agent: the village).
A department role covers that department's work. A citizen or enterprise
sees only what is theirs. Out of scope is answered exactly like absent
(404), never 403, so scope does not leak existence.

Apps filter their querysets with these helpers rather than writing their
own scope logic.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import rules
from django.core.exceptions import ValidationError
from django.db.models import Q

from .models import AccountKind, AccountStatus, Role

# What a role is loaded with. hall__region: a desk role's hall is where its
# cases are made. A role's window is read only on pages (its own query there).
ROLE_RELATIONS = ("region", "hall__region", "department")


def active_roles(user) -> list:
    """The user's active staff roles, read once per user object."""
    if not getattr(user, "is_authenticated", False) or user.kind != AccountKind.STAFF:
        return []
    cache = getattr(user, "_yiwang_roles", None)
    if cache is None:
        cache = list(user.roles.filter(is_active=True).select_related(*ROLE_RELATIONS))
        remember_roles(user, cache)
    return cache


def remember_roles(user, roles: list) -> None:
    """Hand ``active_roles`` the user's active roles, loaded elsewhere with
    ``ROLE_RELATIONS`` (the token check reads them with the token)."""
    user._yiwang_roles = roles


def has_role(user, *roles: str) -> bool:
    return any(r.role in roles for r in active_roles(user))


def roles_of(user, *roles: str) -> list:
    return [r for r in active_roles(user) if not roles or r.role in roles]


def region_q(user, *roles: str, field: str = "region") -> Q:
    """A Q matching rows whose ``field`` region lies inside the region scope
    of any of the user's ``roles`` (all roles when none named). Matches
    nothing when the user holds none."""
    q = Q(pk__in=[])
    for r in roles_of(user, *roles):
        q |= Q(**{f"{field}__path__startswith": r.region.path})
    return q


def department_ids(user, *roles: str) -> set:
    return {r.department_id for r in roles_of(user, *roles) if r.department_id}


def in_region_scope(user, region, *roles: str) -> bool:
    return region is not None and any(r.region.contains(region) for r in roles_of(user, *roles))


def is_active_account(user) -> bool:
    return getattr(user, "is_authenticated", False) and user.status == AccountStatus.ACTIVE


def is_staff_account(user) -> bool:
    return is_active_account(user) and user.kind == AccountKind.STAFF


def _role_predicate(*names: Iterable[str]):
    @rules.predicate
    def predicate(user):
        return is_active_account(user) and has_role(user, *names)

    return predicate


is_sysadmin = _role_predicate(Role.SYSADMIN)
is_clerk = _role_predicate(Role.CLERK)
is_agent = _role_predicate(Role.AGENT)
is_approver = _role_predicate(Role.APPROVER)
is_catalog_admin = _role_predicate(Role.CATALOG_ADMIN)
is_supervisor = _role_predicate(Role.SUPERVISOR)
is_hotline = _role_predicate(Role.HOTLINE)
is_data_officer = _role_predicate(Role.DATA_OFFICER)


# ---------------------------------------------------------------------------
# Declaring how a model maps to scope, and filtering by it.

# Roles that see through a region scope by default: front desk and agents
# act there; supervisors, catalog admins, the hotline and sysadmins watch it.
REGION_ROLES: tuple[str, ...] = (
    Role.CLERK,
    Role.AGENT,
    Role.SYSADMIN,
    Role.SUPERVISOR,
    Role.CATALOG_ADMIN,
    Role.HOTLINE,
    Role.DATA_OFFICER,
)
# Roles that see through a department scope by default.
DEPARTMENT_ROLES: tuple[str, ...] = (Role.APPROVER, Role.DATA_OFFICER)
# Roles that, held at county level (a region without a parent or of level
# "county"), see every row — including rows with no region at all.
GLOBAL_ROLES: tuple[str, ...] = (Role.SYSADMIN,)


@dataclass(frozen=True)
class Scope:
    """How one model maps to the three kinds of scope. Each field is an ORM
    path from the model (``"region"``, ``"case__region"``, ``"roles__department"``;
    ``"pk"`` when the row *is* the owner):

    - ``region``: a ``Region`` FK; staff holding one of ``region_roles`` see
      rows whose region lies in their region subtree;
    - ``department``: a ``Department`` FK; staff holding one of
      ``department_roles`` see rows of their departments;
    - ``owner``: a ``User`` FK; citizens and enterprises see the rows they own.

    A model without ``owner`` is invisible to citizens; without ``region`` and
    ``department`` it is invisible to staff (except ``global_roles``).
    ``distinct`` must be set when a path crosses a many-valued relation."""

    region: str | None = None
    department: str | None = None
    owner: str | None = None
    region_roles: tuple[str, ...] = REGION_ROLES
    department_roles: tuple[str, ...] = DEPARTMENT_ROLES
    global_roles: tuple[str, ...] = GLOBAL_ROLES
    distinct: bool = False


_REGISTRY: dict[type, Scope] = {}


def register_scope(model, scope: Scope) -> Scope:
    """Declare ``model``'s scope once (in the app's ``rules.py``); the API
    mixin, the page helper and the rules predicates all read it."""
    _REGISTRY[model] = scope
    return scope


def scope_for(model) -> Scope:
    model = getattr(model, "model", model)  # a queryset
    model = model._meta.concrete_model if hasattr(model, "_meta") else model
    try:
        return _REGISTRY[model]
    except KeyError:
        declared = getattr(model, "scope", None)
        if isinstance(declared, Scope):
            return declared
        raise LookupError(f"no scope declared for {model!r}") from None


def _is_global(role) -> bool:
    region = role.region
    return region.parent_id is None or region.level == "county"


def scope_q(user, scope: Scope) -> Q | None:
    """A Q for the rows ``user`` may see under ``scope``; ``None`` means
    everything (a county-level global role). Matches nothing for anonymous
    or closed accounts."""
    nothing = Q(pk__in=[])
    if not is_active_account(user):
        return nothing
    if user.kind != AccountKind.STAFF:
        if scope.owner is None:
            return nothing
        return Q(**{scope.owner: user.pk}) if scope.owner != "pk" else Q(pk=user.pk)
    if any(r.role in scope.global_roles and _is_global(r) for r in active_roles(user)):
        return None
    q = nothing
    if scope.region:
        q |= region_q(user, *scope.region_roles, field=scope.region)
    if scope.department:
        ids = department_ids(user, *scope.department_roles)
        if ids:
            q |= Q(**{f"{scope.department}__in": ids})
    return q


def scope_queryset(user, queryset, scope: Scope | None = None):
    """Filter ``queryset`` down to what ``user`` may see."""
    scope = scope or scope_for(queryset.model)
    q = scope_q(user, scope)
    if q is None:
        return queryset
    queryset = queryset.filter(q)
    return queryset.distinct() if scope.distinct else queryset


def in_scope(user, obj, scope: Scope | None = None) -> bool:
    """True when ``obj`` is among the rows ``user`` may see."""
    if obj is None or obj.pk is None:
        return False
    model = type(obj)
    qs = model._default_manager.filter(pk=obj.pk)
    return scope_queryset(user, qs, scope or scope_for(model)).exists()


def get_scoped_object_or_404(request_or_user, queryset, scope: Scope | None = None, **lookup):
    """The page helper: like ``get_object_or_404``, but an object outside the
    user's scope is answered exactly like a missing one (``Http404``)."""
    from django.http import Http404
    from django.shortcuts import get_object_or_404

    user = getattr(request_or_user, "user", request_or_user)
    if not hasattr(queryset, "model"):
        queryset = queryset._default_manager.all()
    if not is_active_account(user):
        raise Http404
    try:
        return get_object_or_404(scope_queryset(user, queryset, scope), **lookup)
    except (ValueError, ValidationError):  # malformed key: absent as well
        raise Http404 from None


class ScopedQuerysetMixin:
    """For DRF views: declare ``scope = Scope(...)`` (or register one for the
    model) and ``get_queryset`` returns only what the request's user may
    see, so detail lookups outside the scope are 404."""

    scope: Scope | None = None

    def get_scope(self) -> Scope:
        return self.scope or scope_for(super().get_queryset().model)

    def get_queryset(self):
        queryset = super().get_queryset()
        return scope_queryset(self.request.user, queryset, self.get_scope())
