// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The policies of BO write tracking: which method to use, from the size of
 * a BO, how much of it each scan finds written and, for AUTO, what faults
 * and scans cost on this system. Pure functions, so they can be tuned and
 * unit-tested alone.
 *
 * AUTO is a cost model. Between two scans MKWRITE costs a fault for every
 * page written, plus write-protecting it again at the scan; PAGETABLE costs
 * a walk over every PTE of the BO, written or not. Either pays what any
 * walk costs (which weighs on small BOs), MKWRITE only when a page was
 * written. With the measured cost
 * of each (struct ttm_bo_dirty_costs) and a moving average of the pages
 * written per scan, AUTO predicts both and uses the cheaper. Hysteresis
 * keeps it from flapping: it switches at once when the other method would
 * cost at most half (after a scan that found something written), after
 * two scans in a row when it would save a fifth, and never for less.
 *
 * The model sees what the kernel spends, not all a method costs: under
 * PAGETABLE a store to a page whose dirty bit a scan cleared makes the CPU
 * walk the page tables again and set the bit, and the entry to and exit
 * from a fault cost more than its handler. How much is a matter of the
 * CPU (or of the emulator). So AUTO also measures what counts in the end,
 * the time from one scan to the next, under each method. Once the model
 * has settled on one method, and thinks the other no more than eight times
 * dearer, AUTO tries the other for two cycles (a probe); a measured cycle
 * a tenth shorter wins, whatever the model says, though against the model
 * only once the method in use, measured again, still lost (a slow spell
 * of the host under two cycles would otherwise keep the better method out
 * for a whole gap of the probes). A measurement holds as
 * long as the BO is written about as much per cycle, and for a number of
 * scans that doubles with each verdict, and grows four times when the
 * method in use won by half as much again: a steady BO is probed ever more
 * rarely, and the more rarely the clearer its verdicts. Until then a scan
 * at that load only ages the verdict (ttm_bo_dirty_policy_standing()), as
 * it does while a probe waits for the BO to spend what it costs.
 *
 * A cycle right after a switch is not measured: after one to MKWRITE the
 * stores refill the TLB the write-protect flushed, and under emulation
 * either direction made a 16 MiB BO's next cycle two to four times
 * slower. For the same reason a probe that has its two cycles goes back
 * and measures the method it left again, so that the verdict compares
 * cycles that both follow a switch, not a probe's against cycles long
 * settled (nor against a new BO's first, slow ones).
 *
 * A probe costs two switches, and a switch of a big BO walks all its PTEs
 * twice and, to MKWRITE, flushes its TLB entries: a 16 MiB BO that takes
 * 40 us a cycle took 300 us to switch to MKWRITE and back 80 us (under
 * emulation), and its cycles in the other method may cost more. So a probe
 * waits until the BO has spent, since the other method was last measured
 * (or since its load changed), eight times what the probe would cost: its
 * last switches (the kernel's walks and what the cycle after each took
 * beyond a plain one; before its first, what switches cost on this system,
 * a fixed part learned from small BOs and a part per PTE from big ones, or
 * two scans each way) and its three cycles in the other method beyond this
 * one's (as last measured, else as the model says). Probing then takes
 * about a ninth of a BO's time at most, whatever its size and however
 * often its load changes. A fifth was too much: the time from one sync to
 * the next holds what the user does besides writing, and a 64 KiB BO
 * whose load changed every ten cycles paid a tenth of its writes and
 * syncs for probes that measured nothing new.
 *
 * A load that comes back (sparse, dense, sparse again) finds its
 * measurement gone with the load between: AUTO would measure the method
 * that lost there again, as if it never had, or switch to it where the
 * model is wrong (it sees the kernel's part of a fault, not the entry,
 * exit and TLB refills that make one dear under emulation). So a method
 * that lost a verdict, until it wins one, must promise to save more than
 * each of its cycles cost beyond the winner's to be chosen again, at
 * whatever load, and a probe of it costs no less.
 *
 * When nearly every page is written between scans, looking at PTEs costs
 * more than it saves. After three such scans in a row a PAGETABLE BO
 * reports every page for the next seven scans without walking, keeping
 * its PTEs writable, and then looks again: over-reporting for a while,
 * never losing a write. A look is two walks (one to clean, one to read)
 * and a cycle of stores setting dirty bits again, a third of a 1 MiB
 * cycle under emulation; so each look that finds the BO written nearly
 * whole again doubles the wait, to 15 and then 31 scans. A BO that stops
 * being written whole copies at most 31 times too much, having been
 * written whole for longer than that.
 *
 * A new BO starts with PAGETABLE when one page of PTEs maps all of it (a
 * scan is then a single table) and with MKWRITE otherwise, until scans
 * say more.
 *
 * AUTO_VMWGFX is a reference that reproduces the thresholds vmwgfx uses in
 * Linux 6.1, for measuring AUTO against.
 */

#include <linux/limits.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/overflow.h>

#include <drm/ttm/ttm_bo_dirty.h>

/* BOs up to this many pages start with PAGETABLE. */
#define TTM_BO_DIRTY_SMALL_PAGES	512
/* Scans in a row that must find "nearly every page" (15/16) written. */
#define TTM_BO_DIRTY_DENSE_SCANS	3
/*
 * Scans then reported whole without looking, before looking again; twice
 * as many plus one after each look that finds the BO written whole again,
 * at most TTM_BO_DIRTY_FULL_GROWTHS times.
 */
#define TTM_BO_DIRTY_FULL_SCANS		7
#define TTM_BO_DIRTY_FULL_GROWTHS	2

/* A probe waits for the BO to spend this many times what it costs. */
#define TTM_BO_DIRTY_PROBE_COST	8
/* Cycles a probe runs the other method: one after the switch, two measured. */
#define TTM_BO_DIRTY_PROBE_CYCLES	3

/* Scans a measurement of the other method holds: first and most. */
#define TTM_BO_DIRTY_PROBE_GAP_MIN	8
#define TTM_BO_DIRTY_PROBE_GAP_MAX	1024
/*
 * How the gap grows with a verdict: four times when the method in use
 * won by half as much again, since that does not turn without a change
 * of load (which starts the gap again); twice otherwise.
 */
#define TTM_BO_DIRTY_PROBE_GAP_GROW	2
#define TTM_BO_DIRTY_PROBE_GAP_GROW_CLEAR	4
/* Probe only a method the model thinks at most this many times dearer. */
#define TTM_BO_DIRTY_PROBE_RATIO	8
/* Scans at one load between two choices of the model, at most. */
#define TTM_BO_DIRTY_STAND_SCANS	16

/* vmwgfx 6.1: one page of PTEs less one, 10% both ways, third scan. */
#define VMWGFX_SMALL_PAGES		511
#define VMWGFX_PERCENT			10
#define VMWGFX_STREAK			3

static enum ttm_bo_dirty_method
ttm_bo_dirty_other(enum ttm_bo_dirty_method method)
{
	return method == TTM_BO_DIRTY_MKWRITE ?
		TTM_BO_DIRTY_PAGETABLE : TTM_BO_DIRTY_MKWRITE;
}

static void ttm_bo_dirty_switch_to(struct ttm_bo_dirty_policy_state *state,
				   enum ttm_bo_dirty_method method)
{
	state->method = method;
	state->streak = 0;
	state->full_left = 0;
}

/**
 * ttm_bo_dirty_policy_initial - the method a new BO of a policy starts with
 * @policy: %TTM_BO_DIRTY_AUTO or %TTM_BO_DIRTY_AUTO_VMWGFX.
 * @num_pages: size of the BO in pages.
 *
 * Return: %TTM_BO_DIRTY_PAGETABLE for small BOs, else %TTM_BO_DIRTY_MKWRITE.
 */
enum ttm_bo_dirty_method
ttm_bo_dirty_policy_initial(enum ttm_bo_dirty_method policy,
			    pgoff_t num_pages)
{
	pgoff_t small = policy == TTM_BO_DIRTY_AUTO_VMWGFX ?
		VMWGFX_SMALL_PAGES : TTM_BO_DIRTY_SMALL_PAGES;

	return num_pages <= small ? TTM_BO_DIRTY_PAGETABLE :
		TTM_BO_DIRTY_MKWRITE;
}
EXPORT_SYMBOL(ttm_bo_dirty_policy_initial);

static void
ttm_bo_dirty_policy_vmwgfx(struct ttm_bo_dirty_policy_state *state,
			   pgoff_t num_pages, pgoff_t dirtied)
{
	/* In 64 bits: pages times percent cannot overflow for any BO. */
	u64 share = (u64)dirtied * 100;
	u64 limit = (u64)num_pages * VMWGFX_PERCENT;
	bool other;

	if (state->method == TTM_BO_DIRTY_MKWRITE)
		other = share >= limit;
	else
		other = share < limit;

	if (!other)
		state->streak = 0;
	else if (++state->streak >= VMWGFX_STREAK)
		ttm_bo_dirty_switch_to(state, ttm_bo_dirty_other(state->method));
}

/* @a times @b, or U64_MAX if that does not fit. */
static u64 ttm_bo_dirty_mul_sat(u64 a, u64 b)
{
	u64 r;

	return check_mul_overflow(a, b, &r) ? U64_MAX : r;
}

/* @a plus @b, or U64_MAX if that does not fit. */
static u64 ttm_bo_dirty_add_sat(u64 a, u64 b)
{
	u64 r;

	return check_add_overflow(a, b, &r) ? U64_MAX : r;
}

/* Whether a scan found nearly every page (15/16) of the BO written. */
static bool ttm_bo_dirty_nearly_whole(pgoff_t num_pages, pgoff_t dirtied)
{
	return (u64)dirtied * 16 >= (u64)num_pages * 15;
}

/* Whether two cycles wrote about as many pages: half as much again, or 2. */
static bool ttm_bo_dirty_comparable(u64 a, u64 b)
{
	u64 lo = min(a, b), hi = max(a, b);

	return hi <= lo + lo / 2 + 2;
}

static void ttm_bo_dirty_cycles_add(struct ttm_bo_dirty_cycles *c,
				    u64 dirtied, u64 ns)
{
	if (!c->count)
		c->dirtied = dirtied;
	c->ns[1] = c->ns[0];
	c->ns[0] = ns;
	c->count = min(c->count + 1, 2U);
	c->age = 0;
}

/* The better of the two: one cycle that waited for something says little. */
static u64 ttm_bo_dirty_cycles_best(const struct ttm_bo_dirty_cycles *c)
{
	return min(c->ns[0], c->ns[1]);
}

/*
 * What the kernel sees of a PAGETABLE cycle, in ns. A scan of this very
 * BO, once timed, says it better than the system's estimates, which come
 * from other sizes: a walk of a few hundred PTEs is neither a fixed cost
 * nor that many times the per-PTE cost of big scans.
 */
static u64 ttm_bo_dirty_seen_pt(const struct ttm_bo_dirty_policy_state *state,
				pgoff_t num_pages,
				const struct ttm_bo_dirty_costs *costs)
{
	if (state->scan_ns)
		return state->scan_ns;
	return ttm_bo_dirty_add_sat(ttm_bo_dirty_mul_sat(num_pages,
							 costs->pte_ns),
				    costs->scan_ns);
}

/*
 * What the kernel sees of a MKWRITE cycle, in ns times 16, for
 * @dirtied_x16 pages written times 16: a fault and a write-protect a page,
 * and the fixed part of a walk when a page was written. Below a page a
 * cycle on average, the walk runs only so often.
 */
static u64 ttm_bo_dirty_seen_mk_x16(u64 dirtied_x16,
				    const struct ttm_bo_dirty_costs *costs)
{
	return ttm_bo_dirty_add_sat(ttm_bo_dirty_mul_sat(dirtied_x16,
							 (u64)costs->fault_ns +
							 costs->pte_ns),
				    min_t(u64, dirtied_x16, 16) *
				    costs->scan_ns);
}

/*
 * A verdict teaches the unseen cost only from at least this many pages
 * written per cycle: the cycles it compares vary by tens of microseconds
 * whatever the BO does, which over a page or two would say a write costs
 * tens of microseconds more one way or the other.
 */
#define TTM_BO_DIRTY_LEARN_PAGES	16
/*
 * What a page costs unseen is part of a fault or of a page walk: a sample
 * stays within this many faults, either way.
 */
#define TTM_BO_DIRTY_WRITE_FAULTS_MAX	2

/*
 * What a page written cost PAGETABLE beyond MKWRITE, unseen: the measured
 * difference of the cycles less what the kernel saw of it (@seen_pt and
 * @seen_mk, the model without @write_ns), per page written.
 */
static void ttm_bo_dirty_learn(struct ttm_bo_dirty_policy_state *state,
			       u64 seen_pt, u64 seen_mk,
			       const struct ttm_bo_dirty_costs *costs)
{
	const struct ttm_bo_dirty_cycles *mk = &state->cycles[0];
	s64 max = min_t(s64, (s64)costs->fault_ns *
			TTM_BO_DIRTY_WRITE_FAULTS_MAX, S32_MAX);
	s64 d = ttm_bo_dirty_cycles_best(&state->cycles[1]) -
		(s64)ttm_bo_dirty_cycles_best(mk) - ((s64)seen_pt - (s64)seen_mk);

	if (mk->dirtied < TTM_BO_DIRTY_LEARN_PAGES)
		return;
	d = div64_s64(d, (s64)mk->dirtied);
	state->write_ns_sample = clamp_t(s64, d, -max, max);
	state->learned = true;
}

/*
 * Both methods measured, the one in use just now for the second time: the
 * shorter cycle wins, by a tenth; within a tenth, the model's choice.
 */
static bool ttm_bo_dirty_verdict(const struct ttm_bo_dirty_policy_state *state,
				 u64 cur_model, u64 other_model)
{
	unsigned int i = state->method == TTM_BO_DIRTY_PAGETABLE;
	u64 cur = ttm_bo_dirty_cycles_best(&state->cycles[i]);
	u64 other = ttm_bo_dirty_cycles_best(&state->cycles[!i]);

	if (other < cur - cur / 10)
		return true;
	if (cur < other - other / 10)
		return false;
	return other_model < cur_model;
}

/* Whether the method in use beat the other by half as much again. */
static bool ttm_bo_dirty_clear_win(const struct ttm_bo_dirty_policy_state *state)
{
	unsigned int i = state->method == TTM_BO_DIRTY_PAGETABLE;
	u64 cur = ttm_bo_dirty_cycles_best(&state->cycles[i]);
	u64 other = ttm_bo_dirty_cycles_best(&state->cycles[!i]);

	return other >= cur + cur / 2;
}

/* A verdict: note what a cycle of the loser cost beyond the winner's. */
static void ttm_bo_dirty_note_verdict(struct ttm_bo_dirty_policy_state *state)
{
	u64 mk = ttm_bo_dirty_cycles_best(&state->cycles[0]);
	u64 pt = ttm_bo_dirty_cycles_best(&state->cycles[1]);

	state->lost_ns[0] = mk > pt ? min_t(u64, mk - pt, U32_MAX) : 0;
	state->lost_ns[1] = pt > mk ? min_t(u64, pt - mk, U32_MAX) : 0;
}

/*
 * The age of the other method's measurement (the scans since it was last
 * measured, or since the load changed) at which a probe pays: when what
 * the BO spent since then (that many of its shorter cycles under this
 * method) reaches PROBE_COST times what the probe would cost: a switch
 * there and back, and what its cycles under the other method take beyond
 * this one's, as last measured at this load, or else as the model says
 * (@cur and @other, ns times 16) but no less than when it last lost a
 * verdict. The method in use has its two cycles measured.
 */
static unsigned int
ttm_bo_dirty_probe_due(const struct ttm_bo_dirty_policy_state *state,
		       pgoff_t num_pages, pgoff_t dirtied, u64 seen_pt,
		       u64 cur, u64 other,
		       const struct ttm_bo_dirty_costs *costs)
{
	unsigned int i = state->method == TTM_BO_DIRTY_PAGETABLE;
	const struct ttm_bo_dirty_cycles *theirs = &state->cycles[!i];
	u64 mine = ttm_bo_dirty_cycles_best(&state->cycles[i]);
	u64 guess = max(ttm_bo_dirty_mul_sat(seen_pt, 2),
			ttm_bo_dirty_add_sat(costs->switch_ns,
					     ttm_bo_dirty_mul_sat(num_pages,
								  costs->switch_pte_ns)));
	u64 extra = other > cur ? (other - cur) / 16 : 0;
	u64 cost = 0, due;
	unsigned int j;

	if (theirs->ns[0] && ttm_bo_dirty_comparable(theirs->dirtied, dirtied)) {
		u64 t = ttm_bo_dirty_cycles_best(theirs);

		extra = t > mine ? t - mine : 0;
	} else {
		extra = max_t(u64, extra, state->lost_ns[!i]);
	}
	for (j = 0; j < 2; j++)
		cost = ttm_bo_dirty_add_sat(cost, state->switch_ns[j] ?: guess);
	extra = ttm_bo_dirty_mul_sat(extra, TTM_BO_DIRTY_PROBE_CYCLES);
	cost = ttm_bo_dirty_mul_sat(ttm_bo_dirty_add_sat(cost, extra),
				    TTM_BO_DIRTY_PROBE_COST);
	/* Rounded up: the first age whose spending covers the cost. */
	mine = max_t(u64, mine, 1);
	due = div64_u64(cost, mine);
	if (due * mine < cost)
		due++;
	return min_t(u64, due, UINT_MAX);
}

/*
 * A plain cycle of @cycle_ns after the cycle that followed the last
 * switch: what that one took beyond this is the switch's too.
 */
static void
ttm_bo_dirty_switch_settled(struct ttm_bo_dirty_policy_state *state,
			    u64 cycle_ns)
{
	u32 *ns = &state->switch_ns[state->method == TTM_BO_DIRTY_PAGETABLE];
	u64 after = state->after_switch_ns;

	state->after_switch_ns = 0;
	if (after > cycle_ns)
		*ns = min_t(u64, *ns + after - cycle_ns, U32_MAX);
	state->switch_sample_ns = *ns;
}

/*
 * The model's choice, with hysteresis: whether to switch now. A scan that
 * found nothing written (as a BO's first, right after it is mapped, does)
 * makes MKWRITE look free, yet may be one quiet interval that the next
 * write ends: alone it switches nothing, however cheap the other looks.
 */
static bool ttm_bo_dirty_model_switch(struct ttm_bo_dirty_policy_state *state,
				      u64 cur, u64 other, bool idle)
{
	if (other <= cur / 2 && !idle)
		return true;
	if (other <= cur - cur / 5)
		return ++state->streak >= 2;
	state->streak = 0;
	return false;
}

/*
 * What the model says a cycle costs, in ns times 16 and saturating for
 * absurd sizes or costs: @cur under the method in use, @other under the
 * other. Only where a decision needs it: most scans of a steady BO just
 * age a verdict.
 */
static void ttm_bo_dirty_model(const struct ttm_bo_dirty_policy_state *state,
			       u64 seen_pt, bool dense,
			       const struct ttm_bo_dirty_costs *costs,
			       u64 *cur, u64 *other)
{
	u64 mkwrite = ttm_bo_dirty_seen_mk_x16(state->dirtied_x16, costs);
	u64 pagetable = ttm_bo_dirty_mul_sat(seen_pt, 16);
	u64 unseen;

	/*
	 * Learned from measured cycles: added to the side that pays it.
	 * Not for a BO written nearly whole, which PAGETABLE soon reports
	 * whole without cleaning a dirty bit.
	 */
	unseen = dense ? 0 : ttm_bo_dirty_mul_sat(state->dirtied_x16,
						  abs((s64)costs->write_ns));
	if (costs->write_ns > 0)
		pagetable = ttm_bo_dirty_add_sat(pagetable, unseen);
	else
		mkwrite = ttm_bo_dirty_add_sat(mkwrite, unseen);
	*cur = state->method == TTM_BO_DIRTY_MKWRITE ? mkwrite : pagetable;
	*other = state->method == TTM_BO_DIRTY_MKWRITE ? pagetable : mkwrite;
}

/*
 * Both methods measured at one load, the one in use just now for the
 * second time: whether to switch. A verdict against the model is only
 * believed once the method in use was measured again: a slow spell of
 * the host over its two cycles would give one, and keep it out for a
 * whole gap.
 */
static bool ttm_bo_dirty_judge(struct ttm_bo_dirty_policy_state *state,
			       u64 seen_pt, bool dense,
			       const struct ttm_bo_dirty_costs *costs)
{
	unsigned int i = state->method == TTM_BO_DIRTY_PAGETABLE;
	u64 mk_x16 = ttm_bo_dirty_mul_sat(state->cycles[0].dirtied, 16);
	unsigned int grow;
	u64 cur, other;
	bool change;

	ttm_bo_dirty_model(state, seen_pt, dense, costs, &cur, &other);
	change = ttm_bo_dirty_verdict(state, cur, other);
	if (change && cur <= other && !state->rechecking) {
		state->rechecking = true;
		state->cycles[i].count = 0;
		return false;
	}
	state->rechecking = false;
	ttm_bo_dirty_note_verdict(state);
	grow = !change && ttm_bo_dirty_clear_win(state) ?
		TTM_BO_DIRTY_PROBE_GAP_GROW_CLEAR : TTM_BO_DIRTY_PROBE_GAP_GROW;
	ttm_bo_dirty_learn(state, seen_pt,
			   ttm_bo_dirty_seen_mk_x16(mk_x16, costs) / 16, costs);
	state->probe_gap = min(state->probe_gap * grow,
			       TTM_BO_DIRTY_PROBE_GAP_MAX);
	return change;
}

/*
 * How far the scans that follow may only age the other method's
 * measurement (ttm_bo_dirty_policy_standing()), if written as this one:
 * while a verdict holds, and while a probe waits for the BO to spend what
 * it costs (until the scan before it is due, @due, so that the update at
 * that age probes). Not after an update that has the next one decide
 * differently: a switch, a probe under way, a first argument for the
 * other method, a BO written nearly whole or a switch's cost pending.
 * The model's choice rests on the system's costs, which other BOs move:
 * it is made again every TTM_BO_DIRTY_STAND_SCANS scans.
 */
static void ttm_bo_dirty_stand(struct ttm_bo_dirty_policy_state *state,
			       bool change, bool dense, unsigned int due)
{
	unsigned int i = state->method == TTM_BO_DIRTY_PAGETABLE;
	const struct ttm_bo_dirty_cycles *theirs = &state->cycles[!i];

	state->stand_age = 0;
	if (change || dense || state->probing || state->streak ||
	    state->after_switch_ns || state->cycles[i].count != 2)
		return;
	if (theirs->count == 2)
		state->stand_age = state->probe_gap;
	else if (!theirs->count)
		state->stand_age = min_t(u64, due - 1, (u64)theirs->age +
					 TTM_BO_DIRTY_STAND_SCANS);
}

static void
ttm_bo_dirty_policy_auto(struct ttm_bo_dirty_policy_state *state,
			 pgoff_t num_pages, pgoff_t dirtied, u64 cycle_ns,
			 const struct ttm_bo_dirty_costs *costs)
{
	unsigned int i = state->method == TTM_BO_DIRTY_PAGETABLE;
	struct ttm_bo_dirty_cycles *mine = &state->cycles[i];
	struct ttm_bo_dirty_cycles *theirs = &state->cycles[!i];
	bool dense = ttm_bo_dirty_nearly_whole(num_pages, dirtied);
	u64 seen_pt = ttm_bo_dirty_seen_pt(state, num_pages, costs);
	bool fresh = false, change = false;
	unsigned int due = UINT_MAX;
	u64 cur, other;

	state->learned = false;
	state->switch_sample_ns = 0;
	if (cycle_ns && state->after_switch_ns)
		ttm_bo_dirty_switch_settled(state, cycle_ns);
	/*
	 * Three quarters of the weight on this scan: phases show quickly.
	 * From nothing (a BO's first scan, or after a quiet spell) all of
	 * it: averaged with 0, the first scans of a page each would make
	 * MKWRITE look a quarter cheaper than any of them says, and that
	 * sent 1 MiB BOs to it for the 20 cycles until a probe.
	 */
	if (state->dirtied_x16)
		state->dirtied_x16 = (state->dirtied_x16 +
				      ttm_bo_dirty_mul_sat(dirtied, 3 * 16)) / 4;
	else
		state->dirtied_x16 = ttm_bo_dirty_mul_sat(dirtied, 16);

	/*
	 * Another load: what was measured at the old one no longer holds,
	 * and what the BO spent there does not pay for a probe at this one:
	 * a BO whose load changes every few scans would otherwise probe at
	 * every change.
	 */
	if ((mine->count && !ttm_bo_dirty_comparable(mine->dirtied, dirtied)) ||
	    (theirs->count &&
	     !ttm_bo_dirty_comparable(theirs->dirtied, dirtied))) {
		mine->count = 0;
		theirs->count = 0;
		mine->age = 0;
		theirs->age = 0;
		state->probe_gap = 0;
		state->probing = false;
		state->rechecking = false;
	}
	if (!state->probe_gap)
		state->probe_gap = TTM_BO_DIRTY_PROBE_GAP_MIN;
	if (cycle_ns) {
		fresh = mine->count == 1;
		ttm_bo_dirty_cycles_add(mine, dirtied, cycle_ns);
	}
	if (theirs->age < UINT_MAX)
		theirs->age++;
	if (theirs->count && theirs->age > state->probe_gap) {
		theirs->count = 0;
		state->rechecking = false;
	}

	if (theirs->count == 2 && fresh && state->probing) {
		/*
		 * The probe has its two cycles, each some cycles after a
		 * switch, and the method it left was measured long after
		 * one: go back and measure that one again before judging,
		 * so the verdict compares like with like.
		 */
		state->probing = false;
		theirs->count = 0;
		change = true;
	} else if (theirs->count == 2) {
		/* Measured: the verdict holds until it ages out. */
		if (fresh)
			change = ttm_bo_dirty_judge(state, seen_pt, dense,
						    costs);
	} else {
		u64 lost = ttm_bo_dirty_mul_sat(state->lost_ns[!i], 16);

		ttm_bo_dirty_model(state, seen_pt, dense, costs, &cur, &other);
		change = ttm_bo_dirty_model_switch(state, cur,
						   ttm_bo_dirty_add_sat(other,
									lost),
						   !dirtied);
		/*
		 * A probe: the model settled, and may be wrong by that much.
		 * Not of a BO written nearly whole: PAGETABLE is about to
		 * report it whole without looking, which nothing beats.
		 */
		if (!change && !dense && mine->count == 2 && !theirs->count &&
		    other / TTM_BO_DIRTY_PROBE_RATIO <= cur) {
			due = ttm_bo_dirty_probe_due(state, num_pages, dirtied,
						     seen_pt, cur, other,
						     costs);
			if (theirs->age >= due) {
				change = true;
				state->probing = true;
			}
		}
	}
	ttm_bo_dirty_stand(state, change, dense, due);
	if (change)
		ttm_bo_dirty_switch_to(state, ttm_bo_dirty_other(state->method));

	if (!dense)
		state->dense_scans = 0;
	else if (state->dense_scans < UINT_MAX)
		state->dense_scans++;
	if (state->method == TTM_BO_DIRTY_PAGETABLE &&
	    state->dense_scans >= TTM_BO_DIRTY_DENSE_SCANS) {
		/* Looks that found it whole again since it became dense. */
		unsigned int looks = min_t(unsigned int, state->dense_scans -
					   TTM_BO_DIRTY_DENSE_SCANS,
					   TTM_BO_DIRTY_FULL_GROWTHS);

		state->full_left = ((TTM_BO_DIRTY_FULL_SCANS + 1) << looks) - 1;
	}
}

/**
 * ttm_bo_dirty_policy_standing - let a scan only age AUTO's measurement
 * @state: what the policy remembers of the BO.
 * @num_pages: size of the BO in pages.
 * @dirtied: pages the scan found written.
 *
 * Most scans of a steady BO change nothing but the age of what was
 * measured of the method not in use: a verdict that holds, or the wait
 * of a probe for the BO to have spent what it costs. On a small BO the
 * rest of an update costs a few percent of a cycle (under emulation, as
 * much as AUTO may lose to the better method), so such a scan takes this
 * shortcut instead: it neither reads the costs nor remeasures the method
 * in use. It applies only as far as the last update said
 * (&ttm_bo_dirty_policy_state.stand_age), and only while the BO is
 * written as it was then.
 *
 * Return: true if the scan only aged that measurement; false if it needs
 * ttm_bo_dirty_policy_update().
 */
bool ttm_bo_dirty_policy_standing(struct ttm_bo_dirty_policy_state *state,
				  pgoff_t num_pages, pgoff_t dirtied)
{
	unsigned int i = state->method == TTM_BO_DIRTY_PAGETABLE;
	struct ttm_bo_dirty_cycles *mine = &state->cycles[i];
	struct ttm_bo_dirty_cycles *theirs = &state->cycles[!i];

	if (theirs->age >= state->stand_age || mine->count != 2 ||
	    state->probing || state->after_switch_ns || state->dense_scans ||
	    ttm_bo_dirty_nearly_whole(num_pages, dirtied) ||
	    !ttm_bo_dirty_comparable(mine->dirtied, dirtied) ||
	    (theirs->count && !ttm_bo_dirty_comparable(theirs->dirtied,
							dirtied)))
		return false;
	theirs->age++;
	state->learned = false;
	state->switch_sample_ns = 0;
	return true;
}
EXPORT_SYMBOL(ttm_bo_dirty_policy_standing);

/**
 * ttm_bo_dirty_policy_dense - whether AUTO found a BO written nearly whole
 * @state: what the policy remembers of the BO.
 *
 * Then a huge entry reporting all its pages costs nothing, and saves
 * faults and scan work.
 *
 * Return: true after enough scans in a row found nearly every page written.
 */
bool ttm_bo_dirty_policy_dense(const struct ttm_bo_dirty_policy_state *state)
{
	return state->dense_scans >= TTM_BO_DIRTY_DENSE_SCANS;
}
EXPORT_SYMBOL(ttm_bo_dirty_policy_dense);

/**
 * ttm_bo_dirty_policy_scan_timed - note what a PAGETABLE scan of a BO took
 * @state: what the policy remembers of the BO.
 * @ns: time the walk over all its PTEs took.
 *
 * A moving average. What delays a walk (preemption, a lock, cold TLBs)
 * only ever makes it longer: a shorter one moves the average half the
 * way, a longer one a quarter, and for at most twice the average.
 */
void ttm_bo_dirty_policy_scan_timed(struct ttm_bo_dirty_policy_state *state,
				    u64 ns)
{
	u64 old = state->scan_ns;

	ns = clamp_t(u64, ns, 1, U32_MAX);
	if (old && ns < old)
		ns = (old + ns) / 2;
	else if (old)
		ns = old - old / 4 + min(ns, old * 2) / 4;
	state->scan_ns = max_t(u64, ns, 1);
}
EXPORT_SYMBOL(ttm_bo_dirty_policy_scan_timed);

/**
 * ttm_bo_dirty_policy_switch_timed - note what a switch of a BO took
 * @state: what the policy remembers of the BO, its method the one just
 *	switched to.
 * @ns: time the kernel's work of the switch took: the walks that made
 *	the BO's PTEs follow the new method.
 */
void ttm_bo_dirty_policy_switch_timed(struct ttm_bo_dirty_policy_state *state,
				      u64 ns)
{
	state->switch_ns[state->method == TTM_BO_DIRTY_PAGETABLE] =
		clamp_t(u64, ns, 1, U32_MAX);
	state->after_switch_ns = 0;
}
EXPORT_SYMBOL(ttm_bo_dirty_policy_switch_timed);

/**
 * ttm_bo_dirty_policy_after_switch_timed - note the cycle after a switch
 * @state: what the policy remembers of the BO, its last switch timed by
 *	ttm_bo_dirty_policy_switch_timed().
 * @ns: time from the end of the switch's work to the next scan.
 *
 * The kernel's walks are not all a switch costs. After one to MKWRITE the
 * stores fault again, and every access refills a TLB entry the
 * write-protect flushed: under emulation the cycle after one took a
 * 16 MiB BO read whole each cycle ten times as long as the others. The
 * next plain cycle says how much of @ns that was.
 */
void
ttm_bo_dirty_policy_after_switch_timed(struct ttm_bo_dirty_policy_state *state,
				       u64 ns)
{
	state->after_switch_ns = clamp_t(u64, ns, 1, U32_MAX);
}
EXPORT_SYMBOL(ttm_bo_dirty_policy_after_switch_timed);

/**
 * ttm_bo_dirty_policy_update - feed one scan to a policy
 * @policy: %TTM_BO_DIRTY_AUTO or %TTM_BO_DIRTY_AUTO_VMWGFX.
 * @state: what the policy remembers of the BO, updated in place (a
 *	struct copy costs more than the whole decision).
 * @num_pages: size of the BO in pages.
 * @dirtied: pages the scan found written.
 * @cycle_ns: time since the previous scan, or 0 when that was not one
 *	plain cycle of the method in use (one of the BO's first scans, or a
 *	switch, a zap or a scan reported whole in between); only AUTO uses
 *	it.
 * @costs: measured costs; only AUTO uses them.
 *
 * Not called for the scans that report every page without looking.
 *
 * The method in @state changes when the policy decides to switch (its
 * streak then starts again from zero), and the caller makes the BO's PTEs
 * follow. A non-zero full_left asks for that many scans reported whole.
 */
void ttm_bo_dirty_policy_update(enum ttm_bo_dirty_method policy,
				struct ttm_bo_dirty_policy_state *state,
				pgoff_t num_pages, pgoff_t dirtied,
				u64 cycle_ns,
				const struct ttm_bo_dirty_costs *costs)
{
	if (policy == TTM_BO_DIRTY_AUTO_VMWGFX)
		ttm_bo_dirty_policy_vmwgfx(state, num_pages, dirtied);
	else
		ttm_bo_dirty_policy_auto(state, num_pages, dirtied, cycle_ns,
					 costs);
}
EXPORT_SYMBOL(ttm_bo_dirty_policy_update);
