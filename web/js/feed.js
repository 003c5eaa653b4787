// The live feed: one WebSocket (/ws, subprotocol smve.v1) carrying hello → point dictionary →
// snapshot → coalesced deltas, and journal events.  On loss it reconnects with capped exponential
// backoff plus jitter (so a restarted smved is not hit by every browser at the same instant) and
// asks for the events after the last id it saw, so none is missed across the gap.
//
// Wire shapes are normalised here and nowhere else (see docs/api.md); the rest of the HMI sees
//   onHello(info) onDict(points[]) onPoints(updates[], isSnapshot) onEvent(ev) onState(state)
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15000;
// A message larger than this is refused rather than parsed: a runaway server or a proxy error page
// must not freeze the operator's screen.
const MAX_MESSAGE_CHARS = 32 * 1024 * 1024;

export class Feed {
	constructor(handlers, { url, protocol = 'smve.v1' } = {}) {
		this.h = handlers;
		this.url = url || `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
		this.protocol = protocol;
		this.ws = null;
		this.attempt = 0;
		this.lastEventId = 0;
		this.state = 'connecting';
		this.lostSince = Date.now();   // no data yet counts as "not live"
		this.timer = null;
		this.watchdog = null;
		this.heartbeatMs = 0;
		this.stopped = false;
	}

	start() {
		this.stopped = false;
		this.connect();
	}

	stop() {
		this.stopped = true;
		clearTimeout(this.timer);
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
		ws.onclose = (c) => {
			if (this.ws !== ws)
				return;
			this.ws = null;
			clearTimeout(this.watchdog);
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

	armWatchdog() {
		clearTimeout(this.watchdog);
		if (this.heartbeatMs > 0)
			this.watchdog = setTimeout(() => {
				// Silence past twice the promised heartbeat: the socket is half-open; force a reconnect.
				if (this.ws)
					this.ws.close(4000, 'heartbeat missed');
			}, this.heartbeatMs * 2 + 1000);
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
			this.heartbeatMs = Number(msg.heartbeat_ms) || 0;
			this.h.onHello?.(msg);
			// Ask for every event after the last one seen; on a first connect the server sends its
			// recent unattended ones anyway.
			this.send({ type: 'resume', after: this.lastEventId });
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
		case 'ack':
		case 'event_ack': {
			const ev = normaliseEvent(msg.event || msg);
			if (ev)
				this.h.onEvent?.(ev, true);
			break;
		}
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

// A point update: {id, v|value, q, flags|stale, t|src_us, rx_us, text, rgb, error}.  Arrays
// [id, value, q, flags, src_us] are accepted too, as a compact form.
function normalisePoints(msg) {
	const list = Array.isArray(msg.points) ? msg.points : [];
	const out = [];
	for (const p of list) {
		let u;
		if (Array.isArray(p))
			u = { id: p[0], value: p[1], q: p[2], flags: p[3], src_us: p[4], text: p[5] };
		else if (p && typeof p === 'object')
			u = {
				id: p.id, tag: p.tag, value: 'v' in p ? p.v : p.value, q: p.q, flags: p.flags,
				stale: p.stale, src_us: p.src_us ?? p.t, rx_us: p.rx_us, text: p.text,
				rgb: p.rgb, error: p.error, removed: p.removed,
			};
		else
			continue;
		u.q = num(u.q, 0) & 3;
		out.push(u);
	}
	return out;
}

export function normaliseEvent(e) {
	if (!e || typeof e !== 'object')
		return null;
	const id = num(e.id, -1);
	if (id < 0)
		return null;
	const attendedUs = e.acked_us ?? e.attended_us ?? e.ack_us ?? null;
	return {
		id,
		time_us: num(e.time_us ?? e.ts_us ?? e.src_us, 0),
		tag: String(e.tag || ''),
		station: String(e.station || e.source || ''),
		type: String(e.type || e.kind || 'digital'),
		value: e.value,
		text: String(e.text || e.description || ''),
		alarm: e.alarm === undefined ? !!e.show : !!e.alarm,
		attended_us: attendedUs ? num(attendedUs) : 0,
		attended_by: String(e.acked_by ?? e.attended_by ?? ''),
	};
}
