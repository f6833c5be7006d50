"""The audit trail: one event for every change made through the actions layer."""
