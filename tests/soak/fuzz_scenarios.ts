/**
 * What the protocol fuzzer sends, and what it must get back. Each scenario
 * is a short list of frames with the exact answer the protocol demands
 * (a strict oracle), except on chaos lanes, where mutated frames may get
 * any well-formed answer but must never stall or crash the server.
 * @module
 */
import { encryptedSize } from "../../server/protocol/packet_plan.ts";
import { cksum } from "../../server/crypto/cksum.ts";
import {
  RequestCode,
  ResponseCode,
  Size,
} from "../../server/protocol/constants.ts";
import {
  BAD_FIELDS,
  badNameField,
  concat,
  nameField,
  packetFrame,
  printable,
  rawFrame,
  rawHeader,
  uploadPackets,
} from "./fuzz_frames.ts";
import type { Rng } from "./rng.ts";

const E = ResponseCode.SERVER_ERROR;

/** What a frame must get back. */
export type Expect =
  /** Exactly these response codes, then the probe's answer. */
  | {
    type: "answers";
    codes: readonly number[];
    check?: (payloads: Uint8Array[]) => string | undefined;
  }
  /** A broken header: 1607 or nothing, then the server closes. */
  | { type: "closed" }
  /** We hang up mid-frame: no answer, the server closes. */
  | { type: "eof" }
  /** Chaos: at most one well-formed answer, or a close. */
  | { type: "any" };

/** One frame of a scenario. */
export interface Step {
  kind: string;
  bytes: Uint8Array;
  expect: Expect;
}

/** What the scenario needs from its lane. */
export interface LaneView {
  /** The lane's client, once keyed. */
  clientId?: Uint8Array;
  name?: string;
  aesKey?: Uint8Array;
  publicKey: Uint8Array;
  /** A registered client that no lane may take over. */
  victim: { clientId: Uint8Array; name: string };
  maxPacketBytes: number;
  /** A name no other frame of this run uses. */
  unique(prefix: string): string;
}

/** A list of steps; `retire` makes the lane start over as a new client. */
export interface Scenario {
  steps: Step[];
  retire?: boolean;
}

const KNOWN_CODES = Object.values(RequestCode) as number[];

/** Names that must never become a path (valid fields, refused by the store). */
export const HOSTILE_NAMES = [
  "",
  ".",
  "..",
  "../x",
  "../../etc/passwd",
  "/etc/passwd",
  "a/b",
  "a\\b",
  "..\\..\\boot.ini",
  "CON",
  "nul.txt",
  "Lpt1",
  "com9.tar.gz",
  "x ",
  " x",
  "x.",
  "a:b",
  "a*b",
  "a?b",
  'a"b',
  "a<b",
  "a|b",
] as const;

function expectCodes(...codes: number[]): Expect {
  return { type: "answers", codes };
}

function step(kind: string, bytes: Uint8Array, expect: Expect): Step {
  return { kind, bytes, expect };
}

function anyId(rng: Rng, lane: LaneView): Uint8Array {
  return lane.clientId && rng.chance(0.5) ? lane.clientId : rng.bytes(16);
}

/** A payload of the right size for `code`, with valid-looking fields. */
function plausiblePayload(rng: Rng, code: number, lane: LaneView) {
  switch (code) {
    case RequestCode.SEND_PUBLIC_KEY:
      return concat(nameField(printable(rng, 8)), lane.publicKey);
    case RequestCode.SEND_FILE:
      return concat(new Uint8Array(12), nameField("f"), rng.bytes(16));
    default:
      return nameField(printable(rng, rng.range(1, 20)));
  }
}

/** Broken framing: the server answers 1607 at most and hangs up. */
function framing(rng: Rng, lane: LaneView): Step[] {
  const id = anyId(rng, lane);
  const code = rng.pick(KNOWN_CODES);
  const payload = plausiblePayload(rng, code, lane);
  switch (rng.int(6)) {
    case 0: {
      const version = rng.chance(0.3) ? 0 : rng.range(4, 255);
      return [
        step("bad-version", rawFrame(id, code, payload, version), {
          type: "closed",
        }),
      ];
    }
    case 1: {
      let unknown = rng.pick([0, 1, 1024, 1032, 1600, 1607, 0xffff]);
      if (rng.chance(0.5)) {
        do unknown = rng.int(0x10000); while (KNOWN_CODES.includes(unknown));
      }
      return [
        step("unknown-code", rawFrame(id, unknown, rng.bytes(rng.int(300))), {
          type: "closed",
        }),
      ];
    }
    case 2: {
      const fixed = code === RequestCode.SEND_PUBLIC_KEY
        ? Size.NAME + Size.PUBLIC_KEY
        : Size.NAME;
      const sizes = code === RequestCode.SEND_FILE
        ? [0, 1, 22, Size.FILE_PACKET_FIXED - 1, lane.maxPacketBytes + 1]
        : [0, 1, 22, fixed - 1, fixed + 1, 1000, 0x10000, 0x7fffffff];
      const size = rng.pick(sizes);
      const bytes = concat(
        rawHeader(id, code, size),
        rng.bytes(Math.min(size, rng.int(600))),
      );
      return [step("wrong-size", bytes, { type: "closed" })];
    }
    case 3: {
      // payload_size 4 GiB - 1: must be refused without allocating it.
      const bytes = concat(
        rawHeader(id, code, 0xffffffff),
        rng.bytes(rng.int(2000)),
      );
      return [step("4gib-payload", bytes, { type: "closed" })];
    }
    case 4: {
      const header = rawHeader(id, code, payload.length);
      return [
        step("truncated-header", header.subarray(0, rng.range(1, 22)), {
          type: "eof",
        }),
      ];
    }
    default: {
      const frame = rawFrame(id, code, payload);
      const cut = rng.range(Size.REQUEST_HEADER, frame.length - 1);
      return [step("truncated-payload", frame.subarray(0, cut), {
        type: "eof",
      })];
    }
  }
}

/** Name fields without NUL, with non-ASCII or control bytes: 1607, connection goes on. */
function badField(rng: Rng, lane: LaneView): Step[] {
  const code = rng.pick(KNOWN_CODES);
  const field = badNameField(rng, rng.pick(BAD_FIELDS));
  const id = lane.clientId ?? rng.bytes(16);
  let bytes: Uint8Array;
  if (code === RequestCode.SEND_PUBLIC_KEY) {
    bytes = rawFrame(id, code, concat(field, lane.publicKey));
  } else if (code === RequestCode.SEND_FILE) {
    bytes = packetFrame(id, {
      contentSize: 16,
      origFileSize: 5,
      packetNumber: 1,
      totalPackets: 1,
      name: field,
      content: rng.bytes(16),
    });
  } else {
    bytes = rawFrame(id, code, field);
  }
  return [step(`bad-field-${code}`, bytes, expectCodes(E))];
}

/** A well-formed 1028 with fields the server must refuse (fresh lanes: no key yet). */
function badPacket(rng: Rng, lane: LaneView): Step[] {
  const id = lane.clientId ?? rng.bytes(16);
  const name = lane.unique("bad");
  const orig = rng.int(5000);
  const good = {
    contentSize: encryptedSize(orig),
    origFileSize: orig,
    packetNumber: 1,
    totalPackets: 1,
    name: nameField(name),
    content: rng.bytes(encryptedSize(orig)),
  };
  if (!lane.aesKey) {
    return [step("file-before-key", packetFrame(id, good), expectCodes(E))];
  }
  const variants: [string, Partial<typeof good>][] = [
    ["hostile-name", { name: nameField(rng.pick(HOSTILE_NAMES)) }],
    ["zero-packets", { totalPackets: 0 }],
    ["packet-zero", { packetNumber: 0 }],
    ["size-mismatch", {
      contentSize: good.contentSize + rng.pick([-16, 1, 16]),
    }],
    ["too-large", { origFileSize: 0xffffffff, contentSize: 0xfffffff0 }],
    ["content-long", { content: rng.bytes(good.contentSize + 16) }],
    ["content-short", { content: rng.bytes(good.contentSize - 16) }],
    ["no-upload", { packetNumber: rng.range(2, 5), totalPackets: 5 }],
  ];
  const [kind, change] = rng.pick(variants);
  const fields = { ...good, ...change };
  const other = rng.chance(0.15);
  return [
    step(
      other ? "foreign-id-packet" : kind,
      packetFrame(other ? rng.bytes(16) : id, other ? good : fields),
      expectCodes(E),
    ),
  ];
}

/** 1029 / 1030 / 1031 for a file never sent: 1607. */
function strayVerdict(rng: Rng, lane: LaneView): Step[] {
  const code = rng.pick([
    RequestCode.CRC_OK,
    RequestCode.CRC_RETRY,
    RequestCode.CRC_ABORT,
  ]);
  const id = lane.clientId ?? rng.bytes(16);
  return [
    step(
      `verdict-never-sent-${code}`,
      rawFrame(id, code, nameField(lane.unique("never"))),
      expectCodes(E),
    ),
  ];
}

/** Key exchanges that must not take effect. */
function keyAttack(rng: Rng, lane: LaneView): Step[] {
  const victim = lane.victim;
  switch (rng.int(4)) {
    case 0:
      return [
        step(
          "key-for-victim",
          rawFrame(
            victim.clientId,
            RequestCode.SEND_PUBLIC_KEY,
            concat(nameField(victim.name), lane.publicKey),
          ),
          expectCodes(E),
        ),
      ];
    case 1:
      return [
        step(
          "key-id-name-mismatch",
          rawFrame(
            rng.bytes(16),
            RequestCode.SEND_PUBLIC_KEY,
            concat(nameField(lane.name ?? victim.name), lane.publicKey),
          ),
          expectCodes(E),
        ),
      ];
    case 2: {
      if (!lane.clientId || !lane.name) return keyAttack(rng, lane);
      let junk = rng.bytes(Size.PUBLIC_KEY);
      if (rng.chance(0.5)) {
        // The DER structure, not the modulus (any 1024-bit modulus is a key);
        // a mutation may put back the byte it replaced, so retry until changed.
        do {
          junk = mutate(rng, lane.publicKey, rng.range(1, 3), 0, 29);
        } while (sameBytes(junk, lane.publicKey));
      }
      // The 162-byte field (payload 417) of the classic client: the same
      // broken key followed by 2 junk bytes must be refused just the same.
      if (rng.chance(0.3)) junk = concat(junk, rng.bytes(2));
      return [
        step(
          "junk-public-key",
          rawFrame(
            lane.clientId,
            RequestCode.SEND_PUBLIC_KEY,
            concat(nameField(lane.name), junk),
          ),
          expectCodes(E),
        ),
      ];
    }
    default: {
      const id = rng.bytes(16);
      const name = rng.chance(0.5) ? victim.name : lane.unique("ghost");
      return [
        step(
          "reconnect-unknown",
          rawFrame(id, RequestCode.RECONNECT, nameField(name)),
          {
            type: "answers",
            codes: [ResponseCode.RECONNECT_REJECTED],
            check: ([payload]) =>
              sameBytes(payload, id) ? undefined : "1606 without the sent id",
          },
        ),
      ];
    }
  }
}

/**
 * Reconnects as the victim with its id and name (which travel in clear:
 * this succeeds) and then tries to replace its public key, which must not.
 */
function victimTakeover(lane: LaneView): Scenario {
  const { clientId, name } = lane.victim;
  return {
    steps: [
      step(
        "reconnect-as-victim",
        rawFrame(clientId, RequestCode.RECONNECT, nameField(name)),
        expectCodes(ResponseCode.RECONNECT_OK),
      ),
      step(
        "key-after-reconnect",
        rawFrame(
          clientId,
          RequestCode.SEND_PUBLIC_KEY,
          concat(nameField(name), lane.publicKey),
        ),
        expectCodes(E),
      ),
    ],
    retire: true,
  };
}

/** Registrations the server must refuse with 1601. */
function refusedRegistration(rng: Rng, lane: LaneView): Step[] {
  const name = rng.pick(["", " lead", "trail ", lane.victim.name]);
  return [
    step(
      "register-refused",
      rawFrame(new Uint8Array(16), RequestCode.REGISTER, nameField(name)),
      expectCodes(ResponseCode.REGISTER_FAILED),
    ),
  ];
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return !!a && a.length === b.length && a.every((x, i) => x === b[i]);
}

function fileReceived(data: Uint8Array, name: string): Expect {
  const sum = cksum(data);
  return {
    type: "answers",
    codes: [ResponseCode.FILE_RECEIVED],
    check: ([payload]) => {
      const view = new DataView(payload.buffer, payload.byteOffset);
      const size = view.getUint32(16, true);
      const got = view.getUint32(16 + 4 + Size.NAME, true);
      const field = payload.subarray(20, 20 + Size.NAME);
      const end = field.indexOf(0);
      const echoed = new TextDecoder().decode(field.subarray(0, end));
      if (size !== data.length) return `1603 size ${size} != ${data.length}`;
      if (echoed !== name) return `1603 name "${echoed}" != "${name}"`;
      if (got !== sum) return `1603 cksum ${got} != ${sum}`;
      return undefined;
    },
  };
}

/** Correct uploads with every verdict, packet order faults and restarts. */
function upload(rng: Rng, lane: LaneView): Scenario {
  const clientId = lane.clientId!;
  const aesKey = lane.aesKey!;
  // A small pool of stored names keeps the disk bounded on long runs; a
  // 254-character name now and then checks the longest legal name.
  const name = rng.chance(0.05)
    ? "L".repeat(250) + rng.int(10) + ".bn"
    : `pool-${rng.int(8)}.bin`;
  const data = rng.bytes(rng.chance(0.1) ? 0 : rng.range(1, 4000));
  const packetSize = rng.pick([16, 100, 1000, 4096, 70_000]);
  const packets = uploadPackets({ clientId, aesKey, name, data, packetSize });
  const n = packets.length;
  const ok = (code: number, kind: string) =>
    step(
      kind,
      rawFrame(clientId, code, nameField(name)),
      expectCodes(ResponseCode.ACK),
    );
  const sendAll = (kind: string): Step[] =>
    packets.map((bytes, i) =>
      step(kind, bytes, i < n - 1 ? expectCodes() : fileReceived(data, name))
    );
  const steps: Step[] = [];
  const variant = rng.int(7);
  if (variant === 0 && n >= 3) {
    // Out of sequence: packet 3 straight after packet 1.
    return {
      steps: [
        step("upload", packets[0], expectCodes()),
        step("packet-out-of-order", packets[2], expectCodes(E)),
      ],
    };
  }
  if (variant === 1 && n >= 2) {
    // The same packet twice.
    return {
      steps: [
        ...sendAll("upload").slice(0, 2),
        step("packet-repeated", packets[1], expectCodes(E)),
      ],
    };
  }
  if (variant === 2 && n >= 2) {
    // A different file's packet 1 in the middle of an upload.
    const other = uploadPackets({
      clientId,
      aesKey,
      name: lane.unique("interloper"),
      data: rng.bytes(100),
      packetSize: 16,
    });
    return {
      steps: [
        step("upload", packets[0], expectCodes()),
        step("packet-other-file", other[0], expectCodes(E)),
      ],
    };
  }
  if (variant === 3) {
    // A stray verdict mid-upload is refused; the upload goes on.
    const stray = step(
      "verdict-mid-upload",
      rawFrame(clientId, RequestCode.CRC_OK, nameField(lane.unique("stray"))),
      expectCodes(E),
    );
    const all = sendAll("upload");
    steps.push(...(n > 1 ? [all[0], stray, ...all.slice(1)] : [stray, ...all]));
  } else if (variant === 4) {
    // Packet 1 again restarts the upload (or, after 1603, replaces the file).
    steps.push(sendAll("upload")[0], ...sendAll("upload-restarted"));
  } else {
    steps.push(...sendAll("upload"));
  }
  // The verdict.
  switch (rng.int(4)) {
    case 0:
      steps.push(ok(RequestCode.CRC_ABORT, "verdict-abort"));
      break;
    case 1:
      steps.push(
        step(
          "verdict-retry",
          rawFrame(clientId, RequestCode.CRC_RETRY, nameField(name)),
          expectCodes(),
        ),
      );
      steps.push(...sendAll("upload-resent"));
      steps.push(ok(RequestCode.CRC_OK, "verdict-ok"));
      break;
    case 2:
      steps.push(
        step(
          "verdict-wrong-file",
          rawFrame(
            clientId,
            RequestCode.CRC_OK,
            nameField(lane.unique("other")),
          ),
          expectCodes(E),
        ),
      );
      steps.push(ok(RequestCode.CRC_OK, "verdict-ok"));
      break;
    default:
      steps.push(ok(RequestCode.CRC_OK, "verdict-ok"));
  }
  return { steps };
}

/** Random ciphertext that cannot decrypt; the lane then starts over as a new client. */
function forgedCiphertext(rng: Rng, lane: LaneView): Scenario {
  // Padding of at least 3 bytes: random bytes pass the check with odds of 2^-24.
  const orig = rng.int(100) * 16 + rng.int(14);
  const size = encryptedSize(orig);
  const bytes = packetFrame(lane.clientId!, {
    contentSize: size,
    origFileSize: orig,
    packetNumber: 1,
    totalPackets: 1,
    name: nameField(lane.unique("forged")),
    content: rng.bytes(size),
  });
  return {
    steps: [step("undecryptable", bytes, expectCodes(E))],
    retire: true,
  };
}

/** A scenario for a lane that exchanged keys. */
export function keyedScenario(rng: Rng, lane: LaneView): Scenario {
  const roll = rng.int(100);
  if (roll < 14) return { steps: framing(rng, lane) };
  if (roll < 28) return { steps: badField(rng, lane) };
  if (roll < 46) return { steps: badPacket(rng, lane) };
  if (roll < 52) return { steps: strayVerdict(rng, lane) };
  if (roll < 60) return { steps: keyAttack(rng, lane) };
  if (roll < 63) return forgedCiphertext(rng, lane);
  return upload(rng, lane);
}

/** A scenario for a lane that never registered. */
export function freshScenario(rng: Rng, lane: LaneView): Scenario {
  const roll = rng.int(100);
  if (roll < 25) return { steps: framing(rng, lane) };
  if (roll < 50) return { steps: badField(rng, lane) };
  if (roll < 65) return { steps: badPacket(rng, lane) };
  if (roll < 75) return { steps: strayVerdict(rng, lane) };
  if (roll < 85) return { steps: keyAttack(rng, lane) };
  if (roll < 89) return victimTakeover(lane);
  return { steps: refusedRegistration(rng, lane) };
}

/** Flips, sets or swaps `count` bytes at positions in `[from, to)`. */
export function mutate(
  rng: Rng,
  bytes: Uint8Array,
  count: number,
  from = 0,
  to = bytes.length,
): Uint8Array {
  const out = bytes.slice();
  for (let i = 0; i < count; i++) {
    const at = rng.range(from, Math.max(from, to - 1));
    switch (rng.int(3)) {
      case 0:
        out[at] ^= 1 << rng.int(8);
        break;
      case 1:
        out[at] = rng.pick([0, 0x7f, 0x80, 0xff, 0x2f, 0x5c, 0x2e]);
        break;
      default:
        out[at] = rng.int(256);
    }
  }
  return out;
}

/**
 * Makes a mutated frame self-consistent again: when the server would accept
 * its header, the payload size matches the bytes that follow (by cutting,
 * padding, or restoring the size field), so that the probe after it stays
 * a frame of its own and every answer can be attributed.
 */
function align(bytes: Uint8Array, maxPacketBytes: number): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const version = view.getUint8(16);
  const code = view.getUint16(17, true);
  const size = view.getUint32(19, true);
  const payload = bytes.length - Size.REQUEST_HEADER;
  if (version < 1 || version > 3 || !KNOWN_CODES.includes(code)) return bytes;
  if (size === payload) return bytes;
  if (size < payload) return bytes.subarray(0, Size.REQUEST_HEADER + size);
  if (size - payload <= 64 * 1024 && size <= maxPacketBytes) {
    const out = new Uint8Array(Size.REQUEST_HEADER + size);
    out.set(bytes);
    return out;
  }
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(19, payload, true);
  return out;
}

/** A chaos frame: a mutant of a valid frame, or garbage. */
export function chaosScenario(rng: Rng, lane: LaneView): Scenario {
  const roll = rng.int(100);
  if (roll < 8) {
    const garbage = rng.bytes(rng.range(23, 400));
    return { steps: [step("garbage", garbage, { type: "any" })] };
  }
  let base: Uint8Array;
  if (lane.aesKey && roll < 60) {
    const name = `chaos-${rng.int(4)}.bin`;
    const packets = uploadPackets({
      clientId: lane.clientId!,
      aesKey: lane.aesKey,
      name,
      data: rng.bytes(rng.int(600)),
      packetSize: rng.pick([16, 64, 1000]),
    });
    base = rng.pick(packets);
  } else {
    const code = rng.pick(KNOWN_CODES);
    base = rawFrame(
      lane.clientId ?? new Uint8Array(16),
      code,
      plausiblePayload(rng, code, lane),
    );
  }
  const inHeader = rng.chance(0.3);
  const mutant = mutate(
    rng,
    base,
    rng.range(1, 4),
    inHeader ? 0 : Size.REQUEST_HEADER,
    inHeader ? Size.REQUEST_HEADER : Math.min(base.length, 23 + 290),
  );
  return {
    steps: [
      step("mutant", align(mutant, lane.maxPacketBytes), { type: "any" }),
    ],
  };
}
