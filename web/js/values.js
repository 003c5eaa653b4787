// The point table: every live value with its quality, filterable by tag or description.  On a
// phone this is the practical view of "key values" next to the event list.
import { el, formatTime, formatValue } from './format.js';
import { pointQualityText } from './points.js';

const MAX_ROWS = 400;

export class ValuesView {
	constructor(root, model, openTrend) {
		this.root = root;
		this.model = model;
		this.openTrend = openTrend;
		this.filter = el('input', { type: 'search', name: 'filter', placeholder: 'tag or description', maxlength: 64 });
		this.filter.addEventListener('input', () => this.render());
		this.body = el('tbody');
		this.note = el('p', { class: 'note' });
		root.replaceChildren(el('div', { class: 'values-bar' }, el('label', {}, 'Filter ', this.filter)), this.note,
			el('div', { class: 'table-wrap' }, el('table', { class: 'values' },
				el('thead', {}, el('tr', {}, ...['Tag', 'Description', 'Value', 'Quality', 'Time'].map((h) => el('th', {}, h)))), this.body)));
		this.cells = new Map();  // tag → {value, quality, time, row}
		model.onChange((changed) => this.update(changed));
	}

	visible() {
		return !this.root.hidden;
	}

	render() {
		const f = this.filter.value.trim().toLowerCase();
		const pts = [...this.model.byTag.values()].filter((p) => !p.tag.startsWith('eg.') &&
			(!f || p.tag.toLowerCase().includes(f) || (p.description || '').toLowerCase().includes(f)));
		pts.sort((a, b) => a.tag.localeCompare(b.tag));
		this.note.textContent = pts.length > MAX_ROWS ? `Showing ${MAX_ROWS} of ${pts.length}: refine the filter.` : '';
		this.cells.clear();
		this.body.replaceChildren(...pts.slice(0, MAX_ROWS).map((p) => {
			const c = {
				value: el('td', { class: 'num' }), quality: el('td'), time: el('td'),
			};
			c.row = el('tr', { dataset: { tag: p.tag } }, el('td', {}, el('button', { type: 'button', class: 'link', onclick: () => this.openTrend(p.tag) }, p.tag)),
				el('td', {}, p.description || ''), c.value, c.quality, c.time);
			this.cells.set(p.tag, c);
			this.fill(p, c);
			return c.row;
		}));
	}

	fill(p, c) {
		c.value.textContent = `${formatValue(p)}${p.unit ? ` ${p.unit}` : ''}`;
		const q = pointQualityText(p);
		c.quality.textContent = q;
		c.row.classList.toggle('bad', q !== 'good');
		c.time.textContent = formatTime(p.src_us || p.rx_us);
	}

	update(changed) {
		if (!this.visible())
			return;
		for (const p of changed) {
			const c = this.cells.get(p.tag);
			if (c)
				this.fill(p, c);
		}
	}
}
