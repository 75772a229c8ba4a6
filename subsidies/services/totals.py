"""What each policy version has committed and paid, kept on the version.

Every save or delete of a claim refreshes the totals of the version it points at (and of the
one it pointed at when loaded, if it moved), inside the same transaction and under the
version's row lock: a transaction that changes a claim of the same version waits, then sums
with the first one's change committed, so the stored totals never miss a concurrent step.
Connected by the app's ready(); the migration that added the totals set them on existing
versions.
"""

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import signals

from subsidies.models import SubsidyClaim, SubsidyPolicy


def policy_totals_refresh(policy_ids: Iterable[int | None]) -> None:
    """Store on each version what it has committed (approved, in a batch, paid) and paid,
    as `SubsidyPolicy.committed_amount` and `paid_amount` sum them (two index reads)."""
    # Inside the caller's transaction when there is one (a service's step); a save made in
    # autocommit (a script, a test's factory) refreshes in a transaction of its own.
    with transaction.atomic():
        for pk in sorted({pk for pk in policy_ids if pk is not None}):
            policy = SubsidyPolicy.objects.select_for_update().filter(pk=pk).first()
            if policy is None:
                continue  # the version itself is being deleted
            # The same sums the approval's budget check reads (SubsidyPolicy's own).
            SubsidyPolicy.objects.filter(pk=pk).update(
                committed_total=policy.committed_amount(), paid_total=policy.paid_amount()
            )


def _loaded(sender: Any, instance: SubsidyClaim, **kwargs: Any) -> None:
    # The version a claim pointed at when read, so that moving it refreshes both.
    instance._policy_id_loaded = instance.__dict__.get("policy_id")  # type: ignore[attr-defined]


def _changed(sender: Any, instance: SubsidyClaim, **kwargs: Any) -> None:
    policy_totals_refresh([instance.policy_id, getattr(instance, "_policy_id_loaded", None)])
    instance._policy_id_loaded = instance.policy_id  # type: ignore[attr-defined]


def connect() -> None:
    signals.post_init.connect(_loaded, sender=SubsidyClaim, dispatch_uid="policy-totals-init")
    signals.post_save.connect(_changed, sender=SubsidyClaim, dispatch_uid="policy-totals-save")
    signals.post_delete.connect(_changed, sender=SubsidyClaim, dispatch_uid="policy-totals-del")
