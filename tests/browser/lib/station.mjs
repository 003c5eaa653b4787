// Loads a station folder (nguru's sheets) into the mock: raw points from di.csv/ai.csv, derived
// element points for every eg.csv row.  Reads the sheets with the HMI's own CSV parser only for
// convenience; nothing of the HMI's binding logic is used here.
import fs from 'node:fs';
import path from 'node:path';
import { parseCsv } from '../../../web/js/csv.js';

export function readSheet(dir, name) {
	const f = path.join(dir, name);
	return fs.existsSync(f) ? parseCsv(fs.readFileSync(f, 'utf8')) : [];
}

export function loadStation(mock, dir) {
	const di = readSheet(dir, 'di.csv');
	const ai = readSheet(dir, 'ai.csv');
	const eg = readSheet(dir, 'eg.csv');
	for (const r of di)
		if (r.tag) mock.define(r.tag, 'di', { description: r.description });
	for (const r of ai)
		if (r.tag) mock.define(r.tag, 'ai', { description: r.description, unit: r.unit });
	for (const r of eg)
		if (r.tag) mock.defineElement(r.tag);
	return { di, ai, eg };
}
