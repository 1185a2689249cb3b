/**
 * Slow and idle clients: a thousand connections (scaled to `ulimit -n`)
 * that send nothing at all or one byte at a time. Real clients still
 * complete; a connection must deliver each message (a header, a payload, a
 * 64 KiB slice of file content) within the idle timeout, so silent ones and
 * slowloris ones (a byte every 400 ms) are dropped after it, while clients
 * that are slow but keep up are served; connections past the limit are
 * refused cleanly, and every descriptor is released afterwards.
 */
import assert from "node:assert/strict";
import { RequestCode, ResponseCode } from "../../server/protocol/constants.ts";
import { type Answer, FrameConn } from "../soak/frame_conn.ts";
import { nameField, rawFrame } from "../soak/fuzz_frames.ts";
import { backUpWithClient, note, seededBytes } from "../soak/helpers.ts";
import { hasProc, openFileLimit, procStats, settle } from "../soak/proc.ts";
import { registerClient, startServer, type TestServer } from "./harness.ts";

/**
 * Waits until the server itself counts `count` open connections: a client's
 * connect() returns before a worker has accepted, and with two workers the
 * accept order is not the connect order.
 */
async function serverHolds(server: TestServer, count: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  // Its own client, closed after: a pooled keep-alive connection would stay
  // open in the server and count against the descriptor check at the end.
  using client = Deno.createHttpClient({});
  for (;;) {
    const text = await (await fetch(
      `http://127.0.0.1:${server.httpPort}/metrics`,
      { client },
    )).text();
    const held = Number(
      /^cyberbackup_connections_active (\d+)$/m.exec(text)?.[1],
    );
    if (held === count) return;
    if (Date.now() > deadline) {
      throw new Error(`The server holds ${held} connections, not ${count}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const WANTED = 1000;
const IDLE_MS = 8000;
/** Slowloris: one byte this often, so no 23-byte header completes in IDLE_MS. */
const LORIS_MS = 400;
/** Slow but steady: one byte this often, a 255-byte payload well inside IDLE_MS. */
const STEADY_MS = 12;
/** Connections held open at once beyond the slow ones, for the real clients. */
const SPARE = 4;

/** A connection and, once it came, its first answer (or close). */
interface Watched {
  conn: FrameConn;
  openedAt: number;
  answer?: Answer;
  answeredAt?: number;
  done: Promise<void>;
}

function watch({ conn, at }: { conn: FrameConn; at: number }): Watched {
  const watched: Watched = { conn, openedAt: at, done: Promise.resolve() };
  watched.done = conn.next(120_000).then((answer) => {
    watched.answer = answer;
    watched.answeredAt = Date.now();
  });
  return watched;
}

/** Opens `count` connections; `at` is taken just before each connects. */
async function openMany(
  port: number,
  count: number,
): Promise<{ conn: FrameConn; at: number }[]> {
  const conns: { conn: FrameConn; at: number }[] = [];
  for (let i = 0; i < count; i += 100) {
    const batch = Math.min(100, count - i);
    conns.push(
      ...await Promise.all(
        Array.from({ length: batch }, async () => {
          const at = Date.now();
          return { conn: await FrameConn.connect(port), at };
        }),
      ),
    );
  }
  return conns;
}

/** Connections that send a register frame one byte per tick. */
class Dribblers {
  readonly watched: Watched[];
  readonly frames: Uint8Array[];
  sent = 0;
  #timer: ReturnType<typeof setInterval>;

  constructor(
    conns: { conn: FrameConn; at: number }[],
    options: { prefix: string; everyMs: number },
  ) {
    this.watched = conns.map(watch);
    this.frames = conns.map((_, i) =>
      rawFrame(
        new Uint8Array(16),
        RequestCode.REGISTER,
        nameField(`${options.prefix}-${i}`),
      )
    );
    this.#timer = setInterval(() => {
      if (this.sent >= this.frames[0].length) return this.stop();
      const at = this.sent++;
      for (const [i, w] of this.watched.entries()) {
        if (!w.answer) w.conn.write(this.frames[i].subarray(at, at + 1));
      }
    }, options.everyMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

Deno.test({
  name:
    "a thousand silent or one-byte-at-a-time connections do not stop real clients; the idle timer drops silent and slowloris ones, extras are refused",
  ignore: !hasProc(),
  async fn() {
    const limit = await openFileLimit();
    // Both processes hold one descriptor per connection plus a few dozen.
    const slow = Math.min(WANTED, Math.floor((limit - 300) / 10) * 10);
    const steadyCount = slow / 10;
    const silentCount = (slow - steadyCount) / 2;
    const lorisCount = slow - steadyCount - silentCount;
    note(
      `ulimit -n is ${limit}: ${slow} slow connections${
        slow < WANTED ? ` (scaled down from ${WANTED})` : ""
      }: ${silentCount} silent, ${lorisCount} sending a byte every ${LORIS_MS} ms, ${steadyCount} a byte every ${STEADY_MS} ms`,
    );
    assert.ok(slow >= 100, `ulimit -n ${limit} is too low for this test`);
    const max = slow + SPARE;
    const server = await startServer({
      args: [
        "--max-connections",
        String(max),
        "--idle-timeout",
        `${IDLE_MS}ms`,
      ],
    });
    const pid = server.child.pid;
    const all: FrameConn[] = [];
    const dribblers: Dribblers[] = [];
    try {
      const idle = await procStats(pid);
      const started = Date.now();
      const silentConns = await openMany(server.port, silentCount);
      const lorisConns = await openMany(server.port, lorisCount);
      const steadyConns = await openMany(server.port, steadyCount);
      all.push(
        ...[...silentConns, ...lorisConns, ...steadyConns].map((c) => c.conn),
      );
      note(`${slow} connections open in ${Date.now() - started} ms`);
      const silent = silentConns.map(watch);
      const loris = new Dribblers(lorisConns, {
        prefix: "loris",
        everyMs: LORIS_MS,
      });
      const steady = new Dribblers(steadyConns, {
        prefix: "steady",
        everyMs: STEADY_MS,
      });
      dribblers.push(loris, steady);

      // Real clients are served while every slow connection is held.
      const realStart = Date.now();
      await Promise.all(
        [0, 1, 2].map((i) =>
          backUpWithClient(server, {
            user: `real-${i}`,
            fileName: "work.bin",
            data: seededBytes(i, 200_000),
          })
        ),
      );
      note(
        `3 real clients registered, uploaded and verified 200 kB each in ${
          Date.now() - realStart
        } ms next to ${slow} slow connections`,
      );

      // Up to the limit, and one more is refused cleanly.
      const spares = await openMany(server.port, SPARE);
      all.push(...spares.map((c) => c.conn));
      await serverHolds(server, max);
      const full = await procStats(pid);
      const extra = await FrameConn.connect(server.port);
      const refused: string[] = [];
      for (;;) {
        const answer = await extra.next(5000);
        refused.push(
          answer.kind === "response" ? String(answer.code) : answer.kind,
        );
        if (answer.kind !== "response") break;
      }
      extra.close();
      assert.ok(
        ["1607,closed", "closed", "reset", "1607,reset"].includes(
          refused.join(),
        ),
        `the connection past ${max} got ${refused}`,
      );
      note(
        `connection ${max + 1} got ${
          refused.join(" then ")
        }; the server held ${full.fds} fds, VmRSS ${
          Math.round(full.rssKiB / 1024)
        } MiB`,
      );

      // Slow but steady clients are served.
      await Promise.all(steady.watched.map((w) => w.done));
      assert.deepEqual(
        steady.watched.map((w) =>
          w.answer?.kind === "response" ? w.answer.code : w.answer?.kind
        ),
        Array(steadyCount).fill(ResponseCode.REGISTER_OK),
      );
      const steadyMs = steady.watched.map((w) => w.answeredAt! - w.openedAt);
      note(
        `${steadyCount} steady clients registered one byte at a time in ${
          Math.min(...steadyMs)
        }..${Math.max(...steadyMs)} ms`,
      );

      // Silent and slowloris connections are dropped by the idle timer.
      for (
        const [what, group] of [["silent", silent], [
          "slowloris",
          loris.watched,
        ]] as const
      ) {
        await Promise.all(group.map((w) => w.done));
        assert.ok(
          group.every((w) => w.answer?.kind !== "response"),
          `${what} connections got no answer`,
        );
        const after = group.map((w) => w.answeredAt! - w.openedAt);
        const shortest = Math.min(...after);
        const longest = Math.max(...after);
        note(
          `${what} connections dropped after ${shortest}..${longest} ms (idle timeout ${IDLE_MS} ms)`,
        );
        // Timers may fire a few milliseconds early; never much sooner.
        assert.ok(
          shortest >= IDLE_MS - 20,
          `${what} dropped after ${shortest} ms`,
        );
        assert.ok(
          longest <= IDLE_MS + 5000,
          `${what} dropped after ${longest} ms`,
        );
      }
      loris.stop();
      assert.ok(loris.sent >= 10, `slowloris sent ${loris.sent} bytes each`);
      note(
        `each slowloris connection had sent ${loris.sent} bytes, one at a time`,
      );

      // With the slow ones gone there is room again.
      const later = await registerClient(server.port, "after-the-slow-ones");
      later.raw.close();

      for (const conn of all) conn.close();
      const after = await settle(pid, (s) => s.fds <= idle.fds);
      note(
        `server fds ${idle.fds} before, ${full.fds} at the limit, ${after.fds} after`,
      );
      // At most the idle count: the runtime may close one of its own since.
      assert.ok(
        after.fds <= idle.fds,
        `every connection's descriptor released (${after.fds} open, ${idle.fds} before)`,
      );
    } finally {
      for (const d of dribblers) d.stop();
      for (const conn of all) conn.close();
      await server.stop();
    }
  },
});
