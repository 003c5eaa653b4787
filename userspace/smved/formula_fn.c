// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Built-in functions of the formula language (spec §9.3) and Python's
 * conversions: str() with repr(float)'s shortest round-trip form, int()
 * and float() with Python's string syntax, round() with ties to even.
 * Messages copy Python's so that an operator who knew nguru recognises
 * them.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formula_impl.h"

const struct ffn_info ffn_table[F_COUNT] = {
	[F_SI] = { "SI", 3, 3 },
	[F_O] = { "O", 1, 255 },
	[F_RAIZ] = { "RAIZ", 1, 1 },
	[F_SUMA] = { "SUMA", 1, 255 },
	[F_APLICAR] = { "APLICAR", 2, 2 },
	[F_FILTRAR] = { "FILTRAR", 2, 2 },
	[F_FLOAT] = { "FLOAT", 1, 2 },
	[F_STR] = { "str", 0, 1 },
	[F_INT] = { "int", 0, 1 },
	[F_FLOATCONV] = { "float", 0, 1 },
	[F_ABS] = { "abs", 1, 1 },
	[F_ROUND] = { "round", 1, 2 },
	[F_MIN] = { "min", 1, 255 },
	[F_MAX] = { "max", 1, 255 },
	[F_LEN] = { "len", 1, 1 },
};

/* --- text output ---------------------------------------------------------- */

/* Bounded text builder: counts what would have been written past the end. */
struct wbuf {
	char *p;
	size_t len, cap;	/* cap includes the NUL */
};

static void wput(struct wbuf *w, const char *s, size_t n)
{
	if (w->len < w->cap) {
		size_t room = w->cap - 1 - w->len;

		memcpy(w->p + w->len, s, n < room ? n : room);
		w->p[w->len + (n < room ? n : room)] = '\0';
	}
	w->len += n;
}

static void wputs(struct wbuf *w, const char *s)
{
	wput(w, s, strlen(s));
}

int formula_real_repr(double x, char *buf, size_t cap)
{
	char e[40], digits[24];
	int prec, exp10, nd = 0, decpt, i;
	struct wbuf w = { buf, 0, cap };
	const char *q;

	if (isnan(x))
		return snprintf(buf, cap, "nan");
	if (isinf(x))
		return snprintf(buf, cap, x < 0 ? "-inf" : "inf");
	if (x == 0.0)
		return snprintf(buf, cap, signbit(x) ? "-0.0" : "0.0");
	/* Shortest %.Ne that reads back exactly: what repr() prints. */
	for (prec = 1; prec <= 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec - 1, x);
		if (strtod(e, NULL) == x)
			break;
	}
	q = e;
	if (*q == '-')
		q++;
	for (; *q && *q != 'e'; q++)
		if (*q >= '0' && *q <= '9' && nd < (int)sizeof(digits) - 1)
			digits[nd++] = *q;
	exp10 = atoi(q + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	decpt = exp10 + 1;
	buf[0] = '\0';
	if (x < 0)
		wputs(&w, "-");
	if (decpt > -4 && decpt <= 16) {
		if (decpt <= 0) {
			wputs(&w, "0.");
			for (i = 0; i < -decpt; i++)
				wputs(&w, "0");
			wputs(&w, digits);
		} else if (decpt >= nd) {
			wputs(&w, digits);
			for (i = nd; i < decpt; i++)
				wputs(&w, "0");
			wputs(&w, ".0");
		} else {
			wput(&w, digits, (size_t)decpt);
			wputs(&w, ".");
			wputs(&w, digits + decpt);
		}
	} else {
		char ex[16];

		wput(&w, digits, 1);
		if (nd > 1) {
			wputs(&w, ".");
			wputs(&w, digits + 1);
		}
		snprintf(ex, sizeof(ex), "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
		wputs(&w, ex);
	}
	return (int)w.len;
}

/* Python's repr() of a string. */
static void wrepr_str(struct wbuf *w, const char *s, uint32_t n)
{
	char q = memchr(s, '\'', n) && !memchr(s, '"', n) ? '"' : '\'';
	uint32_t i;

	wput(w, &q, 1);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		char esc[8];

		if (ch == '\\' || ch == (unsigned char)q) {
			esc[0] = '\\';
			esc[1] = (char)ch;
			wput(w, esc, 2);
		} else if (ch == '\n') {
			wputs(w, "\\n");
		} else if (ch == '\r') {
			wputs(w, "\\r");
		} else if (ch == '\t') {
			wputs(w, "\\t");
		} else if (ch < 0x20 || ch == 0x7F) {
			snprintf(esc, sizeof(esc), "\\x%02x", ch);
			wputs(w, esc);
		} else {
			wput(w, (const char *)&ch, 1);
		}
	}
	wput(w, &q, 1);
}

static int wvalue(struct wbuf *w, const struct formula_value *v,
		  const struct formula_resolver *r, bool repr, int depth)
{
	char b[40];
	uint32_t i;

	switch (v->type) {
	case FV_NONE:
		wputs(w, "None");
		return 0;
	case FV_BOOL:
		wputs(w, v->i ? "True" : "False");
		return 0;
	case FV_INT:
		snprintf(b, sizeof(b), "%lld", (long long)v->i);
		wputs(w, b);
		return 0;
	case FV_REAL:
		formula_real_repr(v->r, b, sizeof(b));
		wputs(w, b);
		return 0;
	case FV_STR:
		if (repr)
			wrepr_str(w, v->s.p, v->s.len);
		else
			wput(w, v->s.p, v->s.len);
		return 0;
	case FV_SEQ:
		if (depth > FORMULA_DEPTH_MAX)
			return -1;
		wputs(w, "[");
		for (i = 0; i < v->seq.n && w->len < w->cap; i++) {
			if (i)
				wputs(w, ", ");
			if (wvalue(w, &v->seq.v[i], r, true, depth + 1))
				return -1;
		}
		if (i < v->seq.n)
			w->len += 1;	/* truncated: report a length beyond cap */
		wputs(w, "]");
		return 0;
	case FV_ELEM: {
		/* nguru's element record printed as its tag. */
		struct formula_value t;
		char msg[FORMULA_ERR_MAX];

		if (!r || !r->read || r->read(r->ctx, FORMULA_NS_EG, v->elem, FORMULA_A_TAG, &t, msg) ||
		    t.type != FV_STR || t.s.len > FORMULA_STR_MAX)
			return -1;
		wput(w, t.s.p, t.s.len);
		return 0;
	}
	default:
		return -1;
	}
}

int formula_str(const struct formula_value *v, const struct formula_resolver *r,
		char *buf, size_t cap)
{
	struct wbuf w = { buf, 0, cap };

	if (cap)
		buf[0] = '\0';
	if (wvalue(&w, v, r, false, 0))
		return -1;
	return w.len > INT32_MAX ? INT32_MAX : (int)w.len;
}

int fstr(struct ectx *c, const struct formula_value *v, struct formula_value *out)
{
	char buf[FORMULA_STR_MAX + 1];
	int n;

	if (v->type == FV_STR) {
		*out = *v;
		return 0;
	}
	n = formula_str(v, c->r, buf, sizeof(buf));
	if (n < 0)
		return ferr(c, "TypeError", "cannot convert %s to str", ftype_name(v));
	return fmkstr(c, buf, (size_t)n, out);
}

/* --- conversions ---------------------------------------------------------- */

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* The string without Python's surrounding whitespace. */
static void strip(const struct formula_value *v, const char **p, size_t *n)
{
	const char *s = v->s.p;
	size_t len = v->s.len;

	while (len && is_space(*s)) {
		s++;
		len--;
	}
	while (len && is_space(s[len - 1]))
		len--;
	*p = s;
	*n = len;
}

/* Copy digits (and Python's single underscores between digits) from s[*i]. */
static size_t take_digits(const char *s, size_t n, size_t *i, char *out, size_t *o, size_t cap)
{
	size_t got = 0;

	while (*i < n) {
		if (s[*i] >= '0' && s[*i] <= '9') {
			if (*o + 1 >= cap)
				return 0;
			out[(*o)++] = s[(*i)++];
			got++;
		} else if (s[*i] == '_' && got && *i + 1 < n && s[*i + 1] >= '0' && s[*i + 1] <= '9') {
			(*i)++;
		} else {
			break;
		}
	}
	return got;
}

static int bad_literal(struct ectx *c, const char *what, const struct formula_value *v)
{
	char b[64];
	struct wbuf w = { b, 0, sizeof(b) };

	wrepr_str(&w, v->s.p, v->s.len > 40 ? 40 : v->s.len);
	return ferr(c, "ValueError", "%s%s", what, b);
}

static int to_int(struct ectx *c, const struct formula_value *v, struct formula_value *out)
{
	out->type = FV_INT;
	switch (v->type) {
	case FV_BOOL:
	case FV_INT:
		out->i = v->i;
		return 0;
	case FV_REAL:
		if (isnan(v->r))
			return ferr(c, "ValueError", "cannot convert float NaN to integer");
		if (isinf(v->r))
			return ferr(c, "OverflowError", "cannot convert float infinity to integer");
		if (v->r >= 9223372036854775808.0 || v->r < -9223372036854775808.0)
			return ferr(c, "OverflowError", "integer exceeds 64 bits");
		out->i = (int64_t)v->r;	/* C truncates toward zero, like int() */
		return 0;
	case FV_STR: {
		const char *s;
		size_t n, i = 0, o = 0;
		char buf[32];

		strip(v, &s, &n);
		if (i < n && (s[i] == '+' || s[i] == '-'))
			buf[o++] = s[i++];
		if (!take_digits(s, n, &i, buf, &o, sizeof(buf)) || i != n)
			return bad_literal(c, "invalid literal for int() with base 10: ", v);
		buf[o] = '\0';
		errno = 0;
		out->i = strtoll(buf, NULL, 10);
		if (errno == ERANGE)
			return ferr(c, "OverflowError", "integer exceeds 64 bits");
		return 0;
	}
	default:
		return ferr(c, "TypeError",
			    "int() argument must be a string, a bytes-like object or a real number, not '%s'",
			    ftype_name(v));
	}
}

static int to_real(struct ectx *c, const struct formula_value *v, struct formula_value *out)
{
	const char *s;
	size_t n, i = 0, o = 0, mant;
	char buf[400];

	out->type = FV_REAL;
	if (fis_num(v)) {
		out->r = fnum(v);
		return 0;
	}
	if (v->type != FV_STR)
		return ferr(c, "TypeError", "float() argument must be a string or a real number, not '%s'",
			    ftype_name(v));
	strip(v, &s, &n);
	if (i < n && (s[i] == '+' || s[i] == '-'))
		buf[o++] = s[i++];
	if (n - i == 3 || n - i == 8) {
		if ((n - i == 3 && (!strncasecmp(s + i, "inf", 3) || !strncasecmp(s + i, "nan", 3))) ||
		    (n - i == 8 && !strncasecmp(s + i, "infinity", 8))) {
			bool neg = o && buf[0] == '-';

			out->r = (s[i] | 0x20) == 'n' ? NAN : neg ? -INFINITY : INFINITY;
			return 0;
		}
	}
	mant = take_digits(s, n, &i, buf, &o, sizeof(buf));
	if (i < n && s[i] == '.') {
		buf[o++] = s[i++];
		mant += take_digits(s, n, &i, buf, &o, sizeof(buf));
	}
	if (mant && i < n && (s[i] == 'e' || s[i] == 'E')) {
		buf[o++] = s[i++];
		if (i < n && (s[i] == '+' || s[i] == '-'))
			buf[o++] = s[i++];
		if (!take_digits(s, n, &i, buf, &o, sizeof(buf)))
			mant = 0;
	}
	if (!mant || i != n || o >= sizeof(buf))
		return bad_literal(c, "could not convert string to float: ", v);
	buf[o] = '\0';
	out->r = strtod(buf, NULL);
	return 0;
}

/* --- iteration ------------------------------------------------------------ */

/* The items of a sequence, or the characters (code points) of a string. */
static int fiter(struct ectx *c, const struct formula_value *v,
		 const struct formula_value **items, uint32_t *n)
{
	struct formula_value *out;
	uint32_t i, k = 0;

	if (v->type == FV_SEQ) {
		*items = v->seq.v;
		*n = v->seq.n;
		return 0;
	}
	if (v->type != FV_STR)
		return ferr(c, "TypeError", "'%s' object is not iterable", ftype_name(v));
	out = fscratch(c, (v->s.len ? v->s.len : 1) * sizeof(*out));
	if (!out)
		return -1;
	for (i = 0; i < v->s.len; k++) {
		uint32_t j = i + 1;

		while (j < v->s.len && ((unsigned char)v->s.p[j] & 0xC0) == 0x80)
			j++;
		out[k].type = FV_STR;
		out[k].s.p = v->s.p + i;
		out[k].s.len = j - i;
		i = j;
	}
	*items = out;
	*n = k;
	return 0;
}

/* APLICAR and FILTRAR: args[0] is a lambda (the parser made sure). */
static int map_filter(struct ectx *c, const struct fnode *n, struct formula_value *out)
{
	const struct fnode *lam = n->args[0];
	const struct formula_value *items = NULL;
	struct formula_value seqv = { .type = FV_NONE }, r = { .type = FV_NONE }, *res;
	uint32_t cnt = 0, i, k = 0;

	if (feval(c, n->args[1], &seqv) || fiter(c, &seqv, &items, &cnt))
		return -1;
	res = fscratch(c, (cnt ? cnt : 1) * sizeof(*res));
	if (!res)
		return -1;
	for (i = 0; i < cnt; i++) {
		c->param[lam->lam.level] = items[i];
		if (feval(c, lam->lam.body, &r))
			return -1;
		if (n->aux == F_APLICAR)
			res[k++] = r;
		else if (ftruth(&r))
			res[k++] = items[i];
	}
	out->type = FV_SEQ;
	out->seq.v = res;
	out->seq.n = k;
	return 0;
}

/* Arguments of SUMA/min/max: one iterable, or the arguments themselves. */
static int varargs(struct ectx *c, struct formula_value *argv, unsigned int argc,
		   bool iterable_only, const struct formula_value **items, uint32_t *n)
{
	if (argc == 1 && (iterable_only || argv[0].type == FV_SEQ))
		return fiter(c, &argv[0], items, n);
	*items = argv;
	*n = argc;
	return 0;
}

static int minmax(struct ectx *c, bool max, struct formula_value *argv, unsigned int argc,
		  struct formula_value *out)
{
	const struct formula_value *it = NULL;
	uint32_t n = 0, i;
	int cmp = 0;

	if (varargs(c, argv, argc, true, &it, &n))
		return -1;
	if (!n)
		return ferr(c, "ValueError", "%s() arg is an empty sequence", max ? "max" : "min");
	*out = it[0];
	for (i = 1; i < n; i++) {
		if (fcharge(c, 1) || forder(c, &it[i], out, max ? ">" : "<", &cmp))
			return -1;
		if (cmp == (max ? 1 : -1))
			*out = it[i];
	}
	return 0;
}

static int fround(struct ectx *c, struct formula_value *argv, unsigned int argc,
		  struct formula_value *out)
{
	const struct formula_value *x = &argv[0];
	int64_t nd = 0;

	if (!fis_num(x))
		return ferr(c, "TypeError", "type %s doesn't define __round__ method", ftype_name(x));
	if (argc == 2 && argv[1].type != FV_NONE) {
		if (argv[1].type != FV_INT && argv[1].type != FV_BOOL)
			return ferr(c, "TypeError", "'%s' object cannot be interpreted as an integer",
				    ftype_name(&argv[1]));
		nd = argv[1].i;
	}
	if (x->type != FV_REAL) {
		int64_t p = 1, q, r;
		int k;

		out->type = FV_INT;
		out->i = x->i;
		if (nd >= 0)
			return 0;
		if (nd < -18) {
			out->i = 0;
			return 0;
		}
		for (k = 0; k < -nd; k++)
			p *= 10;
		/* Ties to even, on the exact integer: x = q*p + r, 0 <= r < p. */
		q = x->i / p;
		r = x->i % p;
		if (r < 0) {
			q--;
			r += p;
		}
		if (r > p - r || (r == p - r && (q & 1)))
			q++;
		return __builtin_mul_overflow(q, p, &out->i) ? ferr(c, "OverflowError", "integer exceeds 64 bits") : 0;
	}
	if (argc == 1 || argv[1].type == FV_NONE) {
		struct formula_value t = { .type = FV_REAL, .r = rint(x->r) };

		return to_int(c, &t, out);
	}
	out->type = FV_REAL;
	/* A double >= 1 has at most 52 fractional bits, so at most 52 decimals
	 * matter; the bound also keeps the %f output inside the buffer. */
	if (!isfinite(x->r) || nd > 330 || (nd > 60 && fabs(x->r) >= 1.0)) {
		out->r = x->r;
	} else if (nd >= 0) {
		char b[400];

		/* glibc prints the exact binary value correctly rounded, ties to
		 * even: the same digits Python's round() keeps. */
		snprintf(b, sizeof(b), "%.*f", (int)nd, x->r);
		out->r = strtod(b, NULL);
	} else {
		double p = nd < -308 ? INFINITY : pow(10.0, (double)-nd);

		out->r = isinf(p) ? copysign(0.0, x->r) : rint(x->r / p) * p;
	}
	return 0;
}

static int fformat(struct ectx *c, struct formula_value *argv, unsigned int argc,
		   struct formula_value *out)
{
	struct formula_value x = { .type = FV_NONE };
	int64_t nd = 3;
	char b[400];
	int len;

	if (argc == 2) {
		if (argv[1].type != FV_INT && argv[1].type != FV_BOOL)
			return ferr(c, "TypeError", "FLOAT() decimals must be an integer, not '%s'",
				    ftype_name(&argv[1]));
		nd = argv[1].i;
		if (nd < 0 || nd > 20)
			return ferr(c, "ValueError", "FLOAT() decimals must be 0..20, not %lld", (long long)nd);
	}
	if (to_real(c, &argv[0], &x))
		return -1;
	/* At most 309 integer digits + 20 decimals: always fits.  C would
	 * print a negative NaN as "-nan"; Python prints "nan". */
	if (isnan(x.r))
		len = snprintf(b, sizeof(b), "nan");
	else
		len = snprintf(b, sizeof(b), "%.*f", (int)nd, x.r);
	return fmkstr(c, b, (size_t)len, out);
}

int fcall(struct ectx *c, const struct fnode *n, struct formula_value *out)
{
	struct formula_value *argv = NULL, acc;
	const struct formula_value *it = NULL;
	unsigned int argc = n->nargs, i;
	uint32_t cnt = 0;

	/* The parser checked the arity; a tree that disagrees is a bug, not a crash. */
	if (n->aux >= F_COUNT || argc < ffn_table[n->aux].min_args || argc > ffn_table[n->aux].max_args)
		return ferr(c, "TypeError", "bad call");
	if (n->aux == F_APLICAR || n->aux == F_FILTRAR)
		return map_filter(c, n, out);
	/* Never NULL, so argv[0] is readable even for str() with no argument. */
	argv = fscratch(c, (argc ? argc : 1) * sizeof(*argv));
	if (!argv)
		return -1;
	argv[0].type = FV_NONE;
	for (i = 0; i < argc; i++) {
		argv[i].type = FV_NONE;
		if (feval(c, n->args[i], &argv[i]))
			return -1;
	}
	switch (n->aux) {
	case F_O:
		/* nguru's O was a plain function: every argument is evaluated. */
		out->type = FV_NONE;
		for (i = 0; i < argc; i++)
			if (ftruth(&argv[i])) {
				*out = argv[i];
				break;
			}
		return 0;
	case F_RAIZ:
		if (!fis_num(&argv[0]))
			return ferr(c, "TypeError", "must be real number, not %s", ftype_name(&argv[0]));
		if (fnum(&argv[0]) < 0)
			return ferr(c, "ValueError", "math domain error");
		out->type = FV_REAL;
		out->r = sqrt(fnum(&argv[0]));
		return 0;
	case F_SUMA:
		if (varargs(c, argv, argc, false, &it, &cnt))
			return -1;
		acc.type = FV_INT;
		acc.i = 0;
		for (i = 0; i < cnt; i++)
			if (fcharge(c, 1) || fv_add(c, &acc, &it[i], &acc))
				return -1;
		*out = acc;
		return 0;
	case F_FLOAT:
		return fformat(c, argv, argc, out);
	case F_STR:
		if (!argc)
			return fmkstr(c, "", 0, out);
		return fstr(c, &argv[0], out);
	case F_INT:
		if (!argc) {
			out->type = FV_INT;
			out->i = 0;
			return 0;
		}
		return to_int(c, &argv[0], out);
	case F_FLOATCONV:
		if (!argc) {
			out->type = FV_REAL;
			out->r = 0.0;
			return 0;
		}
		return to_real(c, &argv[0], out);
	case F_ABS:
		if (argv[0].type == FV_REAL) {
			out->type = FV_REAL;
			out->r = fabs(argv[0].r);
			return 0;
		}
		if (argv[0].type != FV_INT && argv[0].type != FV_BOOL)
			return ferr(c, "TypeError", "bad operand type for abs(): '%s'", ftype_name(&argv[0]));
		if (argv[0].i == INT64_MIN)
			return ferr(c, "OverflowError", "integer exceeds 64 bits");
		out->type = FV_INT;
		out->i = argv[0].i < 0 ? -argv[0].i : argv[0].i;
		return 0;
	case F_ROUND:
		return fround(c, argv, argc, out);
	case F_MIN:
	case F_MAX:
		return minmax(c, n->aux == F_MAX, argv, argc, out);
	case F_LEN:
		out->type = FV_INT;
		if (argv[0].type == FV_SEQ) {
			out->i = argv[0].seq.n;
			return 0;
		}
		if (argv[0].type == FV_STR) {
			out->i = 0;
			for (i = 0; i < argv[0].s.len; i++)
				out->i += ((unsigned char)argv[0].s.p[i] & 0xC0) != 0x80;
			return 0;
		}
		return ferr(c, "TypeError", "object of type '%s' has no len()", ftype_name(&argv[0]));
	default:
		return ferr(c, "TypeError", "function not callable here");
	}
}
