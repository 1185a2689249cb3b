/**
 * The storage layer's vocabulary, shared by every backend and its callers:
 * one type per table row and per column with fixed values.
 * @module
 */

/** Every value of the `Outcome` column of `transfers`, in display order. */
export const TRANSFER_OUTCOMES = [
  "in_progress",
  "verified",
  "failed",
  "aborted",
  "interrupted",
] as const;

/** The `Outcome` column of `transfers`. */
export type TransferOutcome = typeof TRANSFER_OUTCOMES[number];
