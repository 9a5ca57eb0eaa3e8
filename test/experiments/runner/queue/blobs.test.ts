import t from "tap";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { packDir, unpackDir } from "../../../../experiments/runner/queue/blobs.js";

const root = mkdtempSync(path.join(os.tmpdir(), "queue-blobs-"));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

t.test("a work directory survives pack and unpack byte for byte, nested files included", async (t) => {
  const src = path.join(root, "src");
  mkdirSync(path.join(src, "agent", "actor"), { recursive: true });
  const weights = Buffer.from(Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i)).buffer);
  writeFileSync(path.join(src, "agent", "actor", "weights.bin"), weights);
  writeFileSync(path.join(src, "buffer.sqlite"), "x".repeat(10_000));
  writeFileSync(path.join(src, "empty"), "");
  const dst = path.join(root, "dst");
  mkdirSync(dst);
  writeFileSync(path.join(dst, "stale.txt"), "from an interrupted attempt");
  unpackDir(packDir(src, "u"), dst);
  t.same(readFileSync(path.join(dst, "agent", "actor", "weights.bin")), weights);
  t.equal(readFileSync(path.join(dst, "buffer.sqlite"), "utf8").length, 10_000);
  t.equal(readFileSync(path.join(dst, "empty"), "utf8"), "");
  t.throws(() => readFileSync(path.join(dst, "stale.txt")), /ENOENT/, "the directory is replaced, not merged");
});

t.test("a work directory over the limit is refused with the unit and sizes named", async (t) => {
  const src = path.join(root, "big");
  mkdirSync(src);
  writeFileSync(path.join(src, "noise.bin"), Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 2654435761) >>> 24)));
  const before = process.env.FLASH_QUEUE_BLOB_MB;
  process.env.FLASH_QUEUE_BLOB_MB = "0.1";
  t.teardown(() => (before === undefined ? delete process.env.FLASH_QUEUE_BLOB_MB : (process.env.FLASH_QUEUE_BLOB_MB = before)));
  t.throws(() => packDir(src, "pretrain/flash/r0"), {
    name: "QueueBlobError",
    message: /unit pretrain\/flash\/r0: its work directory packs to [\d.]+ MiB .* over the 0.1 MiB/,
  });
});

t.test("a blob that is not one, or names a file outside the directory, is refused", async (t) => {
  const { gzipSync } = await import("node:zlib");
  t.throws(() => unpackDir(gzipSync(Buffer.from("nope")), path.join(root, "x")), { name: "QueueBlobError", message: /not a work-directory blob/ });
  const name = Buffer.from("../escape");
  const head = Buffer.alloc(12 + name.length);
  head.writeUInt32BE(name.length, 0);
  name.copy(head, 4);
  head.writeBigUInt64BE(0n, 4 + name.length);
  t.throws(() => unpackDir(gzipSync(Buffer.concat([Buffer.from("FLB1"), head])), path.join(root, "y")), /leaves the directory/);
});
