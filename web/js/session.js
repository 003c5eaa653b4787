// Who is logged in and what the role allows.  The server enforces every permission; the HMI only
// mirrors it so that a viewer sees disabled controls instead of errors.
import { api, ApiError } from './api.js';
import { el } from './format.js';

const RANK = { viewer: 0, operator: 1, engineer: 2, admin: 3 };

export class Session {
	constructor() {
		this.user = '';
		this.role = 'viewer';
		this.listeners = new Set();
	}

	onChange(fn) {
		this.listeners.add(fn);
	}

	set(user, role) {
		this.user = String(user || '');
		this.role = role in RANK ? role : 'viewer';
		document.body.dataset.role = this.role;
		for (const fn of this.listeners)
			fn(this);
	}

	canOperate() {
		return RANK[this.role] >= RANK.operator;
	}

	canEngineer() {
		return RANK[this.role] >= RANK.engineer;
	}

	// Returns true when a session exists; false when the server wants a login.
	async load() {
		try {
			const s = await api.get('/api/v1/session');
			this.set(s.user ?? s.username, s.role);
			return true;
		} catch (e) {
			if (e instanceof ApiError && (e.status === 401 || e.status === 403))
				return false;
			if (e instanceof ApiError && e.status === 404) {
				// A server without a session endpoint: the WebSocket hello names the user.
				this.set('', 'viewer');
				return true;
			}
			throw e;
		}
	}

	async login(user, password) {
		const s = await api.post('/api/v1/login', { user, password });
		this.set(s?.user ?? user, s?.role);
	}

	async logout() {
		try {
			await api.post('/api/v1/logout');
		} finally {
			location.reload();
		}
	}
}

// Shows the login form in `root` and resolves once a login succeeds.
export function loginForm(root, session) {
	return new Promise((resolve) => {
		const user = el('input', { name: 'user', autocomplete: 'username', required: true, maxlength: 64 });
		const pass = el('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, maxlength: 128 });
		const msg = el('p', { class: 'login-msg', role: 'alert' });
		const form = el('form', { class: 'login', onsubmit: async (e) => {
			e.preventDefault();
			msg.textContent = '';
			try {
				await session.login(user.value, pass.value);
				root.hidden = true;
				resolve();
			} catch (err) {
				msg.textContent = err.status === 429 ? 'Too many attempts: wait and try again.' :
					err.status === 401 ? 'Wrong user or password.' : `Login failed: ${err.message}`;
				pass.value = '';
				pass.focus();
			}
		} }, el('h1', {}, 'SMVE'), el('label', {}, 'User', user), el('label', {}, 'Password', pass),
		el('button', { type: 'submit', class: 'primary' }, 'Log in'), msg);
		root.replaceChildren(form);
		root.hidden = false;
		user.focus();
	});
}
