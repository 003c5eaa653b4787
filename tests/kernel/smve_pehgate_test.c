// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * PEH only while the clock is known to be synchronised (DESIGN.md), end to
 * end in the test VM: a module cannot read the NTP status, so the gate is
 * `smvectl bus TTY --run` (the smve-bus@TTY unit), which attaches the bus,
 * applies the saved configuration and keeps peh_enable = saved value AND
 * synchronised (kernel/README.md).  The test flips the kernel's STA_UNSYNC
 * with adjtimex() and watches peh_enable and the PEH counter follow.
 * tests/vm/scenarios/30-poll; smvectl is copied into the initramfs when built.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "smvetest.h"

#define SMVECTL	"/usr/bin/smvectl"

static int clock_synced(int on)
{
	struct timex tx = { .modes = 0 };

	if (adjtimex(&tx) < 0)
		return -errno;
	tx.modes = ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR;
	tx.status = on ? (tx.status & ~STA_UNSYNC) : (tx.status | STA_UNSYNC);
	tx.maxerror = on ? 1000 : 16000000;
	tx.esterror = on ? 100 : 16000000;
	return adjtimex(&tx) < 0 ? -errno : 0;
}

static int run_wait(const char *cmd)
{
	int st = system(cmd);

	return st == -1 ? -errno : (WIFEXITED(st) ? WEXITSTATUS(st) : 128);
}

/* Read bus attribute @attr of the bus on ttyS1 (looked up each time: smvectl attaches it). */
static int bus_attr(const char *attr, uint64_t *v)
{
	int idx = smvet_bus_of_tty("ttyS1");
	char path[128];

	if (idx < 0)
		return idx;
	snprintf(path, sizeof(path), SMVET_CLASS "/smve%d/%s", idx, attr);
	return smvet_read_u64(path, v);
}

/* Wait until bus attribute @attr equals @want. */
static int wait_bus_attr(const char *attr, uint64_t want, unsigned int ms, uint64_t *last)
{
	int64_t end = smvet_now_ns() + (int64_t)ms * 1000000;

	for (;;) {
		if (!bus_attr(attr, last) && *last == want)
			return 0;
		if (smvet_now_ns() > end)
			return -ETIMEDOUT;
		smvet_sleep_ms(100);
	}
}

FIXTURE(gate) {
	pid_t pid;
};

FIXTURE_SETUP(gate)
{
	struct smvet_bus b;

	self->pid = -1;
	if (access(SMVECTL, X_OK))
		SKIP(return, "smvectl is not in the initramfs (build it with make)");
	/* The saved configuration --run applies: one served IED, PEH every second. */
	mkdir("/etc/smve", 0755);
	ASSERT_EQ(0, smvet_attach(&b, SMVET_TTY, 115200));
	ASSERT_EQ(0, run_wait(SMVECTL " bus ttyS1 --ieds 2 --set peh_interval_s=1 --save >/dev/null"));
	smvet_detach(&b);
	ASSERT_EQ(0, clock_synced(0));
	self->pid = fork();
	ASSERT_LE(0, self->pid);
	if (self->pid == 0) {
		setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
		execl(SMVECTL, "smvectl", "bus", "ttyS1", "--run", (char *)NULL);
		_exit(127);
	}
}

FIXTURE_TEARDOWN(gate)
{
	if (self->pid > 0) {
		kill(self->pid, SIGTERM);
		waitpid(self->pid, NULL, 0);
	}
	clock_synced(1);
}

TEST_F_TIMEOUT(gate, peh_follows_the_clock_synchronisation, 120)
{
	uint64_t en, before, after;
	int status;

	ASSERT_EQ(0, wait_bus_attr("peh_interval_s", 1, 20000, &en)) TH_LOG("configuration not applied");
	ASSERT_EQ(0, wait_bus_attr("peh_enable", 0, 20000, &en)) TH_LOG("peh_enable stays %llu with the clock unsynchronised",
									  (unsigned long long)en);
	smvet_sleep_ms(1500);	/* one already due may still go out */
	ASSERT_EQ(0, bus_attr("statistics/peh_sent", &before));
	smvet_sleep_ms(3000);
	ASSERT_EQ(0, bus_attr("statistics/peh_sent", &after));
	EXPECT_EQ(before, after) TH_LOG("PEH sent while the clock is not synchronised");

	ASSERT_EQ(0, clock_synced(1));
	ASSERT_EQ(0, wait_bus_attr("peh_enable", 1, 20000, &en)) TH_LOG("peh_enable not restored once synchronised");
	smvet_sleep_ms(3000);
	ASSERT_EQ(0, bus_attr("statistics/peh_sent", &after));
	EXPECT_LT(before, after) TH_LOG("no PEH after the clock became synchronised");

	/* Stopping the unit's process detaches the bus. */
	ASSERT_EQ(0, kill(self->pid, SIGTERM));
	ASSERT_EQ(self->pid, waitpid(self->pid, &status, 0));
	self->pid = -1;
	for (int i = 0; i < 50 && smvet_bus_of_tty("ttyS1") >= 0; i++)
		smvet_sleep_ms(100);
	EXPECT_EQ(-ENOENT, smvet_bus_of_tty("ttyS1"));
}

TEST_HARNESS_MAIN
