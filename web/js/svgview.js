// Loads one screen's SVG into the page: parsed as XML (never as HTML), stripped of anything
// active, scaled to its container as spec §9.1 says, and indexed by tag.  Pan and zoom work by
// moving the viewBox, so overlays drawn in the SVG's user space stay aligned.
const SVG_NS = 'http://www.w3.org/2000/svg';
const MAX_SVG_CHARS = 16 * 1024 * 1024;
const FORBIDDEN = new Set(['script', 'foreignObject', 'iframe', 'embed', 'object', 'audio', 'video', 'handler', 'set']);
const ANIMATIONS = new Set(['animate', 'animateTransform', 'animateMotion', 'animateColor']);

export class SvgError extends Error {}

// Removes scripts, event-handler attributes and javascript:/external references: a screen file is
// drawing data, and a tampered one must not run code in an operator's session.
function sanitise(root) {
	const bad = [];
	const walker = root.ownerDocument.createTreeWalker(root, NodeFilter.SHOW_ELEMENT);
	for (let n = walker.currentNode; n; n = walker.nextNode()) {
		// SMIL can rewrite an href into javascript: after sanitising; <set> has no honest use here.
		if (FORBIDDEN.has(n.localName) ||
		    (ANIMATIONS.has(n.localName) && /href/i.test(n.getAttribute('attributeName') || ''))) {
			bad.push(n);
			continue;
		}
		if (n.localName === 'style') {
			n.textContent = n.textContent.replace(/@import[^;]*;?/gi, '').replace(/url\(\s*['"]?(?!#)[^)]*\)/gi, 'none');
			continue;
		}
		for (const a of [...n.attributes]) {
			const name = a.name.toLowerCase();
			const val = a.value.trim().toLowerCase();
			if (name.startsWith('on'))
				n.removeAttribute(a.name);
			else if ((name === 'href' || name === 'xlink:href') && !val.startsWith('#') && !val.startsWith('data:image/'))
				n.removeAttribute(a.name);
			else if (name === 'style' && /url\(\s*['"]?(?!#)/.test(val))
				n.setAttribute(a.name, a.value.replace(/url\(\s*['"]?(?!#)[^)]*\)/gi, 'none'));
		}
	}
	for (const n of bad)
		n.remove();
}

export function parseSvg(text) {
	if (typeof text !== 'string' || text.length > MAX_SVG_CHARS)
		throw new SvgError('screen file missing or too large');
	const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
	const err = doc.querySelector('parsererror');
	if (err)
		throw new SvgError(`screen is not valid SVG: ${err.textContent.split('\n')[0].slice(0, 200)}`);
	const svg = doc.documentElement;
	if (svg.localName !== 'svg' || svg.namespaceURI !== SVG_NS)
		throw new SvgError('screen file has no <svg> root');
	sanitise(svg);
	return svg;
}

// SVG user units per absolute unit (CSS: 96 px per inch).
const UNITS = { '': 1, px: 1, in: 96, cm: 96 / 2.54, mm: 96 / 25.4, pt: 96 / 72, pc: 16 };

function lengthToNumber(v) {
	// Inkscape writes "1120.7668" or "297mm"; percentages cannot give a size and are refused.
	const m = /^\s*([0-9]*\.?[0-9]+(?:e[-+]?\d+)?)\s*(px|in|cm|mm|pt|pc)?\s*$/i.exec(v || '');
	return m ? Number(m[1]) * UNITS[(m[2] || '').toLowerCase()] : NaN;
}

export class SvgView {
	constructor(container) {
		this.container = container;
		this.svg = null;
		this.tagged = new Map();  // tag → [nodes]
		this.base = null;         // original viewBox [x, y, w, h]
		this.view = null;
		this.installPanZoom();
	}

	// Imports a parsed SVG; returns {pagecolor}.
	show(parsed) {
		const svg = document.importNode(parsed, true);
		let vb = (svg.getAttribute('viewBox') || '').trim().split(/[\s,]+/).map(Number);
		if (vb.length !== 4 || vb.some((n) => !Number.isFinite(n)) || vb[2] <= 0 || vb[3] <= 0) {
			const w = lengthToNumber(svg.getAttribute('width'));
			const h = lengthToNumber(svg.getAttribute('height'));
			if (!(w > 0 && h > 0))
				throw new SvgError('screen has neither a viewBox nor a usable width/height');
			vb = [0, 0, w, h];
		}
		svg.setAttribute('viewBox', vb.join(' '));
		svg.setAttribute('preserveAspectRatio', 'xMaxYMid meet');
		svg.setAttribute('width', '100%');
		svg.setAttribute('height', '100%');
		svg.classList.add('screen-svg');
		const nv = svg.querySelector('namedview');
		const pagecolor = nv?.getAttribute('pagecolor') || '';
		this.container.replaceChildren(svg);
		this.svg = svg;
		this.base = vb;
		this.view = vb.slice();
		this.index();
		this.addDefs();
		this.overlay = document.createElementNS(SVG_NS, 'g');
		this.overlay.setAttribute('class', 'smve-overlay');
		svg.append(this.overlay);
		const bg = /^#[0-9a-fA-F]{3,8}$/.test(pagecolor) ? pagecolor : '';
		this.container.style.background = bg;
		return { pagecolor: bg };
	}

	index() {
		this.tagged = new Map();
		for (const n of this.svg.querySelectorAll('[tag]')) {
			const t = n.getAttribute('tag').trim();
			if (!t)
				continue;  // §9.2: an empty tag is ignored
			if (!this.tagged.has(t))
				this.tagged.set(t, []);
			this.tagged.get(t).push(n);
		}
	}

	addDefs() {
		let defs = this.svg.querySelector('defs');
		if (!defs) {
			defs = document.createElementNS(SVG_NS, 'defs');
			this.svg.prepend(defs);
		}
		const p = document.createElementNS(SVG_NS, 'pattern');
		p.setAttribute('id', 'smve-hatch');
		p.setAttribute('patternUnits', 'userSpaceOnUse');
		p.setAttribute('width', '6');
		p.setAttribute('height', '6');
		p.setAttribute('patternTransform', 'rotate(45)');
		const l = document.createElementNS(SVG_NS, 'rect');
		l.setAttribute('width', '2');
		l.setAttribute('height', '6');
		l.setAttribute('class', 'smve-hatch-line');
		p.append(l);
		defs.append(p);
	}

	// Bounding box of a node in the root's user space (getBBox ignores the node's transforms).
	bbox(node) {
		const r = node.getBoundingClientRect();
		const m = this.svg.getScreenCTM();
		if (!m || (r.width === 0 && r.height === 0))
			return null;
		const inv = m.inverse();
		const p1 = new DOMPoint(r.left, r.top).matrixTransform(inv);
		const p2 = new DOMPoint(r.right, r.bottom).matrixTransform(inv);
		return { x: Math.min(p1.x, p2.x), y: Math.min(p1.y, p2.y), w: Math.abs(p2.x - p1.x), h: Math.abs(p2.y - p1.y) };
	}

	setView(v) {
		this.view = v;
		this.svg?.setAttribute('viewBox', v.map((n) => +n.toFixed(3)).join(' '));
	}

	resetView() {
		if (this.base)
			this.setView(this.base.slice());
	}

	zoomAt(factor, clientX, clientY) {
		if (!this.svg)
			return;
		const m = this.svg.getScreenCTM();
		if (!m)
			return;
		const p = new DOMPoint(clientX, clientY).matrixTransform(m.inverse());
		const [x, y, w, h] = this.view;
		const nw = Math.min(this.base[2] * 4, Math.max(this.base[2] / 20, w / factor));
		const f = w / nw;
		const nh = h / f;
		this.setView([p.x - (p.x - x) / f, p.y - (p.y - y) / f, nw, nh]);
	}

	installPanZoom() {
		const c = this.container;
		const pointers = new Map();
		let last = null, pinch = 0, moved = false;
		c.addEventListener('wheel', (e) => {
			if (!this.svg)
				return;
			e.preventDefault();
			this.zoomAt(e.deltaY < 0 ? 1.2 : 1 / 1.2, e.clientX, e.clientY);
		}, { passive: false });
		c.addEventListener('pointerdown', (e) => {
			pointers.set(e.pointerId, e);
			last = e;
			moved = false;
			if (pointers.size === 2) {
				const [a, b] = [...pointers.values()];
				pinch = Math.hypot(a.clientX - b.clientX, a.clientY - b.clientY);
			}
		});
		c.addEventListener('pointermove', (e) => {
			if (!pointers.has(e.pointerId) || !this.svg)
				return;
			pointers.set(e.pointerId, e);
			if (pointers.size === 2) {
				const [a, b] = [...pointers.values()];
				const d = Math.hypot(a.clientX - b.clientX, a.clientY - b.clientY);
				if (pinch > 0 && d > 0)
					this.zoomAt(d / pinch, (a.clientX + b.clientX) / 2, (a.clientY + b.clientY) / 2);
				pinch = d;
				moved = true;
				return;
			}
			const dx = e.clientX - last.clientX, dy = e.clientY - last.clientY;
			if (!moved && Math.hypot(dx, dy) < 5)
				return;  // a click, not a drag
			moved = true;
			const m = this.svg.getScreenCTM();
			if (!m)
				return;
			const [x, y, w, h] = this.view;
			this.setView([x - dx / m.a, y - dy / m.d, w, h]);
			last = e;
		});
		const end = (e) => {
			pointers.delete(e.pointerId);
			if (pointers.size < 2)
				pinch = 0;
		};
		c.addEventListener('pointerup', end);
		c.addEventListener('pointercancel', end);
		// A drag must not end in a click on whatever element is under the pointer.
		c.addEventListener('click', (e) => {
			if (moved) {
				e.stopPropagation();
				e.preventDefault();
				moved = false;
			}
		}, true);
		c.addEventListener('dblclick', () => this.resetView());
	}
}
