// Journal events: the full list (newest first, virtualised so 100k rows scroll smoothly), its
// filters, the banner of the latest unattended alarms, and attending one or many (operators).
import { api, withQuery } from './api.js';
import { el, formatTime, localInputToUs } from './format.js';
import { confirmDialog, toast } from './dialog.js';
import { normaliseEvent } from './feed.js';

const ROW_H = 28;
const PAGE = 1000;   // the server's maximum page (docs/api.md)
const BANNER_ROWS = 5;
const MAX_ROWS = 200000;
const msOf = (us) => (us ? Math.floor(us / 1000) : undefined);   // beyond this the oldest loaded rows are dropped (they stay in the journal)

export class EventList {
	constructor({ root, banner, session, onUnattendedChange }) {
		this.root = root;
		this.banner = banner;
		this.session = session;
		this.onUnattendedChange = onUnattendedChange;
		this.byId = new Map();
		this.rows = [];            // filtered, newest first
		this.selected = new Set();
		this.filters = {};
		this.gen = 0;
		this.loading = -1;
		this.exhausted = false;
		this.unattended = new Map();   // id → event (alarms only, regardless of filters)
		this.build();
	}

	build() {
		const f = (name, label, input) => el('label', { class: 'filter' }, label, input);
		this.inFrom = el('input', { type: 'datetime-local', name: 'from' });
		this.inTo = el('input', { type: 'datetime-local', name: 'to' });
		this.inStation = el('input', { type: 'text', name: 'station', maxlength: 16, size: 6, placeholder: 'E9' });
		this.inPrefix = el('input', { type: 'text', name: 'prefix', maxlength: 16, size: 10, placeholder: 'E9252B' });
		this.inType = el('select', { name: 'type' }, ...['', 'digital', 'limit', 'comsys', 'comm', 'command', 'energy', 'idle', 'data_lost', 'clock', 'layout', 'system']
			.map((t) => el('option', { value: t }, t || 'all types')));
		// 15-minute energy records would bury everything else (nguru never listed them): hidden
		// unless asked for, by type or by this box.
		this.inEnergy = el('input', { type: 'checkbox', name: 'energy' });
		this.inUnatt = el('input', { type: 'checkbox', name: 'unattended' });
		const apply = el('button', { type: 'button', onclick: () => this.applyFilters() }, 'Apply');
		this.attendSel = el('button', { type: 'button', class: 'needs-operator', onclick: () => this.attendSelected() }, 'Attend selected');
		this.count = el('span', { class: 'ev-count' });
		const bar = el('form', { class: 'ev-filters', onsubmit: (e) => { e.preventDefault(); this.applyFilters(); } },
			f('from', 'From', this.inFrom), f('to', 'To', this.inTo), f('station', 'Station', this.inStation),
			f('prefix', 'Tag prefix', this.inPrefix), f('type', 'Type', this.inType),
			el('label', { class: 'filter' }, this.inUnatt, 'Unattended only'),
			el('label', { class: 'filter' }, this.inEnergy, 'Energy records'), apply, this.attendSel, this.count);
		const head = el('div', { class: 'ev-row ev-head' }, el('span', { class: 'c-sel' }), el('span', { class: 'c-time' }, 'Time'),
			el('span', { class: 'c-tag' }, 'Tag'), el('span', { class: 'c-text' }, 'Description'),
			el('span', { class: 'c-att' }, 'Attended'), el('span', { class: 'c-by' }, 'By'));
		this.spacer = el('div', { class: 'ev-spacer' });
		this.win = el('div', { class: 'ev-window' });
		this.scroller = el('div', { class: 'ev-scroll', role: 'grid', 'aria-label': 'Event list' }, this.spacer, this.win);
		this.scroller.addEventListener('scroll', () => this.render());
		this.root.replaceChildren(bar, head, this.scroller);
		new ResizeObserver(() => this.render()).observe(this.scroller);
	}

	applyFilters() {
		this.filters = {
			from: localInputToUs(this.inFrom.value), to: localInputToUs(this.inTo.value),
			station: this.inStation.value.trim(), prefix: this.inPrefix.value.trim(),
			type: this.inType.value, unattended: this.inUnatt.checked, energy: this.inEnergy.checked,
		};
		this.byId.clear();
		this.rows = [];
		this.selected.clear();
		this.exhausted = false;
		this.oldestId = undefined;
		this.gen = (this.gen || 0) + 1;
		this.render();
		return this.loadMore();
	}

	matches(ev) {
		const f = this.filters;
		if (f.from && ev.time_us < f.from) return false;
		if (f.to && ev.time_us > f.to) return false;
		if (f.station && ev.station !== f.station) return false;
		if (f.prefix && !ev.tag.startsWith(f.prefix)) return false;
		if (f.type && ev.type !== f.type) return false;
		if (!f.type && !f.energy && ev.type === 'energy') return false;
		if (f.unattended && (!ev.alarm || ev.attended_us)) return false;
		return true;
	}

	// Pages back through the journal until something matching arrives or the journal ends; bounded
	// per call so that a filter matching nothing cannot spin.
	async loadMore() {
		const gen = this.gen;
		if (this.loading === gen || this.exhausted)
			return;
		this.loading = gen;   // a filter change starts a new generation; stale pages are dropped
		const f = this.filters;
		try {
			for (let page = 0; page < 10; page++) {
				const oldest = this.oldestId;
				const res = await api.get(withQuery('/api/v1/events', {
					before: oldest, limit: PAGE, order: 'desc', from: msOf(f.from), to: msOf(f.to), station: f.station,
					tag: f.prefix, type: f.type, unacked: f.unattended ? 1 : undefined, alarms: f.unattended ? 1 : undefined,
				}));
				if (gen !== this.gen)
					return;
				const list = Array.isArray(res) ? res : res?.events || [];
				let added = 0;
				for (const raw of list) {
					const ev = normaliseEvent(raw);
					if (!ev)
						continue;
					this.oldestId = this.oldestId === undefined ? ev.id : Math.min(this.oldestId, ev.id);
					if (!this.byId.has(ev.id) && this.matches(ev)) {
						this.byId.set(ev.id, ev);
						this.rows.push(ev);
						this.trackAlarm(ev);
						added++;
					}
				}
				if (list.length < PAGE)
					this.exhausted = true;
				if (added || this.exhausted)
					break;
			}
			this.rows.sort((a, b) => b.id - a.id);
		} catch (e) {
			if (gen === this.gen) {
				toast(`Events: ${e.message}`, 'error');
				this.exhausted = true;
			}
		} finally {
			if (this.loading === gen) {
				this.loading = -1;
				this.render();
			}
		}
	}

	// Events from the live feed (new ones and attend updates).
	add(ev) {
		const old = this.byId.get(ev.id);
		this.trackAlarm(ev);
		if (old) {
			Object.assign(old, ev);
		} else if (this.matches(ev)) {
			this.byId.set(ev.id, ev);
			// Live events are almost always the newest; keep order even when a resume replays.
			if (!this.rows.length || ev.id > this.rows[0].id)
				this.rows.unshift(ev);
			else {
				this.rows.push(ev);
				this.rows.sort((a, b) => b.id - a.id);
			}
			if (this.rows.length > MAX_ROWS)
				for (const gone of this.rows.splice(MAX_ROWS))
					this.byId.delete(gone.id);
		}
		this.scheduleRender();
	}

	// An acknowledgement from the feed (this or another operator's).
	ack({ id, attended_us, attended_by }) {
		const ev = this.byId.get(id) || this.unattended.get(id);
		if (!ev)
			return;
		ev.attended_us = attended_us;
		ev.attended_by = attended_by;
		this.trackAlarm(ev);
		this.scheduleRender();
	}

	trackAlarm(ev) {
		const before = this.unattended.size;
		if (ev.alarm && !ev.attended_us)
			this.unattended.set(ev.id, ev);
		else
			this.unattended.delete(ev.id);
		if (before !== this.unattended.size || (ev.alarm && !ev.attended_us))
			this.onUnattendedChange?.(this.unattended.size, ev);
		this.scheduleBanner();
	}

	async loadUnattended() {
		try {
			const res = await api.get(withQuery('/api/v1/events', { unacked: 1, alarms: 1, order: 'desc', limit: PAGE }));
			for (const raw of Array.isArray(res) ? res : res?.events || []) {
				const ev = normaliseEvent(raw);
				if (ev)
					this.trackAlarm(ev);
			}
		} catch (e) {
			toast(`Unattended events: ${e.message}`, 'error');
		}
	}

	scheduleRender() {
		if (this.renderPending)
			return;
		this.renderPending = true;
		requestAnimationFrame(() => { this.renderPending = false; this.render(); });
	}

	scheduleBanner() {
		if (this.bannerPending)
			return;
		this.bannerPending = true;
		requestAnimationFrame(() => { this.bannerPending = false; this.renderBanner(); });
	}

	// Only the rows in view (plus a margin) exist in the DOM.
	render() {
		const total = this.rows.length;
		this.spacer.style.height = `${total * ROW_H}px`;
		this.count.textContent = `${total}${this.exhausted ? '' : '+'} events`;
		const top = this.scroller.scrollTop;
		const h = this.scroller.clientHeight || 400;
		const first = Math.max(0, Math.floor(top / ROW_H) - 10);
		const last = Math.min(total, Math.ceil((top + h) / ROW_H) + 10);
		this.win.style.transform = `translateY(${first * ROW_H}px)`;
		const frag = [];
		for (let i = first; i < last; i++)
			frag.push(this.row(this.rows[i]));
		this.win.replaceChildren(...frag);
		if (!this.exhausted && last >= total - 20 && this.root.offsetParent !== null)
			this.loadMore();
	}

	row(ev) {
		const canAttend = this.session.canOperate();
		const unatt = ev.alarm && !ev.attended_us;
		const sel = el('input', { type: 'checkbox', 'aria-label': `select event ${ev.id}`, disabled: !unatt || !canAttend,
			onchange: (e) => { if (e.target.checked) this.selected.add(ev.id); else this.selected.delete(ev.id); } });
		sel.checked = this.selected.has(ev.id);
		let att;
		if (ev.attended_us)
			att = formatTime(ev.attended_us);
		else if (unatt)
			att = el('button', { type: 'button', class: 'link attend needs-operator', disabled: !canAttend,
				onclick: () => this.attend([ev.id]) }, 'Sin atención');
		else
			att = '';
		return el('div', { class: `ev-row${unatt ? ' unattended' : ''} t-${ev.type}`, role: 'row', dataset: { id: ev.id } },
			el('span', { class: 'c-sel' }, sel), el('span', { class: 'c-time' }, formatTime(ev.time_us)),
			el('span', { class: 'c-tag' }, ev.tag), el('span', { class: 'c-text', title: ev.text }, ev.text),
			el('span', { class: 'c-att' }, att), el('span', { class: 'c-by' }, ev.attended_by));
	}

	renderBanner() {
		const latest = [...this.unattended.values()].sort((a, b) => b.id - a.id).slice(0, BANNER_ROWS);
		this.banner.hidden = latest.length === 0;
		const canAttend = this.session.canOperate();
		this.banner.replaceChildren(
			el('div', { class: 'ab-head' }, `Últimos eventos sin atención (${this.unattended.size})`,
				el('button', { type: 'button', class: 'needs-operator', disabled: !canAttend,
					onclick: () => this.attend([...this.unattended.keys()]) }, 'Attend all')),
			...latest.map((ev) => el('div', { class: 'ab-row', dataset: { id: ev.id } },
				el('span', { class: 'c-time' }, formatTime(ev.time_us)), el('span', { class: 'c-tag' }, ev.tag),
				el('span', { class: 'c-text' }, ev.text),
				el('button', { type: 'button', class: 'link attend needs-operator', disabled: !canAttend,
					onclick: () => this.attend([ev.id]) }, 'Sin atención'))));
	}

	attendSelected() {
		if (!this.selected.size) {
			toast('Select the events to attend first', 'info');
			return;
		}
		return this.attend([...this.selected]);
	}

	async attend(ids) {
		if (!this.session.canOperate()) {
			toast('Your role cannot attend alarms', 'error');
			return;
		}
		const n = ids.length;
		const ok = await confirmDialog('Attend alarm',
			n === 1 ? 'You are about to notify the attention of the alarm.' : `You are about to notify the attention of ${n} alarms.`,
			'Atender');
		if (!ok)
			return;
		let failed = 0;
		// One request per event: the endpoint is per event (spec §9.8); in sequence so the server's
		// rate limiter and audit log see a plain series.
		for (const id of ids) {
			try {
				const res = await api.post(`/api/v1/events/${encodeURIComponent(id)}/ack`);
				const ev = normaliseEvent(res?.event || res);
				if (ev && ev.id === id)
					this.add(ev);
				this.selected.delete(id);
			} catch (e) {
				if (e.status === 409) {
					// Someone attended it first: show who, the first attention is the one kept.
					api.get(`/api/v1/events/${encodeURIComponent(id)}`).then((r) => {
						const ev = normaliseEvent(r);
						if (ev)
							this.add(ev);
					}).catch(() => {});
					this.selected.delete(id);
					continue;
				}
				failed++;
				if (failed === 1)
					toast(`Attend event ${id}: ${e.message}`, 'error');
			}
		}
		if (failed > 1)
			toast(`${failed} of ${n} events could not be attended`, 'error');
		this.render();
	}
}
