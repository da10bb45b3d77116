"""Kiosk screen."""
