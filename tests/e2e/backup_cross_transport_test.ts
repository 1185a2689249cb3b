/**
 * One identity, two transports: the command-line client over TCP and the
 * browser client's flow over the JSON API upload as the same client, and
 * the server holds both files as the same kind of record.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cksum } from "../../server/crypto/cksum.ts";
import { Database } from "../../server/storage/database.ts";
import { BackupApiClient } from "../../browser/backup/api.ts";
import { Connection } from "../../browser/backup/connection.ts";
import { formatMeInfo, parseMeInfo } from "../../browser/backup/me_info.ts";
import { uploadFile } from "../../browser/backup/uploader.ts";
import { pattern } from "../client/helpers.ts";
import { startBackupServer } from "./backup_server.ts";
import { assertBytesEqual } from "../bytes_assert.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

async function cli(dir: string): Promise<string> {
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "backup", "--dir", dir],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const output = new TextDecoder().decode(result.stdout) +
    new TextDecoder().decode(result.stderr);
  assert.equal(result.code, 0, output);
  return output;
}

function idBytes(hex: string): Uint8Array {
  return Uint8Array.from(
    { length: 16 },
    (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16),
  );
}

Deno.test({
  name:
    "an identity made by cyberbackup backup uploads over TCP and over HTTP, and the server holds both files",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startBackupServer();
    const dir = await Deno.makeTempDir({ prefix: "cb-e2e-cross-" });
    try {
      const tcpData = pattern(300_000, 5);
      await Deno.writeFile(join(dir, "via-tcp.bin"), tcpData);
      await Deno.writeTextFile(
        join(dir, "transfer.info"),
        `127.0.0.1:${server.tcpPort}\nzoe\nvia-tcp.bin\n`,
      );
      assert.match(await cli(dir), /Registered as zoe/);

      const identity = parseMeInfo(
        await Deno.readTextFile(join(dir, "me.info")),
      );
      const api = new BackupApiClient({ base: `${server.http}/api/v1` });
      const info = await api.info();
      const connection = new Connection(api, {
        identity,
        hash: info.oaepHash,
      });
      const httpData = pattern(1024 * 1024 + 5, 6);
      const received = await uploadFile(
        new Blob([httpData as Uint8Array<ArrayBuffer>]),
        "via-http.bin",
        {
          connection,
          info,
        },
      );
      assert.equal(received.checksum, cksum(httpData));
      await connection.close();

      // The same me.info still works over TCP after the HTTP session.
      await Deno.writeFile(join(dir, "again.bin"), tcpData.subarray(0, 1000));
      await Deno.writeTextFile(
        join(dir, "transfer.info"),
        `127.0.0.1:${server.tcpPort}\nzoe\nagain.bin\n`,
      );
      assert.match(await cli(dir), /Reconnected as zoe/);

      const folder = join(server.dataDir, "received_files", identity.clientId);
      assertBytesEqual(
        await Deno.readFile(join(folder, "via-tcp.bin")),
        tcpData,
      );
      assertBytesEqual(
        await Deno.readFile(join(folder, "via-http.bin")),
        httpData,
      );
      const db = Database.open(join(server.dataDir, "defensive.db"));
      try {
        const id = idBytes(identity.clientId);
        for (const name of ["via-tcp.bin", "via-http.bin", "again.bin"]) {
          const record = db.files.of(id, name);
          assert.equal(record?.verified, true, name);
          assert.equal(record?.pathName, join(folder, name));
        }
        const transports = db.transfers.list({ client: id }).rows
          .map((t) => `${t.fileName}:${t.transport}:${t.outcome}`).sort();
        assert.deepEqual(transports, [
          "again.bin:tcp:verified",
          "via-http.bin:http:verified",
          "via-tcp.bin:tcp:verified",
        ]);
      } finally {
        db.close();
      }
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "an identity made in the browser (Web Crypto, exponent 65537) works with cyberbackup backup",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startBackupServer();
    const dir = await Deno.makeTempDir({ prefix: "cb-e2e-cross-" });
    try {
      const api = new BackupApiClient({ base: `${server.http}/api/v1` });
      const info = await api.info();
      const connection = await Connection.register(api, {
        name: "yan",
        hash: info.oaepHash,
        saved: (identity) =>
          Deno.writeTextFile(join(dir, "me.info"), formatMeInfo(identity)),
      });
      await uploadFile(
        new Blob([pattern(5000, 1) as Uint8Array<ArrayBuffer>]),
        "web.bin",
        {
          connection,
          info,
        },
      );
      await connection.close();
      const data = pattern(70_000, 2);
      await Deno.writeFile(join(dir, "cli.bin"), data);
      await Deno.writeTextFile(
        join(dir, "transfer.info"),
        `127.0.0.1:${server.tcpPort}\nyan\ncli.bin\n`,
      );
      assert.match(await cli(dir), /Reconnected as yan/);
      const folder = join(
        server.dataDir,
        "received_files",
        connection.identity.clientId,
      );
      assertBytesEqual(await Deno.readFile(join(folder, "cli.bin")), data);
      assert.ok((await Deno.stat(join(folder, "web.bin"))).isFile);
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
