import assert from "node:assert/strict";
import { ProtocolError } from "../../server/protocol/messages.ts";
import { dialectLabel, DialectTracker } from "../../server/session/dialect.ts";

const ZERO = new Uint8Array(16);
const NONZERO = new Uint8Array(16).fill(7);

/** O = 100: C = 112, with prefix 128. */
const O = 100;
const C = 112;

function first(contentSize: number, contentLength: number) {
  return new DialectTracker({ contentSize, origFileSize: O, contentLength });
}

Deno.test("ContentSize C in every packet is total size without prefix", () => {
  const t = first(C, 50);
  assert.equal(t.needsFirstBlock, false);
  assert.equal(t.checkBytes(50, false), undefined);
  assert.equal(
    t.follow({ contentSize: C, origFileSize: O, contentLength: 62 }),
    undefined,
  );
  assert.equal(t.checkBytes(112, true), undefined);
  assert.deepEqual(t.dialect, { ivPrefix: false, sizes: "total" });
});

Deno.test("ContentSize C + 16 is total size with a prefix that must be zero", () => {
  const t = first(C + 16, 64);
  assert.equal(t.needsFirstBlock, true);
  assert.equal(t.takeFirstBlock(ZERO), true);
  assert.equal(t.checkBytes(64, false), undefined);
  assert.equal(t.checkBytes(128, true), undefined);
  assert.equal(t.checkBytes(112, true)?.includes("expected 128"), true);
  assert.deepEqual(t.dialect, { ivPrefix: true, sizes: "total" });
  assert.throws(() => first(C + 16, 64).takeFirstBlock(NONZERO), ProtocolError);
});

Deno.test("a prefix the total size announces must come whole in packet 1", () => {
  assert.throws(() => first(C + 16, 8), ProtocolError);
});

Deno.test("ContentSize equal to each packet's length is per packet; a zero first block is the prefix", () => {
  const t = first(64, 64);
  assert.equal(t.takeFirstBlock(ZERO), true);
  assert.equal(
    t.follow({ contentSize: 64, origFileSize: O, contentLength: 64 }),
    undefined,
  );
  assert.equal(t.checkBytes(128, true), undefined);
  assert.deepEqual(t.dialect, { ivPrefix: true, sizes: "per-packet" });
  assert.equal(dialectLabel(t.dialect), "iv-prefix per-packet");
});

Deno.test("per packet without prefix must total C exactly", () => {
  const t = first(60, 60);
  assert.equal(t.takeFirstBlock(NONZERO), false);
  assert.equal(
    t.follow({ contentSize: 52, origFileSize: O, contentLength: 52 }),
    undefined,
  );
  assert.equal(t.checkBytes(112, true), undefined);
  assert.match(t.checkBytes(128, true)!, /expected 112/);
  assert.deepEqual(t.dialect, { ivPrefix: false, sizes: "per-packet" });
});

Deno.test("a per-packet size that disagrees with the bytes sent is refused", () => {
  const t = first(60, 60);
  t.takeFirstBlock(NONZERO);
  assert.match(
    t.follow({ contentSize: 50, origFileSize: O, contentLength: 52 })!,
    /not this packet's 52 bytes/,
  );
});

Deno.test("a total size that changes mid-upload is refused", () => {
  const t = first(C, 50);
  assert.match(
    t.follow({ contentSize: C + 16, origFileSize: O, contentLength: 62 })!,
    /changed mid-upload/,
  );
});

Deno.test("ContentSize that is neither total nor this packet's length is refused at packet 1", () => {
  assert.throws(() => first(C + 1, 50), ProtocolError);
  assert.throws(() => first(C - 16, 50), ProtocolError);
});

Deno.test("a single packet fits both meanings and stays undecided", () => {
  const t = first(C, C);
  assert.equal(t.takeFirstBlock(NONZERO), false);
  assert.equal(t.checkBytes(C, true), undefined);
  assert.deepEqual(t.dialect, { ivPrefix: false, sizes: "either" });
  const p = first(C + 16, C + 16);
  assert.equal(p.takeFirstBlock(ZERO), true);
  assert.equal(p.checkBytes(C + 16, true), undefined);
  assert.deepEqual(p.dialect, { ivPrefix: true, sizes: "either" });
});

Deno.test("an undecided packet 1 of C bytes with a zero block is the prefix when a later packet brings 16 more", () => {
  const t = first(C, C);
  assert.equal(t.takeFirstBlock(ZERO), true);
  assert.equal(t.checkBytes(C, false), undefined);
  assert.equal(
    t.follow({ contentSize: 16, origFileSize: O, contentLength: 16 }),
    undefined,
  );
  assert.equal(t.checkBytes(C + 16, true), undefined);
  assert.deepEqual(t.dialect, { ivPrefix: true, sizes: "per-packet" });
});

Deno.test("an undecided packet 1 with a zero block cannot then turn out total without prefix", () => {
  const t = first(C, C);
  t.takeFirstBlock(ZERO);
  assert.equal(
    t.follow({ contentSize: C, origFileSize: O, contentLength: 0 }),
    undefined,
  );
  assert.match(t.checkBytes(C, true)!, /says no IV prefix/);
});

Deno.test("a later packet fitting neither meaning of an undecided upload is refused", () => {
  const t = first(C, C);
  t.takeFirstBlock(NONZERO);
  assert.match(
    t.follow({ contentSize: 5, origFileSize: O, contentLength: 6 })!,
    /neither the total/,
  );
});

Deno.test("an empty file is one block: 16 bytes, or 32 with the prefix", () => {
  const t = new DialectTracker({
    contentSize: 32,
    origFileSize: 0,
    contentLength: 32,
  });
  assert.equal(t.takeFirstBlock(ZERO), true);
  assert.equal(t.checkBytes(32, true), undefined);
  const n = new DialectTracker({
    contentSize: 16,
    origFileSize: 0,
    contentLength: 16,
  });
  assert.equal(n.takeFirstBlock(NONZERO), false);
  assert.equal(n.checkBytes(16, true), undefined);
});
