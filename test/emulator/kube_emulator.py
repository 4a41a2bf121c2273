#!/usr/bin/env python3
"""Kubernetes API server emulator for the kubectl kong-tls tests (see emulator_core.py).

  python3 test/emulator/kube_emulator.py --dir DIR [--port N] [--gateway-versions v1alpha2|v1alpha3|v1,v1alpha3|v1]

This launcher stays small so that Python can reuse the compiled emulator_core module: tests start many
emulators and each must be ready well under a second.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = False  # keep the compiled core next to it even under PYTHONDONTWRITEBYTECODE
import emulator_core  # noqa: E402

if __name__ == "__main__":
    sys.exit(emulator_core.main())
