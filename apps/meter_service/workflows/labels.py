"""The strings of meter_test.bpmn that people read, listed so makemessages extracts them.

The BPMN file stays in English; the diagram (engine/diagram.py), the inbox and the
task forms translate its names through the catalogue at run time. When a name in the file
changes or a step is added, add it here too (tests/engine/test_diagram.py fails
until it is) and run scripts/messages. Lanes are role codes and show as the role's label.
"""

from django.utils.translation import gettext_noop

# The pool and the process.
POOL = [
    gettext_noop("Meter test service"),
    gettext_noop("Meter test"),
]

# Events, tasks and gateways.
STEPS = [
    gettext_noop("Claim filed"),
    gettext_noop("Wait for the fee"),
    gettext_noop("Fee paid"),
    gettext_noop("Claim cancelled"),
    gettext_noop("Cancelled"),
    gettext_noop("Payment deadline passed"),
    gettext_noop("Expire the unpaid claim"),
    gettext_noop("Expired unpaid"),
    gettext_noop("Work and SLA clock"),
    # xgettext:no-python-format
    gettext_noop("75% of the SLA used"),
    gettext_noop("Warn the responsible role"),
    gettext_noop("Warned?"),
    gettext_noop("SLA breached"),
    gettext_noop("Escalate to the service manager"),
    gettext_noop("Escalated?"),
    gettext_noop("SLA watch done"),
    gettext_noop("Schedule the test"),
    gettext_noop("Tell the subscriber the visit time"),
    gettext_noop("Test the meter"),
    gettext_noop("Meter reached?"),
    gettext_noop("Give access to the meter"),
    gettext_noop("Access not given in time"),
    gettext_noop("Close: no access to the meter"),
    gettext_noop("Expired: no access"),
    gettext_noop("Look up the tolerance"),
    gettext_noop("Decide the verdict"),
    gettext_noop("Verdict"),
    gettext_noop("Close: no fault"),
    gettext_noop("No fault"),
    gettext_noop("Charge for tampering"),
    gettext_noop("Close: tampered"),
    gettext_noop("Tampered"),
    gettext_noop("Open the replacement work order"),
    gettext_noop("Replace the meter"),
    gettext_noop("Compute the bill correction"),
    gettext_noop("Above the approval limit?"),
    gettext_noop("Approve the correction"),
    gettext_noop("Approved?"),
    gettext_noop("Decide on the test fee"),
    gettext_noop("Refund or waive the fee"),
    gettext_noop("Close: meter replaced and bills corrected"),
    gettext_noop("Faulty: replaced and corrected"),
]

# Conditions on sequence flows.
FLOWS = [
    gettext_noop("yes"),
    gettext_noop("no"),
    gettext_noop("not yet (clock was paused)"),
    gettext_noop("no access"),
    gettext_noop("tested"),
    gettext_noop("within tolerance"),
    gettext_noop("tampered"),
    gettext_noop("fast, slow or stopped"),
    gettext_noop("approved"),
    gettext_noop("returned"),
]

# Labels and choices of the user tasks' form fields (camunda:formData).
FORM_FIELDS = [
    gettext_noop("Test type"),
    gettext_noop("In the field (portable prover)"),
    gettext_noop("On the lab bench"),
    gettext_noop("Visit date"),
    gettext_noop("Visit time"),
    gettext_noop("Morning (8-12)"),
    gettext_noop("Afternoon (12-16)"),
    gettext_noop("Outcome of the visit"),
    gettext_noop("Meter tested"),
    gettext_noop("No access to the meter"),
    gettext_noop("Measured error (%)"),
    gettext_noop("Meter stopped"),
    gettext_noop("Seal broken or meter tampered with"),
    gettext_noop("Notes"),
    gettext_noop("Available from"),
    gettext_noop("How to reach the meter"),
    gettext_noop("Damage charge (Rial)"),
    gettext_noop("Note"),
    gettext_noop("Old meter: final reading"),
    gettext_noop("New meter: serial number"),
    gettext_noop("New meter: initial reading"),
    gettext_noop("Seal numbers"),
    gettext_noop("Correction (Rial; negative is a credit to the subscriber)"),
    gettext_noop("Method"),
    gettext_noop("Scaled by the measured error"),
    gettext_noop("Estimated from earlier years"),
    gettext_noop("Decision"),
    gettext_noop("Approve"),
    gettext_noop("Return to the billing officer"),
]

LABELS = POOL + STEPS + FLOWS + FORM_FIELDS
