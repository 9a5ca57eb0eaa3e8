/**
 * The simulator's event queue: a binary min-heap of (time, key, sequence number, payload)
 * in typed arrays. Events at the same time leave by their key (the caller's tie-break,
 * 0 unless given), then in the order they were pushed, so a run never depends on the
 * heap's internal layout.
 */
export class EventHeap {
  private times: Float64Array;
  private keys: Float64Array;
  private seqs: Float64Array;
  private ids: Int32Array;
  private n = 0;
  private nextSeq = 0;

  constructor(capacity = 1024) {
    this.times = new Float64Array(capacity);
    this.keys = new Float64Array(capacity);
    this.seqs = new Float64Array(capacity);
    this.ids = new Int32Array(capacity);
  }

  get size(): number {
    return this.n;
  }

  /** Time of the earliest event; +Infinity when empty. */
  peekTime(): number {
    return this.n > 0 ? this.times[0] : Infinity;
  }

  clear(): void {
    this.n = 0;
    this.nextSeq = 0;
  }

  /** Whether slot i leaves before an event (t, k, s). */
  private before(i: number, t: number, k: number, s: number): boolean {
    const ti = this.times[i];
    if (ti !== t) return ti < t;
    const ki = this.keys[i];
    return ki !== k ? ki < k : this.seqs[i] < s;
  }

  private put(i: number, t: number, k: number, s: number, id: number): void {
    this.times[i] = t;
    this.keys[i] = k;
    this.seqs[i] = s;
    this.ids[i] = id;
  }

  private move(to: number, from: number): void {
    this.put(to, this.times[from], this.keys[from], this.seqs[from], this.ids[from]);
  }

  push(time: number, id: number, key = 0): void {
    if (this.n === this.times.length) this.grow();
    const seq = this.nextSeq++;
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.before(p, time, key, seq)) break;
      this.move(i, p);
      i = p;
    }
    this.put(i, time, key, seq, id);
  }

  /** Removes the earliest event and returns its payload (call only when size > 0). */
  pop(): number {
    const top = this.ids[0];
    const n = --this.n;
    if (n === 0) return top;
    const t = this.times[n];
    const k = this.keys[n];
    const s = this.seqs[n];
    const id = this.ids[n];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const r = c + 1;
      if (r < n && this.before(r, this.times[c], this.keys[c], this.seqs[c])) c = r;
      if (!this.before(c, t, k, s)) break;
      this.move(i, c);
      i = c;
    }
    this.put(i, t, k, s, id);
    return top;
  }

  private grow(): void {
    const cap = this.times.length * 2;
    const grown = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.times = grown(this.times);
    this.keys = grown(this.keys);
    this.seqs = grown(this.seqs);
    const d = new Int32Array(cap);
    d.set(this.ids);
    this.ids = d;
  }
}
