/**
 * A small RFC 4180 CSV reader: comma separated, double-quoted fields may hold commas,
 * quotes ("") and newlines. Returns the header and the rows with their 1-based line
 * numbers, so errors can name the line.
 */
import { RcsDataError } from "./errors.js";

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
