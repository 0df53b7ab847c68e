"""Staff roles and what each may do: the one table every permission check reads.

- ``clerk``: signs in at a window (pad or caller keypad) and works it; no dashboard actions.
- ``auditor``: reads the dashboard, reports, alarms and ratings (好差评); never acts.
- ``manager`` (the hall manager): runs the hall from the dashboard, sees the users, the
  lockouts and the signed-in sessions, unlocks accounts and ends sessions.
- ``administrator``: everything a manager does, and manages the users themselves.

Older hall files say ``viewer``: it reads as ``auditor`` (`canonical_role`).
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ACTIONS",
    "ROLES",
    "ROLE_ALIASES",
    "allowed",
    "canonical_role",
    "may_act",
]

CLERK: Final = "clerk"
AUDITOR: Final = "auditor"
MANAGER: Final = "manager"
ADMINISTRATOR: Final = "administrator"
ROLES: Final = (CLERK, AUDITOR, MANAGER, ADMINISTRATOR)
ROLE_ALIASES: Final = {"viewer": AUDITOR}

# What may be asked for; each dashboard action and HTTP API route names one.
READ = "read"  # the dashboard, reports, alarms, ratings
HALL_ACT = "hall.act"  # change the hall: catalogue, alarms, notices, windows
WINDOW_SIGN_IN = "window.sign_in"  # sign in at a window and work it
USERS_VIEW = "users.view"  # the users, their lockouts, the audit of sign-ins
USERS_MANAGE = "users.manage"  # add, disable, reset a password or PIN, change a role
LOCKOUTS_CLEAR = "lockouts.clear"  # unlock an account locked by failed sign-ins
SESSIONS_VIEW = "sessions.view"  # the signed-in sessions
SESSIONS_END = "sessions.end"  # end anybody's session
ACTIONS: Final = (
    READ,
    HALL_ACT,
    WINDOW_SIGN_IN,
    USERS_VIEW,
    USERS_MANAGE,
    LOCKOUTS_CLEAR,
    SESSIONS_VIEW,
    SESSIONS_END,
)

_MANAGER_ACTIONS = frozenset(
    {READ, HALL_ACT, WINDOW_SIGN_IN, USERS_VIEW, LOCKOUTS_CLEAR, SESSIONS_VIEW, SESSIONS_END}
)
PERMISSIONS: Final[dict[str, frozenset[str]]] = {
    CLERK: frozenset({WINDOW_SIGN_IN}),
    AUDITOR: frozenset({READ}),
    MANAGER: _MANAGER_ACTIONS,
    ADMINISTRATOR: _MANAGER_ACTIONS | {USERS_MANAGE},
}
# Roles that sign in to the dashboard (a clerk signs in at a window only).
DASHBOARD_ROLES: Final = frozenset(r for r, acts in PERMISSIONS.items() if READ in acts)


def canonical_role(role: str) -> str:
    """The role a stored or configured name stands for (``viewer`` is an auditor)."""
    return ROLE_ALIASES.get(role, role)


def allowed(role: str, action: str) -> bool:
    """May a user of `role` do `action`? Unknown roles and actions may do nothing."""
    return action in PERMISSIONS.get(canonical_role(role), frozenset())


def may_act(role: str) -> bool:
    """May this role change the hall (not only look)?"""
    return allowed(role, HALL_ACT)
