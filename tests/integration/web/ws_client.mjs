// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
// npm `ws` as a strict RFC 6455 client oracle for smved's feed: it must negotiate smve.v1, get
// hello, dict, snapshot, at least one delta, and finish with a clean close (code 1000 echoed).
// Usage: node ws_client.mjs ws://host:port/ws   (prints OK or the reason and exits non-zero)
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const WebSocket = require('ws');

const url = process.argv[2];
const want = ['hello', 'dict', 'snapshot'];
const ws = new WebSocket(url, 'smve.v1', { maxPayload: 1 << 24 });
const fail = (why) => { console.log('FAIL ' + why); process.exit(1); };
const timer = setTimeout(() => fail('timeout; got ' + JSON.stringify(seen)), 15000);
const seen = [];

ws.on('open', () => { if (ws.protocol !== 'smve.v1') fail('protocol ' + ws.protocol); });
ws.on('message', (data, isBinary) => {
	if (isBinary) fail('binary message');
	const m = JSON.parse(data.toString('utf8'));
	seen.push(m.type);
	if (seen.length <= 3 && m.type !== want[seen.length - 1]) fail('order ' + seen.join(','));
	if (m.type === 'delta' && seen.length > 3) ws.close(1000, 'done');
});
ws.on('close', (code) => {
	clearTimeout(timer);
	if (code !== 1000) fail('close code ' + code);
	console.log('OK ' + seen.slice(0, 5).join(','));
	process.exit(0);
});
ws.on('error', (e) => fail('error ' + e.message));
