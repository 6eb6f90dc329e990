#!/usr/bin/env bash
# What a new user waits for: a fresh clone's `scripts/dev`, with empty package caches (pip, uv, npm), until the app
# answers on http://127.0.0.1:5000; then it is stopped. Prints, per run, the load average, the bootstrap's time,
# the time until the app answered, and that time less any wait for another emulator stack (the machine-wide lock
# in /tmp/fruit-emulators.lock), which is someone else's work, not set-up.
#   tests/bench/bench_fresh_setup.sh <git ref>...    e.g. main issue-18 main issue-18 (interleave to compare)
# Nothing else may listen on port 5000 while it runs. Each run leaves nothing behind but its log in $OUT.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-$(mktemp -d)}
[ $# -gt 0 ] || { echo "usage: $0 <git ref>..." >&2; exit 2; }

run_once() { # <ref> <n>
  local ref=$1 n=$2 dir log pid start end load
  dir=$(mktemp -d)
  log=$OUT/dev-$n-${ref//\//_}.log
  git clone -q --branch "$ref" "$REPO" "$dir/clone"
  cd "$dir/clone"
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  start=$(date +%s.%N)
  # Its own session, so that stopping it stops everything it started (as Ctrl-C does); each line time-stamped.
  # shellcheck disable=SC2016 # the inner command expands in the new shell
  XDG_CACHE_HOME=$dir/cache npm_config_cache=$dir/npm setsid bash -c \
    'bash scripts/dev 2>&1 | while IFS= read -r line; do printf "%s %s\n" "$(date +%s.%N)" "$line"; done' > "$log" &
  pid=$!
  until grep -q "The app: http" "$log" && curl -sf -o /dev/null --max-time 2 http://127.0.0.1:5000/; do
    kill -0 "$pid" 2>/dev/null || { echo "$ref: scripts/dev stopped; see $log" >&2; exit 1; }
    sleep 1
  done
  end=$(date +%s.%N)
  kill -TERM -- "-$pid"
  wait "$pid" || true
  cd "$REPO"
  # The lock wait: from "waiting" until the emulators started (their ready time less their own start time).
  awk -v ref="$ref" -v start="$start" -v end="$end" -v load="$load" '
    /bootstrap:.*ready/ { boot = $1 - start }
    /waiting for it to finish/ { waited = $1 }
    /emulators ready in/ { if (waited) wait = ($1 - $6) - waited }
    END { printf "%-12s load %s  bootstrap %4.0f s  app answers %4.0f s  less the lock wait %4.0f s\n", ref, load, boot, end - start, end - start - wait }
  ' "$log"
  rm -rf "$dir"
}

n=0
for ref in "$@"; do
  n=$((n + 1))
  run_once "$ref" "$n"
done
