"""The service process: versions of its BPMN/DMN files, one instance per claim, its tasks.

The files in `apps/meter_service/workflows/` are the process; a ProcessVersion is one
validated copy of them. Each claim's instance keeps the version it started on, so changing
the files (a new version) never disturbs a running claim.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ProcessVersion(models.Model):
    process_id = models.CharField(_("process"), max_length=64, default="meter_test")
    number = models.PositiveIntegerField(_("version"))
    bpmn = models.TextField(_("BPMN file"))
    # {file name: DMN XML}: the decision tables the BPMN refers to.
    dmn_files = models.JSONField(_("DMN files"), default=dict, blank=True)
    # {formKey: form-js schema}: the user tasks' forms (engine/form_schema.py).
    forms = models.JSONField(_("forms"), default=dict, blank=True)
    checksum = models.CharField(_("checksum"), max_length=64)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    # True on the version new claims start on, NULL on the others (unique with process_id:
    # one active version per process, enforced by the database on SQLite and MariaDB alike).
    is_active = models.BooleanField(_("active"), null=True, blank=True, default=None)
    # Saved from the process studio and not deployed yet: never active, never run by a
    # claim (nor a migration target); deploying validates it and clears this.
    is_draft = models.BooleanField(_("draft"), default=False, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("process version")
        verbose_name_plural = _("process versions")
        ordering = ["process_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["process_id", "number"], name="process_version_number"),
            models.UniqueConstraint(
                fields=["process_id", "is_active"], name="process_one_active_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.process_id} v{self.number}"


class InstanceStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")


class ProcessInstance(models.Model):
    claim = models.OneToOneField(
        "meter_service.Claim",
        on_delete=models.CASCADE,
        related_name="process",
        verbose_name=_("claim"),
    )
    version = models.ForeignKey(
        ProcessVersion,
        on_delete=models.PROTECT,
        related_name="instances",
        verbose_name=_("version"),
    )
    # SpiffWorkflow's serialized workflow without its spec (that is the version's files).
    state = models.JSONField(_("engine state"), default=dict)
    # Bumped by every saved step: a save that finds another number lost a race.
    revision = models.PositiveIntegerField(_("revision"), default=0)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=InstanceStatus.choices,
        default=InstanceStatus.RUNNING,
        db_index=True,
    )
    end_event = models.CharField(_("ended at step"), max_length=64, blank=True)
    # The earliest timer the instance waits on: the timer job only loads instances due.
    next_timer_at = models.DateTimeField(_("next timer"), null=True, blank=True, db_index=True)
    started_at = models.DateTimeField(_("started at"))
    updated_at = models.DateTimeField(_("updated at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("process instance")
        verbose_name_plural = _("process instances")

    def __str__(self) -> str:
        return f"{self.claim_id} ({self.version})"


class ProcessTask(models.Model):
    """A step of an instance that people (or a message from outside) must complete.

    Kept beside the engine state so the inbox is an indexed query, not a scan of every
    instance's state.
    """

    instance = models.ForeignKey(
        ProcessInstance, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("instance")
    )
    task_id = models.UUIDField(_("engine task id"), unique=True)
    element_id = models.CharField(_("step"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    lane = models.CharField(_("lane"), max_length=64, db_index=True)
    ready_at = models.DateTimeField(_("ready at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True, db_index=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("completed by"),
    )
    # Closed without anyone completing it (a timer or the end of the process took it away).
    cancelled = models.BooleanField(_("withdrawn"), default=False)
    data = models.JSONField(_("submitted data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("process task")
        verbose_name_plural = _("process tasks")
        ordering = ["ready_at", "id"]
        indexes = [models.Index(fields=["lane", "completed_at", "ready_at"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.completed_at is None
