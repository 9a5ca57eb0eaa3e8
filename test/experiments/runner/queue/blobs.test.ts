import t from "tap";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { packDir, unpackBounds, unpackDir } from "../../../../experiments/runner/queue/blobs.js";

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
  await unpackDir(packDir(src, "u"), dst);
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

/** The raw (unzipped) blob of `files`: "FLB1", then per file its name length, name, size and bytes. */
function rawBlob(files: [name: string, data: Buffer | number][]): Buffer {
  const parts: Buffer[] = [Buffer.from("FLB1")];
  for (const [n, data] of files) {
    const name = Buffer.from(n);
    const head = Buffer.alloc(12 + name.length);
    head.writeUInt32BE(name.length, 0);
    name.copy(head, 4);
    head.writeBigUInt64BE(BigInt(typeof data === "number" ? data : data.length), 4 + name.length);
    parts.push(head, typeof data === "number" ? Buffer.alloc(0) : data);
  }
  return Buffer.concat(parts);
}

/** A destination that already holds a file: a refused blob must leave it as it was. */
function kept(name: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "before.txt"), "kept");
  return dir;
}

const leftovers = (name: string) => readdirSync(root).filter((f) => f.startsWith(`${name}.unpack-`));

t.test("a blob that is not one, names a file outside the directory, or is truncated is refused; the destination is kept", async (t) => {
  const bad: [string, Buffer, RegExp][] = [
    ["not-blob", gzipSync(Buffer.from("nope")), /not a work-directory blob/],
    ["not-gzip", Buffer.from("plain bytes"), /not a gzip stream/],
    ["escape-dest", gzipSync(rawBlob([["../escape", Buffer.from("x")]])), /file name "\.\.\/escape" leaves the directory/],
    ["absolute", gzipSync(rawBlob([["/tmp/abs", Buffer.from("x")]])), /leaves the directory/],
    ["dot", gzipSync(rawBlob([["a/./b", Buffer.from("x")]])), /is not a plain relative name/],
    [
      "twice",
      gzipSync(
        rawBlob([
          ["a", Buffer.from("1")],
          ["a", Buffer.from("2")],
        ]),
      ),
      /file "a" cannot be written \(EEXIST/,
    ],
    ["truncated", gzipSync(rawBlob([["a", Buffer.from("12345")]]).subarray(0, -2)), /is truncated/],
    ["long-name", gzipSync(Buffer.concat([Buffer.from("FLB1"), Buffer.from([0xff, 0xff, 0xff, 0xff])])), /a file name of 4294967295 bytes/],
  ];
  for (const [name, blob, message] of bad) {
    const dir = kept(name);
    await t.rejects(unpackDir(blob, dir), { name: "QueueBadBlobError", code: "queue-bad-blob", message }, name);
    t.equal(readFileSync(path.join(dir, "before.txt"), "utf8"), "kept", `${name}: the destination is unchanged`);
    t.same(readdirSync(dir), ["before.txt"], `${name}: and holds nothing else`);
    t.same(leftovers(name), [], `${name}: nothing left beside it`);
  }
  t.notOk(readdirSync(root).includes("escape"), "nothing was written outside (../escape)");
});

t.test("a gzip bomb is refused at the unpacked-size bound, before it inflates further; so is a file count over its bound", async (t) => {
  // 64 copies of one gzip member of 16 MiB of zeros (gunzip reads concatenated members
  // as one stream): ~1 GiB unpacked from a blob of ~1 MiB, one file claiming 1 GiB.
  const zeros = gzipSync(Buffer.alloc(16 * 2 ** 20), { level: 9 });
  const head = gzipSync(rawBlob([["bomb.bin", 64 * 16 * 2 ** 20]]));
  const bomb = Buffer.concat([head, ...Array.from({ length: 64 }, () => zeros)]);
  t.ok(bomb.length < 2 ** 21, `the bomb is ${(bomb.length / 2 ** 20).toFixed(2)} MiB`);
  const bounds = { bytes: 8 * 2 ** 20, files: 100 };
  const dir = kept("bomb");
  const t0 = performance.now();
  await t.rejects(unpackDir(bomb, dir, bounds), { name: "QueueBadBlobError", message: /file "bomb\.bin" claims 1073741824 bytes, over the 8\.0 MiB/ });
  // A well-formed bomb: 256 files of 4 MiB of zeros, each within the bound, 1 GiB in all: refused by the running count.
  const zeros4 = gzipSync(Buffer.alloc(4 * 2 ** 20), { level: 9 });
  const files = Array.from({ length: 256 }, (_, i) => [gzipSync(rawBlob([[`f${i}.bin`, 4 * 2 ** 20]]).subarray(i === 0 ? 0 : 4)), zeros4]);
  const sneaky = Buffer.concat(files.flat());
  t.ok(sneaky.length < 2 ** 21, `the second bomb is ${(sneaky.length / 2 ** 20).toFixed(2)} MiB`);
  await t.rejects(unpackDir(sneaky, dir, bounds), { name: "QueueBadBlobError", message: /unpacks to more than 8\.0 MiB \(FLASH_QUEUE_UNPACKED_MB\)/ });
  const seconds = (performance.now() - t0) / 1000;
  // A sanity bound only (unpacking and writing 2 GiB would not fit in it); the messages above show which bound stopped each.
  t.ok(seconds < 5, `both refused within ${seconds.toFixed(2)} s`);
  t.equal(readFileSync(path.join(dir, "before.txt"), "utf8"), "kept");
  t.same(leftovers("bomb"), [], "the partial files are removed");

  const many = gzipSync(rawBlob(Array.from({ length: 101 }, (_, i): [string, Buffer] => [`f${i}`, Buffer.from("x")])));
  await t.rejects(unpackDir(many, kept("many"), bounds), { message: /it holds more than 100 files \(FLASH_QUEUE_BLOB_FILES\)/ });
  t.same(leftovers("many"), []);
});

t.test("packing checks the same bounds, naming the unit; the bounds come from the environment", async (t) => {
  const src = path.join(root, "files");
  mkdirSync(src);
  for (let i = 0; i < 5; i++) writeFileSync(path.join(src, `f${i}`), Buffer.alloc(1000));
  t.throws(() => packDir(src, "pretrain/x", { bytes: 2 ** 20, files: 4 }), {
    name: "QueueBlobError",
    message: /unit pretrain\/x: its work directory holds 5 files, over the 4/,
  });
  t.throws(() => packDir(src, "pretrain/x", { bytes: 4000, files: 10 }), {
    message: /unit pretrain\/x: its work directory unpacks to 0\.0 MiB, over the 0\.0 MiB/,
  });
  const dst = path.join(root, "files-out");
  await unpackDir(packDir(src, "u", { bytes: 6000, files: 5 }), dst, { bytes: 6000, files: 5 });
  t.equal(readdirSync(dst).length, 5, "a blob exactly at the bounds unpacks");
  t.same(unpackBounds({}), { bytes: 1024 * 2 ** 20, files: 10_000 }, "defaults: 1 GiB, 10,000 files");
  t.same(unpackBounds({ FLASH_QUEUE_UNPACKED_MB: "16", FLASH_QUEUE_BLOB_FILES: "50" }), { bytes: 16 * 2 ** 20, files: 50 });
});
