/*
 * term.c - agreement terms, renewals and objection deadlines (term.h).
 * Pure civil-date arithmetic on top of common/timeutil.
 */
#include "term.h"

#include <stdio.h>

#include "../common/timeutil.h"
#include "../common/banned.h"

#define JST_OFFSET_US (9LL * 3600 * 1000000)
#define DAY_US	      (86400LL * 1000000)

day_t term_day_of(int64_t us)
{
	int64_t t = us + JST_OFFSET_US;
	int64_t d = t / DAY_US;
	if (t % DAY_US < 0)
		d--;
	return d;
}

err_t term_day_parse(const char *s, day_t *out)
{
	unsigned y = 0, m = 0, d = 0;
	for (int i = 0; i < 10; i++) {
		char ch = s[i];
		bool dash = i == 4 || i == 7;
		if (dash ? ch != '-' : (ch < '0' || ch > '9'))
			return ERR_INVALID;
	}
	if (s[10])
		return ERR_INVALID;
	for (int i = 0; i < 4; i++)
		y = y * 10 + (unsigned)(s[i] - '0');
	m = (unsigned)(s[5] - '0') * 10 + (unsigned)(s[6] - '0');
	d = (unsigned)(s[8] - '0') * 10 + (unsigned)(s[9] - '0');
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > ts_days_in_month(y, m))
		return ERR_INVALID;
	*out = ts_days_from_civil(y, m, d);
	return ERR_OK;
}

void term_day_format(day_t d, char out[16])
{
	int64_t y;
	unsigned m, dd;
	ts_civil_from_days(d, &y, &m, &dd);
	snprintf(out, 16, "%04lld-%02u-%02u", (long long)(y % 10000), m % 100, dd % 100);
}

day_t term_add_months(day_t d, int months)
{
	int64_t y;
	unsigned m, dd;
	ts_civil_from_days(d, &y, &m, &dd);
	int64_t idx = y * 12 + (m - 1) + months;
	int64_t ny = idx >= 0 ? idx / 12 : (idx - 11) / 12;
	unsigned nm = (unsigned)(idx - ny * 12) + 1;
	unsigned last = ts_days_in_month(ny, nm);
	return ts_days_from_civil(ny, nm, dd <= last ? dd : last);
}

/*
 * Civil Code Art. 143: a period of months counted from a day ends on the
 * day before the day of the final month that bears the starting day's
 * number; when the final month has no such day, on its last day.
 */
static day_t period_end(day_t start, unsigned months)
{
	int64_t y;
	unsigned m, d;
	ts_civil_from_days(start, &y, &m, &d);
	int64_t idx = y * 12 + (m - 1) + months;
	int64_t ny = idx / 12;
	unsigned nm = (unsigned)(idx % 12) + 1;
	if (d > ts_days_in_month(ny, nm))
		return ts_days_from_civil(ny, nm, ts_days_in_month(ny, nm));
	return ts_days_from_civil(ny, nm, d) - 1;
}

static struct term make_term(const struct term_rule *r, unsigned k, day_t start)
{
	struct term t;
	unsigned months = k == 1 || !r->renewal_months ? r->term_months : r->renewal_months;
	t.number = k;
	t.start = start;
	t.end = period_end(start, months);
	/* The same day of the month notice_months before the last day, or
	 * that month's last day when it has none. */
	t.deadline = term_add_months(t.end, -(int)r->notice_months);
	return t;
}

struct term term_nth(const struct term_rule *r, unsigned k)
{
	struct term t = make_term(r, 1, r->signed_on);
	for (unsigned i = 1; i < k; i++)
		t = make_term(r, i + 1, t.end + 1);
	return t;
}

struct term term_at(const struct term_rule *r, day_t day)
{
	struct term t = make_term(r, 1, r->signed_on);
	if (day <= t.end)
		return t;
	while (day > t.end)
		t = make_term(r, t.number + 1, t.end + 1);
	return t;
}

day_t term_end_after_objection(const struct term_rule *r, day_t filed)
{
	struct term t = term_at(r, filed);
	if (filed <= t.deadline)
		return t.end;
	return make_term(r, t.number + 1, t.end + 1).end;
}

void term_status_at(const struct term_rule *r, const day_t *objections, size_t n, day_t today,
		    unsigned warn_days, struct term_status *out)
{
	out->started = today >= r->signed_on;
	out->ending = false;
	out->ends_on = 0;
	for (size_t i = 0; i < n; i++) {
		day_t e = term_end_after_objection(r, objections[i]);
		if (!out->ending || e < out->ends_on)
			out->ends_on = e;
		out->ending = true;
	}
	out->current = term_at(r, out->ending && today > out->ends_on ? out->ends_on : today);
	out->in_force = out->started && (!out->ending || today <= out->ends_on);
	out->days_left = out->current.end - today;
	out->days_to_deadline = out->current.deadline - today;
	out->warn = out->in_force && !out->ending && out->days_to_deadline >= 0 &&
		    out->days_to_deadline <= (int64_t)warn_days;
}
