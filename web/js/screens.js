// The screen tree (nguru's screens sheet: name, path, description, prefix, parent), the menu, the
// parent button and the current screen in the URL fragment (#screen=NAME) so it can be bookmarked.
import { api } from './api.js';
import { el } from './format.js';
import { parseCsv } from './csv.js';

const NAME_RE = /^[A-Za-z0-9_.-]{1,32}$/;

export class ScreenTree {
	constructor() {
		this.screens = new Map();   // name → {name, path, url, description, prefix, parent}
		this.root = null;
	}

	// GET /api/v1/screens (proposed in docs/api.md); without it, the screens sheet itself as the
	// server publishes the screens folder under /screens/.
	async load() {
		let list;
		try {
			const res = await api.get('/api/v1/screens');
			list = Array.isArray(res) ? res : res?.screens || [];
		} catch (e) {
			if (e.status !== 404)
				throw e;
			list = parseCsv(await api.text('/screens/screens.csv'));
		}
		this.screens.clear();
		for (const s of list) {
			if (!s || !NAME_RE.test(String(s.name || '')))
				continue;
			const path = String(s.path || '');
			// The server names the URL; otherwise screens are served under /screens/<path>.
			const url = typeof s.url === 'string' && s.url.startsWith('/') ? s.url :
				`/screens/${path.split('/').map(encodeURIComponent).join('/')}`;
			this.screens.set(s.name, {
				name: s.name, path, url, description: String(s.description || s.name),
				prefix: String(s.prefix || ''), parent: s.parent && NAME_RE.test(s.parent) ? s.parent : '',
			});
		}
		// The root is the screen without a (known) parent; the first such one if several.
		this.root = [...this.screens.values()].find((s) => !s.parent || !this.screens.has(s.parent))?.name || null;
		return this.screens.size;
	}

	get(name) {
		return this.screens.get(name);
	}

	children(name) {
		return [...this.screens.values()].filter((s) => s.parent === name);
	}

	// Menu entries in tree order with their depth.
	ordered() {
		const out = [];
		const seen = new Set();
		const walk = (name, depth) => {
			if (seen.has(name))
				return;  // a cycle in the sheet must not hang the page
			seen.add(name);
			out.push({ s: this.screens.get(name), depth });
			for (const c of this.children(name))
				walk(c.name, depth + 1);
		};
		for (const s of this.screens.values())
			if (!s.parent || !this.screens.has(s.parent))
				walk(s.name, 0);
		for (const s of this.screens.values())
			if (!seen.has(s.name))
				walk(s.name, 0);
		return out;
	}

	// The screen owning a tag: the longest prefix match (spec §8.8).
	screenForTag(tag) {
		let best = null;
		for (const s of this.screens.values())
			if (s.prefix && tag.startsWith(s.prefix) && (!best || s.prefix.length > best.prefix.length))
				best = s;
		return best?.name || null;
	}
}

export function readHash() {
	const h = new URLSearchParams(location.hash.replace(/^#/, ''));
	const screen = h.get('screen');
	return { screen: screen && NAME_RE.test(screen) ? screen : null, view: h.get('view') || 'diagram' };
}

export function writeHash(screen, view) {
	const h = new URLSearchParams();
	if (screen)
		h.set('screen', screen);
	if (view && view !== 'diagram')
		h.set('view', view);
	const s = `#${h.toString()}`;
	if (location.hash !== s)
		history.pushState(null, '', s);
}

export function buildMenu(select, tree) {
	select.replaceChildren(...tree.ordered().map(({ s, depth }) =>
		el('option', { value: s.name }, `${'\u2003'.repeat(depth)}${s.name} — ${s.description}`)));
}

// Element records (tag, description, text, on_click_jump, on_click_text_toggle,
// linked_text_change) of one screen: GET /api/v1/elements?screen= (proposed), else eg.csv.
let elementsApi = true;   // false once the server said it has no such endpoint
export async function loadElements(screen) {
	if (elementsApi) {
		try {
			const res = await api.get(`/api/v1/elements?screen=${encodeURIComponent(screen)}`);
			return Array.isArray(res) ? res : res?.elements || [];
		} catch (e) {
			if (e.status !== 404)
				throw e;
			elementsApi = false;
		}
	}
	const rows = parseCsv(await api.text('/screens/eg.csv'));
	// Every row, not only this screen's: a diagram may show elements another screen owns.
	return rows.filter((r) => r.tag).map((r) => ({
		tag: r.tag, description: r.description, text: r.text, screen: r.screen,
		on_click_jump: r.on_click_jump || '', on_click_text_toggle: r.on_click_text_toggle || '',
		linked_text_change: r.linked_text_change || '',
	}));
}
