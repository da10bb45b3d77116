"""Reception: queue tickets, hall displays, letters to the minister and SMS tracking."""

from pathlib import Path

__version__ = "0.1.0"

PACKAGE_DIR = Path(__file__).resolve().parent
