"""`python tests/unprivileged.py ARGS...`: `python ARGS` without root's power over permissions.

Root reads and writes any file whatever its mode (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH). A test
run as root drops those two from the bounding set before running the command, so that the
command meets a read-only file or folder as an operator would, while still the files' owner.
"""

from __future__ import annotations

import ctypes
import os
import sys

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE = 1
CAP_DAC_READ_SEARCH = 2


def main() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")
    # A new program's capabilities come from the bounding set: exec for the drop to apply.
    os.execv(sys.executable, [sys.executable, *sys.argv[1:]])


if __name__ == "__main__":
    main()
