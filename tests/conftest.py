"""Make the test helper packages under tests/ (such as fake_github) importable by name."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
