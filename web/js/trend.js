// AI trends: history from GET /api/v1/history (the server decimates to about one point per pixel,
// so a year of data costs what a minute does) and a live tail from the feed while the window ends
// at "now".
import { api, withQuery } from './api.js';
import { el } from './format.js';
import { loadUplot, themedAxes, cssVar } from './plot.js';
import { toast } from './dialog.js';

const RANGES = [['15 min', 900], ['1 h', 3600], ['6 h', 21600], ['24 h', 86400], ['7 days', 604800]];
const MAX_LIVE_POINTS = 20000;

export class TrendView {
	constructor(root, model) {
		this.root = root;
		this.model = model;
		this.plot = null;
		this.data = [[], []];
		this.tag = '';
		this.live = true;
		this.tagIn = el('input', { name: 'tag', list: 'trend-tags', maxlength: 64, placeholder: 'point tag', autocomplete: 'off' });
		this.list = el('datalist', { id: 'trend-tags' });
		this.range = el('select', { name: 'range' }, ...RANGES.map(([l, s]) => el('option', { value: s }, l)));
		this.range.value = '3600';
		this.info = el('span', { class: 'trend-info', role: 'status' });
		this.chart = el('div', { class: 'trend-chart' });
		const form = el('form', { class: 'trend-bar', onsubmit: (e) => { e.preventDefault(); this.show(this.tagIn.value.trim()); } },
			el('label', {}, 'Point ', this.tagIn), this.list, el('label', {}, 'Range ', this.range),
			el('button', { type: 'submit', class: 'primary' }, 'Show'), this.info);
		root.replaceChildren(form, this.chart);
		model.onChange((changed) => this.onPoints(changed));
		new ResizeObserver(() => this.plot?.setSize(this.size())).observe(this.chart);
	}

	fillTags() {
		const tags = [...this.model.byTag.values()].filter((p) => p.kind === 'ai' || p.kind === 'derived').map((p) => p.tag).sort();
		this.list.replaceChildren(...tags.slice(0, 5000).map((t) => el('option', { value: t })));
	}

	size() {
		return { width: Math.max(300, this.chart.clientWidth - 8), height: Math.max(200, this.chart.clientHeight - 40 || 360) };
	}

	async show(tag) {
		if (!tag)
			return;
		const p = this.model.get(tag);
		if (!p) {
			this.info.textContent = `Unknown point ${tag}`;
			return;
		}
		this.tag = tag;
		this.tagIn.value = tag;
		const secs = Number(this.range.value);
		const to = Date.now() * 1000;
		const from = to - secs * 1e6;
		this.info.textContent = 'Loading…';
		let uPlot;
		try {
			uPlot = await loadUplot();
		} catch (e) {
			this.info.textContent = e.message;
			return;
		}
		let t = [], v = [];
		try {
			const res = await api.get(withQuery('/api/v1/history', { tag, from, to, points: this.size().width }));
			({ t, v } = normaliseSeries(res));
		} catch (e) {
			toast(`History of ${tag}: ${e.message}`, 'error');
		}
		this.data = [t, v];
		this.live = true;
		this.plot?.destroy();
		this.plot = new uPlot({
			...this.size(),
			title: `${tag} — ${p.description || ''}`,
			scales: { x: { time: true } },
			axes: themedAxes(p.unit || ''),
			series: [{}, { label: tag, stroke: cssVar('--accent', '#4af'), width: 1.5, spanGaps: false }],
		}, this.data, this.chart);
		this.chart.dataset.tag = tag;
		this.chart.dataset.points = String(t.length);
		this.info.textContent = `${t.length} points${resNote(t)}`;
	}

	onPoints(changed) {
		if (!this.plot || !this.live)
			return;
		for (const p of changed) {
			if (p.tag !== this.tag || typeof p.value !== 'number')
				continue;
			const ts = (p.src_us || p.rx_us) / 1e6;
			const [t, v] = this.data;
			if (t.length && ts <= t[t.length - 1])
				continue;
			t.push(ts);
			v.push(p.value);
			if (t.length > MAX_LIVE_POINTS) {
				t.splice(0, t.length - MAX_LIVE_POINTS);
				v.splice(0, v.length - MAX_LIVE_POINTS);
			}
			this.plot.setData(this.data);
			this.chart.dataset.points = String(t.length);
		}
	}
}

function resNote(t) {
	return t.length ? '' : ' (no history in this range yet; live values append)';
}

// {t:[us], v:[]} or {points:[[us, v], ...]} → seconds for uPlot; non-finite values become gaps.
export function normaliseSeries(res) {
	const t = [], v = [];
	const push = (ts, val) => {
		const n = Number(ts);
		if (!Number.isFinite(n))
			return;
		t.push(n / 1e6);
		v.push(val === null || val === undefined || !Number.isFinite(Number(val)) ? null : Number(val));
	};
	if (res && Array.isArray(res.t) && Array.isArray(res.v))
		res.t.forEach((ts, i) => push(ts, res.v[i]));
	else if (res && Array.isArray(res.points))
		for (const p of res.points)
			if (Array.isArray(p)) push(p[0], p[1]); else if (p) push(p.t ?? p.time_us, p.v ?? p.value);
	return { t, v };
}
