// The client's copy of the store: points by id and by tag, plus the per-element view the diagram
// binds to.  A derived point "eg.<TAG>.<attr>" (attr text/fill/stroke, produced by smved's formula
// evaluator) drives the SVG nodes tagged <TAG>; a raw point with the same tag as an element (a
// breaker's DI, a voltage's AI) lends the element its quality.
const FLAG_BITS = { stale: 1, never: 2, removed: 4, badtime: 8, latched: 16, manual: 32, unmapped: 64 };
const EG_RE = /^eg\.([A-Za-z0-9_]{1,40})\.(text|fill|stroke|mark)$/;

function flagsToSet(f, stale) {
	const s = new Set();
	if (typeof f === 'number') {
		for (const [k, bit] of Object.entries(FLAG_BITS))
			if (f & bit)
				s.add(k);
	} else if (Array.isArray(f)) {
		for (const k of f)
			if (typeof k === 'string')
				s.add(k);
	} else if (typeof f === 'string') {
		for (const k of f.split(/[,\s|]+/))
			if (k)
				s.add(k);
	}
	if (stale === true)
		s.add('stale');
	return s;
}

export class PointModel {
	constructor() {
		this.byId = new Map();
		this.byTag = new Map();
		this.elements = new Map();  // element tag → {text, fill, stroke, fillRgb, strokeRgb, error, q, flags}
		this.dirtyElements = new Set();
		this.listeners = new Set();  // (changedPoints[]) on every batch
	}

	onChange(fn) {
		this.listeners.add(fn);
		return () => this.listeners.delete(fn);
	}

	setDict({ points, replace }) {
		if (replace) {
			this.byId.clear();
			this.byTag.clear();
		}
		for (const d of points) {
			if (d.removed) {
				const old = this.byId.get(d.id);
				if (old)
					this.byTag.delete(old.tag);
				this.byId.delete(d.id);
				continue;
			}
			const p = Object.assign(this.byId.get(d.id) || { value: null, q: 0, flags: new Set(['never']), src_us: 0, rx_us: 0 }, d);
			this.byId.set(d.id, p);
			this.byTag.set(d.tag, p);
		}
		for (const tag of this.elements.keys())
			this.dirtyElements.add(tag);
	}

	get(tag) {
		return this.byTag.get(tag);
	}

	// Applies updates; returns the changed points.  Unknown ids (a dictionary not yet received) are
	// dropped: the next snapshot after the dictionary carries them.
	apply(updates) {
		const changed = [];
		for (const u of updates) {
			let p = u.id !== undefined ? this.byId.get(u.id) : undefined;
			if (!p && typeof u.tag === 'string')
				p = this.byTag.get(u.tag);
			if (!p)
				continue;
			if (u.removed) {
				this.byId.delete(p.id);
				this.byTag.delete(p.tag);
				continue;
			}
			p.value = u.never ? null : u.value;
			if (u.raw !== undefined)
				p.raw = u.raw;
			if (u.text !== undefined)
				p.text = u.text === null ? undefined : String(u.text).slice(0, 1024);
			p.q = u.q;
			const f = flagsToSet(u.flags, u.stale);
			if (u.never) f.add('never');
			if (u.manual) f.add('manual');
			if (u.latched) f.add('latched');
			p.flags = f;
			p.error = u.error ? String(u.error) : '';
			if (u.src_us !== undefined)
				p.src_us = Number(u.src_us) || 0;
			p.rx_us = Date.now() * 1000;
			changed.push(p);
			this.noteElement(p);
		}
		for (const fn of this.listeners)
			fn(changed);
		return changed;
	}

	// Derived points from smved's formulas (userspace/smved/elements.h): a text point carries the
	// text; a fill/stroke point carries the colour index as value (-1 = None, leave the drawing's
	// style) and "#rrggbb" as text.
	noteElement(p) {
		const m = EG_RE.exec(p.tag);
		if (m) {
			const e = this.element(m[1]);
			const attr = m[2];
			const never = p.flags.has('never');
			if (attr === 'text') {
				if (!never)
					e.text = p.text !== undefined ? p.text : p.value === null ? undefined : String(p.value);
			} else if (attr === 'fill' || attr === 'stroke') {
				if (!never) {
					const idx = p.value === null || p.value === undefined || Number(p.value) < 0 ? null : Number(p.value);
					e[attr] = idx;
					e[attr + 'Rgb'] = idx !== null && /^#[0-9a-fA-F]{6}$/.test(p.text || '') ? p.text : null;
				}
			} else {
				e.mark = p.value;
			}
			e.errors[attr] = p.error || '';
			e.derived[attr] = p;
			this.dirtyElements.add(m[1]);
		} else if (this.elements.has(p.tag)) {
			this.dirtyElements.add(p.tag);
		}
	}

	element(tag) {
		let e = this.elements.get(tag);
		if (!e) {
			e = { tag, errors: {}, derived: {}, text: undefined, fill: undefined, stroke: undefined };
			this.elements.set(tag, e);
		}
		return e;
	}

	// The element's quality: worst of its own derived points and the raw point sharing its tag.
	// Returns {level: 'ok'|'qualified'|'stale'|'never'|'error', why: text}.
	elementQuality(tag) {
		const e = this.elements.get(tag);
		const sources = [];
		if (e)
			sources.push(...Object.values(e.derived));
		const raw = this.byTag.get(tag);
		if (raw)
			sources.push(raw);
		let level = 'ok', why = '';
		const rank = { ok: 0, qualified: 1, error: 2, stale: 3, never: 4 };
		for (const p of sources) {
			let l = 'ok', w = '';
			if (p.flags?.has('never')) { l = 'never'; w = 'no value received yet'; }
			else if (p.flags?.has('stale')) { l = 'stale'; w = 'source not reachable: last known value'; }
			else if (p.error) { l = 'error'; w = `formula error: ${p.error}`; }
			else if (p.q > 0) { l = 'qualified'; w = `qualified (q=${p.q})`; }
			if (rank[l] > rank[level]) { level = l; why = w; }
		}
		return { level, why };
	}

	takeDirtyElements() {
		const d = this.dirtyElements;
		this.dirtyElements = new Set();
		return d;
	}

	markAllElementsDirty() {
		for (const tag of this.elements.keys())
			this.dirtyElements.add(tag);
	}
}

export function pointQualityText(p) {
	if (!p)
		return 'unknown';
	const parts = [];
	if (p.flags?.has('never')) parts.push('never received');
	if (p.flags?.has('stale')) parts.push('stale');
	if (p.q > 0) parts.push(`qualified q=${p.q}`);
	if (p.flags?.has('manual')) parts.push('set manually');
	if (p.flags?.has('latched')) parts.push('latched');
	if (p.error) parts.push(`error: ${p.error}`);
	return parts.length ? parts.join(', ') : 'good';
}
