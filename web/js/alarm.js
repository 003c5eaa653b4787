// Audible alarm (spec §9.9): a short beep, repeated 300 ms after each play ends, while at least one
// alarm is unattended.  Browsers only let a page make sound after a user gesture, so the operator
// enables sound once with a visible button; "silence" stops the sound without attending, until the
// next new alarm arrives.  The beep is synthesised with WebAudio: no binary asset.
const BEEP_MS = 250;
const GAP_MS = 300;
const STORE_KEY = 'smve.alarm';

export class Alarm {
	constructor(onState) {
		this.onState = onState;
		this.ctx = null;
		this.enabled = false;       // user gesture given and sound wanted
		this.silenced = false;
		this.volume = 1.0;
		this.unattended = 0;
		this.playing = false;
		this.beeps = 0;
		this.timer = null;
		try {
			const saved = JSON.parse(localStorage.getItem(STORE_KEY) || '{}');
			if (typeof saved.volume === 'number' && saved.volume >= 0 && saved.volume <= 1)
				this.volume = saved.volume;
			this.wanted = saved.wanted !== false;
		} catch (e) {
			this.wanted = true;
		}
	}

	save() {
		try {
			localStorage.setItem(STORE_KEY, JSON.stringify({ volume: this.volume, wanted: this.enabled }));
		} catch (e) { /* private mode: settings just do not persist */ }
	}

	// Must run inside a user gesture (click), or the AudioContext stays suspended.
	async enable() {
		if (!this.ctx) {
			const AC = window.AudioContext || window.webkitAudioContext;
			if (!AC) {
				this.report('unsupported');
				return false;
			}
			this.ctx = new AC();
		}
		try {
			await this.ctx.resume();
		} catch (e) { /* reported through state below */ }
		this.enabled = this.ctx.state === 'running';
		this.save();
		this.update();
		return this.enabled;
	}

	disable() {
		this.enabled = false;
		this.save();
		this.update();
	}

	setVolume(v) {
		const n = Number(v);
		if (Number.isFinite(n))
			this.volume = Math.min(1, Math.max(0, n));
		this.save();
		this.report();
	}

	silence() {
		this.silenced = true;
		this.update();
	}

	// count: unattended alarms now; isNew: a new alarm arrived (lifts the silence).
	setUnattended(count, isNew) {
		this.unattended = count;
		if (isNew)
			this.silenced = false;
		if (count === 0)
			this.silenced = false;
		this.update();
	}

	state() {
		if (!this.ctx && !this.enabled)
			return 'disabled';
		if (!this.enabled)
			return 'off';
		if (this.unattended === 0)
			return 'idle';
		return this.silenced ? 'silenced' : 'ringing';
	}

	report(forced) {
		this.onState?.(forced || this.state(), this);
	}

	update() {
		const ring = this.enabled && !this.silenced && this.unattended > 0;
		if (ring && !this.playing) {
			this.playing = true;
			this.beep();
		}
		// Stopping is lazy: the loop checks before each beep, so the current one finishes (§9.9).
		this.report();
	}

	beep() {
		const ring = this.enabled && !this.silenced && this.unattended > 0;
		if (!ring || !this.ctx) {
			this.playing = false;
			this.report();
			return;
		}
		const t = this.ctx.currentTime;
		const osc = this.ctx.createOscillator();
		const gain = this.ctx.createGain();
		osc.type = 'square';
		osc.frequency.setValueAtTime(880, t);
		osc.frequency.setValueAtTime(660, t + BEEP_MS / 2000);
		// Short ramps avoid clicks; 0.3 keeps full volume loud but not painful.
		gain.gain.setValueAtTime(0, t);
		gain.gain.linearRampToValueAtTime(0.3 * this.volume, t + 0.01);
		gain.gain.setValueAtTime(0.3 * this.volume, t + BEEP_MS / 1000 - 0.02);
		gain.gain.linearRampToValueAtTime(0, t + BEEP_MS / 1000);
		osc.connect(gain).connect(this.ctx.destination);
		osc.start(t);
		osc.stop(t + BEEP_MS / 1000);
		this.beeps++;
		osc.onended = () => {
			osc.disconnect();
			gain.disconnect();
		};
		// Paced by a timer rather than onended: a machine without an audio device (or a suspended
		// output) may never end the oscillator, and the loop must not stall with it.
		this.timer = setTimeout(() => this.beep(), BEEP_MS + GAP_MS);
	}
}
