/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Compiler internals shared by the lexer (formula_lex.c) and the parser
 * (formula.c) only.
 */
#ifndef SMVED_FORMULA_PARSE_H
#define SMVED_FORMULA_PARSE_H

#include <stdalign.h>
#include <stddef.h>

#include "formula_impl.h"

struct chunk {
	struct chunk *next;
	size_t used, cap;
	max_align_t data[];
};

struct formula {
	struct fnode *root;
	struct chunk *chunks;
	size_t arena_bytes;
	struct formula_ref *refs;
	size_t nrefs, refcap;
	bool uses_all;
	uint32_t all_attrs;
};

/* Bump allocation from the formula's arena; NULL past its cap. */
void *formula_arena_alloc(struct formula *f, size_t n);

enum tok {
	T_EOF, T_INT, T_REAL, T_STR, T_NAME, T_LP, T_RP, T_COMMA, T_DOT,
	T_COLON, T_PLUS, T_MINUS, T_STAR, T_SLASH, T_PCT, T_POW,
	T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE,
};

struct parser {
	const char *t;
	size_t len, pos;
	/* current token */
	enum tok tk;
	size_t tpos, tlen;
	int64_t ival;
	double rval;
	char *sval;		/* decoded string literal (arena) */
	uint32_t slen;

	struct formula *f;
	const struct formula_resolver *r;
	struct formula_error *err;
	bool failed;
	struct formula_error sem;	/* first semantic error */
	bool sem_failed;
	int depth;
	unsigned int nodes;
	int nparams;
	struct { size_t pos, len; } param[FORMULA_LAMBDA_MAX];
};

/* Advance to the next token; -1 after an error (already recorded). */
int fp_next(struct parser *p);
/* Record a syntax error (the first one wins); returns -1. */
int fp_err(struct parser *p, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Record a semantic error: parsing goes on so a later syntax error wins. */
void fp_sem(struct parser *p, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The current token is the NAME @kw, compared case-insensitively. */
bool fp_name_is(const struct parser *p, const char *kw);
/* The current token quoted for messages ("'x'" or "end of formula"). */
const char *fp_tok_desc(const struct parser *p, char *buf, size_t cap);

#endif /* SMVED_FORMULA_PARSE_H */
