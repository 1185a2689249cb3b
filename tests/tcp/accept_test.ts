import assert from "node:assert/strict";
import { acceptLoop, outOfDescriptors } from "../../server/tcp/accept.ts";

const EMFILE = () => new Error("Too many open files (os error 24)");

Deno.test("acceptLoop() backs off while accept fails with EMFILE and goes on accepting afterwards", async () => {
  const stop = new AbortController();
  const fake = { id: 1 } as unknown as Deno.Conn;
  const results: Array<() => Promise<Deno.Conn>> = [
    () => Promise.reject(EMFILE()),
    () => Promise.reject(EMFILE()),
    () =>
      Promise.reject(new Error("Too many open files in system (os error 23)")),
    () => Promise.resolve(fake),
    () => Promise.reject(EMFILE()),
    () => Promise.resolve(fake),
  ];
  const accepted: Deno.Conn[] = [];
  const pauses: number[] = [];
  await acceptLoop(
    {
      accept: () => {
        const next = results.shift();
        if (!next) {
          stop.abort();
          return Promise.reject(new Deno.errors.BadResource("closed"));
        }
        return next();
      },
    },
    (conn) => accepted.push(conn),
    {
      signal: stop.signal,
      sleep: (ms) => {
        pauses.push(ms);
        return Promise.resolve();
      },
    },
  );
  assert.equal(accepted.length, 2);
  // Doubling pauses, reset once a connection gets through.
  assert.deepEqual(pauses, [10, 20, 40, 10]);
});

Deno.test("acceptLoop() ends without throwing when its listener closes", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const loop = acceptLoop(listener, () => {}, {
    signal: new AbortController().signal,
  });
  listener.close();
  await loop;
});

Deno.test("outOfDescriptors() recognises EMFILE and ENFILE only", () => {
  assert.ok(outOfDescriptors(EMFILE()));
  assert.ok(outOfDescriptors(new Error("os error 23")));
  assert.equal(
    outOfDescriptors(new Error("Connection reset (os error 104)")),
    false,
  );
});
