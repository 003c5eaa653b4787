// SPDX-License-Identifier: GPL-2.0
/*
 * Per-IED character devices: a ring of sequenced records read like
 * /dev/kmsg (each open file has its own cursor, whole records per read,
 * EPIPE once on overrun, lseek by sequence number) plus a coalesced state
 * record delivered like evdev's resync, the journaling-consumer ioctls and
 * the control path.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "smve_priv.h"

static DEFINE_IDR(smve_minors);
static DEFINE_MUTEX(smve_minors_lock);	/* idr and open-time lookups */
static struct cdev smve_cdev;
static dev_t smve_devt;

/* --- records and rings ------------------------------------------------------ */

struct smve_rec *smve_rec_alloc(u16 type, u16 len, u32 flags)
{
	size_t size = SMVE_RECORD_SIZE(len);
	struct smve_rec *r;

	if (size > SMVE_RECORD_MAX)
		return NULL;
	r = kzalloc(sizeof(u32) + size, GFP_KERNEL);
	if (!r)
		return NULL;
	r->size = size;
	r->hdr.type = type;
	r->hdr.len = len;
	r->hdr.flags = flags;
	r->hdr.time_ns = ktime_get_real_ns();
	return r;
}

/* Append a ring record; returns its sequence number.  Thread context. */
u64 smve_ied_push(struct smve_ied *ied, struct smve_rec *r)
{
	struct smve_rec *old;
	bool evicted;
	u64 seq;

	spin_lock(&ied->lock);
	seq = smve_ring_push(&ied->first, &ied->next, ied->cap, &evicted);
	r->hdr.seq = seq;
	r->hdr.epoch = ied->epoch;
	old = ied->slots[seq % ied->cap];
	ied->slots[seq % ied->cap] = r;
	if (evicted)
		ied->stats.records_overrun++;
	spin_unlock(&ied->lock);
	wake_up_interruptible(&ied->wq);
	kfree(old);
	return seq;
}

/* Replace the coalesced state; every reader sees it once more. */
void smve_ied_set_state(struct smve_ied *ied, struct smve_rec *r)
{
	struct smve_rec *old;

	r->hdr.epoch = ied->epoch;
	spin_lock(&ied->lock);
	old = ied->state;
	ied->state = r;
	ied->state_gen++;
	spin_unlock(&ied->lock);
	wake_up_interruptible(&ied->wq);
	kfree(old);
}

void smve_ied_status(struct smve_ied *ied, u32 status, u32 detail, u64 value)
{
	struct smve_rec *r = smve_rec_alloc(SMVE_REC_STATUS,
					    sizeof(struct smve_rec_status), 0);
	struct smve_rec_status *st;

	if (!r)
		return;
	st = smve_rec_payload(r);
	st->status = status;
	st->detail = detail;
	st->value = value;
	smve_ied_push(ied, r);
}

/* Whether a journaling consumer is attached, and its last commit. */
bool smve_ied_consumer(struct smve_ied *ied, u64 *committed)
{
	bool ret;

	spin_lock(&ied->lock);
	ret = ied->consumer;
	if (committed)
		*committed = ied->committed;
	spin_unlock(&ied->lock);
	return ret;
}

/* --- object lifetime -------------------------------------------------------- */

static void ied_release(struct kref *kref)
{
	struct smve_ied *ied = container_of(kref, struct smve_ied, kref);
	u32 i;

	for (i = 0; ied->slots && i < ied->cap; i++)
		kfree(ied->slots[i]);
	kfree(ied->slots);
	kfree(ied->state);
	smve_bus_put(ied->bus);
	kfree(ied);
	atomic_long_dec(&smve_objects);
}

void smve_ied_put(struct smve_ied *ied)
{
	kref_put(&ied->kref, ied_release);
}

struct smve_ied *smve_ied_create(struct smve_bus *bus, u8 addr)
{
	struct smve_rec_state *st;
	struct smve_ied *ied;
	struct device *dev;
	int minor;

	ied = kzalloc(sizeof(*ied), GFP_KERNEL);
	if (!ied)
		return ERR_PTR(-ENOMEM);
	atomic_long_inc(&smve_objects);
	kref_init(&ied->kref);
	kref_get(&bus->kref);
	ied->bus = bus;
	ied->addr = addr;
	ied->minor = -1;
	INIT_LIST_HEAD(&ied->dead_node);
	spin_lock_init(&ied->lock);
	init_waitqueue_head(&ied->wq);
	smve_link_init(&ied->link);
	/* A fresh ring: cursors persisted against an older one must not match. */
	ied->epoch = get_random_u64();
	ied->first = 1;
	ied->next = 1;
	ied->cap = READ_ONCE(smve_ring_records);
	ied->slots = kcalloc(ied->cap, sizeof(*ied->slots), GFP_KERNEL);
	ied->state = smve_rec_alloc(SMVE_REC_STATE, sizeof(*st),
				    SMVE_RECF_COALESCED);
	if (!ied->slots || !ied->state)
		goto err_nomem;
	ied->state->hdr.epoch = ied->epoch;
	st = smve_rec_payload(ied->state);
	st->flags = SMVE_STATE_NEVER;
	st->address = addr;
	ied->state_gen = 1;
	smve_ied_status(ied, SMVE_STATUS_CREATED, 0, 0);

	mutex_lock(&smve_minors_lock);
	minor = idr_alloc(&smve_minors, ied, 0, SMVE_MINORS, GFP_KERNEL);
	mutex_unlock(&smve_minors_lock);
	if (minor < 0) {
		smve_ied_put(ied);
		return ERR_PTR(minor);
	}
	ied->minor = minor;
	dev = device_create_with_groups(smve_class, bus->dev,
					MKDEV(MAJOR(smve_devt), minor), ied,
					smve_ied_groups, "smve%d.%u",
					bus->index, addr);
	if (IS_ERR(dev)) {
		smve_ied_kill(ied);
		smve_ied_put(ied);
		return ERR_CAST(dev);
	}
	ied->dev = dev;
	return ied;

err_nomem:
	smve_ied_put(ied);
	return ERR_PTR(-ENOMEM);
}

/*
 * The IED leaves (reconfiguration or bus shutdown): no new opens, readers
 * drain what is queued and then see EOF.  The caller still holds its
 * reference.
 */
void smve_ied_kill(struct smve_ied *ied)
{
	smve_ied_status(ied, SMVE_STATUS_DETACHED, 0, 0);
	spin_lock(&ied->lock);
	ied->dead = true;
	spin_unlock(&ied->lock);
	wake_up_interruptible_all(&ied->wq);

	if (ied->minor >= 0) {
		mutex_lock(&smve_minors_lock);
		idr_remove(&smve_minors, ied->minor);
		mutex_unlock(&smve_minors_lock);
	}
	if (ied->dev) {
		device_destroy(smve_class, MKDEV(MAJOR(smve_devt), ied->minor));
		ied->dev = NULL;
	}
}

/* --- file operations ---------------------------------------------------------- */

static int smve_open(struct inode *inode, struct file *file)
{
	struct smve_file *f;
	struct smve_ied *ied;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mutex_lock(&smve_minors_lock);
	ied = idr_find(&smve_minors, iminor(inode));
	if (ied && !kref_get_unless_zero(&ied->kref))
		ied = NULL;
	mutex_unlock(&smve_minors_lock);
	if (!ied) {
		kfree(f);
		return -ENODEV;
	}
	atomic_long_inc(&smve_objects);
	mutex_init(&f->read_lock);
	f->ied = ied;
	spin_lock(&ied->lock);
	f->cursor = ied->first;
	spin_unlock(&ied->lock);
	file->private_data = f;
	return 0;
}

static int smve_release(struct inode *inode, struct file *file)
{
	struct smve_file *f = file->private_data;
	struct smve_ied *ied = f->ied;
	bool was_consumer;

	spin_lock(&ied->lock);
	was_consumer = ied->consumer == f;
	if (was_consumer)
		ied->consumer = NULL;
	spin_unlock(&ied->lock);
	/* A held acknowledgment is released: the ring is the store now. */
	if (was_consumer)
		smve_bus_kick(ied->bus);
	smve_ied_put(ied);
	kfree(f);
	atomic_long_dec(&smve_objects);
	return 0;
}

enum next_rec { NEXT_NONE, NEXT_COPIED, NEXT_OVERRUN, NEXT_EOF };

/*
 * Copy the next record for @f into f->buf under the lock.  On overrun the
 * cursor moves to the oldest record and *@lost says how many were skipped;
 * the caller accounts for them only when it reports the EPIPE.
 */
static enum next_rec next_record(struct smve_file *f, u32 *size, u64 *lost)
{
	struct smve_ied *ied = f->ied;
	enum next_rec ret = NEXT_NONE;
	struct smve_rec *r = NULL;

	spin_lock(&ied->lock);
	if (f->state_seen != ied->state_gen && ied->state) {
		r = ied->state;
		f->state_seen = ied->state_gen;
	} else {
		switch (smve_ring_check(ied->first, ied->next, &f->cursor,
					lost)) {
		case SMVE_RING_DATA:
			r = ied->slots[f->cursor % ied->cap];
			f->cursor++;
			break;
		case SMVE_RING_OVERRUN:
			ret = NEXT_OVERRUN;
			break;
		case SMVE_RING_EMPTY:
			ret = ied->dead ? NEXT_EOF : NEXT_NONE;
			break;
		}
	}
	if (r) {
		memcpy(f->buf, &r->hdr, r->size);
		if (r->hdr.type == SMVE_REC_STATE)
			((struct smve_record *)f->buf)->seq = ied->next;
		*size = r->size;
		ret = NEXT_COPIED;
	}
	spin_unlock(&ied->lock);
	return ret;
}

static bool readable(struct smve_file *f)
{
	struct smve_ied *ied = f->ied;
	bool ret;

	spin_lock(&ied->lock);
	ret = ied->dead || f->cursor != ied->next ||
	      f->state_seen != ied->state_gen;
	spin_unlock(&ied->lock);
	return ret;
}

static ssize_t smve_read(struct file *file, char __user *buf, size_t count,
			 loff_t *ppos)
{
	struct smve_file *f = file->private_data;
	size_t done = 0;
	ssize_t ret = 0;
	u32 size = 0;

	if (count < sizeof(struct smve_record))
		return -EINVAL;
	if (mutex_lock_interruptible(&f->read_lock))
		return -ERESTARTSYS;
	while (done < count) {
		u64 saved_cursor = f->cursor, saved_state = f->state_seen;
		u64 lost = 0;
		enum next_rec n = next_record(f, &size, &lost);

		if (n == NEXT_OVERRUN) {
			if (done) {	/* report the loss on the next call */
				f->cursor = saved_cursor;
			} else {
				f->lost += lost;
				ret = -EPIPE;
			}
			break;
		}
		if (n == NEXT_EOF)
			break;
		if (n == NEXT_NONE) {
			if (done)
				break;
			if (file->f_flags & O_NONBLOCK) {
				ret = -EAGAIN;
				break;
			}
			ret = wait_event_interruptible(f->ied->wq, readable(f));
			if (ret)
				break;
			continue;
		}
		if (size > count - done) {
			/* Whole records only: keep it for the next read. */
			f->cursor = saved_cursor;
			f->state_seen = saved_state;
			if (!done)
				ret = -EINVAL;
			break;
		}
		if (copy_to_user(buf + done, f->buf, size)) {
			f->cursor = saved_cursor;
			f->state_seen = saved_state;
			ret = -EFAULT;
			break;
		}
		done += size;
	}
	mutex_unlock(&f->read_lock);
	return done ? done : ret;
}

static __poll_t smve_poll(struct file *file, poll_table *wait)
{
	struct smve_file *f = file->private_data;
	struct smve_ied *ied = f->ied;
	__poll_t mask = 0;

	poll_wait(file, &ied->wq, wait);
	spin_lock(&ied->lock);
	if (f->cursor != ied->next || f->state_seen != ied->state_gen)
		mask |= EPOLLIN | EPOLLRDNORM;
	if (ied->dead)
		mask |= EPOLLHUP | EPOLLERR;
	spin_unlock(&ied->lock);
	return mask;
}

static loff_t smve_llseek(struct file *file, loff_t offset, int whence)
{
	struct smve_file *f = file->private_data;
	struct smve_ied *ied = f->ied;
	loff_t ret;

	if (offset < 0)
		return -EINVAL;
	mutex_lock(&f->read_lock);
	spin_lock(&ied->lock);
	switch (whence) {
	case SEEK_SET:
		f->cursor = smve_ring_seek(ied->first, ied->next, offset);
		f->state_seen = 0;
		ret = f->cursor;
		break;
	case SEEK_END:
		if (offset) {
			ret = -EINVAL;
			break;
		}
		f->cursor = ied->next;
		f->state_seen = 0;
		ret = f->cursor;
		break;
	case SEEK_CUR:
		ret = offset ? -EINVAL : f->cursor;
		break;
	default:
		ret = -EINVAL;
	}
	spin_unlock(&ied->lock);
	mutex_unlock(&f->read_lock);
	return ret;
}

/* --- control path and ioctls ---------------------------------------------- */

static void cmd_release(struct kref *kref)
{
	struct smve_cmd *c = container_of(kref, struct smve_cmd, kref);

	smve_ied_put(c->ied);
	kfree(c);
	atomic_long_dec(&smve_objects);
}

void smve_cmd_put(struct smve_cmd *c)
{
	kref_put(&c->kref, cmd_release);
}

/* Validate and queue one command; the caller owns the returned reference. */
static struct smve_cmd *cmd_submit(struct smve_ied *ied, u32 id, u8 cmd,
				   const u8 *payload, size_t len)
{
	struct smve_cmd *c;
	int ret;

	/* Polls and broadcasts belong to the master's own schedule. */
	if (cmd == MARA_CMD_POLL || cmd == MARA_CMD_PEH)
		return ERR_PTR(-EINVAL);
	if (len > MARA_PAYLOAD_MAX)
		return ERR_PTR(-EMSGSIZE);
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return ERR_PTR(-ENOMEM);
	atomic_long_inc(&smve_objects);
	kref_init(&c->kref);
	INIT_LIST_HEAD(&c->node);
	init_completion(&c->done);
	kref_get(&ied->kref);
	c->ied = ied;
	c->id = id;
	c->cmd = cmd;
	c->payload_len = len;
	memcpy(c->payload, payload, len);

	spin_lock(&ied->lock);
	ret = ied->dead ? -ENODEV : 0;
	spin_unlock(&ied->lock);
	if (!ret)
		ret = smve_bus_queue_cmd(ied->bus, c);
	if (ret) {
		smve_cmd_put(c);
		return ERR_PTR(ret);
	}
	return c;
}

static ssize_t smve_write(struct file *file, const char __user *buf,
			  size_t count, loff_t *ppos)
{
	struct smve_file *f = file->private_data;
	u8 frame[1 + MARA_PAYLOAD_MAX];
	struct smve_cmd *c;
	u32 id;

	if (count == 0)		/* no CMD byte: nothing to send */
		return 0;
	if (count > sizeof(frame))
		return -EMSGSIZE;
	if (copy_from_user(frame, buf, count))
		return -EFAULT;
	spin_lock(&f->ied->lock);
	f->ied->cmd_ids++;
	id = (u32)f->ied->cmd_ids;
	spin_unlock(&f->ied->lock);
	c = cmd_submit(f->ied, id, frame[0], frame + 1, count - 1);
	if (IS_ERR(c))
		return PTR_ERR(c);
	smve_cmd_put(c);
	return count;
}

static long ioc_transact(struct smve_file *f, void __user *argp)
{
	struct smve_transact *t;
	struct smve_cmd *c;
	long ret = 0;

	t = memdup_user(argp, sizeof(*t));
	if (IS_ERR(t))
		return PTR_ERR(t);
	if (t->req_len > MARA_PAYLOAD_MAX) {
		ret = -EMSGSIZE;
		goto out;
	}
	c = cmd_submit(f->ied, t->id, t->cmd, t->req, t->req_len);
	if (IS_ERR(c)) {
		ret = PTR_ERR(c);
		goto out;
	}
	if (t->timeout_ms) {
		unsigned long tmo = msecs_to_jiffies(t->timeout_ms);

		ret = wait_for_completion_interruptible_timeout(&c->done, tmo);
		if (ret == 0)	/* the outcome still becomes a record */
			ret = -ETIMEDOUT;
	} else {
		ret = wait_for_completion_interruptible(&c->done);
	}
	if (ret >= 0) {
		ret = 0;
		t->outcome = c->outcome;
		t->attempts = c->attempts;
		t->resp_len = c->resp_len;
		memcpy(t->resp, c->resp, c->resp_len);
		t->record_seq = c->record_seq;
		if (copy_to_user(argp, t, sizeof(*t)))
			ret = -EFAULT;
	}
	smve_cmd_put(c);
out:
	kfree(t);
	return ret;
}

static long ioc_info(struct smve_file *f, void __user *argp)
{
	struct smve_ied *ied = f->ied;
	struct smve_node_info in = {
		.version = SMVE_UAPI_VERSION,
		.bus = ied->bus->index,
		.address = ied->addr,
		.online = READ_ONCE(ied->online),
	};

	spin_lock(&ied->lock);
	in.epoch = ied->epoch;
	in.first_seq = ied->first;
	in.next_seq = ied->next;
	in.cursor = f->cursor;
	in.ring_records = ied->cap;
	in.consumer = !!ied->consumer;
	in.committed_seq = ied->committed;
	spin_unlock(&ied->lock);
	return copy_to_user(argp, &in, sizeof(in)) ? -EFAULT : 0;
}

static long ioc_consumer(struct smve_file *f, struct file *file,
			 void __user *argp)
{
	struct smve_ied *ied = f->ied;
	long ret = 0;
	u32 on;

	/* Holding acknowledgments back stalls an IED: writers only. */
	if (!(file->f_mode & FMODE_WRITE))
		return -EPERM;
	if (get_user(on, (u32 __user *)argp))
		return -EFAULT;
	if (on > SMVE_CONSUMER_ATTACH)
		return -EINVAL;
	spin_lock(&ied->lock);
	if (ied->dead) {
		ret = -ENODEV;
	} else if (on) {
		if (ied->consumer && ied->consumer != f)
			ret = -EBUSY;
		else
			ied->consumer = f;
	} else if (ied->consumer == f) {
		ied->consumer = NULL;
	}
	spin_unlock(&ied->lock);
	if (!ret && !on)
		smve_bus_kick(ied->bus);
	return ret;
}

static long ioc_commit(struct smve_file *f, void __user *argp)
{
	struct smve_ied *ied = f->ied;
	long ret = 0;
	u64 seq;

	if (get_user(seq, (u64 __user *)argp))
		return -EFAULT;
	spin_lock(&ied->lock);
	if (ied->consumer != f)
		ret = -EPERM;
	else if (seq >= ied->next)
		ret = -EINVAL;		/* cannot commit what does not exist */
	else if (seq > ied->committed)
		ied->committed = seq;
	spin_unlock(&ied->lock);
	if (!ret)
		smve_bus_kick(ied->bus);
	return ret;
}

static long smve_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct smve_file *f = file->private_data;
	void __user *argp = (void __user *)arg;
	u64 lost;

	switch (cmd) {
	case SMVE_IOC_INFO:
		return ioc_info(f, argp);
	case SMVE_IOC_LOST:
		mutex_lock(&f->read_lock);
		lost = f->lost;
		f->lost = 0;
		mutex_unlock(&f->read_lock);
		return put_user(lost, (u64 __user *)argp);
	case SMVE_IOC_IED_STATS:
		return copy_to_user(argp, &f->ied->stats,
				    sizeof(f->ied->stats)) ? -EFAULT : 0;
	case SMVE_IOC_CONSUMER:
		return ioc_consumer(f, file, argp);
	case SMVE_IOC_COMMIT:
		return ioc_commit(f, argp);
	case SMVE_IOC_TRANSACT:
		if (!(file->f_mode & FMODE_WRITE))
			return -EPERM;
		return ioc_transact(f, argp);
	}
	return -ENOTTY;
}

static const struct file_operations smve_fops = {
	.owner		= THIS_MODULE,
	.open		= smve_open,
	.release	= smve_release,
	.read		= smve_read,
	.write		= smve_write,
	.poll		= smve_poll,
	.llseek		= smve_llseek,
	.unlocked_ioctl	= smve_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

int smve_ied_chrdev_init(void)
{
	int ret = alloc_chrdev_region(&smve_devt, 0, SMVE_MINORS, "smve");

	if (ret)
		return ret;
	cdev_init(&smve_cdev, &smve_fops);
	smve_cdev.owner = THIS_MODULE;
	ret = cdev_add(&smve_cdev, smve_devt, SMVE_MINORS);
	if (ret)
		unregister_chrdev_region(smve_devt, SMVE_MINORS);
	return ret;
}

void smve_ied_chrdev_exit(void)
{
	cdev_del(&smve_cdev);
	unregister_chrdev_region(smve_devt, SMVE_MINORS);
	idr_destroy(&smve_minors);
}
