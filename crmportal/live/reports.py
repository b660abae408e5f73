"""What the relay reports to whoever listens, so that it does not depend on the pages that
show it: the dashboard connects to both (crmportal/dashboard/apps.py). Receivers run in a
worker thread and may use the database."""

from __future__ import annotations

from django.dispatch import Signal

# status=Status: on every change and with every heartbeat (the health panel).
status_noted = Signal()
# figures={group id: floating P/L or None}: every DASHBOARD_PL_SAMPLE_SECONDS (the chart over
# the day: OMTrader keeps no history of it).
profit_sampled = Signal()
