// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for the element table: each input line "N A formula"
 * attaches a formula to element N (0..7) and attribute A (0 text, 1 fill,
 * 2 stroke) of a fixed table; the table is compiled (dependency graph,
 * cycles), evaluated three passes with texts changed in between, and
 * drained.  Hostile graphs must never crash, hang or leak.
 *
 * The fuzz build (tests/build.mk) links only the codec and libsmve, so the
 * daemon sources are included here directly.
 */
#include "../../userspace/smved/formula.c" // NOLINT(bugprone-suspicious-include)
#include "../../userspace/smved/formula_lex.c" // NOLINT(bugprone-suspicious-include)
#include "../../userspace/smved/formula_eval.c" // NOLINT(bugprone-suspicious-include)
#include "../../userspace/smved/formula_fn.c" // NOLINT(bugprone-suspicious-include)
#include "../../userspace/smved/elements.c" // NOLINT(bugprone-suspicious-include)
#include "../../userspace/smved/elements_eval.c" // NOLINT(bugprone-suspicious-include)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const tags[] = { "A", "B", "C", "D", "E", "F", "G", "H" };
	struct elements *t = elements_new();
	char err[FORMULA_ERR_MAX], line[FORMULA_TEXT_MAX + 8];
	size_t pos = 0;
	unsigned int row = 1, i;

	if (!t)
		return 0;
	for (i = 0; i < 13; i++)
		elements_set_color(t, i, 0x111111u * i, "c", "");
	for (i = 0; i < 8; i++) {
		struct element_def d = { .tag = tags[i], .text = i & 1 ? "1" : "0", .fill = 3,
					 .stroke = ELEMENT_NONE, .mark = (int)(i & 1),
					 .on_click_text_toggle = "1 (a), 0 (b)", .linked_text_change = "B C" };

		elements_add(t, &d, err);
	}
	while (pos < size && row < 64) {
		size_t n = 0;

		while (pos < size && data[pos] != '\n' && n < sizeof(line) - 1)
			line[n++] = (char)data[pos++];
		pos++;
		line[n] = '\0';
		row++;
		if (n < 4 || line[0] < '0' || line[0] > '7' || line[2] < '0' || line[2] > '2')
			continue;
		elements_set_formula(t, tags[line[0] - '0'], (enum element_attr)(line[2] - '0'), line + 4,
				     row, err);
	}
	elements_compile(t, NULL, NULL, NULL);
	elements_mark_all(t);
	elements_run(t, 2000);
	elements_toggle(t, 0, NULL, NULL, err);
	elements_set_text(t, 3, "7");
	elements_run(t, 2000);
	elements_run(t, 2000);
	elements_drain(t, NULL, NULL);
	elements_free(t);
	return 0;
}
