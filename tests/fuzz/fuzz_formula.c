// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: arbitrary formula text is compiled and evaluated
 * against a fixed world (two AIs, a DI, four elements).  Anything but a
 * clean result or a clean error is a bug: crashes, sanitizer reports,
 * hangs (the step budget must stop every evaluation), leaks.
 *
 * The fuzz build (tests/build.mk) links only the codec and libsmve, so the
 * formula sources are included here directly.
 */
#include "../../userspace/smved/formula.c" // NOLINT(bugprone-suspicious-include)
#include "../../userspace/smved/formula_lex.c" // NOLINT(bugprone-suspicious-include)
#include "../../userspace/smved/formula_eval.c" // NOLINT(bugprone-suspicious-include)
#include "../../userspace/smved/formula_fn.c" // NOLINT(bugprone-suspicious-include)

static const char *const tags[] = { "E4252B05", "E4289S01", "E42BAR00", "E42ETT00" };
static const char *const texts[] = { "1", "", "55.25", "x y" };

static int fz_bind(void *ctx, enum formula_ns ns, const char *tag, uint32_t *slot)
{
	uint32_t i;

	(void)ctx;
	for (i = 0; i < 4; i++)
		if (strcmp(tag, tags[i]) == 0 && (ns == FORMULA_NS_EG || i < 2)) {
			*slot = i;
			return 0;
		}
	return -1;
}

static int fz_read(void *ctx, enum formula_ns ns, uint32_t slot, enum formula_attr a,
		   struct formula_value *out, char *err)
{
	(void)ctx;
	if (slot >= 4) {
		snprintf(err, FORMULA_ERR_MAX, "bad slot");
		return -1;
	}
	if (ns != FORMULA_NS_EG) {
		if (a == FORMULA_A_ESCALA) {
			out->type = FV_REAL;
			out->r = 0.018374164810690423;
		} else {
			out->type = FV_INT;
			out->i = a == FORMULA_A_Q ? slot : 3007 * (int64_t)slot;
		}
		return 0;
	}
	switch (a) {
	case FORMULA_A_TEXT:
	case FORMULA_A_TAG:
	case FORMULA_A_DESCRIPTION:
		out->type = FV_STR;
		out->s.p = a == FORMULA_A_TEXT ? texts[slot] : tags[slot];
		out->s.len = (uint32_t)strlen(out->s.p);
		return 0;
	case FORMULA_A_MARK:
		out->type = FV_INT;
		out->i = slot & 1;
		return 0;
	default:
		if (slot == 3) {
			out->type = FV_NONE;
		} else {
			out->type = FV_INT;
			out->i = (int64_t)slot * 3;
		}
		return 0;
	}
}

static uint32_t fz_count(void *ctx)
{
	(void)ctx;
	return 4;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct formula_scratch *s;
	const struct formula_resolver r = { fz_bind, fz_read, fz_count, NULL };
	struct formula_error fe;
	struct formula_value v;
	struct formula *f;
	char err[FORMULA_ERR_MAX], out[FORMULA_STR_MAX + 1];

	if (!s)
		s = formula_scratch_new(64 * 1024);
	if (formula_compile((const char *)data, size, &r, &f, &fe) != 0) {
		/* A compile error always points inside (or just past) the text. */
		if (fe.pos > size || !fe.msg[0])
			__builtin_trap();
		return 0;
	}
	if (formula_eval(f, &r, s, 20000, &v, err) == 0)
		formula_str(&v, &r, out, sizeof(out));
	else if (strchr(err, ':') == NULL)
		__builtin_trap();	/* every error is "Type: message" */
	formula_free(f);
	return 0;
}
