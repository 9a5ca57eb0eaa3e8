/**
 * Text widths for vega's headless layout. Without a canvas, vega guesses every character
 * at 0.8 em, about 40% wider than DejaVu Sans (the font the SVGs name and resvg draws);
 * a figure with a long subtitle or legend label then came out with a third of its width
 * blank. These are DejaVu Sans's own advance widths, so the layout matches what is drawn,
 * and they are fixed in the source so that a figure's SVG is the same on every machine,
 * whatever fonts it has.
 */

/**
 * Advance widths of the printable ASCII characters (U+0020 to U+007E) in font units
 * (2048 per em), read from the hmtx tables of DejaVu Sans 2.37 and DejaVu Sans Bold.
 */
const REGULAR = [
  651, 821, 942, 1716, 1303, 1946, 1597, 563, 799, 799, 1024, 1716, 651, 739, 651, 690, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 690, 690,
  1716, 1716, 1716, 1087, 2048, 1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604, 604, 1343, 1141, 1767, 1532, 1612, 1235, 1612, 1423, 1300, 1251, 1499,
  1401, 2025, 1403, 1251, 1403, 799, 690, 799, 1716, 1024, 1024, 1255, 1300, 1126, 1300, 1260, 721, 1300, 1298, 569, 569, 1186, 569, 1995, 1298, 1253, 1300,
  1300, 842, 1067, 803, 1298, 1212, 1675, 1212, 1212, 1075, 1303, 690, 1303, 1716,
];
const BOLD = [
  713, 934, 1067, 1716, 1425, 2052, 1786, 627, 936, 936, 1071, 1716, 778, 850, 778, 748, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 819, 819,
  1716, 1716, 1716, 1188, 2048, 1585, 1561, 1503, 1700, 1399, 1399, 1681, 1714, 762, 762, 1587, 1305, 2038, 1714, 1741, 1501, 1741, 1577, 1475, 1397, 1663,
  1585, 2259, 1579, 1483, 1485, 936, 748, 936, 1716, 1024, 1024, 1382, 1466, 1214, 1466, 1389, 891, 1466, 1458, 702, 702, 1362, 702, 2134, 1458, 1407, 1466,
  1466, 1010, 1219, 979, 1458, 1335, 1892, 1321, 1335, 1192, 1458, 748, 1458, 1716,
];
const UNITS_PER_EM = 2048;
/** Any other character (±, ≤, Greek, ...) counts as the face's "0": a digit's width, about the font's middle. */
const OTHER = "0".charCodeAt(0) - 0x20;

/** Width in pixels of `text` set in DejaVu Sans at `fontSize` px, bold or not. */
export function dejaVuSansWidth(text: string, fontSize: number, bold = false): number {
  const table = bold ? BOLD : REGULAR;
  let units = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    units += table[code >= 0x20 && code <= 0x7e ? code - 0x20 : OTHER];
  }
  return (units * fontSize) / UNITS_PER_EM;
}

/** The part of a vega text item that decides its width. */
export interface TextItem {
  fontSize?: number | string;
  fontWeight?: number | string;
  /** Longest width before vega truncates the text with an ellipsis (0 or absent: none). */
  limit?: number;
}

/** Is this weight drawn with the bold face (CSS: 600 and above, or "bold"/"bolder")? */
export function isBold(weight: number | string | undefined): boolean {
  if (weight === undefined) return false;
  if (weight === "bold" || weight === "bolder") return true;
  const n = Number(weight);
  return Number.isFinite(n) && n >= 600;
}

/**
 * vega's `textMetrics.width`: an item (its font size defaults to 11, as vega's) and one
 * line of text. A text wider than the item's limit counts as the limit: vega draws it
 * truncated to fit, and its truncation search (which calls this on prefixes and compares
 * them with the limit less the ellipsis) stays exact, since no prefix it keeps is clamped.
 */
export function vegaTextWidth(item: TextItem, text: unknown): number {
  const size = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
  const line = text == null ? "" : String(text).trim();
  const width = dejaVuSansWidth(line, size, isBold(item.fontWeight));
  const limit = Number(item.limit);
  return limit > 0 ? Math.min(width, limit) : width;
}
