// An independent evaluator of nguru's formula language (spec §9.3) for the browser tests: the
// expectations for the E4 diagram are computed here, never by smved's evaluator or the HMI.
// Values are tagged {t, v}: i integer, f real, s string, b boolean, n None, e element, l sequence.
const I = (v) => ({ t: 'i', v: Math.trunc(v) }), F = (v) => ({ t: 'f', v }), S = (v) => ({ t: 's', v });
const B = (v) => ({ t: 'b', v: !!v }), N = { t: 'n', v: null };
export class FormulaError extends Error {}
const fail = (m) => { throw new FormulaError(m); };

function truthy(x) {
	switch (x.t) {
	case 'i': case 'f': return x.v !== 0;
	case 's': return x.v !== '';
	case 'b': return x.v;
	case 'n': return false;
	case 'l': return x.v.length > 0;
	default: return true;
	}
}
const isNum = (x) => x.t === 'i' || x.t === 'f' || x.t === 'b';
const numv = (x) => (x.t === 'b' ? (x.v ? 1 : 0) : x.v);

// Python's repr of a float: shortest round trip, ".0" for integral values, exponent below 1e-4 and
// from 1e16 with a two-digit signed exponent.
export function pyFloatStr(x) {
	if (Number.isNaN(x)) return 'nan';
	if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
	const a = Math.abs(x);
	if (a !== 0 && (a < 1e-4 || a >= 1e16)) {
		const [m, e] = x.toExponential().split('e');
		const ex = Number(e);
		return `${m}e${ex < 0 ? '-' : '+'}${String(Math.abs(ex)).padStart(2, '0')}`;
	}
	const s = String(x);
	return Number.isInteger(x) ? `${s}.0` : s;
}

export function pyStr(x) {
	switch (x.t) {
	case 'i': return String(x.v);
	case 'f': return pyFloatStr(x.v);
	case 's': return x.v;
	case 'b': return x.v ? 'True' : 'False';
	case 'n': return 'None';
	default: return String(x.v);
	}
}

// ---- lexer and parser ----------------------------------------------------------------------
function lex(src) {
	const out = [];
	const re = /\s*(?:(\d+\.\d*|\.\d+|\d+)|('[^']*'|"[^"]*")|([A-Za-z_][A-Za-z0-9_]*)|(\*\*|==|!=|<>|<=|>=|[-+*/%()<>=,.:]))/y;
	let i = 0;
	while (i < src.length) {
		if (/^\s*$/.test(src.slice(i))) break;
		re.lastIndex = i;
		const m = re.exec(src);
		if (!m) fail(`syntax: unexpected "${src.slice(i, i + 10)}"`);
		i = re.lastIndex;
		if (m[1]) out.push({ k: 'num', v: m[1] });
		else if (m[2]) out.push({ k: 'str', v: m[2].slice(1, -1) });
		else if (m[3]) out.push({ k: 'name', v: m[3] });
		else out.push({ k: 'op', v: m[4] });
	}
	out.push({ k: 'end' });
	return out;
}

export function compile(src) {
	const toks = lex(src);
	let p = 0;
	const peek = () => toks[p];
	const isOp = (v) => toks[p].k === 'op' && toks[p].v === v;
	const isKw = (v) => toks[p].k === 'name' && toks[p].v.toLowerCase() === v;
	const eat = (v) => { if (!isOp(v)) fail(`syntax: expected "${v}"`); p++; };
	const expr = () => {
		if (isKw('lambda')) {
			p++;
			const name = peek().v;
			p++;
			eat(':');
			const body = expr();
			return (env) => ({ t: 'fn', v: (arg) => body({ ...env, [name]: arg }) });
		}
		return disj();
	};
	const disj = () => {
		let l = conj();
		while (isKw('or')) { p++; const a = l, b = conj(); l = (env) => { const x = a(env); return truthy(x) ? x : b(env); }; }
		return l;
	};
	const conj = () => {
		let l = neg();
		while (isKw('and')) { p++; const a = l, b = neg(); l = (env) => { const x = a(env); return truthy(x) ? b(env) : x; }; }
		return l;
	};
	const neg = () => {
		if (isKw('not')) { p++; const a = neg(); return (env) => B(!truthy(a(env))); }
		return cmp();
	};
	const cmp = () => {
		const l = sum();
		const t = peek();
		if (t.k === 'op' && ['=', '==', '!=', '<>', '<', '<=', '>', '>='].includes(t.v)) {
			p++;
			const r = sum();
			return (env) => compare(t.v, l(env), r(env));
		}
		return l;
	};
	const bin = (next, ops) => () => {
		let l = next();
		while (peek().k === 'op' && ops.includes(peek().v)) {
			const op = peek().v;
			p++;
			const a = l, b = next();
			l = (env) => arith(op, a(env), b(env));
		}
		return l;
	};
	const unary = () => {
		if (isOp('-') || isOp('+')) {
			const op = peek().v;
			p++;
			const a = unary();
			return (env) => { const x = a(env); if (!isNum(x)) fail('TypeError: bad operand for unary'); return op === '-' ? (x.t === 'f' ? F(-x.v) : I(-numv(x))) : x; };
		}
		return power();
	};
	const power = () => {
		const base = primary();
		if (isOp('**')) { p++; const e = unary(); return (env) => arith('**', base(env), e(env)); }
		return base;
	};
	const term = bin(unary, ['*', '/', '%']);
	const sum = bin(term, ['+', '-']);
	const primary = () => {
		const t = peek();
		if (t.k === 'num') { p++; return t.v.includes('.') ? () => F(Number(t.v)) : () => I(Number(t.v)); }
		if (t.k === 'str') { p++; return () => S(t.v); }
		if (isOp('(')) { p++; const e = expr(); eat(')'); return e; }
		if (t.k !== 'name') fail(`syntax: unexpected ${t.v ?? 'end'}`);
		p++;
		const name = t.v;
		if (name === 'None') return () => N;
		if (name === 'True') return () => B(true);
		if (name === 'False') return () => B(false);
		if (isOp('(')) {
			p++;
			const args = [];
			if (!isOp(')')) { args.push(expr()); while (isOp(',')) { p++; args.push(expr()); } }
			eat(')');
			return call(name.toLowerCase(), args, name);
		}
		if ((name === 'ai' || name === 'di' || name === 'eg') && isOp('.')) {
			p++;
			const tag = peek().v; p++;
			eat('.');
			const attr = peek().v; p++;
			return (env) => env.ref(name, tag, attr);
		}
		if (name === 'eg') return (env) => env.allElements();
		if (isOp('.')) {
			p++;
			const attr = peek().v; p++;
			return (env) => { const e = env[name]; if (!e || e.t !== 'e') fail(`NameError: ${name}`); return env.elemAttr(e.v, attr); };
		}
		return (env) => (env[name] !== undefined ? env[name] : fail(`NameError: ${name}`));
	};
	const f = expr();
	if (peek().k !== 'end') fail(`syntax: trailing ${peek().v}`);
	return f;
}

function compare(op, a, b) {
	let r;
	if (op === '=' || op === '==' || op === '!=' || op === '<>') {
		let eq;
		if (isNum(a) && isNum(b)) eq = numv(a) === numv(b);
		else if (a.t !== b.t) eq = false;
		else eq = a.v === b.v;
		r = op === '=' || op === '==' ? eq : !eq;
	} else {
		if (!((isNum(a) && isNum(b)) || (a.t === 's' && b.t === 's'))) fail('TypeError: unorderable');
		const x = isNum(a) ? numv(a) : a.v, y = isNum(b) ? numv(b) : b.v;
		r = op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
	}
	return B(r);
}

function arith(op, a, b) {
	if (op === '+' && a.t === 's' && b.t === 's') return S(a.v + b.v);
	if (!isNum(a) || !isNum(b)) fail(`TypeError: unsupported operand for ${op}`);
	const x = numv(a), y = numv(b);
	const ints = a.t !== 'f' && b.t !== 'f';
	switch (op) {
	case '+': return ints ? I(x + y) : F(x + y);
	case '-': return ints ? I(x - y) : F(x - y);
	case '*': return ints ? I(x * y) : F(x * y);
	case '/': if (y === 0) fail('ZeroDivisionError: division by zero'); return F(x / y);
	case '%': if (y === 0) fail('ZeroDivisionError: modulo by zero'); { const m = x - Math.floor(x / y) * y; return ints ? I(m) : F(m); }
	case '**': return ints && y >= 0 ? I(x ** y) : F(x ** y);
	default: return fail(`bad operator ${op}`);
	}
}

function seqOf(x) {
	if (x.t !== 'l') fail('TypeError: not a sequence');
	return x.v;
}

function call(name, args, orig) {
	const ev = (env) => args.map((a) => a(env));
	const n = args.length;
	switch (name) {
	case 'si':
		if (n !== 3) fail('TypeError: SI takes 3 arguments');
		return (env) => (truthy(args[0](env)) ? args[1](env) : args[2](env));
	case 'o':
		return (env) => { for (const a of args) { const x = a(env); if (truthy(x)) return x; } return N; };
	case 'raiz':
		return (env) => { const [x] = ev(env); if (!isNum(x)) fail('TypeError: RAIZ'); if (numv(x) < 0) fail('ValueError: math domain error'); return F(Math.sqrt(numv(x))); };
	case 'suma':
		return (env) => {
			const xs = ev(env);
			const items = xs.length === 1 && xs[0].t === 'l' ? xs[0].v : xs;
			return items.reduce((acc, x) => arith('+', acc, x), I(0));
		};
	case 'aplicar':
		return (env) => { const [f, s] = ev(env); return { t: 'l', v: seqOf(s).map((x) => f.v(x)) }; };
	case 'filtrar':
		return (env) => { const [f, s] = ev(env); return { t: 'l', v: seqOf(s).filter((x) => truthy(f.v(x))) }; };
	case 'str':
		return (env) => S(pyStr(ev(env)[0]));
	case 'int':
		return (env) => {
			const [x] = ev(env);
			if (isNum(x)) return I(Math.trunc(numv(x)));
			if (x.t === 's' && /^\s*[-+]?\d+\s*$/.test(x.v)) return I(parseInt(x.v, 10));
			return fail(`ValueError: invalid literal for int(): '${x.v}'`);
		};
	case 'float':
		// FLOAT(x, n=3) formats (nguru's helper); float(x) converts (Python).  Same name but for
		// the case, so the spelling decides, and two arguments always mean formatting.
		if (orig === 'FLOAT' || n === 2)
			return (env) => {
				const [x, d] = ev(env);
				if (!isNum(x)) fail('TypeError: FLOAT');
				return S(numv(x).toFixed(d ? numv(d) : 3));
			};
		return (env) => {
			const [x] = ev(env);
			if (isNum(x)) return F(numv(x));
			if (x.t === 's' && x.v.trim() !== '' && Number.isFinite(Number(x.v))) return F(Number(x.v));
			return fail(`ValueError: could not convert string to float: '${x.v}'`);
		};
	case 'abs':
		return (env) => { const [x] = ev(env); return x.t === 'f' ? F(Math.abs(x.v)) : I(Math.abs(numv(x))); };
	case 'len':
		return (env) => { const [x] = ev(env); return I(x.t === 's' ? x.v.length : seqOf(x).length); };
	default:
		return fail(`NameError: function ${name}`);
	}
}

export const Value = { I, F, S, B, N, truthy, pyStr };
