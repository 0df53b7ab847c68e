"""The integration tests run a real hub on the real broker and Redis, with its own hall id:
the ``hub`` and ``client`` fixtures of ``tests/conftest.py``. The hub helpers live in
``tests/integration/halls.py``; the names below stay importable from here."""

from __future__ import annotations

from .halls import hall_services_with_web as hall_services_with_web
from .halls import running_hub as running_hub
