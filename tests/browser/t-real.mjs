// The demo station against the real stack: smve-sim → smved → browser.  Binding of smved's derived
// element points, latency from the field (the simulator's event time) to the DOM, the 0x13 control
// round trip with its feedback, attend, role enforcement and a restart of smved with event resume.
import fs from 'node:fs';
import path from 'node:path';
import { ok, note, skip, test } from './lib/tap.mjs';
import { openPage, artifactsDir } from './lib/browser.mjs';
import { sleep } from './lib/env.mjs';
import { RealStack, REAL_USERS, SMVED, SIM } from './lib/realstack.mjs';
import { login, waitLive } from './t-demo.mjs';

// §9.2 text rule, written here independently of web/js/format.js.
function shown(text) {
	const s = String(text);
	return s.includes('.') && !/\s/.test(s) && Number.isFinite(Number(s)) ? Number(s).toFixed(2) : s;
}
const hexToRgb = (h) => `rgb(${parseInt(h.slice(1, 3), 16)}, ${parseInt(h.slice(3, 5), 16)}, ${parseInt(h.slice(5, 7), 16)})`;

export async function run(ctx) {
	if (!fs.existsSync(SMVED) || !fs.existsSync(SIM)) {
		skip('real stack', `${SMVED} or ${SIM} not built (run make)`);
		return;
	}
	const art = artifactsDir();
	const rs = new RealStack({ eventRate: 3 });
	let page;
	try {
		await rs.start();
		note(`real stack: smved on ${rs.base}, smve-sim on port ${rs.simPort}`);
		await test('real: station loads, derived element points bound', async () => {
			page = await openPage(ctx, `${rs.base}#screen=E9`);
			await waitLive(page);
			await page.waitForSelector('#screen[data-screen="E9"] svg');
			ok(true, 'demo station served by smved and shown live');
			const pts = await rs.api('/api/v1/points');
			const eg = pts.filter((p) => p.tag.startsWith('eg.'));
			ok(eg.length > 0, `smved publishes derived eg.TAG.* points (${eg.length})`);
			if (!eg.length)
				return;
			// The simulator changes analog values every poll, so one API read and one DOM read can
			// straddle a change.  Each attribute must match the API value read just before or
			// just after the DOM; a binding fault fails every attempt, a race only one.
			const readDom = () => page.evaluate(() => {
				const out = {};
				for (const n of document.querySelectorAll('#screen [tag]')) {
					const t = n.getAttribute('tag');
					const span = n.localName === 'text' ? n.querySelector('tspan') || n : null;
					const paint = n.localName === 'g' ? n.querySelector('path, rect') : n;
					out[t] = { text: span?.textContent, fill: paint && getComputedStyle(paint).fill, stroke: paint && getComputedStyle(paint).stroke };
				}
				return out;
			});
			const want = (p, attr) => {
				if (attr === 'text')
					return shown(p.text ?? p.value);
				return p.value >= 0 && /^#[0-9a-f]{6}$/i.test(p.text || '') ? hexToRgb(p.text) : null;
			};
			let checked = 0;
			let bad = [];
			for (let attempt = 0; attempt < 5; attempt++) {
				await sleep(500);
				const before = new Map((await rs.api('/api/v1/points')).map((p) => [p.tag, p]));
				const dom = await readDom();
				await sleep(400);
				const after = new Map((await rs.api('/api/v1/points')).map((p) => [p.tag, p]));
				checked = 0;
				bad = [];
				for (const [ptag, p] of before) {
					if (!ptag.startsWith('eg.'))
						continue;
					const [, tag, attr] = ptag.split('.');
					const d = dom[tag];
					if (!d || tag === 'nopaint' || (attr === 'text' && (d.text === null || d.text === undefined)))
						continue;
					const w0 = want(p, attr);
					if (w0 === null || (attr !== 'text' && !d[attr]))
						continue;
					const a = after.get(ptag);
					const w1 = a ? want(a, attr) : w0;
					checked++;
					if (d[attr] !== w0 && d[attr] !== w1)
						bad.push(`${ptag}: DOM "${d[attr]}" want "${w0}" or "${w1}"`);
				}
				if (bad.length === 0)
					break;
			}
			ok(checked > 20 && bad.length === 0, `every derived attribute smved serves matches the DOM (${checked} checked)`, bad.slice(0, 20));
			await page.screenshot({ path: path.join(art, 'real-station.png') });
		});

		await test('real: latency from the field to the DOM', async () => {
			// The simulator flips DIs at random (--event-rate); each flip is a DIGITAL event with the
			// device time.  The Values view shows every DI: record when each row's value changes.
			await page.click('.tabs a[data-view="values"]');
			await page.fill('.values-bar input[name="filter"]', 'E9');
			await page.waitForSelector('table.values tbody tr');
			await page.evaluate(() => {
				window.__mut = [];
				new MutationObserver((ms) => {
					const now = Date.now();
					for (const m of ms) {
						const tr = (m.target.nodeType === 1 ? m.target : m.target.parentElement)?.closest('tr');
						if (tr?.dataset.tag) window.__mut.push({ tag: tr.dataset.tag, at: now, text: tr.children[2].textContent });
					}
				}).observe(document.querySelector('table.values tbody'), { subtree: true, childList: true, characterData: true });
			});
			const since = (await rs.api('/api/v1/events?limit=1&order=desc')).last_id;
			await sleep(6000);
			const evs = (await rs.api(`/api/v1/events?after=${since}&limit=1000&type=digital`)).events.filter((e) => e.tag);
			const muts = await page.evaluate(() => window.__mut);
			const lat = [];
			for (const e of evs) {
				const t = Date.parse(e.time);
				const m = muts.find((x) => x.tag === e.tag && x.at >= t - 50 && x.text.startsWith(String(e.value)));
				if (m)
					lat.push(m.at - t);
			}
			lat.sort((a, b) => a - b);
			note(`field→DOM latency (poll 200 ms, ws tick 50 ms) over ${lat.length} of ${evs.length} events: ` +
				`median ${lat[lat.length >> 1]} ms, p90 ${lat[Math.floor(lat.length * 0.9)]} ms, max ${lat[lat.length - 1]} ms`);
			ok(lat.length >= 5, `latency measured on real events (${lat.length})`);
			ok(lat.length && lat[Math.floor(lat.length * 0.9)] < 1500, '90% of field changes shown within 1.5 s');
		});

		await test('real: attend and role enforcement', async () => {
			await login(page, 'opera', REAL_USERS.opera.password);
			await waitLive(page);
			await page.waitForSelector('#alarm-banner .ab-row');
			const id = Number(await page.$eval('#alarm-banner .ab-row', (r) => r.dataset.id));
			await page.click(`#alarm-banner .ab-row[data-id="${id}"] button.attend`);
			await page.click('dialog.confirm [data-action="confirm"]');
			await page.waitForFunction((i) => !document.querySelector(`#alarm-banner .ab-row[data-id="${i}"]`), id);
			const ev = await rs.api(`/api/v1/events/${id}`);
			ok(ev.ack?.user === 'opera', 'attend recorded by smved with the operator\'s name', ev.ack);
			const st = await page.evaluate(async () => {
				const r1 = await fetch('/api/v1/events/1/ack', { method: 'POST', credentials: 'omit', headers: { 'Content-Type': 'application/json' }, body: '{}' });
				const r2 = await fetch('/api/v1/points/E9252B01/control', { method: 'POST', credentials: 'omit', headers: { 'Content-Type': 'application/json' }, body: '{"action":"select","state":1}' });
				return [r1.status, r2.status];
			});
			ok(st[0] === 403 || st[0] === 401, `anonymous viewer cannot attend (HTTP ${st[0]})`);
			ok(st[1] === 403 || st[1] === 401, `anonymous viewer cannot operate (HTTP ${st[1]})`);
		});

		await test('real: control round trip through 0x13 with feedback', async () => {
			await page.click('.tabs a[data-view="diagram"]');
			const cur = (await rs.api('/api/v1/points/E9252B01')).value;
			const want = cur ? 0 : 1;
			await page.click('#screen rect[tag="E9252B01"]');
			await page.click('dialog.info [data-action="control"]');
			await page.selectOption('dialog.control select[name="state"]', String(want));
			await page.click('dialog.control [data-action="select"]');
			await page.waitForSelector('.ctl-status[data-state="selected"]');
			await page.click('dialog.control [data-action="operate"]');
			await page.click('dialog.confirm [data-action="confirm"]');
			const st = await page.waitForSelector('.ctl-status[data-state="confirmed"], .ctl-status[data-state="failed"], .ctl-status[data-state="unknown"], .ctl-status[data-state="error"]', { timeout: 15000 });
			const text = await st.textContent();
			ok(await st.getAttribute('data-state') === 'confirmed', `operate confirmed by the DI feedback (${text})`, rs.logTail());
			await page.screenshot({ path: path.join(art, 'real-control.png') });
			await page.click('dialog.control [data-action="close"]');
		});

		await test('real: a lost concentrator makes the diagram stale, visibly', async () => {
			await rs.stopSim();
			await page.waitForSelector('.qmark[data-tag="E92VV_00"][data-level="stale"]', { timeout: 15000 });
			const t = await page.$eval('.qmark[data-tag="E92VV_00"] text', (x) => x.textContent);
			ok(/stale/.test(t), 'bus voltage marked "stale" (hatched, dashed) when smved loses the concentrator');
			const p = await rs.api('/api/v1/points/E92VV_00');
			ok(p.stale === true, 'smved reports the point stale as well');
			await page.screenshot({ path: path.join(art, 'real-concentrator-lost.png') });
			await rs.startSim(rs.simPort);
			await page.waitForFunction(() => !document.querySelector('.qmark[data-tag="E92VV_00"]'), null, { timeout: 20000 });
			ok(true, 'mark cleared once the concentrator answers again');
		});

		await test('real: smved restart — banner, reconnection, events resumed', async () => {
			await rs.stopSmved();
			await page.waitForSelector('#feed-banner:not([hidden])', { timeout: 8000 });
			ok(true, 'feed-lost banner shown when smved stops');
			await sleep(1500);   // the simulator keeps producing events, held until smved acknowledges them
			await rs.startSmved();
			await waitLive(page);
			ok(await page.$eval('#feed-banner', (b) => b.hidden), 'banner cleared after smved is back');
			await sleep(2500);
			const last = (await rs.api('/api/v1/events?limit=1&order=desc')).last_id;
			await page.waitForFunction((l) => window.smve.feed().lastEventId >= l, last, { timeout: 5000 });
			ok(true, `browser caught up with the journal after the restart (last id ${last})`);
		});
		// Expected noise: probes of optional endpoints (404) and refused reconnects while smved was down.
		ok(page.errors.filter((e) => !/status of (401|404|409)|ERR_CONNECTION_REFUSED/.test(e)).length === 0, 'real: no console errors', page.errors);
	} finally {
		await page?.close();
		await rs.stop();
	}
}
