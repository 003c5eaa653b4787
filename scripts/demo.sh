#!/usr/bin/env bash
# make demo (until smved exists): a simulated concentrator polled live by smvectl.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/${BUILD:-build}/bin
port=${SMVE_DEMO_PORT:-19761}
layout='1:6,3,4 2:6,1,2 3:6,1,2 4:6,1,2'
"$bin/smve-sim" concentrator --listen "127.0.0.1:$port" --layout "$layout" --event-rate 2 &
sim=$!
trap 'kill $sim 2>/dev/null; wait $sim 2>/dev/null' EXIT INT TERM
sleep 0.3
echo "SMVE demo: smve-sim concentrator on 127.0.0.1:$port, polled by smvectl (Ctrl-C stops)"
"$bin/smvectl" poll "127.0.0.1:$port" --layout "$layout" --interval 1
