"""Appointments: booked visits that check in at the kiosk by code."""
