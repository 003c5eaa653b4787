#!/usr/bin/env bash
# make demo: a simulated station served by smved.  smve-sim plays the concentrator of the example
# station E9 (examples/station), smved polls it with examples/smved.conf (state in a temporary
# directory), and a demo operator is created.  No root needed; Ctrl-C stops both.
#
# Environment: SMVE_DEMO_PORT (concentrator, default 19761), SMVE_DEMO_HTTP (web, default 8080),
# BUILD (build directory, default build).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/${BUILD:-build}/bin
simport=${SMVE_DEMO_PORT:-19761}
http=${SMVE_DEMO_HTTP:-8080}
user=operator
password=smve-demo
layout='1:6,3,4 2:6,1,2 3:6,1,2 4:6,1,2 5:6,1,2'	# examples/station/ied.csv, comaster 9
# Random contact changes only on the DIs examples/station/di.csv names (IED 1, words 0 and 1).
# Analog values stay plausible: each AI with limits in examples/station/ai.csv walks within the
# middle of its band, in raw counts of its escala (scripts/sim-ranges.awk).

for b in smved smve-sim; do
	[ -x "$bin/$b" ] || { echo "demo: $bin/$b missing: run make" >&2; exit 1; }
done
state=$(mktemp -d /tmp/smve-demo.XXXXXX)
sim= daemon=
stop() {
	trap - EXIT INT TERM
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	[ -n "$sim" ] && kill "$sim" 2>/dev/null && wait "$sim" 2>/dev/null
	echo "demo stopped; journal kept in $state/journal.db"
}
trap stop EXIT INT TERM

# The example configuration, pointed at the simulator and the temporary state directory.
sed -e "s|^state_dir = .*|state_dir = $state|" \
    -e "s|^points = .*|points = $top/examples/station|" \
    -e "s|^host = .*|host = 127.0.0.1|" \
    -e "s|^port = .*|port = $simport|" \
    -e "s|^poll_interval_ms = .*|poll_interval_ms = 1000|" \
    -e "s|^peh_interval_s = .*|peh_interval_s = 600|" \
    -e "s|^require_clock_sync = .*|require_clock_sync = false|" \
    "$top/examples/smved.conf" >"$state/smved.conf"
printf 'listen = 127.0.0.1:%s\n' "$http" >"$state/listen.conf"
# [smved] is the first section: put the web's listen key right after its header.
sed -i "/^\[smved\]/r $state/listen.conf" "$state/smved.conf"
"$bin/smved" -c "$state/smved.conf" --check-config >/dev/null
mapfile -t ranges < <(awk -v comaster=9 -f "$top/scripts/sim-ranges.awk" \
	"$top/examples/station/ied.csv" "$top/examples/station/ai.csv" | tr ' ' '\n')

"$bin/smve-sim" concentrator --listen "127.0.0.1:$simport" --layout "$layout" --name E9 \
	--event-rate 0.5 --burst-every 120 --burst-size 8 --comsys-every 300 \
	--event-bits 1:0:0xFFFF --event-bits 1:1:0x0003 "${ranges[@]}" \
	--events-log "$state/sim-events.jsonl" >"$state/sim.log" 2>&1 &
sim=$!
printf '%s\n' "$password" | "$bin/smved" -c "$state/smved.conf" --add-user "$user" --role operator
"$bin/smved" -c "$state/smved.conf" 2>"$state/smved.log" &
daemon=$!
sleep 1
kill -0 "$daemon" 2>/dev/null || { echo "demo: smved did not start:" >&2; cat "$state/smved.log" >&2; exit 1; }
cat <<EOM
SMVE demo running
  HMI:          http://127.0.0.1:$http/
  login:        $user / $password  (role operator)
  concentrator: smve-sim on 127.0.0.1:$simport (station E9, 5 IEDs)
  logs:         $state/smved.log, $state/sim.log
Ctrl-C stops both.
EOM
wait "$daemon"
