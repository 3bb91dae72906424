"""Child processes that belong to the process that started them (``make run``'s launcher).

Each runs in its own session, so a terminal's Ctrl-C (sent to the whole foreground process
group) reaches only the launcher, which stops them in order: the web and worker processes
gracefully (SIGTERM), then Redis, which their last work still needs. On Linux each also
gets SIGTERM if the launcher dies in any way, even by SIGKILL, so none is left running
without its owner. Elsewhere they stay in the launcher's group, as plain children do.
"""

from __future__ import annotations

import ctypes
import signal
import sys
from typing import Any

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _stop_with_parent() -> None:
    """Runs in the child between fork and exec."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def owned_child() -> dict[str, Any]:
    """Keyword arguments for ``subprocess.Popen`` (see the module docstring)."""
    if sys.platform != "linux":
        return {}
    return {"start_new_session": True, "preexec_fn": _stop_with_parent}
