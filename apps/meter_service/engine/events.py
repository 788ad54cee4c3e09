"""Audit event types of process documents."""

# The process's event types live with the doctypes' view of the process (the claim's
# timeline reads them); recorded by the engine.
from apps.meter_service.doctype.process_steps import ProcessEvents

__all__ = ["ProcessEvents"]
