"""Visitors' ratings of their visit: one per ticket, from the exit device or an SMS link."""
