// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Formula evaluator core: the bounded tree walk, evaluation memory and
 * Python 3's operators (truthiness, equality across int and real, ordering,
 * arithmetic with `/` always real and Python's modulo and power rules).
 * Integers are 64-bit: where Python would grow a big integer we report
 * OverflowError instead.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formula_impl.h"

struct formula_scratch {
	size_t cap, used;
	max_align_t mem[];
};

struct formula_scratch *formula_scratch_new(size_t cap)
{
	struct formula_scratch *s;

	if (!cap)
		cap = FORMULA_SCRATCH_DEFAULT;
	s = malloc(sizeof(*s) + cap);
	if (s) {
		s->cap = cap;
		s->used = 0;
	}
	return s;
}

void formula_scratch_free(struct formula_scratch *s)
{
	free(s);
}

void *fscratch(struct ectx *c, size_t n)
{
	struct formula_scratch *s = c->s;
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (n > s->cap - s->used) {
		ferr(c, "MemoryError", "formula needs more than %zu bytes of memory", s->cap);
		return NULL;
	}
	p = (char *)s->mem + s->used;
	s->used += n;
	return p;
}

int fmkstr(struct ectx *c, const char *p, size_t len, struct formula_value *out)
{
	char *d;

	if (len > FORMULA_STR_MAX)
		return ferr(c, "ValueError", "string longer than %d bytes", FORMULA_STR_MAX);
	d = fscratch(c, len ? len : 1);
	if (!d)
		return -1;
	if (len)
		memcpy(d, p, len);
	out->type = FV_STR;
	out->s.p = d;
	out->s.len = (uint32_t)len;
	return 0;
}

int ferr(struct ectx *c, const char *type, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(c->err, FORMULA_ERR_MAX, "%s: ", type);
	if (n < 0 || n >= FORMULA_ERR_MAX)
		return -1;
	va_start(ap, fmt);
	vsnprintf(c->err + n, FORMULA_ERR_MAX - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

int fcharge(struct ectx *c, unsigned long n)
{
	if (c->steps < n) {
		c->steps = 0;
		return ferr(c, "LimitError", "evaluation step budget exhausted");
	}
	c->steps -= n;
	return 0;
}

bool ftruth(const struct formula_value *v)
{
	switch (v->type) {
	case FV_NONE: return false;
	case FV_BOOL:
	case FV_INT: return v->i != 0;
	case FV_REAL: return v->r != 0.0;	/* NaN is true, as in Python */
	case FV_STR: return v->s.len != 0;
	case FV_SEQ: return v->seq.n != 0;
	default: return true;
	}
}

const char *ftype_name(const struct formula_value *v)
{
	static const char *const names[] = {
		"NoneType", "bool", "int", "float", "str", "list", "element",
	};

	return v->type < sizeof(names) / sizeof(names[0]) ? names[v->type] : "?";
}

/* int64 vs double compared exactly, as Python compares int with float:
 * returns <0, 0, >0, or 2 when @r is NaN. */
static int cmp_int_real(int64_t i, double r)
{
	double d = (double)i;

	if (isnan(r))
		return 2;
	if (d < r)
		return -1;
	if (d > r)
		return 1;
	/* Equal as doubles: decide on the exact integer when r is in range. */
	if (r >= 9223372036854775808.0)
		return -1;
	if (r < -9223372036854775808.0)
		return 1;
	return i < (int64_t)r ? -1 : i > (int64_t)r ? 1 : 0;
}

static int cmp_num(const struct formula_value *a, const struct formula_value *b)
{
	if (a->type != FV_REAL && b->type != FV_REAL)
		return a->i < b->i ? -1 : a->i > b->i;
	if (a->type != FV_REAL)
		return cmp_int_real(a->i, b->r);
	if (b->type != FV_REAL) {
		int c = cmp_int_real(b->i, a->r);

		return c == 2 ? 2 : -c;
	}
	if (isnan(a->r) || isnan(b->r))
		return 2;
	return a->r < b->r ? -1 : a->r > b->r;
}

bool fequal(const struct formula_value *a, const struct formula_value *b)
{
	uint32_t i;

	if (fis_num(a) && fis_num(b))
		return cmp_num(a, b) == 0;
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case FV_NONE:
		return true;
	case FV_STR:
		return a->s.len == b->s.len && memcmp(a->s.p, b->s.p, a->s.len) == 0;
	case FV_ELEM:
		return a->elem == b->elem;
	case FV_SEQ:
		if (a->seq.n != b->seq.n)
			return false;
		for (i = 0; i < a->seq.n; i++)
			if (!fequal(&a->seq.v[i], &b->seq.v[i]))
				return false;
		return true;
	default:
		return false;
	}
}

int forder(struct ectx *c, const struct formula_value *a, const struct formula_value *b,
	   const char *op, int *cmp)
{
	uint32_t i;

	if (fis_num(a) && fis_num(b)) {
		*cmp = cmp_num(a, b);
		return 0;
	}
	if (a->type == FV_STR && b->type == FV_STR) {
		/* Byte order of UTF-8 is code point order, as Python compares. */
		uint32_t n = a->s.len < b->s.len ? a->s.len : b->s.len;
		int r = n ? memcmp(a->s.p, b->s.p, n) : 0;

		*cmp = r ? (r < 0 ? -1 : 1) : (a->s.len > b->s.len) - (a->s.len < b->s.len);
		return 0;
	}
	if (a->type == FV_SEQ && b->type == FV_SEQ) {
		for (i = 0; i < a->seq.n && i < b->seq.n; i++)
			if (!fequal(&a->seq.v[i], &b->seq.v[i]))
				return forder(c, &a->seq.v[i], &b->seq.v[i], op, cmp);
		*cmp = (a->seq.n > b->seq.n) - (a->seq.n < b->seq.n);
		return 0;
	}
	return ferr(c, "TypeError", "'%s' not supported between instances of '%s' and '%s'",
		    op, ftype_name(a), ftype_name(b));
}

/* Python's float + - * / % overflow quietly to inf; only ** raises. */
static int mkreal(struct ectx *c, double r, const char *op, struct formula_value *out)
{
	(void)c;
	(void)op;
	out->type = FV_REAL;
	out->r = r;
	return 0;
}

static int int_overflow(struct ectx *c, const char *op)
{
	return ferr(c, "OverflowError", "integer result of %s exceeds 64 bits", op);
}

static int seq_concat(struct ectx *c, const struct formula_value *a, uint32_t times,
		      const struct formula_value *b, struct formula_value *out)
{
	struct formula_value *v;
	uint64_t n;
	uint32_t i;

	if (!a->seq.n)
		times = 0;	/* [] * 10**9 must not loop a billion times */
	n = (uint64_t)a->seq.n * times + (b ? b->seq.n : 0);

	if (n > FORMULA_SCRATCH_DEFAULT / sizeof(*v))
		return ferr(c, "MemoryError", "list too long");
	if (fcharge(c, (unsigned long)n))
		return -1;
	v = fscratch(c, (size_t)(n ? n : 1) * sizeof(*v));
	if (!v)
		return -1;
	for (i = 0; i < times; i++)
		memcpy(v + (size_t)i * a->seq.n, a->seq.v, a->seq.n * sizeof(*v));
	if (b)
		memcpy(v + (size_t)a->seq.n * times, b->seq.v, b->seq.n * sizeof(*v));
	out->type = FV_SEQ;
	out->seq.v = v;
	out->seq.n = (uint32_t)n;
	return 0;
}

static int str_repeat(struct ectx *c, const struct formula_value *s, int64_t times,
		      struct formula_value *out)
{
	uint64_t n;
	char *d;
	int64_t i;

	if (times <= 0 || !s->s.len)
		return fmkstr(c, "", 0, out);
	n = (uint64_t)s->s.len * (uint64_t)times;
	if ((uint64_t)times > FORMULA_STR_MAX || n > FORMULA_STR_MAX)
		return ferr(c, "ValueError", "string longer than %d bytes", FORMULA_STR_MAX);
	d = fscratch(c, (size_t)n);
	if (!d)
		return -1;
	for (i = 0; i < times; i++)
		memcpy(d + (size_t)i * s->s.len, s->s.p, s->s.len);
	out->type = FV_STR;
	out->s.p = d;
	out->s.len = (uint32_t)n;
	return 0;
}

int fv_add(struct ectx *c, const struct formula_value *a, const struct formula_value *b,
	 struct formula_value *out)
{
	if (fis_num(a) && fis_num(b)) {
		if (a->type == FV_REAL || b->type == FV_REAL)
			return mkreal(c, fnum(a) + fnum(b), "+", out);
		out->type = FV_INT;
		return __builtin_add_overflow(a->i, b->i, &out->i) ? int_overflow(c, "+") : 0;
	}
	if (a->type == FV_STR && b->type == FV_STR) {
		char *d;

		if ((size_t)a->s.len + b->s.len > FORMULA_STR_MAX)
			return ferr(c, "ValueError", "string longer than %d bytes", FORMULA_STR_MAX);
		d = fscratch(c, (size_t)a->s.len + b->s.len + 1);
		if (!d)
			return -1;
		memcpy(d, a->s.p, a->s.len);
		memcpy(d + a->s.len, b->s.p, b->s.len);
		out->type = FV_STR;
		out->s.p = d;
		out->s.len = a->s.len + b->s.len;
		return 0;
	}
	if (a->type == FV_SEQ && b->type == FV_SEQ)
		return seq_concat(c, a, 1, b, out);
	return ferr(c, "TypeError", "unsupported operand type(s) for +: '%s' and '%s'",
		    ftype_name(a), ftype_name(b));
}

/* Python's integer power for a non-negative exponent. */
static int int_pow(struct ectx *c, int64_t base, int64_t e, struct formula_value *out)
{
	int64_t r = 1;

	while (e > 0) {
		if ((e & 1) && __builtin_mul_overflow(r, base, &r))
			return int_overflow(c, "**");
		e >>= 1;
		if (e && __builtin_mul_overflow(base, base, &base))
			return int_overflow(c, "**");
	}
	out->type = FV_INT;
	out->i = r;
	return 0;
}

static int arith(struct ectx *c, int op, const struct formula_value *a,
		 const struct formula_value *b, struct formula_value *out)
{
	static const char *const sym[] = { "+", "-", "*", "/", "%", "**" };
	bool ints;

	if (op == B_ADD)
		return fv_add(c, a, b, out);
	if (op == B_MUL) {
		if (a->type == FV_STR && (b->type == FV_INT || b->type == FV_BOOL))
			return str_repeat(c, a, b->i, out);
		if (b->type == FV_STR && (a->type == FV_INT || a->type == FV_BOOL))
			return str_repeat(c, b, a->i, out);
		if (a->type == FV_SEQ && (b->type == FV_INT || b->type == FV_BOOL))
			return b->i > 0 ? (b->i > UINT32_MAX ? ferr(c, "MemoryError", "list too long")
					   : seq_concat(c, a, (uint32_t)b->i, NULL, out))
					: seq_concat(c, a, 0, NULL, out);
	}
	if (!fis_num(a) || !fis_num(b))
		return ferr(c, "TypeError", "unsupported operand type(s) for %s: '%s' and '%s'",
			    sym[op], ftype_name(a), ftype_name(b));
	ints = a->type != FV_REAL && b->type != FV_REAL;
	switch (op) {
	case B_SUB:
		if (!ints)
			return mkreal(c, fnum(a) - fnum(b), "-", out);
		out->type = FV_INT;
		return __builtin_sub_overflow(a->i, b->i, &out->i) ? int_overflow(c, "-") : 0;
	case B_MUL:
		if (!ints)
			return mkreal(c, fnum(a) * fnum(b), "*", out);
		out->type = FV_INT;
		return __builtin_mul_overflow(a->i, b->i, &out->i) ? int_overflow(c, "*") : 0;
	case B_DIV:
		if (fnum(b) == 0.0)
			return ferr(c, "ZeroDivisionError", "division by zero");
		return mkreal(c, fnum(a) / fnum(b), "/", out);
	case B_MOD:
		if (ints) {
			if (b->i == 0)
				return ferr(c, "ZeroDivisionError", "integer modulo by zero");
			out->type = FV_INT;
			/* INT64_MIN % -1 traps in C; the answer is 0. */
			out->i = b->i == -1 ? 0 : a->i % b->i;
			if (out->i && ((out->i < 0) != (b->i < 0)))
				out->i += b->i;
			return 0;
		} else {
			double x = fnum(a), y = fnum(b), m;

			if (y == 0.0)
				return ferr(c, "ZeroDivisionError", "float modulo");
			m = fmod(x, y);
			if (m != 0.0) {
				if ((m < 0) != (y < 0))
					m += y;
			} else {
				m = copysign(0.0, y);
			}
			return mkreal(c, m, "%", out);
		}
	default: /* B_POW */
		if (ints && b->i >= 0)
			return int_pow(c, a->i, b->i, out);
		if (fnum(a) == 0.0 && fnum(b) < 0)
			return ferr(c, "ZeroDivisionError", "0.0 cannot be raised to a negative power");
		if (fnum(a) < 0 && fnum(b) != floor(fnum(b)))
			return ferr(c, "ValueError", "negative number cannot be raised to a fractional power");
		if (!ints && (isinf(fnum(a)) || isinf(fnum(b)) || isnan(fnum(a)) || isnan(fnum(b)))) {
			out->type = FV_REAL;
			out->r = pow(fnum(a), fnum(b));
			return 0;
		}
		out->type = FV_REAL;
		out->r = pow(fnum(a), fnum(b));
		if (isinf(out->r))
			return ferr(c, "OverflowError", "(34, 'Numerical result out of range')");
		return 0;
	}
}

static int eval_ref(struct ectx *c, uint8_t ns, uint32_t slot, uint8_t attr,
		    struct formula_value *out)
{
	char msg[FORMULA_ERR_MAX];

	msg[0] = '\0';
	out->type = FV_NONE;
	if (!c->r || !c->r->read)
		return ferr(c, "LookupError", "no resolver");
	if (c->r->read(c->r->ctx, ns, slot, attr, out, msg) != 0)
		return ferr(c, "LookupError", "%s", msg[0] ? msg : "value not available");
	/* A resolver is input too: never trust a string it hands back. */
	if (out->type == FV_STR && (out->s.len > FORMULA_STR_MAX || (!out->s.p && out->s.len)))
		return ferr(c, "ValueError", "string longer than %d bytes", FORMULA_STR_MAX);
	if (out->type > FV_ELEM || out->type == FV_SEQ)
		return ferr(c, "TypeError", "resolver returned an unsupported value");
	return 0;
}

static int eval_all(struct ectx *c, struct formula_value *out)
{
	uint32_t n = c->r && c->r->element_count ? c->r->element_count(c->r->ctx) : 0, i;
	struct formula_value *v;

	if (fcharge(c, n))
		return -1;
	v = fscratch(c, (n ? n : 1) * sizeof(*v));
	if (!v)
		return -1;
	for (i = 0; i < n; i++) {
		v[i].type = FV_ELEM;
		v[i].elem = i;
	}
	out->type = FV_SEQ;
	out->seq.v = v;
	out->seq.n = n;
	return 0;
}

int feval(struct ectx *c, const struct fnode *n, struct formula_value *out)
{
	static const char *const cmpsym[] = { "==", "!=", "<", "<=", ">", ">=" };
	struct formula_value a = { .type = FV_NONE }, b = { .type = FV_NONE };
	int cmp = 0;

	if (fcharge(c, 1))
		return -1;
	switch (n->op) {
	case N_CONST:
		*out = n->k;
		return 0;
	case N_REF:
		return eval_ref(c, n->ref.ns, n->ref.slot, n->ref.attr, out);
	case N_ALL:
		return eval_all(c, out);
	case N_PARAM:
		a = c->param[n->param.level];
		if (n->param.attr == PARAM_SELF) {
			*out = a;
			return 0;
		}
		if (a.type != FV_ELEM)
			return ferr(c, "AttributeError", "'%s' object has no attribute '%s'",
				    ftype_name(&a), formula_attr_name(n->param.attr));
		return eval_ref(c, FORMULA_NS_EG, a.elem, n->param.attr, out);
	case N_OR:
	case N_AND:
		if (feval(c, n->kid[0], out))
			return -1;
		if (ftruth(out) == (n->op == N_OR))
			return 0;
		return feval(c, n->kid[1], out);
	case N_NOT:
		if (feval(c, n->kid[0], &a))
			return -1;
		out->type = FV_BOOL;
		out->i = !ftruth(&a);
		return 0;
	case N_CMP:
		if (feval(c, n->kid[0], &a) || feval(c, n->kid[1], &b))
			return -1;
		out->type = FV_BOOL;
		if (n->aux == C_EQ || n->aux == C_NE) {
			out->i = fequal(&a, &b) == (n->aux == C_EQ);
			return 0;
		}
		if (forder(c, &a, &b, cmpsym[n->aux], &cmp))
			return -1;
		switch (n->aux) {
		case C_LT: out->i = cmp == -1; break;
		case C_LE: out->i = cmp == -1 || cmp == 0; break;
		case C_GT: out->i = cmp == 1; break;
		default: out->i = cmp == 1 || cmp == 0; break;
		}
		return 0;
	case N_BIN:
		if (feval(c, n->kid[0], &a) || feval(c, n->kid[1], &b))
			return -1;
		return arith(c, n->aux, &a, &b, out);
	case N_NEG:
	case N_POS:
		if (feval(c, n->kid[0], &a))
			return -1;
		if (a.type == FV_REAL) {
			out->type = FV_REAL;
			out->r = n->op == N_NEG ? -a.r : a.r;
			return 0;
		}
		if (a.type != FV_INT && a.type != FV_BOOL)
			return ferr(c, "TypeError", "bad operand type for unary %c: '%s'",
				    n->op == N_NEG ? '-' : '+', ftype_name(&a));
		out->type = FV_INT;
		if (n->op == N_POS) {
			out->i = a.i;
			return 0;
		}
		return __builtin_sub_overflow((int64_t)0, a.i, &out->i) ? int_overflow(c, "-") : 0;
	case N_CALL:
		if (n->aux == F_SI) {
			/* Lazy: only the chosen branch runs (nguru ran both). */
			if (feval(c, n->args[0], &a))
				return -1;
			return feval(c, n->args[ftruth(&a) ? 1 : 2], out);
		}
		return fcall(c, n, out);
	default:
		return ferr(c, "TypeError", "a lambda is not a value");
	}
}

int formula_eval(const struct formula *f, const struct formula_resolver *r,
		 struct formula_scratch *s, unsigned int steps, struct formula_value *out,
		 char *err)
{
	struct ectx c;

	memset(&c, 0, sizeof(c));
	c.r = r;
	c.s = s;
	c.steps = steps ? steps : FORMULA_STEPS_DEFAULT;
	c.err = err;
	err[0] = '\0';
	s->used = 0;
	out->type = FV_NONE;
	return feval(&c, formula_root(f), out);
}
