// REST helpers.  Every call is same-origin with the session cookie; failures become Error objects
// carrying the HTTP status and the server's {"error","message"} so callers can show one clear line.
export class ApiError extends Error {
	constructor(status, code, message) {
		super(message || code || `HTTP ${status}`);
		this.status = status;
		this.code = code || '';
	}
}

const TIMEOUT_MS = 15000;

async function request(method, path, body, { text = false, timeout = TIMEOUT_MS } = {}) {
	const ctl = new AbortController();
	const timer = setTimeout(() => ctl.abort(), timeout);
	const init = { method, credentials: 'same-origin', signal: ctl.signal, headers: {} };
	if (body !== undefined) {
		init.headers['Content-Type'] = 'application/json';
		init.body = JSON.stringify(body);
	}
	let res;
	try {
		res = await fetch(path, init);
	} catch (e) {
		throw new ApiError(0, 'network', ctl.signal.aborted ? 'request timed out' : 'server unreachable');
	} finally {
		clearTimeout(timer);
	}
	if (!res.ok) {
		let code = '', msg = '';
		try {
			const j = await res.json();
			code = String(j.error || '');
			msg = String(j.message || '');
		} catch (e) { /* body was not JSON: the status says enough */ }
		throw new ApiError(res.status, code, msg || `${res.status} ${res.statusText}`);
	}
	if (text)
		return res.text();
	if (res.status === 204)
		return null;
	return res.json();
}

export const api = {
	get: (path, opts) => request('GET', path, undefined, opts),
	post: (path, body, opts) => request('POST', path, body === undefined ? {} : body, opts),
	text: (path) => request('GET', path, undefined, { text: true }),
};

// Builds "path?k=v&..." skipping empty values, so optional filters simply disappear.
export function withQuery(path, params) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params))
		if (v !== undefined && v !== null && v !== '')
			q.set(k, String(v));
	const s = q.toString();
	return s ? `${path}?${s}` : path;
}
