import { HiddenMarkupScanner } from './markup.js';

/**
 * Runs a format's parser over bytes as they stream in, holding only the few header bytes it
 * asks to read: the rest is skipped (or looked through for hidden markup) as it passes.
 *
 * A parser is a generator that yields what it needs next and receives it: `yield* read(n)` for
 * n bytes, `yield* skip(n)` to pass over n, `yield* nextMarker()` to pass over JPEG
 * entropy-coded data up to the next marker. It returns what it learnt once the format's end
 * is reached, or throws `Unreadable` when the bytes break the format.
 */
type Need = { kind: 'read'; bytes: number } | { kind: 'skip'; bytes: number; scan: boolean } | { kind: 'marker' };

export type FormatParser<T> = Generator<Need, T, unknown>;

/** The bytes break the format: a wrong signature, a length past the end, a part out of order. */
export class Unreadable extends Error {}

export function* read(bytes: number): Generator<Need, Buffer, unknown> {
  return (yield { kind: 'read', bytes }) as Buffer;
}

/** Passes over `bytes`; with `scan`, they are metadata that must hold no markup. */
export function* skip(bytes: number, scan = false): Generator<Need, void, unknown> {
  if (bytes > 0) yield { kind: 'skip', bytes, scan };
}

/** JPEG: passes over entropy-coded data; the code of the marker that ends it (0xFF 0x00 and restarts are data). */
export function* nextMarker(): Generator<Need, number, unknown> {
  return (yield { kind: 'marker' }) as number;
}

export type ParseOutcome<T> = { state: 'done'; result: T; trailingBytes: number } | { state: 'truncated' } | { state: 'unreadable'; detail: string } | { state: 'hidden-markup' };

export class StreamedParser<T> {
  readonly markup = new HiddenMarkupScanner();
  private need: Need | undefined;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private result: { value: T } | undefined;
  private failure: string | undefined;
  private trailingBytes = 0;
  // JPEG: the last byte passed over was 0xFF, so the next one may be a marker's code.
  private afterFF = false;

  constructor(private readonly parser: FormatParser<T>) {
    this.resume(undefined);
  }

  /** Whether more bytes can change nothing: the parser failed or found markup. */
  get settled(): boolean {
    return this.failure !== undefined || this.markup.found;
  }

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.settled) {
      if (this.result) {
        // After the format's end: counted, and looked through in case the caller allows some.
        this.trailingBytes += chunk.length - at;
        this.markup.push(chunk.subarray(at));
        return;
      }
      const need = this.need!;
      if (need.kind === 'read') {
        const take = Math.min(need.bytes - this.heldBytes, chunk.length - at);
        this.held.push(chunk.subarray(at, at + take));
        this.heldBytes += take;
        at += take;
        if (this.heldBytes === need.bytes) {
          const bytes = Buffer.concat(this.held);
          this.held = [];
          this.heldBytes = 0;
          this.resume(bytes);
        }
      } else if (need.kind === 'skip') {
        const take = Math.min(need.bytes, chunk.length - at);
        if (need.scan) this.markup.push(chunk.subarray(at, at + take));
        at += take;
        need.bytes -= take;
        if (need.bytes === 0) {
          this.markup.reset();
          this.resume(undefined);
        }
      } else {
        at = this.passEntropyCodedData(chunk, at);
      }
    }
  }

  finish(): ParseOutcome<T> {
    if (this.markup.found) return { state: 'hidden-markup' };
    if (this.failure !== undefined) return { state: 'unreadable', detail: this.failure };
    if (!this.result) return { state: 'truncated' };
    return { state: 'done', result: this.result.value, trailingBytes: this.trailingBytes };
  }

  private passEntropyCodedData(chunk: Buffer, from: number): number {
    let at = from;
    while (at < chunk.length) {
      if (!this.afterFF) {
        const ff = chunk.indexOf(0xff, at);
        if (ff === -1) return chunk.length;
        at = ff + 1;
        this.afterFF = true;
        continue;
      }
      const code = chunk[at]!;
      at += 1;
      // 0xFF 0x00 is a stuffed data byte, 0xD0-0xD7 restart markers, 0xFF fill before a marker.
      if (code === 0xff) continue;
      this.afterFF = false;
      if (code === 0x00 || (code >= 0xd0 && code <= 0xd7)) continue;
      this.resume(code);
      return at;
    }
    return at;
  }

  private resume(value: unknown): void {
    try {
      const step = this.parser.next(value);
      if (step.done) {
        this.result = { value: step.value };
        this.markup.reset();
      } else {
        this.need = { ...step.value };
      }
    } catch (error) {
      if (!(error instanceof Unreadable)) throw error;
      this.failure = error.message;
    }
  }
}
