/**
 * `flash worker --queue redis://[USER:PASSWORD@]HOST[:PORT][/DB] [--concurrency N] [--backend B]`:
 * take units from the queue until SIGINT or SIGTERM, then finish the running ones and stop.
 */
import { UsageError, type Command, type OptionSpec } from "../../args.js";

export function workerCommand(backendOption: OptionSpec): Command {
  return {
    summary: "run units of `flash reproduce|sweep|rerun --queue URL` runs, from that Redis queue, until stopped (docs/distributed.md)",
    options: {
      queue: {
        type: "string",
        description:
          "redis://[USER:PASSWORD@]HOST[:PORT][/DB] (rediss:// for TLS) of the coordinator's queue (required; the password may come from FLASH_QUEUE_PASSWORD)",
      },
      concurrency: { type: "string", description: "units at once, one worker thread each (one per core is a good start)", default: "1" },
      backend: backendOption,
    },
    async run(o) {
      if (typeof o.queue !== "string" || !o.queue) throw new UsageError("--queue redis://[USER:PASSWORD@]HOST[:PORT][/DB] is required");
      const { parseQueueUrl } = await import("./url.js");
      parseQueueUrl(o.queue); // a QueueUrlError: a usage error (exit 2)
      const n = Number(o.concurrency);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--concurrency: expected an integer >= 1, got ${JSON.stringify(o.concurrency)}`);
      const { startQueueWorker } = await import("./worker.js");
      // Test hooks: short lock and stall intervals make a killed worker's unit come back in seconds.
      const ms = (v: string | undefined) => (v ? Number(v) : undefined);
      const w = await startQueueWorker({
        queue: o.queue,
        concurrency: n,
        backend: (o.backend as string | undefined) ?? null,
        lockMs: ms(process.env.FLASH_QUEUE_LOCK_MS),
        stalledMs: ms(process.env.FLASH_QUEUE_STALLED_MS),
      });
      await new Promise<void>((resolve) => {
        const stop = (sig: string) => {
          process.stderr.write(`flash worker: ${sig}: finishing the running units, then stopping\n`);
          w.close().then(resolve, resolve);
        };
        process.once("SIGINT", () => stop("SIGINT"));
        process.once("SIGTERM", () => stop("SIGTERM"));
      });
    },
  };
}
