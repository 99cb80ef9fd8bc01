"""The secretariat's workspace in Django admin (``reports.admin`` is what Django autodiscovers).

Importing the modules that register their ``ModelAdmin`` classes is what registers them.
"""

from . import compilations, cycles, entities, reports, security  # noqa: F401
