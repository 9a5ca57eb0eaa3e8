/**
 * The five predictors of the RCS case study, trained on a set of workloads and applied
 * to queries (envs/rcs/features.ts): every predictor reads only a Query, i.e. the base
 * measurements and the targets' configurations.
 *
 *   naive           time at target = time at the nearest base (ratio 1)
 *   sizeless        the Sizeless MLP (agents/sizeless.ts, Table 6) on base features + target configuration
 *   tl              sizeless fine-tuned on the new workload's labelled base pairs (none at 1-shot: = sizeless)
 *   flash           the same MLP with the FLASH embedding of the workload's base context appended (SLModel),
 *                   meta learner pretrained with the MLP's MAPE loss, then frozen; adaptation by embedding only
 *   flash_finetune  flash, then the MLP fine-tuned on the labelled base pairs (embedding frozen)
 *
 * and, after `enableControls`, the controls of experiments/rcs/controls.ts (oracle,
 * oracle_curve, oracle_context, shuffled, zero), which are not predictors a user could run:
 * oracle and oracle_curve read the workload's measurements at every configuration.
 */
import * as tf from "@tensorflow/tfjs";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SizelessRegressor, type SizelessConfig } from "../../agents/sizeless.js";
import type { ExtraInput } from "../../agents/extra.js";
import { SqliteBuffer } from "../../flash/buffer/sqlite.js";
import { FlashModel, SLModel } from "../../flash/models.js";
import { Rng } from "../../flash/rng.js";
import { StateError } from "../../errors.js";
import {
  basePairRows,
  chooseBases,
  compactContextRows,
  compactContextWidth,
  contextRows,
  FeatureScaler,
  featureNames,
  makeQuery,
  queryRows,
  type Query,
  type RcsDataset,
  type RcsWorkload,
  type TargetConfig,
  type WorkloadOracle,
  RcsDataError,
} from "../../envs/rcs/index.js";
import { CONTROLS, curveParameters, shuffledPartner, VectorBank, type Control, type PairRecord } from "./controls.js";

const ORACLE_KINDS = ["oracle", "oracle_curve", "oracle_context"] as const;
type OracleKind = (typeof ORACLE_KINDS)[number];

export const METHODS = ["naive", "sizeless", "tl", "flash", "flash_finetune"] as const;
export type Method = (typeof METHODS)[number];
/** A method or a control: anything `RcsModels.predict` answers for. */
export type Predictor = Method | Control;

export interface RcsModelConfig {
  /** Sizeless MLP (defaults: Table 6). */
  mlp: Partial<SizelessConfig>;
  /** Base sets drawn per training workload (each gives one FLASH pair and its target rows). */
  baseSetsPerWorkload: number;
  /** At most this many targets per training base set (multi-cloud has ~80 configurations). */
  targetsPerBaseSet: number;
  /** Shot counts the training base sets cycle through. */
  trainShots: number[];
  /** Fine-tuning epochs of tl and flash_finetune (each epoch is one step on 2-6 samples). */
  finetuneEpochs: number;
  /** Meta learner sizes (paper: hidden 256, 2 layers, embedding 32). */
  encoder: { hidden: number; layers: number; fcHidden: number; embeddingDim: number };
  /** Context labels (log2 ratios between bases) divided by their training std ("std") or as is ("none", default). */
  contextLabels?: "none" | "std";
  /** Meta learner context rows: "full" (contextRows, default) or "compact" (compactContextRows). */
  context?: "full" | "compact";
  /** The embedding is multiplied by this before the MLP reads it (default 1). */
  embeddingScale?: number;
  seed: number;
}

export const FULL_MODEL_CONFIG: RcsModelConfig = {
  mlp: { epochs: 200 },
  baseSetsPerWorkload: 8,
  targetsPerBaseSet: 16,
  trainShots: [1, 2, 3],
  finetuneEpochs: 30,
  encoder: { hidden: 256, layers: 2, fcHidden: 64, embeddingDim: 32 },
  seed: 0,
};

export const QUICK_MODEL_CONFIG: RcsModelConfig = {
  mlp: { epochs: 20, batchSize: 64 },
  baseSetsPerWorkload: 4,
  targetsPerBaseSet: 8,
  trainShots: [1, 2, 3],
  finetuneEpochs: 10,
  encoder: { hidden: 32, layers: 1, fcHidden: 32, embeddingDim: 16 },
  seed: 0,
};

/** ctx id -> pair id, so the MLP's loss can ask the meta learner for a batch's embeddings; ctx id -1 reads the zero vector. */
class PairEmbedding implements ExtraInput {
  readonly dim: number;
  readonly pairs: string[] = [];
  constructor(
    readonly flash: SLModel,
    readonly scale = 1,
  ) {
    this.dim = flash.embeddingDim;
  }
  add(pair: string): number {
    this.pairs.push(pair);
    return this.pairs.length - 1;
  }
  compute(_obs: tf.Tensor2D, ctx: Int32Array): tf.Tensor2D {
    if (ctx.every((i) => i === ZERO_EMBEDDING)) return tf.zeros([ctx.length, this.dim]);
    const e = this.flash.embed(Array.from(ctx, (i) => this.pairs[i === ZERO_EMBEDDING ? 0 : i]));
    const scaled: tf.Tensor2D = this.scale === 1 ? e : tf.mul(e, this.scale);
    if (!ctx.includes(ZERO_EMBEDDING)) return scaled;
    return tf.mul(
      scaled,
      tf.tensor2d(
        Float32Array.from(ctx, (i) => (i === ZERO_EMBEDDING ? 0 : 1)),
        [ctx.length, 1],
      ),
    );
  }
  trainableVariables(): tf.Variable[] {
    return this.flash.trainableVariables();
  }
}

/** The context id that reads the zero vector in place of an embedding (the zero control). */
const ZERO_EMBEDDING = -1;

/** An MLP reading an oracle vector (controls.ts): its vectors, their scaling and the model. */
interface OracleModel {
  bank: VectorBank;
  scaler: FeatureScaler;
  reg: SizelessRegressor;
}

let modelCounter = 0;
const MODEL_FORMAT = "flash-adapt-rcs-model-1";

export interface TrainingReport {
  rows: number;
  pairs: number;
  /** Training MAPE (fraction) of each method on its own training rows (the oracles' with controls enabled). */
  trainMape: Record<"naive" | "sizeless" | "flash", number> & Partial<Record<OracleKind, number>>;
  seconds: { sizeless: number; flash: number };
}

/** Draw the training rows: per workload, base sets of the configured shot counts and their targets. */
export function trainingQueries(workloads: readonly RcsWorkload[], cfg: RcsModelConfig, rng: Rng): { query: Query; truth: number[] }[] {
  const out: { query: Query; truth: number[] }[] = [];
  for (const w of workloads) {
    for (let k = 0; k < cfg.baseSetsPerWorkload; k++) {
      const X = cfg.trainShots[k % cfg.trainShots.length];
      if (w.points.length < X + 1) continue;
      const bases = chooseBases(w, X, rng);
      const others = w.points.map((p) => p.key).filter((key) => !bases.includes(key));
      const targets = rng.shuffle(others).slice(0, cfg.targetsPerBaseSet);
      out.push(makeQuery(w, bases, targets));
    }
  }
  return out;
}

export class RcsModels {
  readonly featureNames: string[];
  private scaler!: FeatureScaler;
  /** Standardises compact context rows (fitted in `train`; unused with the full context). */
  private ctxScaler: FeatureScaler | undefined;
  sizeless!: SizelessRegressor;
  flashReg!: SizelessRegressor;
  private readonly buffer: SqliteBuffer;
  readonly flash: SLModel;
  private readonly pe: PairEmbedding;
  private readonly task: string;
  private readonly rng: Rng;
  /** Predicted ratios are clipped to [lo / 2, 2 * hi] of the training labels (a guard against extrapolation). */
  ratioRange: [number, number] = [1e-3, 1e3];
  /** Divisor of the context labels (see RcsModelConfig.contextLabels), fitted in `train`. */
  contextLabelScale = 1;
  /** Every pair the meta learner embedded: the training base sets, then the served queries. */
  readonly pairs: PairRecord[] = [];
  /** Served query's pair id -> the training pair whose embedding the shuffled control gave it. */
  readonly shuffledServed = new Map<string, PairRecord>();
  /** What the oracle controls read (set by `enableControls`). */
  private oracleSource: WorkloadOracle | undefined;
  private readonly oracles: Partial<Record<OracleKind, OracleModel>> = {};

  constructor(
    readonly dataset: Pick<RcsDataset, "metricNames" | "configNames">,
    readonly cfg: RcsModelConfig,
    task?: string,
  ) {
    this.featureNames = featureNames(dataset);
    this.rng = new Rng(cfg.seed).fork("rcs-models");
    this.task = task ?? `rcs-${process.pid}-${modelCounter++}`;
    // One meta learner per task and process: never share another live model's.
    let taken = true;
    try {
      FlashModel.get(this.task);
    } catch {
      taken = false;
    }
    if (taken) throw new RcsDataError(`a model with task "${this.task}" is already loaded in this process`);
    this.buffer = SqliteBuffer.open(":memory:");
    this.flash = SLModel.register({
      task: this.task,
      featureDim: cfg.context === "compact" ? compactContextWidth(dataset.configNames.length) : this.featureNames.length,
      labelDim: 1,
      buffer: this.buffer,
      encoder: cfg.encoder,
      contextSize: 1,
      seed: cfg.seed,
    });
    this.pe = new PairEmbedding(this.flash, cfg.embeddingScale ?? 1);
  }

  /**
   * Pretrain sizeless and FLASH-sizeless on the same rows (`sizelessOnly`: Sizeless alone,
   * for the predictors that need no embedding; FLASH's training MAPE is then NaN and
   * predicting with FLASH an error).
   */
  async train(
    workloads: readonly RcsWorkload[],
    log?: (msg: string) => void,
    stage?: (method: "sizeless" | "flash" | OracleKind) => void,
    opts: { sizelessOnly?: boolean } = {},
  ): Promise<TrainingReport> {
    const qs = trainingQueries(workloads, this.cfg, this.rng.fork("train-bases"));
    const raw: number[][] = [];
    const labels: number[] = [];
    const refs: number[] = [];
    const ctxIds: number[] = [];
    const rowQuery: number[] = [];
    const ctxRaw: { pair: string; features: number[][]; labels: number[] }[] = [];
    qs.forEach(({ query, truth }, i) => {
      const r = queryRows(query);
      const pair = `train/${i}/${query.workload}`;
      const id = this.pe.add(pair);
      this.pairs.push({ id, pair, workload: query.workload, app: query.app, shots: query.bases.length, role: "train" });
      ctxRaw.push({ pair, ...this.rawContext(query) });
      r.features.forEach((f, j) => {
        raw.push(f);
        labels.push(truth[j] / r.refDuration[j]);
        refs.push(r.refDuration[j]);
        ctxIds.push(id);
        rowQuery.push(i);
      });
    });
    this.scaler = FeatureScaler.fit(raw);
    this.ratioRange = [Math.min(...labels) / 2, Math.max(...labels) * 2];
    const x = this.scaler.apply(raw);
    if (this.cfg.contextLabels === "std") {
      // Std of the labelled pairs between distinct bases (self rows are 0 by construction).
      const ls = ctxRaw.flatMap((c) => c.labels.filter((_, i) => c.features.length > 1 && i % (Math.sqrt(c.features.length) + 1) !== 0));
      const sd = ls.length > 1 ? Math.sqrt(ls.reduce((a, v) => a + v * v, 0) / ls.length) : 1;
      this.contextLabelScale = sd > 1e-6 ? sd : 1;
    }
    if (this.cfg.context === "compact") this.ctxScaler = FeatureScaler.fit(ctxRaw.flatMap((c) => c.features));
    for (const c of ctxRaw) await this.flash.insertDataSamples(c.pair, this.ctxFeatures(c.features), this.ctxLabels(c.labels));
    const ctx = Int32Array.from(ctxIds);
    const d = this.featureNames.length;
    let t0 = performance.now();
    stage?.("sizeless");
    this.sizeless = new SizelessRegressor(d, 1, this.cfg.mlp, { seed: this.rng.fork("sizeless").tfSeed() });
    const hs = this.sizeless.fit(x, labels, { onEpoch: (e, l) => (e % 10 === 0 ? log?.(`sizeless epoch ${e}: loss ${l.toFixed(1)}`) : undefined) });
    const tS = (performance.now() - t0) / 1000;
    const mape = (p: ArrayLike<number>) => labels.reduce((a, y, i) => a + Math.abs(p[i] - y) / y, 0) / labels.length;
    if (opts.sizelessOnly) {
      const trainMape = { naive: mape(labels.map(() => 1)), sizeless: mape(this.sizeless.predict(x)), flash: NaN };
      return { rows: labels.length, pairs: qs.length, trainMape, seconds: { sizeless: tS, flash: 0 } };
    }
    t0 = performance.now();
    stage?.("flash");
    this.flash.toggleMetaModelUpdate(true);
    this.flashReg = new SizelessRegressor(d, 1, this.cfg.mlp, { seed: this.rng.fork("flash").tfSeed(), extra: this.pe });
    const hf = this.flashReg.fit(x, labels, { ctx, onEpoch: (e, l) => (e % 10 === 0 ? log?.(`flash epoch ${e}: loss ${l.toFixed(1)}`) : undefined) });
    this.flash.toggleMetaModelUpdate(false);
    const tF = (performance.now() - t0) / 1000;
    log?.(
      `trained on ${labels.length} rows: sizeless ${hs[0].toFixed(1)} -> ${hs[hs.length - 1].toFixed(1)}, flash ${hf[0].toFixed(1)} -> ` +
        `${hf[hf.length - 1].toFixed(1)} (MAPE % + L2)`,
    );
    const trainMape: TrainingReport["trainMape"] = {
      naive: mape(labels.map(() => 1)),
      sizeless: mape(this.sizeless.predict(x)),
      flash: mape(this.flashReg.predict(x, { ctx })),
    };
    if (this.oracleSource) {
      for (const kind of ORACLE_KINDS) {
        stage?.(kind);
        const o = this.trainOracle(
          kind,
          qs.map((q) => q.query),
          x,
          labels,
          rowQuery,
        );
        trainMape[kind] = mape(o.reg.predict(x, { ctx: Int32Array.from(rowQuery, (i) => o.trainIds[i]) }));
      }
    }
    return { rows: labels.length, pairs: qs.length, trainMape, seconds: { sizeless: tS, flash: tF } };
  }

  /**
   * Turn on the controls (experiments/rcs/controls.ts) before `train`: the oracle MLPs are
   * trained on the same rows as Sizeless, reading `oracle`'s profiles; `predict` then
   * answers for the controls too.
   */
  enableControls(oracle: WorkloadOracle): void {
    if (this.sizeless) throw new StateError("enableControls: call it before train (the oracle MLPs train with the others)");
    this.oracleSource = oracle;
  }

  /** The raw oracle vector of a query: its workload's duration profile or curve parameters, or its bases' curve parameters. */
  private oracleVector(kind: OracleKind, q: Query): number[] {
    const src = this.oracleSource;
    if (!src) throw new StateError(`the ${kind} control needs enableControls(oracle) before train`);
    if (kind === "oracle_context") return curveParameters(q.bases, src.configScale);
    const p = src.profiles.get(q.workload);
    const w = src.workloads.get(q.workload);
    if (kind === "oracle_curve" && w) return curveParameters(w.points, src.configScale);
    if (!p) throw new RcsDataError(`oracle control: no duration profile for workload "${q.workload}" (the oracle covers ${src.profiles.size} workloads)`);
    return p;
  }

  /** Fit one oracle MLP on the training rows (row i belongs to query rowQuery[i]). */
  private trainOracle(kind: OracleKind, qs: readonly Query[], x: number[][], labels: number[], rowQuery: readonly number[]) {
    const raw = qs.map((q) => this.oracleVector(kind, q));
    const scaler = FeatureScaler.fit(raw);
    const bank = new VectorBank(raw[0].length);
    const trainIds = scaler.apply(raw).map((v) => bank.add(v));
    const reg = new SizelessRegressor(this.featureNames.length, 1, this.cfg.mlp, { seed: this.rng.fork(kind).tfSeed(), extra: bank });
    reg.fit(x, labels, { ctx: Int32Array.from(rowQuery, (i) => trainIds[i]) });
    this.oracles[kind] = { bank, scaler, reg };
    return { reg, trainIds };
  }

  /** The controls' predicted ratios for a query's rows `x` (FLASH's for shuffled and zero). */
  private controlRatios(c: Control, query: Query, x: number[][], pairId: string): Float32Array {
    const fill = (id: number) => new Int32Array(x.length).fill(id);
    if (c === "zero") return this.flashReg.predict(x, { ctx: fill(ZERO_EMBEDDING) });
    if (c === "shuffled") {
      // Seeded by what the query is (workload and bases), not by its pair id: the same query gets the same partner.
      const partner = shuffledPartner(this.pairs, query.app, query.bases.length, `shuffled/${query.workload}/${query.bases.map((b) => b.key).join(",")}`);
      this.shuffledServed.set(pairId, partner);
      return this.flashReg.predict(x, { ctx: fill(partner.id) });
    }
    const o = this.oracles[c];
    if (!o) throw new StateError(`the ${c} control needs enableControls(oracle) before train`);
    const id = o.bank.add(o.scaler.apply([this.oracleVector(c, query)])[0]);
    return o.reg.predict(x, { ctx: fill(id) });
  }

  /** The meta learner's context of a query, before scaling (reads the bases only). */
  private rawContext(q: Query): { features: number[][]; labels: number[] } {
    return this.cfg.context === "compact" ? compactContextRows(q) : contextRows(q);
  }

  private ctxFeatures(rows: number[][]): number[][] {
    return (this.ctxScaler ?? this.scaler).apply(rows);
  }

  private ctxLabels(labels: readonly number[]): number[] {
    return labels.map((v) => v / this.contextLabelScale);
  }

  /** Predicted durations (ms) at the query's targets, per method (and control). `pairId` names the query's FLASH pair. */
  async predict(query: Query, methods: readonly Predictor[], pairId: string): Promise<Partial<Record<Predictor, number[]>>> {
    const r = queryRows(query);
    const x = this.scaler.apply(r.features);
    const out: Partial<Record<Predictor, number[]>> = {};
    const [lo, hi] = this.ratioRange;
    const scale = (ratios: ArrayLike<number>) => Array.from(ratios, (v, i) => Math.min(hi, Math.max(lo, v)) * r.refDuration[i]);
    const ft = basePairRows(query);
    const ftx = this.scaler.apply(ft.features);
    const fit = (m: SizelessRegressor, ctx?: Int32Array) => m.fit(ftx, ft.labels, { epochs: this.cfg.finetuneEpochs, ctx });
    if (methods.includes("naive")) out.naive = [...r.refDuration];
    if (methods.includes("sizeless")) out.sizeless = scale(this.sizeless.predict(x));
    if (methods.includes("tl")) {
      if (ft.labels.length === 0) out.tl = scale(this.sizeless.predict(x));
      else {
        const m = this.sizeless.clone({ seed: 1 });
        fit(m);
        out.tl = scale(m.predict(x));
        m.dispose();
      }
    }
    if (methods.includes("flash") || methods.includes("flash_finetune")) {
      const id = this.pe.add(pairId);
      this.pairs.push({ id, pair: pairId, workload: query.workload, app: query.app, shots: query.bases.length, role: "test" });
      const c = this.rawContext(query);
      await this.flash.insertDataSamples(pairId, this.ctxFeatures(c.features), this.ctxLabels(c.labels));
      const ctx = new Int32Array(x.length).fill(id);
      const pf = scale(this.flashReg.predict(x, { ctx }));
      if (methods.includes("flash")) out.flash = pf;
      if (methods.includes("flash_finetune")) {
        if (ft.labels.length === 0) out.flash_finetune = pf;
        else {
          const m = this.flashReg.clone({ seed: 1 });
          fit(m, new Int32Array(ft.labels.length).fill(id));
          out.flash_finetune = scale(m.predict(x, { ctx }));
          m.dispose();
        }
      }
    }
    for (const c of CONTROLS) if (methods.includes(c)) out[c] = scale(this.controlRatios(c, query, x, pairId));
    return out;
  }

  /** Save everything `load` needs: the two MLPs, the meta learner, the scaler and `extra` (JSON). */
  async save(dir: string, extra: { layout: string; candidates: TargetConfig[] }): Promise<void> {
    mkdirSync(dir, { recursive: true });
    await this.sizeless.save(path.join(dir, "sizeless"), "rcs");
    await this.flashReg.save(path.join(dir, "flash-mlp"), "rcs");
    await this.flash.save(path.join(dir, "meta-learner"));
    const json = {
      format: MODEL_FORMAT,
      task: this.task,
      ratioRange: this.ratioRange,
      contextLabelScale: this.contextLabelScale,
      metricNames: this.dataset.metricNames,
      configNames: this.dataset.configNames,
      featureNames: this.featureNames,
      config: this.cfg,
      scaler: this.scaler.toJSON(),
      ctxScaler: this.ctxScaler?.toJSON(),
      ...extra,
    };
    writeFileSync(path.join(dir, "model.json"), JSON.stringify(json, null, 2) + "\n");
  }

  static async load(dir: string): Promise<{ models: RcsModels; extra: { layout: string; candidates: TargetConfig[] } }> {
    let j: {
      format?: string;
      task: string;
      ratioRange: [number, number];
      contextLabelScale?: number;
      metricNames: string[];
      configNames: string[];
      config: RcsModelConfig;
      scaler: { mean: number[]; std: number[] };
      ctxScaler?: { mean: number[]; std: number[] };
      layout: string;
      candidates: TargetConfig[];
    };
    try {
      j = JSON.parse(readFileSync(path.join(dir, "model.json"), "utf8"));
    } catch (err) {
      throw new RcsDataError(`model ${dir}: cannot read model.json (${(err as Error).message}); train one with \`flash rcs train\``);
    }
    if (j.format !== MODEL_FORMAT) throw new RcsDataError(`model ${dir}: format ${j.format}, expected ${MODEL_FORMAT}`);
    const m = new RcsModels({ metricNames: j.metricNames, configNames: j.configNames }, j.config, j.task);
    m.scaler = new FeatureScaler(j.scaler.mean, j.scaler.std);
    if (j.ctxScaler) m.ctxScaler = new FeatureScaler(j.ctxScaler.mean, j.ctxScaler.std);
    m.ratioRange = j.ratioRange;
    m.contextLabelScale = j.contextLabelScale ?? 1;
    const d = m.featureNames.length;
    m.sizeless = new SizelessRegressor(d, 1, j.config.mlp, { seed: 0 });
    await m.sizeless.load(path.join(dir, "sizeless"), "rcs");
    m.flashReg = new SizelessRegressor(d, 1, j.config.mlp, { seed: 0, extra: m.pe });
    await m.flashReg.load(path.join(dir, "flash-mlp"), "rcs");
    await m.flash.load(path.join(dir, "meta-learner"));
    m.flash.toggleMetaModelUpdate(false);
    return { models: m, extra: { layout: j.layout, candidates: j.candidates } };
  }

  /** The embedding of a pair inserted by `predict` (for similarity and reports). */
  embedding(pairId: string): Float32Array {
    return this.flash.getEmbedding(pairId);
  }

  dispose(): void {
    this.sizeless?.dispose();
    this.flashReg?.dispose();
    for (const o of Object.values(this.oracles)) o.reg.dispose();
    FlashModel.unregister(this.task);
    this.buffer.close();
  }
}

/** Draw a test query's bases for one (iteration, workload, shots): the same for every method. */
export function testQuery(w: RcsWorkload, shots: number, seed: string): { query: Query; truth: number[] } {
  return makeQuery(w, chooseBases(w, shots, new Rng(seed)));
}
