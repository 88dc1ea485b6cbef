"""Validated GitHub alert payloads straight to the store's column form (`AlertRows`).

`payloads.CodeScanningAlert.to_alert()` builds an `Alert` model, which pydantic validates a
second time, field by field, after the payload model itself was validated: for a 100,000-alert
import or sync that second pass cost as much as writing the rows. Here the same values go straight
into row tuples, exactly as `store.alert_rows.row_for(item.to_alert(), …)` would lay them out.

It lives here, beside the payload models, so that the sync can use it too (`bot.github` may not
import `bot.ingest`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.core.cwe import with_canonical_cwe
from bot.core.models import OPEN_SOURCE_STATES, AlertKind
from bot.github import payloads
from store.alert_rows import NOT_APP_CODE, AlertKey, AlertRows, value_set

_CODE = AlertKind.CODE.value
_SECRET = AlertKind.SECRET.value
_NO_SECRET = (None, None, None, None, None, None, False, False, False, False)
"""`secret_type` … `generic` of a code alert."""
_NO_CODE = (None,) * 8 + (None, True, None, None)
"""`rule_id` … `fingerprint` of a secret alert (no classifications: application code)."""


class RowBuilder:
    """Accumulates alert payloads as `AlertRows`, one row per alert: a later record with the
    same key replaces the earlier one in place, as a sequence of upserts would leave it."""

    def __init__(self) -> None:
        self.rows = AlertRows()
        self._at: dict[AlertKey, int] = {}
        self._lower: dict[str, str] = {}
        self._tag_sets: dict[tuple[str, ...], tuple[str, ...]] = {}

    def add(self, items: Iterable[payloads.AlertItem]) -> AlertRows:
        for item in items:
            if isinstance(item, payloads.CodeScanningAlert):
                self._put(item, _CODE, self._code(item), self._tags(item), self._coders(item))
            else:
                people = value_set((item.assigned_to.login,)) if item.assigned_to else ()
                self._put(item, _SECRET, self._secret(item), (), people)
        return self.rows

    def _put(
        self,
        item: payloads.AlertItem,
        kind: str,
        values: tuple[Any, ...],
        tags: tuple[str, ...],
        people: tuple[str, ...],
    ) -> None:
        rows = self.rows
        name = item.repository_full_name or ""
        lower = self._lower.get(name)
        if lower is None:
            lower = self._lower[name] = name.lower()
        key = (lower, kind, item.number)
        github_id = item.repository_github_id
        if github_id is not None:
            rows.github_ids[name] = github_id
        at = self._at.get(key)
        if at is None:
            self._at[key] = len(rows.keys)
            rows.keys.append(key)
            rows.repositories.append(name)
            rows.values.append(values)
            rows.tags.append(tags)
            rows.assignees.append(people)
            return
        rows.repositories[at] = name
        rows.values[at] = values
        rows.tags[at] = tags
        rows.assignees[at] = people

    def _tags(self, item: payloads.CodeScanningAlert) -> tuple[str, ...]:
        """The rule's tags as `Alert` keeps them (with GitHub's CWE spelling), as stored;
        alerts of one rule share their tags, so each distinct list is worked out once."""
        given = tuple(item.rule.tags or ())
        found = self._tag_sets.get(given)
        if found is None:
            found = self._tag_sets[given] = value_set(with_canonical_cwe(list(given)))
        return found

    @staticmethod
    def _coders(item: payloads.CodeScanningAlert) -> tuple[str, ...]:
        if not item.assignees:
            return ()
        return value_set(user.login for user in item.assignees)

    @staticmethod
    def _code(item: payloads.CodeScanningAlert) -> tuple[Any, ...]:
        """`CodeScanningAlert.to_alert`, then `row_for`, in one step."""
        instance = item.most_recent_instance
        location = instance.location if instance is not None else None
        state = item.state or (instance.state if instance is not None else None) or "open"
        rule = item.rule
        classifications = (
            [c for c in (instance.classifications or ()) if c is not None]
            if instance is not None
            else []
        )
        return (
            _CODE,
            item.number,
            state,
            state in OPEN_SOURCE_STATES,
            item.created_at,
            item.updated_at,
            (item.fixed_at or item.dismissed_at) if state != "open" else None,
            item.html_url,
            rule.id,
            rule.name,
            rule.description,
            rule.severity if rule.severity != "none" else None,
            rule.security_severity_level,
            item.tool.name,
            location.path if location is not None else None,
            location.start_line if location is not None else None,
            classifications or None,
            not NOT_APP_CODE.intersection(classifications),
            item.dismissed_reason if state == "dismissed" else None,
            None,  # fingerprint: SARIF results only
            *_NO_SECRET,
        )

    @staticmethod
    def _secret(item: payloads.SecretScanningAlert) -> tuple[Any, ...]:
        """`SecretScanningAlert.to_alert`, then `row_for`, in one step."""
        state = item.state
        resolved = state == "resolved"
        return (
            _SECRET,
            item.number,
            state,
            state in OPEN_SOURCE_STATES,
            item.created_at,
            item.updated_at,
            item.resolved_at if resolved else None,
            item.html_url,
            *_NO_CODE,
            item.secret_type,
            item.secret_type_display_name,
            item.provider,
            item.provider_slug,
            item.validity,
            item.resolution if resolved else None,
            bool(item.publicly_leaked),
            bool(item.multi_repo),
            bool(item.push_protection_bypassed),
            item.generic,
        )


def alert_rows(items: Iterable[payloads.AlertItem]) -> AlertRows:
    """The rows of alert payloads, one per key (the later record wins)."""
    return RowBuilder().add(items)
