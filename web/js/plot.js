// uPlot is vendored at build time (web/build.mk → /vendor/uplot/); loading it lazily keeps the
// first paint of the diagram free of it, and a missing copy degrades to a clear message.
let uplotPromise = null;

export function loadUplot() {
	if (!uplotPromise) {
		uplotPromise = import('/vendor/uplot/uPlot.esm.js').then((m) => {
			if (!document.querySelector('link[data-uplot]')) {
				const l = document.createElement('link');
				l.rel = 'stylesheet';
				l.href = '/vendor/uplot/uPlot.min.css';
				l.dataset.uplot = '';
				document.head.append(l);
			}
			return m.default;
		}).catch((e) => {
			uplotPromise = null;
			throw new Error(`plot library not available (/vendor/uplot: ${e.message})`);
		});
	}
	return uplotPromise;
}

export function cssVar(name, fallback) {
	return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

// Axis and grid colours follow the theme.
export function themedAxes(yLabel) {
	const fg = cssVar('--fg', '#ddd');
	const grid = cssVar('--grid', '#444');
	const ax = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } };
	return [ax, { ...ax, label: yLabel, size: 60 }];
}
