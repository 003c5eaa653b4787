// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The formula language rule by rule (spec §9.3): case, laziness,
 * truthiness, int vs real, strings, comparisons, conversions with Python's
 * results, errors, hostile input, limits; then the element table:
 * dependency order, cycles, change-driven evaluation, result types.
 * Expected strings are Python 3's own output for the same expressions.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elements.h"
#include "tap.h"

/* --- a fixed world: two AIs, a DI, and the element table ----------------- */

static struct elements *W;
static int64_t ai_value[2] = { 3007, 0 };
static bool ai_missing;

static int p_bind(void *ctx, enum formula_ns ns, const char *tag, uint32_t *slot)
{
	static const struct { enum formula_ns ns; const char *tag; } pts[] = {
		{ FORMULA_NS_AI, "E42VV_00" }, { FORMULA_NS_AI, "E42PA_01" }, { FORMULA_NS_DI, "E4252B05" },
	};
	uint32_t i;

	(void)ctx;
	for (i = 0; i < 3; i++)
		if (pts[i].ns == ns && strcmp(pts[i].tag, tag) == 0) {
			*slot = i == 2 ? 0 : i;	/* AI slots 0, 1; DI slot 0 */
			return 0;
		}
	return -1;
}

static int p_read(void *ctx, enum formula_ns ns, uint32_t slot, enum formula_attr a,
		  struct formula_value *out, char *err)
{
	(void)ctx;
	if (ns == FORMULA_NS_AI && slot == 1 && ai_missing) {
		snprintf(err, FORMULA_ERR_MAX, "ai.E42PA_01 has no value yet");
		return -1;
	}
	if (a == FORMULA_A_ESCALA) {
		out->type = FV_REAL;
		out->r = 0.018374164810690423;
	} else if (a == FORMULA_A_Q) {
		out->type = FV_INT;
		out->i = slot;
	} else {
		out->type = FV_INT;
		out->i = ns == FORMULA_NS_DI ? 1 : ai_value[slot];
	}
	return 0;
}

static const struct formula_resolver points = { .bind = p_bind, .read = p_read };

static void add(const char *tag, const char *text, int fill, int mark)
{
	struct element_def d = { .tag = tag, .text = text, .fill = fill, .stroke = ELEMENT_NONE,
				 .mark = mark, .enabled = true };
	char err[FORMULA_ERR_MAX];

	if (elements_add(W, &d, err) < 0)
		tap_diag("add %s: %s", tag, err);
}

/* Compile and evaluate; the result as Python's str(), "E:<error>" or "C<col>:<message>". */
static const char *ev_steps(const char *text, unsigned int steps)
{
	static char out[8192];
	static struct formula_scratch *s;
	const struct formula_resolver *r = elements_resolver(W);
	struct formula_error fe;
	struct formula_value v;
	struct formula *f;
	char err[FORMULA_ERR_MAX];

	if (!s)
		s = formula_scratch_new(0);
	if (!text) {
		formula_scratch_free(s);
		s = NULL;
		return "";
	}
	if (formula_compile(text, strlen(text), r, &f, &fe)) {
		snprintf(out, sizeof(out), "C%u:%s", fe.col, fe.msg);
		return out;
	}
	if (formula_eval(f, r, s, steps, &v, err))
		snprintf(out, sizeof(out), "E:%s", err);
	else if (formula_str(&v, r, out, sizeof(out)) < 0)
		snprintf(out, sizeof(out), "?unprintable");
	formula_free(f);
	return out;
}

static const char *ev(const char *text)
{
	return ev_steps(text, 0);
}

/* @s with bytes outside printable ASCII as \xNN: TAP logs stay text. */
static const char *printable(const char *s, char *buf, size_t cap)
{
	size_t o = 0;

	for (; *s && o + 5 < cap; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch >= 0x20 && ch < 0x7F)
			buf[o++] = (char)ch;
		else
			o += (size_t)snprintf(buf + o, cap - o, "\\x%02X", ch);
	}
	buf[o] = '\0';
	return buf;
}

/* @want is the exact result, or a prefix when it ends with '*'. */
static void is(const char *text, const char *want)
{
	const char *got = ev(text);
	size_t n = strlen(want);
	bool ok = n && want[n - 1] == '*' ? strncmp(got, want, n - 1) == 0 : strcmp(got, want) == 0;
	char a[80], b[80], g[200];

	if (!OK(ok, "%.60s -> %.60s", printable(text, a, sizeof(a)), printable(want, b, sizeof(b))))
		tap_diag("  got: %s", printable(got, g, sizeof(g)));
}

static void test_case_and_keywords(void)
{
	is("SI(1,2,3)", "2");
	is("si(0,2,3)", "3");
	is("Si(None,2,3)", "3");
	is("TRUE", "True");
	is("none", "None");
	is("NOT 0", "True");
	is("1 AND 2", "2");
	is("0 Or 'x'", "x");
	is("Str(12)", "12");
	is("INT('7')", "7");
	/* FLOAT formats, float converts; other spellings convert. */
	is("FLOAT(2)", "2.000");
	is("float(2)", "2.0");
	is("Float('2')", "2.0");
	/* Tags are case-sensitive. */
	is("ai.e42vv_00.value", "C4:unknown analog input 'e42vv_00'*");
	is("AI.E42VV_00.VALUE", "3007");
}

static void test_laziness_and_truth(void)
{
	is("SI(1, 2, 1/0)", "2");
	is("SI(0, 1/0, 3)", "3");
	is("SI(1, 2, int('x'))", "2");
	/* O is a plain function, as it was in nguru. */
	is("O(1, 1/0)", "E:ZeroDivisionError: division by zero");
	is("O(0, '', 5)", "5");
	is("O(0, None)", "None");
	is("(0 and 1/0)", "0");
	is("(1 or 1/0)", "1");
	is("(0 or 1)", "1");
	is("(2 and 3)", "3");
	is("('' or 'a')", "a");
	is("SI('', 1, 2)", "2");
	is("SI('0', 1, 2)", "1");
	is("SI(0.0, 1, 2)", "2");
	is("SI(FILTRAR(lambda x: 0, eg), 1, 2)", "2");
	is("SI(eg, 1, 2)", "1");
	is("not ''", "True");
	is("not 'a'", "False");
}

static void test_numbers(void)
{
	is("7/2", "3.5");
	is("6/3", "2.0");
	is("7%3", "1");
	is("-7%3", "2");
	is("7%-3", "-2");
	is("-7.5%2", "0.5");
	is("7.5%-2", "-0.5");
	is("2**10", "1024");
	is("2**-1", "0.5");
	is("2**0.5", "1.4142135623730951");
	is("-2**2", "-4");
	is("2**3**2", "512");
	is("1+2.0", "3.0");
	is("3*1.5", "4.5");
	is("1 + True", "2");
	is("-True", "-1");
	is("+-+3", "-3");
	is("1/3", "0.3333333333333333");
	is("0.1+0.2", "0.30000000000000004");
	is("1e16", "1e+16");
	is("1e15", "1000000000000000.0");
	is("1e-5", "1e-05");
	is("0.0001", "0.0001");
	is("123456789012345678.0", "1.2345678901234568e+17");
	is("5e-324", "5e-324");
	is("1.7976931348623157e308", "1.7976931348623157e+308");
	is("9007199254740993.0", "9007199254740992.0");
	is("-0.0", "-0.0");
	is("1e22", "1e+22");
	is("1e308*10", "inf");
	is("10.0**400", "E:OverflowError: (34, 'Numerical result out of range')");
	is("9223372036854775807 + 1", "E:OverflowError*");
	is("2**64", "E:OverflowError*");
	is("9223372036854775808", "C1:integer 9223372036854775808 is out of range*");
	is("1/0", "E:ZeroDivisionError: division by zero");
	is("1.0/0", "E:ZeroDivisionError: division by zero");
	is("5%0", "E:ZeroDivisionError: integer modulo by zero");
	is("0**-1", "E:ZeroDivisionError*");
	is("(-8)**0.5", "E:ValueError*");
	is("-9223372036854775807 - 1", "-9223372036854775808");
	is("(-9223372036854775807 - 1) % -1", "0");
}

static void test_strings_and_comparisons(void)
{
	is("'a' + 'b'", "ab");
	is("\"a\" + 'b'", "ab");
	is("'it\\'s'", "it's");
	is("'ab' * 3", "ababab");
	is("2 * 'ab'", "abab");
	is("'a' * 0", "");
	is("'a' + 1", "E:TypeError: unsupported operand type(s) for +: 'str' and 'int'");
	is("'a' - 'b'", "E:TypeError*");
	is("str(1) + 'x'", "1x");
	is("1 = 1.0", "True");
	is("1 == '1'", "False");
	is("'1' != 1", "True");
	is("1 <> 2", "True");
	is("True = 1", "True");
	is("None = None", "True");
	is("None = 0", "False");
	is("'a' < 'b'", "True");
	is("'b' <= 'a'", "False");
	is("'ab' > 'a'", "True");
	is("2 >= 2.0", "True");
	is("9007199254740993 = 9007199254740992.0", "False");
	is("1 < 'a'", "E:TypeError: '<' not supported between instances of 'int' and 'str'");
	is("None < 1", "E:TypeError*");
	is("1 < 2 < 3", "C7:comparisons cannot be chained*");
	is("eg = eg", "True");
}

static void test_functions(void)
{
	is("int('42')", "42");
	is("int(' -7 ')", "-7");
	is("int('1_000')", "1000");
	is("int('1.0')", "E:ValueError: invalid literal for int() with base 10: '1.0'");
	is("int('')", "E:ValueError: invalid literal for int() with base 10: ''");
	is("int(3.9)", "3");
	is("int(-3.9)", "-3");
	is("int(True)", "1");
	is("int(None)", "E:TypeError*");
	is("int(1e300)", "E:OverflowError*");
	is("int()", "0");
	is("float('1.5')", "1.5");
	is("float(' 2 ')", "2.0");
	is("float('1e3')", "1000.0");
	is("float('-inf')", "-inf");
	is("float('nan')", "nan");
	is("float('abc')", "E:ValueError: could not convert string to float: 'abc'");
	is("float('0x10')", "E:ValueError*");
	is("float('')", "E:ValueError*");
	is("str(None)", "None");
	is("str(True)", "True");
	is("str(2.0)", "2.0");
	is("str(10)", "10");
	is("str()", "");
	is("str(3007*ai.E42VV_00.escala)", "55.251113585746104");
	is("FLOAT(3.14159)", "3.142");
	is("FLOAT(2, 1)", "2.0");
	is("FLOAT('2.5', 0)", "2");
	is("FLOAT('x')", "E:ValueError*");
	is("FLOAT(1, 99)", "E:ValueError*");
	is("len(FLOAT(1e308, 20))", "330");
	is("FLOAT(float('-nan'))", "nan");
	is("FLOAT(float('-inf'), 2)", "-inf");
	is("round(2.5)", "2");
	is("round(3.5)", "4");
	is("round(-2.5)", "-2");
	is("round(2.675, 2)", "2.67");
	is("round(0.125, 2)", "0.12");
	is("round(15, -1)", "20");
	is("round(25, -1)", "20");
	is("round(-15, -1)", "-20");
	is("round(1234.5678, -2)", "1200.0");
	is("round('1')", "E:TypeError*");
	is("round(1e308, 300)", "1e+308");
	is("round(0.5, 400)", "0.5");
	is("round(1.5e-300, 301)", "1.5e-300");
	is("abs(-3)", "3");
	is("abs(-2.5)", "2.5");
	is("abs('x')", "E:TypeError*");
	is("min(3, 1, 2)", "1");
	is("max(3, 1.5, 2)", "3");
	is("max('abc')", "c");
	is("min(FILTRAR(lambda x: 0, eg))", "E:ValueError*");
	is("len('abc')", "3");
	is("len('\xc3\xb1')", "1");
	is("len(eg)", "6");
	is("len(5)", "E:TypeError: object of type 'int' has no len()");
	is("RAIZ(16)", "4.0");
	is("RAIZ(-1)", "E:ValueError: math domain error");
	is("RAIZ('4')", "E:TypeError*");
	is("SUMA(1, 2, 3)", "6");
	is("SUMA(1, 2.5)", "3.5");
	is("SUMA(True, True)", "2");
	is("SUMA(APLICAR(lambda e: e.mark, eg))", "3");
	is("SUMA('a', 'b')", "E:TypeError*");
	is("str(APLICAR(lambda e: e.tag, FILTRAR(lambda x: x.mark = 1, eg)))", "['A', 'C', 'D']");
	is("str(APLICAR(lambda c: c, 'ab'))", "['a', 'b']");
	is("SUMA(APLICAR(lambda a: SUMA(APLICAR(lambda b: a.mark * b.mark, eg)), eg))", "9");
	is("len(APLICAR(lambda e: e, eg))", "6");
	is("APLICAR(lambda e: e.text, 5)", "E:TypeError: 'int' object is not iterable");
	is("APLICAR(lambda e: e.text, 'ab')", "E:AttributeError*");
	is("SI(SUMA(APLICAR(lambda e: int(e.text), FILTRAR(lambda x: x.mark = 1, eg))),6,11)", "11");
}

static void test_compile_errors(void)
{
	is("", "C1:empty formula");
	is("   ", "C1:empty formula");
	is("SI(1,2)", "C1:SI() takes 3 arguments (2 given)");
	is("RAIZ()", "C1:RAIZ() takes 1 argument (0 given)");
	is("foo(1)", "C1:unknown function 'foo'");
	is("x + 1", "C1:unknown name 'x'");
	is("lambda x: 1", "C1:lambda is only allowed*");
	is("SI(lambda x: 1, 1, 2)", "C4:lambda is only allowed*");
	is("APLICAR(1, eg)", "C9:APLICAR needs a lambda*");
	is("APLICAR(lambda e: e.colour, eg)", "C21:unknown element attribute 'colour'*");
	is("ai.NOPE.value", "C4:unknown analog input 'NOPE'*");
	is("di.E4252B05.q", "C13:unknown attribute 'q' of di.E4252B05*");
	is("eg.A.value", "C6:unknown attribute 'value'*");
	is("ai", "C1:'ai' must be followed by .TAG.attribute");
	is("ai.E42VV_00", "C12:expected '.attribute'*");
	is("(1", "C3:expected ')' to close the '(' at column 1, found end of formula");
	is("1)", "C2:misplaced ')'*");
	is("SI(1,2,3))", "C10:misplaced ')'*");
	is("SI(1,2,3) 4", "C11:unexpected '4' after the end of the formula");
	is("'abc", "C1:unterminated string");
	is("1 +", "C4:expected a value, found end of formula");
	is("1 ! 2", "C3:'!' must be followed by '='");
	is("1 $ 2", "C3:unexpected character '$'");
	is("1 \x01", "C3:unexpected byte 0x01");
	is("1 \xff", "C3:unexpected byte 0xFF");
	is("12abc", "C3:invalid character 'a' in number");
	is("SI(1,2,3", "C9:expected ',' or ')' in the arguments of SI*");
	is("APLICAR(lambda and: 1, eg)", "C16:expected a parameter name*");
}

static void test_hostile(void)
{
	static char buf[FORMULA_TEXT_MAX + 64];
	int i, n = 0;

	for (i = 0; i < 1000; i++)
		buf[n++] = '(';
	buf[n++] = '1';
	for (i = 0; i < 1000; i++)
		buf[n++] = ')';
	buf[n] = '\0';
	is(buf, "C*");
	OK(strstr(ev(buf), "nested deeper than") != NULL, "deep parentheses: nesting limit");
	memset(buf, '-', 3000);
	strcpy(buf + 3000, "1");
	OK(strstr(ev(buf), "nested deeper than") != NULL, "long unary chain: nesting limit");
	memset(buf, 0, sizeof(buf));
	for (n = 0; n + 2 < FORMULA_TEXT_MAX; n += 2)
		memcpy(buf + n, "1+", 2);
	buf[n] = '1';
	OK(ev(buf)[0] != 'C', "a flat 4 KiB sum compiles (no recursion per term)");
	memset(buf, 'a', FORMULA_TEXT_MAX + 1);
	buf[FORMULA_TEXT_MAX + 1] = '\0';
	is(buf, "C1:formula longer than 4096 bytes");
	is("'x' * 5000", "E:ValueError: string longer than 4096 bytes");
	is("len(eg * 0 * 4**14)", "0");
	is("len(eg * 4**14)", "E:MemoryError*");
	is("'x' * 4096 + 'y'", "E:ValueError*");
	is("len(str(APLICAR(lambda a: APLICAR(lambda b: APLICAR(lambda c: a.tag * 50, eg), eg), eg)))",
	   "E:ValueError*");
	/* Step budget: 6^3 inner evaluations fit the default, not a budget of 100. */
	is("SUMA(APLICAR(lambda a: SUMA(APLICAR(lambda b: SUMA(APLICAR(lambda c: 1, eg)), eg)), eg))", "216");
	OK(strcmp(ev_steps("SUMA(APLICAR(lambda a: SUMA(APLICAR(lambda b: SUMA(APLICAR(lambda c: 1, eg)), eg)), eg))",
			   100), "E:LimitError: evaluation step budget exhausted") == 0,
	   "step budget stops a runaway evaluation");
	/* Embedded NUL: the length, not the terminator, bounds the text. */
	{
		struct formula *f;
		struct formula_error fe;

		OK(formula_compile("1\0+2", 4, elements_resolver(W), &f, &fe) == -1 && fe.col == 2,
		   "embedded NUL is rejected at its column");
	}
}

static void test_resolver_errors(void)
{
	ai_missing = true;
	is("ai.E42PA_01.value", "E:LookupError: ai.E42PA_01 has no value yet");
	is("SI(0, ai.E42PA_01.value, 7)", "7");
	ai_missing = false;
	is("ai.E42PA_01.q", "1");
	is("di.E4252B05.value", "1");
}

static void test_repr(void)
{
	static const struct { double x; const char *want; } v[] = {
		{ 0.3, "0.3" }, { 2.0 / 3, "0.6666666666666666" }, { 100.0, "100.0" },
		{ 1234.5, "1234.5" }, { -1e-7, "-1e-07" }, { 1e100, "1e+100" },
		{ INFINITY, "inf" }, { -INFINITY, "-inf" }, { 0.0, "0.0" },
	};
	char buf[40];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		formula_real_repr(v[i].x, buf, sizeof(buf));
		OK(strcmp(buf, v[i].want) == 0, "repr(%.17g) = %s", v[i].x, v[i].want);
	}
}

/* --- the element table ------------------------------------------------------- */

static int nfault;

static void count_fault(void *ctx, const struct element_fault *f)
{
	(void)ctx;
	(void)f;
	nfault++;
}

static int fidx(struct elements *t, const char *tag)
{
	return elements_find(t, tag);
}

static void test_table(void)
{
	struct elements *t = elements_new();
	struct element_def d = { .stroke = ELEMENT_NONE, .enabled = true };
	static const char *const tags[] = { "A", "B", "C", "X", "Y", "Z", "P", "Q" };
	char err[FORMULA_ERR_MAX];
	const struct element *e;
	size_t i;
	int k;

	for (k = 0; k <= 12; k++)
		elements_set_color(t, (unsigned int)k, 0x102030u * (unsigned int)k, "c", "");
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		d.tag = tags[i];
		d.text = "0";
		d.fill = 3;
		OK(elements_add(t, &d, err) == (int)i, "add %s", tags[i]);
	}
	OK(elements_add(t, &d, err) < 0 && strstr(err, "duplicate"), "duplicate tag refused");
	d.tag = "bad-tag";
	OK(elements_add(t, &d, err) < 0, "bad tag refused");
	d.tag = "ABCDEFGHIJKLMNOPQ";
	OK(elements_add(t, &d, err) < 0, "17-character tag refused");
	/* A reads B reads C: sheet order is the reverse of dependency order. */
	OK(elements_set_formula(t, "A", EL_TEXT, "eg.B.text + 'a'", 2, err) == 0, "formula A");
	OK(elements_set_formula(t, "B", EL_TEXT, "eg.C.text + 'b'", 3, err) == 0, "formula B");
	OK(elements_set_formula(t, "C", EL_TEXT, "str(ai.E42VV_00.value)", 4, err) == 0, "formula C");
	OK(elements_set_formula(t, "C", EL_TEXT, "1", 5, err) < 0, "second formula for C.text refused");
	OK(elements_set_formula(t, "NOPE", EL_TEXT, "1", 6, err) < 0, "formula for unknown element refused");
	/* A cycle X <-> Y, and Z reading itself. */
	elements_set_formula(t, "X", EL_FILL, "SI(eg.Y.fill = 1, 2, 1)", 7, err);
	elements_set_formula(t, "Y", EL_FILL, "eg.X.fill", 8, err);
	elements_set_formula(t, "Z", EL_FILL, "(eg.Z.fill + 1) % 13", 9, err);
	/* Result type rules. */
	elements_set_formula(t, "P", EL_FILL, "SI(eg.P.text = '0', None, 'red')", 10, err);
	elements_set_formula(t, "P", EL_STROKE, "SI(eg.P.text = '0', True, 99)", 11, err);
	elements_set_formula(t, "Q", EL_TEXT, "SI(eg.Q.text = '0', 2.5, 1/0)", 12, err);
	elements_set_formula(t, "Q", EL_FILL, "SI(", 13, err);
	nfault = 0;
	IS(elements_compile(t, &points, count_fault, NULL), 1, "one fault (row 13)");
	IS(nfault, 1, "reported once");
	OK(strstr(elements_error(t, (uint32_t)fidx(t, "Q"), EL_FILL), "CompileError: column 4") != NULL,
	   "compile fault recorded as last error");
	elements_mark_all(t);
	elements_run(t, 0);
	e = elements_get(t, (uint32_t)fidx(t, "A"));
	OK(e && strcmp(e->text, "3007ba") == 0, "A = 3007ba in one pass (dependency order)");
	OK(elements_in_cycle(t, (uint32_t)fidx(t, "X"), EL_FILL) &&
	   elements_in_cycle(t, (uint32_t)fidx(t, "Y"), EL_FILL) &&
	   elements_in_cycle(t, (uint32_t)fidx(t, "Z"), EL_FILL) &&
	   !elements_in_cycle(t, (uint32_t)fidx(t, "A"), EL_TEXT), "cycles detected, chains are not cycles");
	IS(elements_get(t, (uint32_t)fidx(t, "Z"))->fill, 4, "self-reader ran once, reading the previous 3");
	/* X <-> Y oscillates and Z counts: each runs once per pass, never loops. */
	IS(elements_run(t, 0), 3, "next pass: only the cycle members run again");
	IS(elements_get(t, (uint32_t)fidx(t, "Z"))->fill, 5, "self-reader once more");
	/* Result types. */
	IS(elements_get(t, (uint32_t)fidx(t, "P"))->fill, ELEMENT_NONE, "None = no style");
	IS(elements_get(t, (uint32_t)fidx(t, "P"))->stroke, 1, "True = 1");
	e = elements_get(t, (uint32_t)fidx(t, "Q"));
	OK(strcmp(e->text, "2.5") == 0, "text is str() of the result");
	elements_set_text(t, (uint32_t)fidx(t, "P"), "1");
	elements_set_text(t, (uint32_t)fidx(t, "Q"), "1");
	elements_run(t, 0);
	OK(elements_get(t, (uint32_t)fidx(t, "P"))->fill == ELEMENT_NONE &&
	   strstr(elements_error(t, (uint32_t)fidx(t, "P"), EL_FILL),
		  "TypeError: fill must be an integer or None, not 'str'"), "a string fill is an error");
	OK(elements_get(t, (uint32_t)fidx(t, "P"))->stroke == 1 &&
	   strstr(elements_error(t, (uint32_t)fidx(t, "P"), EL_STROKE), "colour 99 is not in the palette"),
	   "a colour outside the palette is an error, the stroke stays");
	OK(strcmp(elements_get(t, (uint32_t)fidx(t, "Q"))->text, "1") == 0 &&
	   strstr(elements_error(t, (uint32_t)fidx(t, "Q"), EL_TEXT), "ZeroDivisionError"),
	   "a failed text formula leaves the text as it was");
	/* Change-driven: only readers of a changed point run. */
	elements_drain(t, NULL, NULL);
	ai_value[0] = 42;
	IS(elements_run(t, 0), 3, "point changed but not announced: only the cycle members run");
	OK(strcmp(elements_get(t, (uint32_t)fidx(t, "A"))->text, "3007ba") == 0, "A did not run");
	elements_point_changed(t, FORMULA_NS_AI, 0);
	IS(elements_run(t, 0), 6, "announced: C, then B and A in the same pass (and the cycle)");
	OK(strcmp(elements_get(t, (uint32_t)fidx(t, "A"))->text, "42ba") == 0, "A follows");
	IS(elements_drain(t, NULL, NULL), 6, "drain lists the changed attributes");
	IS(elements_drain(t, NULL, NULL), 0, "and forgets them");
	ai_value[0] = 3007;
	{
		/* Linked toggle: C (text "42" after the run above is not a value) and A, B linked. */
		struct element_def td = { .tag = "T", .text = "ES", .fill = 3, .stroke = ELEMENT_NONE,
					  .on_click_text_toggle = "ES (En servicio), FS (Fuera de servicio, sin tension)",
					  .linked_text_change = "P; Q,NOPE" };
		char from[ELEMENT_TEXT_MAX], to[ELEMENT_TEXT_MAX];

		k = elements_add(t, &td, err);
		OK(k >= 0 && elements_toggle(t, (uint32_t)k, from, to, err) == 3 && !strcmp(to, "FS") &&
		   !strcmp(elements_get(t, (uint32_t)fidx(t, "P"))->text, "FS") &&
		   !strcmp(elements_get(t, (uint32_t)fidx(t, "Q"))->text, "FS"),
		   "toggle copies the new value to the linked elements (label with a comma)");
		elements_set_text(t, (uint32_t)k, "??");
		OK(elements_toggle(t, (uint32_t)k, from, to, err) == -1 && strstr(err, "neither"),
		   "a text that is neither value is refused");
	}
	elements_free(t);
}

/* A long chain and a long cycle: iterative ordering, hashed lookups. */
static void test_scale(void)
{
	enum { N = 5000 };
	struct elements *t = elements_new();
	struct element_def d = { .text = "0", .fill = ELEMENT_NONE, .stroke = ELEMENT_NONE };
	char tag[ELEMENT_TAG_MAX], f[96], err[FORMULA_ERR_MAX];
	bool ok = true;
	int i;

	for (i = 0; i < N && ok; i++) {
		snprintf(tag, sizeof(tag), "E%d", i);
		d.tag = tag;
		ok = elements_add(t, &d, err) == i;
	}
	OK(ok && elements_find(t, "E4321") == 4321 && elements_find(t, "E5000") == -1, "5000 elements, found by tag");
	/* E0 <- E1 <- ... <- E3999 (each reads the next), sheet order against the chain. */
	for (i = 0; i < 3999 && ok; i++) {
		snprintf(tag, sizeof(tag), "E%d", i);
		snprintf(f, sizeof(f), "str(int(eg.E%d.text) + 1)", i + 1);
		ok = elements_set_formula(t, tag, EL_TEXT, f, (unsigned int)i + 2, err) == 0;
	}
	/* A 1000-member cycle E4000 -> E4001 -> ... -> E4999 -> E4000 on fill. */
	for (i = 4000; i < N && ok; i++) {
		snprintf(tag, sizeof(tag), "E%d", i);
		snprintf(f, sizeof(f), "SI(eg.E%d.fill = None, 1, 2)", i == N - 1 ? 4000 : i + 1);
		ok = elements_set_formula(t, tag, EL_FILL, f, (unsigned int)i + 2, err) == 0;
	}
	OK(ok, "5000 formulas attached");
	IS(elements_compile(t, NULL, NULL, NULL), 0, "compile");
	elements_mark_all(t);
	elements_run(t, 0);
	OK(strcmp(elements_get(t, 0)->text, "3999") == 0, "a 4000-long chain settles in one pass");
	OK(elements_in_cycle(t, 4000, EL_FILL) && elements_in_cycle(t, 4999, EL_FILL) &&
	   !elements_in_cycle(t, 0, EL_TEXT), "the 1000-member cycle is found, the chain is not one");
	elements_free(t);
}

/* --- sheets with every kind of problem (tests/fixtures/formula/bad) ------------ */

static char diags[4096];

static void collect(void *ctx, const char *msg)
{
	(void)ctx;
	if (strlen(diags) + strlen(msg) + 2 < sizeof(diags)) {
		strcat(diags, msg);
		strcat(diags, "\n");
	}
}

static void test_bad_sheets(void)
{
	static const char *const want[] = {
		"color.csv:3: rgb must be #rrggbb, not 'ffcc00'",
		"color.csv:4: colour index must be 0..255",
		"eg.csv:3: duplicate element 'E4289I01'",
		"eg.csv:4: tag 'BAD-TAG' must be",
		"eg.csv:5: E4252B01: fill and stroke must be colour indexes",
		"eg.csv:6: E4252B02: fill and stroke must be colour indexes",
		"eg.csv:7: row without a tag",
		"formulas.csv:3: E4252B03.fill already has a formula (row 2)",
		"formulas.csv:4: formula for unknown element 'NOPE'",
		"formulas.csv:5: E4252B03: attribute 'background' is not text, fill or stroke",
		"formulas.csv:6: formulas of table 'ai.' are not supported",
	};
	struct elements *t = elements_new();
	const char *top = getenv("SMVE_TOP");
	char dir[512];
	const struct element *e;
	size_t i;

	snprintf(dir, sizeof(dir), "%s/tests/fixtures/formula/bad", top ? top : ".");
	IS(elements_load_dir(t, dir, collect, NULL), 11, "bad sheets: 11 problems");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!OK(strstr(diags, want[i]) != NULL, "reported: %s", want[i]))
			tap_diag("diagnostics:\n%s", diags);
	IS(elements_count(t), 2, "the good rows still load");
	e = elements_get(t, (uint32_t)elements_find(t, "E4289I01"));
	OK(e && strcmp(e->description, "Seccionador, inferior") == 0 &&
	   strcmp(e->on_click_text_toggle, "1 (Cerrado), 0 (Abierto)") == 0 &&
	   strcmp(e->linked_text_change, "E4289S01") == 0 && e->enabled && e->stroke == ELEMENT_NONE,
	   "quoted fields, click columns, empty stroke = None");
	e = elements_get(t, (uint32_t)elements_find(t, "E4252B03"));
	OK(e && e->fill == 3 && e->stroke == 2 && e->mark == 1 && !e->enabled, "3.0 = 3, disabled");
	OK(elements_color(t, 2) && elements_color(t, 2)->rgb == 0xCC99FF && !elements_color(t, 1),
	   "palette: good rows kept, bad ones skipped");
	{
		/* §9.6 toggle: "1 (Cerrado), 0 (Abierto)" on E4289I01 (text 1), linked E4289S01 (absent). */
		char from[ELEMENT_TEXT_MAX], to[ELEMENT_TEXT_MAX], err[FORMULA_ERR_MAX];
		uint32_t i01 = (uint32_t)elements_find(t, "E4289I01");

		OK(elements_toggle(t, i01, from, to, err) == 1 && !strcmp(from, "1") && !strcmp(to, "0") &&
		   !strcmp(elements_get(t, i01)->text, "0"), "toggle 1 -> 0 (unknown linked tag skipped)");
		OK(elements_toggle(t, i01, from, to, err) == 1 && !strcmp(elements_get(t, i01)->text, "1"),
		   "toggle back 0 -> 1");
		OK(elements_toggle(t, (uint32_t)elements_find(t, "E4252B03"), from, to, err) == -1 &&
		   strstr(err, "is not \"value (label)"), "no toggle configured: refused");
	}
	IS(elements_compile(t, &points, NULL, NULL), 1, "the unclosed SI is the one compile fault");
	OK(strstr(elements_error(t, (uint32_t)elements_find(t, "E4289I01"), EL_STROKE), "column 30") != NULL,
	   "with its column");
	elements_free(t);
	t = elements_new();
	diags[0] = '\0';
	snprintf(dir, sizeof(dir), "%s/tests/fixtures/formula/none", top ? top : ".");
	OK(elements_load_dir(t, dir, collect, NULL) == 1 && strstr(diags, "eg.csv:"), "missing eg.csv is a problem");
	OK(elements_color(t, 12) && elements_color(t, 12)->rgb == 0xC0C0C0, "missing color.csv: built-in palette");
	elements_free(t);
}

/*
 * SMVE_FORMULA_STDIN=1: evaluate one formula per input line and print
 * "OK <str()>", "E <Type>: <message>" or "C <message>" per line, for the
 * differential test against Python (tests/fixtures/formula/pydiff.py).
 */
static int filter_mode(void)
{
	static char line[FORMULA_TEXT_MAX + 2];

	while (fgets(line, sizeof(line), stdin)) {
		const char *r;

		line[strcspn(line, "\n")] = '\0';
		r = ev(line);
		if (r[0] == 'E' && r[1] == ':')
			printf("E %s\n", r + 2);
		else if (r[0] == 'C' && strchr(r, ':') && r[1] >= '0' && r[1] <= '9')
			printf("C %s\n", r);
		else
			printf("OK %s\n", r);
	}
	ev(NULL);
	elements_free(W);
	return 0;
}

int main(void)
{
	W = elements_new();
	add("A", "0", 3, 1);
	add("B", "x", 3, 0);
	add("C", "0", ELEMENT_NONE, 1);
	add("D", "0", 2, 1);
	add("E", "", 3, 0);
	add("F", "7", 3, 0);
	if (getenv("SMVE_FORMULA_STDIN")) {
		elements_compile(W, &points, NULL, NULL);
		return filter_mode();
	}
	IS(elements_compile(W, &points, NULL, NULL), 0, "world compiles");
	test_case_and_keywords();
	test_laziness_and_truth();
	test_numbers();
	test_strings_and_comparisons();
	test_functions();
	test_compile_errors();
	test_hostile();
	test_resolver_errors();
	test_repr();
	test_table();
	test_bad_sheets();
	test_scale();
	ev(NULL);
	elements_free(W);
	return tap_done();
}
