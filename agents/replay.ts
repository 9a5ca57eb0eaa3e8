/**
 * Replay buffer for off-policy agents (SB3's ReplayBuffer with
 * handle_timeout_termination): a ring of typed arrays, no per-sample allocation.
 *
 * `done` holds *terminated* only: a time-limit truncation is stored with done = 0 and
 * its real final observation as `nextObs`, so the TD target bootstraps through it.
 * Storage grows by doubling up to `capacity`, so a 1e6 buffer used for 20k steps costs
 * 20k rows of memory.
 */
import { Rng } from "../flash/rng.js";
import { ShapeError, ValueError, assertFinite } from "../flash/errors.js";
import { checkPositiveInt } from "./checks.js";

/** A sampled minibatch. The arrays are reused by the next `sample` call of the same size. */
export interface ReplayBatch {
  size: number;
  obs: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  nextObs: Float32Array;
  dones: Float32Array;
  ctx: Int32Array;
}

export class ReplayBuffer {
  private obs: Float32Array;
  private nextObs: Float32Array;
  private actions: Float32Array;
  private rewards: Float32Array;
  private dones: Float32Array;
  private ctx: Int32Array;
  private allocated: number;
  private pos = 0;
  private full = false;
  private batch: ReplayBatch | undefined;

  constructor(
    readonly capacity: number,
    readonly obsDim: number,
    readonly actionDim: number,
  ) {
    checkPositiveInt("replay buffer_size", capacity);
    checkPositiveInt("replay obsDim", obsDim);
    checkPositiveInt("replay actionDim", actionDim);
    this.allocated = Math.min(capacity, 4096);
    this.obs = new Float32Array(this.allocated * obsDim);
    this.nextObs = new Float32Array(this.allocated * obsDim);
    this.actions = new Float32Array(this.allocated * actionDim);
    this.rewards = new Float32Array(this.allocated);
    this.dones = new Float32Array(this.allocated);
    this.ctx = new Int32Array(this.allocated);
  }

  /** Number of stored transitions. */
  get size(): number {
    return this.full ? this.capacity : this.pos;
  }

  private grow(): void {
    const n = Math.min(this.capacity, this.allocated * 2);
    const re = <T extends Float32Array | Int32Array>(a: T, w: number): T => {
      const b = new (a.constructor as new (n: number) => T)(n * w);
      b.set(a);
      return b;
    };
    this.obs = re(this.obs, this.obsDim);
    this.nextObs = re(this.nextObs, this.obsDim);
    this.actions = re(this.actions, this.actionDim);
    this.rewards = re(this.rewards, 1);
    this.dones = re(this.dones, 1);
    this.ctx = re(this.ctx, 1);
    this.allocated = n;
  }

  /** Store one transition; `terminated` true means no bootstrap from `nextObs`. */
  add(obs: ArrayLike<number>, nextObs: ArrayLike<number>, action: ArrayLike<number>, reward: number, terminated: boolean, ctx = 0): void {
    if (obs.length !== this.obsDim) throw new ShapeError("replay obs", `${this.obsDim} numbers`, String(obs.length));
    if (nextObs.length !== this.obsDim) throw new ShapeError("replay nextObs", `${this.obsDim} numbers`, String(nextObs.length));
    if (action.length !== this.actionDim) throw new ShapeError("replay action", `${this.actionDim} numbers`, String(action.length));
    if (!Number.isFinite(reward)) throw new ValueError(`replay reward: expected a finite number, got ${reward}`);
    assertFinite("replay obs", obs);
    assertFinite("replay nextObs", nextObs);
    assertFinite("replay action", action);
    if (!this.full && this.pos >= this.allocated) this.grow();
    const i = this.pos;
    this.obs.set(obs, i * this.obsDim);
    this.nextObs.set(nextObs, i * this.obsDim);
    this.actions.set(action, i * this.actionDim);
    this.rewards[i] = reward;
    this.dones[i] = terminated ? 1 : 0;
    this.ctx[i] = ctx;
    this.pos++;
    if (this.pos === this.capacity) {
      this.full = true;
      this.pos = 0;
    }
  }

  /** Uniform sample with replacement (as SB3), indices from `rng`. */
  sample(batchSize: number, rng: Rng): ReplayBatch {
    const n = this.size;
    if (n === 0) throw new ValueError("replay buffer is empty: cannot sample");
    if (!this.batch || this.batch.size !== batchSize) {
      this.batch = {
        size: batchSize,
        obs: new Float32Array(batchSize * this.obsDim),
        actions: new Float32Array(batchSize * this.actionDim),
        rewards: new Float32Array(batchSize),
        nextObs: new Float32Array(batchSize * this.obsDim),
        dones: new Float32Array(batchSize),
        ctx: new Int32Array(batchSize),
      };
    }
    const b = this.batch;
    const od = this.obsDim;
    const ad = this.actionDim;
    for (let k = 0; k < batchSize; k++) {
      const i = Math.floor(rng.next() * n);
      b.obs.set(this.obs.subarray(i * od, (i + 1) * od), k * od);
      b.nextObs.set(this.nextObs.subarray(i * od, (i + 1) * od), k * od);
      b.actions.set(this.actions.subarray(i * ad, (i + 1) * ad), k * ad);
      b.rewards[k] = this.rewards[i];
      b.dones[k] = this.dones[i];
      b.ctx[k] = this.ctx[i];
    }
    return b;
  }
}
