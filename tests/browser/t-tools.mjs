// Operator tools against the mock: trends (history + live tail), energy curve, export, maximum and
// monthly report, select-before-operate control (feedback, timeout, select expiry) and the manual
// state toggle of unsensed disconnectors with linked elements.
import fs from 'node:fs';
import path from 'node:path';
import { ok, note, test } from './lib/tap.mjs';
import { openPage, artifactsDir } from './lib/browser.mjs';
import { demoMock, USERS } from './lib/env.mjs';
import { login, waitLive } from './t-demo.mjs';

export async function run(ctx) {
	const art = artifactsDir();
	const mock = await demoMock();
	const base = `http://127.0.0.1:${mock.port}/#screen=E9`;
	let page;
	try {
		page = await openPage(ctx, base);
		await login(page, 'op', USERS.op.password);
		await waitLive(page);

		await test('tools: trend with history and live tail', async () => {
			const now = Date.now() * 1000;
			const hist = [];
			for (let i = 0; i < 300; i++)
				hist.push([now - (300 - i) * 10e6, 33 + Math.sin(i / 20)]);
			mock.history.set('E92VV_00', hist);
			await page.click('.tabs a[data-view="trend"]');
			await page.fill('.trend-bar input[name="tag"]', 'E92VV_00');
			await page.click('.trend-bar button[type="submit"]');
			await page.waitForSelector('.trend-chart canvas');
			ok(Number(await page.$eval('.trend-chart', (c) => c.dataset.points)) === 300, 'history samples plotted (300)');
			const q = mock.requests.filter((r) => r.startsWith('GET /api/v1/history?')).pop() || '';
			ok(/tag=E92VV_00/.test(q) && /points=\d+/.test(q), 'history asked with a pixel-based decimation hint', q);
			mock.set('E92VV_00', { value: 33.9, raw: 1845 });
			await page.waitForFunction(() => Number(document.querySelector('.trend-chart').dataset.points) === 301);
			ok(true, 'live value appended to the trend');
			const drawn = await page.$eval('.trend-chart canvas', (c) => {
				const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
				let n = 0;
				for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
				return n;
			});
			ok(drawn > 1000, `trend canvas has drawn pixels (${drawn})`);
			await page.screenshot({ path: path.join(art, 'demo-trend.png') });
		});

		await test('tools: energy curve, export, maximum and monthly report', async () => {
			const day = new Date();
			day.setHours(0, 0, 0, 0);
			const t0 = day.getTime() - 86400e3;
			const recs = [];
			for (let k = 1; k <= 96; k++)
				recs.push({ time_us: (t0 + k * 900e3 - (k === 96 ? 60e3 : 0)) * 1000, raw: 100 + k, code: k === 96 ? 1 : 0 });
			mock.energy.set('E92PA_01', recs);
			mock.exportText = () => recs.map((r) => {
				const d = new Date(r.time_us / 1000);
				const p = (n) => String(n).padStart(2, '0');
				const hm = d.getHours() === 23 && d.getMinutes() === 59 ? '24:00' : `${p(d.getHours())}:${p(d.getMinutes())}`;
				return `${p(d.getDate())}/${p(d.getMonth() + 1)}/${String(d.getFullYear()).slice(2)},${hm},${r.raw},${r.raw >> 1}\n`;
			}).join('');
			mock.energyMax = { time_us: recs[95].time_us, active: { raw: 196, value: 0.957 }, reactive: { raw: 98, value: 0.479 }, apparent: 1.07 };
			const days = new Date(day.getFullYear(), day.getMonth() + 1, 0).getDate();
			mock.month = { expected: 96, rows: [{ label: 'IED 2 AI 5', tag: 'E92PA_01', counts: Array.from({ length: days }, (_, i) => (i === 0 ? 95 : 96)), totals: Array(days).fill(true) }] };
			await page.click('.tabs a[data-view="energy"]');
			await page.waitForFunction(() => document.querySelectorAll('.energy-bar select[name="meter"] option').length > 0);
			await page.click('[data-action="curve"]');
			await page.waitForSelector('.energy-chart canvas');
			ok(Number(await page.$eval('.energy-chart', (c) => c.dataset.records)) === 96, 'energy curve plots the 96 records of a day');
			const title = await page.textContent('.energy-chart .u-title');
			ok(/max 1\.960 MW at \d\d\/\d\d 00:00/.test(title), 'maximum labelled, the 23:59 record shown as 00:00', title);
			const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-action="export"]')]);
			const file = path.join(art, 'energy-export.txt');
			await dl.saveAs(file);
			const text = fs.readFileSync(file, 'utf8');
			const lines = text.trim().split('\n');
			ok(lines.length === 96 && /^\d\d\/\d\d\/\d\d,00:15,101,50$/.test(lines[0]) && /,24:00,196,98$/.test(lines[95]),
				'export file: one dd/mm/yy,HH:MM,active,reactive line per interval, 23:59 written as 24:00', lines.slice(0, 2).concat(lines.slice(-1)));
			await page.click('[data-action="max"]');
			await page.waitForFunction(() => /1\.070 MVA/.test(document.querySelector('.energy-max').textContent));
			ok(true, 'maximum apparent power shown with active and reactive parts');
			await page.click('[data-action="month"]');
			await page.waitForSelector('table.month');
			const cells = await page.$$eval('table.month tbody td', (t) => t.map((c) => c.className));
			ok(cells[0].includes('partial') && cells.slice(1).every((c) => c.includes('complete')), 'monthly report flags a day with 95 of 96 records');
			ok(await page.$$eval('table.month thead th.weekend', (t) => t.length) >= 8, 'weekends shaded');
			await page.screenshot({ path: path.join(art, 'demo-energy.png'), fullPage: true });
		});

		await test('tools: control select → confirm → operate → feedback', async () => {
			await page.click('.tabs a[data-view="diagram"]');
			mock.set('E9252B01', { value: 1, raw: 1 });
			await page.click('#screen rect[tag="E9252B01"]');
			await page.waitForFunction(() => document.querySelector('dialog.info dd[data-field="Value"]')?.textContent === '1');
			mock.set('E9252B01', { value: 1, raw: 1, q: 0, stale: true });
			await page.waitForFunction(() => /stale/.test(document.querySelector('dialog.info dd[data-field="Quality"]')?.textContent));
			ok(true, 'information dialog shows value and quality live');
			mock.set('E9252B01', { value: 1, raw: 1, stale: false });
			await page.click('dialog.info [data-action="control"]');
			await page.selectOption('dialog.control select[name="state"]', '0');
			await page.click('dialog.control [data-action="select"]');
			await page.waitForSelector('.ctl-status[data-state="selected"]');
			ok(/operate within \d+ s/.test(await page.textContent('.ctl-status')), 'selection shows its remaining time');
			await page.click('dialog.control [data-action="operate"]');
			await page.click('dialog.confirm [data-action="confirm"]');
			await page.waitForSelector('.ctl-status[data-state="confirmed"]', { timeout: 8000 });
			ok(/E9252B01 = 0/.test(await page.textContent('.ctl-status')), 'confirmed by the feedback point');
			const log = mock.controlLog.map((c) => `${c.action}:${c.tag}:${c.state}:${c.user}`);
			ok(JSON.stringify(log) === JSON.stringify(['select:E9252B01:0:op', 'operate:E9252B01:0:op']), 'select then operate reached the server, same state', log);
			await page.screenshot({ path: path.join(art, 'demo-control-ok.png') });
			await page.click('dialog.control [data-action="close"]');
		});

		// Operate breaker E9252B01 to state 1 with the mock answering in @mode; the status text.
		const operateWith = async (mode, state) => {
			mock.controlMode = mode;
			await page.click('#screen rect[tag="E9252B01"]');
			await page.click('dialog.info [data-action="control"]');
			await page.selectOption('dialog.control select[name="state"]', '1');
			await page.click('dialog.control [data-action="select"]');
			await page.click('dialog.control [data-action="operate"]');
			await page.click('dialog.confirm [data-action="confirm"]');
			await page.waitForSelector(`.ctl-status[data-state="${state}"]`, { timeout: 8000 });
			return page.textContent('.ctl-status');
		};

		await test('tools: control whose every attempt timed out → outcome unknown', async () => {
			const t = await operateWith('timeout', 'unknown');
			ok(/Outcome unknown — check the feedback point E9252B01/.test(t), 'outcome unknown, pointing at the feedback point', t);
			await page.screenshot({ path: path.join(art, 'demo-control-unknown.png') });
			await page.click('dialog.control [data-action="close"]');
		});

		for (const [mode, want] of [['refused', /Command failed: the IED refused it: that output does not exist there \[refused\]/],
			['not_sent', /Command not sent: it never left smved .* — source offline \[not_sent\]/]]) {
			await test(`tools: control ${mode} → told in words, not as an unknown outcome`, async () => {
				const t = await operateWith(mode, 'failed');
				ok(want.test(t), `${mode} shown with its meaning`, t);
				await page.click('dialog.control [data-action="close"]');
			});
		}
		mock.controlMode = 'ok';

		await test('tools: select expires', async () => {
			mock.selectTimeoutS = 1;
			await page.click('#screen rect[tag="E9252B01"]');
			await page.click('dialog.info [data-action="control"]');
			await page.click('dialog.control [data-action="select"]');
			await page.waitForSelector('.ctl-status[data-state="expired"]', { timeout: 4000 });
			ok(await page.$eval('dialog.control [data-action="operate"]', (b) => b.disabled), 'operate disabled once the selection timed out');
			await page.click('dialog.control [data-action="close"]');
			mock.selectTimeoutS = undefined;
		});

		await test('tools: manual toggle of an unsensed disconnector with linked element', async () => {
			const before = mock.manualLog.length;
			await page.click('#screen [tag="E9189S02"]');
			await page.waitForSelector('dialog.confirm');
			const msg = await page.textContent('dialog.confirm p');
			ok(/from Cerrado to Abierto/.test(msg) && /E9189I02/.test(msg), 'confirmation names both states and the linked element', msg);
			await page.click('dialog.confirm [data-action="confirm"]');
			await page.waitForSelector('.toast-ok');
			const sent = mock.manualLog.slice(before).map((m) => `${m.tag}=${m.text}`);
			ok(JSON.stringify(sent) === JSON.stringify(['eg.E9189S02.text=0', 'eg.E9189I02.text=0']), 'manual state sent for the element and its linked one', sent);
			note('the stroke colour then follows from smved\'s formula over eg.E9189S02.text');
		});
		ok(page.errors.filter((e) => !/status of (404|409)/.test(e)).length === 0, 'tools: no console errors', page.errors);
		ok(page.external.length === 0, 'tools: uPlot and everything else served locally', page.external);
	} finally {
		await page?.close();
		await mock.close();
	}
}
