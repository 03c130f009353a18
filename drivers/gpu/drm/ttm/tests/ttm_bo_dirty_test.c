// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * KUnit tests of TTM write tracking: the dirty-range bookkeeping that
 * drivers walk, and the AUTO policy.
 */

#include <kunit/test.h>

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/string.h>

#include <drm/ttm/ttm_bo_dirty.h>

#define MAX_RUNS	4

struct dirty_run {
	pgoff_t first;
	pgoff_t end;
};

/* Bookkeeping: mark some ranges, clear some, expect these runs */

struct ttm_bo_dirty_range_case {
	const char *name;
	pgoff_t num_pages;
	struct dirty_run mark[MAX_RUNS];
	struct dirty_run clear[MAX_RUNS];
	struct dirty_run expect[MAX_RUNS];
};

static const struct ttm_bo_dirty_range_case ttm_bo_dirty_range_cases[] = {
	{ .name = "nothing_marked", .num_pages = 16 },
	{ .name = "one_page", .num_pages = 16,
	  .mark = { { 3, 4 } }, .expect = { { 3, 4 } } },
	{ .name = "first_and_last_page", .num_pages = 16,
	  .mark = { { 0, 1 }, { 15, 16 } },
	  .expect = { { 0, 1 }, { 15, 16 } } },
	{ .name = "adjacent_marks_merge", .num_pages = 16,
	  .mark = { { 2, 4 }, { 4, 6 } }, .expect = { { 2, 6 } } },
	{ .name = "overlapping_marks_merge", .num_pages = 16,
	  .mark = { { 2, 5 }, { 3, 8 } }, .expect = { { 2, 8 } } },
	{ .name = "mark_past_end_is_clamped", .num_pages = 16,
	  .mark = { { 14, 40 } }, .expect = { { 14, 16 } } },
	{ .name = "mark_entirely_past_end_is_ignored", .num_pages = 16,
	  .mark = { { 16, 20 } } },
	{ .name = "empty_mark_is_ignored", .num_pages = 16,
	  .mark = { { 5, 5 } } },
	{ .name = "clear_splits_a_run", .num_pages = 16,
	  .mark = { { 2, 10 } }, .clear = { { 4, 6 } },
	  .expect = { { 2, 4 }, { 6, 10 } } },
	{ .name = "clear_first_run_keeps_the_rest", .num_pages = 16,
	  .mark = { { 0, 2 }, { 8, 9 } }, .clear = { { 0, 2 } },
	  .expect = { { 8, 9 } } },
	{ .name = "clear_all", .num_pages = 16,
	  .mark = { { 0, 16 } }, .clear = { { 0, 16 } } },
	{ .name = "clear_past_end_is_clamped", .num_pages = 16,
	  .mark = { { 10, 16 } }, .clear = { { 12, 100 } },
	  .expect = { { 10, 12 } } },
	{ .name = "runs_across_long_words", .num_pages = 200,
	  .mark = { { 60, 70 }, { 127, 129 }, { 199, 200 } },
	  .expect = { { 60, 70 }, { 127, 129 }, { 199, 200 } } },
	{ .name = "bo_of_one_page", .num_pages = 1,
	  .mark = { { 0, 1 } }, .expect = { { 0, 1 } } },
};

static void range_case_desc(const struct ttm_bo_dirty_range_case *t,
			    char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(ttm_bo_dirty_range, ttm_bo_dirty_range_cases,
		  range_case_desc);

static bool run_is_set(const struct dirty_run *r)
{
	return r->first || r->end;
}

static void ttm_bo_dirty_test_ranges(struct kunit *test)
{
	const struct ttm_bo_dirty_range_case *t = test->param_value;
	struct ttm_bo_dirty *dirty;
	pgoff_t first, end;
	int i, n = 0;

	dirty = ttm_bo_dirty_alloc(t->num_pages, TTM_BO_DIRTY_MKWRITE);
	KUNIT_ASSERT_NOT_NULL(test, dirty);

	for (i = 0; i < MAX_RUNS && run_is_set(&t->mark[i]); i++)
		ttm_bo_dirty_mark(dirty, t->mark[i].first, t->mark[i].end);
	for (i = 0; i < MAX_RUNS && run_is_set(&t->clear[i]); i++)
		ttm_bo_dirty_clear(dirty, t->clear[i].first, t->clear[i].end);

	end = 0;
	while (ttm_bo_dirty_next(dirty, end, &first, &end)) {
		KUNIT_ASSERT_LT(test, n, MAX_RUNS);
		KUNIT_EXPECT_EQ(test, first, t->expect[n].first);
		KUNIT_EXPECT_EQ(test, end, t->expect[n].end);
		n++;
	}
	for (i = n; i < MAX_RUNS; i++)
		KUNIT_EXPECT_FALSE_MSG(test, run_is_set(&t->expect[i]),
				       "run %d missing", i);
	kvfree(dirty);
}

/* Clearing each run while visiting it leaves nothing dirty */
static void ttm_bo_dirty_test_consume_while_walking(struct kunit *test)
{
	struct ttm_bo_dirty *dirty;
	pgoff_t first, end, pages = 0;

	dirty = ttm_bo_dirty_alloc(300, TTM_BO_DIRTY_PAGETABLE);
	KUNIT_ASSERT_NOT_NULL(test, dirty);
	ttm_bo_dirty_mark(dirty, 1, 3);
	ttm_bo_dirty_mark(dirty, 100, 164);
	ttm_bo_dirty_mark(dirty, 299, 300);

	end = 0;
	while (ttm_bo_dirty_next(dirty, end, &first, &end)) {
		pages += end - first;
		ttm_bo_dirty_clear(dirty, first, end);
	}
	KUNIT_EXPECT_EQ(test, pages, 2 + 64 + 1);
	KUNIT_EXPECT_FALSE(test, ttm_bo_dirty_next(dirty, 0, &first, &end));
	kvfree(dirty);
}

/* A new AUTO BO starts with the policy's initial method */
static void ttm_bo_dirty_test_alloc_auto(struct kunit *test)
{
	struct ttm_bo_dirty *small, *big;

	small = ttm_bo_dirty_alloc(16, TTM_BO_DIRTY_AUTO);
	big = ttm_bo_dirty_alloc(4096, TTM_BO_DIRTY_AUTO);
	KUNIT_ASSERT_NOT_NULL(test, small);
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_EXPECT_EQ(test, small->stats.method, TTM_BO_DIRTY_PAGETABLE);
	KUNIT_EXPECT_EQ(test, big->stats.method, TTM_BO_DIRTY_MKWRITE);
	kvfree(small);
	kvfree(big);
}

/* Policy: initial method by size */

struct ttm_bo_dirty_initial_case {
	const char *name;
	enum ttm_bo_dirty_method policy;
	pgoff_t num_pages;
	enum ttm_bo_dirty_method method;
};

#define AUTO TTM_BO_DIRTY_AUTO
#define VMW TTM_BO_DIRTY_AUTO_VMWGFX

static const struct ttm_bo_dirty_initial_case ttm_bo_dirty_initial_cases[] = {
	{ "one_page", AUTO, 1, TTM_BO_DIRTY_PAGETABLE },
	{ "one_page_table", AUTO, 512, TTM_BO_DIRTY_PAGETABLE },
	{ "one_page_table_plus_one", AUTO, 513, TTM_BO_DIRTY_MKWRITE },
	{ "256_MiB", AUTO, 65536, TTM_BO_DIRTY_MKWRITE },
	/* vmwgfx: PAGETABLE only below one page of PTEs */
	{ "vmwgfx_one_page", VMW, 1, TTM_BO_DIRTY_PAGETABLE },
	{ "vmwgfx_one_page_table_minus_one", VMW, 511,
	  TTM_BO_DIRTY_PAGETABLE },
	{ "vmwgfx_one_page_table", VMW, 512, TTM_BO_DIRTY_MKWRITE },
};

static void initial_case_desc(const struct ttm_bo_dirty_initial_case *t,
			      char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(ttm_bo_dirty_initial, ttm_bo_dirty_initial_cases,
		  initial_case_desc);

static void ttm_bo_dirty_test_initial(struct kunit *test)
{
	const struct ttm_bo_dirty_initial_case *t = test->param_value;

	KUNIT_EXPECT_EQ(test, ttm_bo_dirty_policy_initial(t->policy,
							  t->num_pages),
			t->method);
}

/* Policy: a sequence of scans, and the method after each */

#define MAX_SCANS	16

struct ttm_bo_dirty_policy_case {
	const char *name;
	enum ttm_bo_dirty_method policy;
	pgoff_t num_pages;
	struct ttm_bo_dirty_costs costs;
	enum ttm_bo_dirty_method start;
	pgoff_t start_dirtied;	/* the moving average to start from */
	unsigned int scans;
	pgoff_t dirtied[MAX_SCANS];
	enum ttm_bo_dirty_method after[MAX_SCANS];
	unsigned int full_left;	/* after the last scan */
	bool dense;		/* after the last scan: huge entries pay */
	/* measured scan to scan, in us; 0 where the caller passes none */
	u64 cycle_us[MAX_SCANS];
	/* what the BO's own PAGETABLE scans took; 0: never timed */
	u32 scan_ns;
	/* what its last switch each way took; 0: never timed */
	u32 switch_us;
};

#define MK TTM_BO_DIRTY_MKWRITE
#define PT TTM_BO_DIRTY_PAGETABLE
/* A fault a hundred PTEs: a PAGETABLE scan of 1000 pages is 20 us. */
#define COSTS		{ .fault_ns = 2000, .pte_ns = 20 }

static const struct ttm_bo_dirty_policy_case ttm_bo_dirty_policy_cases[] = {
	/* AUTO weighs a fault per written page against a walk of all */
	{ "dense_switches_to_pagetable_at_once", AUTO, 1000, COSTS, MK, 0,
	  1, { 500 }, { PT } },
	{ "sparse_switches_to_mkwrite_at_once", AUTO, 1000, COSTS, PT, 0,
	  1, { 1 }, { MK } },
	/* 7 pages: 14 us against 20, a saving of a fifth but not a half */
	{ "saving_a_fifth_takes_two_scans", AUTO, 1000, COSTS, PT, 7,
	  2, { 7, 7 }, { PT, MK } },
	{ "saving_less_never_switches", AUTO, 1000, COSTS, PT, 9,
	  4, { 9, 9, 9, 9 }, { PT, PT, PT, PT } },
	/* Faults as cheap as PTEs: 30% written is cheaper by fault */
	{ "cheap_faults_favour_mkwrite", AUTO, 1000,
	  { .fault_ns = 20, .pte_ns = 20 }, PT, 300,
	  2, { 300, 300 }, { PT, MK } },
	/* Faults a thousand PTEs: 10% written is cheaper by walking */
	{ "costly_faults_favour_pagetable", AUTO, 1000,
	  { .fault_ns = 20000, .pte_ns = 20 }, MK, 100,
	  1, { 100 }, { PT } },
	/*
	 * A scan's fixed cost: PAGETABLE pays it every scan, MKWRITE when a
	 * page was written. 256 pages, one written: 13.1 us against 12.0,
	 * not a fifth saved.
	 */
	{ "a_fixed_cost_weighs_on_both", AUTO, 256,
	  { .fault_ns = 4000, .pte_ns = 20, .scan_ns = 8000 }, PT, 1,
	  2, { 1, 1 }, { PT, PT } },
	/* Nothing written costs MKWRITE nothing, but one such scan is a lull */
	{ "an_unwritten_bo_goes_mkwrite_on_its_second_scan", AUTO, 256,
	  { .fault_ns = 4000, .pte_ns = 20, .scan_ns = 8000 }, PT, 0,
	  2, { 0, 0 }, { PT, MK } },
	{ "one_quiet_scan_switches_nothing", AUTO, 16,
	  { .fault_ns = 4000, .pte_ns = 20, .scan_ns = 8000 }, PT, 0,
	  2, { 0, 1 }, { PT, PT } },
	/*
	 * 256 pages, one written: at the system's cost per PTE the walk
	 * takes 5.1 us against a 2 us fault; this BO's own scans took 1 us.
	 */
	{ "the_systems_walk_estimate_favours_mkwrite", AUTO, 256, COSTS,
	  PT, 1, 1, { 1 }, { MK } },
	{ "the_bos_own_scan_time_keeps_pagetable", AUTO, 256, COSTS,
	  PT, 1, 1, { 1 }, { PT }, .scan_ns = 1000 },
	/* The average follows a new phase within a few scans */
	{ "phase_change_follows", AUTO, 1000, COSTS, MK, 0,
	  6, { 900, 1, 1, 1, 1, 900 }, { PT, PT, PT, PT, MK, PT } },
	/* Three nearly whole scans in a row: report whole, seven times */
	{ "dense_thrice_reports_whole", AUTO, 1000, COSTS, PT, 0,
	  3, { 1000, 940, 1000 }, { PT, PT, PT }, 7, true },
	/* Each look that finds it whole again: wait twice as long, to 31 */
	{ "dense_again_reports_whole_fifteen_times", AUTO, 1000, COSTS, PT, 0,
	  4, { 1000, 1000, 1000, 960 }, { PT, PT, PT, PT }, 15, true },
	{ "dense_for_long_reports_whole_at_most_31_times", AUTO, 1000, COSTS,
	  PT, 0, 7, { 1000, 1000, 1000, 1000, 1000, 1000, 1000 },
	  { PT, PT, PT, PT, PT, PT, PT }, 31, true },
	{ "dense_needs_three_in_a_row", AUTO, 1000, COSTS, PT, 0,
	  4, { 1000, 1000, 900, 1000 }, { PT, PT, PT, PT }, 0 },
	{ "huge_bo_does_not_overflow", AUTO, (pgoff_t)1 << 40, COSTS, MK, 0,
	  1, { (pgoff_t)1 << 40 }, { PT } },
	/* vmwgfx: one threshold, 10% both ways, on the third scan */
	{ "vmwgfx_dense_thrice_switches", VMW, 1000, COSTS, MK, 0,
	  3, { 100, 100, 100 }, { MK, MK, PT } },
	{ "vmwgfx_dense_twice_stays", VMW, 1000, COSTS, MK, 0,
	  3, { 500, 500, 99 }, { MK, MK, MK } },
	{ "vmwgfx_sparse_thrice_switches", VMW, 1000, COSTS, PT, 0,
	  3, { 99, 99, 99 }, { PT, PT, MK } },
	{ "vmwgfx_at_threshold_stays_pagetable", VMW, 1000, COSTS, PT, 0,
	  4, { 100, 100, 100, 100 }, { PT, PT, PT, PT } },
	{ "saturated_costs_do_not_switch", AUTO, (pgoff_t)1 << 40,
	  { .fault_ns = U32_MAX, .pte_ns = U32_MAX }, MK, 0,
	  1, { (pgoff_t)1 << 40 }, { MK } },
	{ "vmwgfx_ignores_costs", VMW, 1000,
	  { .fault_ns = 20000, .pte_ns = 20 }, MK, 0,
	  2, { 99, 99 }, { MK, MK } },
	/*
	 * Measured cycles. 20 pages: the model puts MKWRITE at twice
	 * PAGETABLE (40.4 us against 20), close enough to probe once
	 * PAGETABLE has two cycles and the BO has spent eight times what
	 * the probe would cost: two scans each way (80 us) and three cycles
	 * 20.4 us dearer, 1130 us in all, three cycles of 400 us. The cycle
	 * after a switch is not measured (the caller passes 0). The probe's
	 * two cycles, two of PAGETABLE again, then the verdict: against the
	 * model, so only once two more cycles of PAGETABLE lost too.
	 */
	{ "shorter_measured_cycles_overrule_the_model", AUTO, 1000, COSTS,
	  PT, 20, 12, { 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20 },
	  { PT, PT, MK, MK, MK, PT, PT, PT, PT, PT, MK, MK }, 0, false,
	  { 0, 400, 400, 0, 280, 280, 0, 400, 400, 400, 400, 0 } },
	/* A slow spell over the two cycles, then the model's choice wins */
	{ "a_loss_against_the_model_is_measured_again", AUTO, 1000, COSTS,
	  PT, 20, 12, { 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20 },
	  { PT, PT, MK, MK, MK, PT, PT, PT, PT, PT, PT, PT }, 0, false,
	  { 0, 400, 400, 0, 280, 280, 0, 400, 400, 250, 250, 250 } },
	{ "a_probe_that_loses_goes_back", AUTO, 1000, COSTS,
	  PT, 20, 10, { 20, 20, 20, 20, 20, 20, 20, 20, 20, 20 },
	  { PT, PT, MK, MK, MK, PT, PT, PT, PT, PT }, 0, false,
	  { 0, 400, 400, 0, 520, 520, 0, 400, 400, 400 } },
	{ "a_tie_keeps_the_models_choice", AUTO, 1000, COSTS,
	  PT, 20, 10, { 20, 20, 20, 20, 20, 20, 20, 20, 20, 20 },
	  { PT, PT, MK, MK, MK, PT, PT, PT, PT, PT }, 0, false,
	  { 0, 400, 400, 0, 380, 380, 0, 400, 400, 400 } },
	/*
	 * The BO's last switches took 1 ms each way: a probe waits until
	 * it has spent 16.5 ms, 82 cycles of 200 us.
	 */
	{ "a_probe_waits_until_it_pays", AUTO, 1000, COSTS,
	  PT, 20, 8, { 20, 20, 20, 20, 20, 20, 20, 20 },
	  { PT, PT, PT, PT, PT, PT, PT, PT }, 0, false,
	  { 0, 200, 200, 200, 200, 200, 200, 200 }, .switch_us = 1000 },
	/*
	 * 100 pages: MKWRITE ten times dearer by the model, not worth a try,
	 * though cycles of 100 ms would pay for it.
	 */
	{ "no_probe_where_the_model_is_sure", AUTO, 1000, COSTS,
	  PT, 100, 8, { 100, 100, 100, 100, 100, 100, 100, 100 },
	  { PT, PT, PT, PT, PT, PT, PT, PT }, 0, false,
	  { 0, 100000, 100000, 100000, 100000, 100000, 100000, 100000 } },
	/* Writes cost PAGETABLE 5 us a page more, unseen: 120 us against 40 */
	{ "a_learned_write_cost_favours_mkwrite", AUTO, 1000,
	  { .fault_ns = 2000, .pte_ns = 20, .write_ns = 5000 }, PT, 20,
	  1, { 20 }, { MK } },
	/*
	 * 256 pages, one written a cycle: MKWRITE 6.02 us, PAGETABLE 7.12,
	 * not a fifth dearer. A new BO's first scans (or ones after an
	 * idle scan) count what they found, not three quarters of it.
	 */
	{ "a_new_bos_first_scans_count_in_full", AUTO, 256,
	  { .fault_ns = 4000, .pte_ns = 20, .scan_ns = 2000 }, PT, 0,
	  3, { 1, 1, 1 }, { PT, PT, PT } },
	{ "an_idle_scan_then_one_page_stays", AUTO, 256,
	  { .fault_ns = 4000, .pte_ns = 20, .scan_ns = 2000 }, PT, 0,
	  3, { 0, 1, 1 }, { PT, PT, PT } },
	/* Measured at 20 pages, then 900 are written: the model decides */
	{ "another_load_forgets_the_measurements", AUTO, 1000, COSTS,
	  PT, 20, 13, { 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 900 },
	  { PT, PT, MK, MK, MK, PT, PT, PT, PT, PT, MK, MK, PT }, 0, false,
	  { 0, 400, 400, 0, 280, 280, 0, 400, 400, 400, 400, 0, 280 } },
};

#undef MK
#undef PT
#undef AUTO
#undef VMW
#undef COSTS

static void policy_case_desc(const struct ttm_bo_dirty_policy_case *t,
			     char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(ttm_bo_dirty_policy, ttm_bo_dirty_policy_cases,
		  policy_case_desc);

static void ttm_bo_dirty_test_policy(struct kunit *test)
{
	const struct ttm_bo_dirty_policy_case *t = test->param_value;
	struct ttm_bo_dirty_policy_state state = {
		.method = t->start,
		.dirtied_x16 = (u64)t->start_dirtied * 16,
		.scan_ns = t->scan_ns,
		.switch_ns = { t->switch_us * 1000, t->switch_us * 1000 },
	};
	unsigned int i;

	for (i = 0; i < t->scans; i++) {
		enum ttm_bo_dirty_method before = state.method;

		ttm_bo_dirty_policy_update(t->policy, &state, t->num_pages,
					   t->dirtied[i], t->cycle_us[i] * 1000,
					   &t->costs);
		KUNIT_EXPECT_EQ_MSG(test, state.method, t->after[i],
				    "after scan %u", i);
		if (state.method != before)
			KUNIT_EXPECT_EQ(test, state.streak, 0U);
	}
	KUNIT_EXPECT_EQ(test, state.full_left, t->full_left);
	KUNIT_EXPECT_EQ(test, ttm_bo_dirty_policy_dense(&state), t->dense);
}

/* A BO's scan time: the first whole, then down half the way, up a quarter */
static void ttm_bo_dirty_test_scan_timed(struct kunit *test)
{
	struct ttm_bo_dirty_policy_state state = {};

	ttm_bo_dirty_policy_scan_timed(&state, 4000);
	KUNIT_EXPECT_EQ(test, state.scan_ns, 4000U);
	ttm_bo_dirty_policy_scan_timed(&state, 2000);
	KUNIT_EXPECT_EQ(test, state.scan_ns, 3000U);
	ttm_bo_dirty_policy_scan_timed(&state, 4000);
	KUNIT_EXPECT_EQ(test, state.scan_ns, 3250U);
	/* A scan that was preempted counts as twice the average */
	ttm_bo_dirty_policy_scan_timed(&state, 1000000);
	KUNIT_EXPECT_EQ(test, state.scan_ns, 4063U);

	state.scan_ns = 0;
	ttm_bo_dirty_policy_scan_timed(&state, U64_MAX);
	KUNIT_EXPECT_EQ(test, state.scan_ns, U32_MAX);
}

/*
 * A steady load for many scans, where each method's cycle takes what
 * @mk_us and @pt_us say and the caller passes no cycle after a switch, as
 * ttm_bo_dirty_scan() does. With @switch_us, the caller times each
 * switch's work at that and the cycle after it at @after_us more than a
 * plain one. Returns the scans spent in the slower method and counts the
 * switches.
 */
static unsigned int run_switching(u64 mk_us, u64 pt_us, u64 switch_us,
				  u64 after_us, unsigned int scans,
				  unsigned int *switches)
{
	const struct ttm_bo_dirty_costs costs = { .fault_ns = 2000,
						  .pte_ns = 20 };
	struct ttm_bo_dirty_policy_state state = {
		.method = TTM_BO_DIRTY_PAGETABLE,
	};
	enum ttm_bo_dirty_method slow = mk_us > pt_us ?
		TTM_BO_DIRTY_MKWRITE : TTM_BO_DIRTY_PAGETABLE;
	bool measurable = false, switched = false;
	unsigned int i, in_slow = 0;

	*switches = 0;
	for (i = 0; i < scans; i++) {
		enum ttm_bo_dirty_method before = state.method;
		u64 us = before == TTM_BO_DIRTY_MKWRITE ? mk_us : pt_us;

		if (switched && switch_us)
			ttm_bo_dirty_policy_after_switch_timed(&state,
							       (us + after_us) *
							       1000);
		ttm_bo_dirty_policy_update(TTM_BO_DIRTY_AUTO, &state, 1000, 20,
					   measurable ? us * 1000 : 0, &costs);
		/* A switch makes the next cycle unfit */
		switched = state.method != before;
		measurable = !switched;
		if (switched && switch_us)
			ttm_bo_dirty_policy_switch_timed(&state,
							 switch_us * 1000);
		*switches += switched;
		in_slow += state.method == slow;
	}
	return in_slow;
}

static unsigned int run_steady(u64 mk_us, u64 pt_us, unsigned int scans,
			       unsigned int *switches)
{
	return run_switching(mk_us, pt_us, 0, 0, scans, switches);
}

/* Probes go on, ever more rarely, whichever method wins */
static void ttm_bo_dirty_test_probes_back_off(struct kunit *test)
{
	unsigned int switches, in_slow;

	/* The model's choice (PAGETABLE) is the slower one here */
	in_slow = run_steady(5000, 7000, 400, &switches);
	KUNIT_EXPECT_LE(test, in_slow, 400U / 20);
	/* It looks again: after 16, 32, 64 and 128 scans */
	KUNIT_EXPECT_GE(test, switches, 6U);
	KUNIT_EXPECT_LE(test, switches, 16U);

	/* The model was right: probing costs a few scans, then fewer */
	in_slow = run_steady(9000, 7000, 400, &switches);
	KUNIT_EXPECT_LE(test, in_slow, 400U / 20);
	KUNIT_EXPECT_GE(test, switches, 6U);
	KUNIT_EXPECT_LE(test, switches, 16U);
}

/* A probe that loses by half as much again waits four times longer */
static void ttm_bo_dirty_test_clear_losses_back_off_faster(struct kunit *test)
{
	unsigned int close, clear;

	/* MKWRITE 1.3 times PAGETABLE, then twice: gaps of 16 or of 32 on */
	run_steady(9000, 7000, 400, &close);
	run_steady(14000, 7000, 400, &clear);
	KUNIT_EXPECT_LT(test, clear, close);
	/* After 8, 32 and 128 scans; the next is due after 512 */
	KUNIT_EXPECT_GE(test, clear, 4U);
	KUNIT_EXPECT_LE(test, clear, 6U);
}

/*
 * Scans of a BO of 1000 pages under PAGETABLE, cycles of 20 us (30 under
 * MKWRITE), 20 pages written a cycle and, with @period, 60 instead in
 * every other run of @period scans. Returns the switches.
 */
static unsigned int run_changing(unsigned int period, unsigned int scans)
{
	const struct ttm_bo_dirty_costs costs = { .fault_ns = 2000,
						  .pte_ns = 20 };
	struct ttm_bo_dirty_policy_state state = {
		.method = TTM_BO_DIRTY_PAGETABLE,
	};
	unsigned int i, switches = 0;
	bool measurable = false;

	for (i = 0; i < scans; i++) {
		enum ttm_bo_dirty_method before = state.method;
		pgoff_t dirtied = period && (i / period) % 2 ? 60 : 20;
		u64 us = before == TTM_BO_DIRTY_MKWRITE ? 30 : 20;

		ttm_bo_dirty_policy_update(TTM_BO_DIRTY_AUTO, &state, 1000,
					   dirtied, measurable ? us * 1000 : 0,
					   &costs);
		measurable = state.method == before;
		switches += !measurable;
	}
	return switches;
}

/*
 * A probe here costs about as much as 28 cycles. A steady load pays for
 * one; a load that changes every ten scans never does, however long the
 * BO lives, as a probe's verdict would not outlive the load.
 */
static void ttm_bo_dirty_test_changing_load_pays_no_probe(struct kunit *test)
{
	KUNIT_EXPECT_GE(test, run_changing(0, 400), 2U);
	KUNIT_EXPECT_EQ(test, run_changing(10, 400), 0U);
}

/* One scan of a MKWRITE BO of 1000 pages, one written, after @cycle_us */
static void scan_one_page(struct ttm_bo_dirty_policy_state *state,
			  u64 cycle_us)
{
	const struct ttm_bo_dirty_costs costs = { .fault_ns = 2000,
						  .pte_ns = 20 };

	ttm_bo_dirty_policy_update(TTM_BO_DIRTY_AUTO, state, 1000, 1,
				   cycle_us * 1000, &costs);
}

static void expect_switch_cost(struct kunit *test,
			       const struct ttm_bo_dirty_policy_state *state,
			       u32 cost_us, u32 sample_us)
{
	KUNIT_EXPECT_EQ(test, state->method, TTM_BO_DIRTY_MKWRITE);
	KUNIT_EXPECT_EQ(test, state->switch_ns[0], cost_us * 1000);
	KUNIT_EXPECT_EQ(test, state->switch_sample_ns, sample_us * 1000);
}

/*
 * The cycle after a switch counts as the switch's, beyond a plain cycle,
 * once one was measured; the costs then learn of the whole.
 */
static void ttm_bo_dirty_test_switch_counts_the_cycle_after(struct kunit *test)
{
	struct ttm_bo_dirty_policy_state state = {
		.method = TTM_BO_DIRTY_MKWRITE,
	};

	ttm_bo_dirty_policy_switch_timed(&state, 100000);
	ttm_bo_dirty_policy_after_switch_timed(&state, 900000);
	/* The scan after the switch: no plain cycle yet */
	scan_one_page(&state, 0);
	expect_switch_cost(test, &state, 100, 0);
	/* 800 us beyond a plain cycle of 100 us */
	scan_one_page(&state, 100);
	expect_switch_cost(test, &state, 900, 900);
	scan_one_page(&state, 100);
	expect_switch_cost(test, &state, 900, 0);

	/* A cycle after no slower than a plain one adds nothing */
	ttm_bo_dirty_policy_switch_timed(&state, 100000);
	ttm_bo_dirty_policy_after_switch_timed(&state, 90000);
	scan_one_page(&state, 100);
	expect_switch_cost(test, &state, 100, 100);

	/* Another switch forgets a cycle after the last one */
	ttm_bo_dirty_policy_after_switch_timed(&state, 900000);
	ttm_bo_dirty_policy_switch_timed(&state, 200000);
	scan_one_page(&state, 100);
	expect_switch_cost(test, &state, 200, 0);
}

/* Probes wait longer when the cycle after a switch is dear */
static void ttm_bo_dirty_test_dear_cycles_after_switches(struct kunit *test)
{
	unsigned int cheap, dear;

	/* MKWRITE 9 ms a cycle, PAGETABLE 7; switches of 100 us */
	run_switching(9000, 7000, 100, 0, 400, &cheap);
	KUNIT_EXPECT_GE(test, cheap, 8U);
	/*
	 * The same, and each cycle after a switch 200 ms longer: the first
	 * probe, which had no switch timed to go by, then one in a few
	 * hundred scans.
	 */
	run_switching(9000, 7000, 100, 200000, 400, &dear);
	KUNIT_EXPECT_GE(test, dear, 2U);
	KUNIT_EXPECT_LE(test, dear, 4U);
}

#define STANDING_SCANS	400

/*
 * The methods of a PAGETABLE BO of 1000 pages through STANDING_SCANS
 * scans of 20 pages written, then 60 from the middle on, with MKWRITE
 * cycles of 9 ms and PAGETABLE ones of 7 ms: every scan fed to the
 * policy, or with @shortcut only those the verdict does not stand
 * through. Returns how many took the shortcut.
 */
static unsigned int run_standing(bool shortcut,
				 enum ttm_bo_dirty_method *methods)
{
	const struct ttm_bo_dirty_costs costs = { .fault_ns = 2000,
						  .pte_ns = 20 };
	struct ttm_bo_dirty_policy_state state = {
		.method = TTM_BO_DIRTY_PAGETABLE,
	};
	unsigned int i, taken = 0;
	bool measurable = false;

	for (i = 0; i < STANDING_SCANS; i++) {
		enum ttm_bo_dirty_method before = state.method;
		pgoff_t dirtied = i < STANDING_SCANS / 2 ? 20 : 60;
		u64 us = before == TTM_BO_DIRTY_MKWRITE ? 9000 : 7000;

		if (shortcut &&
		    ttm_bo_dirty_policy_standing(&state, 1000, dirtied))
			taken++;
		else
			ttm_bo_dirty_policy_update(TTM_BO_DIRTY_AUTO, &state,
						   1000, dirtied,
						   measurable ? us * 1000 : 0,
						   &costs);
		measurable = state.method == before;
		methods[i] = state.method;
	}
	return taken;
}

/* The shortcut decides as the whole policy would, and is most scans */
static void ttm_bo_dirty_test_standing_decides_alike(struct kunit *test)
{
	enum ttm_bo_dirty_method *full, *quick;
	unsigned int i, taken;

	full = kunit_kcalloc(test, STANDING_SCANS, sizeof(*full), GFP_KERNEL);
	quick = kunit_kcalloc(test, STANDING_SCANS, sizeof(*quick),
			      GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, full);
	KUNIT_ASSERT_NOT_NULL(test, quick);

	KUNIT_EXPECT_EQ(test, run_standing(false, full), 0U);
	taken = run_standing(true, quick);
	for (i = 0; i < STANDING_SCANS; i++)
		KUNIT_EXPECT_EQ_MSG(test, quick[i], full[i], "scan %u", i);
	/* The verdicts and the waits for probes, but for a few decisions */
	KUNIT_EXPECT_GE(test, taken, STANDING_SCANS * 3 / 4);
	/* Some probes still happen, after the change of load too */
	for (i = STANDING_SCANS / 2; i < STANDING_SCANS; i++)
		if (quick[i] == TTM_BO_DIRTY_MKWRITE)
			break;
	KUNIT_EXPECT_LT(test, i, STANDING_SCANS);
}

/*
 * Nor does it apply to a BO written differently, or nearly whole, or
 * beyond the age the last update allowed
 */
static void ttm_bo_dirty_test_standing_needs_a_verdict(struct kunit *test)
{
	struct ttm_bo_dirty_policy_state state = {
		.method = TTM_BO_DIRTY_PAGETABLE,
		.probe_gap = 16,
		.stand_age = 16,
		.cycles = {
			{ .ns = { 9000, 9000 }, .dirtied = 20, .count = 2 },
			{ .ns = { 7000, 7000 }, .dirtied = 20, .count = 2 },
		},
	};

	KUNIT_EXPECT_TRUE(test, ttm_bo_dirty_policy_standing(&state, 1000,
							     20));
	KUNIT_EXPECT_EQ(test, state.cycles[0].age, 1U);
	KUNIT_EXPECT_FALSE(test, ttm_bo_dirty_policy_standing(&state, 1000,
							      60));
	KUNIT_EXPECT_FALSE(test, ttm_bo_dirty_policy_standing(&state, 21,
							      20));
	state.cycles[0].age = 16;
	KUNIT_EXPECT_FALSE(test, ttm_bo_dirty_policy_standing(&state, 1000,
							      20));
	state.cycles[0].age = 0;
	state.probing = true;
	KUNIT_EXPECT_FALSE(test, ttm_bo_dirty_policy_standing(&state, 1000,
							      20));
	state.probing = false;
	state.cycles[1].count = 1;
	KUNIT_EXPECT_FALSE(test, ttm_bo_dirty_policy_standing(&state, 1000,
							      20));
	state.cycles[1].count = 2;
	state.stand_age = 0;
	KUNIT_EXPECT_FALSE(test, ttm_bo_dirty_policy_standing(&state, 1000,
							      20));
	KUNIT_EXPECT_EQ(test, state.cycles[0].age, 0U);
}

/*
 * Switches of a 16-page PAGETABLE BO in 100 scans of one page written,
 * with cycles of 6 us, when a switch costs @switch_ns whatever the size.
 */
static unsigned int small_bo_switches(u32 switch_ns)
{
	const struct ttm_bo_dirty_costs costs = { .fault_ns = 2000,
						  .pte_ns = 20,
						  .scan_ns = 2000,
						  .switch_ns = switch_ns,
						  .switch_pte_ns = 60 };
	struct ttm_bo_dirty_policy_state state = {
		.method = TTM_BO_DIRTY_PAGETABLE,
	};
	unsigned int i, switches = 0;
	bool measurable = false;

	for (i = 0; i < 100; i++) {
		enum ttm_bo_dirty_method before = state.method;

		ttm_bo_dirty_policy_update(TTM_BO_DIRTY_AUTO, &state, 16, 1,
					   measurable ? 6000 : 0, &costs);
		measurable = state.method == before;
		switches += !measurable;
	}
	return switches;
}

/* A small BO probes only when switches are cheap beside its cycles */
static void ttm_bo_dirty_test_small_bo_switch_cost(struct kunit *test)
{
	/* Two scans each way: a probe after a few tens of scans */
	KUNIT_EXPECT_GE(test, small_bo_switches(0), 2U);
	/* 100 us a switch: a probe would take a cycle's time for 130 */
	KUNIT_EXPECT_EQ(test, small_bo_switches(100000), 0U);
}

#define RETURN_SCANS	30

/*
 * A 16-page PAGETABLE BO written one page a cycle, then four, then one
 * again, RETURN_SCANS scans each, with PAGETABLE cycles of 6 us (10 at
 * four pages) and MKWRITE ones of 30 (60), switches timed at 1 us and the
 * cycle after one 10 us dearer. Sets in_mk[phase] to the scans each phase
 * spent in MKWRITE.
 */
static void run_returning_load(const struct ttm_bo_dirty_costs *costs,
			       unsigned int *in_mk)
{
	struct ttm_bo_dirty_policy_state state = {
		.method = TTM_BO_DIRTY_PAGETABLE,
	};
	bool measurable = false, switched = false;
	unsigned int i;

	for (i = 0; i < 3 * RETURN_SCANS; i++) {
		enum ttm_bo_dirty_method before = state.method;
		unsigned int phase = i / RETURN_SCANS;
		bool mk = before == TTM_BO_DIRTY_MKWRITE;
		u64 us = phase == 1 ? (mk ? 60 : 10) : (mk ? 30 : 6);

		if (switched)
			ttm_bo_dirty_policy_after_switch_timed(&state,
							       (us + 10) *
							       1000);
		ttm_bo_dirty_policy_update(TTM_BO_DIRTY_AUTO, &state, 16,
					   phase == 1 ? 4 : 1,
					   measurable ? us * 1000 : 0, costs);
		switched = state.method != before;
		measurable = !switched;
		if (switched)
			ttm_bo_dirty_policy_switch_timed(&state, 1000);
		in_mk[phase] += state.method == TTM_BO_DIRTY_MKWRITE;
	}
}

/*
 * A load that comes back has lost its measurement to the load between,
 * but not what MKWRITE lost by there: neither a probe the model calls
 * cheap (faults of 2 us) nor the model itself (faults of 0.5 us, and
 * PAGETABLE's unseen cost of 2 us a page written) sends it to MKWRITE
 * again. Measuring once costs three cycles of MKWRITE, or ten when the
 * model starts there and a probe of PAGETABLE must measure it first (and
 * MKWRITE twice more, PAGETABLE winning against the model).
 */
static void ttm_bo_dirty_test_returning_load_measured_once(struct kunit *test)
{
	const struct ttm_bo_dirty_costs probed = { .fault_ns = 2000,
						   .pte_ns = 20,
						   .scan_ns = 2000,
						   .switch_pte_ns = 60 };
	const struct ttm_bo_dirty_costs modelled = { .fault_ns = 500,
						     .pte_ns = 20,
						     .scan_ns = 500,
						     .write_ns = 2000,
						     .switch_pte_ns = 60 };
	unsigned int in_mk[3] = {};

	run_returning_load(&probed, in_mk);
	KUNIT_EXPECT_EQ(test, in_mk[0], 3U);
	KUNIT_EXPECT_EQ(test, in_mk[2], 0U);

	memset(in_mk, 0, sizeof(in_mk));
	run_returning_load(&modelled, in_mk);
	KUNIT_EXPECT_EQ(test, in_mk[0], 10U);
	KUNIT_EXPECT_EQ(test, in_mk[2], 0U);
}

/*
 * What one verdict teaches: a BO of 1000 pages, @pages written per cycle,
 * runs PAGETABLE cycles of @pt_us and, the model having settled and
 * probing MKWRITE, MKWRITE cycles of @mk_us, which win. Only the scan
 * that completes the verdict may learn, @sample if @learned.
 */
struct ttm_bo_dirty_learn_case {
	const char *name;
	unsigned int pages;
	u32 pte_ns;
	u64 pt_us, mk_us;
	bool learned;
	s32 sample;
};

static const struct ttm_bo_dirty_learn_case ttm_bo_dirty_learn_cases[] = {
	/*
	 * The cycles differ by 20 us at 20 pages, of which the model saw
	 * 20 us of walk against 40.4 us of faults: a page written cost
	 * PAGETABLE 2020 ns more, unseen.
	 */
	{ "learns_what_the_kernel_did_not_see", 20, 20, 100, 80, true, 2020 },
	/* 940 us unseen over 20 pages is 47 us a page: two faults at most */
	{ "a_sample_stays_within_two_faults", 20, 20, 1000, 80, true, 4000 },
	/* 20 us over two pages: what two cycles vary by anyway */
	{ "learns_nothing_from_a_few_pages", 2, 2, 100, 80, false, 0 },
};

static void learn_case_desc(const struct ttm_bo_dirty_learn_case *t,
			    char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(ttm_bo_dirty_learn, ttm_bo_dirty_learn_cases,
		  learn_case_desc);

static void ttm_bo_dirty_test_learn(struct kunit *test)
{
	const struct ttm_bo_dirty_learn_case *t = test->param_value;
	const struct ttm_bo_dirty_costs costs = { .fault_ns = 2000,
						  .pte_ns = t->pte_ns };
	struct ttm_bo_dirty_policy_state state = {
		.method = TTM_BO_DIRTY_PAGETABLE,
		.dirtied_x16 = t->pages * 16,
	};
	enum ttm_bo_dirty_method before = state.method;
	unsigned int i, verdicts = 0;
	u64 us = 0;

	/*
	 * The probe of MKWRITE, PAGETABLE measured again, the verdict: the
	 * only scan that may learn. No cycle measured after a switch.
	 */
	for (i = 0; i < 24; i++) {
		ttm_bo_dirty_policy_update(TTM_BO_DIRTY_AUTO, &state, 1000,
					   t->pages, us * 1000, &costs);
		if (state.learned) {
			verdicts++;
			KUNIT_EXPECT_EQ(test, state.write_ns_sample, t->sample);
		}
		us = state.method != before ? 0 :
		     state.method == TTM_BO_DIRTY_MKWRITE ? t->mk_us : t->pt_us;
		before = state.method;
	}
	KUNIT_EXPECT_EQ(test, state.method, TTM_BO_DIRTY_MKWRITE);
	KUNIT_EXPECT_EQ(test, verdicts, t->learned ? 1U : 0U);
}

static struct kunit_case ttm_bo_dirty_test_cases[] = {
	KUNIT_CASE_PARAM(ttm_bo_dirty_test_ranges,
			 ttm_bo_dirty_range_gen_params),
	KUNIT_CASE(ttm_bo_dirty_test_consume_while_walking),
	KUNIT_CASE(ttm_bo_dirty_test_alloc_auto),
	KUNIT_CASE_PARAM(ttm_bo_dirty_test_initial,
			 ttm_bo_dirty_initial_gen_params),
	KUNIT_CASE_PARAM(ttm_bo_dirty_test_policy,
			 ttm_bo_dirty_policy_gen_params),
	KUNIT_CASE(ttm_bo_dirty_test_scan_timed),
	KUNIT_CASE(ttm_bo_dirty_test_probes_back_off),
	KUNIT_CASE(ttm_bo_dirty_test_clear_losses_back_off_faster),
	KUNIT_CASE(ttm_bo_dirty_test_changing_load_pays_no_probe),
	KUNIT_CASE(ttm_bo_dirty_test_switch_counts_the_cycle_after),
	KUNIT_CASE(ttm_bo_dirty_test_dear_cycles_after_switches),
	KUNIT_CASE(ttm_bo_dirty_test_small_bo_switch_cost),
	KUNIT_CASE(ttm_bo_dirty_test_returning_load_measured_once),
	KUNIT_CASE(ttm_bo_dirty_test_standing_decides_alike),
	KUNIT_CASE(ttm_bo_dirty_test_standing_needs_a_verdict),
	KUNIT_CASE_PARAM(ttm_bo_dirty_test_learn,
			 ttm_bo_dirty_learn_gen_params),
	{}
};

static struct kunit_suite ttm_bo_dirty_test_suite = {
	.name = "ttm_bo_dirty",
	.test_cases = ttm_bo_dirty_test_cases,
};

kunit_test_suite(ttm_bo_dirty_test_suite);

MODULE_LICENSE("GPL");
