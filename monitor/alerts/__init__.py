"""Alerts: a transactional outbox (`enqueue`) drained through apprise (`drain`)."""

from monitor.alerts.notifier import DrainSummary, drain
from monitor.alerts.outbox import enqueue

__all__ = ["DrainSummary", "drain", "enqueue"]
