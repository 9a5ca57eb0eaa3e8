import t from "tap";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { readTraceCsv, writeTraceCsv } from "../../traces/csv.js";
import { TraceError } from "../../traces/errors.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "trace-csv-"));

t.test("write then read a t,rate file", async (t) => {
  const f = path.join(dir, "mine.csv");
  writeTraceCsv(f, { name: "mine", stepSeconds: 30, rates: Float64Array.from([1, 2.5, 0, 4]) });
  const tr = readTraceCsv(f);
  t.equal(tr.name, "mine");
  t.equal(tr.stepSeconds, 30);
  t.same([...tr.rates], [1, 2.5, 0, 4]);
  const g = path.join(dir, "comments.csv");
  writeFileSync(g, "# my trace\n t, rate \n0,1\n\n10,2\n# end\n20,3\n");
  t.same([...readTraceCsv(g).rates], [1, 2, 3]);
});

t.test("bad files name the file, line and field", async (t) => {
  const cases: [string, string, RegExp][] = [
    ["header.csv", "time,value\n0,1\n1,2\n", /header\.csv: line 1 \(header\): expected the header "t,rate", got "time,value"/],
    ["neg.csv", "t,rate\n0,1\n1,-2\n", /neg\.csv: line 3 field rate: expected a finite rate >= 0/],
    ["nan.csv", "t,rate\n0,1\nx,2\n", /nan\.csv: line 3 field t/],
    ["short.csv", "t,rate\n0,1\n", /short\.csv: rows: expected at least 2 data rows, got 1/],
    ["gap.csv", "t,rate\n0,1\n1,1\n5,1\n", /gap\.csv: data row 3 field t: expected a constant step of 1 s/],
    ["fields.csv", "t,rate\n0,1,2\n", /fields\.csv: line 2: expected two fields/],
    ["empty.csv", "", /empty\.csv/],
  ];
  for (const [name, text, re] of cases) {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    t.throws(() => readTraceCsv(f), re, name);
    t.throws(() => readTraceCsv(f), TraceError);
  }
  t.throws(() => readTraceCsv(path.join(dir, "absent.csv")), /absent\.csv: \(file\)/);
});
