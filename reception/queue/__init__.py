"""Branches, halls, services, counters and tickets."""
