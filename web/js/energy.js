// Energy (spec §9.10): 15-minute curves per meter and channel, the text export, the maximum
// apparent power of a period and the monthly completeness report (96 records a day).  smved
// computes everything; this page only asks and draws.
import { api, withQuery } from './api.js';
import { el } from './format.js';
import { loadUplot, themedAxes, cssVar } from './plot.js';
import { toast } from './dialog.js';

const pad = (n) => String(n).padStart(2, '0');
const dayUs = (s, end) => {
	const d = new Date(`${s}T00:00:00`);
	if (Number.isNaN(d.getTime()))
		return undefined;
	if (end)
		d.setDate(d.getDate() + 1);
	return d.getTime() * 1000;
};
const isoDay = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

// x label "dd/mm HH:MM" with the day's 23:59 record shown as 00:00 of the next day (§9.10).
export function energyLabel(us) {
	const d = new Date(us / 1000);
	if (d.getHours() === 23 && d.getMinutes() === 59)
		d.setMinutes(d.getMinutes() + 1);
	return `${pad(d.getDate())}/${pad(d.getMonth() + 1)} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export class EnergyView {
	constructor(root, model) {
		this.root = root;
		this.model = model;
		this.meters = [];
		const today = new Date();
		const weekAgo = new Date(today.getTime() - 7 * 86400e3);
		this.meter = el('select', { name: 'meter' });
		this.channel = el('select', { name: 'channel' }, el('option', { value: 0 }, 'Active (MW)'), el('option', { value: 1 }, 'Reactive (MVAR)'));
		this.from = el('input', { type: 'date', name: 'from', value: isoDay(weekAgo) });
		this.to = el('input', { type: 'date', name: 'to', value: isoDay(today) });
		this.month = el('input', { type: 'month', name: 'month', value: `${today.getFullYear()}-${pad(today.getMonth() + 1)}` });
		this.out = el('div', { class: 'energy-out' });
		this.chart = el('div', { class: 'energy-chart' });
		this.maxBox = el('div', { class: 'energy-max', role: 'status' });
		this.report = el('div', { class: 'energy-report' });
		const btn = (label, fn, action) => el('button', { type: 'button', 'data-action': action, onclick: fn }, label);
		root.replaceChildren(
			el('form', { class: 'energy-bar', onsubmit: (e) => { e.preventDefault(); this.curve(); } },
				el('label', {}, 'Meter ', this.meter), el('label', {}, 'Channel ', this.channel),
				el('label', {}, 'From ', this.from), el('label', {}, 'To ', this.to),
				el('button', { type: 'submit', class: 'primary', 'data-action': 'curve' }, 'Curve'),
				btn('Maximum', () => this.maximum(), 'max'), btn('Export…', () => this.exportText(), 'export')),
			this.maxBox, this.chart,
			el('form', { class: 'energy-bar', onsubmit: (e) => { e.preventDefault(); this.monthReport(); } },
				el('label', {}, 'Month ', this.month), el('button', { type: 'submit', 'data-action': 'month' }, 'Monthly report')),
			this.report);
	}

	async loadMeters() {
		try {
			const res = await api.get('/api/v1/energy/meters');
			this.meters = (Array.isArray(res) ? res : res?.meters || []).filter((m) => m && typeof m.tag === 'string');
		} catch (e) {
			// Fallback: every non-voltage AI known to the feed (unit not ending in "v", §9.10).
			this.meters = [...this.model.byTag.values()].filter((p) => p.kind === 'ai' && !/v$/i.test(p.unit))
				.map((p) => ({ tag: p.tag, description: p.description, source: '' }));
		}
		this.meter.replaceChildren(...this.meters.map((m) => el('option', { value: m.tag },
			`${m.tag}${m.description ? ` — ${m.description}` : ''}`)));
	}

	range() {
		const from = dayUs(this.from.value, false), to = dayUs(this.to.value, true);
		if (!from || !to || to <= from)
			throw new Error('choose a valid date range');
		return { from, to };
	}

	selectedMeter() {
		return this.meters.find((m) => m.tag === this.meter.value) || null;
	}

	async curve() {
		let r;
		try {
			r = this.range();
		} catch (e) {
			toast(e.message, 'error');
			return;
		}
		const m = this.selectedMeter();
		if (!m)
			return toast('No energy meter selected', 'error');
		const ch = Number(this.channel.value);
		let res;
		try {
			res = await api.get(withQuery('/api/v1/energy/curve', { tag: m.tag, channel: ch, from: r.from, to: r.to }));
		} catch (e) {
			return toast(`Energy curve: ${e.message}`, 'error');
		}
		const recs = (res?.records || []).filter((x) => x && Number.isFinite(Number(x.time_us)));
		const t = recs.map((x) => Number(x.time_us) / 1e6);
		const v = recs.map((x) => Number.isFinite(Number(x.value)) ? Number(x.value) : null);
		const unit = ch === 0 ? 'MW' : 'MVAR';
		let uPlot;
		try {
			uPlot = await loadUplot();
		} catch (e) {
			this.chart.textContent = e.message;
			return;
		}
		this.plot?.destroy();
		const maxI = v.reduce((bi, x, i) => (x !== null && (bi < 0 || x > v[bi]) ? i : bi), -1);
		this.chart.dataset.records = String(recs.length);
		this.plot = new uPlot({
			width: Math.max(300, this.chart.clientWidth - 8), height: 320,
			title: `${m.tag} ${unit}${maxI >= 0 ? ` — max ${v[maxI].toFixed(3)} ${unit} at ${energyLabel(t[maxI] * 1e6)}` : ''}` +
				(res?.scale ? ` (scale ${res.scale})` : ''),
			scales: { x: { time: false } },
			axes: [{ ...themedAxes()[0], space: 110, values: (u, ticks) => ticks.map((s) => energyLabel(s * 1e6)) }, themedAxes(unit)[1]],
			series: [{ value: (u, s) => energyLabel(s * 1e6) }, { label: unit, stroke: cssVar('--accent', '#4af'), width: 1.5, paths: undefined }],
		}, [t, v], this.chart);
	}

	async maximum() {
		let r;
		try {
			r = this.range();
		} catch (e) {
			return toast(e.message, 'error');
		}
		const m = this.selectedMeter();
		try {
			const x = await api.get(withQuery('/api/v1/energy/max', { tag: m?.tag, source: m?.source, from: r.from, to: r.to }));
			if (!x || x.time_us === undefined) {
				this.maxBox.textContent = 'No 15-minute record in this period.';
				return;
			}
			const f = (n) => (Number.isFinite(Number(n)) ? Number(n).toFixed(3) : '—');
			this.maxBox.replaceChildren(el('strong', {}, 'Maximum apparent power: '),
				`${f(x.apparent)} MVA at ${energyLabel(x.time_us)} — active ${f(x.active?.value)} MW (raw ${x.active?.raw ?? '—'}), ` +
				`reactive ${f(x.reactive?.value)} MVAR (raw ${x.reactive?.raw ?? '—'})`);
		} catch (e) {
			toast(`Maximum: ${e.message}`, 'error');
		}
	}

	async exportText() {
		let r;
		try {
			r = this.range();
		} catch (e) {
			return toast(e.message, 'error');
		}
		const m = this.selectedMeter();
		try {
			const text = await api.text(withQuery('/api/v1/energy/export', { tag: m?.tag, source: m?.source, from: r.from, to: r.to }));
			const name = `energy-${(m?.tag || 'all').replace(/[^A-Za-z0-9_-]/g, '')}-${this.from.value}-${this.to.value}.txt`;
			const a = el('a', { href: URL.createObjectURL(new Blob([text], { type: 'text/plain' })), download: name }, name);
			document.body.append(a);
			a.click();
			setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
			this.maxBox.textContent = `Exported ${text.split('\n').filter(Boolean).length} lines to ${name}`;
		} catch (e) {
			toast(`Export: ${e.message}`, 'error');
		}
	}

	async monthReport() {
		if (!/^\d{4}-\d{2}$/.test(this.month.value))
			return toast('Choose a month', 'error');
		const m = this.selectedMeter();
		let res;
		try {
			res = await api.get(withQuery('/api/v1/energy/month', { month: this.month.value, source: m?.source }));
		} catch (e) {
			return toast(`Monthly report: ${e.message}`, 'error');
		}
		const [y, mo] = this.month.value.split('-').map(Number);
		const days = new Date(y, mo, 0).getDate();
		const expected = Number(res?.expected) || 96;
		const head = el('tr', {}, el('th', {}, 'Meter'), ...Array.from({ length: days }, (_, i) => {
			const wd = new Date(y, mo - 1, i + 1).getDay();
			return el('th', { class: wd === 0 || wd === 6 ? 'weekend' : '' }, i + 1);
		}));
		const rows = (res?.rows || []).map((row) => el('tr', {}, el('th', { title: row.tag || '' }, String(row.label || row.tag || '')),
			...Array.from({ length: days }, (_, i) => {
				const n = Number(row.counts?.[i] ?? 0);
				const wd = new Date(y, mo - 1, i + 1).getDay();
				const cls = [n === expected ? 'complete' : n === 0 ? 'empty' : 'partial', wd === 0 || wd === 6 ? 'weekend' : ''].join(' ');
				return el('td', { class: cls, title: `${n} of ${expected}${row.totals?.[i] ? ', 24 h total present' : ''}` },
					String(n), row.totals?.[i] ? el('sup', {}, 'T') : '');
			})));
		this.report.replaceChildren(el('h3', {}, `Completeness ${this.month.value} (${expected} records a day expected)`),
			el('div', { class: 'table-wrap' }, el('table', { class: 'month' }, el('thead', {}, head), el('tbody', {}, ...rows))));
	}
}
