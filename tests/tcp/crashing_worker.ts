/**
 * The real TCP worker, plus a way to make it die for tests: once a file
 * `crash-now` appears in its data directory it throws from a timer (an
 * uncaught error, as a bug would), once per data directory.
 * @module
 */
/// <reference lib="deno.worker" />
import { join } from "node:path";
import "../../server/tcp/worker.ts";

self.addEventListener("message", (event: MessageEvent) => {
  if (event.data?.type !== "start") return;
  const dir: string = event.data.config.dataDir;
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
