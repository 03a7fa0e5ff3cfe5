"""Fixtures of the trend tests (helpers live in trend_helpers.py)."""

from __future__ import annotations

import sys
from pathlib import Path

# --import-mode=importlib puts no test directory on sys.path; the tests import their helpers.
sys.path.insert(0, str(Path(__file__).parent))
