// What a click on the diagram does (spec §9.6): nested-elements notice, unknown-tag warning
// (engineers only), manual state toggle with confirmation, jump to a screen, or the element's
// information dialog (tag, description, live value, quality, times; trend and control from there).
import { api } from './api.js';
import { el, formatTime, formatValue, formatElementText } from './format.js';
import { confirmDialog, infoDialog, toast } from './dialog.js';
import { pointQualityText } from './points.js';

// "1 (Cerrado), 0 (Abierto)" → [{value:'1', label:'Cerrado'}, {value:'0', label:'Abierto'}].
export function parseToggle(spec) {
	if (typeof spec !== 'string' || spec.length > 200)
		return null;
	const out = [];
	for (const part of spec.split(',')) {
		const m = /^\s*([^\s()]+)\s*(?:\(([^)]*)\))?\s*$/.exec(part);
		if (!m)
			return null;
		out.push({ value: m[1], label: (m[2] || m[1]).trim() });
	}
	return out.length === 2 ? out : null;
}

export class ClickHandler {
	constructor({ view, model, session, elements, navigate, openTrend, openControl }) {
		Object.assign(this, { view, model, session, elements, navigate, openTrend, openControl });
		view.container.addEventListener('click', (e) => this.onClick(e));
	}

	onClick(e) {
		const node = e.target.closest?.('[tag], [jump-to]');
		if (!node || !this.view.container.contains(node))
			return;
		const tag = (node.getAttribute('tag') || '').trim();
		const jump = (node.getAttribute('jump-to') || '').trim();
		if (!tag && jump) {
			this.navigate(jump);
			return;
		}
		if (!tag)
			return;
		this.handle(tag, node);
	}

	async handle(tag, node) {
		const rec = this.elements.get(tag);
		const nested = [...node.querySelectorAll('[tag]')].map((n) => n.getAttribute('tag').trim())
			.filter((t) => t && t !== tag);
		if (nested.length)
			toast(`${tag} contains nested elements: ${[...new Set(nested)].slice(0, 6).join(', ')}`, 'info');
		if (!rec && !this.model.get(tag) && !this.model.elements.has(tag)) {
			if (this.session.canEngineer())
				toast(`No element record for tag ${tag} (check the eg sheet)`, 'warn');
			else
				this.info(tag, rec);
			return;
		}
		const toggle = parseToggle(rec?.on_click_text_toggle);
		if (toggle)
			return this.toggle(tag, rec, toggle);
		const jump = rec?.on_click_jump || node.getAttribute('jump-to');
		if (jump)
			return this.navigate(jump);
		this.info(tag, rec);
	}

	async toggle(tag, rec, options) {
		if (!this.session.canOperate()) {
			toast('Your role cannot change manual states', 'error');
			this.info(tag, rec);
			return;
		}
		const cur = String(this.model.elements.get(tag)?.text ?? rec.text ?? '');
		const from = options.find((o) => o.value === cur) || null;
		const to = from ? options.find((o) => o !== from) : options[0];
		const linked = String(rec.linked_text_change || '').split(/[\s,;]+/).filter(Boolean);
		const msg = `Change state of ${tag} (${rec.description || ''}) from ${from ? from.label : `"${cur}"`} to ${to.label}?` +
			(linked.length ? ` Linked elements also change: ${linked.join(', ')}.` : '');
		if (!await confirmDialog('Manual state', msg, `Set ${to.label}`))
			return;
		// The manual state is the text of the element's derived point (docs/api.md, POST
		// points/<tag>/manual); linked elements get the same text, each one audited by the server.
		for (const t of [tag, ...linked]) {
			try {
				await api.post(`/api/v1/points/${encodeURIComponent(`eg.${t}.text`)}/manual`, { text: to.value });
			} catch (e) {
				toast(`${t}: ${e.message}`, 'error');
				return;
			}
		}
		toast(`${[tag, ...linked].join(', ')} set to ${to.label}`, 'ok');
	}

	// The dialog stays live: value, quality and times follow the feed while it is open.
	info(tag, rec) {
		const rows = () => {
			const e = this.model.elements.get(tag);
			const p = this.model.get(tag);
			const q = this.model.elementQuality(tag);
			const r = [
				['Tag', tag],
				['Description', rec?.description || p?.description || e?.derived.text?.description || '—'],
			];
			if (e && e.text !== undefined)
				r.push(['Shown text', formatElementText(e.text)]);
			if (p) {
				r.push(['Value', `${formatValue(p)}${p.unit ? ` ${p.unit}` : ''}`]);
				r.push(['Kind', p.kind || '—']);
				r.push(['Quality', pointQualityText(p)]);
				r.push(['Source time', formatTime(p.src_us)]);
				r.push(['Received', formatTime(p.rx_us)]);
			}
			for (const attr of ['text', 'fill', 'stroke'])
				if (e?.errors[attr])
					r.push([`Formula ${attr}`, `error: ${e.errors[attr]}`]);
			r.push(['Diagram state', q.level === 'ok' ? 'good' : q.why]);
			return r.flatMap(([k, v]) => [el('dt', {}, k), el('dd', { dataset: { field: k } }, v)]);
		};
		const dl = el('dl', { class: 'info-grid' }, ...rows());
		const p = this.model.get(tag);
		const mine = (x) => x.tag === tag || x.tag.startsWith(`eg.${tag}.`);
		const off = this.model.onChange((changed) => { if (changed.some(mine)) dl.replaceChildren(...rows()); });
		const buttons = [];
		if (p && (p.kind === 'ai' || p.kind === 'derived' || p.kind === 'di'))
			buttons.push(el('button', { type: 'button', onclick: () => { d.close(); this.openTrend(tag); } }, 'Trend'));
		// Any DI may have an output behind it; the server refuses points without one (404/409).
		if (p && p.kind === 'di')
			buttons.push(el('button', { type: 'button', class: 'needs-operator', 'data-action': 'control', disabled: !this.session.canOperate(),
				title: this.session.canOperate() ? '' : 'Your role cannot operate', onclick: () => { d.close(); this.openControl(tag); } }, 'Control…'));
		const d = infoDialog(tag, dl, el('div', { class: 'info-actions' }, ...buttons));
		d.dlg.addEventListener('close', off, { once: true });
	}
}
