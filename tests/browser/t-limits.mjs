// Analog values on the real stack: `make demo` (scripts/demo.sh, unchanged) shows plausible values
// derived from the station's sheets, and an analog limit alarm journalled by smved (ai.csv
// valuemax, smve-sim driving the 33 kV bus across it) is listed, rings and is attended like a DI
// alarm.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { ok, skip, test } from './lib/tap.mjs';
import { openPage, artifactsDir } from './lib/browser.mjs';
import { TOP, BUILD, STATION, sleep } from './lib/env.mjs';
import { RealStack, REAL_USERS, SMVED, SIM, LAYOUT, demoRanges } from './lib/realstack.mjs';
import { login, waitLive } from './t-demo.mjs';

// The sheet's limits (ai.csv valuemin/valuemax), read here, not assumed.
function sheetLimits() {
	const lines = fs.readFileSync(path.join(STATION, 'ai.csv'), 'utf8').trim().split('\n');
	const split = (l) => l.match(/("([^"]|"")*"|[^,]*)(,|$)/g).map((c) => c.replace(/,$/, '').replace(/^"|"$/g, ''));
	const head = split(lines[0]).map((h) => h.toLowerCase());
	const out = {};
	for (const l of lines.slice(1)) {
		const f = split(l);
		const r = Object.fromEntries(head.map((h, i) => [h, f[i]]));
		out[r.tag] = { max: r.valuemax === '' ? null : Number(r.valuemax), min: r.valuemin === '' ? null : Number(r.valuemin), escala: Number(r.escala) };
	}
	return out;
}

async function freePort() {
	const net = await import('node:net');
	return new Promise((resolve) => {
		const s = net.createServer();
		s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
	});
}

async function demoValues(ctx, art) {
	const http = await freePort();
	const sim = await freePort();
	const demo = spawn(path.join(TOP, 'scripts', 'demo.sh'), [], {
		cwd: TOP, env: { ...process.env, SMVE_DEMO_HTTP: String(http), SMVE_DEMO_PORT: String(sim), BUILD: path.relative(TOP, BUILD) },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let out = '';
	demo.stdout.on('data', (d) => { out += d; });
	demo.stderr.on('data', (d) => { out += d; });
	let page;
	try {
		for (let i = 0; i < 100 && !/SMVE demo running/.test(out); i++) {
			if (demo.exitCode !== null)
				throw new Error(`scripts/demo.sh exited with ${demo.exitCode}: ${out.slice(0, 500)}`);
			await sleep(100);
		}
		if (!/SMVE demo running/.test(out))
			throw new Error(`scripts/demo.sh did not start: ${out.slice(0, 500)}`);
		page = await openPage(ctx, `http://127.0.0.1:${http}/#screen=E9`);
		await waitLive(page);
		await sleep(3000);   // a few polls (1 s in the demo)
		const shown = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#screen text[tag]')]
			.map((n) => [n.getAttribute('tag'), n.textContent.trim()])));
		await page.screenshot({ path: path.join(art, 'make-demo.png') });
		const lim = sheetLimits();
		const bad = [];
		// Voltages and the line current: inside their sheet limits (the demo walks the middle of
		// the band); powers: positive and what a 33 kV line / 13.2 kV feeder carries.
		const want = {
			E92VV_00: [lim.E92VV_00.min, lim.E92VV_00.max], E91VV_01: [lim.E91VV_01.min, lim.E91VV_01.max],
			E9CVV_01: [lim.E9CVV_01.min, lim.E9CVV_01.max], E92II_01: [0, lim.E92II_01.max],
			E92PA_01: [0, 15], E92PR_01: [0, 10], E91PA_01: [0, 8], E91PA_02: [0, 8], E91PA_03: [0, 8],
		};
		for (const [tag, [lo, hi]] of Object.entries(want)) {
			const v = Number(shown[tag]);
			if (!(v >= lo && v <= hi))
				bad.push(`${tag}: shown "${shown[tag]}", plausible ${lo}..${hi}`);
		}
		ok(bad.length === 0, `make demo shows plausible values (33 kV bus ${shown.E92VV_00} kV, 13.2 kV bus ${shown.E91VV_01} kV, ` +
			`110 Vcc ${shown.E9CVV_01} V, line ${shown.E92PA_01} MW / ${shown.E92II_01} A)`, bad);
		ok(Number(shown.E92VV_00) > 31.8 && Number(shown.E92VV_00) < 34.2,
			`33 kV bus near nominal (${shown.E92VV_00} kV; 63 kV before the demo followed the sheet's escala)`);
		const lev = await (await fetch(`http://127.0.0.1:${http}/api/v1/events?type=limit`)).json();
		ok((lev.events || []).length === 0, 'the demo values stay inside their limits: no limit alarm', lev.events?.slice(0, 3));
	} finally {
		await page?.close();
		if (demo.exitCode === null && demo.signalCode === null) {
			const ended = new Promise((r) => demo.once('exit', r));
			demo.kill('SIGTERM');
			await ended;
		}
		// demo.sh keeps its journal for a curious user; the test does not.
		const kept = /journal kept in (\/tmp\/smve-demo\.[A-Za-z0-9]+)\//.exec(out);
		if (kept)
			fs.rmSync(kept[1], { recursive: true, force: true });
	}
}

export async function run(ctx) {
	if (!fs.existsSync(SMVED) || !fs.existsSync(SIM)) {
		skip('limits', `${SMVED} or ${SIM} not built (run make)`);
		return;
	}
	const art = artifactsDir();
	await test('limits: make demo shows plausible analog values', () => demoValues(ctx, art));

	// The bus at 33 kV (raw 1796) and 35 kV (1905, above valuemax 34.65) in turn, 4 s each, the
	// other AIs inside their bands and no random DI events: the only alarms are the bus's.
	const rs = new RealStack({ simArgs: ['--layout', LAYOUT, '--event-rate', '0', '--comsys-every', '0', '--seed', '7',
		...demoRanges(), '--ai-steps', '1:0:1796,1905:4'], www: 'browser-www-limits' });
	let page;
	try {
		await rs.start();
		await test('limits: a limit alarm is listed, rings and is attended', async () => {
			page = await openPage(ctx, `${rs.base}#screen=E9`);
			await login(page, 'opera', REAL_USERS.opera.password);
			await waitLive(page);
			await page.click('#sound-enable');
			const row = await page.waitForSelector('#alarm-banner .ab-row:has-text("VALOR MAX")', { timeout: 15000 });
			const id = Number(await row.getAttribute('data-id'));
			const text = await row.$eval('.c-text', (x) => x.textContent);
			ok(/^Tensión Barra 33 kV VALOR MAX: 35 Kv \(limit 34\.65\)$/.test(text), `banner shows the limit alarm with the sheet's text (${text})`);
			ok(await row.$eval('.c-tag', (x) => x.textContent) === 'E92VV_00', 'tagged with the AI');
			const others = await page.$$eval('#alarm-banner .ab-row .c-tag', (r) => r.map((x) => x.textContent).filter((t) => t !== 'E92VV_00'));
			ok(others.length === 0, 'no other analog alarm: the rest of the station stays in its bands', others);
			await page.waitForFunction(() => window.smve.alarm().state === 'ringing');
			ok(true, 'the audible alarm rings for it');
			await page.screenshot({ path: path.join(art, 'limit-alarm.png') });
			const ev = await rs.api(`/api/v1/events/${id}`);
			ok(ev.type === 'limit' && ev.alarm === true && ev.value === 1, 'smved journalled it as an alarm of type "limit"', ev);
			await page.click(`#alarm-banner .ab-row[data-id="${id}"] button.attend`);
			await page.click('dialog.confirm [data-action="confirm"]');
			await page.waitForFunction((i) => !document.querySelector(`#alarm-banner .ab-row[data-id="${i}"]`), id);
			const acked = await rs.api(`/api/v1/events/${id}`);
			ok(acked.ack?.user === 'opera', 'attended by the operator, recorded by smved', acked.ack);
			// The return to normal is journalled and listed, but it is no alarm: nothing to attend.
			await page.click('.tabs a[data-view="events"]');
			const back = await page.waitForSelector('.ev-row:has-text("VALOR MAX returned to normal")', { timeout: 15000 });
			ok(!(await back.getAttribute('class')).includes('unattended') && !(await back.$('button.attend')),
				'the return to normal is listed without an attend button');
			await page.screenshot({ path: path.join(art, 'limit-events.png') });
		});
	} finally {
		await page?.close();
		await rs.stop();
	}
}
