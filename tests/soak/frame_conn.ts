/**
 * A raw protocol connection for hostile tests: sends any bytes, reads
 * responses with a deadline, and checks every response against the
 * protocol's layouts, so a malformed answer shows up as a server bug.
 * @module
 */
import { ExactReader, writeAll } from "../../server/io/exact_reader.ts";
import { ResponseCode, Size } from "../../server/protocol/constants.ts";

/** Payload size of each response code (1602 / 1605: id + RSA-1024 block). */
const RESPONSE_PAYLOAD: Readonly<Record<number, number>> = {
  [ResponseCode.REGISTER_OK]: Size.CLIENT_ID,
  [ResponseCode.REGISTER_FAILED]: 0,
  [ResponseCode.AES_KEY]: Size.CLIENT_ID + 128,
  [ResponseCode.FILE_RECEIVED]: Size.CLIENT_ID + 4 + Size.NAME + 4,
  [ResponseCode.ACK]: Size.CLIENT_ID,
  [ResponseCode.RECONNECT_OK]: Size.CLIENT_ID + 128,
  [ResponseCode.RECONNECT_REJECTED]: Size.CLIENT_ID,
  [ResponseCode.SERVER_ERROR]: 0,
};

/** What came back from the server. */
export type Answer =
  | { kind: "response"; code: number; payload: Uint8Array }
  /** The server closed the connection cleanly. */
  | { kind: "closed" }
  /** The connection was reset (e.g. we wrote after the server closed). */
  | { kind: "reset" }
  /** Nothing within the deadline; the connection is then closed. */
  | { kind: "timeout" };

/** A response that breaks the protocol's framing or layouts. */
export class MalformedResponse extends Error {
  constructor(message: string) {
    super(`Malformed response: ${message}`);
    this.name = "MalformedResponse";
  }
}

/** One TCP connection to the protocol server. */
export class FrameConn {
  readonly #conn: Deno.Conn;
  readonly #reader: ExactReader;
  #open = true;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.#reader = new ExactReader(conn.readable, { bufferSize: 4096 });
  }

  /** Connects to the server on loopback. */
  static async connect(port: number): Promise<FrameConn> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    return new FrameConn(conn);
  }

  /** False once closed by us, by a timeout or by a failed write. */
  get open(): boolean {
    return this.#open;
  }

  /** Sends bytes; false when the server is no longer there to take them. */
  async write(bytes: Uint8Array): Promise<boolean> {
    if (!this.#open) return false;
    try {
      await writeAll(this.#conn, bytes);
      return true;
    } catch {
      return false;
    }
  }

  /** Ends our side: the server sees end of stream. */
  async closeWrite(): Promise<void> {
    try {
      await this.#conn.closeWrite();
    } catch { /* already gone */ }
  }

  /** The next answer, waiting at most `timeoutMs`. */
  async next(timeoutMs: number): Promise<Answer> {
    if (!this.#open) return { kind: "closed" };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    try {
      const result = await Promise.race([this.#read(), timeout]);
      if (result === "timeout") {
        this.close();
        return { kind: "timeout" };
      }
      return result;
    } finally {
      clearTimeout(timer);
    }
  }

  async #read(): Promise<Answer> {
    let header: Uint8Array | null;
    try {
      header = await this.#reader.read(Size.RESPONSE_HEADER);
    } catch (error) {
      if (error instanceof MalformedResponse) throw error;
      if (error instanceof Error && error.name === "TruncatedError") {
        throw new MalformedResponse("connection closed inside a header");
      }
      return { kind: "reset" };
    }
    if (!header) return { kind: "closed" };
    const view = new DataView(header.buffer, header.byteOffset, 7);
    const version = view.getUint8(0);
    const code = view.getUint16(1, true);
    const size = view.getUint32(3, true);
    if (version !== 3) throw new MalformedResponse(`version ${version}`);
    const expected = RESPONSE_PAYLOAD[code];
    if (expected === undefined) throw new MalformedResponse(`code ${code}`);
    if (size !== expected) {
      throw new MalformedResponse(`${code} with ${size} payload bytes`);
    }
    if (size === 0) {
      return { kind: "response", code, payload: new Uint8Array() };
    }
    try {
      const payload = (await this.#reader.readRequired(size)).slice();
      return { kind: "response", code, payload };
    } catch {
      throw new MalformedResponse(`${code} cut off inside its payload`);
    }
  }

  /** Closes the connection; safe to call twice. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#reader.cancel();
    try {
      this.#conn.close();
    } catch { /* already closed */ }
  }
}
