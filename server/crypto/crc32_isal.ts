/**
 * The CRC-32 update of POSIX `cksum` through Intel's ISA-L (`libisal`,
 * Debian package libisal2), whose `crc32_ieee` is this very CRC, MSB-first,
 * folded with carry-less multiplication: tens of GB/s where the
 * WebAssembly table walk of `crc32_wasm.ts` does about 2. Optional: null
 * when the library or FFI is unavailable, and `cksum.ts` falls back.
 * @module
 */
import { openOptionalLibrary } from "./ffi.ts";

/** Names tried in order. */
export const LIBISAL_NAMES = ["libisal.so.2", "libisal.so"] as const;

const SYMBOLS = {
  // (init_crc, buf, len) -> crc; complements on the way in and out.
  crc32_ieee: { parameters: ["u32", "buffer", "u64"], result: "u32" },
} as const satisfies Deno.ForeignLibraryInterface;

/**
 * An update function with the contract of `updateJs` (crc32.ts): the raw
 * register in, the register after `bytes` out. Null without ISA-L.
 */
export function createIsalUpdate():
  | ((crc: number, bytes: Uint8Array) => number)
  | null {
  const isal = openOptionalLibrary(LIBISAL_NAMES, SYMBOLS, "cksum");
  if (!isal) return null;
  // crc32_ieee complements its input and output (IEEE 802.3); cksum's
  // register starts at 0 and is complemented only at the very end.
  return (crc, bytes) =>
    ~isal.crc32_ieee(~crc >>> 0, bytes, BigInt(bytes.length));
}
