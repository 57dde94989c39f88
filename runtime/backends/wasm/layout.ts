// The fixed part of a session memory: control words the threads synchronize on, then the step
// table. Every kernel is `(args, tid, threads)`: args points at its i32 argument words in the table.

/** Bytes of the control block at address 0 (the rest of the first page holds nothing). */
export const CONTROL_BYTES = 256;

/** Word addresses (bytes) inside the control block. */
export const CTRL = {
  /** Barrier: threads arrived at the current barrier. */
  count: 0,
  /** Barrier: generation, bumped when the last thread arrives. */
  generation: 4,
  /** Segment dispatch: bumped by the main thread to start a segment; -1 ends the run. */
  go: 64,
  /** First and one-past-last step of the segment to run. */
  first: 68,
  last: 72,
  /** Address of the step table. */
  steps: 76,
} as const;

/** A step record: [kernel table slot, argument count, args…] as i32 words. */
export const STEP_HEADER_WORDS = 2;

/** Threads spin this many times on a barrier before they sleep on it. */
export const SPIN_LIMIT = 1 << 14;

export const PAGE = 65536;
/** Shared memories declare this maximum (4 GiB, the wasm32 limit), so they can grow in place. */
export const MAX_PAGES = 65536;
