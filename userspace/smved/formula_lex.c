// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Formula lexer: numbers, strings, names and operators of spec §9.3, with
 * error positions.  Every token is bounded by the text (FORMULA_TEXT_MAX)
 * and string literals by FORMULA_STR_MAX.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formula_parse.h"

/* --- lexer --------------------------------------------------------------- */

static void seterr(struct formula_error *e, size_t pos, const char *fmt, va_list ap)
{
	e->pos = (uint32_t)pos;
	e->col = (uint32_t)pos + 1;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

/* A syntax error: stops the parse. */
int fp_err(struct parser *p, size_t pos, const char *fmt, ...)
{
	va_list ap;

	if (!p->failed) {
		va_start(ap, fmt);
		seterr(p->err, pos, fmt, ap);
		va_end(ap);
		p->failed = true;
	}
	return -1;
}

/* A semantic error (arity, unknown tag): the parse goes on so that a later
 * syntax error, usually the real cause, is reported first. */
void fp_sem(struct parser *p, size_t pos, const char *fmt, ...)
{
	va_list ap;

	if (!p->sem_failed) {
		va_start(ap, fmt);
		seterr(&p->sem, pos, fmt, ap);
		va_end(ap);
		p->sem_failed = true;
	}
}

static bool is_alpha(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
}

static bool is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static int lex_number(struct parser *p)
{
	const char *t = p->t;
	size_t i = p->pos, start = p->pos;
	bool real = false;
	char buf[64];

	while (i < p->len && is_digit(t[i]))
		i++;
	if (i < p->len && t[i] == '.') {
		real = true;
		i++;
		while (i < p->len && is_digit(t[i]))
			i++;
	}
	if (i < p->len && (t[i] == 'e' || t[i] == 'E')) {
		size_t j = i + 1;

		if (j < p->len && (t[j] == '+' || t[j] == '-'))
			j++;
		if (j < p->len && is_digit(t[j])) {
			real = true;
			i = j;
			while (i < p->len && is_digit(t[i]))
				i++;
		}
	}
	if (i < p->len && (is_alpha(t[i]) || is_digit(t[i])))
		return fp_err(p, i, "invalid character '%c' in number", t[i]);
	if (i - start >= sizeof(buf))
		return fp_err(p, start, "number too long");
	memcpy(buf, t + start, i - start);
	buf[i - start] = '\0';
	errno = 0;
	if (real) {
		p->tk = T_REAL;
		p->rval = strtod(buf, NULL);
	} else {
		p->tk = T_INT;
		p->ival = (int64_t)strtoll(buf, NULL, 10);
		if (errno == ERANGE)
			return fp_err(p, start, "integer %s is out of range (64 bits)", buf);
	}
	p->tpos = start;
	p->tlen = i - start;
	p->pos = i;
	return 0;
}

static int lex_string(struct parser *p)
{
	const char *t = p->t;
	char q = t[p->pos];
	size_t i = p->pos + 1, n = 0;
	char *d;

	d = formula_arena_alloc(p->f, FORMULA_STR_MAX);
	if (!d)
		return fp_err(p, p->pos, "formula too large");
	for (;;) {
		char ch;

		if (i >= p->len || t[i] == '\n' || t[i] == '\r')
			return fp_err(p, p->pos, "unterminated string");
		ch = t[i++];
		if (ch == q)
			break;
		if (ch == '\\' && i < p->len) {
			char e = t[i];

			/* Python keeps unknown escapes as they are. */
			if (e == '\\' || e == '\'' || e == '"') {
				ch = e;
				i++;
			} else if (e == 'n' || e == 't' || e == 'r') {
				ch = e == 'n' ? '\n' : e == 't' ? '\t' : '\r';
				i++;
			}
		}
		if (n >= FORMULA_STR_MAX)
			return fp_err(p, p->pos, "string longer than %d bytes", FORMULA_STR_MAX);
		d[n++] = ch;
	}
	p->tk = T_STR;
	p->sval = d;
	p->slen = (uint32_t)n;
	p->tpos = p->pos;
	p->tlen = i - p->pos;
	p->pos = i;
	return 0;
}

int fp_next(struct parser *p)
{
	const char *t = p->t;
	size_t i = p->pos;
	char c0, c1;

	if (p->failed)
		return -1;
	while (i < p->len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n'))
		i++;
	p->pos = i;
	p->tpos = i;
	p->tlen = 1;
	if (i >= p->len) {
		p->tk = T_EOF;
		p->tlen = 0;
		return 0;
	}
	c0 = t[i];
	c1 = i + 1 < p->len ? t[i + 1] : '\0';
	if (is_digit(c0) || (c0 == '.' && is_digit(c1)))
		return lex_number(p);
	if (c0 == '\'' || c0 == '"')
		return lex_string(p);
	if (is_alpha(c0)) {
		size_t j = i;

		while (j < p->len && (is_alpha(t[j]) || is_digit(t[j])))
			j++;
		p->tk = T_NAME;
		p->tlen = j - i;
		p->pos = j;
		return 0;
	}
	switch (c0) {
	case '(': p->tk = T_LP; break;
	case ')': p->tk = T_RP; break;
	case ',': p->tk = T_COMMA; break;
	case '.': p->tk = T_DOT; break;
	case ':': p->tk = T_COLON; break;
	case '+': p->tk = T_PLUS; break;
	case '-': p->tk = T_MINUS; break;
	case '/': p->tk = T_SLASH; break;
	case '%': p->tk = T_PCT; break;
	case '*':
		p->tk = c1 == '*' ? T_POW : T_STAR;
		break;
	case '=':
		p->tk = T_EQ;
		break;
	case '!':
		if (c1 != '=')
			return fp_err(p, i, "'!' must be followed by '='");
		p->tk = T_NE;
		break;
	case '<':
		p->tk = c1 == '=' ? T_LE : c1 == '>' ? T_NE : T_LT;
		break;
	case '>':
		p->tk = c1 == '=' ? T_GE : T_GT;
		break;
	default:
		if ((unsigned char)c0 < 0x20 || (unsigned char)c0 >= 0x7F)
			return fp_err(p, i, "unexpected byte 0x%02X", (unsigned char)c0);
		return fp_err(p, i, "unexpected character '%c'", c0);
	}
	if ((p->tk == T_POW) || (c0 == '=' && c1 == '=') || p->tk == T_NE ||
	    p->tk == T_LE || p->tk == T_GE)
		p->tlen = 2;
	p->pos = i + p->tlen;
	return 0;
}

bool fp_name_is(const struct parser *p, const char *kw)
{
	return p->tk == T_NAME && strlen(kw) == p->tlen &&
	       strncasecmp(p->t + p->tpos, kw, p->tlen) == 0;
}

const char *fp_tok_desc(const struct parser *p, char *buf, size_t cap)
{
	if (p->tk == T_EOF)
		return "end of formula";
	snprintf(buf, cap, "'%.*s'", (int)(p->tlen > 24 ? 24 : p->tlen), p->t + p->tpos);
	return buf;
}

