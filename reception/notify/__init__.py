"""Outgoing SMS: outbox table, message templates, backends and the sending worker."""
