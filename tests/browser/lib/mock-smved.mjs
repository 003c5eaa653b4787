// A small stand-in for smved's web half, speaking the same protocol (docs/api.md; userspace/smved
// api.c and ws_feed.c): static HMI files, /vendor/, /screens/, the REST API and the smve.v1 feed.
// It exists for what the real stack cannot produce on demand in a browser test (a 100k-event
// journal, an energy history, a control whose every attempt times out); everything it serves is
// driven explicitly by the test, never invented.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { WebSocketServer } from 'ws';

const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
	'.svg': 'image/svg+xml', '.csv': 'text/csv; charset=utf-8', '.json': 'application/json', '.png': 'image/png' };
const PALETTE = ['#c0c0c0', '#ffcc00', '#cc99ff', '#ffffff', '#ffff99', '#3366ff', '#ff0000', '#000000', '#ffffff',
	'#99ccff', '#000000', '#99cc00', '#c0c0c0'];
const iso = (us) => (us ? new Date(us / 1000).toISOString() : null);

export class MockSmved {
	constructor({ webRoot, vendorRoot, screensDir, users = {}, anonymous = 'viewer', tickMs = 50 }) {
		Object.assign(this, { webRoot, vendorRoot, screensDir, users, anonymous, tickMs });
		this.points = [];          // id → point
		this.byTag = new Map();
		this.dirty = new Set();
		this.events = [];          // journal, id order (id = index + 1)
		this.sessions = new Map(); // sid → {user, role}
		this.clients = new Set();
		this.selects = new Map();  // sid → {tag, state, token, until}
		this.controlMode = 'ok';
		this.controlLog = [];
		this.energy = new Map();   // tag → [{time_us, raw, code}]
		this.history = new Map();  // tag → [[us, v]]
		this.manualLog = [];
		this.requests = [];
		this.notFound = [];
	}

	// ---- model --------------------------------------------------------------------------
	define(tag, kind, { description = '', unit = '' } = {}) {
		if (this.byTag.has(tag))
			return this.byTag.get(tag);
		const p = { id: this.points.length, tag, kind, description, unit, value: null, raw: 0, q: 0, stale: false, src_us: 0, text: null };
		this.points.push(p);
		this.byTag.set(tag, p);
		return p;
	}

	set(tag, { value, raw, q, stale, text, src_us } = {}) {
		const p = this.byTag.get(tag);
		if (!p)
			throw new Error(`mock: no point ${tag}`);
		if (value !== undefined) p.value = value;
		if (raw !== undefined) p.raw = raw;
		if (q !== undefined) p.q = q;
		if (stale !== undefined) p.stale = stale;
		if (text !== undefined) p.text = text;
		p.src_us = src_us ?? Date.now() * 1000;
		this.dirty.add(p.id);
	}

	// Derived element points as smved's elements_publish() writes them.
	// Like elements_publish() after loading: text "0" (nguru's default), fill and stroke None (-1).
	defineElement(tag) {
		if (this.byTag.has(`eg.${tag}.text`))
			return;
		for (const a of ['text', 'fill', 'stroke'])
			this.define(`eg.${tag}.${a}`, 'derived');
		this.set(`eg.${tag}.text`, { value: 0, text: '0' });
		this.set(`eg.${tag}.fill`, { value: -1, text: null });
		this.set(`eg.${tag}.stroke`, { value: -1, text: null });
	}

	setElement(tag, { text, fill, stroke }) {
		this.defineElement(tag);
		if (text !== undefined)
			this.set(`eg.${tag}.text`, { value: Number.isFinite(Number(text)) ? Number(text) : 0, text: String(text) });
		for (const [a, v] of [['fill', fill], ['stroke', stroke]])
			if (v !== undefined)
				this.set(`eg.${tag}.${a}`, { value: v === null ? -1 : v, text: v === null ? null : PALETTE[v] });
	}

	addEvent(e) {
		const id = this.events.length + 1;
		const now = Date.now() * 1000;
		const ev = { id, station: e.station || 'E9', source: e.source || 'sim', ied: e.ied ?? 1, type: e.type || 'digital',
			tag: e.tag || null, time_us: e.time_us || now, device_time: null, bad_time: false, received_us: now,
			value: e.value ?? 1, alarm: !!e.alarm, fields: e.fields || {}, text: e.text || '', ack: null };
		this.events.push(ev);
		if (!e.quiet)
			for (const c of this.clients)
				if (c.live)
					this.sendEvent(c, ev);
		return id;
	}

	eventJson(ev) {
		return { id: ev.id, station: ev.station, source: ev.source, ied: ev.ied, type: ev.type, tag: ev.tag,
			time: iso(ev.time_us), device_time: ev.device_time, bad_time: ev.bad_time, received: iso(ev.received_us),
			value: ev.value, alarm: ev.alarm, fields: ev.fields, text: ev.text,
			ack: ev.ack ? { user: ev.ack.user, time: iso(ev.ack.us) } : null };
	}

	ack(id, user) {
		const ev = this.events[id - 1];
		if (!ev)
			return -1;
		if (ev.ack)
			return 1;
		ev.ack = { user, us: Date.now() * 1000 };
		const msg = JSON.stringify({ type: 'ack', id, user, time: iso(ev.ack.us) });
		for (const c of this.clients)
			c.ws.send(msg);
		return 0;
	}

	// ---- server -------------------------------------------------------------------------
	async listen(port = 0) {
		this.server = http.createServer((req, res) => this.handle(req, res).catch((e) => {
			res.writeHead(500, { 'Content-Type': 'application/json' });
			res.end(JSON.stringify({ error: 'internal', message: String(e.message || e) }));
		}));
		this.wss = new WebSocketServer({ noServer: true, handleProtocols: (ps) => (ps.has('smve.v1') ? 'smve.v1' : false) });
		this.server.on('upgrade', (req, sock, head) => {
			if (new URL(req.url, 'http://x').pathname !== '/ws') {
				sock.destroy();
				return;
			}
			const id = this.identify(req);
			if (!id) {
				sock.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
				return;
			}
			this.wss.handleUpgrade(req, sock, head, (ws) => this.welcome(ws, id));
		});
		await new Promise((r) => this.server.listen(port, '127.0.0.1', r));
		this.port = this.server.address().port;
		this.timer = setInterval(() => this.tick(), this.tickMs);
		return this.port;
	}

	async close() {
		clearInterval(this.timer);
		for (const c of this.clients)
			c.ws.terminate();
		this.clients.clear();
		this.wss?.close();
		this.server?.closeAllConnections?.();
		await new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
		this.server = null;
	}

	welcome(ws, id) {
		const c = { ws, id, live: true };
		this.clients.add(c);
		ws.on('close', () => this.clients.delete(c));
		ws.on('message', (data) => {
			let m;
			try { m = JSON.parse(String(data)); } catch (e) { return ws.send(JSON.stringify({ type: 'error', message: 'bad json' })); }
			if (m.type === 'ping')
				ws.send('{"type":"pong"}');
			else if (m.type === 'resume' && Number.isInteger(m.after) && m.after >= 0)
				for (const ev of this.events.slice(m.after))
					this.sendEvent(c, ev);
			else
				ws.send(JSON.stringify({ type: 'error', message: 'unknown message type' }));
		});
		ws.send(JSON.stringify({ type: 'hello', protocol: 'smve.v1', server: 'mock-smved', time: iso(Date.now() * 1000),
			last_event_id: this.events.length, tick_ms: this.tickMs, user: id.user || null, role: id.role }));
		ws.send(JSON.stringify({ type: 'dict', gen: 1, points: this.points.map((p) => ({ id: p.id, tag: p.tag, kind: p.kind, unit: p.unit, description: p.description })) }));
		ws.send(JSON.stringify({ type: 'snapshot', seq: 0, time: Date.now(), points: this.points.map((p) => this.entry(p)) }));
	}

	// Like smved, a resume may repeat an event the client already has; clients dedupe by id.
	sendEvent(c, ev) {
		c.ws.send(JSON.stringify({ type: 'event', event: this.eventJson(ev) }));
	}

	entry(p) {
		const e = [p.id, p.value, p.raw, p.q, p.stale ? 1 : 0, p.src_us ? Math.floor(p.src_us / 1000) : null];
		if (p.kind === 'derived' && p.text !== null)
			e.push(p.text);
		return e;
	}

	tick() {
		if (!this.dirty.size)
			return;
		const pts = [...this.dirty].sort((a, b) => a - b).map((id) => this.entry(this.points[id]));
		this.dirty.clear();
		const msg = JSON.stringify({ type: 'delta', seq: ++this.seq || (this.seq = 1), time: Date.now(), points: pts });
		for (const c of this.clients)
			c.ws.send(msg);
	}

	identify(req) {
		const m = /(?:^|;\s*)smve_session=([0-9a-f]+)/.exec(req.headers.cookie || '');
		const s = m && this.sessions.get(m[1]);
		if (s)
			return { ...s, sid: m[1] };
		return this.anonymous === 'viewer' ? { user: '', role: 'viewer', anonymous: true, sid: '' } : null;
	}

	// ---- HTTP ---------------------------------------------------------------------------
	async handle(req, res) {
		const url = new URL(req.url, 'http://x');
		const p = url.pathname;
		this.requests.push(`${req.method} ${req.url}`);
		const json = (status, o, headers = {}) => {
			res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
			res.end(JSON.stringify(o));
		};
		const error = (status, code, message) => json(status, { error: code, message });
		let body = {};
		if (req.method === 'POST') {
			const chunks = [];
			for await (const ch of req)
				chunks.push(ch);
			try { body = JSON.parse(Buffer.concat(chunks).toString() || '{}'); } catch (e) { return error(400, 'bad_json', 'body is not JSON'); }
		}
		if (!p.startsWith('/api/v1/'))
			return this.serveStatic(p, res);
		const id = this.identify(req);
		const rest = p.slice(8);
		const need = (role) => {
			const rank = { viewer: 0, operator: 1, engineer: 2, admin: 3 };
			if (!id) { error(401, 'unauthenticated', 'log in first'); return false; }
			if (rank[id.role] < rank[role]) { error(403, 'forbidden', `needs role ${role}`); return false; }
			return true;
		};
		if (rest === 'login') {
			const u = this.users[body.user];
			if (!u || u.password !== body.password)
				return error(401, 'bad_credentials', 'wrong user name or password');
			const sid = crypto.randomBytes(16).toString('hex');
			this.sessions.set(sid, { user: body.user, role: u.role });
			return json(200, { user: body.user, role: u.role, anonymous: false }, { 'Set-Cookie': `smve_session=${sid}; Path=/; HttpOnly; SameSite=Strict` });
		}
		if (rest === 'logout') {
			if (id?.sid) this.sessions.delete(id.sid);
			res.writeHead(204, { 'Set-Cookie': 'smve_session=; Path=/; Max-Age=0' });
			return res.end();
		}
		if (rest === 'session')
			return id ? json(200, { user: id.anonymous ? null : id.user, role: id.role, anonymous: !!id.anonymous }) : error(401, 'unauthenticated', 'not logged in');
		if (!need('viewer'))
			return;
		let m;
		if (rest === 'points')
			return json(200, this.points.map((q) => ({ id: q.id, tag: q.tag, kind: q.kind, value: q.value, raw: q.raw, q: q.q, stale: q.stale,
				source_time: iso(q.src_us), unit: q.unit, description: q.description, text: q.text })));
		if ((m = /^points\/([^/]+)\/manual$/.exec(rest))) {
			if (!need('operator')) return;
			const tag = decodeURIComponent(m[1]);
			const q = this.byTag.get(tag);
			if (!q) return error(404, 'not_found', 'no such point');
			if (q.kind !== 'derived') return error(409, 'not_manual', 'only derived (element) points take a manual state');
			if (typeof body.text !== 'string') return error(400, 'bad_json', 'give "text"');
			this.manualLog.push({ tag, text: body.text, user: id.user });
			this.set(tag, { text: body.text, value: Number(body.text) || 0 });
			return json(200, { tag, text: body.text, manual: true });
		}
		if ((m = /^points\/([^/]+)\/control$/.exec(rest))) {
			if (!need('operator')) return;
			const tag = decodeURIComponent(m[1]);
			if (!this.byTag.has(tag)) return error(404, 'not_found', 'no such point');
			if (!['select', 'operate'].includes(body.action) || ![0, 1].includes(body.state))
				return error(400, 'bad_json', 'need "action" (select|operate) and "state" 0 or 1');
			if (!id.sid) return error(401, 'unauthenticated', 'control needs a logged-in session');
			if (body.action === 'select') {
				const token = crypto.randomBytes(16).toString('hex');
				this.selects.set(id.sid, { tag, state: body.state, token, until: Date.now() + (this.selectTimeoutS ?? 30) * 1000 });
				this.controlLog.push({ action: 'select', tag, state: body.state, user: id.user });
				return json(200, { token, expires_s: this.selectTimeoutS ?? 30 });
			}
			const s = this.selects.get(id.sid);
			if (!s || s.token !== body.token || s.tag !== tag || s.state !== body.state || s.until < Date.now())
				return error(409, 'not_selected', 'select the same point and state first (30 s)');
			this.selects.delete(id.sid);
			this.controlLog.push({ action: 'operate', tag, state: body.state, user: id.user });
			this.completeControl(tag, body.state);
			return json(202, { queued: true });
		}
		if (rest === 'events') {
			const q = url.searchParams;
			const int = (k) => (q.has(k) ? Number(q.get(k)) : undefined);
			const limit = Math.min(1000, int('limit') || 100);
			const desc = q.get('order') === 'desc';
			const after = int('after'), before = int('before');
			const from = q.has('from') ? Number(q.get('from')) * 1000 : undefined;
			const to = q.has('to') ? Number(q.get('to')) * 1000 : undefined;
			const out = [];
			const list = desc ? this.events.slice().reverse() : this.events;
			for (const ev of list) {
				if (after !== undefined && ev.id <= after) continue;
				if (before !== undefined && ev.id >= before) continue;
				if (from !== undefined && ev.time_us < from) continue;
				if (to !== undefined && ev.time_us > to) continue;
				if (q.get('station') && ev.station !== q.get('station')) continue;
				if (q.get('tag') && !(ev.tag || '').startsWith(q.get('tag'))) continue;
				if (q.get('type') && ev.type !== q.get('type')) continue;
				if (q.get('unacked') === '1' && ev.ack) continue;
				if (q.get('alarms') === '1' && !ev.alarm) continue;
				out.push(this.eventJson(ev));
				if (out.length >= limit) break;
			}
			return json(200, { events: out, last_id: this.events.length });
		}
		if ((m = /^events\/(\d+)(\/ack)?$/.exec(rest))) {
			const eid = Number(m[1]);
			const ev = this.events[eid - 1];
			if (!ev) return error(404, 'not_found', 'no such event');
			if (!m[2]) return json(200, this.eventJson(ev));
			if (!need('operator')) return;
			const r = this.ack(eid, id.user);
			return json(r === 0 ? 200 : 409, this.eventJson(ev));
		}
		if (rest === 'status')
			return json(200, { server: { version: 'mock-smved', last_event_id: this.events.length }, sources: [] });
		// ---- endpoints proposed in docs/api.md that smved does not serve yet ----
		if (rest === 'history') {
			const tag = url.searchParams.get('tag');
			const from = Number(url.searchParams.get('from')), to = Number(url.searchParams.get('to'));
			const pts = (this.history.get(tag) || []).filter(([t]) => t >= from && t <= to);
			return json(200, { tag, t: pts.map((x) => x[0]), v: pts.map((x) => x[1]) });
		}
		if (rest === 'energy/meters')
			return json(200, { meters: [...this.energy.keys()].map((tag) => ({ tag, description: this.byTag.get(tag)?.description || '', source: 'sim' })) });
		if (rest === 'energy/curve') {
			const tag = url.searchParams.get('tag');
			const recs = (this.energy.get(tag) || []).filter((r) => r.code !== 3);
			return json(200, { tag, scale: 0.01, records: recs.map((r) => ({ time_us: r.time_us, raw: r.raw, code: r.code, value: r.raw * 0.01 })) });
		}
		if (rest === 'energy/export') {
			res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
			return res.end(this.exportText ? this.exportText(url.searchParams) : '');
		}
		if (rest === 'energy/max')
			return json(200, this.energyMax || {});
		if (rest === 'energy/month')
			return json(200, this.month || { rows: [] });
		this.notFound.push(p);
		return error(404, 'not_found', 'no such API resource');
	}

	completeControl(tag, state) {
		const mode = this.controlMode;
		if (mode === 'ok')
			setTimeout(() => {
				this.addEvent({ type: 'command', tag, value: state, fields: { result: 0, attempts: 1, outcome: 'executed', state }, text: `Comando ${tag} estado ${state}: ok`, quiet: false });
				this.set(tag, { value: state, raw: state });
			}, 300);
		else if (mode === 'timeout')
			setTimeout(() => this.addEvent({ type: 'command', tag, value: state,
				fields: { result: -110, attempts: 3, error: 'Connection timed out', outcome: 'unknown' },
				text: `Comando ${tag} estado ${state}: sin respuesta` }), 300);
		else if (mode === 'refused' || mode === 'not_sent')
			// as smved journals them (docs/api.md: the outcome table)
			setTimeout(() => this.addEvent({ type: 'command', tag, value: state,
				fields: mode === 'refused' ? { result: -95, outcome: 'refused', state } :
					{ result: -107, outcome: 'not_sent', state, error: 'source offline' },
				text: `Comando ${tag} estado ${state}: ${mode}` }), 300);
	}

	serveStatic(p, res) {
		if (this.overrides?.has(p)) {
			res.writeHead(200, { 'Content-Type': MIME[path.extname(p)] || 'application/octet-stream' });
			return res.end(this.overrides.get(p));
		}
		let root = this.webRoot, rel = p;
		if (p.startsWith('/vendor/')) { root = this.vendorRoot; rel = p.slice(7); }
		else if (p.startsWith('/screens/')) { root = this.screensDir; rel = p.slice(8); }
		if (rel === '/' || rel === '')
			rel = '/index.html';
		const file = path.resolve(root, '.' + decodeURIComponent(rel));
		if (!file.startsWith(path.resolve(root) + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
			this.notFound.push(p);
			res.writeHead(404, { 'Content-Type': 'text/plain' });
			return res.end('not found');
		}
		res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-cache' });
		fs.createReadStream(file).pipe(res);
	}
}
