// Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, with a fresh profile
// per launch and no network beyond the test server.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.SMVE_CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launch() {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smve-chromium-'));
	const ctx = await chromium.launchPersistentContext(dir, {
		executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1366, height: 768 },
		acceptDownloads: true,
	});
	ctx.setDefaultTimeout(6000);
	const close = async () => {
		await ctx.close().catch(() => {});
		fs.rmSync(dir, { recursive: true, force: true });
	};
	return { ctx, close };
}

// A page that fails loudly: console errors and uncaught exceptions are collected for the checks.
export async function openPage(ctx, url, { viewport } = {}) {
	const page = await ctx.newPage();
	if (viewport)
		await page.setViewportSize(viewport);
	page.errors = [];
	page.external = [];   // requests that left the test server: the HMI must make none (no CDN)
	page.on('request', (r) => {
		const u = r.url();
		if (!/^(https?|wss?):\/\/127\.0\.0\.1[:/]/.test(u) && !/^(data|blob):/.test(u))
			page.external.push(u);
	});
	page.on('pageerror', (e) => page.errors.push(`pageerror: ${e.message}`));
	page.on('console', (m) => { if (m.type() === 'error') page.errors.push(`console: ${m.text()}`); });
	await page.goto(url);
	return page;
}

export function artifactsDir() {
	const top = process.env.SMVE_TOP || path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
	const build = process.env.SMVE_BUILD || path.join(top, 'build');
	const d = path.join(build, 'test-artifacts', 'browser');
	fs.mkdirSync(d, { recursive: true });
	return d;
}
