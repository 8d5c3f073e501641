#!/usr/bin/env bash
# One set-up step of the Makefile: say what it does, run it, say how long it took.
# Usage: scripts/setup_step.sh "what it does" command [args...]
set -uo pipefail
label=$1
shift
echo "==> $label"
start=$(date +%s)
"$@"
rc=$?
if [ "$rc" -ne 0 ]; then
  echo "==> failed after $(($(date +%s) - start)) s (exit $rc): $label" >&2
  exit "$rc"
fi
echo "    done in $(($(date +%s) - start)) s"
