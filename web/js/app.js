// HMI entry point: session, screens, the live feed and the views, wired together.  Each concern
// lives in its own module; this file only connects them and owns navigation.
import { api } from './api.js';
import { el, formatAgo, formatTime } from './format.js';
import { Feed } from './feed.js';
import { PointModel } from './points.js';
import { SvgView, parseSvg } from './svgview.js';
import { Binder } from './binding.js';
import { ScreenTree, readHash, writeHash, buildMenu, loadElements } from './screens.js';
import { ClickHandler } from './clicks.js';
import { EventList } from './events.js';
import { Alarm } from './alarm.js';
import { Session, loginForm } from './session.js';
import { ValuesView } from './values.js';
import { TrendView } from './trend.js';
import { EnergyView } from './energy.js';
import { openControl } from './control.js';
import { toast } from './dialog.js';

const $ = (id) => document.getElementById(id);
const VIEWS = ['diagram', 'events', 'values', 'trend', 'energy'];

const session = new Session();
const model = new PointModel();
const tree = new ScreenTree();
const view = new SvgView($('screen'));
const binder = new Binder(view, model);
const elements = new Map();   // element records of the current screen: tag → record
let current = null;
let currentView = 'diagram';
let loadSeq = 0;

// ---- theme -------------------------------------------------------------------------------
function initTheme() {
	let t = null;
	try { t = localStorage.getItem('smve.theme'); } catch (e) { /* no storage */ }
	if (t !== 'dark' && t !== 'light')
		t = matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
	document.body.dataset.theme = t;
	$('theme-btn').onclick = () => {
		const n = document.body.dataset.theme === 'dark' ? 'light' : 'dark';
		document.body.dataset.theme = n;
		try { localStorage.setItem('smve.theme', n); } catch (e) { /* no storage */ }
	};
}

// ---- views and screens -------------------------------------------------------------------
function showView(name) {
	if (!VIEWS.includes(name))
		name = 'diagram';
	currentView = name;
	document.body.dataset.view = name;
	for (const v of VIEWS)
		$(`view-${v}`).hidden = v !== name;
	for (const a of document.querySelectorAll('.tabs a'))
		a.classList.toggle('active', a.dataset.view === name);
	if (name === 'events' && !events.loadedOnce) {
		events.loadedOnce = true;
		events.applyFilters();
	} else if (name === 'events') {
		events.render();
	}
	if (name === 'values')
		values.render();
	if (name === 'trend')
		trend.fillTags();
	if (name === 'energy' && !energy.loaded) {
		energy.loaded = true;
		energy.loadMeters();
	}
}

async function openScreen(name, { push = true } = {}) {
	const s = tree.get(name);
	if (!s) {
		toast(`No screen named ${name}`, 'error');
		return;
	}
	const seq = ++loadSeq;
	current = name;
	$('screen-menu').value = name;
	$('parent-btn').disabled = !s.parent;
	if (push)
		writeHash(name, currentView);
	document.title = `SMVE — ${s.name}`;
	try {
		const [svgText, recs] = await Promise.all([
			api.text(s.url),
			loadElements(name).catch((e) => { toast(`Element records: ${e.message}`, 'warn'); return []; }),
		]);
		if (seq !== loadSeq)
			return;   // the operator already moved on
		const parsed = parseSvg(svgText);
		view.show(parsed);
		elements.clear();
		for (const r of recs)
			if (r && typeof r.tag === 'string')
				elements.set(r.tag, r);
		// Elements known from the sheet but not yet in the feed start from their sheet values.
		for (const r of elements.values()) {
			const e = model.element(r.tag);
			if (e.text === undefined && r.text !== undefined && r.text !== null && r.text !== '')
				e.text = r.text;
		}
		binder.bindAll();
		$('screen').dataset.screen = name;
		$('screen').dataset.tagged = String(view.tagged.size);
	} catch (e) {
		$('screen').replaceChildren(el('p', { class: 'error' }, `Screen ${name}: ${e.message}`));
	}
}

function navigate(target) {
	if (!tree.get(target)) {
		toast(`No screen named ${target}`, 'warn');
		return;
	}
	if (currentView !== 'diagram')
		showView('diagram');
	openScreen(target);
}

// ---- feed state --------------------------------------------------------------------------
let bannerTimer = null;
function feedState(state, info) {
	const pill = $('feed-state');
	pill.dataset.state = state;
	pill.textContent = state === 'live' ? 'live' : state;
	document.body.classList.toggle('feed-down', state !== 'live');
	clearInterval(bannerTimer);
	const banner = $('feed-banner');
	if (state === 'live') {
		banner.hidden = true;
		return;
	}
	const draw = () => {
		banner.hidden = false;
		const since = info.since ? new Date(info.since) : null;
		banner.textContent = `Live data feed lost since ${since ? formatTime(info.since * 1000).slice(11, 19) : '—'} ` +
			`(${since ? formatAgo(Date.now() - info.since) : ''}): values shown are the last known and may be out of date. ` +
			(info.detail ? `${info.detail[0].toUpperCase()}${info.detail.slice(1)}.` : 'Reconnecting…');
		banner.dataset.since = String(info.since || 0);
	};
	// A brief "connecting" at startup is not a loss worth shouting about.
	if (state === 'connecting') {
		bannerTimer = setTimeout(draw, 3000);
		return;
	}
	draw();
	bannerTimer = setInterval(draw, 1000);
	// A WebSocket refused for lack of a session looks like any other failure to the page: after a
	// few attempts ask the server whether the session is still valid, and offer the login if not.
	if (state === 'lost' && info.attempt === 3 && $('login').hidden)
		session.load().then((okay) => { if (!okay) loginForm($('login'), session); }).catch(() => {});
}

// ---- sound -------------------------------------------------------------------------------
function soundState(state, alarm) {
	const b = $('sound-enable');
	b.dataset.state = state;
	document.body.dataset.alarm = state;
	// Plain words: an operator console may lack emoji fonts, and the state must read unambiguously.
	const labels = { disabled: 'Enable sound', off: 'Sound: off', idle: 'Sound: on', ringing: 'Sound: ALARM', silenced: 'Sound: silenced', unsupported: 'No audio' };
	b.textContent = labels[state] || state;
	$('sound-silence').disabled = state !== 'ringing';
	$('sound-volume').value = String(alarm.volume);
}

const alarm = new Alarm(soundState);
const events = new EventList({
	root: $('view-events'), banner: $('alarm-banner'), session,
	onUnattendedChange: (n, ev) => alarm.setUnattended(n, !!ev && ev.alarm && !ev.attended_us),
});
const values = new ValuesView($('view-values'), model, (tag) => openTrend(tag));
const trend = new TrendView($('view-trend'), model);
const energy = new EnergyView($('view-energy'), model);

function openTrend(tag) {
	showView('trend');
	writeHash(current, 'trend');
	trend.show(tag);
}

new ClickHandler({
	view, model, session, elements, navigate, openTrend,
	openControl: (tag) => openControl({ tag, model, session }),
});

// ---- start -------------------------------------------------------------------------------
async function start() {
	initTheme();
	$('sound-enable').onclick = () => (alarm.enabled ? alarm.disable() : alarm.enable());
	$('sound-silence').onclick = () => alarm.silence();
	$('sound-volume').oninput = (e) => alarm.setVolume(e.target.value);
	soundState(alarm.state(), alarm);
	for (const a of document.querySelectorAll('.tabs a'))
		a.onclick = (e) => { e.preventDefault(); showView(a.dataset.view); writeHash(current, a.dataset.view); };
	$('screen-menu').onchange = (e) => navigate(e.target.value);
	$('parent-btn').onclick = () => { const p = tree.get(current)?.parent; if (p) navigate(p); };
	$('logout-btn').onclick = () => (session.user ? session.logout() : loginForm($('login'), session));
	session.onChange((s) => {
		$('user').textContent = s.user ? `${s.user} (${s.role})` : s.role;
		$('logout-btn').hidden = false;
		$('logout-btn').textContent = s.user ? 'Log out' : 'Log in';
		for (const b of document.querySelectorAll('.needs-operator'))
			b.disabled = !s.canOperate();
		events.render();
		events.renderBanner();
	});

	try {
		if (!await session.load())
			await loginForm($('login'), session);
	} catch (e) {
		$('screen').replaceChildren(el('p', { class: 'error' }, `Cannot reach smved: ${e.message}. Reload to retry.`));
		return;
	}
	api.get('/api/v1/colors').then((c) => { binder.setPalette(Array.isArray(c) ? c : c?.colors); binder.bindAll(); }).catch(() => {});

	const feed = new Feed({
		// The feed's hello says who the server thinks we are (a restarted smved may have dropped the
		// session): the header and the enabled controls follow it.
		onHello: (h) => {
			if (typeof h.role === 'string' && (h.user !== session.user || h.role !== session.role))
				session.set(h.user || '', h.role);
		},
		onDict: (d) => { model.setDict(d); binder.schedule(); },
		onPoints: (updates, snapshot) => {
			model.apply(updates);
			if (snapshot)
				binder.bindAll();
			else
				binder.schedule();
		},
		onEvent: (ev) => {
			events.add(ev);
			window.dispatchEvent(new CustomEvent('smve-event', { detail: ev }));
		},
		onAck: (a) => events.ack(a),
		onState: feedState,
		onServerError: (m) => toast(`Server: ${m}`, 'error'),
	});
	feed.start();
	events.loadUnattended();

	try {
		await tree.load();
	} catch (e) {
		$('screen').replaceChildren(el('p', { class: 'error' }, `Screen list: ${e.message}`));
	}
	buildMenu($('screen-menu'), tree);
	const h = readHash();
	showView(h.view);
	const first = h.screen && tree.get(h.screen) ? h.screen : tree.root;
	if (first)
		openScreen(first, { push: false });
	else
		$('screen').replaceChildren(el('p', { class: 'note' }, 'No screens configured.'));
	window.addEventListener('popstate', () => {
		const hh = readHash();
		showView(hh.view);
		if (hh.screen && hh.screen !== current)
			openScreen(hh.screen, { push: false });
	});
	// Read-only handles for diagnostics and the browser tests; nothing here can change state.
	Object.defineProperty(window, 'smve', { value: Object.freeze({
		stats: binder.stats, feed: () => ({ state: feed.state, lastEventId: feed.lastEventId, attempt: feed.attempt }),
		alarm: () => ({ state: alarm.state(), beeps: alarm.beeps, volume: alarm.volume, unattended: alarm.unattended }),
		current: () => current,
	}) });
}

start();
