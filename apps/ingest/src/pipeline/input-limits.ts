/** Limits on what an ingest input may hold (configurable: a clinical feed has its own sizes). */
export interface InputLimits {
  /** Longest line (or raw-topic message) in bytes; longer ones are rejected `line_too_long`. */
  maxLineBytes: number;
  /** Largest request body in bytes; a larger one ends the run `body_too_large` (HTTP 413). */
  maxBodyBytes: number;
}

/** `LINKAGE_INGEST_MAX_LINE_BYTES` (default 1 MiB), `LINKAGE_INGEST_MAX_BODY_BYTES` (default 1 GiB). */
export function inputLimits(env: NodeJS.ProcessEnv = process.env): InputLimits {
  return {
    maxLineBytes: positive(env.LINKAGE_INGEST_MAX_LINE_BYTES, 1 << 20),
    maxBodyBytes: positive(env.LINKAGE_INGEST_MAX_BODY_BYTES, 1 << 30),
  };
}

function positive(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && Number.isFinite(n) && n > 0 ? Math.floor(n) : fallback;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * One line's bytes as text: a leading byte-order mark dropped (TextDecoder does that), bytes
 * that are not UTF-8 refused rather than replaced (a replaced character would be stored as if
 * the source had sent it).
 */
export function decodeLine(bytes: Uint8Array): { ok: true; text: string } | { ok: false } {
  try {
    return { ok: true, text: utf8.decode(bytes) };
  } catch {
    return { ok: false };
  }
}
