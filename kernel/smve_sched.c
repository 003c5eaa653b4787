// SPDX-License-Identifier: GPL-2.0
/*
 * The schedule of the bus master: the owner thread, what it sends next
 * (same-SEQ resends, PEH, queued commands, then the round-robin poll) and
 * when it wakes.  Every wait is the bus hrtimer (HRTIMER_MODE_ABS_HARD,
 * expiring in hard interrupt context even on PREEMPT_RT) waking this thread
 * directly; no workqueue or jiffies timer is on the path to the next
 * request, so with the fifo module parameter nothing of normal priority
 * delays it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/sched.h>

#include "smve_priv.h"

#define NEVER	U64_MAX

/* Release a held acknowledgment once the consumer committed or left. */
static void bus_resolve_ack(struct smve_ied *ied)
{
	u64 committed = 0;
	bool consumer;

	if (!ied->link.ack_wait)
		return;
	consumer = smve_ied_consumer(ied, &committed);
	smve_link_commit(&ied->link, committed, !consumer);
}

/* First queued command whose IED may take a new request now. */
static struct smve_cmd *bus_next_cmd(struct smve_bus *bus)
{
	struct smve_cmd *c;

	list_for_each_entry(c, &bus->cmds, node) {
		bus_resolve_ack(c->ied);
		/* A new SEQ would acknowledge events not yet committed. */
		if (!c->ied->link.ack_wait)
			return c;
	}
	return NULL;
}

/*
 * Nothing in flight: choose and send the next request (§3.5, M5).  A choice
 * that sends nothing (a PEH while the clock is outside its range, a
 * command that cannot be built) gives way to the next one: returning
 * without a transmission or a wake time would leave the thread asleep
 * until some unrelated kick.
 */
static void bus_idle(struct smve_bus *bus, u64 now, u64 *wake)
{
	struct smve_ied *ied;
	struct smve_cmd *c;
	bool wrapped;
	u64 wk;
	int idx;

	/* §7.4 guard: the bus stays quiet that long after any received byte. */
	bus->earliest_tx_ns = max(bus->earliest_tx_ns,
				  bus->last_rx_ns + bus->timing.guard_ns);
	if (now < bus->earliest_tx_ns) {
		*wake = bus->earliest_tx_ns;
		return;
	}
	/* Same-SEQ resend of a command. */
	if (bus->active_cmd && smve_txn_send_cmd(bus, bus->active_cmd, now))
		return;
	if (bus->retry) {		/* same-SEQ resend of a poll */
		ied = bus->retry;
		bus->retry = NULL;
		smve_txn_send_poll(bus, ied, now);
		return;
	}
	if (!bus->n_ieds)
		return;
	/* Nothing is pending here, so a PEH cannot eat a retry (§3.3). */
	if (smve_peh_due(&bus->peh, now, bus->peh_interval_s,
			 bus->peh_enable) && smve_txn_send_peh(bus, now))
		return;
	c = bus_next_cmd(bus);
	if (c) {
		list_del_init(&c->node);
		bus->n_cmds--;
		bus->active_cmd = c;
		if (smve_txn_send_cmd(bus, c, now))
			return;
	}
	idx = smve_sched_pick(bus->links, bus->n_ieds, bus->rr_next, now, &wk,
			      &wrapped);
	if (idx < 0) {
		*wake = min(wk, smve_peh_next_ns(&bus->peh, bus->peh_interval_s,
						 bus->peh_enable));
		return;
	}
	if (wrapped || !bus->cycle_start_ns) {
		if (bus->cycle_start_ns) {
			bus->stats.cycles++;
			smve_hist_add(&bus->h_cycle, now - bus->cycle_start_ns);
		}
		bus->cycle_start_ns = now;
	}
	bus->rr_next = idx + 1;
	ied = bus->ieds[idx];
	bus_resolve_ack(ied);
	smve_txn_send_poll(bus, ied, now);
}

static void bus_step(struct smve_bus *bus)
{
	u64 wake = NEVER, now;

	if (test_and_clear_bit(SMVE_BUS_TERMIOS, &bus->flags))
		smve_bus_timing_update(bus);
	smve_txn_drain_rx(bus);
	now = ktime_get_ns();
	if (bus->tx_done < bus->tx_len)
		smve_txn_tx_more(bus, now);
	if (bus->phase == SMVE_WAIT_REPLY &&
	    smve_txn_check_reply(bus, now, &wake, false)) {
		smve_txn_pull_rx(bus);
		now = ktime_get_ns();
		if (bus->phase == SMVE_WAIT_REPLY)
			smve_txn_check_reply(bus, now, &wake, true);
	}
	if (bus->phase == SMVE_IDLE && bus->tx_done == bus->tx_len) {
		wake = NEVER;
		bus_idle(bus, now, &wake);
		if (bus->phase == SMVE_WAIT_REPLY)
			wake = bus->deadline_ns;
		else if (bus->tx_done == bus->tx_len && bus->earliest_tx_ns > now)
			wake = min(wake, bus->earliest_tx_ns);
	}
	if (wake != NEVER)
		hrtimer_start(&bus->timer, ns_to_ktime(wake),
			      HRTIMER_MODE_ABS_HARD);
}

int smve_sched_thread(void *data)
{
	struct smve_bus *bus = data;

	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!test_bit(SMVE_BUS_KICK, &bus->flags) &&
		    !kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
		clear_bit(SMVE_BUS_KICK, &bus->flags);
		if (kthread_should_stop())
			break;
		mutex_lock(&bus->lock);
		bus_step(bus);
		mutex_unlock(&bus->lock);
	}
	return 0;
}
