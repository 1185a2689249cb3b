/**
 * The seeded protocol fuzzer: lanes of connections that send the scenarios
 * of fuzz_scenarios.ts at a running server and check every answer. After
 * each frame a probe (1027 with a unique unknown id, answered 1606 echoing
 * it) marks where that frame's answers end, so "no answer" is checked too.
 * Used by tests/e2e/fuzz_test.ts (bounded) and tests/soak/fuzz.ts (long).
 * @module
 */
import { decryptKey, generateKeyPair } from "../../server/crypto/rsa_oaep.ts";
import {
  RequestCode,
  ResponseCode,
  Size,
} from "../../server/protocol/constants.ts";
import { type Answer, FrameConn, MalformedResponse } from "./frame_conn.ts";
import { concat, nameField, rawFrame } from "./fuzz_frames.ts";
import {
  chaosScenario,
  freshScenario,
  keyedScenario,
  type LaneView,
  type Scenario,
  type Step,
} from "./fuzz_scenarios.ts";
import { Rng } from "./rng.ts";

/** How a lane behaves. */
export type LaneMode = "keyed" | "fresh" | "chaos";

/** Options of {@link runFuzz}. */
export interface FuzzOptions {
  port: number;
  seed: number;
  /** Frames to send in all (probes and set-up not counted). */
  frames: number;
  /** Concurrent lanes of each mode. */
  lanes?: Partial<Record<LaneMode, number>>;
  /** The server's --max-packet (16 MiB by default). */
  maxPacketBytes?: number;
  /** Longest wait for one answer before the server counts as stalled. */
  answerTimeoutMs?: number;
  /** A registered client whose key and files the fuzzer tries to take over. */
  victim: { clientId: Uint8Array; name: string };
  /** Called every 1,000 frames. */
  onProgress?: (report: FuzzReport) => void;
}

/** What a fuzz run did and found. */
export interface FuzzReport {
  seed: number;
  frames: number;
  /** Frames sent per scenario kind. */
  kinds: Record<string, number>;
  /** Answers seen per response code, plus "closed" and "stalled". */
  answers: Record<string, number>;
  connections: number;
  /** Oracle violations; empty when the server did everything right. */
  failures: string[];
  elapsedMs: number;
}

const PROBE_NAME = nameField("~probe~");
const MAX_FAILURES = 50;

/** Shared state of one run. */
class Run {
  readonly options:
    & Required<Omit<FuzzOptions, "lanes" | "onProgress">>
    & {
      onProgress?: (report: FuzzReport) => void;
    };
  readonly report: FuzzReport;
  readonly keys = generateKeyPair();
  #probe = 0;
  #unique = 0;
  #started = Date.now();

  constructor(options: FuzzOptions) {
    this.options = {
      maxPacketBytes: 16 * 1024 * 1024,
      answerTimeoutMs: 5000,
      ...options,
    };
    this.report = {
      seed: options.seed,
      frames: 0,
      kinds: {},
      answers: {},
      connections: 0,
      failures: [],
      elapsedMs: 0,
    };
  }

  get done(): boolean {
    return this.report.frames >= this.options.frames;
  }

  count(kind: string): void {
    const r = this.report;
    r.frames++;
    r.kinds[kind] = (r.kinds[kind] ?? 0) + 1;
    if (r.frames % 1000 === 0) {
      r.elapsedMs = Date.now() - this.#started;
      this.options.onProgress?.(r);
    }
  }

  answer(what: string | number): void {
    this.report.answers[what] = (this.report.answers[what] ?? 0) + 1;
  }

  fail(message: string): void {
    if (this.report.failures.length < MAX_FAILURES) {
      this.report.failures.push(message);
    }
  }

  /** A 1027 whose unknown id marks the end of the previous frame's answers. */
  probe(): { id: Uint8Array; bytes: Uint8Array } {
    const id = new Uint8Array(16);
    const view = new DataView(id.buffer);
    view.setUint32(0, 0xfeedf00d);
    view.setUint32(4, this.options.seed >>> 0);
    view.setFloat64(8, ++this.#probe);
    return { id, bytes: rawFrame(id, RequestCode.RECONNECT, PROBE_NAME) };
  }

  unique(prefix: string): string {
    return `${prefix}-${this.options.seed}-${++this.#unique}`;
  }

  finish(): FuzzReport {
    this.report.elapsedMs = Date.now() - this.#started;
    return this.report;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function describe(answer: Answer): string {
  return answer.kind === "response" ? String(answer.code) : answer.kind;
}

/** One connection at a time, sending scenarios of its mode. */
class Lane {
  readonly #run: Run;
  readonly #mode: LaneMode;
  readonly #rng: Rng;
  readonly #label: string;
  #conn: FrameConn | undefined;
  #identity: { clientId: Uint8Array; name: string } | undefined;
  #aesKey: Uint8Array | undefined;
  #generation = 0;
  #steps = 0;
  #scenarios = 0;

  constructor(run: Run, mode: LaneMode, index: number) {
    this.#run = run;
    this.#mode = mode;
    this.#rng = new Rng(run.options.seed * 131 + index);
    this.#label = `${mode}#${index}`;
  }

  async loop(): Promise<void> {
    try {
      while (!this.#run.done) {
        if (!this.#conn?.open) {
          await this.#connect();
          this.#scenarios = 0;
        }
        if (this.#mode === "chaos" && ++this.#scenarios > 64) {
          this.#conn?.close(); // a clean slate now and then
          continue;
        }
        const scenario = this.#scenario();
        let broke = false;
        for (const step of scenario.steps) {
          if (!await this.#exec(step)) {
            broke = true;
            break;
          }
        }
        if (scenario.retire || broke) {
          this.#conn?.close();
          if (scenario.retire) this.#identity = undefined;
        }
      }
    } finally {
      this.#conn?.close();
    }
  }

  #view(): LaneView {
    return {
      clientId: this.#identity?.clientId,
      name: this.#identity?.name,
      aesKey: this.#aesKey,
      publicKey: this.#run.keys.publicKey,
      victim: this.#run.options.victim,
      maxPacketBytes: this.#run.options.maxPacketBytes,
      unique: (prefix) => this.#run.unique(prefix),
    };
  }

  #scenario(): Scenario {
    const view = this.#view();
    switch (this.#mode) {
      case "keyed":
        return keyedScenario(this.#rng, view);
      case "fresh":
        return freshScenario(this.#rng, view);
      case "chaos":
        return chaosScenario(this.#rng, view);
    }
  }

  /** A new connection; keyed and chaos lanes register or reconnect first. */
  async #connect(): Promise<void> {
    this.#conn?.close();
    this.#aesKey = undefined;
    const conn = await FrameConn.connect(this.#run.options.port);
    this.#conn = conn;
    this.#run.report.connections++;
    if (this.#mode === "fresh") return;
    const keys = this.#run.keys;
    if (this.#identity) {
      const { clientId, name } = this.#identity;
      const answer = await this.#request(
        rawFrame(clientId, RequestCode.RECONNECT, nameField(name)),
      );
      if (answer.kind === "response" && answer.code === 1605) {
        this.#aesKey = this.#decryptKey(answer.payload, keys.privateKey);
        if (this.#aesKey) return;
      } else if (this.#mode === "keyed") {
        this.#run.fail(
          `${this.#label}: reconnect of ${name} got ${describe(answer)}`,
        );
      }
      this.#identity = undefined; // chaos may have changed its key: start over
    }
    const name = this.#run.unique(`fz-${this.#mode}-${++this.#generation}`);
    const registered = await this.#request(
      rawFrame(new Uint8Array(16), RequestCode.REGISTER, nameField(name)),
    );
    if (registered.kind !== "response" || registered.code !== 1600) {
      this.#run.fail(
        `${this.#label}: register ${name} got ${describe(registered)}`,
      );
      conn.close();
      return;
    }
    const clientId = registered.payload.slice(0, 16);
    const keyed = await this.#request(
      rawFrame(
        clientId,
        RequestCode.SEND_PUBLIC_KEY,
        concat(nameField(name), keys.publicKey),
      ),
    );
    if (keyed.kind !== "response" || keyed.code !== 1602) {
      this.#run.fail(`${this.#label}: key of ${name} got ${describe(keyed)}`);
      conn.close();
      return;
    }
    this.#identity = { clientId, name };
    this.#aesKey = this.#decryptKey(keyed.payload, keys.privateKey);
  }

  #decryptKey(payload: Uint8Array, privateKey: Uint8Array) {
    try {
      return decryptKey(privateKey, payload.subarray(Size.CLIENT_ID));
    } catch {
      return undefined;
    }
  }

  async #request(bytes: Uint8Array): Promise<Answer> {
    const conn = this.#conn!;
    if (!await conn.write(bytes)) return { kind: "reset" };
    return await conn.next(this.#run.options.answerTimeoutMs);
  }

  /** Sends one step and checks its answers; false when the connection ended. */
  async #exec(step: Step): Promise<boolean> {
    const run = this.#run;
    const conn = this.#conn;
    if (!conn?.open) return false;
    run.count(step.kind);
    this.#steps++;
    const where = `${this.#label} step ${this.#steps} (${step.kind}, header ${
      hex(step.bytes.subarray(0, Size.REQUEST_HEADER))
    })`;
    const timeout = run.options.answerTimeoutMs;
    try {
      const expect = step.expect;
      if (expect.type === "closed" || expect.type === "eof") {
        await conn.write(step.bytes);
        if (expect.type === "eof") await conn.closeWrite();
        const seen: string[] = [];
        for (;;) {
          const answer = await conn.next(timeout);
          seen.push(describe(answer));
          if (answer.kind !== "response") break;
          run.answer(answer.code);
        }
        run.answer("closed");
        const allowed = expect.type === "closed"
          ? [["closed"], ["reset"], ["1607", "closed"], ["1607", "reset"]]
          : [["closed"], ["reset"]];
        if (!allowed.some((a) => a.join() === seen.join())) {
          run.fail(`${where}: expected ${expect.type}, got ${seen.join(",")}`);
        }
        conn.close();
        return false;
      }
      const probe = run.probe();
      const wrote = await conn.write(concat(step.bytes, probe.bytes));
      const codes: number[] = [];
      const payloads: Uint8Array[] = [];
      for (;;) {
        const answer = await conn.next(timeout);
        if (answer.kind !== "response") {
          if (expect.type === "any" && answer.kind !== "timeout") {
            run.answer("closed");
            if (codes.length > 1) {
              run.fail(`${where}: ${codes.length} answers to one frame`);
            }
          } else if (expect.type === "any" && step.kind === "garbage") {
            run.answer("stalled"); // random bytes may announce a long payload
          } else {
            run.fail(
              `${where}: connection ${answer.kind} after answers [${codes}]${
                wrote ? "" : " (write failed)"
              }`,
            );
          }
          conn.close();
          return false;
        }
        if (
          answer.code === ResponseCode.RECONNECT_REJECTED &&
          sameBytes(answer.payload, probe.id)
        ) break;
        run.answer(answer.code);
        codes.push(answer.code);
        payloads.push(answer.payload);
      }
      if (expect.type === "any") {
        if (codes.length > 1) {
          run.fail(`${where}: ${codes.length} answers to one frame`);
        }
        return true;
      }
      if (codes.join() !== expect.codes.join()) {
        run.fail(`${where}: expected [${expect.codes}], got [${codes}]`);
        return true;
      }
      const problem = expect.check?.(payloads);
      if (problem) run.fail(`${where}: ${problem}`);
      return true;
    } catch (error) {
      if (!(error instanceof MalformedResponse)) throw error;
      run.fail(`${where}: ${error.message}`);
      conn.close();
      return false;
    }
  }
}

/**
 * Runs the lanes until `frames` frames are sent and returns what happened.
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const run = new Run(options);
  const lanes = { keyed: 3, fresh: 1, chaos: 2, ...options.lanes };
  let index = 0;
  const all: Promise<void>[] = [];
  for (const mode of ["keyed", "fresh", "chaos"] as const) {
    for (let i = 0; i < lanes[mode]; i++) {
      all.push(new Lane(run, mode, index++).loop());
    }
  }
  await Promise.all(all);
  return run.finish();
}

/** One line per figure of a report, for logs and the soak output. */
export function summarize(report: FuzzReport): string {
  const rate = report.frames / Math.max(1, report.elapsedMs / 1000);
  const answers = Object.entries(report.answers)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}:${v}`).join(" ");
  return [
    `seed ${report.seed}: ${report.frames} frames in ${
      (report.elapsedMs / 1000).toFixed(1)
    } s (${rate.toFixed(0)} frames/s), ${report.connections} connections`,
    `answers ${answers}`,
    `kinds ${
      Object.keys(report.kinds).length
    }, failures ${report.failures.length}`,
  ].join("\n");
}
