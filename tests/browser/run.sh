#!/bin/sh
# Runs one browser test file with node (CTest's command for Browser.*). Without node the test is
# skipped (77) on a developer's machine and fails under CI, like a missing chromium.
if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node is not installed (scripts/setup installs it)"
  case "${CI:-}" in "" | false | 0) exit 77 ;; *) exit 1 ;; esac
fi
exec node "$@"
