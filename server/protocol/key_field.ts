/**
 * The 1026 key field: where the DER key is inside it, and which of the
 * three forms clients send it in (`docs/protocol.md`, "Dialects"). Pure:
 * reads only the outer DER length; the key itself is checked by
 * `parsePublicKey()`.
 * @module
 */
import { Size } from "./constants.ts";
import { ProtocolError } from "./messages.ts";

/**
 * How a client sends its key:
 * - `"160"`: a 160-byte field holding a 160-byte SPKI (e = 17), as specified;
 * - `"162-junk"`: a 162-byte field holding that SPKI and 2 junk bytes;
 * - `"162"`: a 162-byte field holding a 162-byte SPKI (e = 65537).
 */
export type KeyFieldForm = "160" | "162-junk" | "162";

/** Total length of the DER element opening `bytes` (tag, length, value). */
function derLength(bytes: Uint8Array): number {
  if (bytes[0] !== 0x30) {
    throw new ProtocolError(
      "Cannot parse public key: the key field does not open with a DER SEQUENCE",
    );
  }
  const first = bytes[1];
  if (first < 0x80) return 2 + first;
  if (first === 0x81) return 3 + bytes[2];
  if (first === 0x82) return 4 + ((bytes[2] << 8) | bytes[3]);
  throw new ProtocolError(
    `Cannot parse public key: DER length form 0x${
      first.toString(16)
    } is not one a 1024-bit key uses`,
  );
}

/**
 * Finds the DER SubjectPublicKeyInfo in a 160- or 162-byte key field.
 * The SPKI must fill the field exactly, except that a 162-byte field may
 * hold a 160-byte SPKI followed by 2 bytes, which are ignored (the classic
 * C++ client sends uninitialised memory there). Throws ProtocolError for
 * any other field. `der` is a view into `field`.
 */
export function splitKeyField(
  field: Uint8Array,
): { der: Uint8Array; form: KeyFieldForm } {
  const declared = derLength(field);
  if (field.length === Size.PUBLIC_KEY && declared === Size.PUBLIC_KEY) {
    return { der: field, form: "160" };
  }
  if (field.length === Size.PUBLIC_KEY_LONG) {
    if (declared === Size.PUBLIC_KEY_LONG) return { der: field, form: "162" };
    if (declared === Size.PUBLIC_KEY) {
      return { der: field.subarray(0, Size.PUBLIC_KEY), form: "162-junk" };
    }
  }
  throw new ProtocolError(
    `Cannot parse public key: a ${declared}-byte DER key does not fit a ${field.length}-byte key field`,
  );
}
