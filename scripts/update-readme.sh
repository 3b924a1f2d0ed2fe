#!/usr/bin/env bash
# Rewrites README.md's configuration table (between the config-keys markers) from the key table
# in src/app/config_keys.cpp, as printed by `creditscope config-keys`. app_test fails when they differ.
# Usage: scripts/update-readme.sh BINARY
set -euo pipefail
cd "$(dirname "$0")/.."
table="$("$1" config-keys)"
python3 - "$table" <<'PY'
import sys
begin, end = "<!-- config-keys:begin -->\n", "<!-- config-keys:end -->"
text = open("README.md").read()
b, e = text.index(begin) + len(begin), text.index(end)
open("README.md", "w").write(text[:b] + sys.argv[1] + "\n" + text[e:])
PY
