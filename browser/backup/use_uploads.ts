/**
 * The upload queue of the page: files are added by choosing or dropping
 * them and uploaded one after the other through the identity's session,
 * each with its phase, progress and outcome.
 * @module
 */
import { useCallback, useRef, useState } from "preact/hooks";
import { encryptedSize } from "../../server/protocol/packet_plan.ts";
import type { ApiInfo } from "./api.ts";
import type { Connection } from "./connection.ts";
import { protocolFileName } from "./file_name.ts";
import {
  type Phase,
  UploadError,
  uploadFile,
  type UploadProgress,
} from "./uploader.ts";

/** One file on the page. */
export interface UploadItem {
  id: number;
  file: File;
  /** The name the server stores it under. */
  name: string;
  progress: UploadProgress;
  message?: string;
  checksum?: number;
  /** The phase a failed upload was in. */
  failedIn?: Phase;
}

/** What the upload panel renders and calls. */
export interface Uploads {
  items: UploadItem[];
  add(files: Iterable<File>): void;
  clearFinished(): void;
}

let nextId = 1;

/** The queue; `onFinished` runs after each file ends (to refresh the history). */
export function useUploads(
  connection: Connection | undefined,
  info: ApiInfo | undefined,
  onFinished: () => void,
): Uploads {
  const [items, setItems] = useState<UploadItem[]>([]);
  const queue = useRef<UploadItem[]>([]);
  const running = useRef(false);
  const current = useRef({ connection, info, onFinished });
  current.current = { connection, info, onFinished };

  const update = (id: number, patch: Partial<UploadItem>) =>
    setItems((list) =>
      list.map((item) => item.id === id ? { ...item, ...patch } : item)
    );

  const run = async (item: UploadItem) => {
    const { connection, info } = current.current;
    if (!connection || !info) {
      update(item.id, {
        progress: { ...item.progress, phase: "failed" },
        failedIn: "connect",
        message: "Not connected to the server.",
      });
      return;
    }
    try {
      const received = await uploadFile(item.file, item.name, {
        connection,
        info,
        onProgress: (progress) => update(item.id, { progress }),
      });
      update(item.id, { checksum: received.checksum });
    } catch (error) {
      const message = error instanceof UploadError
        ? error.message
        : `Cannot upload: ${(error as Error).message}`;
      setItems((list) =>
        list.map((entry) =>
          entry.id === item.id
            ? {
              ...entry,
              progress: { ...entry.progress, phase: "failed" },
              failedIn: entry.progress.phase,
              message,
            }
            : entry
        )
      );
    } finally {
      current.current.onFinished();
    }
  };

  const pump = async () => {
    if (running.current) return;
    running.current = true;
    try {
      while (queue.current.length > 0) await run(queue.current.shift()!);
    } finally {
      running.current = false;
    }
  };

  const add = useCallback((files: Iterable<File>) => {
    const added: UploadItem[] = [];
    for (const file of files) {
      added.push({
        id: nextId++,
        file,
        name: protocolFileName(file.name),
        progress: {
          phase: "queued",
          bytes: 0,
          total: encryptedSize(file.size),
          rate: 0,
          attempt: 1,
        },
      });
    }
    if (added.length === 0) return;
    setItems((list) => [...list, ...added]);
    queue.current.push(...added);
    void pump();
  }, []);

  const clearFinished = useCallback(() => {
    setItems((list) =>
      list.filter((item) =>
        item.progress.phase !== "verified" && item.progress.phase !== "failed"
      )
    );
  }, []);

  return { items, add, clearFinished };
}
