// Minimal TAP producer for the browser suite: every check prints one "ok"/"not ok" line, a test
// that throws is a failure with its message, and skips say why (never counted as passes).
let n = 0;
export let failures = 0;

export function ok(cond, name, diag) {
	n++;
	if (cond) {
		console.log(`ok ${n} - ${name}`);
	} else {
		failures++;
		console.log(`not ok ${n} - ${name}`);
		if (diag !== undefined)
			for (const l of String(typeof diag === 'string' ? diag : JSON.stringify(diag, null, 1)).split('\n').slice(0, 40))
				console.log(`#   ${l}`);
	}
	return !!cond;
}

export function skip(name, why) {
	n++;
	console.log(`ok ${n} - ${name} # SKIP ${why}`);
}

export function note(msg) {
	for (const l of String(msg).split('\n'))
		console.log(`# ${l}`);
}

// Runs one named test body; an exception becomes a failed line instead of ending the suite.
export async function test(name, fn) {
	const t0 = Date.now();
	try {
		await fn();
	} catch (e) {
		ok(false, `${name}: ${e.message.split('\n')[0]}`, e.stack);
	}
	note(`${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

export function done() {
	console.log(`1..${n}`);
}
