// The real stack for browser tests: smve-sim (a concentrator with the demo station's layout) polled
// by build/bin/smved, which serves a staged web root: web/ as it is, the vendored uPlot under
// vendor/ and the demo screens under screens/ (smved serves one web root; see web/README.md).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { TOP, BUILD, WEB, VENDOR, STATION, sleep } from './env.mjs';

export const SMVED = path.join(BUILD, 'bin', 'smved');
export const SIM = path.join(BUILD, 'bin', 'smve-sim');
export const LAYOUT = '1:6,3,4 2:6,1,2 3:6,1,2 4:6,1,2 5:6,1,2';
export const REAL_USERS = { opera: { password: 's3cure-Opera', role: 'operator' }, vista: { password: 's3cure-Vista', role: 'viewer' } };

// The demo's plausible analog ranges (smve-sim --ai options from the station's limits), exactly as
// scripts/demo.sh derives them.
export function demoRanges() {
	return execFileSync('awk', ['-v', 'comaster=9', '-f', path.join(TOP, 'scripts', 'sim-ranges.awk'),
		path.join(STATION, 'ied.csv'), path.join(STATION, 'ai.csv')], { encoding: 'utf8' }).trim().split(/\s+/);
}

function stageWebRoot(dir, screens) {
	fs.rmSync(dir, { recursive: true, force: true });
	fs.mkdirSync(dir, { recursive: true });
	fs.cpSync(path.join(WEB, 'index.html'), path.join(dir, 'index.html'));
	fs.cpSync(path.join(WEB, 'css'), path.join(dir, 'css'), { recursive: true });
	fs.cpSync(path.join(WEB, 'js'), path.join(dir, 'js'), { recursive: true });
	fs.cpSync(VENDOR, path.join(dir, 'vendor'), { recursive: true });
	fs.mkdirSync(path.join(dir, 'screens'));
	for (const f of screens)
		fs.cpSync(f, path.join(dir, 'screens', path.basename(f)));
}

const demoScreens = () => fs.readdirSync(STATION).filter((f) => /\.svg$/.test(f) || f === 'screens.csv' || f === 'eg.csv')
	.map((f) => path.join(STATION, f));

async function freePort() {
	const net = await import('node:net');
	return new Promise((resolve) => {
		const s = net.createServer();
		s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
	});
}

function waitLine(child, re, ms) {
	return new Promise((resolve, reject) => {
		let buf = '';
		const t = setTimeout(() => reject(new Error(`timeout waiting for ${re} (got: ${buf.slice(0, 300)})`)), ms);
		child.stdout.on('data', (d) => {
			buf += d;
			const m = re.exec(buf);
			if (m) { clearTimeout(t); resolve(m); }
		});
		child.on('exit', (c) => { clearTimeout(t); reject(new Error(`exited with ${c}: ${buf.slice(0, 300)}`)); });
	});
}

export class RealStack {
	// Defaults: the demo station with a random simulator.  For other data give points (sheets
	// folder), screens (files to serve under /screens/), comaster, layout and simArgs.
	constructor({ eventRate = 2, pollMs = 200, points = STATION, screens = demoScreens(), comaster = 9, station = 'E9',
		layout = LAYOUT, simArgs = null, www = 'browser-www' } = {}) {
		this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smve-real-'));
		this.www = path.join(BUILD, www);
		Object.assign(this, { eventRate, pollMs, points, screens, comaster, station, layout, simArgs });
	}

	async start() {
		stageWebRoot(this.www, this.screens);
		// Private copies: a rebuild of build/bin during the run must not pull the binaries away.
		this.smvedBin = path.join(this.dir, 'smved');
		this.simBin = path.join(this.dir, 'smve-sim');
		fs.copyFileSync(SMVED, this.smvedBin);
		fs.copyFileSync(SIM, this.simBin);
		fs.chmodSync(this.smvedBin, 0o755);
		fs.chmodSync(this.simBin, 0o755);
		fs.mkdirSync(path.join(this.dir, 'state'));
		await this.startSim(0);
		this.port = await freePort();
		this.conf = path.join(this.dir, 'smved.conf');
		fs.writeFileSync(this.conf, [
			'[smved]', `state_dir = ${path.join(this.dir, 'state')}`, `points = ${this.points}`, 'require_clock_sync = false',
			`listen = 127.0.0.1:${this.port}`, `web_root = ${this.www}`, 'anonymous = viewer', 'ws_tick_ms = 50',
			`[concentrator ${this.station}]`, 'host = 127.0.0.1', `port = ${this.simPort}`, `station = ${this.station}`, 'timezone = UTC',
			`comaster_id = ${this.comaster}`, this.layout ? `layout = ${this.layout}` : '; layout from ied.csv', `poll_interval_ms = ${this.pollMs}`, 'timeout_ms = 1000', '',
		].join('\n'));
		for (const [u, { password, role }] of Object.entries(REAL_USERS))
			execFileSync(this.smvedBin, ['-c', this.conf, '--add-user', u, '--role', role], { input: `${password}\n` });
		await this.startSmved();
		this.base = `http://127.0.0.1:${this.port}/`;
		return this;
	}

	// The simulated concentrator; port 0 picks a free one, a restart reuses it.
	async startSim(port) {
		const simArgs = this.simArgs || ['--layout', this.layout, '--event-rate', String(this.eventRate), '--comsys-every', '0', '--seed', '7',
			...demoRanges()];
		this.sim = spawn(this.simBin, ['concentrator', '--listen', `127.0.0.1:${port}`, ...simArgs], { env: { ...process.env, TZ: 'UTC' }, stdio: ['ignore', 'pipe', 'pipe'] });
		this.sim.stderr.on('data', () => {});
		this.sim.on('error', () => {});
		const m = await waitLine(this.sim, /listen [0-9.]+:(\d+)/, 5000);
		this.simPort = Number(m[1]);
	}

	async stopSim() {
		if (!this.sim || this.sim.exitCode !== null)
			return;
		const p = new Promise((r) => this.sim.once('exit', r));
		this.sim.kill('SIGTERM');
		await p;
	}

	async startSmved() {
		this.log = fs.openSync(path.join(this.dir, 'smved.log'), 'a');
		this.smved = spawn(this.smvedBin, ['-c', this.conf], { stdio: ['ignore', this.log, this.log] });
		this.smved.on('error', (e) => { this.spawnError = e; });
		let last = 'no answer';
		for (let i = 0; i < 200; i++) {
			if (this.smved.exitCode !== null)
				throw new Error(`smved exited with status ${this.smved.exitCode}: ${this.logTail()}`);
			if (this.spawnError)
				throw new Error(`cannot start smved: ${this.spawnError.message}`);
			try {
				const r = await fetch(`http://127.0.0.1:${this.port}/api/v1/status`);
				if (r.ok) {
					const s = await r.json();
					if (s.sources?.[0]?.online)
						return;
					last = JSON.stringify(s.sources?.[0] ?? s).slice(0, 400);
				} else {
					last = `HTTP ${r.status}`;
				}
			} catch (e) { last = e.message; }
			await sleep(100);
		}
		throw new Error(`smved did not come up within 20 s (last status: ${last}); log: ${this.logTail()}`);
	}

	async stopSmved() {
		if (!this.smved || this.smved.exitCode !== null)
			return;
		const p = new Promise((r) => this.smved.once('exit', r));
		this.smved.kill('SIGTERM');
		await p;
		fs.closeSync(this.log);
	}

	async api(p) {
		const r = await fetch(`http://127.0.0.1:${this.port}${p}`);
		return r.json();
	}

	logTail() {
		try { return fs.readFileSync(path.join(this.dir, 'smved.log'), 'utf8').slice(-1500); } catch (e) { return ''; }
	}

	async stop() {
		await this.stopSmved().catch(() => {});
		await this.stopSim().catch(() => {});
		fs.rmSync(this.dir, { recursive: true, force: true });
	}
}
