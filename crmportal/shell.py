"""A page rendered while OMTrader answers.

The view starts its upstream read (omtrader.concurrent.start), then renders the page with a
mark in each slot whose content needs the answer: the layout, navigation and filters cost
this thread several milliseconds, which the round trip now hides. `fill()` waits for the
answer and returns what the slots' partials need; each is rendered without the request (no
context processors: the page ran them) and put in its mark.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe


def render_around(request: HttpRequest, template: str, context: dict[str, Any],
                  slots: dict[str, str], fill: Callable[[], dict[str, Any]]) -> str:
    """`template` with each `{{ slot }}` replaced by its partial (slots: slot -> partial name),
    rendered with `context` and what fill() returns."""
    marks = {slot: mark_safe(f"<!-- {slot} -->") for slot in slots}  # noqa: S308 - constant
    page = render_to_string(template, {**context, **marks}, request)
    filled = {**context, **fill()}
    for slot, partial in slots.items():
        page = page.replace(marks[slot], render_to_string(f"{template}#{partial}", filled), 1)
    return page
