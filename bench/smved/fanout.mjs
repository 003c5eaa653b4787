// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
// WebSocket fan-out load client for bench/smved: opens N smve.v1 clients, waits until every one
// has its snapshot, then for SECONDS counts delta messages and bytes on all clients and, on 10
// clients spread over the connection order (servers serve their clients in some order: sampling
// only the first would favour one that serves in connection order), parses every delta to
// measure latency per point entry:
//   e2e    = receipt - source_time (the frame's arrival at smved, carried in each entry)
//   fanout = receipt - delta.time  (latency beyond the coalescing tick: from frame build)
// Prints one JSON line.  Usage: node fanout.mjs URL N SECONDS
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../tests/browser/package.json'));
const WebSocket = require('ws');

const [url, nArg, secArg] = process.argv.slice(2);
const N = Number(nArg), SECONDS = Number(secArg), SAMPLED = Math.min(10, N);
const STEP = Math.floor(N / SAMPLED);
const sampled = (i) => i % STEP === 0 && i / STEP < SAMPLED;
const now = () => performance.timeOrigin + performance.now();
let ready = 0, measuring = false, msgs = 0, bytes = 0, entries = 0, snapshots = 0, closed = 0;
const e2e = [], fan = [];
const socks = [];

function onMessage(i, data) {
	const t = now();
	if (!measuring) {
		if (!socks[i].ready && data.toString('utf8', 0, 30).includes('"snapshot"')) {
			socks[i].ready = true;
			if (++ready === N) start();
		}
		return;
	}
	const head = data.toString('utf8', 0, 24);
	if (head.includes('"snapshot"')) snapshots++;
	if (!head.includes('"delta"')) return;
	msgs++;
	bytes += data.length;
	if (!sampled(i)) return;
	const m = JSON.parse(data.toString('utf8'));
	entries += m.points.length;
	fan.push(t - m.time);
	for (const e of m.points) if (e[5] != null) e2e.push(t - e[5]);
}

function pct(a, p) {
	if (!a.length) return null;
	a.sort((x, y) => x - y);
	return Math.round(a[Math.min(a.length - 1, Math.floor(a.length * p))] * 1000) / 1000;
}

function start() {
	measuring = true;
	console.log('measuring');	// the bench samples the server's CPU time from here
	const t0 = now();
	setTimeout(() => {
		const secs = (now() - t0) / 1000;
		console.log(JSON.stringify({
			clients: N, seconds: secs, msgs_per_s: msgs / secs, mbytes_per_s: bytes / secs / 1e6,
			entries_per_s_per_client: entries / secs / SAMPLED, snapshots, closed,
			e2e_p50_ms: pct(e2e, 0.5), e2e_p99_ms: pct(e2e, 0.99),
			fanout_p50_ms: pct(fan, 0.5), fanout_p99_ms: pct(fan, 0.99), samples: e2e.length,
		}));
		for (const s of socks) s.ws.terminate();
		process.exit(0);
	}, SECONDS * 1000);
}

let opened = 0;
function openNext() {
	// Open in batches so the accept queue is not overrun.
	for (let k = 0; k < 50 && opened < N; k++, opened++) {
		const i = opened;
		// The load client must not be the bottleneck: only sampled clients check UTF-8.
		const ws = new WebSocket(url, 'smve.v1', { maxPayload: 1 << 26, perMessageDeflate: false,
			skipUTF8Validation: !sampled(i) });
		socks[i] = { ws, ready: false };
		ws.on('message', (d) => onMessage(i, d));
		ws.on('close', () => { if (measuring) closed++; });
		ws.on('error', (e) => { console.error('client ' + i + ': ' + e.message); });
	}
	if (opened < N) setTimeout(openNext, 20);
}
openNext();
setTimeout(() => { if (!measuring) { console.log(JSON.stringify({ error: 'only ' + ready + ' of ' + N + ' ready' })); process.exit(1); } }, 60000);
