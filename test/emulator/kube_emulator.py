#!/usr/bin/env python3
"""Kubernetes API server emulator for the kubectl kong-tls tests (see emulator_core.py).

  python3 test/emulator/kube_emulator.py --dir DIR [--port N] [--gateway-versions v1alpha2|v1alpha3|v1,v1alpha3|v1]

This launcher stays small so that Python can reuse the compiled emulator_core module: tests start many
emulators and each must be ready well under a second.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = False  # keep the compiled modules next to them even under PYTHONDONTWRITEBYTECODE
import emulator_certs  # noqa: E402


def _early_certs():
    """Starts the certificate generation before the (slower) import of the emulator, when --dir is given."""
    argv = sys.argv[1:]
    d = None
    for i, a in enumerate(argv):
        if a == "--dir" and i + 1 < len(argv):
            d = argv[i + 1]
        elif a.startswith("--dir="):
            d = a[len("--dir="):]
    if not d or "-h" in argv or "--help" in argv:
        return None, None
    d = os.path.abspath(d)
    try:
        os.makedirs(d, exist_ok=True)
        return emulator_certs.start_certs(d), d
    except OSError:
        return None, None


if __name__ == "__main__":
    certs = _early_certs()
    import emulator_core  # noqa: E402
    sys.exit(emulator_core.main(certs_proc=certs[0], certs_dir=certs[1]))
