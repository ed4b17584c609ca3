/**
 * Maps token strings to dense ids (0, 1, 2, … in order of first sight) without allocating a
 * string for tokens already seen: lookups hash a range of the source text in place.
 */

const EMPTY = -1;

export class TokenInterner {
  private readonly tokens: string[] = [];
  private hashes: Int32Array = new Int32Array(0);
  private slots = new Int32Array(1 << 16).fill(EMPTY);
  private mask = this.slots.length - 1;

  get size(): number {
    return this.tokens.length;
  }

  token(id: number): string {
    return this.tokens[id];
  }

  /** Id of `source.slice(start, end)`, added when new. */
  intern(source: string, start: number, end: number): number {
    const hash = hashRange(source, start, end);
    const { slots, hashes, tokens, mask } = this;
    let slot = hash & mask;
    for (;;) {
      const id = slots[slot];
      if (id === EMPTY) return this.add(source.slice(start, end), hash, slot);
      if (hashes[id] === hash && equalsRange(tokens[id], source, start, end)) return id;
      slot = (slot + 1) & mask;
    }
  }

  private add(token: string, hash: number, slot: number): number {
    const id = this.tokens.length;
    this.tokens.push(token);
    if (id >= this.hashes.length) this.hashes = grow(this.hashes, Math.max(1024, id * 2));
    this.hashes[id] = hash;
    this.slots[slot] = id;
    // Keep the load factor under one half so that probes stay short.
    if (this.tokens.length * 2 > this.slots.length) this.rehash();
    return id;
  }

  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 2).fill(EMPTY);
    this.mask = this.slots.length - 1;
    for (let id = 0; id < this.tokens.length; id++) {
      let slot = this.hashes[id] & this.mask;
      while (this.slots[slot] !== EMPTY) slot = (slot + 1) & this.mask;
      this.slots[slot] = id;
    }
  }
}

/** FNV-1a over UTF-16 code units. */
function hashRange(source: string, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ source.charCodeAt(i), 0x01000193);
  return hash;
}

function equalsRange(token: string, source: string, start: number, end: number): boolean {
  if (token.length !== end - start) return false;
  for (let i = 0; i < token.length; i++) if (token.charCodeAt(i) !== source.charCodeAt(start + i)) return false;
  return true;
}

function grow(array: Int32Array, length: number): Int32Array {
  const grown = new Int32Array(length);
  grown.set(array);
  return grown;
}
