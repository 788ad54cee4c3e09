"""A model's own fields by name, typed as fields.

``Model._meta.get_field`` also returns the reverse side of a relation or a generic
foreign key, which have no ``verbose_name``, ``to_python`` or ``has_default``; code that
reads a column's label or converts a value asks for a field of the model itself.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models


def model_field(model: type[models.Model] | models.Model, name: str) -> models.Field[Any, Any]:
    """Return the model's field `name`; FieldDoesNotExist when it is not a field of its own."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise FieldDoesNotExist(f"{model._meta.label}.{name} is not a field of the model")
    return field
