import assert from "node:assert/strict";
import { type CommandIO, runAdminCommand } from "../../server/admin/command.ts";
import { verifyPassword } from "../../server/portal/auth/password.ts";
import { SqliteAdminAccounts } from "../../server/storage/sqlite/accounts.ts";
import { addClient, addFile, openTestDatabase } from "../portal/fixture.ts";

interface Captured extends CommandIO {
  stdout: string;
  stderr: string;
  rawModes: boolean[];
}

function io(input: string, terminal = false): Captured {
  const captured: Captured = {
    stdin: new Blob([input]).stream(),
    stdinIsTerminal: terminal,
    setRaw: (raw) => captured.rawModes.push(raw),
    out: (text) => (captured.stdout += text),
    err: (text) => (captured.stderr += text),
    stdout: "",
    stderr: "",
    rawModes: [],
  };
  return captured;
}

async function withDataDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("admin set-password reads the password from standard input and never prints it", () =>
  withDataDir(async (dataDir) => {
    const streams = io("new-password-123\n");
    const code = await runAdminCommand(["set-password", "--password-stdin"], {
      dataDir,
      io: streams,
    });
    assert.equal(code, 0, streams.stderr);
    assert.doesNotMatch(streams.stdout + streams.stderr, /new-password-123/);
    const db = openTestDatabase(`${dataDir}/defensive.db`);
    assert.equal(
      await verifyPassword(
        "new-password-123",
        new SqliteAdminAccounts(db).hash("admin")!,
      ),
      true,
    );
    db.close();
  }));

Deno.test("admin set-password on a terminal asks twice without echo and refuses a mismatch", () =>
  withDataDir(async (dataDir) => {
    const typed = io("secret-one\rsecret-two\r", true);
    assert.equal(
      await runAdminCommand(["set-password"], { dataDir, io: typed }),
      1,
    );
    assert.match(typed.stderr, /New password: [\s\S]*Repeat it: [\s\S]*differ/);
    assert.deepEqual(typed.rawModes, [true, false, true, false]);
    assert.doesNotMatch(typed.stdout + typed.stderr, /secret-/);
    const fixed = io("secret-onx\u007fe\rsecret-one\r", true);
    assert.equal(
      await runAdminCommand(["set-password", "--user", "ops"], {
        dataDir,
        io: fixed,
      }),
      0,
    );
    const db = openTestDatabase(`${dataDir}/defensive.db`);
    assert.equal(
      await verifyPassword(
        "secret-one",
        new SqliteAdminAccounts(db).hash("ops")!,
      ),
      true,
      "backspace edits",
    );
    db.close();
  }));

Deno.test("admin set-password refuses a short password", () =>
  withDataDir(async (dataDir) => {
    const streams = io("short\n");
    assert.equal(
      await runAdminCommand(["set-password"], { dataDir, io: streams }),
      1,
    );
    assert.match(streams.stderr, /at least 8 characters/);
  }));

Deno.test("admin list-clients prints a table, or JSON with --json", () =>
  withDataDir(async (dataDir) => {
    const db = openTestDatabase(`${dataDir}/defensive.db`);
    const id = addClient(db, "alice", { lastSeen: "2024-05-01T10:00:00.000Z" });
    addFile(db, id, "a.txt");
    addClient(db, "bob");
    db.close();
    const table = io("");
    assert.equal(
      await runAdminCommand(["list-clients"], { dataDir, io: table }),
      0,
    );
    const lines = table.stdout.trim().split("\n");
    assert.match(lines[0], /^CLIENT ID\s+NAME\s+FILES\s+VERIFIED\s+LAST SEEN$/);
    assert.match(
      lines[1],
      /^[0-9a-f]{32}\s+alice\s+1\s+1\s+2024-05-01T10:00:00.000Z$/,
    );
    assert.equal(lines.length, 3);
    const json = io("");
    await runAdminCommand(["list-clients", "--json"], {
      dataDir,
      io: json,
    });
    assert.deepEqual(
      JSON.parse(json.stdout).map((c: { name: string }) => c.name),
      ["alice", "bob"],
    );
  }));

Deno.test("an unknown admin command prints the usage and fails", () =>
  withDataDir(async (dataDir) => {
    const streams = io("");
    assert.equal(
      await runAdminCommand(["frobnicate"], { dataDir, io: streams }),
      2,
    );
    assert.match(streams.stderr, /Unknown admin command: frobnicate/);
    assert.match(streams.stderr, /set-password/);
  }));

Deno.test("admin commands take --data-dir, as the usage says", () =>
  withDataDir(async (dataDir) => {
    const streams = io("new-password-123\n");
    const code = await runAdminCommand(
      ["set-password", "--data-dir", dataDir, "--password-stdin"],
      { dataDir: `${dataDir}/not-here`, io: streams },
    );
    assert.equal(code, 0, streams.stderr);
    const db = openTestDatabase(`${dataDir}/defensive.db`);
    assert.ok(new SqliteAdminAccounts(db).hash("admin"));
    db.close();
  }));
