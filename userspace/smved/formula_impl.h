/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Internals of the formula module: the tree the compiler (formula.c,
 * formula_lex.c) builds and the evaluator (formula_eval.c, formula_fn.c)
 * walks.  Not a public interface: only those files include it.
 */
#ifndef SMVED_FORMULA_IMPL_H
#define SMVED_FORMULA_IMPL_H

#include "formula.h"

enum fnode_op {
	N_CONST,	/* k */
	N_REF,		/* ref: ns.TAG.attr bound to a slot */
	N_ALL,		/* `eg` alone: every element */
	N_PARAM,	/* param: a lambda parameter, or one of its attributes */
	N_OR,
	N_AND,
	N_NOT,		/* kid[0] */
	N_CMP,		/* aux = enum fcmp, kid[0..1] */
	N_BIN,		/* aux = enum fbin, kid[0..1] */
	N_NEG,
	N_POS,
	N_CALL,		/* aux = enum ffn, args[nargs] */
	N_LAMBDA,	/* lam */
};

enum fcmp { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE };
enum fbin { B_ADD, B_SUB, B_MUL, B_DIV, B_MOD, B_POW };

enum ffn {
	F_SI, F_O, F_RAIZ, F_SUMA, F_APLICAR, F_FILTRAR, F_FLOAT,
	F_STR, F_INT, F_FLOATCONV, F_ABS, F_ROUND, F_MIN, F_MAX, F_LEN,
	F_COUNT
};

/* Built-in function table: name (matched case-insensitively) and arity. */
struct ffn_info {
	const char *name;
	uint8_t min_args;
	uint8_t max_args;	/* 255: unbounded */
};
extern const struct ffn_info ffn_table[F_COUNT];

#define PARAM_SELF	0xFF	/* N_PARAM attr: the parameter itself */

struct fnode {
	uint8_t op;		/* enum fnode_op */
	uint8_t aux;
	uint16_t nargs;
	uint32_t pos;		/* byte offset in the text, for messages */
	union {
		struct formula_value k;
		struct {
			uint8_t ns, attr;
			uint32_t slot;
		} ref;
		struct {
			uint8_t level;	/* lambda nesting level, 0-based */
			uint8_t attr;	/* enum formula_attr or PARAM_SELF */
		} param;
		struct fnode *kid[2];
		struct fnode **args;
		struct {
			struct fnode *body;
			uint8_t level;
		} lam;
	};
};

/* Evaluation state of one formula_eval() call. */
struct ectx {
	const struct formula_resolver *r;
	struct formula_scratch *s;
	unsigned long steps;	/* left */
	char *err;
	struct formula_value param[FORMULA_LAMBDA_MAX];
};

/* The tree of a compiled formula (formula.c). */
const struct fnode *formula_root(const struct formula *f);
/* Evaluate a node (formula_eval.c). */
int feval(struct ectx *c, const struct fnode *n, struct formula_value *out);
/* Record "Type: message" in c->err and return -1. */
int ferr(struct ectx *c, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Charge @n steps; -1 (with the error set) when the budget is exhausted. */
int fcharge(struct ectx *c, unsigned long n);
/* Scratch allocation (8-byte aligned); NULL with the error set when full. */
void *fscratch(struct ectx *c, size_t n);
/* Copy @len bytes into the scratch as a string value. */
int fmkstr(struct ectx *c, const char *p, size_t len, struct formula_value *out);

/* Python's truth value. */
bool ftruth(const struct formula_value *v);
/* Python type name for messages ("int", "str", "NoneType", ...). */
const char *ftype_name(const struct formula_value *v);
/* True for bool, int and real. */
static inline bool fis_num(const struct formula_value *v)
{
	return v->type == FV_BOOL || v->type == FV_INT || v->type == FV_REAL;
}
/* A number as a double (bool and int converted). */
static inline double fnum(const struct formula_value *v)
{
	return v->type == FV_REAL ? v->r : (double)v->i;
}
/* Python `a + b` (also used by SUMA). */
int fv_add(struct ectx *c, const struct formula_value *a,
	 const struct formula_value *b, struct formula_value *out);
/* Python ordering: <0, 0, >0 in *cmp; -1 with TypeError when unorderable. */
int forder(struct ectx *c, const struct formula_value *a,
	   const struct formula_value *b, const char *op, int *cmp);
/* Python `==`. */
bool fequal(const struct formula_value *a, const struct formula_value *b);

/* Call a built-in other than SI (formula_fn.c). */
int fcall(struct ectx *c, const struct fnode *n, struct formula_value *out);
/* Python str() into the scratch. */
int fstr(struct ectx *c, const struct formula_value *v, struct formula_value *out);

#endif /* SMVED_FORMULA_IMPL_H */
