"""Serializers of the emergency API."""

from .command import *  # noqa: F401,F403
from .command import __all__ as _command
from .incidents import *  # noqa: F401,F403
from .incidents import __all__ as _incidents
from .resources import *  # noqa: F401,F403
from .resources import __all__ as _resources
from .supplies import *  # noqa: F401,F403
from .supplies import __all__ as _supplies

__all__ = [*_command, *_incidents, *_resources, *_supplies]
