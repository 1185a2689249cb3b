import assert from "node:assert/strict";
import {
  formatSeconds,
  isoWeekOf,
  planRetention,
  type RetentionRules,
} from "../../server/history/retention.ts";

const NONE: RetentionRules = {
  keepLast: null,
  keepHourly: null,
  keepDaily: null,
  keepWeekly: null,
  keepMonthly: null,
  keepYearly: null,
  keepWithinSeconds: null,
};

interface V {
  storedAt: string;
  pinned: boolean;
}

/** Versions at these times (oldest first). */
function versions(...times: string[]): V[] {
  return times.map((storedAt) => ({ storedAt, pinned: false }));
}

/** The times the rules keep. */
function kept(list: V[], rules: Partial<RetentionRules>): string[] {
  return planRetention(list, { ...NONE, ...rules })
    .filter((v) => v.keep).map((v) => v.version.storedAt);
}

// One version every 6 hours for 40 days, and one a year back for 3 years:
// restic's testdata has the same shape (dense recent, sparse old).
const HISTORY: V[] = [
  ...versions(
    "2023-06-15T12:00:00.000Z",
    "2024-06-15T12:00:00.000Z",
    "2025-06-15T12:00:00.000Z",
  ),
  ...Array.from({ length: 160 }, (_, i) => ({
    storedAt: new Date(Date.UTC(2026, 9, 22) + i * 6 * 3600_000).toISOString(),
    pinned: false,
  })),
];
const NEWEST = HISTORY[HISTORY.length - 1].storedAt; // 2026-11-30T18:00Z

Deno.test("an empty policy keeps every version, as restic does", () => {
  const plan = planRetention(HISTORY, NONE);
  assert.ok(plan.every((v) => v.keep));
  assert.deepEqual(plan[0].reasons, ["policy is empty"]);
  // Zero counts are no rule either.
  assert.equal(kept(HISTORY, { keepLast: 0, keepDaily: 0 }).length, 163);
});

Deno.test("no versions give no verdicts", () => {
  assert.deepEqual(planRetention([], { ...NONE, keepLast: 1 }), []);
});

Deno.test("a name with 300,000 versions is planned (more than a call takes arguments)", () => {
  const start = Date.parse("2026-01-01T00:00:00Z");
  const many = Array.from({ length: 300_000 }, (_, i) => ({
    storedAt: new Date(start + i * 1000).toISOString(),
    pinned: false,
  }));
  const plan = planRetention(many, { ...NONE, keepWithinSeconds: 10 });
  // Within 10 s of the newest: itself and the nine before it.
  assert.equal(plan.filter((v) => v.keep).length, 10);
});

// A table of policies and what they keep, like restic's TestApplyPolicy.
const TABLE: {
  rules: Partial<RetentionRules>;
  count: number;
  newest?: string[];
  oldest?: string;
}[] = [
  { rules: { keepLast: 1 }, count: 1 },
  { rules: { keepLast: 5 }, count: 5 },
  { rules: { keepLast: 1000 }, count: 163 },
  // 4 per day: the newest of each of the last 7 days, nothing older.
  {
    rules: { keepDaily: 7 },
    count: 7,
    newest: [
      "2026-11-30T18:00:00.000Z",
      "2026-11-29T18:00:00.000Z",
      "2026-11-28T18:00:00.000Z",
    ],
  },
  // Hourly buckets: each version has its own hour.
  { rules: { keepHourly: 10 }, count: 10 },
  // More days than history: one per day (40) plus the three yearly strays
  // (each its own day), and the oldest is kept while slots are left.
  { rules: { keepDaily: 100 }, count: 43, oldest: "2023-06-15T12:00:00.000Z" },
  // 2026-10-22 (Thursday) to 2026-11-30 (Monday) spans 7 ISO weeks.
  { rules: { keepWeekly: 4 }, count: 4 },
  { rules: { keepMonthly: 12 }, count: 5, oldest: "2023-06-15T12:00:00.000Z" },
  { rules: { keepYearly: 10 }, count: 4, oldest: "2023-06-15T12:00:00.000Z" },
  // Within 2 days of the newest (18:00 on the 30th): strictly after 18:00
  // on the 28th, so 8 versions.
  { rules: { keepWithinSeconds: 2 * 86400 }, count: 8 },
  // Rules add up: keep-last 2 is inside keep-daily 3's set but daily adds one.
  { rules: { keepLast: 2, keepDaily: 3 }, count: 4 },
  // The newest of the 29th is both a daily and the W48 weekly; W47 adds the 22nd.
  {
    rules: { keepDaily: 2, keepWeekly: 3 },
    count: 3,
    newest: [
      "2026-11-30T18:00:00.000Z",
      "2026-11-29T18:00:00.000Z",
      "2026-11-22T18:00:00.000Z",
    ],
  },
];

for (const row of TABLE) {
  Deno.test(`policy ${JSON.stringify(row.rules)} keeps ${row.count}`, () => {
    const times = kept(HISTORY, row.rules);
    assert.equal(times.length, row.count, times.join(", "));
    assert.equal(times[times.length - 1], NEWEST);
    if (row.newest) {
      assert.deepEqual(times.slice(-row.newest.length).reverse(), row.newest);
    }
    if (row.oldest) assert.equal(times[0], row.oldest);
  });
}

Deno.test("keep-daily keeps the NEWEST version of each day, with the day as reason", () => {
  const list = versions(
    "2026-11-28T01:00:00.000Z",
    "2026-11-28T23:00:00.000Z",
    "2026-11-29T05:00:00.000Z",
    "2026-11-29T06:00:00.000Z",
    "2026-11-30T00:00:00.000Z",
  );
  const plan = planRetention(list, { ...NONE, keepDaily: 2 });
  assert.deepEqual(plan.map((v) => v.keep), [false, false, false, true, true]);
  assert.deepEqual(plan[3].reasons, ["daily 2026-11-29"]);
  assert.deepEqual(plan[4].reasons, ["newest", "daily 2026-11-30"]);
});

Deno.test("a rule with periods left also keeps the oldest version (restic 0.17)", () => {
  const list = versions(
    "2026-11-29T01:00:00.000Z",
    "2026-11-29T02:00:00.000Z",
    "2026-11-30T03:00:00.000Z",
  );
  const plan = planRetention(list, { ...NONE, keepDaily: 5 });
  assert.deepEqual(plan.map((v) => v.keep), [true, true, true]);
  assert.deepEqual(plan[0].reasons, ["oldest daily"]);
  assert.deepEqual(plan[1].reasons, ["daily 2026-11-29"]);
  // With no periods left, the oldest goes.
  assert.deepEqual(
    planRetention(list, { ...NONE, keepDaily: 2 }).map((v) => v.keep),
    [false, true, true],
  );
});

Deno.test("keep-last gives its count as reason", () => {
  const plan = planRetention(
    versions(
      "2026-01-01T00:00:00Z",
      "2026-01-02T00:00:00Z",
      "2026-01-03T00:00:00Z",
    ),
    { ...NONE, keepLast: 2 },
  );
  assert.deepEqual(plan.map((v) => v.reasons), [[], ["last 2"], [
    "newest",
    "last 2",
  ]]);
});

Deno.test("keep-within counts from the newest version, not from now", () => {
  // A client that stopped a year ago keeps its last 30 days of history.
  const list = versions(
    "2025-01-01T00:00:00.000Z",
    "2025-09-20T00:00:00.000Z",
    "2025-10-20T00:00:00.000Z",
    "2025-10-30T00:00:00.000Z",
  );
  const plan = planRetention(list, { ...NONE, keepWithinSeconds: 30 * 86400 });
  assert.deepEqual(plan.map((v) => v.keep), [false, false, true, true]);
  assert.deepEqual(plan[2].reasons, ["within 30d"]);
  // Exactly the duration before the newest is outside (restic: strictly after).
  const edge = versions("2025-10-01T00:00:00.000Z", "2025-10-31T00:00:00.000Z");
  assert.deepEqual(
    planRetention(edge, { ...NONE, keepWithinSeconds: 30 * 86400 })
      .map((v) => v.keep),
    [false, true],
  );
});

Deno.test("pinned versions are kept whatever the rules, and still fill periods", () => {
  const list = versions(
    "2026-11-01T00:00:00.000Z",
    "2026-11-02T00:00:00.000Z",
    "2026-11-03T00:00:00.000Z",
    "2026-11-04T00:00:00.000Z",
  );
  list[0].pinned = true;
  list[2].pinned = true;
  const plan = planRetention(list, { ...NONE, keepLast: 1 });
  assert.deepEqual(plan.map((v) => v.keep), [true, false, true, true]);
  assert.deepEqual(plan[0].reasons, ["pinned"]);
  // As restic's tags: a pinned version still takes a daily slot.
  const daily = planRetention(list, { ...NONE, keepDaily: 2 });
  assert.deepEqual(daily.map((v) => v.keep), [true, false, true, true]);
  assert.deepEqual(daily[2].reasons, ["pinned", "daily 2026-11-03"]);
});

Deno.test("the newest version is kept even when the rules keep nothing recent", () => {
  // keep-yearly 1 would keep the newest of the year anyway; keep-hourly
  // with the newest out of order in time still keeps it by number.
  const list = versions(
    "2026-11-30T10:00:00.000Z",
    "2026-11-30T09:00:00.000Z", // clock went back: newest number, older time
  );
  const plan = planRetention(list, { ...NONE, keepWithinSeconds: 60 });
  assert.equal(plan[1].keep, true);
  assert.ok(plan[1].reasons.includes("newest"));
});

Deno.test("periods are UTC: 23:30 UTC on the 29th is the 29th whatever the host's zone", () => {
  const list = versions(
    "2026-11-29T23:30:00.000Z",
    "2026-11-30T00:30:00.000Z",
  );
  const plan = planRetention(list, { ...NONE, keepDaily: 2 });
  assert.deepEqual(plan[0].reasons, ["daily 2026-11-29"]);
  // Offsets are read as the instant they name.
  const offset = versions("2026-11-30T01:30:00+02:00", "2026-11-30T12:00:00Z");
  assert.deepEqual(
    planRetention(offset, { ...NONE, keepDaily: 2 })[0].reasons,
    ["daily 2026-11-29"],
  );
});

Deno.test("ISO weeks: the year's first Thursday is in week 1", () => {
  const cases: [string, string][] = [
    ["2026-11-30", "2026-W49"], // Monday
    ["2026-11-29", "2026-W48"], // Sunday
    ["2026-01-01", "2026-W01"], // Thursday
    ["2027-01-01", "2026-W53"], // Friday: last week of 2026
    ["2024-12-30", "2025-W01"], // Monday of the week holding 2025-01-02
    ["2021-01-03", "2020-W53"],
  ];
  for (const [day, week] of cases) {
    assert.equal(isoWeekOf(new Date(`${day}T12:00:00Z`)), week, day);
  }
});

Deno.test("weekly rule names the ISO week", () => {
  const list = versions("2026-11-22T10:00:00Z", "2026-11-24T10:00:00Z");
  const plan = planRetention(list, { ...NONE, keepWeekly: 2 });
  assert.deepEqual(plan.map((v) => v.reasons), [["weekly 2026-W47"], [
    "newest",
    "weekly 2026-W48",
  ]]);
});

Deno.test("a time that is not a time is refused, not treated as 1970", () => {
  assert.throws(
    () => planRetention(versions("yesterday"), { ...NONE, keepLast: 1 }),
    RangeError,
  );
});

Deno.test("formatSeconds picks the largest whole unit", () => {
  assert.equal(formatSeconds(30 * 86400), "30d");
  assert.equal(formatSeconds(14 * 86400), "2w");
  assert.equal(formatSeconds(365 * 86400), "1y");
  assert.equal(formatSeconds(7200), "2h");
  assert.equal(formatSeconds(90), "90s");
});
