"""Alerts: pure rules (spikes, new spenders, budget thresholds), pure Block Kit messages, and the delivery service."""
