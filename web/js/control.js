// Select-before-operate control (docs/api.md: POST /api/v1/points/<tag>/control): choose the state,
// select it (the server reserves it for this session for a limited time), confirm, operate, then
// watch the feedback point and the journal's "command" event.  When every attempt timed out nobody
// knows whether the IED acted, and the dialog says so instead of guessing.
import { api } from './api.js';
import { el, formatValue } from './format.js';
import { confirmDialog, infoDialog } from './dialog.js';

const FEEDBACK_WAIT_MS = 20000;

// What an operator needs to read for each outcome of docs/api.md (the raw word stays in brackets).
const OUTCOME_TEXT = {
	refused: 'the IED refused it: that output does not exist there',
	mismatch: "the IED's echo differed from the request",
	failed: 'every attempt got a bad reply',
	not_sent: 'it never left smved (source offline, bus detached or queue full)',
};

function outcomeOf(ev) {
	const f = ev.fields || {};
	const err = String(f.error || f.message || '');
	const outcome = String(f.outcome || '');
	if (outcome === 'unknown' || /timed? ?out|ETIMEDOUT/i.test(err) || f.result === -110)
		return { kind: 'unknown', why: err || 'every attempt timed out' };
	if (outcome === 'executed' || f.result === 0 || (f.result === undefined && !err))
		return { kind: 'sent' };
	const text = OUTCOME_TEXT[outcome];
	const why = text ? `${text}${err ? ` — ${err}` : ''} [${outcome}]` : err || outcome || `result ${f.result}`;
	return { kind: outcome === 'not_sent' ? 'not_sent' : 'failed', why };
}

export function openControl({ tag, model, session, feedbackTag = tag }) {
	const status = el('p', { class: 'ctl-status', role: 'status', 'data-state': 'idle' }, 'Choose a state and select it.');
	const fb = el('p', { class: 'ctl-feedback' });
	const choice = el('select', { name: 'state' }, el('option', { value: 0 }, 'Open (0)'), el('option', { value: 1 }, 'Close (1)'));
	const selectBtn = el('button', { type: 'button', 'data-action': 'select' }, 'Select');
	const operateBtn = el('button', { type: 'button', class: 'primary danger', 'data-action': 'operate', disabled: true }, 'Operate');
	const cancelBtn = el('button', { type: 'button', 'data-action': 'cancel-select', disabled: true }, 'Cancel selection');
	const { dlg } = infoDialog(`Control ${tag}`, el('label', {}, 'State ', choice),
		el('div', { class: 'ctl-buttons' }, selectBtn, operateBtn, cancelBtn), status, fb);
	dlg.classList.add('control');
	let sel = null, countdown = null, deadline = null;
	const cleanups = [];

	const setStatus = (state, text) => {
		status.dataset.state = state;
		status.textContent = text;
	};
	const showFeedback = () => {
		const p = model.get(feedbackTag);
		fb.textContent = `Feedback ${feedbackTag}: ${p ? formatValue(p) : 'not in the point list'}`;
	};
	const reset = () => {
		clearInterval(countdown);
		countdown = null;
		sel = null;
		operateBtn.disabled = true;
		cancelBtn.disabled = true;
		selectBtn.disabled = !session.canOperate();
		choice.disabled = false;
	};
	showFeedback();
	reset();
	if (!session.canOperate())
		setStatus('denied', 'Your role cannot operate.');
	const post = (body) => api.post(`/api/v1/points/${encodeURIComponent(tag)}/control`, body);

	const startCountdown = () => {
		const tick = () => {
			if (!sel)
				return;
			const left = Math.ceil((sel.expires - Date.now()) / 1000);
			if (left <= 0) {
				reset();
				setStatus('expired', 'Selection timed out: select again.');
				return;
			}
			setStatus('selected', `Selected state ${sel.state} — operate within ${left} s`);
		};
		clearInterval(countdown);
		tick();
		countdown = setInterval(tick, 250);
	};

	selectBtn.onclick = async () => {
		const state = Number(choice.value);
		selectBtn.disabled = true;
		choice.disabled = true;
		setStatus('selecting', 'Selecting…');
		try {
			const r = await post({ action: 'select', state });
			sel = { token: String(r.token || ''), state, expires: Date.now() + (Number(r.expires_s) || 30) * 1000 };
			operateBtn.disabled = false;
			cancelBtn.disabled = false;
			startCountdown();
		} catch (e) {
			reset();
			setStatus('error', `Select refused: ${e.message}`);
		}
	};

	// The server keeps a selection until it expires or is replaced; forgetting it here is enough.
	cancelBtn.onclick = () => {
		reset();
		setStatus('idle', 'Selection cancelled.');
	};

	const finish = (state, text) => {
		clearTimeout(deadline);
		setStatus(state, text);
		showFeedback();
		reset();
		for (const f of cleanups.splice(0))
			f();
	};

	operateBtn.onclick = async () => {
		if (!sel)
			return;
		const s = sel;
		if (!await confirmDialog('Operate', `Send state ${s.state} to ${tag}?`, 'Operate', { danger: true }))
			return;
		clearInterval(countdown);
		if (sel !== s || Date.now() > s.expires) {
			reset();
			setStatus('expired', 'Selection timed out: select again.');
			return;
		}
		operateBtn.disabled = true;
		cancelBtn.disabled = true;
		setStatus('operating', 'Operating…');
		try {
			await post({ action: 'operate', state: s.state, token: s.token });
		} catch (e) {
			reset();
			setStatus(e.status === 0 ? 'unknown' : 'error', e.status === 0 ?
				`Outcome unknown — check the feedback point ${feedbackTag}` : `Operate refused: ${e.message}`);
			return;
		}
		sel = null;
		setStatus('waiting', `Command queued; waiting for ${feedbackTag} = ${s.state}…`);
		const check = () => {
			showFeedback();
			const p = model.get(feedbackTag);
			if (p && !p.flags?.has('stale') && Number(p.value) === s.state)
				finish('confirmed', `Confirmed by feedback: ${feedbackTag} = ${formatValue(p)}`);
		};
		cleanups.push(model.onChange((changed) => { if (changed.some((p) => p.tag === feedbackTag)) check(); }));
		const onEv = (e) => {
			const ev = e.detail;
			if (ev.type !== 'command' || ev.tag !== tag)
				return;
			const o = outcomeOf(ev);
			if (o.kind === 'unknown')
				finish('unknown', `Outcome unknown — check the feedback point ${feedbackTag} (${o.why})`);
			else if (o.kind === 'not_sent')
				finish('failed', `Command not sent: ${o.why}`);
			else if (o.kind === 'failed')
				finish('failed', `Command failed: ${o.why}`);
			else
				setStatus('waiting', `Command sent; waiting for ${feedbackTag} = ${s.state}…`);
		};
		window.addEventListener('smve-event', onEv);
		cleanups.push(() => window.removeEventListener('smve-event', onEv));
		deadline = setTimeout(() => finish('unknown',
			`Outcome unknown — check the feedback point ${feedbackTag} (no feedback within ${FEEDBACK_WAIT_MS / 1000} s)`), FEEDBACK_WAIT_MS);
		check();
	};

	dlg.addEventListener('close', () => {
		clearInterval(countdown);
		clearTimeout(deadline);
		for (const f of cleanups.splice(0))
			f();
	});
	return dlg;
}
