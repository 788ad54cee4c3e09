"""Payments of claims' fees (gateway, counter office, service desk) and charges to the bill."""
