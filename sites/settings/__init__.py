"""Settings for the site named by METER_SITE (default: "default"), see base.py."""

from .base import *  # noqa: F403
from .unfold import UNFOLD  # noqa: F401
