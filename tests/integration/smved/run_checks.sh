#!/usr/bin/env bash
# Backup and CSV export of a live journal; smved under valgrind and under ASan+UBSan: a short run
# against smve-sim, a SIGHUP reload, a SIGTERM, and no memory error or leak.  TAP on stdout.
# usage: run_checks.sh SMVED SMVE_SIM BUILD TMPDIR
set -u
smved=$1 sim=$2 build=$3 tmp=$4
n=100
rc=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; rc=1; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
layout='1:6,3,4 2:6,1,2 3:6,1,2'
mkdir -p "$tmp"

"$sim" concentrator --listen 127.0.0.1:0 --layout "$layout" --event-rate 20 >"$tmp/sim.out" 2>&1 &
simpid=$!
trap 'kill $simpid 2>/dev/null' EXIT
for _ in $(seq 50); do grep -q '^listen' "$tmp/sim.out" && break; sleep 0.1; done
port=$(sed -n 's/^listen .*:\([0-9]*\)$/\1/p' "$tmp/sim.out")
conf() { # conf NAME -> a config with its own state dir
	cat >"$tmp/$1.conf" <<EOC
[smved]
state_dir = $tmp/$1
require_clock_sync = false
listen = 127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
[concentrator S1]
host = 127.0.0.1
port = $port
layout = $layout
poll_interval_ms = 100
timeout_ms = 500
EOC
}

# run NAME SECONDS CMD... : start, reload once, stop with SIGTERM; status in $st
run() {
	local name=$1 secs=$2
	shift 2
	conf "$name"
	"$@" -c "$tmp/$name.conf" >"$tmp/$name.log" 2>&1 &
	local pid=$!
	# SIGHUP before the handler is installed would kill it: wait until it runs (valgrind is slow).
	for _ in $(seq 300); do grep -q "running (journal" "$tmp/$name.log" && break; sleep 0.1; done
	sleep "$secs"
	kill -HUP $pid
	sleep 1
	kill -TERM $pid
	wait $pid
	st=$?
}

run plain 3 "$smved"
[ $st -eq 0 ] && ok "smved runs, reloads on SIGHUP and stops on SIGTERM" || nok "smved exit status $st"
grep -q "configuration reloaded" "$tmp/plain.log" && ok "SIGHUP reloaded the configuration" ||
	nok "no reload message in the log"
if "$smved" -c "$tmp/plain.conf" --backup "$tmp/backup.db" 2>"$tmp/b.err" &&
   [ "$(sqlite3 "$tmp/backup.db" 'PRAGMA integrity_check' 2>&1)" = ok ]; then
	ok "--backup writes a consistent copy"
else
	nok "--backup: $(cat "$tmp/b.err")"
fi
want=$(sqlite3 "$tmp/plain/journal.db" "SELECT count(*) FROM events WHERE type='digital'")
"$smved" -c "$tmp/plain.conf" --export-events "$tmp/ev.csv" --type digital 2>"$tmp/e.err"
got=$(($(python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1]))))' "$tmp/ev.csv") - 1))
[ "$want" -gt 0 ] && [ "$got" = "$want" ] && ok "--export-events --type digital exports $got rows" ||
	nok "--export-events exported $got rows, the journal has $want"

# Host clock rule (§6.4): PEH only while the clock is synchronised; otherwise an alarm.
conf clock
sed -i 's/^require_clock_sync = false/require_clock_sync = true/' "$tmp/clock.conf"
"$smved" -c "$tmp/clock.conf" >"$tmp/clock.log" 2>&1 &
pid=$!
sleep 2.5
kill -TERM $pid
wait $pid
unsynced=$(sqlite3 "$tmp/clock/journal.db" "SELECT count(*) FROM events WHERE type='clock' AND value=0")
if [ "$unsynced" -gt 0 ]; then
	! grep -q "S1: PEH " "$tmp/clock.log" &&
		ok "host clock not synchronised: alarm journalled and PEH withheld" ||
		nok "PEH sent although the clock is not synchronised"
else
	grep -q "S1: PEH " "$tmp/clock.log" && ok "host clock synchronised: PEH sent, no alarm" ||
		nok "clock synchronised but no PEH"
fi

# Reload semantics: a broken file keeps the running configuration; a good one restarts the
# changed source and starts the added one.
conf reload
"$smved" -c "$tmp/reload.conf" >"$tmp/reload.log" 2>&1 &
pid=$!
for _ in $(seq 300); do grep -q "running (journal" "$tmp/reload.log" && break; sleep 0.1; done
sleep 1
printf '[concentrator S2]\nhost = 127.0.0.1\nport = 1\nlayout = 1:6,3,4\nretries = many\n' >>"$tmp/reload.conf"
kill -HUP $pid
sleep 0.5
sed -e 's/^poll_interval_ms = 100/poll_interval_ms = 200/' -e '/^retries = many/d' "$tmp/reload.conf" >"$tmp/reload.new"
mv "$tmp/reload.new" "$tmp/reload.conf"
kill -HUP $pid
sleep 1
kill -0 $pid 2>/dev/null && ok "a bad configuration on SIGHUP keeps smved running" || nok "smved died on a bad reload"
kill -TERM $pid
wait $pid
grep -q "reload failed: keeping the running configuration" "$tmp/reload.log" &&
	grep -q "retries must be 0 .. 20" "$tmp/reload.log" &&
	ok "the bad reload is refused with its file:line reason" || nok "no refusal logged"
grep -q "S1: configuration changed, restarting" "$tmp/reload.log" &&
	grep -q "S2: connect failed\|S2: connection error\|S2: .*reconnecting" "$tmp/reload.log" &&
	ok "the good reload restarts the changed source and starts the new one" ||
	{ nok "reload did not restart/start sources"; sed 's/^/# /' "$tmp/reload.log" | tail -20; }

if command -v valgrind >/dev/null; then
	run vg 6 valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		"$smved"
	[ $st -eq 0 ] && ok "valgrind: no error, no definite leak" ||
		{ nok "valgrind status $st"; grep -E '==[0-9]+== ' "$tmp/vg.log" | tail -30 | sed 's/^/# /'; }
else
	skip "valgrind" "valgrind not installed"
fi

san=${build}-san/bin/smved
if [ -x "$san" ]; then
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1 run asan 3 "$san"
	if [ $st -eq 0 ] && ! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error' "$tmp/asan.log"; then
		ok "ASan+UBSan: clean run"
	else
		nok "ASan+UBSan status $st"; grep -A20 -E 'Sanitizer|runtime error' "$tmp/asan.log" | head -30 | sed 's/^/# /'
	fi
else
	skip "ASan+UBSan run" "$san missing (make SANITIZE=1 BUILD=${build}-san)"
fi
exit $rc
