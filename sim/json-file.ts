/**
 * Reading a simulator's JSON input file (applications, processors): the one place that
 * turns an unreadable file or invalid JSON into the caller's named error.
 */
import { readFileSync } from "node:fs";

/** Builds the caller's error: `field` is "(file)" for an unreadable file, "(root)" for invalid JSON. */
export type JsonFileError = (field: string, expected: string, given: string) => Error;

/** The parsed contents of `file` (not yet validated). */
export function readJsonFile(file: string, error: JsonFileError): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw error("(file)", "a readable JSON file", (e as Error).message);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw error("(root)", "valid JSON", (e as Error).message);
  }
}
