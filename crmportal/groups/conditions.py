"""A group's settings (docs/omtrader-api.md §6.3), once: label and kind of each, which the
edit form may write, and where each effective value comes from.

Inheritance (docs/omtrader-api.md §6.3: "roots override children, children inherit defaults and may
customise where allowed"): a group *sets* a value when OMTrader gives one for it; a group
that gives none (null) inherits it from the nearest ancestor that sets it, up to its root.
Switches (bool) always arrive as true/false, so a group always sets them. A value set by a
child is its own even when it equals the root's; the page shows the root's beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from crmportal.omtrader.entities import Group
from crmportal.omtrader.enums import enum_value


@dataclass(frozen=True)
class Setting:
    name: str
    label: str
    kind: str  # text, enum, int, decimal, bool, currency
    enum: str = ""
    inherits: bool = True
    none_means: str = "not set"


SETTINGS: tuple[Setting, ...] = (
    Setting("desc", "Name", "text", inherits=False),
    Setting("status", "Status", "text", inherits=False),
    Setting("group_type", "Type", "enum", enum="ModelGroupType"),
    Setting("currency", "Currency", "currency"),
    Setting("currency_digits", "Currency digits", "int"),
    Setting("default_leverage", "Default leverage", "int"),
    Setting("margin_mode", "Margin mode", "enum", enum="ModelMarginMode"),
    Setting("margin_call", "Margin call level", "decimal"),
    Setting("margin_stop_out", "Stop-out level", "decimal"),
    Setting("full_stop_out", "Full stop-out", "bool"),
    Setting("compensate_negative_balance", "Compensate negative balance", "bool"),
    Setting("limit_history", "History limit", "int", none_means="unlimited"),
    Setting("limit_orders", "Pending orders limit", "int", none_means="unlimited"),
    Setting("limit_positions", "Open positions limit", "int", none_means="unlimited"),
    Setting("limit_positions_volume", "Open volume limit", "int", none_means="unlimited"),
    Setting("limit_symbols", "Symbols limit", "int", none_means="unlimited"),
)
BY_NAME = {setting.name: setting for setting in SETTINGS}
LEVELS = ("margin_call", "margin_stop_out", "margin_mode")


@dataclass(frozen=True)
class Resolved:
    """One setting of one group: its own value, where the effective one comes from."""

    setting: Setting
    own: Any
    effective: Any
    source: Group | None  # the group the effective value comes from (None: nobody sets it)
    root_value: Any
    inherited: bool

    @property
    def same_as_root(self) -> bool:
        return not self.inherited and self.own == self.root_value

    @property
    def own_text(self) -> str:
        return display(self.setting, self.own) if self.own is not None else ""

    @property
    def effective_text(self) -> str:
        return display(self.setting, self.effective)

    @property
    def root_text(self) -> str:
        return display(self.setting, self.root_value)


def enum_label(setting: Setting, value: Any) -> Any:
    """A code as the form gives it -> its EnumValue, for display."""
    if setting.enum and isinstance(value, int):
        return enum_value(setting.enum, value)
    return value


def display(setting: Setting, value: Any) -> str:
    if value is None:
        return setting.none_means
    if setting.kind == "bool":
        return "Yes" if value else "No"
    if setting.name == "default_leverage":
        return f"1:{value}"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def sets(group: Group, name: str) -> bool:
    return getattr(group, name) is not None


def ancestors(group: Group, by_id: dict[int, Group]) -> list[Group]:
    """Parent first, root last (a broken or cyclic chain stops where it breaks)."""
    chain, seen = [], {group.id}
    parent = by_id.get(group.parent_id) if group.parent_id else None
    while parent is not None and parent.id not in seen:
        chain.append(parent)
        seen.add(parent.id)
        parent = by_id.get(parent.parent_id) if parent.parent_id else None
    return chain


def resolve(group: Group, by_id: dict[int, Group],
            settings: Sequence[Setting] = SETTINGS) -> list[Resolved]:
    chain = ancestors(group, by_id)
    root = chain[-1] if chain else group
    rows = []
    for setting in settings:
        own = getattr(group, setting.name)
        source: Group | None = group
        if own is None and setting.inherits:
            source = next((g for g in chain if sets(g, setting.name)), None)
        elif own is None:
            source = None
        effective = getattr(source, setting.name) if source is not None else None
        rows.append(Resolved(setting, own, effective, source, getattr(root, setting.name),
                             inherited=source is not group))
    return rows


def descendants(group_id: int, groups: Iterable[Group]) -> list[Group]:
    """Every group below this one (children, their children, ...), each once."""
    by_parent: dict[int | None, list[Group]] = {}
    for g in groups:
        by_parent.setdefault(g.parent_id, []).append(g)
    found, todo, seen = [], [group_id], {group_id}
    while todo:
        for child in by_parent.get(todo.pop(), []):
            if child.id not in seen:
                seen.add(child.id)
                found.append(child)
                todo.append(child.id)
    return found


def inheriting(group: Group, groups: Sequence[Group], names: Iterable[str]) -> list[Group]:
    """The group and those below it whose effective value of any of `names` comes from it."""
    by_id = {g.id: g for g in groups}
    wanted = [BY_NAME[n] for n in names]
    found = [group]
    for child in descendants(group.id, groups):
        if any(r.source is not None and r.source.id == group.id
               for r in resolve(child, by_id, wanted)):
            found.append(child)
    return found
