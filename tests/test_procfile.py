"""Every Procfile process starts from something that exists (a typo here only shows in production)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_procfile_target_imports(base_config, redis) -> None:
    procfile = (ROOT / "Procfile").read_text()
    [web] = re.findall(r'^web: gunicorn .*"(\w+):(\w+)\(\)"$', procfile, re.M)
    assert callable(getattr(importlib.import_module(web[0]), web[1]))
    [worker] = re.findall(r"^worker: python -m (\w+)$", procfile, re.M)
    assert callable(importlib.import_module(f"{worker}.__main__").main)
