/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * nguru's formula language (spec §9.3): a safe compiler and evaluator.
 *
 * A formula is compiled once into a small tree held in its own bounded
 * arena; references to points and elements are bound to slots at compile
 * time through a resolver, so an unknown tag is a compile error with its
 * position, and evaluation never looks anything up by name.  Evaluation is
 * a bounded tree walk: a step budget, a scratch arena of fixed capacity and
 * a depth that the parser already bounded.  No text is ever handed to a
 * general-purpose interpreter.
 *
 * Semantics follow Python 3, which is what nguru ran (truthiness, `or` and
 * `and` returning an operand, int vs real arithmetic, `/` always real,
 * Python's str(), int() and float() conversions).  Deliberate differences:
 * integers are 64-bit (overflow is an error instead of a big integer), SI
 * is lazy, `=` is equality without nguru's textual rewrite, comparisons do
 * not chain, a negative number to a fractional power is an error (Python
 * would give a complex number), and `%` on strings (Python's printf
 * formatting) is a TypeError.
 *
 * Names: keywords, function names, the namespaces ai/di/eg and attribute
 * names are case-insensitive; tags and lambda parameters are
 * case-sensitive.  FLOAT (format with n decimals) and float (conversion)
 * differ only in case: the exact spelling "FLOAT" formats, every other
 * spelling of "float" converts.
 *
 * Threading: none.  A compiled formula is immutable and may be evaluated
 * with any scratch; a scratch serves one evaluation at a time.
 */
#ifndef SMVED_FORMULA_H
#define SMVED_FORMULA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Hard limits.  Anything beyond them is rejected with a clear message. */
#define FORMULA_TEXT_MAX	4096	/* bytes of formula text */
#define FORMULA_DEPTH_MAX	64	/* nesting of the parse (and so of evaluation) */
#define FORMULA_NODES_MAX	4096	/* tree nodes per formula */
#define FORMULA_STR_MAX		4096	/* bytes of any string value */
#define FORMULA_LAMBDA_MAX	8	/* nested lambdas */
#define FORMULA_STEPS_DEFAULT	200000u	/* evaluation steps per formula */
#define FORMULA_SCRATCH_DEFAULT	(256u * 1024u)	/* evaluation memory per formula */
#define FORMULA_ERR_MAX		160	/* error message buffer, NUL included */

/* Reference namespaces. */
enum formula_ns {
	FORMULA_NS_AI = 0,
	FORMULA_NS_DI = 1,
	FORMULA_NS_EG = 2,
};

/* Attributes a reference may read. */
enum formula_attr {
	FORMULA_A_VALUE = 0,	/* ai, di */
	FORMULA_A_ESCALA,	/* ai */
	FORMULA_A_Q,		/* ai */
	FORMULA_A_TEXT,		/* eg */
	FORMULA_A_FILL,		/* eg */
	FORMULA_A_STROKE,	/* eg */
	FORMULA_A_MARK,		/* eg */
	FORMULA_A_TAG,		/* eg */
	FORMULA_A_DESCRIPTION,	/* eg */
	FORMULA_A_COUNT
};

/* Lower-case name of an attribute ("value", "text", ...). */
const char *formula_attr_name(enum formula_attr a);

enum formula_type {
	FV_NONE = 0,
	FV_BOOL,
	FV_INT,
	FV_REAL,
	FV_STR,
	FV_SEQ,
	FV_ELEM,	/* an element record (inside lambdas); .elem is its slot */
};

/*
 * A value.  Strings are not NUL terminated; their bytes belong to whoever
 * produced them (the resolver, the compiled formula or the scratch) and
 * stay valid until the next evaluation with the same scratch.
 */
struct formula_value {
	uint8_t type;		/* enum formula_type */
	union {
		int64_t i;	/* FV_BOOL (0/1), FV_INT */
		double r;	/* FV_REAL */
		struct {
			const char *p;
			uint32_t len;
		} s;		/* FV_STR */
		struct {
			const struct formula_value *v;
			uint32_t n;
		} seq;		/* FV_SEQ */
		uint32_t elem;	/* FV_ELEM */
	};
};

/*
 * Where formulas read points and elements.  Elements are the slots
 * 0 .. element_count()-1 of FORMULA_NS_EG; `eg` alone is all of them.
 */
struct formula_resolver {
	/*
	 * Compile time: map a tag (NUL terminated, case-sensitive) of @ns to a
	 * slot.  Return 0, or -1 when the tag does not exist.
	 */
	int (*bind)(void *ctx, enum formula_ns ns, const char *tag,
		    uint32_t *slot);
	/*
	 * Evaluation time: the current value of @attr of a bound slot.  Return
	 * 0, or -1 with a message in @err (capacity FORMULA_ERR_MAX) when the
	 * value is not available.  String bytes must stay valid until the
	 * evaluation returns.
	 */
	int (*read)(void *ctx, enum formula_ns ns, uint32_t slot,
		    enum formula_attr attr, struct formula_value *out,
		    char *err);
	/* Number of elements (slots of FORMULA_NS_EG). */
	uint32_t (*element_count)(void *ctx);
	void *ctx;
};

/* A compile error: where and why. */
struct formula_error {
	uint32_t pos;		/* 0-based byte offset in the text */
	uint32_t col;		/* 1-based column (formulas are one line) */
	char msg[FORMULA_ERR_MAX];
};

/* One bound reference of a compiled formula (for dependency ordering). */
struct formula_ref {
	uint8_t ns;		/* enum formula_ns */
	uint8_t attr;		/* enum formula_attr */
	uint32_t slot;
};

struct formula;

/*
 * Compile @len bytes of @text.  On success returns 0 and stores a formula
 * the caller frees with formula_free().  On failure returns -1, stores NULL
 * and fills @err (never NULL) with the position and a message such as
 * "unknown element 'E4A89S01'" or "unmatched ')'".  The resolver is used
 * only for bind() during the call.
 */
int formula_compile(const char *text, size_t len,
		    const struct formula_resolver *r, struct formula **out,
		    struct formula_error *err);
/* Free a compiled formula.  NULL is allowed. */
void formula_free(struct formula *f);

/* The references of @f, deduplicated: array of *@n (owned by @f). */
const struct formula_ref *formula_refs(const struct formula *f, size_t *n);
/*
 * True when @f iterates over every element (`eg` alone); then
 * formula_all_attrs() is the bit mask (1 << enum formula_attr) of the
 * element attributes its lambdas read.
 */
bool formula_uses_all(const struct formula *f);
uint32_t formula_all_attrs(const struct formula *f);

/* Evaluation memory, reused across evaluations. */
struct formula_scratch;

/* A scratch of @cap bytes (0: FORMULA_SCRATCH_DEFAULT); NULL on ENOMEM. */
struct formula_scratch *formula_scratch_new(size_t cap);
void formula_scratch_free(struct formula_scratch *s);

/*
 * Evaluate @f.  @steps bounds the work (0: FORMULA_STEPS_DEFAULT).  Returns
 * 0 with the result in @out (its strings live in @s until the next
 * evaluation), or -1 with "Type: message" in @err (capacity
 * FORMULA_ERR_MAX), e.g. "ZeroDivisionError: division by zero",
 * "ValueError: invalid literal for int() with base 10: ''".
 */
int formula_eval(const struct formula *f, const struct formula_resolver *r,
		 struct formula_scratch *s, unsigned int steps,
		 struct formula_value *out, char *err);

/*
 * Python's str() of @v into @buf (capacity @cap, NUL terminated).  Returns
 * the full length, which may exceed @cap - 1 (output truncated), or -1 when
 * @v contains an element and @r cannot name it.
 */
int formula_str(const struct formula_value *v, const struct formula_resolver *r,
		char *buf, size_t cap);

/*
 * Python's repr() of a real: the shortest text that reads back to the same
 * double, with ".0" for integral values and exponent form outside
 * 1e-4 <= |x| < 1e16 ("62.71102449888642", "1e+16", "inf").  @cap >= 32.
 */
int formula_real_repr(double x, char *buf, size_t cap);

#endif /* SMVED_FORMULA_H */
