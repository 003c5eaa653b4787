// SPDX-License-Identifier: GPL-2.0
/*
 * The bus master's lifetime and hand-over points.  One kthread per bus owns
 * the line (smve_sched.c runs it, smve_txn.c does its transactions); one
 * hrtimer only wakes it.  The tty hooks only queue received bytes and wake
 * it, so nothing here runs in atomic context except smve_bus_rx() and
 * smve_bus_kick().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/idr.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "smve_priv.h"

static DEFINE_IDA(smve_bus_ida);

static void bus_release(struct kref *kref)
{
	struct smve_bus *bus = container_of(kref, struct smve_bus, kref);

	if (bus->thread)
		put_task_struct(bus->thread);
	kfree(bus);
	atomic_long_dec(&smve_objects);
}

void smve_bus_put(struct smve_bus *bus)
{
	kref_put(&bus->kref, bus_release);
}

/* Safe from any context: the task is referenced until the bus is freed. */
void smve_bus_kick(struct smve_bus *bus)
{
	set_bit(SMVE_BUS_KICK, &bus->flags);
	if (bus->thread)
		wake_up_process(bus->thread);
}

static enum hrtimer_restart bus_timer_fn(struct hrtimer *t)
{
	smve_bus_kick(container_of(t, struct smve_bus, timer));
	return HRTIMER_NORESTART;
}

void smve_bus_rx(struct smve_bus *bus, const u8 *cp, const u8 *fp,
		 size_t count)
{
	u64 now = ktime_get_ns();
	unsigned long flags;
	size_t i;

	/*
	 * No gap is judged here: this runs when the flip-buffer worker gets
	 * the CPU, which under load can be long after the UART took the
	 * bytes, so the time between two deliveries is not silence on the
	 * wire.  The thread judges gaps (bus_reply_gap_end).
	 */
	spin_lock_irqsave(&bus->rx_lock, flags);
	if (!bus->rx_first_ns)
		bus->rx_first_ns = now;
	bus->rx_count = min_t(u64, (u64)bus->rx_count + count, U32_MAX);
	for (i = 0; i < count; i++) {
		u16 v = cp[i];

		if (fp && fp[i] != TTY_NORMAL)
			v = SMVE_RX_ERR;
		if (!kfifo_put(&bus->rx, v)) {
			bus->rx_overruns += count - i;
			break;
		}
	}
	bus->rx_last_ns = now;
	spin_unlock_irqrestore(&bus->rx_lock, flags);
	smve_bus_kick(bus);
}

/* Character time from the tty's current termios. */
static u64 bus_tty_char_time(struct tty_struct *tty)
{
	return smve_char_time_ns(tty_get_frame_size(tty->termios.c_cflag),
				 tty_get_baud_rate(tty));
}

void smve_bus_termios(struct smve_bus *bus)
{
	struct tty_struct *tty = READ_ONCE(bus->tty);

	if (!tty)
		return;
	WRITE_ONCE(bus->tc_ns, bus_tty_char_time(tty));
	set_bit(SMVE_BUS_TERMIOS, &bus->flags);
	smve_bus_kick(bus);
}

/* bus->lock held. */
void smve_bus_timing_update(struct smve_bus *bus)
{
	smve_timing_compute(&bus->tcfg, READ_ONCE(bus->tc_ns), &bus->timing);
}

/* --- lifetime ------------------------------------------------------------- */

struct smve_bus *smve_bus_create(struct tty_struct *tty)
{
	struct task_struct *t;
	struct smve_bus *bus;
	int ret;

	bus = kzalloc(sizeof(*bus), GFP_KERNEL);
	if (!bus)
		return ERR_PTR(-ENOMEM);
	atomic_long_inc(&smve_objects);
	kref_init(&bus->kref);
	mutex_init(&bus->lock);
	mutex_init(&bus->ieds_mutex);
	spin_lock_init(&bus->rx_lock);
	INIT_KFIFO(bus->rx);
	INIT_LIST_HEAD(&bus->cmds);
	hrtimer_init(&bus->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	bus->timer.function = bus_timer_fn;
	bus->tty = tty;
	strscpy(bus->tty_name, tty->name, sizeof(bus->tty_name));
	bus->master_addr = MARA_ADDR_COMASTER;
	bus->retries = 3;
	bus->offline_reprobe_ms = 10000;
	bus->peh_interval_s = 60;
	bus->peh_enable = 1;
	bus->tc_ns = bus_tty_char_time(tty);
	smve_bus_timing_update(bus);
	mara_reasm_init(&bus->reasm);
	smve_peh_init(&bus->peh);
	smve_hist_reset(&bus->h_turnaround);
	smve_hist_reset(&bus->h_latency);
	smve_hist_reset(&bus->h_cycle);

	ret = ida_alloc_max(&smve_bus_ida, 9999, GFP_KERNEL);
	if (ret < 0)
		goto err;
	bus->index = ret;

	t = kthread_create(smve_sched_thread, bus, "smve%d", bus->index);
	if (IS_ERR(t)) {
		ret = PTR_ERR(t);
		goto err_ida;
	}
	get_task_struct(t);
	bus->thread = t;
	if (smve_fifo)
		sched_set_fifo(t);

	bus->dev = device_create_with_groups(smve_class, NULL, MKDEV(0, 0),
					     bus, smve_bus_groups, "smve%d",
					     bus->index);
	if (IS_ERR(bus->dev)) {
		ret = PTR_ERR(bus->dev);
		bus->dev = NULL;
		kthread_stop(t);
		goto err_ida;
	}
	wake_up_process(t);
	smve_bus_kick(bus);
	return bus;

err_ida:
	ida_free(&smve_bus_ida, bus->index);
err:
	smve_bus_put(bus);
	return ERR_PTR(ret);
}

/* Detach, hangup or close: idempotent; wakes every reader with EOF. */
void smve_bus_shutdown(struct smve_bus *bus)
{
	LIST_HEAD(dead);
	struct smve_ied *ied, *tmp;

	if (test_and_set_bit(SMVE_BUS_DEAD, &bus->flags))
		return;
	kthread_stop(bus->thread);
	hrtimer_cancel(&bus->timer);

	mutex_lock(&bus->ieds_mutex);
	mutex_lock(&bus->lock);
	smve_bus_abort_cmds(bus, NULL);
	while (bus->n_ieds) {
		ied = bus->ieds[--bus->n_ieds];
		list_add(&ied->dead_node, &dead);
	}
	bus->cur = NULL;
	bus->retry = NULL;
	WRITE_ONCE(bus->tty, NULL);
	mutex_unlock(&bus->lock);
	mutex_unlock(&bus->ieds_mutex);

	/* Outside bus->lock: removing sysfs files waits for their readers. */
	list_for_each_entry_safe(ied, tmp, &dead, dead_node) {
		list_del_init(&ied->dead_node);
		smve_ied_kill(ied);
		smve_ied_put(ied);
	}
	device_unregister(bus->dev);
	ida_free(&smve_bus_ida, bus->index);
}

/* Hand a control transaction to the thread; takes a reference on @c. */
int smve_bus_queue_cmd(struct smve_bus *bus, struct smve_cmd *c)
{
	int ret = 0;

	mutex_lock(&bus->lock);
	if (test_bit(SMVE_BUS_DEAD, &bus->flags)) {
		ret = -ENODEV;
	} else if (bus->n_cmds >= SMVE_CMDS_MAX) {
		ret = -EAGAIN;	/* bounded: a writer cannot exhaust memory */
	} else {
		kref_get(&c->kref);
		list_add_tail(&c->node, &bus->cmds);
		bus->n_cmds++;
	}
	mutex_unlock(&bus->lock);
	if (!ret)
		smve_bus_kick(bus);
	return ret;
}

/* bus->lock held: abort the commands of @ied (NULL: all) unsent or active. */
void smve_bus_abort_cmds(struct smve_bus *bus, struct smve_ied *ied)
{
	struct smve_cmd *c, *tmp;

	list_for_each_entry_safe(c, tmp, &bus->cmds, node) {
		if (ied && c->ied != ied)
			continue;
		list_del_init(&c->node);
		bus->n_cmds--;
		smve_bus_cmd_finish(bus, c, SMVE_CMD_ABORTED);
	}
	c = bus->active_cmd;
	if (c && (!ied || c->ied == ied)) {
		if (bus->cur_cmd == c)
			smve_txn_end(bus, ktime_get_ns(), false);
		smve_bus_cmd_finish(bus, c, SMVE_CMD_ABORTED);
	}
}
