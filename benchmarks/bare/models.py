from django.db import models


class Item(models.Model):
    """One field: the least a list endpoint can serve."""

    name = models.CharField(max_length=50)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name
