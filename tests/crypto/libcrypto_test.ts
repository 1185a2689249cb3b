import assert from "node:assert/strict";
import { openLibcrypto } from "../../server/crypto/libcrypto.ts";

Deno.test("openLibcrypto() opens the library once and returns the same bindings", () => {
  const lib = openLibcrypto();
  assert.ok(lib, "libcrypto.so.3 should load with --allow-ffi");
  assert.equal(openLibcrypto(), lib);
  assert.notEqual(lib.EVP_aes_256_cbc(), null);
});

Deno.test("openLibcrypto() returns null when FFI is not granted", async () => {
  const module = new URL("../../server/crypto/libcrypto.ts", import.meta.url);
  const config = new URL("../../deno.json", import.meta.url);
  const script = `import { openLibcrypto } from ${JSON.stringify(module.href)};
    console.log(openLibcrypto() === null);`;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      "--config",
      config.pathname,
      "-",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  assert.equal(new TextDecoder().decode(stdout).trim(), "true");
});
