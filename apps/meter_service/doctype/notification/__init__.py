"""Notifications: message templates staff edit, and the log of every SMS sent."""
