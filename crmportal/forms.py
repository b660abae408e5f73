"""Form pieces the areas share: a list's query string over a local index, its "since"
filters, and OMTrader's field errors put on a write form."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.db.models import F, QuerySet
from django.utils import timezone


def sort_choices(sorts: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    """Every sort key, ascending and descending ("-key")."""
    return [(f"{d}{k}", f"{d}{k}") for k in sorts for d in ("", "-")]


class IndexFilterForm(forms.Form):
    """A list's query string over a local index. Values that make no sense are dropped with a
    notice. Subclasses name SORTS (sort key -> index columns), DEFAULT_SORT, FILTERS (what
    makes the list "filtered") and SELECTS (the filter bar's selects, in order)."""

    SORTS: dict[str, tuple[str, ...]] = {}
    DEFAULT_SORT = "-id"
    FILTERS: tuple[str, ...] = ()
    SELECTS: tuple[str, ...] = ()

    @classmethod
    def parse(cls, query) -> tuple[IndexFilterForm, list[str]]:
        """A valid form from any query string, and what was corrected to get there."""
        data = {name: query.get(name, "") for name in cls.base_fields}
        form = cls(data)
        notices = []
        if not form.is_valid():
            for name, errors in form.errors.as_data().items():
                field = form.fields[name]
                label = field.label or name.replace("_", " ").capitalize()
                why = ("it is not one of the known values" if errors[0].code == "invalid_choice"
                       else errors[0].messages[0].rstrip(".").lower())
                notices.append(f"Ignored {label.lower() if not label.isupper() else label} "
                               f"“{data.get(name, '')[:40]}”: {why}.")
                data[name] = ""
            form = cls(data)
            form.is_valid()
        return form, notices

    def selects(self) -> list[forms.BoundField]:
        """The filter bar: one select per filter, the current value selected."""
        return [self[name] for name in self.SELECTS]

    def order(self, rows: QuerySet) -> QuerySet:
        """Sorted by the sort key's columns, empty values last; the id breaks ties, so the
        list and its export agree row by row."""
        key = self.sort_key
        desc = key.startswith("-")
        columns = self.SORTS[key.lstrip("-")]
        order = [F(c).desc(nulls_last=True) if desc else F(c).asc(nulls_last=True)
                 for c in columns]
        if "id" not in columns:
            order.append(F("id").desc() if desc else F("id").asc())
        return rows.order_by(*order)

    @property
    def sort_key(self) -> str:
        return self.cleaned_data.get("sort") or self.DEFAULT_SORT

    @property
    def active(self) -> bool:
        return any(self.cleaned_data.get(name) not in (None, "") for name in ("q", *self.FILTERS))


class UpstreamErrors:
    """For write forms: OMTrader's field messages (`Rejected.field_errors`) on the fields they
    name, the others above the form; no field message at all: OMTrader's message."""

    def add_upstream_errors(self, field_errors: dict[str, str], message: str) -> None:
        if not field_errors:
            self.add_error(None, f"OMTrader refused the change: {message}")
        for name, text in (field_errors or {}).items():
            if name in self.fields and name != "version":
                self.add_error(name, f"OMTrader: {text}")
            else:
                self.add_error(None, f"OMTrader: {name}: {text}")


RECENT = ("today", "7", "30")  # "since" filters: today, or the last N days


def recent_choices(empty: str, what: str) -> list[tuple[str, str]]:
    """A "since" filter's options: "Registered today", "Registered in the last 7 days", ..."""
    return [("", empty), *((v, f"{what} today" if v == "today" else f"{what} in the last {v} days")
                           for v in RECENT)]


def since(value: str):
    """The moment a "since" filter value starts at: local midnight, or N days ago."""
    if value == "today":
        return timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    return timezone.now() - timedelta(days=int(value))
