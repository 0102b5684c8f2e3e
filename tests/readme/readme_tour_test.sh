#!/usr/bin/env bash
# Runs the README's "5-minute tour" verbatim: every ```sh block of that section, in order, in one
# bash with `set -e`, from the checkout's root, with the build's binaries first on PATH. Fails if
# any command fails, and if anything the tour started (daemons, services, the dev ZooKeeper) is
# still running afterwards; what is left is stopped by its PID.
#
# usage: readme_tour_test.sh SOURCE_DIR DAEMON_RUN_DIR NO_DAEMON_LEFT BIN_DIR...
# The tour runs in DAEMON_RUN_DIR/readme-tour, a folder that this script's own command line does
# not name (sm-no-daemon-left stops whatever does).
set -euo pipefail
source_dir=$1 run_dir=$2/readme-tour no_daemon_left=$3
shift 3
bin_path=$(IFS=:; echo "$*")

readme=$source_dir/README.md
tour=$(awk '
  /^## / { in_tour = ($0 ~ /^## A 5-minute tour/) ; next }
  in_tour && /^```sh$/ { in_block = 1; next }
  in_tour && in_block && /^```$/ { in_block = 0; print ""; next }
  in_tour && in_block { print }
' "$readme")
if [ -z "$tour" ]; then
  echo "readme_tour: no \`\`\`sh block under \"## A 5-minute tour\" in $readme" >&2
  exit 1
fi
for command in "servicesmgr --dev" "apply -f examples/basic/demo.yaml --wait" "get physical" \
               "describe demo" "kill -9" "watch demo" "scale demo" "delete demo"; do
  if ! grep -qF -- "$command" <<<"$tour"; then
    echo "readme_tour: the tour no longer shows \"$command\"" >&2
    exit 1
  fi
done

rm -rf "$run_dir"
mkdir -p "$run_dir"
script=$run_dir/tour.sh
{
  echo 'set -eo pipefail'
  # Whatever the tour left running in the background (it should have stopped it itself).
  echo 'trap '"'"'for pid in $(jobs -p); do kill "$pid" 2>/dev/null || true; done; wait'"'"' EXIT'
  echo 'set -x'
  echo "$tour"
} >"$script"

echo "== the tour, as README.md has it:"
cat "$script"
echo "=="
status=0
(cd "$source_dir" && TMPDIR=$run_dir PATH="$bin_path:$PATH" \
  env -u SERVICESMGR_ZK -u SERVICESMGR_ROOT -u SERVICESMGR_AUTH bash "$script") || status=$?
if [ "$status" -ne 0 ]; then
  echo "readme_tour: the tour failed (exit $status)" >&2
  for log in "$run_dir"/tmp.*/*.log; do
    [ -f "$log" ] && { echo "--- $log (last lines)" >&2; tail -n 20 "$log" >&2; }
  done
fi
# The tour stops everything it started: no process may still run from its folder, and --dev must
# have removed its temp folder (which also held its ZooKeeper).
"$no_daemon_left" "$run_dir" || status=1
if compgen -G "$run_dir/servicesmgr-dev-*" >/dev/null; then
  echo "readme_tour: servicesmgr --dev left its temp folder: $(echo "$run_dir"/servicesmgr-dev-*)" >&2
  status=1
fi
exit "$status"
