// The live feed: one WebSocket (/ws, subprotocol smve.v1) carrying hello → point dictionary →
// snapshot → coalesced deltas, and journal events.  On loss it reconnects with capped exponential
// backoff plus jitter (so a restarted smved is not hit by every browser at the same instant) and
// asks for the events after the last id it saw, so none is missed across the gap.
//
// Wire shapes are normalised here and nowhere else (see docs/api.md); the rest of the HMI sees
//   onHello(info) onDict(points[]) onPoints(updates[], isSnapshot) onEvent(ev) onAck(ack) onState(state)
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15000;
// A message larger than this is refused rather than parsed: a runaway server or a proxy error page
// must not freeze the operator's screen.
const MAX_MESSAGE_CHARS = 32 * 1024 * 1024;
const PING_MS = 10000;
const SILENCE_MS = 25000;

export class Feed {
	constructor(handlers, { url, protocol = 'smve.v1' } = {}) {
		this.h = handlers;
		this.url = url || `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
		this.protocol = protocol;
		this.ws = null;
		this.attempt = 0;
		this.lastEventId = 0;
		this.resumable = false;   // after the first hello, every reconnection resumes
		this.state = 'connecting';
		this.lostSince = Date.now();   // no data yet counts as "not live"
		this.timer = null;
		this.watchdog = null;
		this.pinger = null;
		this.stopped = false;
	}

	start() {
		this.stopped = false;
		this.connect();
	}

	stop() {
		this.stopped = true;
		clearTimeout(this.timer);
		clearInterval(this.pinger);
		clearTimeout(this.watchdog);
		if (this.ws)
			this.ws.close(1000, 'page closed');
	}

	send(obj) {
		if (this.ws && this.ws.readyState === WebSocket.OPEN)
			this.ws.send(JSON.stringify(obj));
	}

	setState(state, detail) {
		if (state === this.state && !detail)
			return;
		this.state = state;
		if (state === 'live')
			this.lostSince = 0;
		else if (!this.lostSince)
			this.lostSince = Date.now();
		this.h.onState?.(state, { since: this.lostSince, detail, attempt: this.attempt });
	}

	connect() {
		clearTimeout(this.timer);
		let ws;
		try {
			ws = new WebSocket(this.url, this.protocol);
		} catch (e) {
			this.scheduleReconnect(String(e.message || e));
			return;
		}
		this.ws = ws;
		this.setState(this.attempt ? 'reconnecting' : 'connecting');
		ws.onmessage = (m) => this.onMessage(m);
		ws.onopen = () => {
			this.armWatchdog();
			clearInterval(this.pinger);
			this.pinger = setInterval(() => this.send({ type: 'ping' }), PING_MS);
		};
		ws.onclose = (c) => {
			if (this.ws !== ws)
				return;
			this.ws = null;
			clearTimeout(this.watchdog);
			clearInterval(this.pinger);
			if (!this.stopped)
				this.scheduleReconnect(c.reason || (c.code === 1006 ? 'connection lost' : `closed (${c.code})`));
		};
		ws.onerror = () => { /* onclose follows and reports */ };
	}

	scheduleReconnect(why) {
		this.attempt++;
		const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(this.attempt - 1, 10));
		const delay = base / 2 + Math.random() * base / 2;
		this.setState('lost', `${why}; retry in ${(delay / 1000).toFixed(1)} s`);
		this.timer = setTimeout(() => this.connect(), delay);
	}

	// The server answers {"type":"ping"} with a pong; a socket silent for SILENCE_MS despite our
	// pings is half-open (a cable pulled, a NAT that forgot us) and is closed to reconnect.
	armWatchdog() {
		clearTimeout(this.watchdog);
		this.watchdog = setTimeout(() => {
			if (this.ws)
				this.ws.close(4000, 'no answer from the server');
		}, SILENCE_MS);
	}

	onMessage(m) {
		if (typeof m.data !== 'string' || m.data.length > MAX_MESSAGE_CHARS) {
			console.warn('feed: ignored a non-text or oversized message');
			return;
		}
		let msg;
		try {
			msg = JSON.parse(m.data);
		} catch (e) {
			console.warn('feed: ignored a malformed message');
			return;
		}
		if (!msg || typeof msg !== 'object')
			return;
		this.armWatchdog();
		try {
			this.dispatch(msg);
		} catch (e) {
			// One bad message must not kill the feed; log it for the engineer.
			console.error('feed: message handling failed', msg.type, e);
		}
	}

	dispatch(msg) {
		switch (msg.type) {
		case 'hello':
			this.h.onHello?.(msg);
			// First connection: the server starts at its newest event and the page loads what it
			// needs over REST.  A reconnection asks for everything after the last event seen, so
			// the gap is replayed in order.
			if (this.resumable)
				this.send({ type: 'resume', after: this.lastEventId });
			else
				this.lastEventId = Math.max(this.lastEventId, num(msg.last_event_id, 0));
			this.resumable = true;
			break;
		case 'dict':
		case 'dictionary':
			this.h.onDict?.(normaliseDict(msg));
			break;
		case 'snapshot':
			this.attempt = 0;
			this.h.onPoints?.(normalisePoints(msg), true);
			this.setState('live');
			break;
		case 'delta':
		case 'update':
			this.h.onPoints?.(normalisePoints(msg), false);
			if (this.state !== 'live')
				this.setState('live');
			break;
		case 'event':
		case 'events': {
			const list = Array.isArray(msg.events) ? msg.events : [msg.event || msg];
			for (const raw of list) {
				const ev = normaliseEvent(raw);
				if (!ev)
					continue;
				if (ev.id > this.lastEventId)
					this.lastEventId = ev.id;
				this.h.onEvent?.(ev);
			}
			break;
		}
		case 'ack': {
			const id = num(msg.id, -1);
			if (id > 0)
				this.h.onAck?.({ id, attended_us: timeUs(msg.time) || Date.now() * 1000, attended_by: String(msg.user || '') });
			break;
		}
		case 'overflow':
			// The server closes right after; the reconnection resumes from the last id we hold.
			console.warn('feed: server reports overflow; will resume after', this.lastEventId);
			break;
		case 'heartbeat':
		case 'ping':
		case 'pong':
			break;
		case 'error':
			this.h.onServerError?.(String(msg.message || msg.error || 'server error'));
			break;
		default:
			// Newer servers may add message types; an older HMI ignores them.
			break;
		}
	}
}

function num(v, dflt = 0) {
	const n = Number(v);
	return Number.isFinite(n) ? n : dflt;
}

function normaliseDict(msg) {
	const out = [];
	const list = Array.isArray(msg.points) ? msg.points : [];
	for (const p of list) {
		if (!p || typeof p !== 'object' || typeof p.tag !== 'string' || p.tag.length > 128)
			continue;
		out.push({
			id: num(p.id, -1), tag: p.tag, kind: String(p.kind || ''),
			description: String(p.description || p.desc || ''), unit: String(p.unit || ''),
			removed: !!p.removed,
		});
	}
	return { gen: msg.gen, points: out, replace: msg.replace !== false };
}

// Microseconds from an ISO 8601 time, a number of milliseconds, or nothing (0).
export function timeUs(t) {
	if (t === null || t === undefined || t === '')
		return 0;
	if (typeof t === 'number')
		return Number.isFinite(t) ? t * 1000 : 0;
	const ms = Date.parse(String(t));
	return Number.isFinite(ms) ? ms * 1000 : 0;
}

// A point update.  The feed's compact form is [id, value, raw, q, stale, source_ms(, text)], and
// [id, null] for a point removed by a reload; the REST object form (value, raw, q, stale,
// source_time, text) is accepted too.
function normalisePoints(msg) {
	const list = Array.isArray(msg.points) ? msg.points : [];
	const out = [];
	for (const p of list) {
		let u;
		if (Array.isArray(p)) {
			if (p.length === 2 && p[1] === null) {
				u = { id: p[0], removed: true };
			} else {
				u = { id: p[0], value: p[1], raw: p[2], q: p[3], stale: !!p[4],
					src_us: p[5] === null || p[5] === undefined ? 0 : num(p[5]) * 1000 };
				if (p.length > 6)
					u.text = p[6];
				if (p[1] === null)
					u.never = true;
			}
		} else if (p && typeof p === 'object') {
			u = { id: p.id, tag: p.tag, value: p.value, raw: p.raw, q: p.q, stale: !!p.stale,
				src_us: timeUs(p.source_time), text: p.text, never: p.value === null,
				manual: !!p.manual, latched: !!p.latched };
		} else {
			continue;
		}
		if (typeof u.id !== 'number' && typeof u.tag !== 'string')
			continue;
		u.q = num(u.q, 0) & 3;
		out.push(u);
	}
	return out;
}

// An event as REST and the feed send it: {id, station, source, ied, type, tag, time,
// device_time, value, alarm, fields, text, ack: {user, time} | null}.
export function normaliseEvent(e) {
	if (!e || typeof e !== 'object')
		return null;
	const id = num(e.id, -1);
	if (id <= 0)
		return null;
	const ack = e.ack && typeof e.ack === 'object' ? e.ack : null;
	return {
		id,
		time_us: timeUs(e.time) || timeUs(e.received),
		device_time: String(e.device_time || ''),
		tag: String(e.tag || ''),
		station: String(e.station || e.source || ''),
		type: String(e.type || ''),
		value: e.value,
		text: String(e.text || ''),
		alarm: !!e.alarm,
		fields: e.fields && typeof e.fields === 'object' ? e.fields : {},
		attended_us: ack ? timeUs(ack.time) || 1 : 0,
		attended_by: ack ? String(ack.user || '') : '',
	};
}
