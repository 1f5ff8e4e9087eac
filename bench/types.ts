/** Shared shapes of the benchmark: bench/run.ts runs each bench/sections/*.ts module's `run(ctx)`. */

export interface BenchRow {
  section: string;
  name: string;
  value: number;
  unit: string;
  /** The comparison measured in the same run (every timing row has one). */
  baseline?: { name: string; value: number };
  note?: string;
}

export interface BenchContext {
  /** Model source (folder, URL or hub id) for sections that embed; default: the bundled default model. */
  model?: string;
  /** A model to compare start-up against (e.g. the previous release's folder); sections that time a model's start-up use it as their baseline. */
  baselineModel?: string;
  /** Another checkout of this repository (its node_modules in place) whose embedding engine a section times beside this one's, in the same run: before and after a change. */
  baselineEngine?: string;
  /** Fewer repetitions, for smoke runs. */
  quick?: boolean;
  /** Progress lines (stderr); rows are the result. */
  log?: (message: string) => void;
}

export type BenchSection = (ctx: BenchContext) => Promise<BenchRow[]>;
