import assert from "node:assert/strict";
import { join } from "node:path";
import { ResponseCode } from "../../server/protocol/constants.ts";
import { freeBytesOf } from "../../server/session/disk_guard.ts";
import { fixture, keyed, oneFile } from "./fixture.ts";

Deno.test("below the free-space watermark a new upload gets 1607 at packet 1 and the verified file stays intact", async () => {
  const f = await fixture();
  let free = 10 * 1024 ** 3;
  f.ctx.minFreeBytes = 1024 ** 3;
  f.ctx.freeBytes = () => free;
  try {
    const alice = await keyed(f.ctx, "alice");
    const report = oneFile(alice, "report.txt");
    assert.equal(
      (await report.send("version 1"))?.code,
      ResponseCode.FILE_RECEIVED,
    );
    assert.equal((await report.verdict())?.code, ResponseCode.ACK);
    free = 1024 ** 3 - 1;
    // A new version of the same file and a new file alike are refused.
    assert.equal(
      (await report.send("version 2, longer"))?.code,
      ResponseCode.SERVER_ERROR,
    );
    const other = oneFile(alice, "other.txt");
    assert.equal((await other.send("new"))?.code, ResponseCode.SERVER_ERROR);
    const path = join(f.ctx.store.root, alice.session.client!, "report.txt");
    assert.equal(await Deno.readTextFile(path), "version 1");
    assert.equal(
      f.ctx.db.files.of(alice.clientId, "report.txt")?.verified,
      true,
    );
    await assert.rejects(
      Deno.stat(join(f.ctx.store.root, alice.session.client!, "other.txt")),
    );
    free = 2 * 1024 ** 3;
    assert.equal((await other.send("new"))?.code, ResponseCode.FILE_RECEIVED);
    await alice.session.close();
  } finally {
    await f.close();
  }
});

Deno.test("freeBytesOf() reads the free space of the disk holding a folder", () => {
  const free = freeBytesOf(Deno.cwd());
  assert.ok(Number.isSafeInteger(free) && free > 0, String(free));
});
