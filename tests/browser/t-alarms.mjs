// Events and alarms against the mock: attend flow, audible alarm state, role enforcement and the
// virtualised event list over 100k journal rows.
import path from 'node:path';
import { ok, note, test } from './lib/tap.mjs';
import { openPage, artifactsDir } from './lib/browser.mjs';
import { demoMock, USERS, sleep } from './lib/env.mjs';
import { login, waitLive } from './t-demo.mjs';

export async function run(ctx) {
	const art = artifactsDir();
	const mock = await demoMock();
	const base = `http://127.0.0.1:${mock.port}/#screen=E9`;
	let op, viewer;
	try {
		await test('alarms: attend flow and audible alarm (operator)', async () => {
			op = await openPage(ctx, base);
			await login(op, 'op', USERS.op.password);
			await waitLive(op);
			ok(await op.textContent('#user') === 'op (operator)', 'operator role shown');
			ok(await op.$eval('#sound-enable', (b) => b.dataset.state) === 'disabled', 'sound needs an explicit enable step (autoplay rules)');
			await op.click('#sound-enable');
			await op.waitForFunction(() => window.smve.alarm().state === 'idle');
			ok(true, 'sound enabled by a click: state on, idle without alarms');
			const id1 = mock.addEvent({ tag: 'E9151_01', text: 'Prot. Máx. Corriente Distribuidor 1 Norte ACTUADA', alarm: true });
			const id2 = mock.addEvent({ tag: 'E9CREC01', text: 'Alarma tensión Alta/Baja 110 Vcc SSAA ACTUADO', alarm: true });
			mock.addEvent({ tag: 'E9152B01', text: 'Interruptor Distribuidor 1 Norte ABIERTO', alarm: false });
			await op.waitForSelector(`#alarm-banner .ab-row[data-id="${id2}"]`);
			const rows = await op.$$eval('#alarm-banner .ab-row', (r) => r.map((x) => Number(x.dataset.id)));
			ok(JSON.stringify(rows) === JSON.stringify([id2, id1]), 'banner lists unattended alarms newest first (non-alarm events excluded)', rows);
			await op.waitForFunction(() => window.smve.alarm().state === 'ringing');
			const b0 = await op.evaluate(() => window.smve.alarm().beeps);
			await sleep(1300);
			const b1 = await op.evaluate(() => window.smve.alarm().beeps);
			ok(b1 - b0 >= 2, `beep repeats while alarms are unattended (${b1 - b0} beeps in 1.3 s)`);
			ok(await op.textContent('#sound-enable') === 'Sound: ALARM', 'sound state visible in the header');
			await op.screenshot({ path: path.join(art, 'demo-alarm-banner.png') });
			await op.click('#sound-silence');
			await op.waitForFunction(() => window.smve.alarm().state === 'silenced');
			const s0 = await op.evaluate(() => window.smve.alarm().beeps);
			await sleep(800);
			const s1 = await op.evaluate(() => window.smve.alarm().beeps);
			ok(s1 - s0 <= 1, 'silence stops the repetition (at most the beep in progress)', { s0, s1 });
			ok(await op.$$eval('#alarm-banner .ab-row', (r) => r.length) === 2, 'silence does not attend anything');
			const id3 = mock.addEvent({ tag: 'E9151_03', text: 'Prot. Máx. Corriente Distribuidor 3 Sur ACTUADA', alarm: true });
			await op.waitForFunction(() => window.smve.alarm().state === 'ringing');
			ok(true, 'a new alarm lifts the silence');
			await op.fill('#sound-volume', '0.3');
			ok((await op.evaluate(() => window.smve.alarm().volume)) === 0.3, 'volume control takes effect');
			// Attend one from the banner with its confirmation.
			await op.click(`#alarm-banner .ab-row[data-id="${id3}"] button.attend`);
			await op.click('dialog.confirm [data-action="confirm"]');
			await op.waitForFunction((id) => !document.querySelector(`#alarm-banner .ab-row[data-id="${id}"]`), id3);
			ok(mock.events[id3 - 1].ack?.user === 'op', 'attend recorded by the server with the operator\'s name');
			// Cancel keeps it unattended.
			await op.click(`#alarm-banner .ab-row[data-id="${id1}"] button.attend`);
			await op.click('dialog.confirm [data-action="cancel"]');
			await sleep(200);
			ok(!mock.events[id1 - 1].ack, 'cancelling the confirmation attends nothing');
			// Attend the rest in one go.
			await op.click('#alarm-banner .ab-head button');
			await op.click('dialog.confirm [data-action="confirm"]');
			await op.waitForFunction(() => window.smve.alarm().state === 'idle');
			ok(mock.events[id1 - 1].ack && mock.events[id2 - 1].ack, 'attend all: every unattended alarm attended');
			const a0 = await op.evaluate(() => window.smve.alarm().beeps);
			await sleep(900);
			ok(await op.evaluate(() => window.smve.alarm().beeps) - a0 <= 1, 'sound stops once nothing is unattended');
			ok(await op.$eval('#alarm-banner', (b) => b.hidden), 'banner hidden when nothing is unattended');
		});

		await test('alarms: another operator\'s attend reaches every browser', async () => {
			const id = mock.addEvent({ tag: 'E9151_02', text: 'Prot. Máx. Corriente Distribuidor 2 Centro ACTUADA', alarm: true });
			await op.waitForSelector(`#alarm-banner .ab-row[data-id="${id}"]`);
			mock.ack(id, 'someone-else');
			await op.waitForFunction((i) => !document.querySelector(`#alarm-banner .ab-row[data-id="${i}"]`), id);
			ok(true, 'ack message from the feed removes the alarm from the banner');
		});

		await test('alarms: viewer cannot attend or operate', async () => {
			const id = mock.addEvent({ tag: 'E9251_01', text: 'Prot. Máx. Corriente Línea 33 kV Entrada ACTUADA', alarm: true });
			// A fresh login as viewer in a page of its own (the cookie jar is shared: log in last).
			viewer = await openPage(ctx, base);
			await login(viewer, 'view', USERS.view.password);
			await waitLive(viewer);
			await viewer.waitForSelector(`#alarm-banner .ab-row[data-id="${id}"]`);
			ok(await viewer.textContent('#user') === 'view (viewer)', 'viewer role shown');
			ok(await viewer.$eval(`#alarm-banner .ab-row[data-id="${id}"] button.attend`, (b) => b.disabled), 'attend button disabled for a viewer');
			const st = await viewer.evaluate(async (i) => (await fetch(`/api/v1/events/${i}/ack`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).status, id);
			ok(st === 403, 'the server refuses a viewer\'s attend (403)', st);
			await viewer.click('#screen rect[tag="E9252B01"]');
			await viewer.waitForSelector('dialog.info');
			ok(await viewer.$eval('dialog.info [data-action="control"]', (b) => b.disabled), 'control button disabled for a viewer');
			await viewer.click('dialog.info [data-action="close"]');
			await viewer.click('#screen [tag="E9189S01"]');
			await viewer.waitForSelector('.toast-error');
			ok(mock.manualLog.length === 0, 'manual toggle refused to a viewer (nothing sent)');
			await viewer.waitForSelector('dialog.info');
			await viewer.screenshot({ path: path.join(art, 'demo-viewer.png') });
			await viewer.click('dialog.info [data-action="close"]');
			mock.ack(id, 'test');
		});

		await test('alarms: event list virtualised over 100k rows, filters', async () => {
			const t0 = Date.now() * 1000 - 100000 * 60e6;
			for (let i = 0; i < 100000; i++)
				mock.addEvent({ tag: i % 2 ? 'E9152B02' : 'E9151_02', text: `evento ${i}`, alarm: false, time_us: t0 + i * 60e6, quiet: true, type: i % 7 === 3 ? 'energy' : i % 10 ? 'digital' : 'comsys' });
			const page = viewer;
			await page.click('.tabs a[data-view="events"]');
			await page.waitForFunction(() => document.querySelectorAll('.ev-window .ev-row').length > 5);
			const n0 = await page.$$eval('.ev-window .ev-row', (r) => r.length);
			ok(n0 < 80, `only visible rows are in the DOM (${n0})`);
			const first = await page.$eval('.ev-window .ev-row', (r) => Number(r.dataset.id));
			const newestShown = mock.events.filter((e) => e.type !== 'energy').pop().id;
			ok(first === newestShown, 'newest event first', { first, newestShown });
			ok(await page.$$eval('.ev-window .ev-row.t-energy', (r) => r.length) === 0, '15-minute energy records hidden unless asked for');
			const t1 = Date.now();
			for (let k = 0; k < 6; k++) {
				await page.$eval('.ev-scroll', (s) => { s.scrollTop = s.scrollHeight; });
				await sleep(150);
			}
			const cnt = await page.textContent('.ev-count');
			ok(/^\d+/.test(cnt) && parseInt(cnt, 10) >= 3000, `scrolling pages in older events (${cnt}, ${Date.now() - t1} ms)`);
			ok(await page.$$eval('.ev-window .ev-row', (r) => r.length) < 80, 'DOM row count stays bounded after scrolling');
			await page.fill('.ev-filters input[name="prefix"]', 'E9151_');
			await page.selectOption('.ev-filters select[name="type"]', 'comsys');
			await page.click('.ev-filters button:has-text("Apply")');
			await page.waitForFunction(() => document.querySelectorAll('.ev-window .ev-row').length > 5);
			const tags = await page.$$eval('.ev-window .ev-row', (r) => r.map((x) => x.querySelector('.c-tag').textContent + '/' + x.className));
			ok(tags.every((t) => t.startsWith('E9151_02/') && t.includes('t-comsys')), 'tag-prefix and type filters applied by the server query', tags.slice(0, 5));
			const q = mock.requests.filter((r) => r.includes('/api/v1/events?') && r.includes('tag=E9151_')).pop() || '';
			ok(/type=comsys/.test(q) && /order=desc/.test(q), 'filters sent as query parameters', q);
			await page.screenshot({ path: path.join(art, 'demo-events.png') });
			note(`mock journal: ${mock.events.length} events`);
		});

		await test('alarms: login form when anonymous access is off', async () => {
			const m2 = await demoMock({ anonymous: 'none' });
			const lp = await openPage(ctx, `http://127.0.0.1:${m2.port}/#screen=E9`);
			try {
				await lp.evaluate(() => fetch('/api/v1/logout', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }));
				await lp.reload();
				await lp.waitForSelector('#login form.login');
				await lp.fill('#login input[name="user"]', 'op');
				await lp.fill('#login input[name="password"]', 'wrong-password');
				await lp.click('#login button[type="submit"]');
				await lp.waitForFunction(() => /Wrong user or password/.test(document.querySelector('.login-msg').textContent));
				ok(true, 'a wrong password is refused with a clear message');
				await lp.fill('#login input[name="password"]', USERS.op.password);
				await lp.click('#login button[type="submit"]');
				await waitLive(lp);
				ok(await lp.$eval('#login', (l) => l.hidden) && await lp.textContent('#user') === 'op (operator)', 'logged in through the form, feed live');
			} finally {
				await lp.close();
				await m2.close();
			}
		});

		await test('alarms: phone layout', async () => {
			const ph = await openPage(ctx, `http://127.0.0.1:${mock.port}/#screen=E9&view=events`, { viewport: { width: 390, height: 844 } });
			await waitLive(ph);
			await ph.waitForFunction(() => document.querySelectorAll('.ev-window .ev-row').length > 5);
			const overflow = await ph.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
			ok(overflow <= 1, `no horizontal overflow on a 390 px phone (${overflow})`);
			await ph.screenshot({ path: path.join(art, 'phone-events.png') });
			await ph.click('.tabs a[data-view="diagram"]');
			await ph.waitForSelector('#screen svg');
			const vb0 = await ph.$eval('#screen svg', (s) => s.getAttribute('viewBox'));
			const box = await ph.$eval('#screen', (s) => { const r = s.getBoundingClientRect(); return { x: r.x + r.width / 2, y: r.y + r.height / 2 }; });
			await ph.mouse.move(box.x, box.y);
			await ph.mouse.wheel(0, -300);
			await sleep(100);
			const vb1 = await ph.$eval('#screen svg', (s) => s.getAttribute('viewBox'));
			ok(vb0 !== vb1 && Number(vb1.split(' ')[2]) < Number(vb0.split(' ')[2]), 'diagram zooms', { vb0, vb1 });
			await ph.screenshot({ path: path.join(art, 'phone-diagram.png') });
			await ph.close();
		});
	} finally {
		await op?.close();
		await viewer?.close();
		await mock.close();
	}
}
