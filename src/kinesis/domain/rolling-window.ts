/**
 * Per-stream limits that AWS counts over a rolling 24 hours (documented defaults): UpdateShardCount
 * scalings (§3.13), encryption key changes and disables (§3.16), capacity-mode switches (§3.23).
 * A stream keeps the times of its recent changes in its metadata, so every node sees them.
 */
export const ROLLING_WINDOW_MS = 24 * 3_600_000;

/** The times still inside the window, to keep in the stream's metadata. */
export const withinWindow = (times: number[] | undefined, now: number): number[] => (times ?? []).filter((t) => now - t < ROLLING_WINDOW_MS);
