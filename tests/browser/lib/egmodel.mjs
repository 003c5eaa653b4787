// Expected diagram state from nguru's sheets and point values, computed with the independent
// evaluator (formula.mjs): every formula is evaluated in passes until nothing changes (formulas in
// a cycle read the previous pass, spec §9.3), a failing formula keeps its attribute.
import { compile, pyStr, FormulaError, Value } from './formula.mjs';
import { readSheet } from './station.mjs';

export function escalaOf(r) {
	if (r.escala !== '' && Number.isFinite(Number(r.escala)))
		return Number(r.escala);
	const m = Number(r.multip_asm), d = Number(r.divider), tv = Number(r.RelTV || 1), ti = Number(r.RelTI || 1);
	return d ? (m * tv * ti) / d : 1;
}

// points: Map tag → {kind, raw, value, q}.  Returns Map tag → {text, fill, stroke, formulas:Set, errors:{}}.
export function expectedElements(dir, points) {
	const eg = readSheet(dir, 'eg.csv');
	const formulas = readSheet(dir, 'formulas.csv').filter((f) => (f.Formula || '').trim());
	const esc = new Map(readSheet(dir, 'ai.csv').filter((r) => r.tag).map((r) => [r.tag, escalaOf(r)]));
	const els = new Map();
	const idx = (s) => (s === '' || s === undefined ? null : Number(s));
	for (const r of eg)
		if (r.tag)
			els.set(r.tag, { tag: r.tag, text: r.text === '' ? '0' : r.text, fill: idx(r.fill), stroke: idx(r.Stroke ?? r.stroke),
				mark: Number(r.mark || 0), formulas: new Set(), errors: {} });
	const compiled = [];
	for (const f of formulas) {
		const attr = f.atributo.trim().toLowerCase();
		const e = els.get(f.tag);
		if (!e || !['text', 'fill', 'stroke'].includes(attr))
			continue;
		try {
			compiled.push({ e, attr, fn: compile(f.Formula), src: f.Formula });
			e.formulas.add(attr);
		} catch (err) {
			e.errors[attr] = err.message;
		}
	}
	const elemVal = (e, attr) => {
		if (attr === 'text') return Value.S(String(e.text));
		if (attr === 'fill' || attr === 'stroke') return e[attr] === null ? Value.N : Value.I(e[attr]);
		if (attr === 'mark') return Value.I(e.mark);
		throw new FormulaError(`AttributeError: ${attr}`);
	};
	const env = {
		ref(ns, tag, attr) {
			if (ns === 'eg') {
				const e = els.get(tag);
				if (!e) throw new FormulaError(`KeyError: eg.${tag}`);
				return elemVal(e, attr);
			}
			const p = points.get(tag);
			if (!p || p.value === null || p.value === undefined) throw new FormulaError(`KeyError: ${ns}.${tag}`);
			if (ns === 'di') {
				if (attr !== 'value') throw new FormulaError(`AttributeError: ${attr}`);
				return Value.I(Number(p.value));
			}
			if (attr === 'value') return Value.I(p.raw & 0xfff);
			if (attr === 'escala') return Value.F(esc.get(tag) ?? 1);
			if (attr === 'q') return Value.I(p.q);
			throw new FormulaError(`AttributeError: ${attr}`);
		},
		allElements: () => ({ t: 'l', v: [...els.values()].map((e) => ({ t: 'e', v: e })) }),
		elemAttr: (e, attr) => elemVal(e, attr),
	};
	for (let pass = 0; pass < 20; pass++) {
		let changed = false;
		for (const c of compiled) {
			let r;
			try {
				r = c.fn(env);
			} catch (err) {
				if (!(err instanceof FormulaError)) throw err;
				c.e.errors[c.attr] = err.message;
				continue;
			}
			delete c.e.errors[c.attr];
			let v;
			if (c.attr === 'text') v = pyStr(r);
			else if (r.t === 'n') v = null;
			else if (r.t === 'i' || r.t === 'b') v = Number(r.v === true ? 1 : r.v === false ? 0 : r.v);
			else { c.e.errors[c.attr] = `TypeError: ${c.attr} must be an integer`; continue; }
			if (c.e[c.attr] !== v) {
				c.e[c.attr] = v;
				changed = true;
			}
		}
		if (!changed)
			break;
	}
	return els;
}
