// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
// Minimal reference fan-out server on Node.js + npm ws, for bench/smved: it takes the same point
// stream (as one upstream smve.v1 client of smved), coalesces changes per tick exactly like
// smved (latest entry per id, one delta per tick) and sends each client the same messages
// (hello, dict, snapshot, delta) with ws.send().  Clients over 1 MiB of buffered output skip deltas.
// Usage: node refserver.mjs UPSTREAM_WS_URL PORT TICK_MS   (prints "listening PORT" when ready)
import { createRequire } from 'node:module';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../tests/browser/package.json'));
const WebSocket = require('ws');

const [upstreamUrl, portArg, tickArg] = process.argv.slice(2);
const tick = Number(tickArg);
const latest = new Map();	// id -> entry
const dirty = new Set();
let dict = null;
let seq = 0;
let scheduled = false;

const server = http.createServer((req, res) => { res.writeHead(404); res.end(); });
const wss = new WebSocket.WebSocketServer({
	server, handleProtocols: (protos) => (protos.has('smve.v1') ? 'smve.v1' : false),
});
wss.on('connection', (ws) => {
	ws.send(JSON.stringify({ type: 'hello', protocol: 'smve.v1', server: 'node-ref', time: new Date().toISOString() }));
	if (dict) ws.send(dict);
	ws.send(JSON.stringify({ type: 'snapshot', seq, time: Date.now(), points: [...latest.values()] }));
	ws.on('message', () => {});
});

function flush() {
	scheduled = false;
	if (!dirty.size) return;
	seq++;
	const pts = [];
	for (const id of dirty) pts.push(latest.get(id));
	dirty.clear();
	const msg = JSON.stringify({ type: 'delta', seq, time: performance.timeOrigin + performance.now(), points: pts });
	for (const c of wss.clients)
		if (c.readyState === WebSocket.OPEN && c.bufferedAmount < (1 << 20)) c.send(msg);
}

function schedule() {
	if (scheduled) return;
	scheduled = true;
	if (tick === 0) setImmediate(flush);
	else setTimeout(flush, tick);
}

const up = new WebSocket(upstreamUrl, 'smve.v1', { maxPayload: 1 << 26 });
up.on('message', (data) => {
	const m = JSON.parse(data.toString('utf8'));
	if (m.type === 'dict') dict = JSON.stringify(m);
	if (m.type === 'snapshot' || m.type === 'delta') {
		for (const e of m.points) { latest.set(e[0], e); if (m.type === 'delta') dirty.add(e[0]); }
		if (m.type === 'delta') schedule();
	}
});
up.on('open', () => server.listen(Number(portArg), '127.0.0.1', () => console.log('listening ' + portArg)));
up.on('close', () => process.exit(0));
up.on('error', (e) => { console.error('upstream: ' + e.message); process.exit(1); });
