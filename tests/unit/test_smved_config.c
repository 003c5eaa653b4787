// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Configuration and point sheets: the CSV reader on hostile input, config
 * errors with file:line, sheet errors (unknown columns, duplicates, points
 * outside the layout), and binding by position (§8.5) against the example
 * sheets and, when present, nguru's real E4 sheets (shared/data/e4).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "csv.h"
#include "sheets.h"
#include "store.h"
#include "files.h"
#include "tap.h"

static char dir[64];
static char diag_all[8192];

static void diag(void *ctx, const char *msg)
{
	(void)ctx;
	strncat(diag_all, msg, sizeof(diag_all) - strlen(diag_all) - 2);
	strcat(diag_all, "\n");
}

static void put(const char *name, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static struct smved_config *load(const char *conf_text)
{
	char p[256];

	put("smved.conf", conf_text);
	snprintf(p, sizeof(p), "%s/smved.conf", dir);
	diag_all[0] = '\0';
	return config_load(p, diag, NULL);
}

static bool has(const char *needle)
{
	bool r = strstr(diag_all, needle) != NULL;

	if (!r)
		tap_diag("missing \"%s\" in:\n%s", needle, diag_all);
	return r;
}

static void test_csv(void)
{
	struct csv c;
	char *f[CSV_FIELDS_MAX], err[160], p[256];
	size_t n;
	unsigned line;

	put("a.csv", "\xEF\xBB\xBFh1,h2,h3\r\n\"a,b\",\"say \"\"hi\"\"\",\r\n\r\n"
	    "\"multi\nline\",x,Tensi\xC3\xB3n\n");
	snprintf(p, sizeof(p), "%s/a.csv", dir);
	if (!OK(csv_open(&c, p, err, sizeof(err)) == 0, "csv opens"))
		return;
	IS(csv_next(&c, f, &n, &line), 1, "header");
	OK(n == 3 && !strcmp(f[0], "h1"), "BOM skipped, CRLF handled");
	IS(csv_next(&c, f, &n, &line), 1, "row");
	OK(n == 3 && !strcmp(f[0], "a,b") && !strcmp(f[1], "say \"hi\"") && !*f[2],
	   "quoted comma, doubled quotes, empty last field");
	IS(line, 2, "its line");
	IS(csv_next(&c, f, &n, &line), 1, "row after a blank line");
	OK(!strcmp(f[0], "multi\nline") && !strcmp(f[2], "Tensi\xC3\xB3n"),
	   "newline inside quotes, UTF-8 kept");
	IS(line, 4, "line of a record after a blank line");
	IS(csv_next(&c, f, &n, &line), 0, "end");
	csv_close(&c);

	put("b.csv", "a,\"open\n");
	snprintf(p, sizeof(p), "%s/b.csv", dir);
	csv_open(&c, p, err, sizeof(err));
	IS(csv_next(&c, f, &n, &line), -1, "unclosed quote is an error");
	csv_close(&c);
	put("b.csv", "a,\xC0\xAF\n");
	csv_open(&c, p, err, sizeof(err));
	IS(csv_next(&c, f, &n, &line), -1, "overlong UTF-8 is refused");
	csv_close(&c);
	put("b.csv", "a,b\"c\n");
	csv_open(&c, p, err, sizeof(err));
	IS(csv_next(&c, f, &n, &line), -1, "a quote inside an unquoted field is refused");
	csv_close(&c);
	{
		char big[1300];

		memset(big, 'x', sizeof(big) - 2);
		big[sizeof(big) - 2] = '\n';
		big[sizeof(big) - 1] = '\0';
		put("b.csv", big);
		csv_open(&c, p, err, sizeof(err));
		IS(csv_next(&c, f, &n, &line), -1, "a field over the bound is refused");
		csv_close(&c);
	}
}

static void test_config_errors(void)
{
	struct smved_config *c;

	c = load("[smved]\nstate_dir = /tmp/x\n\n[concentrator A]\nhost = h\nlayout = 1:6,3,4\n"
		 "timeout_ms = 5\nfoo = 1\n[bus ttyS1]\n");
	OK(!c, "invalid config refused");
	OK(has("smved.conf:7: timeout_ms must be 10 .. 600000"), "value error at its line");
	OK(has("smved.conf:8: unknown key \"foo\" in [concentrator A]"), "unknown key at its line");
	OK(has("smved.conf:9: [bus ttyS1]: layout (the IEDs on the bus) is required"),
	   "empty section reported at its header line");
	c = load("[smved]\nstate_dir = /tmp/x\n[bus ttyS1]\nlayout = 2:6,1,2\n"
		 "command_timeout_ms = 50\n");
	OK(!c && has("smved.conf:5: command_timeout_ms must be 0 (derived from the bus timing)"
		      " or 100 .. 600000"), "command_timeout_ms below 100 ms refused at its line");
	c = load("[smved]\nstate_dir = /tmp/x\n[bus ttyS1]\nlayout = 2:6,1,2\n"
		 "[bus ttyS2]\nlayout = 2:6,1,2\ncommand_timeout_ms = 2500\n");
	OK(c && c->buses && c->buses->next, "two buses");
	if (c && c->buses && c->buses->next) {
		const struct bus_config *b1 = c->buses, *b2 = c->buses->next;

		if (strcmp(b1->tty, "ttyS1")) {
			b1 = c->buses->next;
			b2 = c->buses;
		}
		IS(b1->command_timeout_ms, 0, "command_timeout_ms: derived by default");
		IS(b2->command_timeout_ms, 2500, "command_timeout_ms set");
	}
	config_free(c);
	c = load("[smved]\nstate_dir = /tmp/x\n[concentrator A]\nhost = h\nlayout = 1:6,3,4\n"
		 "timezone = America/Argentina/Buenos_Aires\nsrc = 0x40\n");
	OK(c != NULL, "valid config accepted");
	if (c) {
		IS(c->concs->src, 0x40, "hex address");
		IS(c->concs->port, 9761, "default port");
		IS(c->concs->poll_interval_ms, 5000, "default poll interval");
		IS(c->dedup_days, 7, "default dedup window");
		OK(c->require_clock_sync, "clock sync required by default");
	}
	config_free(c);
}

static int count_kind(const struct source_points *sp, int kind)
{
	int n = 0;

	for (size_t i = 0; i < sp->n; i++)
		n += sp->b[i].kind == kind;
	return n;
}

/* A small station of our own: a COMaster group and two meters. */
static void put_fixture(void)
{
	put("ied.csv", "id,comaster_id,offset,can_varsys,can_dis,can_ais,rs485_address\r\n"
	    "1,9,1,6,6,8,1\r\n2,9,2,6,2,4,2\r\n3,9,3,6,2,4,3\r\n7,8,1,6,2,4,1\r\n");
	put("di.csv", "id,ied_id,offset,port,bit,tag,description,maskinv,idTextoEv2\n"
	    "1,1,1,0,0,E9252B01,Interruptor 1,0,0\n"
	    "2,1,3,2,1,E9C27_01,\"Minima tension, auxiliares\",1,5\n"
	    "3,1,3,2,2,,reserva,0,0\n");
	put("ai.csv", "id,ied_id,offset,Channel,description,tag,unit,multip_asm,divider,RelTV,"
	    "RelTI,escala,escE\n"
	    "1,1,1,0,Barra 33,E92VV_00,Kv,33,1796,1,1,0.018374,\n"
	    "2,1,2,0,Barra 13.2,E91VV_00,Kv,13.2,1796,1,1,,\n"
	    "3,2,5,0,P1,E92PA_01,Kw,0.175,1012,300,120,,1\n"
	    "4,2,6,1,Q1,E92PR_01,Kvar,0.175,1012,300,120,,1\n");
	put("varsys.csv", "id,ied_id,offset,bit,param,description,value\n,3,13,4,CalifNoResp4,No"
	    " respuesta,\n");
	put("textoevtipo.csv", "id,IdTextoEv2,Value,TextoEv2\n,5,0,ACTUADO\n,5,1,NORMAL\n"
	    ",3,,Str(eventcom.value)\n");
}

static void test_sheets_fixture(void)
{
	struct smved_config *c;
	struct store *s;
	struct source_points sp;
	const struct point *p;
	const struct binding *b;
	char conf[1024];

	put_fixture();
	snprintf(conf, sizeof(conf), "[smved]\nstate_dir = /tmp/x\npoints = %s\n"
		 "[concentrator E9]\nhost = h\ncomaster_id = 9\n", dir);
	c = load(conf);
	if (!OK(c != NULL, "fixture sheets load (layout from ied.csv)") || !c)
		return;
	IS(c->concs->layout.count, 3, "three IEDs of comaster 9 from ied.csv");
	IS(c->concs->layout.ied[0].di_words, 3, "can_dis counts bytes: 6 -> 3 words");
	s = store_new();
	IS(sheets_bind(c->sheets, s, "E9", "E9", &c->concs->layout, 9, &sp), 0, "bind");
	IS(count_kind(&sp, POINT_AI), 4 + 2 * 2, "one AI binding per AI word");
	IS(count_kind(&sp, POINT_DI), 16 * (3 + 2), "one DI binding per bit");
	p = store_find(s, "E9252B01");
	OK(p && p->kind == POINT_DI && p->ied == 1 && p->index == 0 && p->bit == 0 &&
	   !(p->flags & POINT_F_UNMAPPED), "named DI at IED 1 port 0 bit 0");
	p = store_find(s, "E9C27_01");
	OK(p && p->invert == 1 && !strcmp(p->description, "Minima tension, auxiliares"),
	   "maskinv and a quoted description with a comma");
	p = store_find(s, "E91VV_00");
	OK(p && p->scale > 0.00734 && p->scale < 0.00735,
	   "escala computed as multip_asm*RelTV*RelTI/divider when empty (%g)", p ? p->scale : 0);
	p = store_find(s, "E92PA_01");
	b = sheets_find_energy(&sp, s, 2, 0);
	OK(p && b && b->id == p->id && b->elem == 4, "energy (IED 2, ch 0) -> E92PA_01, AI word 5");
	b = sheets_find_di(&sp, 1, 2, 1);
	p = b ? store_get(s, b->id) : NULL;
	OK(p && !strcmp(p->tag, "E9C27_01"), "DIGITAL (1, port 2, bit 1) -> its DI");
	p = store_find(s, "E9.1.DI2.2");
	OK(p && (p->flags & POINT_F_UNMAPPED), "a spare row keeps the generated tag");
	OK(store_find(s, "E9.3.SV0.4") != NULL, "a varsys bit row is a point of its own");
	OK(!store_find(s, "E9.1.AI0"), "a named AI has no generated tag");
	OK(!strcmp(sheets_state_text(c->sheets, 5, 0), "ACTUADO"), "state texts from the sheet");
	source_points_free(&sp);
	store_free(s);
	config_free(c);
}

static void test_sheet_errors(void)
{
	struct smved_config *c;
	char conf[512];

	put("ied.csv", "id,comaster_id,offset,can_varsys,can_dis,can_ais,rs485_address\n"
	    "1,1,1,6,6,8,1\n2,1,2,6,2,4,2\n");
	put("di.csv", "ied_id,port,bit,tag,colour\n1,0,0,T1,x\n1,5,0,T2,\n1,0,0,T3,\n2,0,1,T1,\n");
	put("ai.csv", "ied_id,offset,tag,Channel\n2,5,P1,0\n2,6,P2,0\n2,9,P3,1\n");
	snprintf(conf, sizeof(conf), "[smved]\nstate_dir = /tmp/x\npoints = %s\n"
		 "[concentrator A]\nhost = h\ncomaster_id = 1\nlayout = 1:6,3,4 2:6,1,2\n", dir);
	c = load(conf);
	OK(!c, "bad sheets refused");
	OK(has("di.csv:1: unknown column \"colour\""), "unknown column");
	OK(has("di.csv:3: T2: port 5, but IED 1 has 3 DI words"), "DI outside the layout");
	OK(has("di.csv:4: the same position is already T1"), "duplicate position");
	OK(has("di.csv:5: tag T1 already defined"), "duplicate tag");
	OK(has("ai.csv:3: P2: IED 2 already has an AI on channel 0"), "energy channel clash");
	OK(has("ai.csv:4: P3: AI offset 9 is outside IED 2's words 5..6"), "AI outside its IED");
	config_free(c);
}

static void test_sheets_e4(void)
{
	const char *shared = getenv("SMVE_SHARED"), *top = getenv("SMVE_TOP");
	struct smved_config *c;
	struct store *s;
	struct source_points sp;
	const struct point *p;
	char conf[PATH_MAX + 128], e4[PATH_MAX], probe[PATH_MAX + 16];

	/* The shared data sit beside the tree (../shared/data); never copied into it. */
	if (shared)
		snprintf(probe, sizeof(probe), "%s/data/e4", shared);
	else
		snprintf(probe, sizeof(probe), "%s/../shared/data/e4", top ? top : ".");
	if (!realpath(probe, e4) || (strcat(probe, "/ied.csv"), access(probe, R_OK)) != 0) {
		tap_skip("shared/data/e4 not found (set SMVE_SHARED)", "real E4 sheets");
		return;
	}
	snprintf(conf, sizeof(conf), "[smved]\nstate_dir = /tmp/x\npoints = %s\n"
		 "[concentrator E4]\nhost = h\ncomaster_id = 4\n", e4);
	c = load(conf);
	if (!OK(c != NULL, "nguru's E4 sheets load and check clean") || !c)
		return;
	IS(c->concs->layout.count, 12, "the sheet's 12 IEDs (the capture has 11)");
	s = store_new();
	IS(sheets_bind(c->sheets, s, "E4", "E4", &c->concs->layout, 4, &sp), 0, "bind");
	p = store_find(s, "E42VV_00");
	OK(p && p->kind == POINT_AI && p->ied == 1 && p->index == 0,
	   "E42VV_00 is the first AI word (ai.csv offset 1)");
	OK(p && p->scale > 0.018374 && p->scale < 0.018375, "with escala 0.018374");
	p = store_find(s, "E42PA_05");
	OK(p && p->ied == 5 && p->index == 0 && p->channel == 0,
	   "E42PA_05: offset 11 is IED 5's first AI word");
	p = store_find(s, "E4152B04");
	OK(p && p->ied == 1 && p->index == 1 && p->bit == 14,
	   "E4152B04 (quoted description with a comma) at port 1 bit 14");
	source_points_free(&sp);
	store_free(s);
	config_free(c);
}

int main(void)
{
	char tmpl[] = "/tmp/test_smved_config.XXXXXX";
	if (!mkdtemp(tmpl))
		return 1;
	snprintf(dir, sizeof(dir), "%s", tmpl);
	test_csv();
	test_config_errors();
	test_sheets_fixture();
	test_sheet_errors();
	test_sheets_e4();
	if (test_remove_tree(dir))
		tap_diag("cleanup failed");
	return tap_done();
}
