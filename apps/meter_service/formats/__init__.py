"""Number formats per language, over Django's own (settings.FORMAT_MODULE_PATH)."""
