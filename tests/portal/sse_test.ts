import assert from "node:assert/strict";
import { LiveStreams } from "../../server/portal/sse.ts";
import { makeFixture, TestBrowser } from "./fixture.ts";

/** Reads SSE events from a response body until `count` have arrived. */
async function readEvents(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  count: number,
) {
  const decoder = new TextDecoder();
  const events: { event: string; data: string }[] = [];
  let buffer = "";
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = block.match(/^event: (.*)$/m)?.[1] ?? "message";
      const data = [...block.matchAll(/^data: (.*)$/gm)].map((m) => m[1]).join(
        "\n",
      );
      if (data) events.push({ event, data });
    }
  }
  return events;
}

async function until(check: () => boolean, ms = 2000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("Timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("the stats stream sends a snapshot at once and another after a change, and stops when the browser leaves", async () => {
  const streams = new LiveStreams();
  const f = await makeFixture({ streams });
  try {
    const browser = new TestBrowser(f.app);
    await browser.signIn();
    const response = await browser.request("/events/stats");
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    const reader = response.body!.getReader();
    const [first] = await readEvents(reader, 1);
    assert.equal(first.event, "stats");
    assert.equal(JSON.parse(first.data).connections.active, 0);
    f.stats.apply({ type: "connect", conn: "x", remote: "1.1.1.1:1" });
    const [second] = await readEvents(reader, 1);
    assert.equal(JSON.parse(second.data).connections.active, 1);
    assert.equal(streams.size, 1);
    await reader.cancel();
    await until(() => streams.size === 0);
  } finally {
    streams.shutdown();
    await f.close();
  }
});

Deno.test("closeAll ends open streams, and shutdown refuses new ones", async () => {
  const streams = new LiveStreams();
  const f = await makeFixture({ streams });
  try {
    const browser = new TestBrowser(f.app);
    await browser.signIn();
    const response = await browser.request("/events/stats");
    const reader = response.body!.getReader();
    await readEvents(reader, 1);
    streams.closeAll();
    for (;;) if ((await reader.read()).done) break;
    await until(() => streams.size === 0);
    streams.shutdown();
    assert.equal((await browser.request("/events/stats")).status, 503);
  } finally {
    await f.close();
  }
});

Deno.test("the log stream sends the backlog at the chosen level, then new records", async () => {
  const streams = new LiveStreams();
  const f = await makeFixture({ streams });
  const push = (level: "debug" | "info" | "error", text: string) =>
    f.logs.push({
      category: ["cyberbackup"],
      level,
      message: [text],
      rawMessage: text,
      timestamp: Date.now(),
      properties: {},
    });
  try {
    push("debug", "noise");
    push("info", "hello");
    const browser = new TestBrowser(f.app);
    await browser.signIn();
    const response = await browser.request("/events/logs?level=info");
    const reader = response.body!.getReader();
    const [backlog] = await readEvents(reader, 1);
    assert.equal(backlog.event, "backlog");
    assert.deepEqual(
      JSON.parse(backlog.data).map((e: { message: string }) => e.message),
      ["hello"],
    );
    push("debug", "more noise");
    push("error", "disk full");
    const [next] = await readEvents(reader, 1);
    assert.equal(next.event, "log");
    assert.equal(JSON.parse(next.data).message, "disk full");
    await reader.cancel();
    await until(() => streams.size === 0);
  } finally {
    streams.shutdown();
    await f.close();
  }
});
