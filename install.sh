#!/usr/bin/env bash
# System and per-user installation with systemd units: not written yet (its own issue).
echo "install.sh: not yet. Run 'npm install' in the checkout and use 'npx cortex' for now." >&2
exit 1
