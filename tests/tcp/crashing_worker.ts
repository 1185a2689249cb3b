/**
 * The real TCP worker, plus ways to make it fail for tests: once a file
 * `crash-now` appears in its data directory it throws from a timer (an
 * uncaught error, as a bug would), once per data directory; with a file
 * `hang-on-stop` there, a stop request blocks its thread for a minute.
 * @module
 */
/// <reference lib="deno.worker" />
import { join } from "node:path";
import "../../server/tcp/worker.ts";

let dataDir = "";

self.addEventListener("message", (event: MessageEvent) => {
  if (event.data?.type === "stop") {
    try {
      Deno.statSync(join(dataDir, "hang-on-stop"));
    } catch {
      return;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
  }
  if (event.data?.type !== "start") return;
  const dir: string = event.data.config.dataDir;
  dataDir = dir;
  const exists = (name: string) => {
    try {
      Deno.statSync(join(dir, name));
      return true;
    } catch {
      return false;
    }
  };
  if (exists("crashed")) return;
  const timer = setInterval(() => {
    if (!exists("crash-now")) return;
    clearInterval(timer);
    Deno.writeTextFileSync(join(dir, "crashed"), "");
    throw new Error("Worker crashed on purpose");
  }, 20);
});
