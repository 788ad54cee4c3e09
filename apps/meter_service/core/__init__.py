"""Building blocks every layer uses.

Identifiers, the Jalali calendar, validators, tracking codes, display helpers, form fields,
uploads, storage, logs and rule settings. Imports nothing else of the app (see
docs/architecture.md and the import contracts in pyproject.toml).
"""
