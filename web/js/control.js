// Select-before-operate control: choose a command, select it (the server reserves the point for a
// limited time), confirm, operate, then watch the feedback point.  When every attempt timed out the
// server cannot know whether the IED acted, and the dialog says so instead of guessing.
import { api } from './api.js';
import { el, formatValue } from './format.js';
import { confirmDialog, infoDialog } from './dialog.js';

const FEEDBACK_WAIT_MS = 15000;
const DEFAULT_ACTIONS = [{ value: 0, label: 'Open' }, { value: 1, label: 'Close' }];

export function openControl({ tag, control, model, session }) {
	const actions = Array.isArray(control?.values) && control.values.length ? control.values.slice(0, 8) : DEFAULT_ACTIONS;
	const feedbackTag = typeof control?.feedback === 'string' ? control.feedback : tag;
	const status = el('p', { class: 'ctl-status', role: 'status', 'data-state': 'idle' }, 'Choose a command and select it.');
	const fb = el('p', { class: 'ctl-feedback' });
	const choice = el('select', { name: 'command' }, ...actions.map((a, i) => el('option', { value: i }, String(a.label || a.value))));
	const selectBtn = el('button', { type: 'button', 'data-action': 'select' }, 'Select');
	const operateBtn = el('button', { type: 'button', class: 'primary danger', 'data-action': 'operate', disabled: true }, 'Operate');
	const cancelBtn = el('button', { type: 'button', 'data-action': 'cancel-select', disabled: true }, 'Cancel selection');
	const { dlg } = infoDialog(`Control ${tag}`, el('label', {}, 'Command ', choice), el('div', { class: 'ctl-buttons' }, selectBtn, operateBtn, cancelBtn), status, fb);
	dlg.classList.add('control');
	let sel = null, countdown = null, unwatch = null;

	const setStatus = (state, text) => {
		status.dataset.state = state;
		status.textContent = text;
	};
	const showFeedback = () => {
		const p = model.get(feedbackTag);
		fb.textContent = `Feedback ${feedbackTag}: ${p ? formatValue(p) : 'not in the point list'}`;
	};
	showFeedback();
	const stopCountdown = () => { clearInterval(countdown); countdown = null; };
	const reset = () => {
		stopCountdown();
		sel = null;
		operateBtn.disabled = true;
		cancelBtn.disabled = true;
		selectBtn.disabled = !session.canOperate();
		choice.disabled = false;
	};
	reset();
	if (!session.canOperate())
		setStatus('denied', 'Your role cannot operate.');

	selectBtn.onclick = async () => {
		const a = actions[Number(choice.value)];
		selectBtn.disabled = true;
		choice.disabled = true;
		setStatus('selecting', 'Selecting…');
		try {
			const r = await api.post('/api/v1/control/select', { tag, value: a.value });
			sel = { id: String(r.id), action: a, expires: Date.now() + (Number(r.timeout_ms) || 30000) };
			operateBtn.disabled = false;
			cancelBtn.disabled = false;
			const tick = () => {
				const left = Math.ceil((sel.expires - Date.now()) / 1000);
				if (left <= 0) {
					reset();
					setStatus('expired', 'Selection timed out: select again.');
					return;
				}
				setStatus('selected', `Selected "${a.label}" — operate within ${left} s`);
			};
			tick();
			countdown = setInterval(tick, 500);
		} catch (e) {
			reset();
			setStatus('error', `Select refused: ${e.message}`);
		}
	};

	cancelBtn.onclick = async () => {
		const id = sel?.id;
		reset();
		setStatus('idle', 'Selection cancelled.');
		if (id)
			api.post(`/api/v1/control/${encodeURIComponent(id)}/cancel`).catch(() => {});
	};

	operateBtn.onclick = async () => {
		if (!sel)
			return;
		const s = sel;
		if (!await confirmDialog('Operate', `Send "${s.action.label}" to ${tag}?`, 'Operate', { danger: true }))
			return;
		stopCountdown();
		operateBtn.disabled = true;
		cancelBtn.disabled = true;
		setStatus('operating', 'Operating…');
		let r;
		try {
			r = await api.post(`/api/v1/control/${encodeURIComponent(s.id)}/operate`, {}, { timeout: 60000 });
		} catch (e) {
			reset();
			setStatus(e.status === 0 ? 'unknown' : 'error', e.status === 0 ?
				`Outcome unknown — check the feedback point ${feedbackTag}` : `Operate refused: ${e.message}`);
			return;
		}
		sel = null;
		const outcome = String(r?.outcome || r?.status || '');
		if (outcome === 'unknown' || outcome === 'timeout') {
			setStatus('unknown', `Outcome unknown — check the feedback point ${feedbackTag}` +
				(r.attempts ? ` (${r.attempts} attempts timed out)` : ''));
			reset();
			return;
		}
		if (outcome !== 'ok' && outcome !== 'done' && outcome !== 'sent') {
			setStatus('failed', `Command failed: ${r?.message || outcome || 'no reason given'}`);
			reset();
			return;
		}
		const want = r.expected ?? s.action.feedback ?? s.action.value;
		setStatus('waiting', `Command accepted; waiting for ${feedbackTag} = ${want}…`);
		const deadline = setTimeout(() => {
			unwatch?.();
			setStatus('nofeedback', `No feedback within ${FEEDBACK_WAIT_MS / 1000} s — check ${feedbackTag}`);
			reset();
		}, FEEDBACK_WAIT_MS);
		const check = () => {
			showFeedback();
			const p = model.get(feedbackTag);
			// eslint-disable-next-line eqeqeq -- feedback values may arrive as number or text
			if (p && (p.value == want || p.text == want)) {
				clearTimeout(deadline);
				unwatch?.();
				setStatus('confirmed', `Confirmed by feedback: ${feedbackTag} = ${formatValue(p)}`);
				reset();
			}
		};
		unwatch = model.onChange((changed) => { if (changed.some((p) => p.tag === feedbackTag)) check(); });
		check();
	};

	dlg.addEventListener('close', () => {
		stopCountdown();
		unwatch?.();
		if (sel)
			api.post(`/api/v1/control/${encodeURIComponent(sel.id)}/cancel`).catch(() => {});
	});
	return dlg;
}
