// Browser suite entry: runs every test group in one headless Chromium and prints TAP.
import { launch } from './lib/browser.mjs';
import { done, failures, note, ok } from './lib/tap.mjs';

const ALL = ['demo', 'alarms', 'tools', 'real', 'limits', 'e4'];
const groups = process.argv.slice(2).length ? process.argv.slice(2) : ALL;
const t0 = Date.now();
const { ctx, close } = await launch();
try {
	for (const g of groups) {
		const mod = await import(`./t-${g}.mjs`);
		await mod.run(ctx);
	}
} catch (e) {
	ok(false, `suite aborted: ${e.message}`, e.stack);
} finally {
	await close();
}
note(`browser suite: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
done();
process.exit(failures ? 1 : 0);
