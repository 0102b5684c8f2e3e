#!/usr/bin/env bash
# The monitoring examples are valid for the real tools: promtool checks the scrape config and the
# rules and runs the rules' unit tests; haproxy checks its config.
set -euo pipefail
cd "$(dirname "$0")"
promtool=$(command -v promtool || true)
haproxy=$(command -v haproxy || ls /usr/sbin/haproxy 2>/dev/null || true)
if [ -z "$promtool" ] || [ -z "$haproxy" ]; then
  echo "SKIP: promtool (package prometheus) or haproxy (package haproxy) is not installed"
  exit 77
fi
"$promtool" check config prometheus.yml
"$promtool" check rules alerts.yml
"$promtool" test rules alerts_test.yml
"$haproxy" -c -f haproxy.cfg
