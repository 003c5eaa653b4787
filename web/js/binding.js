// Applies element state to the SVG nodes of the current screen (spec §9.2), once per animation
// frame and only for elements that changed since the previous frame.
import { formatElementText } from './format.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

// Spec §9.4, used when a derived point arrives without its "rgb" (older servers) — the server's
// palette (GET /api/v1/colors) replaces it when available.
export const DEFAULT_PALETTE = ['#C0C0C0', '#FFCC00', '#CC99FF', '#FFFFFF', '#FFFF99', '#3366FF',
	'#FF0000', '#000000', '#FFFFFF', '#99CCFF', '#000000', '#99CC00', '#C0C0C0'];

function ownTag(n) {
	const t = n.getAttribute('tag');
	return t ? t.trim() : '';
}

// The nodes a <g>'s colour goes to: its path and rect descendants, skipping any subtree that
// carries its own non-empty tag different from the group's (it follows its own element).
function paintTargets(node, tag) {
	if (node.localName !== 'g')
		return [node];
	const out = [];
	const walk = (n) => {
		for (const c of n.children) {
			const t = ownTag(c);
			if (t && t !== tag)
				continue;
			if (c.localName === 'path' || c.localName === 'rect')
				out.push(c);
			walk(c);
		}
	};
	walk(node);
	return out;
}

function textTargets(node, tag) {
	if (node.localName === 'text' || node.localName === 'tspan' || node.localName === 'flowPara')
		return [node];
	const out = [];
	for (const t of node.querySelectorAll('text')) {
		const owner = t.closest('[tag]');
		if (owner === node || ownTag(owner) === tag)
			out.push(t);
	}
	return out;
}

function setText(node, s) {
	// Inkscape writes <text><tspan ...>value</tspan></text>: keep the tspan and its position.
	if (node.localName === 'text') {
		const spans = [...node.children].filter((c) => c.localName === 'tspan');
		if (spans.length === 1 && node.children.length === 1) {
			if (spans[0].textContent !== s)
				spans[0].textContent = s;
			return;
		}
	}
	if (node.textContent !== s)
		node.textContent = s;
}

// Remembers a node's own style value before the first override, so that a later None restores the
// drawing rather than leaving the last colour behind.
function setPaint(node, prop, rgb) {
	const key = `smveOrig${prop}`;
	if (!(key in node.dataset))
		node.dataset[key] = node.style.getPropertyValue(prop) || '';
	if (rgb === null) {
		const orig = node.dataset[key];
		if (orig)
			node.style.setProperty(prop, orig);
		else
			node.style.removeProperty(prop);
	} else if (node.style.getPropertyValue(prop) !== rgb) {
		node.style.setProperty(prop, rgb);
	}
}

export class Binder {
	constructor(view, model) {
		this.view = view;
		this.model = model;
		this.palette = DEFAULT_PALETTE.slice();
		this.pending = false;
		this.feedLive = false;
		this.marks = new Map();   // tag → overlay <g>
		this.stats = { frames: 0, applied: 0, lastFrameMs: 0, maxFrameMs: 0 };
	}

	setPalette(colors) {
		for (const c of colors || []) {
			const i = Number(c.index);
			if (Number.isInteger(i) && i >= 0 && i < 256 && /^#[0-9a-fA-F]{6}$/.test(c.rgb || ''))
				this.palette[i] = c.rgb.toUpperCase();
		}
	}

	colour(index, rgb) {
		if (index === null || index === undefined || index === '')
			return null;  // None: the drawing's own style
		if (rgb)
			return rgb;
		const i = Number(index);
		return Number.isInteger(i) && this.palette[i] ? this.palette[i] : null;
	}

	schedule() {
		if (this.pending)
			return;
		this.pending = true;
		requestAnimationFrame(() => this.flush());
	}

	// Binds everything (after a screen change or a fresh snapshot).
	bindAll() {
		this.model.markAllElementsDirty();
		for (const tag of this.view.tagged.keys())
			this.model.dirtyElements.add(tag);
		for (const g of this.marks.values())
			g.remove();
		this.marks.clear();
		this.schedule();
	}

	// Three phases so the browser lays out once per frame, not once per element: write text and
	// colours, then read the boxes the quality marks need, then write the marks.
	flush() {
		this.pending = false;
		const t0 = performance.now();
		const dirty = this.model.takeDirtyElements();
		const touched = [];
		for (const tag of dirty) {
			const nodes = this.view.tagged.get(tag);
			if (!nodes)
				continue;
			this.applyElement(tag, nodes);
			touched.push([tag, nodes]);
		}
		const pending = [];
		for (const [tag, nodes] of touched) {
			const m = this.qualityWork(tag, nodes);
			if (m)
				pending.push(m);
		}
		for (const m of pending)
			m.box = this.unionBox(m.nodes);
		for (const m of pending)
			this.drawMark(m);
		this.stats.frames++;
		this.stats.applied += touched.length;
		this.stats.lastFrameMs = performance.now() - t0;
		this.stats.maxFrameMs = Math.max(this.stats.maxFrameMs, this.stats.lastFrameMs);
		if (touched.length)
			this.view.container.dispatchEvent(new CustomEvent('smve-applied', { detail: { count: touched.length } }));
	}

	applyElement(tag, nodes) {
		const e = this.model.elements.get(tag);
		const paintable = tag !== 'nopaint';
		if (e) {
			const fill = e.fill !== undefined ? this.colour(e.fill, e.fillRgb) : undefined;
			const stroke = e.stroke !== undefined ? this.colour(e.stroke, e.strokeRgb) : undefined;
			const text = e.text !== undefined && e.text !== null ? formatElementText(e.text) : undefined;
			for (const node of nodes) {
				if (text !== undefined)
					for (const t of textTargets(node, tag))
						setText(t, text);
				if (!paintable)
					continue;
				for (const t of paintTargets(node, tag)) {
					if (fill !== undefined)
						setPaint(t, 'fill', fill);
					if (stroke !== undefined)
						setPaint(t, 'stroke', stroke);
				}
			}
		}
	}

	// Stale or qualified elements get a hatched, dash-outlined box and a marker on top, so the
	// state is visible without relying on colour (which formulas already use for meaning).
	// Returns the mark still to draw, or null when nothing is to be drawn.
	qualityWork(tag, nodes) {
		const q = this.model.elementQuality(tag);
		for (const n of nodes) {
			n.classList.toggle('q-bad', q.level !== 'ok');
			n.dataset.quality = q.level;
		}
		const old = this.marks.get(tag);
		if (q.level === 'ok' || (old && old.dataset.level !== q.level)) {
			old?.remove();
			this.marks.delete(tag);
		}
		if (q.level === 'ok' || this.marks.has(tag))
			return null;
		return { tag, nodes, q };
	}

	unionBox(nodes) {
		return nodes.map((n) => this.view.bbox(n)).filter(Boolean).reduce((a, b) => a ? {
			x: Math.min(a.x, b.x), y: Math.min(a.y, b.y),
			w: Math.max(a.x + a.w, b.x + b.w) - Math.min(a.x, b.x),
			h: Math.max(a.y + a.h, b.y + b.h) - Math.min(a.y, b.y),
		} : b, null);
	}

	drawMark({ tag, q, box }) {
		if (!box)
			return;
		const g = document.createElementNS(SVG_NS, 'g');
		g.setAttribute('class', `qmark qmark-${q.level}`);
		g.dataset.level = q.level;
		g.dataset.tag = tag;
		const r = document.createElementNS(SVG_NS, 'rect');
		r.setAttribute('x', box.x - 1);
		r.setAttribute('y', box.y - 1);
		r.setAttribute('width', box.w + 2);
		r.setAttribute('height', box.h + 2);
		const t = document.createElementNS(SVG_NS, 'text');
		t.setAttribute('x', box.x + box.w + 1);
		t.setAttribute('y', box.y + 1);
		t.textContent = q.level === 'stale' || q.level === 'never' ? 'stale' : '?';
		const title = document.createElementNS(SVG_NS, 'title');
		title.textContent = `${tag}: ${q.why}`;
		g.append(r, t, title);
		this.view.overlay.append(g);
		this.marks.set(tag, g);
	}
}
