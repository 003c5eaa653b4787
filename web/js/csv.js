// RFC 4180 CSV (quotes, doubled quotes, CRLF) into objects keyed by the header row, for the
// fallback that reads nguru's sheets (screens.csv, eg.csv) straight from the screens folder when the
// server has no REST endpoint for them.  Bounded: a hostile file cannot make it loop or explode.
const MAX_CHARS = 4 * 1024 * 1024;
const MAX_FIELDS = 64;

export function parseCsv(text) {
	if (typeof text !== 'string' || text.length > MAX_CHARS)
		throw new Error('sheet missing or too large');
	const rows = [];
	let row = [], field = '', i = 0, quoted = false;
	const n = text.length;
	while (i < n) {
		const c = text[i];
		if (quoted) {
			if (c === '"') {
				if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
				quoted = false; i++; continue;
			}
			field += c; i++; continue;
		}
		if (c === '"' && field === '') { quoted = true; i++; continue; }
		if (c === ',') {
			row.push(field); field = ''; i++;
			if (row.length > MAX_FIELDS)
				throw new Error('sheet row has too many fields');
			continue;
		}
		if (c === '\r' || c === '\n') {
			row.push(field); field = '';
			if (row.length > 1 || row[0] !== '')
				rows.push(row);
			row = [];
			i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
			continue;
		}
		field += c; i++;
	}
	if (field !== '' || row.length) {
		row.push(field);
		rows.push(row);
	}
	const head = (rows.shift() || []).map((h) => h.trim().replace(/^\uFEFF/, ''));
	return rows.map((r) => Object.fromEntries(head.map((h, k) => [h, (r[k] ?? '').trim()])));
}
