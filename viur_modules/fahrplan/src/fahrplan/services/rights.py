"""
Who may do what, as plain functions over the current user (viur-core's user skeleton or None).

- root and ``ciio``: everything, including publishing;
- ``editor``: add and edit measures, milestones, KPIs and readings where one of their departments leads
  the measure; may submit for review, never publish; deletes nothing;
- ``committee``: reads everything, drafts included, edits nothing;
- anonymous (and users without a role for the module): published entities only.

The modules enforce these rules for every render (json, vi, html).
"""

import typing as t

User = t.Mapping[str, t.Any] | None


def access(user: User) -> set[str]:
    return set(user["access"] or []) if user else set()


def roles(user: User) -> set[str]:
    return set(user["roles"] or []) if user else set()


def is_root(user: User) -> bool:
    return "root" in access(user)


def can_publish(user: User) -> bool:
    """Root and the CIIO office publish; editors only submit for review."""
    return is_root(user) or "ciio" in roles(user)


def reads_internal(user: User, module: str) -> bool:
    """Whether the user sees drafts and internal fields of ``module``."""
    return is_root(user) or f"{module}-view" in access(user)


def has_right(user: User, module: str, right: str) -> bool:
    return is_root(user) or f"{module}-{right}" in access(user)


def department_keys(user: User) -> set:
    """Keys of the departments an editor is bound to."""
    if not user or "departments" not in user:
        return set()
    result = set()
    for value in user["departments"] or []:
        dest = value.get("dest") if hasattr(value, "get") else None
        if dest and dest["key"]:
            result.add(dest["key"])
    return result


def may_touch_department(user: User, department_key: t.Any) -> bool:
    """Whether the user may change data of a measure led by ``department_key``."""
    if can_publish(user):
        return True
    return department_key is not None and department_key in department_keys(user)
