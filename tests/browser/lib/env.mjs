// Paths and the demo fixture shared by the browser tests.
import path from 'node:path';
import fs from 'node:fs';
import { MockSmved } from './mock-smved.mjs';
import { loadStation } from './station.mjs';
import { expectedElements } from './egmodel.mjs';

export const TOP = process.env.SMVE_TOP || path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
export const BUILD = process.env.SMVE_BUILD || path.join(TOP, 'build');
export const WEB = path.join(TOP, 'web');
export const VENDOR = path.join(BUILD, 'web-vendor');
export const STATION = path.join(TOP, 'examples', 'station');
export const SHARED = process.env.SMVE_SHARED_DATA || path.resolve(TOP, '..', 'shared', 'data');
export const USERS = { op: { password: 'op-pass-1', role: 'operator' }, view: { password: 'view-pass-1', role: 'viewer' } };

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Index → RGB of spec §9.4, written independently of the HMI's table, as the browser reports it.
export const RGB = ['rgb(192, 192, 192)', 'rgb(255, 204, 0)', 'rgb(204, 153, 255)', 'rgb(255, 255, 255)', 'rgb(255, 255, 153)',
	'rgb(51, 102, 255)', 'rgb(255, 0, 0)', 'rgb(0, 0, 0)', 'rgb(255, 255, 255)', 'rgb(153, 204, 255)', 'rgb(0, 0, 0)',
	'rgb(153, 204, 0)', 'rgb(192, 192, 192)'];

// The demo station in the mock with a steady, plausible state.
export async function demoMock(opts = {}) {
	const mock = new MockSmved({ webRoot: WEB, vendorRoot: VENDOR, screensDir: STATION, users: USERS, ...opts });
	const sheets = loadStation(mock, STATION);
	for (const r of sheets.di)
		mock.set(r.tag, { value: r.tag.includes('52B') || r.tag.includes('89') ? 1 : 0, raw: 0 });
	// Nominal voltages (raw 1796 = 33 kV / 13.2 kV on their scales, 2518 ≈ 110 V), 1000 elsewhere.
	const rawOf = (tag) => (tag === 'E9CVV_01' ? 2518 : /VV_/.test(tag) ? 1796 : 1000);
	for (const r of sheets.ai)
		mock.set(r.tag, { value: rawOf(r.tag) * Number(r.escala), raw: rawOf(r.tag) });
	// The elements as the station's own formulas make them (independent evaluator, lib/formula.mjs).
	const pts = new Map([...mock.byTag.values()].map((p) => [p.tag, { kind: p.kind, raw: p.raw, value: p.value, q: p.q }]));
	mock.expected = expectedElements(STATION, pts);
	for (const e of mock.expected.values())
		mock.setElement(e.tag, { text: String(e.text), fill: e.fill, stroke: e.stroke });
	await mock.listen(opts.port || 0);
	mock.sheets = sheets;
	return mock;
}

export function have(p) {
	return fs.existsSync(p);
}
