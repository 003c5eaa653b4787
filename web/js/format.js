// Formatting shared by the diagram, lists and dialogs.  Times on the wire are microseconds since
// the epoch (UTC); operators read station local time, so formatting uses the browser's zone.

// Spec §9.2: a value with no space that contains "." is shown with 2 decimals.  Anything else
// (titles, "ES"/"FS", integers) is shown as it came.
export function formatElementText(v) {
	const s = v === null || v === undefined ? '' : String(v);
	if (s.includes('.') && !/\s/.test(s)) {
		const n = Number(s);
		if (Number.isFinite(n))
			return n.toFixed(2);
	}
	return s;
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

// yyyy-MM-dd HH:mm:ss.fff (the event list format of §9.7).
export function formatTime(us) {
	if (!us)
		return '—';
	const d = new Date(Math.floor(us / 1000));
	if (Number.isNaN(d.getTime()))
		return '—';
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
		`${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function formatAgo(ms) {
	const s = Math.max(0, Math.round(ms / 1000));
	if (s < 60)
		return `${s} s`;
	if (s < 3600)
		return `${Math.floor(s / 60)} min ${s % 60} s`;
	return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export function formatValue(p) {
	if (!p)
		return '—';
	if (p.text !== undefined && p.text !== null)
		return String(p.text);
	if (typeof p.value === 'number')
		return Number.isInteger(p.value) ? String(p.value) : p.value.toFixed(3);
	return p.value === undefined || p.value === null ? '—' : String(p.value);
}

// <input type="datetime-local"> value ↔ microseconds.
export function localInputToUs(s) {
	if (!s)
		return undefined;
	const t = new Date(s).getTime();
	return Number.isFinite(t) ? t * 1000 : undefined;
}

export function usToLocalInput(us) {
	const d = new Date(us / 1000);
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// Builds DOM without innerHTML so that tags, descriptions and event texts from the server can never
// inject markup.
export function el(name, attrs = {}, ...children) {
	const e = document.createElement(name);
	for (const [k, v] of Object.entries(attrs)) {
		if (v === undefined || v === null || v === false)
			continue;
		if (k === 'class')
			e.className = v;
		else if (k.startsWith('on') && typeof v === 'function')
			e.addEventListener(k.slice(2), v);
		else if (k === 'dataset')
			Object.assign(e.dataset, v);
		else
			e.setAttribute(k, v === true ? '' : String(v));
	}
	for (const c of children.flat())
		if (c !== undefined && c !== null && c !== false)
			e.append(c instanceof Node ? c : document.createTextNode(String(c)));
	return e;
}
