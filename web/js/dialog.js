// Modal dialogs (native <dialog>: focus trapping and Escape come from the browser) and toasts.
import { el } from './format.js';

function open(dlg) {
	document.body.append(dlg);
	dlg.showModal();
	dlg.addEventListener('close', () => dlg.remove(), { once: true });
}

// Resolves true only on the explicit confirm button; Escape, backdrop or Cancel give false.
export function confirmDialog(title, message, okLabel = 'OK', { danger = false } = {}) {
	return new Promise((resolve) => {
		let result = false;
		const ok = el('button', { type: 'button', class: danger ? 'primary danger' : 'primary', 'data-action': 'confirm',
			onclick: () => { result = true; dlg.close(); } }, okLabel);
		const cancel = el('button', { type: 'button', 'data-action': 'cancel', onclick: () => dlg.close() }, 'Cancel');
		const dlg = el('dialog', { class: 'dlg confirm', 'aria-label': title },
			el('h2', {}, title), el('p', {}, message), el('div', { class: 'dlg-buttons' }, cancel, ok));
		dlg.addEventListener('close', () => resolve(result), { once: true });
		open(dlg);
		ok.focus();
	});
}

// A non-blocking dialog with arbitrary content; returns {dlg, close}.
export function infoDialog(title, ...content) {
	const close = el('button', { type: 'button', 'data-action': 'close', onclick: () => dlg.close() }, 'Close');
	const dlg = el('dialog', { class: 'dlg info', 'aria-label': title },
		el('h2', {}, title), el('div', { class: 'dlg-body' }, ...content), el('div', { class: 'dlg-buttons' }, close));
	open(dlg);
	return { dlg, close: () => dlg.close() };
}

let toastBox = null;
export function toast(message, kind = 'info', ms = 6000) {
	if (!toastBox) {
		toastBox = el('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
		document.body.append(toastBox);
	}
	const t = el('div', { class: `toast toast-${kind}` }, message);
	toastBox.append(t);
	setTimeout(() => t.remove(), ms);
}
