"""Walk a process's whole table against every role (DESIGN §3a), generated from the table.

For every state S, every state T and every role R: a record is built in S and R tries to
move it to T through the process's own service. The step must succeed exactly when the table
has (S, T) and R holds one of its actors; otherwise it is refused with nothing written (the
state, the status-change records and the notification outbox are unchanged).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from common.models import Notification
from common.workflow import Workflow

Make = Callable[[str], Any]
Step = Callable[[Any, str, Any], Any]


def _snapshot(workflow: Workflow, obj: Any) -> tuple[str, int, int]:
    obj.refresh_from_db()
    records = workflow.record_class._default_manager.filter(**{workflow.record_fk: obj}).count()
    return workflow.status_of(obj), records, Notification.objects.count()


def walk(
    workflow: Workflow,
    *,
    roles: Mapping[str, Any],
    make: Make,
    step: Step,
    states: list[str] | None = None,
    targets: list[str] | None = None,
) -> dict[str, int]:
    """Return counts of allowed and refused attempts; raise AssertionError on a mismatch.

    `make(state)` builds a fresh record in `state`; `step(obj, target, user)` calls the
    service that makes the step to `target` (with plausible inputs). `roles` maps a role
    name to a user of that role who is related to the records `make` builds where the role
    is an organisation (the owning firm's user, the bank's officer, ...).
    """
    states = states or list(workflow.states.values)
    targets = targets or list(workflow.states.values)
    counts = {"allowed": 0, "refused": 0}
    for source in states:
        obj = make(source)
        for target in targets:
            if target == source:
                continue
            for role, user in roles.items():
                # Each attempt is undone after it is checked, so the next one starts from the
                # record as `make` built it (one record per state, not one per attempt).
                with transaction.atomic():
                    obj.refresh_from_db()
                    outcome = _attempt(workflow, obj, source, target, role, user, step)
                    transaction.set_rollback(True)
                counts[outcome] += 1
    assert counts["allowed"], f"{workflow.name}: no step succeeded"
    return counts


def _attempt(
    workflow: Workflow, obj: Any, source: str, target: str, role: str, user: Any, step: Step
) -> str:
    """`role` tries to move `obj` from `source` to `target`: "allowed" or "refused", as the
    table says it must be (AssertionError otherwise)."""
    in_table = bool(workflow.actors_for(source, target))
    expected = in_table and workflow.may(user, obj, target)
    before = _snapshot(workflow, obj)
    refused: Exception | None = None
    try:
        with transaction.atomic():
            step(obj, target, user)
    except (PermissionDenied, ValidationError) as exc:
        refused = exc
    after = _snapshot(workflow, obj)
    where = f"{workflow.name}: {source} → {target} as {role}"
    if expected:
        assert refused is None, f"{where} was refused: {refused}"
        assert after[0] == target, f"{where} left the record {after[0]}"
        written = after[1] - before[1]
        assert written == 1, f"{where} wrote {written} records"
        return "allowed"
    assert refused is not None, f"{where} was allowed"
    assert after == before, f"{where} was refused but wrote {before} → {after}"
    return "refused"
