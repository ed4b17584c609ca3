/**
 * A hash map from tokens to int32 values (≥ 0) that takes a token as a range of a source text and
 * its hash (see `token-hash.ts`), so that looking up a token already stored allocates nothing and
 * compares it in place with the code units kept for it.
 */
import { grownCopy } from './typed-arrays.js';

const ABSENT = -1;
/** Int32 per slot: its token's hash, its value (ABSENT when free), where its code units start in `chars`, their count. */
const SLOT = 4;

export class TokenMap {
  /** All that a probe reads sits in its slot's 16 bytes: a lookup touches two cache lines, not four. */
  private slots = new Int32Array(SLOT << 16).fill(ABSENT);
  private mask = (1 << 16) - 1;
  private count = 0;
  /** The tokens' code units, one token after the other. */
  private chars = new Uint16Array(1 << 18);
  private charsUsed = 0;

  get size(): number {
    return this.count;
  }

  /** The value of `source.slice(start, end)`, whose `hashRange` is `hash`, or −1 when it has none. */
  get(source: string, start: number, end: number, hash: number): number {
    const { slots, mask } = this;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const at = SLOT * slot;
      const value = slots[at + 1];
      if (value === ABSENT) return ABSENT;
      if (slots[at] === hash && slots[at + 3] === end - start && this.equals(slots[at + 2], source, start, end)) return value;
    }
  }

  /** Gives the token, which `get` has just found without a value, the value `value`. */
  set(source: string, start: number, end: number, hash: number, value: number): void {
    const length = end - start;
    if (this.charsUsed + length > this.chars.length) this.chars = grownCopy(this.chars, this.charsUsed + length);
    for (let i = 0; i < length; i++) this.chars[this.charsUsed + i] = source.charCodeAt(start + i);
    this.place(hash, value, this.charsUsed, length);
    this.charsUsed += length;
    this.count++;
    // Keep the load factor under one half so that probes stay short.
    if (this.count * 2 > this.mask + 1) this.rehash();
  }

  private place(hash: number, value: number, charsStart: number, length: number): void {
    const { slots, mask } = this;
    let slot = hash & mask;
    while (slots[SLOT * slot + 1] !== ABSENT) slot = (slot + 1) & mask;
    const at = SLOT * slot;
    slots[at] = hash;
    slots[at + 1] = value;
    slots[at + 2] = charsStart;
    slots[at + 3] = length;
  }

  private equals(at: number, source: string, start: number, end: number): boolean {
    const { chars } = this;
    for (let i = start; i < end; i++, at++) if (chars[at] !== source.charCodeAt(i)) return false;
    return true;
  }

  private rehash(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2).fill(ABSENT);
    this.mask = this.slots.length / SLOT - 1;
    for (let at = 0; at < old.length; at += SLOT) {
      if (old[at + 1] !== ABSENT) this.place(old[at], old[at + 1], old[at + 2], old[at + 3]);
    }
  }
}
