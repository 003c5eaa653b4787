// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Formula compiler: recursive-descent parser to a tree in a per-formula
 * arena (the lexer is formula_lex.c, evaluation formula_eval.c, built-in
 * functions formula_fn.c).
 *
 * Safety: the text is bounded (FORMULA_TEXT_MAX) and the parser's
 * recursion by FORMULA_DEPTH_MAX.  Operator chains such as 1+1+...+1 are
 * parsed by loops into left-deep trees, so the tree (and the evaluator's
 * recursion) is deeper only up to FORMULA_NODES_MAX nodes, a few hundred
 * KiB of stack at most.  The tree lives in a per-formula arena; evaluation
 * allocates only from a fixed scratch and every node visit spends one step
 * of a budget.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formula_parse.h"

/* --- arenas -------------------------------------------------------------- */

/* Compile memory: a node cap times a generous per-node allowance. */
#define ARENA_MAX	((size_t)FORMULA_NODES_MAX * 64 + 4 * FORMULA_TEXT_MAX)
#define CHUNK_SIZE	4096

void *formula_arena_alloc(struct formula *f, size_t n)
{
	struct chunk *c = f->chunks;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > CHUNK_SIZE ? n : CHUNK_SIZE;

		if (f->arena_bytes + cap > ARENA_MAX)
			return NULL;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = f->chunks;
		c->used = 0;
		c->cap = cap;
		f->chunks = c;
		f->arena_bytes += cap;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

/* --- parser -------------------------------------------------------------- */

static struct fnode *mknode(struct parser *p, enum fnode_op op, size_t pos)
{
	struct fnode *n;

	if (++p->nodes > FORMULA_NODES_MAX) {
		fp_err(p, pos, "formula too large (more than %d nodes)", FORMULA_NODES_MAX);
		return NULL;
	}
	n = formula_arena_alloc(p->f, sizeof(*n));
	if (!n) {
		fp_err(p, pos, "formula too large");
		return NULL;
	}
	memset(n, 0, sizeof(*n));
	n->op = (uint8_t)op;
	n->pos = (uint32_t)pos;
	return n;
}

static struct fnode *parse_expr(struct parser *p);

static const char *const attr_names[FORMULA_A_COUNT] = {
	"value", "escala", "q", "text", "fill", "stroke", "mark", "tag", "description",
};

const char *formula_attr_name(enum formula_attr a)
{
	return (unsigned int)a < FORMULA_A_COUNT ? attr_names[a] : "?";
}

/* Attributes valid per namespace (bit masks of enum formula_attr). */
static const uint32_t ns_attrs[3] = {
	[FORMULA_NS_AI] = 1u << FORMULA_A_VALUE | 1u << FORMULA_A_ESCALA | 1u << FORMULA_A_Q,
	[FORMULA_NS_DI] = 1u << FORMULA_A_VALUE,
	[FORMULA_NS_EG] = 1u << FORMULA_A_TEXT | 1u << FORMULA_A_FILL |
			  1u << FORMULA_A_STROKE | 1u << FORMULA_A_MARK |
			  1u << FORMULA_A_TAG | 1u << FORMULA_A_DESCRIPTION,
};
static const char *const ns_names[3] = { "ai", "di", "eg" };
static const char *const ns_hint[3] = {
	"value, escala, q", "value", "text, fill, stroke, mark, tag, description",
};

/* The current NAME token as an attribute of @ns, or -1. */
static int attr_lookup(const struct parser *p, int ns)
{
	int a;

	for (a = 0; a < FORMULA_A_COUNT; a++)
		if ((ns_attrs[ns] >> a & 1) && fp_name_is(p, attr_names[a]))
			return a;
	return -1;
}

static int add_ref(struct parser *p, uint8_t ns, uint8_t attr, uint32_t slot)
{
	struct formula *f = p->f;
	size_t i;

	for (i = 0; i < f->nrefs; i++)
		if (f->refs[i].ns == ns && f->refs[i].attr == attr && f->refs[i].slot == slot)
			return 0;
	if (f->nrefs == f->refcap) {
		size_t cap = f->refcap ? f->refcap * 2 : 8;
		struct formula_ref *r = realloc(f->refs, cap * sizeof(*r));

		if (!r)
			return fp_err(p, p->tpos, "out of memory");
		f->refs = r;
		f->refcap = cap;
	}
	f->refs[f->nrefs++] = (struct formula_ref){ .ns = ns, .attr = attr, .slot = slot };
	return 0;
}

/* ai.TAG.attr | di.TAG.attr | eg.TAG.attr | eg; the namespace is current. */
static struct fnode *parse_ref(struct parser *p, int ns)
{
	size_t pos = p->tpos, tagpos;
	char tag[64];
	struct fnode *n;
	uint32_t slot = 0;
	int a;

	if (fp_next(p))
		return NULL;
	if (p->tk != T_DOT) {
		if (ns == FORMULA_NS_EG) {
			p->f->uses_all = true;
			return mknode(p, N_ALL, pos);
		}
		fp_err(p, pos, "'%s' must be followed by .TAG.attribute", ns_names[ns]);
		return NULL;
	}
	if (fp_next(p))
		return NULL;
	tagpos = p->tpos;
	if (p->tk != T_NAME || !((p->t[p->tpos] | 0x20) >= 'a' && (p->t[p->tpos] | 0x20) <= 'z')) {
		fp_err(p, p->tpos, "expected a tag after '%s.'", ns_names[ns]);
		return NULL;
	}
	if (p->tlen >= sizeof(tag)) {
		fp_err(p, p->tpos, "tag longer than %zu characters", sizeof(tag) - 1);
		return NULL;
	}
	memcpy(tag, p->t + p->tpos, p->tlen);
	tag[p->tlen] = '\0';
	if (fp_next(p))
		return NULL;
	if (p->tk != T_DOT) {
		fp_err(p, p->tpos, "expected '.attribute' after %s.%s", ns_names[ns], tag);
		return NULL;
	}
	if (fp_next(p))
		return NULL;
	if (p->tk != T_NAME) {
		fp_err(p, p->tpos, "expected an attribute after %s.%s.", ns_names[ns], tag);
		return NULL;
	}
	a = attr_lookup(p, ns);
	if (a < 0)
		fp_sem(p, p->tpos, "unknown attribute '%.*s' of %s.%s (known: %s)",
		     (int)(p->tlen > 24 ? 24 : p->tlen), p->t + p->tpos, ns_names[ns], tag,
		     ns_hint[ns]);
	if (!p->r || !p->r->bind || p->r->bind(p->r->ctx, ns, tag, &slot) != 0) {
		static const char *const what[3] = { "analog input", "digital input", "element" };

		fp_sem(p, tagpos, "unknown %s '%s' in %s.%s", what[ns], tag, ns_names[ns], tag);
	}
	n = mknode(p, N_REF, pos);
	if (!n || fp_next(p))
		return NULL;
	n->ref.ns = (uint8_t)ns;
	n->ref.attr = (uint8_t)(a < 0 ? 0 : a);
	n->ref.slot = slot;
	if (a >= 0 && !p->sem_failed && add_ref(p, n->ref.ns, n->ref.attr, slot))
		return NULL;
	return n;
}

static bool is_keyword(const struct parser *p)
{
	static const char *const kw[] = { "and", "or", "not", "lambda", "none", "true",
					  "false", "ai", "di", "eg" };
	size_t i;

	for (i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (fp_name_is(p, kw[i]))
			return true;
	return false;
}

static struct fnode *parse_lambda(struct parser *p)
{
	size_t pos = p->tpos;
	struct fnode *n = mknode(p, N_LAMBDA, pos);

	if (!n || fp_next(p))
		return NULL;
	if (p->tk != T_NAME || is_keyword(p)) {
		fp_err(p, p->tpos, "expected a parameter name after 'lambda'");
		return NULL;
	}
	if (p->nparams >= FORMULA_LAMBDA_MAX) {
		fp_err(p, pos, "lambdas nested deeper than %d", FORMULA_LAMBDA_MAX);
		return NULL;
	}
	p->param[p->nparams].pos = p->tpos;
	p->param[p->nparams].len = p->tlen;
	n->lam.level = (uint8_t)p->nparams;
	if (fp_next(p))
		return NULL;
	if (p->tk != T_COLON) {
		fp_err(p, p->tpos, "expected ':' after the lambda parameter");
		return NULL;
	}
	if (fp_next(p))
		return NULL;
	p->nparams++;
	n->lam.body = parse_expr(p);
	p->nparams--;
	return n->lam.body ? n : NULL;
}

static struct fnode *parse_call(struct parser *p, size_t pos, const char *name, size_t nlen)
{
	struct fnode *args[256], *n;
	unsigned int nargs = 0;
	int fn;

	/*
	 * Names are case-insensitive, but FLOAT (format) and float (convert)
	 * differ only in case: the exact spelling wins, and any other
	 * spelling of "float" is the conversion.
	 */
	for (fn = 0; fn < F_COUNT; fn++)
		if (strlen(ffn_table[fn].name) == nlen && strncmp(ffn_table[fn].name, name, nlen) == 0)
			break;
	if (fn == F_COUNT)
		for (fn = 0; fn < F_COUNT; fn++)
			if (fn != F_FLOAT && strlen(ffn_table[fn].name) == nlen &&
			    strncasecmp(ffn_table[fn].name, name, nlen) == 0)
				break;
	if (fn == F_COUNT) {
		fp_err(p, pos, "unknown function '%.*s'", (int)(nlen > 24 ? 24 : nlen), name);
		return NULL;
	}
	if (fp_next(p))	/* past '(' */
		return NULL;
	while (p->tk != T_RP) {
		struct fnode *a;
		bool lam_ok = nargs == 0 && (fn == F_APLICAR || fn == F_FILTRAR);

		if (nargs >= sizeof(args) / sizeof(args[0])) {
			fp_err(p, p->tpos, "too many arguments");
			return NULL;
		}
		if (fp_name_is(p, "lambda")) {
			if (!lam_ok) {
				fp_err(p, p->tpos, "lambda is only allowed as the first argument of APLICAR or FILTRAR");
				return NULL;
			}
			a = parse_lambda(p);
		} else {
			if (lam_ok)
				fp_sem(p, p->tpos, "%s needs a lambda as its first argument",
				     ffn_table[fn].name);
			a = parse_expr(p);
		}
		if (!a)
			return NULL;
		args[nargs++] = a;
		if (p->tk == T_COMMA) {
			if (fp_next(p))
				return NULL;
			continue;
		}
		if (p->tk != T_RP) {
			char b[40];

			fp_err(p, p->tpos, "expected ',' or ')' in the arguments of %s, found %s",
			     ffn_table[fn].name, fp_tok_desc(p, b, sizeof(b)));
			return NULL;
		}
	}
	if (nargs < ffn_table[fn].min_args || nargs > ffn_table[fn].max_args) {
		const struct ffn_info *fi = &ffn_table[fn];

		if (fi->min_args == fi->max_args)
			fp_sem(p, pos, "%s() takes %u argument%s (%u given)", fi->name,
			     fi->min_args, fi->min_args == 1 ? "" : "s", nargs);
		else if (fi->max_args == 255)
			fp_sem(p, pos, "%s() takes at least %u argument%s (%u given)", fi->name,
			     fi->min_args, fi->min_args == 1 ? "" : "s", nargs);
		else
			fp_sem(p, pos, "%s() takes %u to %u arguments (%u given)", fi->name,
			     fi->min_args, fi->max_args, nargs);
	}
	n = mknode(p, N_CALL, pos);
	if (!n)
		return NULL;
	n->aux = (uint8_t)fn;
	n->nargs = (uint16_t)nargs;
	/* An array of node pointers. NOLINTNEXTLINE(bugprone-sizeof-expression) */
	n->args = formula_arena_alloc(p->f, (nargs ? nargs : 1) * sizeof(*n->args));
	if (!n->args) {
		fp_err(p, pos, "formula too large");
		return NULL;
	}
	memcpy(n->args, args, nargs * sizeof(*args)); // NOLINT(bugprone-sizeof-expression)
	if (fp_next(p))	/* past ')' */
		return NULL;
	return n;
}

static struct fnode *parse_name(struct parser *p)
{
	size_t pos = p->tpos, len = p->tlen;
	const char *name = p->t + pos;
	struct fnode *n;
	int i;

	if (fp_name_is(p, "none") || fp_name_is(p, "true") || fp_name_is(p, "false")) {
		n = mknode(p, N_CONST, pos);
		if (!n)
			return NULL;
		n->k.type = fp_name_is(p, "none") ? FV_NONE : FV_BOOL;
		n->k.i = fp_name_is(p, "true");
		return fp_next(p) ? NULL : n;
	}
	if (fp_name_is(p, "ai"))
		return parse_ref(p, FORMULA_NS_AI);
	if (fp_name_is(p, "di"))
		return parse_ref(p, FORMULA_NS_DI);
	if (fp_name_is(p, "eg"))
		return parse_ref(p, FORMULA_NS_EG);
	if (fp_name_is(p, "lambda")) {
		fp_err(p, pos, "lambda is only allowed as the first argument of APLICAR or FILTRAR");
		return NULL;
	}
	if (is_keyword(p)) {
		fp_err(p, pos, "unexpected '%.*s'", (int)len, name);
		return NULL;
	}
	if (fp_next(p))
		return NULL;
	if (p->tk == T_LP)
		return parse_call(p, pos, name, len);
	for (i = p->nparams - 1; i >= 0; i--)
		if (p->param[i].len == len && memcmp(p->t + p->param[i].pos, name, len) == 0)
			break;
	if (i < 0) {
		fp_err(p, pos, "unknown name '%.*s'", (int)(len > 24 ? 24 : len), name);
		return NULL;
	}
	n = mknode(p, N_PARAM, pos);
	if (!n)
		return NULL;
	n->param.level = (uint8_t)i;
	n->param.attr = PARAM_SELF;
	if (p->tk == T_DOT) {
		int a;

		if (fp_next(p))
			return NULL;
		if (p->tk != T_NAME) {
			fp_err(p, p->tpos, "expected an attribute after '%.*s.'", (int)len, name);
			return NULL;
		}
		a = attr_lookup(p, FORMULA_NS_EG);
		if (a < 0) {
			fp_err(p, p->tpos, "unknown element attribute '%.*s' (known: %s)",
			     (int)(p->tlen > 24 ? 24 : p->tlen), p->t + p->tpos,
			     ns_hint[FORMULA_NS_EG]);
			return NULL;
		}
		n->param.attr = (uint8_t)a;
		p->f->all_attrs |= 1u << a;
		if (fp_next(p))
			return NULL;
	}
	return n;
}

static struct fnode *parse_primary(struct parser *p)
{
	size_t pos = p->tpos;
	struct fnode *n;
	char b[40];

	switch (p->tk) {
	case T_INT:
	case T_REAL:
	case T_STR:
		n = mknode(p, N_CONST, pos);
		if (!n)
			return NULL;
		if (p->tk == T_INT) {
			n->k.type = FV_INT;
			n->k.i = p->ival;
		} else if (p->tk == T_REAL) {
			n->k.type = FV_REAL;
			n->k.r = p->rval;
		} else {
			n->k.type = FV_STR;
			n->k.s.p = p->sval;
			n->k.s.len = p->slen;
		}
		return fp_next(p) ? NULL : n;
	case T_NAME:
		return parse_name(p);
	case T_LP:
		if (fp_next(p))
			return NULL;
		n = parse_expr(p);
		if (!n)
			return NULL;
		if (p->tk != T_RP) {
			fp_err(p, p->tpos, "expected ')' to close the '(' at column %zu, found %s",
			     pos + 1, fp_tok_desc(p, b, sizeof(b)));
			return NULL;
		}
		return fp_next(p) ? NULL : n;
	case T_RP:
		fp_err(p, pos, "unmatched ')'");
		return NULL;
	default:
		fp_err(p, pos, "expected a value, found %s", fp_tok_desc(p, b, sizeof(b)));
		return NULL;
	}
}

static struct fnode *parse_unary(struct parser *p);

static struct fnode *binary(struct parser *p, enum fnode_op op, int aux, size_t pos,
			    struct fnode *a, struct fnode *b)
{
	struct fnode *n;

	if (!a || !b)
		return NULL;
	n = mknode(p, op, pos);
	if (!n)
		return NULL;
	n->aux = (uint8_t)aux;
	n->kid[0] = a;
	n->kid[1] = b;
	return n;
}

static struct fnode *parse_power(struct parser *p)
{
	struct fnode *a = parse_primary(p);
	size_t pos = p->tpos;

	if (!a || p->tk != T_POW)
		return a;
	if (fp_next(p))
		return NULL;
	return binary(p, N_BIN, B_POW, pos, a, parse_unary(p));
}

static struct fnode *parse_unary(struct parser *p)
{
	size_t pos = p->tpos;
	enum fnode_op op;
	struct fnode *n;

	if (p->tk != T_PLUS && p->tk != T_MINUS)
		return parse_power(p);
	op = p->tk == T_MINUS ? N_NEG : N_POS;
	if (++p->depth > FORMULA_DEPTH_MAX) {
		fp_err(p, pos, "formula nested deeper than %d", FORMULA_DEPTH_MAX);
		return NULL;
	}
	if (fp_next(p))
		return NULL;
	n = mknode(p, op, pos);
	if (n)
		n->kid[0] = parse_unary(p);
	p->depth--;
	return n && n->kid[0] ? n : NULL;
}

static struct fnode *parse_term(struct parser *p)
{
	struct fnode *a = parse_unary(p);

	while (a && (p->tk == T_STAR || p->tk == T_SLASH || p->tk == T_PCT)) {
		int op = p->tk == T_STAR ? B_MUL : p->tk == T_SLASH ? B_DIV : B_MOD;
		size_t pos = p->tpos;

		if (fp_next(p))
			return NULL;
		a = binary(p, N_BIN, op, pos, a, parse_unary(p));
	}
	return a;
}

static struct fnode *parse_sum(struct parser *p)
{
	struct fnode *a = parse_term(p);

	while (a && (p->tk == T_PLUS || p->tk == T_MINUS)) {
		int op = p->tk == T_PLUS ? B_ADD : B_SUB;
		size_t pos = p->tpos;

		if (fp_next(p))
			return NULL;
		a = binary(p, N_BIN, op, pos, a, parse_term(p));
	}
	return a;
}

static int cmp_of(enum tok t)
{
	switch (t) {
	case T_EQ: return C_EQ;
	case T_NE: return C_NE;
	case T_LT: return C_LT;
	case T_LE: return C_LE;
	case T_GT: return C_GT;
	case T_GE: return C_GE;
	default: return -1;
	}
}

static struct fnode *parse_comparison(struct parser *p)
{
	struct fnode *a = parse_sum(p);
	size_t pos = p->tpos;
	int op;

	if (!a || (op = cmp_of(p->tk)) < 0)
		return a;
	if (fp_next(p))
		return NULL;
	a = binary(p, N_CMP, op, pos, a, parse_sum(p));
	if (a && cmp_of(p->tk) >= 0) {
		fp_err(p, p->tpos, "comparisons cannot be chained; use 'and'");
		return NULL;
	}
	return a;
}

static struct fnode *parse_negation(struct parser *p)
{
	size_t pos = p->tpos;
	struct fnode *n;

	if (!fp_name_is(p, "not"))
		return parse_comparison(p);
	if (++p->depth > FORMULA_DEPTH_MAX) {
		fp_err(p, pos, "formula nested deeper than %d", FORMULA_DEPTH_MAX);
		return NULL;
	}
	if (fp_next(p))
		return NULL;
	n = mknode(p, N_NOT, pos);
	if (n)
		n->kid[0] = parse_negation(p);
	p->depth--;
	return n && n->kid[0] ? n : NULL;
}

static struct fnode *parse_conjunct(struct parser *p)
{
	struct fnode *a = parse_negation(p);

	while (a && fp_name_is(p, "and")) {
		size_t pos = p->tpos;

		if (fp_next(p))
			return NULL;
		a = binary(p, N_AND, 0, pos, a, parse_negation(p));
	}
	return a;
}

static struct fnode *parse_expr(struct parser *p)
{
	struct fnode *a;

	if (++p->depth > FORMULA_DEPTH_MAX) {
		fp_err(p, p->tpos, "formula nested deeper than %d", FORMULA_DEPTH_MAX);
		return NULL;
	}
	a = parse_conjunct(p);
	while (a && fp_name_is(p, "or")) {
		size_t pos = p->tpos;

		if (fp_next(p))
			return NULL;
		a = binary(p, N_OR, 0, pos, a, parse_conjunct(p));
	}
	p->depth--;
	return a;
}

/* Column of the first ')' that closes more than was opened, or 0. */
static size_t unmatched_close(const char *t, size_t len)
{
	size_t i;
	long depth = 0;
	char q = 0;

	for (i = 0; i < len; i++) {
		if (q) {
			if (t[i] == '\\')
				i++;
			else if (t[i] == q)
				q = 0;
		} else if (t[i] == '\'' || t[i] == '"') {
			q = t[i];
		} else if (t[i] == '(') {
			depth++;
		} else if (t[i] == ')' && --depth < 0) {
			return i + 1;
		}
	}
	return 0;
}

int formula_compile(const char *text, size_t len, const struct formula_resolver *r,
		    struct formula **out, struct formula_error *err)
{
	struct parser p;
	struct formula *f;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	if (len > FORMULA_TEXT_MAX) {
		snprintf(err->msg, sizeof(err->msg), "formula longer than %d bytes", FORMULA_TEXT_MAX);
		err->col = 1;
		return -1;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		err->col = 1;
		return -1;
	}
	memset(&p, 0, sizeof(p));
	p.t = text;
	p.len = len;
	p.f = f;
	p.r = r;
	p.err = err;
	if (fp_next(&p) == 0) {
		if (p.tk == T_EOF) {
			fp_err(&p, 0, "empty formula");
		} else {
			f->root = parse_expr(&p);
			if (f->root && p.tk != T_EOF) {
				size_t bad = unmatched_close(text, len);
				char b[40];

				if (bad)
					fp_err(&p, p.tpos, "misplaced ')': the formula is already complete before %s (unmatched ')' at column %zu)",
					     fp_tok_desc(&p, b, sizeof(b)), bad);
				else
					fp_err(&p, p.tpos, "unexpected %s after the end of the formula",
					     fp_tok_desc(&p, b, sizeof(b)));
			}
		}
	}
	if (!p.failed && p.sem_failed) {
		*err = p.sem;
		p.failed = true;
	}
	if (p.failed) {
		formula_free(f);
		return -1;
	}
	*out = f;
	return 0;
}

void formula_free(struct formula *f)
{
	struct chunk *c, *n;

	if (!f)
		return;
	for (c = f->chunks; c; c = n) {
		n = c->next;
		free(c);
	}
	free(f->refs);
	free(f);
}

const struct formula_ref *formula_refs(const struct formula *f, size_t *n)
{
	*n = f->nrefs;
	return f->refs;
}

const struct fnode *formula_root(const struct formula *f)
{
	return f->root;
}

bool formula_uses_all(const struct formula *f)
{
	return f->uses_all;
}

uint32_t formula_all_attrs(const struct formula *f)
{
	return f->all_attrs;
}
