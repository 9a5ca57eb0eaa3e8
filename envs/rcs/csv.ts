/**
 * A small RFC 4180 CSV reader: comma separated, double-quoted fields may hold commas,
 * quotes ("") and newlines. Returns the header and the rows with their 1-based line
 * numbers, so errors can name the line. Files may be gzipped (`.csv.gz`): the repository
 * stores the serverless measurements that way (data/serverless-functions, 24 MB of text
 * in 6.4 MB), and a user's folder may mix both.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { RcsDataError } from "./errors.js";

/** `.csv` or `.csv.gz` (any case): the file names the loaders read. */
export const CSV_FILE_RE = /\.csv(\.gz)?$/i;

/** The name without its `.csv` / `.csv.gz` ending. */
export const csvStem = (name: string): string => name.replace(CSV_FILE_RE, "");

/** The text of a `.csv` file, or of a `.csv.gz` file decompressed in memory (an RcsDataError naming a corrupt archive). */
export function readCsvText(file: string): string {
  const raw = readFileSync(file);
  if (!/\.gz$/i.test(file)) return raw.toString("utf8");
  try {
    return gunzipSync(raw).toString("utf8");
  } catch (e) {
    throw new RcsDataError(`${file}: not a readable gzip file (${(e as Error).message})`);
  }
}

export interface CsvTable {
  header: string[];
  rows: { line: number; fields: string[] }[];
}

export function parseCsv(text: string, file: string): CsvTable {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let sawAny = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === "\n") line++;
        field += c;
      }
      continue;
    }
    if (c === '"') {
      quoted = true;
      sawAny = true;
    } else if (c === ",") {
      fields.push(field);
      field = "";
      sawAny = true;
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      if (sawAny || field.length > 0) {
        fields.push(field);
        records.push({ line: recordLine, fields });
      }
      fields = [];
      field = "";
      sawAny = false;
      line++;
      recordLine = line;
    } else {
      field += c;
      sawAny = true;
    }
  }
  if (quoted) throw new RcsDataError(`${file}:${recordLine}: unterminated quoted field`);
  if (sawAny || field.length > 0) {
    fields.push(field);
    records.push({ line: recordLine, fields });
  }
  if (records.length === 0) throw new RcsDataError(`${file}: empty file; expected a header line`);
  const [head, ...rows] = records;
  const header = head.fields.map((h) => h.trim());
  for (const r of rows) {
    if (r.fields.length !== header.length) {
      throw new RcsDataError(`${file}:${r.line}: unparsable row: ${r.fields.length} fields, the header has ${header.length}`);
    }
  }
  return { header, rows };
}

/** A finite number from a CSV field, or an RcsDataError naming file, line and column. */
export function num(file: string, line: number, column: string, value: string): number {
  const v = value.trim() === "" ? NaN : Number(value);
  if (!Number.isFinite(v)) throw new RcsDataError(`${file}:${line}: unparsable row: column "${column}" is ${JSON.stringify(value)}, expected a number`);
  return v;
}
