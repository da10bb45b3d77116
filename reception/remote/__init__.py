"""Joining the line from a phone."""
