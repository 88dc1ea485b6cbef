"""Reading what a person entered in a modal."""

from __future__ import annotations

from typing import Any


def state_value(view: dict[str, Any], block_id: str) -> Any:
    """The value of the element of input block `block_id`, whatever its type."""
    values = view.get("state", {}).get("values", {}).get(block_id, {})
    element: dict[str, Any] = values.get(block_id) or next(iter(values.values()), {})
    kind = element.get("type")
    if kind == "datepicker":
        return element.get("selected_date")
    if kind in ("users_select",):
        return element.get("selected_user")
    if kind == "conversations_select":
        return element.get("selected_conversation")
    if kind == "static_select":
        option = element.get("selected_option")
        return option.get("value") if option else None
    if kind == "checkboxes":
        return [option["value"] for option in element.get("selected_options") or []]
    return element.get("value")
