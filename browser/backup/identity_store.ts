/**
 * The identity saved in this browser, in IndexedDB (origin-scoped, survives
 * reloads; unlike localStorage it stores the key bytes as they are). One
 * identity per browser profile and origin.
 * @module
 */
import type { Identity } from "./me_info.ts";

const DB_NAME = "cyberbackup";
const STORE = "identity";
const KEY = "current";

interface Stored {
  name: string;
  clientId: string;
  privateKey: ArrayBuffer;
  savedAt: string;
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () =>
      reject(
        new Error(
          `Cannot open this browser's storage: ${request.error?.message}`,
        ),
      );
  });
}

async function run<T>(
  mode: IDBTransactionMode,
  action: (store: IDBObjectStore) => IDBRequest,
): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = action(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result as T);
      tx.onerror = () =>
        reject(
          new Error(`Cannot use this browser's storage: ${tx.error?.message}`),
        );
    });
  } finally {
    db.close();
  }
}

/** The saved identity, or undefined when there is none. */
export async function loadIdentity(): Promise<Identity | undefined> {
  const stored = await run<Stored | undefined>(
    "readonly",
    (store) => store.get(KEY),
  );
  if (!stored) return undefined;
  return {
    name: stored.name,
    clientId: stored.clientId,
    privateKey: new Uint8Array(stored.privateKey),
  };
}

/** Saves `identity`, replacing any other. */
export async function saveIdentity(identity: Identity): Promise<void> {
  const stored: Stored = {
    name: identity.name,
    clientId: identity.clientId,
    privateKey: identity.privateKey.slice().buffer,
    savedAt: new Date().toISOString(),
  };
  await run("readwrite", (store) => store.put(stored, KEY));
}

/** Forgets the saved identity. */
export async function deleteIdentity(): Promise<void> {
  await run("readwrite", (store) => store.delete(KEY));
}
